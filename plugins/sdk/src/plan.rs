//! The plan most resources want: reprocess what polling missed, push again what the external
//! system lost, wait for the host's detail fetch before a deletion.

use crate::{Action, Alert, Finding, FindingKind, Severity};

/// Proposes at most one action of each kind for the findings of one record of `noun`s.
///
/// A missed create or update, or a silent change, is reprocessed; a silent change also raises a
/// low alert, since polling cannot explain it. External drift or a missing external copy is
/// pushed again. A deletion candidate is held for the host to confirm with its detail fetch.
pub fn standard(findings: &[Finding], noun: &str) -> Vec<Action> {
    let silent = |finding: &Finding| {
        let field = match &finding.kind {
            FindingKind::SilentChange(drift) => drift.field.as_str(),
            _ => "",
        };
        alert(Severity::Low, &format!("{noun} field `{field}` changed without a visible update"))
    };
    with_silent_alert(findings, noun, silent)
}

/// [`standard`], with the alert a silent change raises chosen by `silent` (a re-parented group
/// deserves more attention than a renamed one).
pub fn with_silent_alert(
    findings: &[Finding],
    noun: &str,
    silent: impl Fn(&Finding) -> Action,
) -> Vec<Action> {
    let mut actions = Vec::new();
    for finding in findings {
        let action = match &finding.kind {
            FindingKind::MissedCreate | FindingKind::MissedUpdate => Action::Reprocess,
            FindingKind::SilentChange(_) => {
                add_once(&mut actions, Action::Reprocess);
                silent(finding)
            }
            FindingKind::MissingFromExternal | FindingKind::ExternalDrift(_) => {
                Action::PushExternal
            }
            FindingKind::DeletionCandidate => {
                Action::Hold("confirm the deletion with a detail fetch".to_owned())
            }
            FindingKind::UnknownToPartner => {
                let message = format!("the external system holds a {noun} VOMO does not");
                alert(Severity::Medium, &message)
            }
        };
        add_once(&mut actions, action);
    }
    actions
}

/// Adds `action` unless the plan already holds it.
pub fn add_once(actions: &mut Vec<Action>, action: Action) {
    if !actions.contains(&action) {
        actions.push(action);
    }
}

/// An alert action, its message cut to the contract's 1,024 bytes.
pub fn alert(severity: Severity, message: &str) -> Action {
    let mut end = message.len().min(1_024);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    Action::Alert(Alert { severity, message: message[..end].to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldDrift, Value};

    fn finding(kind: FindingKind) -> Finding {
        Finding { kind, severity: Severity::Medium, detail: String::new() }
    }

    #[test]
    fn each_action_is_planned_once_and_a_silent_change_also_alerts() {
        let drift =
            FieldDrift { field: "hours".into(), expected: Value::Null, actual: Value::Null };
        let findings = [
            finding(FindingKind::MissedCreate),
            finding(FindingKind::SilentChange(drift)),
            finding(FindingKind::MissingFromExternal),
        ];
        let actions = standard(&findings, "participation");
        let alert =
            alert(Severity::Low, "participation field `hours` changed without a visible update");
        assert_eq!(actions, vec![Action::Reprocess, alert, Action::PushExternal]);
    }

    #[test]
    fn a_deletion_waits_for_the_host_and_a_long_alert_is_cut() {
        let held = standard(&[finding(FindingKind::DeletionCandidate)], "form");
        assert!(matches!(&held[..], [Action::Hold(_)]));
        let Action::Alert(long) = alert(Severity::High, &"é".repeat(600)) else { panic!() };
        assert_eq!(long.message.len(), 1_024);
    }
}
