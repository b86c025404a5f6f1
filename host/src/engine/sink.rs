//! What a run keeps of what it detects, as it goes: the tally the breaker judges, the findings
//! for the audit trail, and the actions staged in the journal until the breaker decides.
//!
//! Nothing a pass detects waits in memory for the end of the run, so a run's memory stays flat
//! however much it finds.

use crate::store::{ActionState, FindingRow, JournalEntry, RunId, StoreError, now_micros};

use super::breaker::Tally;
use super::context::RunContext;
use super::detect::{Detected, drifted_field};
use super::findings;
use super::journal::{self, PlannedAction};

/// Findings or staged actions written at a time.
const FLUSH: usize = 1_000;
/// Planned actions a run's summary lists; the rest are counted. The journal holds them all, and
/// a million-user dry run listing every one would keep them all in memory.
pub const LISTED: usize = 1_000;

/// Receives what a pass detects, a batch at a time.
pub struct Sink<'a> {
    ctx: &'a RunContext<'a>,
    run_id: RunId,
    /// Gaps and drift so far; the pass adds what it checked.
    pub tally: Tally,
    /// Records the plugin could not judge.
    pub plugin_failures: u64,
    /// The first [`LISTED`] actions the run plans, as a dry run lists them.
    pub planned: Vec<PlannedAction>,
    /// Every action the run plans, listed or not.
    pub planned_count: u64,
    findings: Vec<FindingRow>,
    staged: Vec<JournalEntry>,
}

impl<'a> Sink<'a> {
    pub fn new(ctx: &'a RunContext<'a>, run_id: RunId) -> Self {
        Sink {
            ctx,
            run_id,
            tally: Tally::default(),
            plugin_failures: 0,
            planned: Vec::new(),
            planned_count: 0,
            findings: Vec::new(),
            staged: Vec::new(),
        }
    }

    /// Counts, records and stages what a pass detected. A dry run stages nothing.
    pub async fn keep(&mut self, detected: Vec<Detected>) -> Result<(), StoreError> {
        let resource = self.ctx.target.resource;
        for item in &detected {
            self.tally.gaps += u64::from(item.is_gap());
            self.plugin_failures += u64::from(item.failure.is_some());
            for field in item.findings.iter().filter_map(drifted_field) {
                *self.tally.drift_by_field.entry(field.to_owned()).or_default() += 1;
            }
            self.findings.extend(findings::rows(resource, item));
        }
        let (entries, planned) =
            journal::entries(self.ctx, self.run_id, &detected, ActionState::Staged);
        self.planned_count += planned.len() as u64;
        let room = LISTED.saturating_sub(self.planned.len());
        self.planned.extend(planned.into_iter().take(room));
        if !self.ctx.dry_run {
            self.staged.extend(entries);
        }
        if self.findings.len() >= FLUSH || self.staged.len() >= FLUSH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes the buffered findings and drops the buffered actions: for a run that failed.
    pub async fn flush_findings(&mut self) -> Result<(), StoreError> {
        self.staged.clear();
        self.flush().await
    }

    /// Writes what is still buffered.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        let store = self.ctx.target.store;
        if !self.findings.is_empty() {
            store.insert_findings(self.run_id, &self.findings).await?;
            self.findings.clear();
        }
        if !self.staged.is_empty() {
            store.journal_staged(&self.staged, now_micros()).await?;
            self.staged.clear();
        }
        Ok(())
    }
}
