//! The rule plugin for VOMO users: what to compare, what a difference means, what to do about it.

mod classify;

use vomo_plugin_sdk::compare::{compare_sides, compared_fields};
use vomo_plugin_sdk::{Action, FieldRule, MissingVerdict, Rule, RuleError, TaskKind, host};
use vomo_plugin_sdk::{Cadence, Comparison, Description, DetailOutcome, Finding, Guest};

/// The plugin's version, reported by `describe`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The user fields compared, and how.
pub const FIELDS: &[FieldRule] = &[
    FieldRule::new("email", Rule::Caseless),
    FieldRule::new("first_name", Rule::Collapsed),
    FieldRule::new("last_name", Rule::Collapsed),
    FieldRule::new("phone", Rule::Digits),
    FieldRule::new("address", Rule::CollapsedCaseless),
    FieldRule::new("birthday", Rule::Date),
    FieldRule::new("gender", Rule::Caseless),
    FieldRule::new("user_status", Rule::Caseless),
    FieldRule::new("membership_status", Rule::Caseless),
    FieldRule::new("membership_role", Rule::Caseless),
];

/// The setting naming compared fields to leave out, comma-separated (`phone,address`).
pub const IGNORE_FIELDS: &str = "ignore-fields";

/// The `ignore-fields` setting. Settings never change during an instance's life, so inside the
/// sandbox it is read once rather than through a host call per record.
fn ignored_fields() -> std::borrow::Cow<'static, str> {
    #[cfg(target_arch = "wasm32")]
    {
        static IGNORED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        IGNORED.get_or_init(|| host::setting(IGNORE_FIELDS).unwrap_or_default()).as_str().into()
    }
    #[cfg(not(target_arch = "wasm32"))]
    host::setting(IGNORE_FIELDS).unwrap_or_default().into()
}

/// The plugin itself.
pub struct Users;

impl Guest for Users {
    fn describe() -> Description {
        let cadence = |task, schedule: &str| Cadence { task, schedule: schedule.to_owned() };
        Description {
            resource: "users".to_owned(),
            version: VERSION.to_owned(),
            compared_fields: compared_fields(FIELDS),
            cadences: vec![
                cadence(TaskKind::Incremental, "0 0 2 * * *"),
                cadence(TaskKind::Full, "0 0 3 * * SUN"),
                cadence(TaskKind::Audit, "0 0 4 * * SAT"),
            ],
        }
    }

    fn compare(sides: Comparison) -> Result<Vec<Finding>, RuleError> {
        let ignored = ignored_fields();
        if ignored.is_empty() {
            return Ok(compare_sides(FIELDS, &sides, &[]));
        }
        let ignored: Vec<&str> = ignored.split(',').map(str::trim).collect();
        Ok(compare_sides(FIELDS, &sides, &ignored))
    }

    fn plan(findings: Vec<Finding>) -> Result<Vec<Action>, RuleError> {
        Ok(vomo_plugin_sdk::plan::standard(&findings, "user"))
    }

    fn classify_missing(id: u64, outcome: DetailOutcome) -> Result<MissingVerdict, RuleError> {
        classify::verdict(id, &outcome)
    }
}

// Natively the exports are not needed, and their names would break the cdylib link.
#[cfg(target_arch = "wasm32")]
vomo_plugin_sdk::export_rule_plugin!(Users);

#[cfg(test)]
mod tests;
