//! The corrective actions proposed for a project's findings.

use vomo_plugin_sdk::{Action, Alert, Finding, FindingKind, Severity};

use crate::SCHEDULE;

/// Proposes at most one action of each kind for the findings of one project.
///
/// A missed create or update, or a silent change, is reprocessed, which sends the project with
/// its current dates downstream; a schedule that changed silently also raises a low alert naming
/// the dates, since removed dates take their sign-ups with them. External drift or a missing
/// external copy is pushed again; a deletion candidate waits for the host's detail fetch.
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
            FindingKind::SilentChange(drift) if drift.field == SCHEDULE => {
                add(Action::Reprocess);
                let message = format!("project schedule changed silently: {}", finding.detail);
                add(alert(Severity::Low, &message));
            }
            FindingKind::SilentChange(_) => {
                add(Action::Reprocess);
                add(alert(Severity::Low, "project fields changed without moving `updated_at`"));
            }
            FindingKind::MissingFromExternal | FindingKind::ExternalDrift(_) => {
                add(Action::PushExternal);
            }
            FindingKind::DeletionCandidate => {
                add(Action::Hold("confirm the deletion with a detail fetch".to_owned()));
            }
            FindingKind::UnknownToPartner => {
                add(alert(Severity::Medium, "the external system holds a project VOMO does not"));
            }
        }
    }
    actions
}

fn alert(severity: Severity, message: &str) -> Action {
    let message: String = message.chars().take(1_000).collect();
    Action::Alert(Alert { severity, message })
}
