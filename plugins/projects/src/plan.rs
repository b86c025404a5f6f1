//! The corrective actions proposed for a project's findings.

use vomo_plugin_sdk::plan::{alert, with_silent_alert};
use vomo_plugin_sdk::{Action, Finding, FindingKind, Severity};

use crate::SCHEDULE;

/// The standard plan: a missed or silent change is reprocessed, which sends the project with its
/// current dates downstream. A schedule that changed silently raises a low alert of its own
/// naming the dates, since removed dates take their sign-ups with them; other silent changes are
/// left to the host's alert for the run.
pub fn actions(findings: &[Finding]) -> Vec<Action> {
    with_silent_alert(findings, "project", |finding| match &finding.kind {
        FindingKind::SilentChange(drift) if drift.field == SCHEDULE => {
            let message = format!("project schedule changed silently: {}", finding.detail);
            Some(alert(Severity::Low, &message))
        }
        _ => None,
    })
}
