//! The corrective actions proposed for a group's findings.

use vomo_plugin_sdk::{Action, Alert, Finding, FindingKind, Severity};

use crate::{MEMBERS, PARENT};

/// Proposes at most one action of each kind for the findings of one group.
///
/// Any missed or silent change is reprocessed, which sends the group with its current members
/// downstream. A silent re-parenting raises a medium alert (it moves the group's whole subtree in
/// the customer's system); silent membership changes raise a low one naming the members.
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
            FindingKind::SilentChange(drift) => {
                add(Action::Reprocess);
                let alert = match drift.field.as_str() {
                    PARENT => alert(Severity::Medium, "group re-parented silently".to_owned()),
                    MEMBERS => alert(Severity::Low, format!("group {}", finding.detail)),
                    _ => alert(Severity::Low, "group changed silently".to_owned()),
                };
                add(alert);
            }
            FindingKind::MissingFromExternal | FindingKind::ExternalDrift(_) => {
                add(Action::PushExternal);
            }
            FindingKind::DeletionCandidate => {
                add(Action::Hold("confirm the deletion with a detail fetch".to_owned()));
            }
            FindingKind::UnknownToPartner => {
                let message = "the external system holds a group VOMO does not".to_owned();
                add(alert(Severity::Medium, message));
            }
        }
    }
    actions
}

fn alert(severity: Severity, message: String) -> Action {
    Action::Alert(Alert { severity, message: message.chars().take(1_000).collect() })
}
