//! The processing path polling and reprocessing share: push a record to the external system,
//! then record it in partner state; a failed push goes to the dead-letter queue instead.

use crate::external::{ExternalClient, PushOutcome};
use crate::store::{Micros, PartnerRow, Store, StoreError};
use crate::vomo::{RecordSchema, VomoRecord};

use super::snapshot::{fingerprint, snapshot_json};

/// Where one customer's records of one resource go.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub customer: &'a str,
    pub resource: &'a str,
    /// The plugin's compared fields: what partner state keeps of each record.
    pub schema: &'a RecordSchema,
    pub store: &'a Store,
    pub external: &'a ExternalClient,
}

/// What processing a batch did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessReport {
    /// Ids pushed and recorded, with their `updated_at`.
    pub processed: Vec<(u64, Option<Micros>)>,
    /// Ids whose push failed, with their `updated_at` and why.
    pub failed: Vec<(u64, Option<Micros>, String)>,
}

/// Processes `records`: each is pushed, and the ones pushed are recorded in partner state in one
/// transaction. Partner state is written only after the external system took the record, so a
/// crash in between leaves the record to be processed again, never lost.
pub async fn process(
    target: &Target<'_>,
    records: &[VomoRecord],
    now: Micros,
) -> Result<ProcessReport, StoreError> {
    let mut report = ProcessReport::default();
    let mut rows = Vec::with_capacity(records.len());
    for record in records {
        let updated_at = record.updated_at.map(|at| at.timestamp_micros());
        let pushed = match target.external.upsert(target.resource, record.id, record.raw()).await {
            Ok(PushOutcome::Applied) => Ok(()),
            // Accepted for later is not applied: recording it would hide a write that can still
            // fail. It is retried until the system applies it at once.
            Ok(PushOutcome::Pending { push_id }) => {
                Err(format!("the external system queued push `{push_id}` instead of applying it"))
            }
            Err(error) => Err(error.to_string()),
        };
        match pushed {
            Ok(()) => {
                report.processed.push((record.id, updated_at));
                rows.push(partner_row(target, record, updated_at.unwrap_or(0), now));
            }
            Err(reason) => {
                tracing::info!(customer = target.customer, resource = target.resource,
                    id = record.id, %reason, "push failed, record sent to the dead-letter queue");
                target
                    .store
                    .add_dead_letter(target.customer, target.resource, record.id, &reason, now)
                    .await?;
                report.failed.push((record.id, updated_at, reason));
            }
        }
    }
    target.store.upsert_partner_states(&rows).await?;
    let done: Vec<u64> = report.processed.iter().map(|(id, _)| *id).collect();
    target.store.resolve_dead_letters(target.customer, target.resource, &done, now).await?;
    Ok(report)
}

pub(super) fn partner_row(
    target: &Target<'_>,
    record: &VomoRecord,
    updated_at: Micros,
    now: Micros,
) -> PartnerRow {
    PartnerRow {
        customer: target.customer.to_owned(),
        resource: target.resource.to_owned(),
        id: record.id,
        parent: record.parent,
        updated_at,
        fingerprint: fingerprint(target.schema, &record.values),
        fields: snapshot_json(target.schema, &record.values),
        processed_at: now,
        deleted_at: None,
    }
}
