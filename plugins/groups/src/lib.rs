//! The rule plugin for VOMO groups: name, description, the parent and the members.
//!
//! A group's members are not in its listing: the host lists `/groups/{id}/members` for every
//! group it reads, and membership changes never move a group's `updated_at`, so only a pass that
//! reads the members sees them. Admins delete groups often, so the full scan runs daily.

mod plan;

use vomo_plugin_sdk::classify;
use vomo_plugin_sdk::compare::{compare_sides, compared_fields};
use vomo_plugin_sdk::{Action, Cadence, Comparison, Description, DetailOutcome, FieldKind};
use vomo_plugin_sdk::{FieldRule, Finding, FindingKind, Guest, MissingVerdict, Rule, RuleError};
use vomo_plugin_sdk::{TaskKind, Value};

/// The plugin's version, reported by `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The field holding the ids of the group's members.
pub const MEMBERS: &str = "members";
/// The field naming the group's parent; a change re-parents the group.
pub const PARENT: &str = "parent_id";

/// The group fields compared, and how.
pub const FIELDS: &[FieldRule] = &[
    FieldRule::new("name", Rule::Collapsed),
    FieldRule::new("description", Rule::Collapsed),
    FieldRule::typed(PARENT, FieldKind::Integer, Rule::Exact),
    FieldRule::typed(MEMBERS, FieldKind::IntegerList, Rule::Set),
];

/// The plugin itself.
pub struct Groups;

impl Guest for Groups {
    fn describe() -> Description {
        let cadence = |task, schedule: &str| Cadence { task, schedule: schedule.to_owned() };
        Description {
            resource: "groups".to_owned(),
            version: VERSION.to_owned(),
            compared_fields: compared_fields(FIELDS),
            cadences: vec![
                cadence(TaskKind::Incremental, "0 45 1 * * *"),
                cadence(TaskKind::Full, "0 45 2 * * *"),
            ],
        }
    }

    fn compare(sides: Comparison) -> Result<Vec<Finding>, RuleError> {
        let mut findings = compare_sides(FIELDS, &sides, &[]);
        findings.iter_mut().for_each(explain);
        Ok(findings)
    }

    fn plan(findings: Vec<Finding>) -> Result<Vec<Action>, RuleError> {
        Ok(plan::actions(&findings))
    }

    fn classify_missing(id: u64, outcome: DetailOutcome) -> Result<MissingVerdict, RuleError> {
        classify::standard("group", id, &outcome, classify::unexplained)
    }
}

/// Says which members a membership drift added or removed.
fn explain(finding: &mut Finding) {
    let drift = match &finding.kind {
        FindingKind::SilentChange(drift) | FindingKind::ExternalDrift(drift) => drift,
        _ => return,
    };
    let (Value::IntegerList(expected), Value::IntegerList(actual)) =
        (&drift.expected, &drift.actual)
    else {
        return;
    };
    let only = |these: &[i64], those: &[i64]| -> Vec<String> {
        let mut ids: Vec<i64> = these.iter().filter(|id| !those.contains(id)).copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids.iter().map(i64::to_string).collect()
    };
    let (added, removed) = (only(expected, actual), only(actual, expected));
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("{} added ({})", added.len(), added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("{} removed ({})", removed.len(), removed.join(", ")));
    }
    let detail = format!("members: {}", parts.join("; "));
    finding.detail = detail.chars().take(1_000).collect();
}

// Natively the exports are not needed, and their names would break the cdylib link.
#[cfg(target_arch = "wasm32")]
vomo_plugin_sdk::export_rule_plugin!(Groups);

#[cfg(test)]
mod tests;
