//! The full pass of a resource VOMO lists only below another record: each parent's records are
//! read whole and compared with what partner state holds below that parent.
//!
//! A form's completions are listed per form; a project date's participants are embedded in the
//! date. Ids do not ascend across parents, so the merge join of the flat full scan cannot serve;
//! one parent's records are few, and are compared in memory. A parent that answers 404 takes
//! what partner state holds below it along: each record becomes a deletion candidate.

use std::collections::HashMap;

use crate::bindings::ExternalSide;
use crate::store::PartnerRow;
use crate::throttle::Priority;
use crate::vomo::{Detail, Nesting, VomoClient, VomoError, VomoRecord, nesting};

use super::context::{RunContext, RunError};
use super::detect::{Case, is_unchanged, judge};
use super::full::{Candidate, Full, Proof, confirm_deletions};
use super::parents::parents;
use super::process::Target;
use super::sink::Sink;

/// Scans every parent's records; what it finds goes to `sink`.
pub async fn full_by_parent(ctx: &RunContext<'_>, sink: &mut Sink<'_>) -> Result<Full, RunError> {
    let target = &ctx.target;
    let nesting = nesting(target.resource).ok_or_else(|| RunError::Unsupported {
        task: format!("{}_full", target.resource),
        reason: "it is not listed below another record".to_owned(),
    })?;
    ctx.progress.stage("reading every parent's records");
    let mut scan = Full::default();
    let mut candidates = Vec::new();
    for parent in parents(ctx, nesting).await? {
        let rows = target.store.partner_states_of_parent(target.customer, target.resource, parent);
        let mut rows: HashMap<u64, PartnerRow> =
            rows.await?.into_iter().map(|row| (row.id, row)).collect();
        let held = rows.values().any(|row| row.deleted_at.is_none());
        let read = children(ctx, nesting, parent, held).await?;
        scan.pages += read.requests;
        let Some(records) = read.records else {
            // Nothing exists below a parent that is gone: all it held are candidates.
            missing(rows.into_values(), parent, Proof::ParentGone, &mut scan, &mut candidates);
            continue;
        };
        scan.checked += records.len() as u64;
        ctx.progress.page(records.len());

        let mut cases = Vec::new();
        for record in records {
            let held = rows.remove(&record.id);
            if held.as_ref().is_some_and(|row| row.deleted_at.is_none()) {
                scan.partner_live += 1;
            }
            if is_unchanged(ctx, &record, held.as_ref().map(PartnerRow::version).as_ref()) {
                continue;
            }
            let id = record.id;
            cases.push(Case {
                id,
                record: Some(record),
                partner: held,
                external: ExternalSide::NotRead,
            });
        }
        if !cases.is_empty() {
            sink.keep(judge(ctx, cases).await?).await?;
        }
        // What partner state holds below the parent and the parent no longer shows.
        let proof = match nesting {
            Nesting::Embedded { .. } => Proof::ParentRead,
            Nesting::Listed { .. } => Proof::Detail,
        };
        missing(rows.into_values(), parent, proof, &mut scan, &mut candidates);
    }
    confirm_deletions(ctx, candidates, &mut scan, sink).await?;
    Ok(scan)
}

/// Notes the live rows below `parent` that its read did not show as deletion candidates.
fn missing(
    rows: impl Iterator<Item = PartnerRow>,
    parent: u64,
    proof: Proof,
    scan: &mut Full,
    candidates: &mut Vec<Candidate>,
) {
    for row in rows.filter(|row| row.deleted_at.is_none()) {
        scan.partner_live += 1;
        scan.deletion_candidates += 1;
        candidates.push(Candidate { id: row.id, parent: Some(parent), proof });
    }
}

/// The detail of a record missing from its listing: below its parent for a nested resource; for
/// one embedded in its parent, the parent's read, which shows it or not.
pub async fn missing_detail(
    vomo: &VomoClient,
    target: &Target<'_>,
    id: u64,
    parent: Option<u64>,
) -> Result<Detail, VomoError> {
    let (resource, schema) = (target.resource, target.schema);
    match (nesting(resource), parent) {
        (Some(Nesting::Embedded { .. }), Some(parent)) => {
            let records = vomo.embedded(resource, parent, Priority::Reconciliation, schema).await?;
            let found = records.into_iter().flatten().find(|record| record.id == id);
            Ok(found.map_or(Detail::Gone, Detail::Found))
        }
        _ => vomo.detail_below(resource, id, parent, Priority::Reconciliation, schema).await,
    }
}

/// One parent's read: its records, none when the parent is gone, and the requests it took.
struct Read {
    records: Option<Vec<VomoRecord>>,
    requests: u32,
}

/// Reads every record below `parent`; `held` says whether partner state holds live records
/// below it.
async fn children(
    ctx: &RunContext<'_>,
    nesting: Nesting,
    parent: u64,
    held: bool,
) -> Result<Read, RunError> {
    let (vomo, target) = (ctx.vomo, &ctx.target);
    let priority = Priority::Reconciliation;
    if let Nesting::Embedded { .. } = nesting {
        let first = vomo.embedded(target.resource, parent, priority, target.schema).await?;
        // An empty list would cancel every participant partner state holds for the date on
        // the strength of one answer; a second read must agree before it is trusted.
        if held && first.as_ref().is_some_and(Vec::is_empty) {
            let second = vomo.embedded(target.resource, parent, priority, target.schema).await?;
            return Ok(Read { records: second, requests: 2 });
        }
        return Ok(Read { records: first, requests: 1 });
    }
    let mut listing = vomo.list_below(target.resource, parent, priority, target.schema);
    let (mut records, mut requests) = (Vec::new(), 0);
    while let Some(page) = listing.next_page().await? {
        requests += 1;
        records.extend(page.records);
    }
    // The listing passes over a parent that answers 404, and says which it passed over.
    if listing.gone().contains(&parent) {
        return Ok(Read { records: None, requests: requests + 1 });
    }
    Ok(Read { records: Some(records), requests })
}
