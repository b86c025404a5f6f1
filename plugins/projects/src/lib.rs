//! The rule plugin for VOMO projects: metadata, owners and the schedule of dates.
//!
//! A project's dates are not in its listing: the host reads `all_dates` from each project's
//! detail, so a full scan notices a date added, removed or moved behind the integration's back,
//! which never moves the project's `updated_at`.

mod plan;

use vomo_plugin_sdk::compare::{compare_sides, compared_fields};
use vomo_plugin_sdk::{Action, Cadence, Comparison, Description, DetailOutcome, FieldKind};
use vomo_plugin_sdk::{Entity, Rule, RuleError, ScopeReason, TaskKind, Value, classify, record};
use vomo_plugin_sdk::{FieldRule, Finding, FindingKind, Guest, ItemChanges, MissingVerdict};

/// The plugin's version, reported by `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The project fields compared, and how. `address` is an object, compared as canonical JSON.
pub const FIELDS: &[FieldRule] = &[
    FieldRule::new("name", Rule::Collapsed),
    FieldRule::new("description", Rule::Collapsed),
    FieldRule::new("address", Rule::Exact),
    FieldRule::typed("allow_guests", FieldKind::Flag, Rule::Exact),
    FieldRule::typed("age_limit", FieldKind::Integer, Rule::Exact),
    FieldRule::new("privacy", Rule::Caseless),
    FieldRule::typed("draft", FieldKind::Flag, Rule::Exact),
    FieldRule::typed("anytime", FieldKind::Flag, Rule::Exact),
    FieldRule::records("owners", &["user_id", "is_primary_owner"]),
    FieldRule::records(SCHEDULE, &["starts_at", "ends_at"]),
];

/// The field holding the project's dates.
pub const SCHEDULE: &str = "all_dates";

/// The plugin itself.
pub struct Projects;

impl Guest for Projects {
    fn describe() -> Description {
        let cadence = |task, schedule: &str| Cadence { task, schedule: schedule.to_owned() };
        Description {
            resource: "projects".to_owned(),
            version: VERSION.to_owned(),
            compared_fields: compared_fields(FIELDS),
            cadences: vec![
                cadence(TaskKind::Incremental, "0 15 2 * * *"),
                cadence(TaskKind::Full, "0 15 3 * * SUN"),
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
        classify::standard("project", id, &outcome, draft_reason)
    }
}

/// A draft project that left the listing was unpublished, not deleted.
fn draft_reason(project: &Entity) -> ScopeReason {
    match record::value(&project.values, FIELDS, "draft") {
        Some(Value::Boolean(true)) => ScopeReason::SoftDeleted,
        _ => ScopeReason::Unexplained,
    }
}

/// Says which dates or owners a drift of a list of records added, removed or changed.
fn explain(finding: &mut Finding) {
    let drift = match &finding.kind {
        FindingKind::SilentChange(drift) | FindingKind::ExternalDrift(drift) => drift,
        _ => return,
    };
    let changes = ItemChanges::between(&drift.expected, &drift.actual);
    if !changes.is_empty() {
        let noun = if drift.field == SCHEDULE { "dates" } else { "owners" };
        finding.detail = format!("{noun}: {}", changes.describe());
    }
}

// Natively the exports are not needed, and their names would break the cdylib link.
#[cfg(target_arch = "wasm32")]
vomo_plugin_sdk::export_rule_plugin!(Projects);

#[cfg(test)]
mod tests;
