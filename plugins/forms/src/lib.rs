//! The rule plugin for VOMO forms: the structure of each form template.
//!
//! Completions are a resource of their own (`form_completions`), listed below each form.

use vomo_plugin_sdk::classify;
use vomo_plugin_sdk::compare::{compare_sides, compared_fields};
use vomo_plugin_sdk::{Action, Cadence, Comparison, Description, DetailOutcome, FieldRule};
use vomo_plugin_sdk::{Finding, Guest, MissingVerdict, Rule, RuleError, TaskKind};

/// The plugin's version, reported by `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The form fields compared, and how.
pub const FIELDS: &[FieldRule] = &[
    FieldRule::new("name", Rule::Collapsed),
    FieldRule::new("description", Rule::Collapsed),
    FieldRule::new("form_type", Rule::Caseless),
    FieldRule::new("slug", Rule::Exact),
];

/// The plugin itself.
pub struct Forms;

impl Guest for Forms {
    fn describe() -> Description {
        let cadence = |task, schedule: &str| Cadence { task, schedule: schedule.to_owned() };
        Description {
            resource: "forms".to_owned(),
            version: VERSION.to_owned(),
            compared_fields: compared_fields(FIELDS),
            cadences: vec![
                cadence(TaskKind::Incremental, "0 0 5 * * MON"),
                cadence(TaskKind::Full, "0 0 5 1 * *"),
            ],
        }
    }

    fn compare(sides: Comparison) -> Result<Vec<Finding>, RuleError> {
        Ok(compare_sides(FIELDS, &sides, &[]))
    }

    fn plan(findings: Vec<Finding>) -> Result<Vec<Action>, RuleError> {
        Ok(vomo_plugin_sdk::plan::standard(&findings, "form"))
    }

    fn classify_missing(id: u64, outcome: DetailOutcome) -> Result<MissingVerdict, RuleError> {
        classify::standard("form", id, &outcome, classify::unexplained)
    }
}

// Natively the exports are not needed, and their names would break the cdylib link.
#[cfg(target_arch = "wasm32")]
vomo_plugin_sdk::export_rule_plugin!(Forms);
