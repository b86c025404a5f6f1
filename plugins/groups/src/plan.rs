//! The corrective actions proposed for a group's findings.

use vomo_plugin_sdk::plan::{alert, with_silent_alert};
use vomo_plugin_sdk::{Action, Finding, FindingKind, Severity};

use crate::{MEMBERS, PARENT};

/// The standard plan: any missed or silent change is reprocessed, which sends the group with its
/// current members downstream. A silent re-parenting raises a medium alert of its own (it moves
/// the group's whole subtree in the customer's system) and silent membership changes a low one
/// naming the members; other silent changes are left to the host's alert for the run.
pub fn actions(findings: &[Finding]) -> Vec<Action> {
    with_silent_alert(findings, "group", |finding| match &finding.kind {
        FindingKind::SilentChange(drift) if drift.field == PARENT => {
            Some(alert(Severity::Medium, "group re-parented silently"))
        }
        FindingKind::SilentChange(drift) if drift.field == MEMBERS => {
            Some(alert(Severity::Low, &format!("group {}", finding.detail)))
        }
        _ => None,
    })
}
