//! The corrective actions proposed for a user's findings.

use vomo_plugin_sdk::{Action, Alert, Finding, FindingKind, Severity};

/// Proposes at most one action of each kind for the findings of one user.
///
/// A missed create or update, or a silent change, is reprocessed; a silent change also raises a
/// low alert because polling cannot explain it. External drift or a missing external copy is pushed
/// again. A deletion candidate is held until the host confirms it with a detail fetch.
pub fn actions(findings: &[Finding]) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut add = |action: Action| {
        if !actions.contains(&action) {
            actions.push(action);
        }
    };
    for finding in findings {
        match &finding.kind {
            FindingKind::MissedCreate | FindingKind::MissedUpdate => add(Action::Reprocess),
            FindingKind::SilentChange(_) => {
                add(Action::Reprocess);
                add(alert(Severity::Low, "user fields changed without moving `updated_at`"));
            }
            FindingKind::MissingFromExternal | FindingKind::ExternalDrift(_) => {
                add(Action::PushExternal);
            }
            FindingKind::DeletionCandidate => {
                add(Action::Hold("confirm the deletion with a detail fetch".to_owned()));
            }
            FindingKind::UnknownToPartner => {
                add(alert(Severity::Medium, "the external system holds a user VOMO does not"));
            }
        }
    }
    actions
}

fn alert(severity: Severity, message: &str) -> Action {
    Action::Alert(Alert { severity, message: message.to_owned() })
}
