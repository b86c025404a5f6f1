//! One run of one task for one customer: open the record, detect, plan, hold or act, close the
//! record with its counts. Every run is recorded, the failed ones too.

use serde::Serialize;
use tracing::Instrument;

use crate::store::{ActionState, Alert, NewRun, Review, ReviewState, RunCounts, RunId, RunOutcome};
use crate::store::{Store, StoreError, now_micros};
use crate::vomo::{Nesting, nesting};

use super::audit::{AuditSummary, audit};
use super::breaker::{self, Tally, Trip};
use super::by_parent::full_by_parent;
use super::context::{RunContext, RunError};
use super::execute::{Executed, Executor};
use super::full::full;
use super::incremental::incremental;
use super::interrupt::Interrupt;
use super::journal::PlannedAction;
use super::sink::{Silent, Sink};
use super::task::{Pass, Task};

/// Set to `after-journal` to abort the process between journaling a run's actions and sending
/// them: the crash the journal exists for, reproduced on purpose by the crash test.
pub const FAILPOINT_ENV: &str = "RECONCILER_FAILPOINT";

/// What a run did, as the CLI prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: RunId,
    pub customer: String,
    pub task: String,
    pub dry_run: bool,
    pub started_at: String,
    pub duration_ms: u64,
    /// The incremental pass's window, start and end.
    pub window: Option<[String; 2]>,
    pub pages: u32,
    pub checked: u64,
    pub gaps: u64,
    pub deletions: u64,
    pub drift: u64,
    /// Actions left pending by an earlier run and carried out before this one.
    pub recovered: Executed,
    /// The first 1,000 actions planned; `planned` counts them all.
    pub actions: Vec<PlannedAction>,
    pub planned: u64,
    pub executed: Executed,
    pub requests: u64,
    /// Why the breaker opened, when it did: the actions are held for review.
    pub breaker: Option<Trip>,
    pub audit: Option<AuditSummary>,
    pub plugin_failures: u64,
}

/// What the passes read, in one shape; what they found went to the run's sink.
struct Found {
    window: Option<[String; 2]>,
    pages: u32,
    checked: u64,
    deletions: u64,
    partner_live: u64,
    candidates: u64,
    audit: Option<AuditSummary>,
}

/// How a run ended, with the id of its record when it got far enough to open one: a failed
/// run's alerts are that run's, whatever other runs of the customer opened since.
#[derive(Debug)]
pub struct RunEnd {
    pub run_id: Option<RunId>,
    pub result: Result<RunSummary, RunError>,
}

/// Runs `task` in `ctx` and records it. A run that fails is recorded as failed, with the error.
pub async fn run_task(ctx: &RunContext<'_>, task: &Task) -> Result<RunSummary, RunError> {
    run_task_until(ctx, task, Interrupt::never()).await.result
}

/// Runs `task` like [`run_task`] until `interrupt` fires. An interrupted run keeps its findings,
/// drops what it staged and is recorded as interrupted; actions it had released stay pending
/// for the next run of the resource to carry out.
pub async fn run_task_until(ctx: &RunContext<'_>, task: &Task, interrupt: &Interrupt) -> RunEnd {
    let span = tracing::info_span!("run", customer = ctx.target.customer, task = %task,
        dry_run = ctx.dry_run, run_id = tracing::field::Empty);
    run_recorded(ctx, task, interrupt, span.clone()).instrument(span).await
}

async fn run_recorded(
    ctx: &RunContext<'_>,
    task: &Task,
    interrupt: &Interrupt,
    span: tracing::Span,
) -> RunEnd {
    let unopened = |error: RunError| RunEnd { run_id: None, result: Err(error) };
    let executor = Executor { target: ctx.target, vomo: ctx.vomo, plugin: ctx.plugin };
    let recovered = if ctx.dry_run {
        Executed::default()
    } else {
        match interrupt.guard(executor.execute_pending()).await {
            Some(Ok(recovered)) => recovered,
            Some(Err(error)) => return unopened(error.into()),
            None => return unopened(RunError::Interrupted),
        }
    };
    let store = ctx.target.store;
    let requests_before = ctx.vomo.requests();
    let started = now_micros();
    let new_run = NewRun {
        customer: ctx.target.customer.to_owned(),
        task: task.to_string(),
        dry_run: ctx.dry_run,
        started_at: started,
    };
    let run_id = match store.open_run(&new_run).await {
        Ok(run_id) => run_id,
        Err(error) => return unopened(error.into()),
    };
    span.record("run_id", run_id);
    tracing::info!(recovered = recovered.taken, "run started");

    let mut summary = RunSummary {
        run_id,
        customer: new_run.customer.clone(),
        task: new_run.task.clone(),
        dry_run: ctx.dry_run,
        started_at: chrono::DateTime::from_timestamp_micros(started)
            .unwrap_or_default()
            .to_rfc3339(),
        duration_ms: 0,
        window: None,
        pages: 0,
        checked: 0,
        gaps: 0,
        deletions: 0,
        drift: 0,
        recovered,
        actions: Vec::new(),
        planned: 0,
        executed: Executed::default(),
        requests: 0,
        breaker: None,
        audit: None,
        plugin_failures: 0,
    };
    let result = detect_and_act(ctx, task, &executor, &mut summary, interrupt).await;
    summary.requests = ctx.vomo.requests() - requests_before;
    summary.duration_ms = ((now_micros() - started).max(0) / 1_000) as u64;

    let outcome = match &result {
        Ok(()) => RunOutcome::Succeeded,
        Err(RunError::Interrupted) => RunOutcome::Interrupted,
        Err(_) => RunOutcome::Failed,
    };
    let error = result.as_ref().err().map(ToString::to_string);
    let counts = counts(&summary);
    let closed = store.close_run(run_id, outcome, &counts, error.as_deref(), now_micros()).await;
    if let Err(closing) = closed {
        return RunEnd { run_id: Some(run_id), result: Err(closing.into()) };
    }
    tracing::info!(
        outcome = outcome.as_str(),
        checked = summary.checked,
        gaps = summary.gaps,
        actions = summary.planned,
        requests = summary.requests,
        "run finished"
    );
    RunEnd { run_id: Some(run_id), result: result.map(|()| summary) }
}

async fn detect_and_act(
    ctx: &RunContext<'_>,
    task: &Task,
    executor: &Executor<'_>,
    summary: &mut RunSummary,
    interrupt: &Interrupt,
) -> Result<(), RunError> {
    let store = ctx.target.store;
    let run_id = summary.run_id;
    let mut sink = Sink::new(ctx, run_id);
    let detecting = async {
        let found = detect(ctx, task.pass, &mut sink).await?;
        sink.flush().await?;
        Ok::<_, RunError>(found)
    };
    let detected = interrupt.guard(detecting).await.unwrap_or(Err(RunError::Interrupted));
    let found = match detected {
        Ok(found) => found,
        Err(error) => {
            // What the run found stays on record, but the breaker never saw the whole run: what
            // it staged must not be carried out. An interrupted run ends the same way.
            if let Err(flushing) = sink.flush_findings().await {
                tracing::warn!(run_id, error = %flushing, "findings of a failed run not recorded");
            }
            if let Err(dropping) = store.drop_staged(run_id).await {
                tracing::warn!(run_id, error = %dropping, "staged actions could not be dropped");
            }
            return Err(error);
        }
    };

    let tally = Tally {
        checked: found.checked,
        deletion_candidates: found.candidates,
        partner_live: found.partner_live,
        ..sink.tally.clone()
    };
    summary.window = found.window.clone();
    summary.pages = found.pages;
    summary.checked = found.checked;
    summary.gaps = tally.gaps;
    summary.deletions = found.deletions;
    summary.drift = tally.drift_by_field.values().sum();
    summary.plugin_failures = sink.plugin_failures;
    summary.audit = found.audit.clone();
    summary.breaker = breaker::evaluate(task.pass, &tally, ctx.thresholds);
    summary.actions = std::mem::take(&mut sink.planned);
    summary.planned = sink.planned_count;
    if ctx.dry_run {
        return Ok(());
    }

    let now = now_micros();
    let released = match &summary.breaker {
        Some(trip) => {
            let review = review(ctx, task, run_id, trip, now);
            store.release_staged(run_id, ActionState::Held, Some(&review), now).await?
        }
        None => store.release_staged(run_id, ActionState::Pending, None, now).await?,
    };
    if std::env::var(FAILPOINT_ENV).as_deref() == Ok("after-journal") {
        tracing::error!(run_id, "failpoint `after-journal`: aborting on purpose");
        std::process::abort();
    }
    if let Some(audit) = &found.audit {
        audit_alert(ctx, run_id, audit).await?;
    }
    if sink.silent.records > 0 {
        silent_alert(ctx, task, run_id, &sink.silent).await?;
    }
    match &summary.breaker {
        Some(trip) => hold_alert(ctx, task, run_id, trip, released).await?,
        // Only what this run journaled: an action whose key an earlier run already journaled
        // is that run's to carry out, and was, before this run began.
        None => match interrupt.guard(executor.execute_run(run_id)).await {
            Some(executed) => summary.executed = executed?,
            None => {
                // What was settled before the interrupt is done; the rest stays pending for the
                // next run. The journal knows which is which.
                summary.executed = carried_out(store, run_id).await?;
                return Err(RunError::Interrupted);
            }
        },
    }
    Ok(())
}

/// What the journal holds as carried out of `run`'s actions.
async fn carried_out(store: &Store, run: RunId) -> Result<Executed, StoreError> {
    let actions = store.run_actions(run).await?;
    let count = |state| actions.iter().filter(|a| a.state == state).count() as u64;
    let taken = count(ActionState::Done);
    Ok(Executed { taken, failed: count(ActionState::Failed), skipped: count(ActionState::Skipped) })
}

async fn detect(ctx: &RunContext<'_>, pass: Pass, sink: &mut Sink<'_>) -> Result<Found, RunError> {
    let resource = ctx.target.resource;
    let nested = nesting(resource);
    let unsupported = |reason: &str| RunError::Unsupported {
        task: Task::new(resource, pass).to_string(),
        reason: reason.to_owned(),
    };
    match (pass, nested) {
        (Pass::Incremental, Some(Nesting::Embedded { .. })) => {
            return Err(unsupported("its records carry no `updated_at` to list a window by"));
        }
        (Pass::Audit, Some(_)) => {
            return Err(unsupported(
                "the audit samples by id, and its records are listed by parent",
            ));
        }
        _ => {}
    }
    let found = match pass {
        Pass::Incremental => {
            let pass = incremental(ctx, sink).await?;
            Found {
                window: pass.window.map(|(start, end)| [start.to_rfc3339(), end.to_rfc3339()]),
                pages: pass.pages,
                checked: pass.checked,
                deletions: 0,
                partner_live: 0,
                candidates: 0,
                audit: None,
            }
        }
        Pass::Full => {
            let scan = match nested {
                Some(_) => full_by_parent(ctx, sink).await?,
                None => full(ctx, sink).await?,
            };
            Found {
                window: None,
                pages: scan.pages,
                checked: scan.checked,
                // Deferred candidates are not deletions until a person approves and a detail
                // fetch confirms them; the review counts them.
                deletions: scan.deletions,
                partner_live: scan.partner_live,
                candidates: scan.deletion_candidates,
                audit: None,
            }
        }
        Pass::Audit => {
            let audit = audit(ctx, sink).await?;
            Found {
                window: None,
                pages: 0,
                checked: audit.sampled,
                deletions: 0,
                partner_live: 0,
                candidates: 0,
                audit: Some(audit),
            }
        }
    };
    Ok(found)
}

/// The review a held run waits in.
fn review(ctx: &RunContext<'_>, task: &Task, run_id: RunId, trip: &Trip, now: i64) -> Review {
    Review {
        run_id,
        customer: ctx.target.customer.to_owned(),
        task: task.to_string(),
        reason: trip.reason(),
        actions: 0,
        state: ReviewState::Pending,
        created_at: now,
        decided_at: None,
    }
}

/// Raises the alert of a held run; detection already went on to the end.
async fn hold_alert(
    ctx: &RunContext<'_>,
    task: &Task,
    run_id: RunId,
    trip: &Trip,
    held: u64,
) -> Result<(), StoreError> {
    let reason = trip.reason();
    tracing::warn!(run_id, %reason, held, "circuit breaker open: actions held for review");
    let message = format!("{task}: {reason}; {held} actions held for review");
    let alert = Alert::now(ctx.target.customer, Some(run_id), "high", "breaker_open", message);
    ctx.target.store.add_alert(&alert).await
}

/// Raises the run's one alert for the records that changed without moving `updated_at`.
async fn silent_alert(
    ctx: &RunContext<'_>,
    task: &Task,
    run_id: RunId,
    silent: &Silent,
) -> Result<(), StoreError> {
    let message = silent.message(&task.to_string());
    let alert = Alert::now(ctx.target.customer, Some(run_id), "low", "silent_changes", message);
    ctx.target.store.add_alert(&alert).await
}

async fn audit_alert(
    ctx: &RunContext<'_>,
    run_id: RunId,
    audit: &AuditSummary,
) -> Result<(), StoreError> {
    if audit.issue_rate() <= ctx.thresholds.audit_issue_rate {
        return Ok(());
    }
    let message = format!(
        "{} of {} sampled records have issues ({:.1} %): {:?}",
        audit.with_issues,
        audit.sampled,
        audit.issue_rate() * 100.0,
        audit.issues
    );
    let alert = Alert::now(ctx.target.customer, Some(run_id), "high", "audit_issues", message);
    ctx.target.store.add_alert(&alert).await
}

fn counts(summary: &RunSummary) -> RunCounts {
    RunCounts {
        records_checked: summary.checked as i64,
        gaps: summary.gaps as i64,
        deletions: summary.deletions as i64,
        drift: summary.drift as i64,
        actions_taken: (summary.executed.taken + summary.recovered.taken) as i64,
        actions_failed: (summary.executed.failed + summary.recovered.failed) as i64,
        requests: summary.requests as i64,
        breaker: if summary.breaker.is_some() { "open" } else { "closed" }.to_owned(),
    }
}
