//! What a run keeps of what it detects, as it goes: the tally the breaker judges, the findings
//! for the audit trail, and the actions staged in the journal until the breaker decides.
//!
//! Nothing a pass detects waits in memory for the end of the run, so a run's memory stays flat
//! however much it finds.

use std::collections::BTreeMap;

use crate::bindings::{Finding, FindingKind};
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

/// The records a run found changed without moving `updated_at`: one alert for the run names
/// them by field, rather than one per record.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Silent {
    pub records: u64,
    pub by_field: BTreeMap<String, u64>,
}

impl Silent {
    fn count(&mut self, findings: &[Finding]) {
        let mut any = false;
        for finding in findings {
            if let FindingKind::SilentChange(drift) = &finding.kind {
                *self.by_field.entry(drift.field.clone()).or_default() += 1;
                any = true;
            }
        }
        self.records += u64::from(any);
    }

    /// The alert's message for a run of `task`.
    pub fn message(&self, task: &str) -> String {
        let fields: Vec<String> =
            self.by_field.iter().map(|(field, count)| format!("{field} {count}")).collect();
        let records = match self.records {
            1 => "1 record".to_owned(),
            n => format!("{n} records"),
        };
        format!("{task}: {records} changed without moving `updated_at` ({})", fields.join(", "))
    }
}

/// Receives what a pass detects, a batch at a time.
pub struct Sink<'a> {
    ctx: &'a RunContext<'a>,
    run_id: RunId,
    /// Gaps and drift so far; the pass adds what it checked.
    pub tally: Tally,
    /// Records the plugin could not judge.
    pub plugin_failures: u64,
    /// Records that changed without moving `updated_at`, and their silent changes by field.
    pub silent: Silent,
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
            silent: Silent::default(),
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
            self.silent.count(&item.findings);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::{FieldDrift, Severity, Value};

    fn silent(field: &str) -> Finding {
        let drift =
            FieldDrift { field: field.to_owned(), expected: Value::Null, actual: Value::Null };
        Finding {
            kind: FindingKind::SilentChange(drift),
            severity: Severity::Low,
            detail: String::new(),
        }
    }

    #[test]
    fn silent_changes_are_counted_by_record_and_by_field() {
        let mut counted = Silent::default();
        counted.count(&[silent("phone"), silent("email")]);
        counted.count(&[silent("phone")]);
        let missed = Finding {
            kind: FindingKind::MissedCreate,
            severity: Severity::Low,
            detail: String::new(),
        };
        counted.count(&[missed]);
        assert_eq!(counted.records, 2);
        assert_eq!(
            counted.message("users_full"),
            "users_full: 2 records changed without moving `updated_at` (email 1, phone 2)"
        );
    }
}
