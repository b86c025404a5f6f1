//! The corrective actions proposed for a group's findings.

use vomo_plugin_sdk::plan::{alert, with_silent_alert};
use vomo_plugin_sdk::{Action, Finding, FindingKind, Severity};

use crate::{MEMBERS, PARENT};

/// The standard plan: any missed or silent change is reprocessed, which sends the group with its
/// current members downstream. A silent re-parenting raises a medium alert (it moves the group's
/// whole subtree in the customer's system); silent membership changes raise a low one naming the
/// members.
pub fn actions(findings: &[Finding]) -> Vec<Action> {
    with_silent_alert(findings, "group", |finding| match &finding.kind {
        FindingKind::SilentChange(drift) if drift.field == PARENT => {
            alert(Severity::Medium, "group re-parented silently")
        }
        FindingKind::SilentChange(drift) if drift.field == MEMBERS => {
            alert(Severity::Low, &format!("group {}", finding.detail))
        }
        _ => alert(Severity::Low, "group changed silently"),
    })
}
