//! Checks every value a plugin returns before the host acts on it.

use std::collections::HashSet;

use crate::bindings::{Action, ComparedField, Description, DetailOutcome, FieldKind, Finding};
use crate::bindings::{FindingKind, MissingVerdict, Value};

/// Most findings one `compare` may return.
pub const MAX_FINDINGS: usize = 64;
/// Most actions one `plan` may return.
pub const MAX_ACTIONS: usize = 16;
/// Longest human text (a detail, an alert, a reason).
pub const MAX_TEXT: usize = 1024;
/// Longest text inside a value.
pub const MAX_VALUE_TEXT: usize = 64 * 1024;
/// Most items in a list value.
pub const MAX_LIST: usize = 10_000;
/// Most compared fields one plugin may declare.
pub const MAX_FIELDS: usize = 256;
/// Longest name (a resource, a field, a version).
pub const MAX_NAME: usize = 128;
/// Most parts a `records` field may compare of each element.
pub const MAX_PARTS: usize = 16;

/// A description must name a resource and a version, and declare distinct, sane fields.
pub fn description(d: &Description) -> Result<(), String> {
    name("resource", &d.resource)?;
    if !d.resource.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(format!("resource `{}` is not lower-case letters and `_`", d.resource));
    }
    name("version", &d.version)?;
    if d.compared_fields.len() > MAX_FIELDS {
        return Err(format!("{} compared fields, more than {MAX_FIELDS}", d.compared_fields.len()));
    }
    let mut seen = HashSet::new();
    for field in &d.compared_fields {
        name("compared field", &field.name)?;
        text("rule", &field.rule)?;
        if !seen.insert(field.name.as_str()) {
            return Err(format!("compared field `{}` is declared twice", field.name));
        }
        parts(field)?;
    }
    for cadence in &d.cadences {
        cron::Schedule::try_from(cadence.schedule.as_str())
            .map_err(|e| format!("cadence `{}` is not a cron expression: {e}", cadence.schedule))?;
    }
    Ok(())
}

/// Findings must be few, short, and name only declared fields.
pub fn findings(d: &Description, findings: &[Finding]) -> Result<(), String> {
    if findings.len() > MAX_FINDINGS {
        return Err(format!("{} findings, more than {MAX_FINDINGS}", findings.len()));
    }
    for finding in findings {
        text("finding detail", &finding.detail)?;
        let drift = match &finding.kind {
            FindingKind::SilentChange(drift) | FindingKind::ExternalDrift(drift) => drift,
            _ => continue,
        };
        if !d.compared_fields.iter().any(|f| f.name == drift.field) {
            return Err(format!(
                "finding names field `{}`, which it does not compare",
                drift.field
            ));
        }
        value(&drift.expected).map_err(|reason| format!("field `{}`: {reason}", drift.field))?;
        value(&drift.actual).map_err(|reason| format!("field `{}`: {reason}", drift.field))?;
    }
    Ok(())
}

/// Actions must be few and their texts short, and a deletion may only answer a deletion
/// candidate: no other finding can justify removing a record downstream.
pub fn actions(findings: &[Finding], actions: &[Action]) -> Result<(), String> {
    if actions.len() > MAX_ACTIONS {
        return Err(format!("{} actions, more than {MAX_ACTIONS}", actions.len()));
    }
    let candidate = findings.iter().any(|f| f.kind == FindingKind::DeletionCandidate);
    if !candidate && actions.contains(&Action::MarkDeleted) {
        return Err("planned `mark-deleted` without a deletion candidate".to_owned());
    }
    for action in actions {
        match action {
            Action::Alert(alert) => text("alert message", &alert.message)?,
            Action::Hold(why) => text("hold reason", why)?,
            Action::Ignore(why) => text("ignore reason", why)?,
            Action::Reprocess | Action::MarkDeleted | Action::PushExternal => {}
        }
    }
    Ok(())
}

/// Only a record VOMO no longer returns may be judged deleted.
pub fn verdict(outcome: &DetailOutcome, verdict: &MissingVerdict) -> Result<(), String> {
    match (outcome, verdict) {
        (DetailOutcome::Gone, _) | (_, MissingVerdict::ScopeChange(_)) => Ok(()),
        (DetailOutcome::Present(_), MissingVerdict::Deleted) => {
            Err("judged a record VOMO still returns (200) as deleted".to_owned())
        }
        (DetailOutcome::Forbidden, MissingVerdict::Deleted) => {
            Err("judged a record VOMO refuses to show (403) as deleted".to_owned())
        }
    }
}

/// A `records` field names the parts it compares, distinct, at most 16; no other kind has any.
fn parts(field: &ComparedField) -> Result<(), String> {
    let named = &field.name;
    if field.kind != FieldKind::Records {
        if !field.parts.is_empty() {
            return Err(format!("compared field `{named}` names parts but is not `records`"));
        }
        return Ok(());
    }
    if field.parts.is_empty() || field.parts.len() > MAX_PARTS {
        let count = field.parts.len();
        return Err(format!("`records` field `{named}` names {count} parts, not 1 to {MAX_PARTS}"));
    }
    let mut seen = HashSet::new();
    for part in &field.parts {
        name(&format!("part of `{named}`"), part)?;
        if part == "id" {
            return Err(format!("`records` field `{named}` names part `id`, which is always read"));
        }
        if !seen.insert(part.as_str()) {
            return Err(format!("`records` field `{named}` names part `{part}` twice"));
        }
    }
    Ok(())
}

fn name(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > MAX_NAME {
        return Err(format!("{what} `{}` is empty or longer than {MAX_NAME} bytes", clip(value)));
    }
    Ok(())
}

fn text(what: &str, value: &str) -> Result<(), String> {
    if value.len() > MAX_TEXT {
        return Err(format!("{what} of {} bytes, longer than {MAX_TEXT}", value.len()));
    }
    Ok(())
}

fn value(value: &Value) -> Result<(), String> {
    let too_long = |len: usize| format!("value text of {len} bytes, longer than {MAX_VALUE_TEXT}");
    match value {
        Value::Text(t) if t.len() > MAX_VALUE_TEXT => Err(too_long(t.len())),
        Value::TextList(items) if items.len() > MAX_LIST => {
            Err(format!("{} list items", items.len()))
        }
        Value::TextList(items) => match items.iter().find(|t| t.len() > MAX_VALUE_TEXT) {
            Some(t) => Err(too_long(t.len())),
            None => Ok(()),
        },
        Value::IntegerList(items) if items.len() > MAX_LIST => {
            Err(format!("{} list items", items.len()))
        }
        Value::Records(items) if items.len() > MAX_LIST => {
            Err(format!("{} list items", items.len()))
        }
        Value::Records(items) if items.iter().any(|item| item.parts.len() > MAX_PARTS) => {
            Err(format!("an item of more than {MAX_PARTS} parts"))
        }
        Value::Records(items) => {
            match items
                .iter()
                .flat_map(|item| item.parts.iter().flatten())
                .find(|t| t.len() > MAX_VALUE_TEXT)
            {
                Some(t) => Err(too_long(t.len())),
                None => Ok(()),
            }
        }
        Value::Elided => Err("a drift value is `elided`, which only the host may send".to_owned()),
        _ => Ok(()),
    }
}

/// The start of a long text, for error messages.
fn clip(value: &str) -> &str {
    let mut end = value.len().min(40);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::{Alert, ComparedField, FieldDrift, Severity};

    fn users() -> Description {
        Description {
            resource: "users".into(),
            version: "1.0.0".into(),
            compared_fields: vec![ComparedField {
                name: "email".into(),
                kind: crate::bindings::FieldKind::Text,
                rule: "exact".into(),
                parts: Vec::new(),
            }],
            cadences: Vec::new(),
        }
    }

    fn drift(field: &str, kind: fn(FieldDrift) -> FindingKind) -> Finding {
        let drift = FieldDrift { field: field.into(), expected: Value::Null, actual: Value::Null };
        Finding { kind: kind(drift), severity: Severity::Low, detail: String::new() }
    }

    #[test]
    fn findings_may_only_name_compared_fields() {
        assert!(findings(&users(), &[drift("email", FindingKind::SilentChange)]).is_ok());
        let error = findings(&users(), &[drift("password", FindingKind::ExternalDrift)]);
        assert!(error.expect_err("foreign field").contains("`password`"));
    }

    #[test]
    fn a_drift_may_not_claim_an_elided_value() {
        let mut elided = drift("email", FindingKind::SilentChange);
        if let FindingKind::SilentChange(drift) = &mut elided.kind {
            drift.actual = Value::Elided;
        }
        let error = findings(&users(), &[elided]).expect_err("elided is the host's word");
        assert!(error.contains("`elided`"), "{error}");
    }

    #[test]
    fn too_many_actions_or_long_texts_are_refused() {
        assert!(actions(&[], &vec![Action::Reprocess; MAX_ACTIONS]).is_ok());
        assert!(actions(&[], &vec![Action::Reprocess; MAX_ACTIONS + 1]).is_err());
        let long = Action::Alert(Alert { severity: Severity::High, message: "x".repeat(2000) });
        assert!(actions(&[], &[long]).is_err());
    }

    #[test]
    fn a_deletion_needs_a_deletion_candidate() {
        let finding = |kind| Finding { kind, severity: Severity::Low, detail: String::new() };
        let update = [finding(FindingKind::MissedUpdate)];
        assert!(actions(&update, &[Action::MarkDeleted]).expect_err("refused").contains("mark"));
        let candidate = [finding(FindingKind::DeletionCandidate)];
        assert!(actions(&candidate, &[Action::MarkDeleted]).is_ok());
    }

    #[test]
    fn description_needs_distinct_fields_and_valid_cadences() {
        let mut d = users();
        d.compared_fields.push(d.compared_fields[0].clone());
        assert!(description(&d).expect_err("twice").contains("twice"));

        let mut d = users();
        d.cadences.push(crate::bindings::Cadence {
            task: crate::bindings::TaskKind::Full,
            schedule: "daily".into(),
        });
        assert!(description(&d).expect_err("bad cron").contains("`daily`"));
        d.cadences[0].schedule = "0 0 3 * * SUN".into();
        assert!(description(&d).is_ok());
    }

    #[test]
    fn only_a_records_field_names_parts_and_it_must_name_some() {
        let field = |kind, parts: &[&str]| ComparedField {
            name: "all_dates".into(),
            kind,
            rule: "by id".into(),
            parts: parts.iter().map(|p| (*p).to_owned()).collect(),
        };
        let with = |field| Description { compared_fields: vec![field], ..users() };
        assert!(description(&with(field(FieldKind::Records, &["starts_at"]))).is_ok());
        let none = description(&with(field(FieldKind::Records, &[]))).expect_err("no parts");
        assert!(none.contains("`all_dates` names 0 parts"), "{none}");
        let id = description(&with(field(FieldKind::Records, &["id"]))).expect_err("id");
        assert!(id.contains("part `id`"), "{id}");
        let stray = description(&with(field(FieldKind::Text, &["x"]))).expect_err("not records");
        assert!(stray.contains("is not `records`"), "{stray}");
    }

    #[test]
    fn a_present_record_is_never_deleted() {
        let present = DetailOutcome::Present(crate::bindings::Entity {
            id: 1,
            updated_at: None,
            values: Vec::new(),
        });
        assert!(verdict(&present, &MissingVerdict::Deleted).is_err());
        assert!(verdict(&DetailOutcome::Forbidden, &MissingVerdict::Deleted).is_err());
        assert!(verdict(&DetailOutcome::Gone, &MissingVerdict::Deleted).is_ok());
    }
}
