//! Findings as the audit trail stores them: a kind, the drifted field with both values as text.

use crate::bindings::{Finding, FindingKind, Severity, Value};
use crate::store::FindingRow;

use super::detect::Detected;

/// The stored name of a finding's kind.
pub fn kind_name(finding: &Finding) -> String {
    let name = match finding.kind {
        FindingKind::MissedCreate => "missed_create",
        FindingKind::MissedUpdate => "missed_update",
        FindingKind::SilentChange(_) => "silent_change",
        FindingKind::DeletionCandidate => "deletion_candidate",
        FindingKind::MissingFromExternal => "missing_from_external",
        FindingKind::ExternalDrift(_) => "external_drift",
        FindingKind::UnknownToPartner => "unknown_to_partner",
    };
    name.to_owned()
}

/// The rows one detected record adds to the run's findings; a plugin failure is a row too.
pub fn rows(resource: &str, detected: &Detected) -> Vec<FindingRow> {
    let mut rows: Vec<FindingRow> = detected
        .findings
        .iter()
        .map(|finding| {
            let drift = match &finding.kind {
                FindingKind::SilentChange(d) | FindingKind::ExternalDrift(d) => Some(d),
                _ => None,
            };
            FindingRow {
                resource: resource.to_owned(),
                record_id: detected.id,
                kind: kind_name(finding),
                field: drift.map(|d| d.field.clone()),
                expected: drift.map(|d| text(&d.expected)),
                actual: drift.map(|d| text(&d.actual)),
                severity: severity(finding.severity).to_owned(),
                detail: finding.detail.clone(),
            }
        })
        .collect();
    if let Some(reason) = &detected.failure {
        rows.push(FindingRow {
            resource: resource.to_owned(),
            record_id: detected.id,
            kind: "plugin_failure".to_owned(),
            field: None,
            expected: None,
            actual: None,
            severity: "high".to_owned(),
            detail: reason.clone(),
        });
    }
    rows
}

pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

/// A value as people read it.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Text(t) => t.clone(),
        Value::TextList(items) => items.join(", "),
        Value::IntegerList(items) => {
            items.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
        }
        Value::Records(items) => items
            .iter()
            .map(|item| {
                let parts: Vec<&str> =
                    item.parts.iter().map(|part| part.as_deref().unwrap_or("null")).collect();
                format!("{} ({})", item.id, parts.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Elided => "(not sent)".to_owned(),
    }
}
