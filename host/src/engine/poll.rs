//! Polling: the foundation reconciliation complements. A backfill from the epoch, then
//! `updated_after` from a durable checkpoint that only ever advances to what was processed.

use std::collections::HashMap;

use crate::store::{Micros, StoreError, now_micros};
use crate::throttle::Priority;
use crate::vomo::{ListQuery, Nesting, VomoClient, VomoError, VomoRecord, nesting};

use super::process::{Target, process};
use super::snapshot::fingerprint;

/// How far behind the listing's start the checkpoint stays, for skew between our clock and
/// VOMO's: five minutes.
const SKEW_MARGIN_MICROS: Micros = 5 * 60 * 1_000_000;

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
    #[error("{resource} cannot be polled: they carry no `updated_at`; their full pass reads them")]
    NotPolled { resource: String },
}

/// Runs one polling cycle of a customer's resource.
///
/// The checkpoint advances, after the whole listing was read, to the highest `updated_at`
/// processed, but never past a record whose processing failed: `updated_after` is inclusive, so
/// a checkpoint equal to a failed record's `updated_at` lists it again next cycle. A listing that
/// breaks off leaves the checkpoint where it was, since records are listed by id, not by time.
pub async fn poll(target: &Target<'_>, vomo: &VomoClient) -> Result<PollReport, PollError> {
    let (customer, resource) = (target.customer, target.resource);
    if let Some(Nesting::Embedded { .. }) = nesting(resource) {
        return Err(PollError::NotPolled { resource: resource.to_owned() });
    }
    let checkpoint = target.store.checkpoint(customer, resource).await?;
    let query = ListQuery {
        updated_after: checkpoint.and_then(chrono::DateTime::from_timestamp_micros),
        ..ListQuery::default()
    };
    let started = now_micros();
    let mut listing = vomo.list(resource, &query, Priority::Polling, target.schema);
    let mut report = PollReport { checkpoint, ..PollReport::default() };
    let mut highest: Option<Micros> = None;
    let mut lowest_failed: Option<Micros> = None;
    let mut failed_undated = false;

    while let Some(page) = listing.next_page().await? {
        report.pages += 1;
        report.seen += page.records.len();
        // Records partner state already holds count as processed: they were, in an earlier cycle.
        let (changed, unchanged) = split_changed(target, page.records).await?;
        report.unchanged += unchanged.len();
        highest = unchanged.into_iter().flatten().chain(highest).max();

        let done = process(target, &changed, now_micros()).await?;
        report.processed += done.processed.len();
        report.failed += done.failed.len();
        highest = done.processed.iter().filter_map(|(_, at)| *at).chain(highest).max();
        lowest_failed = done.failed.iter().filter_map(|(_, at, _)| *at).chain(lowest_failed).min();
        failed_undated |= done.failed.iter().any(|(_, at, _)| at.is_none());
    }

    let advance_to = match (highest, lowest_failed) {
        // A failed record without `updated_at` cannot be found again through the checkpoint.
        _ if failed_undated => None,
        (Some(high), Some(low)) => Some(high.min(low)),
        (high, None) => high,
        (None, Some(_)) => None,
    };
    // Pages come in id order, so a record read early can change again, at an earlier time than a
    // record read late. Never advancing past the listing's start, less a margin for the two
    // clocks' skew, lists such a record again next cycle.
    let advance_to = advance_to.map(|at| at.min(started - SKEW_MARGIN_MICROS));
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

/// Splits off the records partner state already holds at the same `updated_at` and fingerprint,
/// returning the rest and the `updated_at` of those held.
async fn split_changed(
    target: &Target<'_>,
    records: Vec<VomoRecord>,
) -> Result<(Vec<VomoRecord>, Vec<Option<Micros>>), StoreError> {
    let ids: Vec<u64> = records.iter().map(|r| r.id).collect();
    let known = target.store.partner_states(target.customer, target.resource, &ids).await?;
    let known: HashMap<u64, _> = known.into_iter().map(|row| (row.id, row)).collect();
    let mut changed = Vec::with_capacity(records.len());
    let mut unchanged = Vec::new();
    for record in records {
        let updated_at = record.updated_at.map(|at| at.timestamp_micros());
        let held = known.get(&record.id).is_some_and(|row| {
            row.deleted_at.is_none()
                && Some(row.updated_at) == updated_at
                && row.fingerprint == fingerprint(target.schema, &record.values)
        });
        if held {
            unchanged.push(updated_at);
        } else {
            changed.push(record);
        }
    }
    Ok((changed, unchanged))
}
