//! Corrective actions as journal entries: a deterministic idempotency key, and the payload that
//! executing the action needs, written before anything is sent.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::bindings::Action;
use crate::store::{ActionState, JournalEntry, RunId};

use super::context::RunContext;
use super::detect::Detected;
use super::snapshot::fingerprint;

/// What executing one action needs, stored as the entry's JSON payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Payload {
    /// VOMO's record as read, for reprocessing and pushes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Box<RawValue>>,
    /// The record VOMO lists it below, for a nested resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u64>,
    /// For a deletion: whether a detail fetch already confirmed it.
    #[serde(default)]
    pub confirmed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One action a run plans, as a dry run lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedAction {
    pub record_id: u64,
    /// `reprocess`, `mark_deleted`, `push_external` or `alert`.
    pub action: String,
    /// What was found: the findings' kinds, or the alert's message.
    pub because: String,
}

/// The journal's name of an action; none for the ones that change nothing (hold, ignore).
pub fn action_name(action: &Action) -> Option<&'static str> {
    match action {
        Action::Reprocess => Some("reprocess"),
        Action::MarkDeleted => Some("mark_deleted"),
        Action::PushExternal => Some("push_external"),
        Action::Alert(_) => Some("alert"),
        Action::Hold(_) | Action::Ignore(_) => None,
    }
}

/// The idempotency key of an action: the same action, for the same version of the same record,
/// detected on the same day (UTC), always has the same key. A run repeated after a crash journals
/// nothing twice; a gap that comes back on a later day is a new action.
pub fn idempotency_key(
    customer: &str,
    resource: &str,
    id: u64,
    action: &str,
    version: &str,
    day: NaiveDate,
) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in [customer, resource, &id.to_string(), action, version, &day.to_string()] {
        hasher.update(&(part.len() as u64).to_le_bytes()).update(part.as_bytes());
    }
    let hex = hasher.finalize().to_hex();
    format!("act_{}", &hex[..32])
}

/// The journal entries for what a run detected, in state `state` (pending, or held by the
/// breaker), with the list a dry run prints.
pub fn entries(
    ctx: &RunContext<'_>,
    run: RunId,
    detected: &[Detected],
    state: ActionState,
) -> (Vec<JournalEntry>, Vec<PlannedAction>) {
    let mut entries = Vec::new();
    let mut planned = Vec::new();
    let day = ctx.now.date_naive();
    for item in detected {
        let because = because(item);
        for action in &item.actions {
            let Some(name) = action_name(action) else { continue };
            let (version, payload) = version_and_payload(ctx, item, action);
            let key = idempotency_key(
                ctx.target.customer,
                ctx.target.resource,
                item.id,
                name,
                &version,
                day,
            );
            let because = match action {
                Action::Alert(alert) => alert.message.clone(),
                _ => because.clone(),
            };
            planned.push(PlannedAction { record_id: item.id, action: name.to_owned(), because });
            entries.push(JournalEntry {
                key,
                run_id: run,
                customer: ctx.target.customer.to_owned(),
                resource: ctx.target.resource.to_owned(),
                record_id: item.id,
                action: name.to_owned(),
                payload: serde_json::to_string(&payload).unwrap_or_default(),
                state,
                attempts: 0,
            });
        }
    }
    (entries, planned)
}

fn version_and_payload(
    ctx: &RunContext<'_>,
    item: &Detected,
    action: &Action,
) -> (String, Payload) {
    let record_version = || match &item.record {
        Some(record) => {
            let at = record.updated_at.map_or(0, |at| at.timestamp_micros());
            let print = fingerprint(ctx.target.schema, &record.values);
            let hex: String = print.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("{at}:{hex}")
        }
        None => "none".to_owned(),
    };
    match action {
        Action::Alert(alert) => {
            let payload = Payload {
                severity: Some(super::findings::severity(alert.severity).to_owned()),
                message: Some(alert.message.clone()),
                ..Payload::default()
            };
            (alert.message.clone(), payload)
        }
        Action::MarkDeleted => {
            ("deleted".to_owned(), Payload { confirmed: item.confirmed, ..Payload::default() })
        }
        _ => {
            let record = item.record.as_ref().map(|r| r.raw().to_owned());
            let parent = item.record.as_ref().and_then(|r| r.parent);
            (record_version(), Payload { record, parent, ..Payload::default() })
        }
    }
}

/// The findings' kinds, for people.
fn because(item: &Detected) -> String {
    let kinds: Vec<String> = item.findings.iter().map(super::findings::kind_name).collect();
    kinds.join(", ")
}
