//! The rule plugin for VOMO participations: who signed up for a project date, and their hours.
//!
//! Participations have no endpoint of their own and no `updated_at`: the host reads each recent
//! date's participants from the date itself and compares them with the participants partner
//! state knows for that date. A participant the date no longer shows has cancelled.

use vomo_plugin_sdk::TaskKind;
use vomo_plugin_sdk::classify;
use vomo_plugin_sdk::compare::{compare_sides, compared_fields};
use vomo_plugin_sdk::{Action, Cadence, Comparison, Description, DetailOutcome, FieldKind};
use vomo_plugin_sdk::{FieldRule, Finding, Guest, MissingVerdict, Rule, RuleError};

/// The plugin's version, reported by `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The participation fields compared, and how.
pub const FIELDS: &[FieldRule] = &[
    FieldRule::typed("user_id", FieldKind::Integer, Rule::Exact),
    FieldRule::new("role", Rule::Caseless),
    FieldRule::typed("guests", FieldKind::Integer, Rule::Exact),
    FieldRule::new("checked_in_at", Rule::Exact),
    FieldRule::new("checked_out_at", Rule::Exact),
    FieldRule::typed("hours", FieldKind::Decimal, Rule::Exact),
    FieldRule::typed("verified", FieldKind::Flag, Rule::Exact),
];

/// The plugin itself.
pub struct Participations;

impl Guest for Participations {
    fn describe() -> Description {
        let cadence = |task, schedule: &str| Cadence { task, schedule: schedule.to_owned() };
        Description {
            resource: "participations".to_owned(),
            version: VERSION.to_owned(),
            compared_fields: compared_fields(FIELDS),
            cadences: vec![cadence(TaskKind::Full, "0 10 */4 * * *")],
        }
    }

    fn compare(sides: Comparison) -> Result<Vec<Finding>, RuleError> {
        Ok(compare_sides(FIELDS, &sides, &[]))
    }

    fn plan(findings: Vec<Finding>) -> Result<Vec<Action>, RuleError> {
        Ok(vomo_plugin_sdk::plan::standard(&findings, "participation"))
    }

    /// The host asks only after reading the participant's date: gone means cancelled.
    fn classify_missing(id: u64, outcome: DetailOutcome) -> Result<MissingVerdict, RuleError> {
        classify::standard("participation", id, &outcome, classify::unexplained)
    }
}

// Natively the exports are not needed, and their names would break the cdylib link.
#[cfg(target_arch = "wasm32")]
vomo_plugin_sdk::export_rule_plugin!(Participations);
