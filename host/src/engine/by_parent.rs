//! The full pass of a resource VOMO lists only below another record: each parent's records are
//! read whole and compared with what partner state holds below that parent.
//!
//! A form's completions are listed per form; a project date's participants are embedded in the
//! date. Ids do not ascend across parents, so the merge join of the flat full scan cannot serve;
//! one parent's records are few, and are compared in memory.

use std::collections::HashMap;

use crate::bindings::ExternalSide;
use crate::store::PartnerRow;
use crate::throttle::Priority;
use crate::vomo::{Detail, Nesting, VomoClient, VomoError, VomoRecord, nesting};

use super::context::{RunContext, RunError};
use super::detect::{Case, is_unchanged, judge};
use super::full::{Candidate, Full, confirm_deletions};
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
        let Some(records) = children(ctx, nesting, parent).await? else { continue };
        scan.pages += 1;
        scan.checked += records.len() as u64;
        ctx.progress.page(records.len());
        let rows = target.store.partner_states_of_parent(target.customer, target.resource, parent);
        let mut rows: HashMap<u64, PartnerRow> =
            rows.await?.into_iter().map(|row| (row.id, row)).collect();

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
        let gone = matches!(nesting, Nesting::Embedded { .. });
        for row in rows.into_values().filter(|row| row.deleted_at.is_none()) {
            scan.partner_live += 1;
            scan.deletion_candidates += 1;
            candidates.push(Candidate { id: row.id, parent: Some(parent), gone });
        }
    }
    confirm_deletions(ctx, candidates, &mut scan, sink).await?;
    Ok(scan)
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

/// Every record below `parent`, or none when the parent is gone.
async fn children(
    ctx: &RunContext<'_>,
    nesting: Nesting,
    parent: u64,
) -> Result<Option<Vec<VomoRecord>>, RunError> {
    let (vomo, target) = (ctx.vomo, &ctx.target);
    if let Nesting::Embedded { .. } = nesting {
        let priority = Priority::Reconciliation;
        return Ok(vomo.embedded(target.resource, parent, priority, target.schema).await?);
    }
    let mut listing =
        vomo.list_below(target.resource, parent, Priority::Reconciliation, target.schema);
    let mut records = Vec::new();
    loop {
        match listing.next_page().await {
            Ok(Some(page)) => records.extend(page.records),
            Ok(None) => return Ok(Some(records)),
            Err(VomoError::Unexpected { status: 404, .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        }
    }
}
