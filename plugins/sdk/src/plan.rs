//! The plan most resources want: reprocess what polling missed, push again what the external
//! system lost, wait for the host's detail fetch before a deletion.

use crate::{Action, Alert, Finding, FindingKind, Severity};

/// Proposes at most one action of each kind for the findings of one record of `noun`s.
///
/// A missed create or update, or a silent change, is reprocessed. A silent change raises no alert
/// of its own: the host raises one per run, counting the run's silent changes by field, so a
/// thousand users drifting at once are one alert and not a thousand. External drift or a missing
/// external copy is pushed again. A deletion candidate is held for the host to confirm with its
/// detail fetch.
pub fn standard(findings: &[Finding], noun: &str) -> Vec<Action> {
    with_silent_alert(findings, noun, |_| None)
}

/// [`standard`], with an alert of the plugin's own for a silent change where `silent` gives one
/// (a re-parented group deserves attention of its own).
pub fn with_silent_alert(
    findings: &[Finding],
    noun: &str,
    silent: impl Fn(&Finding) -> Option<Action>,
) -> Vec<Action> {
    let mut actions = Vec::new();
    for finding in findings {
        let action = match &finding.kind {
            FindingKind::MissedCreate | FindingKind::MissedUpdate => Action::Reprocess,
            FindingKind::SilentChange(_) => {
                add_once(&mut actions, Action::Reprocess);
                match silent(finding) {
                    Some(alert) => alert,
                    None => continue,
                }
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
    fn each_action_is_planned_once_and_a_silent_change_alerts_only_where_asked() {
        let drift =
            FieldDrift { field: "hours".into(), expected: Value::Null, actual: Value::Null };
        let findings = [
            finding(FindingKind::MissedCreate),
            finding(FindingKind::SilentChange(drift)),
            finding(FindingKind::MissingFromExternal),
        ];
        let actions = standard(&findings, "participation");
        assert_eq!(actions, vec![Action::Reprocess, Action::PushExternal]);

        let moved = alert(Severity::Medium, "hours moved");
        let asked = with_silent_alert(&findings, "participation", |_| Some(moved.clone()));
        assert_eq!(asked, vec![Action::Reprocess, moved, Action::PushExternal]);
    }

    #[test]
    fn a_deletion_waits_for_the_host_and_a_long_alert_is_cut() {
        let held = standard(&[finding(FindingKind::DeletionCandidate)], "form");
        assert!(matches!(&held[..], [Action::Hold(_)]));
        let Action::Alert(long) = alert(Severity::High, &"é".repeat(600)) else { panic!() };
        assert_eq!(long.message.len(), 1_024);
    }
}
