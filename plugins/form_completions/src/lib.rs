//! The rule plugin for VOMO form completions: who completed which form, and their answers.
//!
//! VOMO lists completions per form; the host walks every form the listing shows, so a
//! completion polling missed is found by the daily incremental pass over each form.

use vomo_plugin_sdk::TaskKind;
use vomo_plugin_sdk::classify;
use vomo_plugin_sdk::compare::{compare_sides, compared_fields};
use vomo_plugin_sdk::{Action, Cadence, Comparison, Description, DetailOutcome, FieldKind};
use vomo_plugin_sdk::{FieldRule, Finding, Guest, MissingVerdict, Rule, RuleError};

/// The plugin's version, reported by `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The completion fields compared, and how; each answer by its form field.
pub const FIELDS: &[FieldRule] = &[
    FieldRule::typed("user_id", FieldKind::Integer, Rule::Exact),
    FieldRule::typed("project_id", FieldKind::Integer, Rule::Exact),
    FieldRule::typed("participation_id", FieldKind::Integer, Rule::Exact),
    FieldRule::records("field_responses", &["field_id", "value"]),
];

/// The plugin itself.
pub struct FormCompletions;

impl Guest for FormCompletions {
    fn describe() -> Description {
        let cadence = |task, schedule: &str| Cadence { task, schedule: schedule.to_owned() };
        Description {
            resource: "form_completions".to_owned(),
            version: VERSION.to_owned(),
            compared_fields: compared_fields(FIELDS),
            cadences: vec![cadence(TaskKind::Incremental, "0 30 1 * * *")],
        }
    }

    fn compare(sides: Comparison) -> Result<Vec<Finding>, RuleError> {
        Ok(compare_sides(FIELDS, &sides, &[]))
    }

    fn plan(findings: Vec<Finding>) -> Result<Vec<Action>, RuleError> {
        Ok(vomo_plugin_sdk::plan::standard(&findings, "form completion"))
    }

    fn classify_missing(id: u64, outcome: DetailOutcome) -> Result<MissingVerdict, RuleError> {
        classify::standard("completion", id, &outcome, classify::unexplained)
    }
}

// Natively the exports are not needed, and their names would break the cdylib link.
#[cfg(target_arch = "wasm32")]
vomo_plugin_sdk::export_rule_plugin!(FormCompletions);
