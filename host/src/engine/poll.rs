//! Polling: the foundation reconciliation complements. A backfill from the epoch, then
//! `updated_after` from a durable checkpoint that only ever advances to what was processed.

use std::collections::HashMap;

use crate::store::{Micros, StoreError, now_micros};
use crate::throttle::Priority;
use crate::vomo::{ListQuery, VomoClient, VomoError, VomoRecord};

use super::process::{Target, process};
use super::snapshot::fingerprint;

/// What one polling cycle did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollReport {
    pub pages: u32,
    /// Records listed.
    pub seen: usize,
    /// Records pushed and recorded.
    pub processed: usize,
    /// Records listed again with nothing new (the inclusive boundary, or an unchanged record).
    pub unchanged: usize,
    /// Records whose push failed and went to the dead-letter queue.
    pub failed: usize,
    /// The checkpoint after the cycle.
    pub checkpoint: Option<Micros>,
}

/// Why a polling cycle stopped.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Vomo(#[from] VomoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs one polling cycle of a customer's resource.
///
/// The checkpoint advances, after the whole listing was read, to the highest `updated_at`
/// processed, but never past a record whose processing failed: `updated_after` is inclusive, so
/// a checkpoint equal to a failed record's `updated_at` lists it again next cycle. A listing that
/// breaks off leaves the checkpoint where it was, since records are listed by id, not by time.
pub async fn poll(target: &Target<'_>, vomo: &VomoClient) -> Result<PollReport, PollError> {
    let (customer, resource) = (target.customer, target.resource);
    let checkpoint = target.store.checkpoint(customer, resource).await?;
    let query = ListQuery {
        updated_after: checkpoint.and_then(chrono::DateTime::from_timestamp_micros),
        ..ListQuery::default()
    };
    let mut listing = vomo.list(resource, &query, Priority::Polling, target.schema);
    let mut report = PollReport { checkpoint, ..PollReport::default() };
    let mut highest: Option<Micros> = None;
    let mut lowest_failed: Option<Micros> = None;

    while let Some(page) = listing.next_page().await? {
        report.pages += 1;
        let listed = page.records.len();
        let changed = changed_records(target, page.records).await?;
        report.seen += listed;
        report.unchanged += listed - changed.len();
        let done = process(target, &changed, now_micros()).await?;
        report.processed += done.processed.len();
        report.failed += done.failed.len();
        highest = done.processed.iter().filter_map(|(_, at)| *at).chain(highest).max();
        lowest_failed = done.failed.iter().filter_map(|(_, at, _)| *at).chain(lowest_failed).min();
    }

    let advance_to = match (highest, lowest_failed) {
        (Some(high), Some(low)) => Some(high.min(low)),
        (high, None) => high,
        (None, Some(_)) => None,
    };
    if let Some(at) = advance_to {
        target.store.advance_checkpoint(customer, resource, at, now_micros()).await?;
    }
    report.checkpoint = target.store.checkpoint(customer, resource).await?;
    tracing::info!(
        customer,
        resource,
        pages = report.pages,
        processed = report.processed,
        failed = report.failed,
        "polled"
    );
    Ok(report)
}

/// Drops the records partner state already holds at the same `updated_at` and fingerprint.
async fn changed_records(
    target: &Target<'_>,
    records: Vec<VomoRecord>,
) -> Result<Vec<VomoRecord>, StoreError> {
    let ids: Vec<u64> = records.iter().map(|r| r.id).collect();
    let known = target.store.partner_states(target.customer, target.resource, &ids).await?;
    let known: HashMap<u64, _> = known.into_iter().map(|row| (row.id, row)).collect();
    Ok(records
        .into_iter()
        .filter(|record| {
            let Some(row) = known.get(&record.id) else { return true };
            let updated_at = record.updated_at.map_or(0, |at| at.timestamp_micros());
            row.deleted_at.is_some()
                || row.updated_at != updated_at
                || row.fingerprint != fingerprint(target.schema, &record.values)
        })
        .collect())
}
