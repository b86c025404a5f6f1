//! `reconciler run`: one task for one customer, with progress on a terminal and a summary (or
//! JSON) at the end.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::config::Config;
use crate::engine::{RunContext, RunSummary, Target, Task, run_task};
use crate::layers::Registry;
use crate::wiring::Wiring;

use super::progress::ProgressLine;

/// What `run --json` prints: the summary, and what the process used to produce it. Written
/// straight from the summary, not through a JSON tree, which cost a run's summary ten times its
/// size in memory.
#[derive(serde::Serialize)]
pub struct JsonOutput<'a> {
    #[serde(flatten)]
    pub summary: &'a RunSummary,
    pub process: Option<super::usage::Usage>,
}

/// What to run.
pub struct RunRequest<'a> {
    pub config: &'a Path,
    pub customer: &'a str,
    pub task: &'a str,
    pub dry_run: bool,
    pub cache_dir: &'a Path,
}

/// Runs the task and returns its summary.
pub async fn run(request: &RunRequest<'_>) -> anyhow::Result<RunSummary> {
    let task: Task = request.task.parse().map_err(anyhow::Error::msg)?;
    let config = Config::load(request.config)?;
    let wiring = Wiring::open(config, request.cache_dir).await?;
    let customer = wiring.customer(request.customer)?.clone();
    let registry = Registry::default();
    let rules = registry.plugin(&wiring.engine, &wiring.config, &customer, &task.resource).await?;
    let (vomo, budget) = wiring.vomo(&customer)?;
    let external = wiring.external()?;
    let worker = wiring.worker_of(&rules.plugin, &customer)?;
    let progress = ProgressLine::new(format!("{task} {}", customer.id), budget);

    let ctx = RunContext {
        target: Target {
            customer: &customer.id,
            resource: &task.resource,
            schema: &rules.schema,
            store: &wiring.store,
            external: &external,
        },
        vomo: &vomo,
        plugin: &worker,
        thresholds: &wiring.config.thresholds,
        passes: &wiring.config.passes,
        time_zone: customer.time_zone(),
        now: chrono::Utc::now(),
        dry_run: request.dry_run,
        progress: &progress,
    };
    let summary = run_task(&ctx, &task).await;
    progress.finish();
    wiring.store.close().await;
    summary.with_context(|| format!("run of `{task}` for customer `{}` failed", customer.id))
}

/// The summary for people.
pub fn render(summary: &RunSummary) -> String {
    let mut out = String::new();
    let dry = if summary.dry_run { " (dry run: nothing was changed)" } else { "" };
    let _ = writeln!(out, "run {} {} {}{dry}", summary.run_id, summary.task, summary.customer);
    let _ = writeln!(
        out,
        "  checked {} records in {} pages, {} ms, {} requests",
        summary.checked, summary.pages, summary.duration_ms, summary.requests
    );
    let _ = writeln!(
        out,
        "  gaps {}, deletions {}, drift {}, plugin failures {}",
        summary.gaps, summary.deletions, summary.drift, summary.plugin_failures
    );
    let r = summary.recovered;
    if r.taken + r.failed + r.skipped > 0 {
        let _ = writeln!(
            out,
            "  recovered from an earlier run: {} done, {} failed, {} skipped",
            r.taken, r.failed, r.skipped
        );
    }
    if let Some(audit) = &summary.audit {
        let _ = writeln!(
            out,
            "  audit: {} of {} sampled with issues {:?}, {} unreadable in VOMO",
            audit.with_issues, audit.sampled, audit.issues, audit.unreadable
        );
    }
    match &summary.breaker {
        Some(trip) => {
            let _ = writeln!(out, "  breaker OPEN: {}", trip.reason());
            let _ = writeln!(
                out,
                "  {} actions held: `reconciler review approve {}` releases them",
                summary.planned, summary.run_id
            );
        }
        None if summary.dry_run => {
            let _ = writeln!(out, "  would take {} actions:", summary.planned);
        }
        None => {
            let e = summary.executed;
            let _ = writeln!(
                out,
                "  actions: {} taken, {} failed, {} skipped",
                e.taken, e.failed, e.skipped
            );
        }
    }
    if summary.dry_run || summary.breaker.is_some() {
        for action in summary.actions.iter().take(50) {
            let _ =
                writeln!(out, "    {} {} ({})", action.action, action.record_id, action.because);
        }
        let shown = summary.actions.len().min(50) as u64;
        if summary.planned > shown {
            let _ = writeln!(out, "    … and {} more", summary.planned - shown);
        }
    }
    out
}
