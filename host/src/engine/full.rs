//! The full scan: read every record beside partner state, in id order, like a merge join.
//!
//! Records VOMO has and partner state lacks are missed creates; records whose fingerprint moved
//! without `updated_at` are silent changes; records partner state holds and the listing lacks
//! are deletion candidates, each confirmed by a detail fetch. Memory stays flat however many
//! records there are: partner state is walked in chunks, never loaded whole.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::bindings::{
    Action, Alert, DetailOutcome, ExternalSide, Finding, FindingKind, MissingVerdict, Severity,
};
use crate::store::PartnerVersion;
use crate::throttle::Priority;
use crate::vomo::{Detail, ListQuery, Lister, Page, VomoRecord};

use super::breaker::{self, Tally};
use super::by_parent::missing_detail;
use super::context::{RunContext, RunError};
use super::detect::{Case, Detected, is_unchanged, judge};
use super::sink::Sink;
use super::task::Pass;

/// Partner state rows read at a time.
const CHUNK: u32 = 2_000;
/// Changed records judged at a time: one read of their partner rows and one trip to the plugin's
/// thread serve many pages, since a healthy customer's pages rarely hold more than one.
const JUDGED: usize = 256;
/// How long the next page may take before the changed records gathered so far are judged.
const PATIENCE: Duration = Duration::from_millis(50);

/// A record partner state holds live that its listing lacked.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub id: u64,
    /// The record it was listed below, for a nested resource.
    pub parent: Option<u64>,
    pub proof: Proof,
}

/// What confirms that a candidate is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Its detail fetch, still to be made.
    Detail,
    /// Its parent's whole read lacked it, which no detail fetch could add to (a project date's
    /// participants).
    ParentRead,
    /// Its parent answered 404: nothing below a parent that is gone exists.
    ParentGone,
}

impl Proof {
    /// The finding of a deletion this proof confirmed, when it is not a detail fetch's 404.
    fn confirmed(self) -> Option<&'static str> {
        match self {
            Proof::Detail => None,
            Proof::ParentRead => Some("confirmed: its parent no longer lists it"),
            Proof::ParentGone => Some("confirmed: its parent is gone (404)"),
        }
    }
}

/// What the scan read and found.
#[derive(Debug, Default)]
pub struct Full {
    pub pages: u32,
    pub checked: u64,
    /// Records partner state held as live when the scan passed them.
    pub partner_live: u64,
    pub deletion_candidates: u64,
    /// Deletions a detail fetch confirmed; none when the candidates were too many to confirm
    /// and the breaker holds them unconfirmed.
    pub deletions: u64,
}

/// Partner state's versions walked in id order, a chunk at a time.
struct PartnerWalk<'c> {
    ctx: &'c RunContext<'c>,
    buffer: VecDeque<PartnerVersion>,
    after: Option<u64>,
    exhausted: bool,
}

impl<'c> PartnerWalk<'c> {
    async fn peek(&mut self) -> Result<Option<&PartnerVersion>, RunError> {
        if self.buffer.is_empty() && !self.exhausted {
            let target = &self.ctx.target;
            let rows = target
                .store
                .partner_versions_after(target.customer, target.resource, self.after, CHUNK)
                .await?;
            self.exhausted = rows.len() < CHUNK as usize;
            self.after = rows.last().map(|row| row.id).or(self.after);
            self.buffer.extend(rows);
        }
        Ok(self.buffer.front())
    }

    fn take(&mut self) -> Option<PartnerVersion> {
        self.buffer.pop_front()
    }
}

/// Scans every record of the customer's resource; what it finds goes to `sink`.
pub async fn full(ctx: &RunContext<'_>, sink: &mut Sink<'_>) -> Result<Full, RunError> {
    let target = &ctx.target;
    let query = ListQuery::default();
    let mut listing =
        ctx.vomo.list(target.resource, &query, Priority::Reconciliation, target.schema);
    let mut walk = PartnerWalk { ctx, buffer: VecDeque::new(), after: None, exhausted: false };
    let mut scan = Full::default();
    let mut candidates = Vec::new();
    let mut last_id = None;
    let mut changed = Vec::new();
    ctx.progress.stage("listing every record");

    loop {
        let page = match next_page(ctx, sink, &mut listing, &mut changed).await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(error) => {
                // A failed run keeps on record what the pages it did read showed.
                judge_changed(ctx, sink, &mut changed).await?;
                return Err(error);
            }
        };
        scan.pages += 1;
        scan.checked += page.records.len() as u64;
        ctx.progress.page(page.records.len());
        for record in page.records {
            if last_id.is_some_and(|last| record.id <= last) {
                return Err(unordered(ctx, scan.pages, last_id, record.id));
            }
            last_id = Some(record.id);
            let held = matching_version(&mut walk, record.id, &mut scan, &mut candidates).await?;
            if held.as_ref().is_some_and(|version| !version.deleted) {
                scan.partner_live += 1;
            }
            if !is_unchanged(ctx, &record, held.as_ref()) {
                changed.push((record, held.is_some()));
            }
        }
        if changed.len() >= JUDGED {
            judge_changed(ctx, sink, &mut changed).await?;
        }
    }
    judge_changed(ctx, sink, &mut changed).await?;
    // The listing is complete: whatever partner state holds beyond it is missing from VOMO.
    while walk.peek().await?.is_some() {
        let version = walk.take().expect("peeked");
        note_candidate(version, &mut scan, &mut candidates);
    }

    confirm_deletions(ctx, candidates, &mut scan, sink).await?;
    Ok(scan)
}

/// The listing's next page. Changed records wait to be judged many at a time, but not while
/// the listing waits: a scan paced by its rate budget, or stopped while it waits, has judged
/// what it read.
async fn next_page(
    ctx: &RunContext<'_>,
    sink: &mut Sink<'_>,
    listing: &mut Lister<'_>,
    changed: &mut Vec<(VomoRecord, bool)>,
) -> Result<Option<Page>, RunError> {
    let mut next = std::pin::pin!(listing.next_page());
    if !changed.is_empty() {
        match tokio::time::timeout(PATIENCE, next.as_mut()).await {
            Ok(page) => return Ok(page?),
            Err(_) => judge_changed(ctx, sink, changed).await?,
        }
    }
    Ok(next.await?)
}

/// Judges the changed records gathered so far and keeps what the plugin found.
async fn judge_changed(
    ctx: &RunContext<'_>,
    sink: &mut Sink<'_>,
    changed: &mut Vec<(VomoRecord, bool)>,
) -> Result<(), RunError> {
    if changed.is_empty() {
        return Ok(());
    }
    let cases = with_partner_rows(ctx, std::mem::take(changed)).await?;
    sink.keep(judge(ctx, cases).await?).await?;
    Ok(())
}

/// The cases of changed records, each with partner state's whole row where it holds one:
/// snapshots are read only for the few records that changed.
async fn with_partner_rows(
    ctx: &RunContext<'_>,
    changed: Vec<(VomoRecord, bool)>,
) -> Result<Vec<Case>, RunError> {
    let target = &ctx.target;
    let known: Vec<u64> = changed.iter().filter(|(_, held)| *held).map(|(r, _)| r.id).collect();
    let rows = target.store.partner_states(target.customer, target.resource, &known).await?;
    let mut rows: HashMap<u64, _> = rows.into_iter().map(|row| (row.id, row)).collect();
    let cases = changed.into_iter().map(|(record, _)| Case {
        id: record.id,
        partner: rows.remove(&record.id),
        record: Some(record),
        external: ExternalSide::NotRead,
    });
    Ok(cases.collect())
}

/// Advances the walk to `id`: versions passed on the way are deletion candidates; returns the
/// version of `id` itself, if partner state holds one.
async fn matching_version(
    walk: &mut PartnerWalk<'_>,
    id: u64,
    scan: &mut Full,
    candidates: &mut Vec<Candidate>,
) -> Result<Option<PartnerVersion>, RunError> {
    while let Some(version) = walk.peek().await? {
        if version.id > id {
            return Ok(None);
        }
        let version = walk.take().expect("peeked");
        if version.id == id {
            return Ok(Some(version));
        }
        note_candidate(version, scan, candidates);
    }
    Ok(None)
}

fn note_candidate(version: PartnerVersion, scan: &mut Full, candidates: &mut Vec<Candidate>) {
    if !version.deleted {
        scan.partner_live += 1;
        scan.deletion_candidates += 1;
        candidates.push(Candidate { id: version.id, parent: None, proof: Proof::Detail });
    }
}

/// Confirms each candidate with a detail fetch and asks the plugin what a record that still
/// exists means. Too many candidates open the breaker first: their detail fetches wait for a
/// person to approve, since a mass of candidates usually means the listing came back short.
pub(super) async fn confirm_deletions(
    ctx: &RunContext<'_>,
    candidates: Vec<Candidate>,
    scan: &mut Full,
    sink: &mut Sink<'_>,
) -> Result<(), RunError> {
    let tally = Tally {
        deletion_candidates: scan.deletion_candidates,
        partner_live: scan.partner_live,
        ..Tally::default()
    };
    if breaker::evaluate(Pass::Full, &tally, ctx.thresholds).is_some() {
        for chunk in candidates.chunks(CHUNK as usize) {
            let held = chunk.iter().map(|&Candidate { id, .. }| {
                let finding = candidate_finding("not confirmed: held with the run for review");
                Detected::by_host(id, finding, vec![Action::MarkDeleted])
            });
            sink.keep(held.collect()).await?;
        }
        return Ok(());
    }

    if !candidates.is_empty() {
        ctx.progress.stage("confirming deletions");
    }
    let target = &ctx.target;
    for Candidate { id, parent, proof } in candidates {
        let fetched = match proof {
            Proof::Detail => {
                ctx.progress.detail();
                missing_detail(ctx.vomo, target, id, parent).await
            }
            Proof::ParentRead | Proof::ParentGone => Ok(Detail::Gone),
        };
        let detail = match fetched {
            Ok(detail) => detail,
            Err(error) => {
                // One candidate that cannot be confirmed is left for the next scan; the rest
                // of the run's work stands.
                tracing::warn!(customer = target.customer, id, %error,
                    "a deletion candidate could not be confirmed");
                let finding = candidate_finding("not confirmed: the detail fetch failed");
                let mut detected = Detected::by_host(id, finding, Vec::new());
                detected.failure = Some(format!("detail fetch of record {id}: {error}"));
                sink.keep(vec![detected]).await?;
                continue;
            }
        };
        let outcome = detail_outcome(detail);
        let mut verdict = verdict_detected(id, ctx.plugin.classify_missing(id, outcome).await);
        if let Some(detail) = proof.confirmed().filter(|_| verdict.confirmed) {
            verdict.findings = vec![candidate_finding(detail)];
        }
        scan.deletions += u64::from(verdict.confirmed);
        sink.keep(vec![verdict]).await?;
    }
    Ok(())
}

/// The contract's view of a detail fetch.
pub fn detail_outcome(detail: Detail) -> DetailOutcome {
    match detail {
        Detail::Found(record) => DetailOutcome::Present(record.entity()),
        Detail::Gone => DetailOutcome::Gone,
        Detail::Forbidden => DetailOutcome::Forbidden,
    }
}

/// What a verdict on a missing record means for the run.
pub fn verdict_detected(
    id: u64,
    verdict: Result<MissingVerdict, crate::runtime::PluginError>,
) -> Detected {
    match verdict {
        Ok(MissingVerdict::Deleted) => {
            let finding = candidate_finding("confirmed: the detail fetch answered 404");
            let mut detected = Detected::by_host(id, finding, vec![Action::MarkDeleted]);
            detected.confirmed = true;
            detected
        }
        Ok(MissingVerdict::ScopeChange(reason)) => {
            let reason = format!("{reason:?}").to_lowercase();
            let message = format!("record {id} left the listing but still exists: {reason}");
            let finding = candidate_finding(&format!("still exists: {reason}"));
            let alert = Action::Alert(Alert { severity: Severity::Low, message });
            Detected::by_host(id, finding, vec![alert])
        }
        Err(error) => {
            let finding = candidate_finding("the plugin could not classify it");
            let mut detected = Detected::by_host(id, finding, Vec::new());
            detected.failure = Some(error.to_string());
            detected
        }
    }
}

fn candidate_finding(detail: &str) -> Finding {
    Finding {
        kind: FindingKind::DeletionCandidate,
        severity: Severity::Low,
        detail: detail.to_owned(),
    }
}

fn unordered(ctx: &RunContext<'_>, page: u32, last: Option<u64>, id: u64) -> RunError {
    RunError::Unordered {
        customer: ctx.target.customer.to_owned(),
        resource: ctx.target.resource.to_owned(),
        detail: format!("page {page} lists id {id} after id {}", last.unwrap_or_default()),
    }
}
