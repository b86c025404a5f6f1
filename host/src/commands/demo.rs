//! `reconciler demo`: the simulator in-process with three customers, every failure polling misses
//! injected, polling and the reconciliation passes run, and for each failure the task that
//! caught it and what was done. Exits non-zero if any failure was missed.

pub mod faults;
mod report;
pub mod serve;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use vomo_sim::{DataSize, ExternalConfig, ExternalSystem, SimConfig, Simulator};

use crate::config::{Config, CustomerConfig, PassSettings, VomoConfig};
use crate::engine::{ParticipationWindow, Pass, Quiet, RunContext, RunSummary, Target, Task};
use crate::engine::{poll, run_task};
use crate::external::ExternalClient;
use crate::runtime::PluginWorker;
use crate::vomo::{Nesting, RetryPolicy, Token, VomoClient, nesting};
use crate::wiring::{Rules, Wiring};

pub use report::{DemoReport, FaultReport, render};

use faults::{Injected, Scene, users_of};

/// The day the injected failures happen; the passes run the day after, at noon UTC.
fn fault_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).single().expect("a valid instant")
}

/// When the reconciliation passes run, the day after the failures.
fn pass_time() -> DateTime<Utc> {
    fault_day() + chrono::Duration::hours(28)
}

/// The demo's customers and the time zones their "yesterday" is counted in.
const CUSTOMERS: [(&str, &str); 3] =
    [("acme", "Europe/Berlin"), ("globex", "America/Chicago"), ("initech", "UTC")];

/// The resources the demo syncs, in the order it backfills and reconciles them; each runs the
/// passes its plugin suggests cadences for.
const RESOURCES: [&str; 6] =
    ["users", "projects", "groups", "forms", "form_completions", "participations"];

/// Runs the demo with its store in `dir` (a fresh temporary directory when none).
pub async fn demo(cache_dir: &Path, dir: Option<PathBuf>) -> anyhow::Result<DemoReport> {
    let dir = match dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("reconciler-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let db = dir.join("demo.db");
    let _ = std::fs::remove_file(&db);
    let report = run_demo(cache_dir, &db).await;
    let _ = std::fs::remove_dir_all(&dir);
    report
}

async fn run_demo(cache_dir: &Path, db: &Path) -> anyhow::Result<DemoReport> {
    let size = DataSize { customers: 3, children_per_customer: 0, ..DataSize::with_users(450) };
    let sim_config = SimConfig {
        size,
        rate_limit: None,
        start_time: fault_day(),
        frozen_clock: true,
        ..SimConfig::default()
    };
    let sim = Simulator::start(sim_config).await.context("starting the simulator")?;
    let crm = ExternalSystem::start(ExternalConfig { port: 0, token: None })
        .await
        .context("starting the external system")?;
    let control = sim.control();

    let mut wiring = Wiring::open(config(sim.base_url(), &crm.base_url(), db), cache_dir).await?;
    // The simulator is local: retry its injected network errors quickly.
    wiring.retry =
        RetryPolicy { attempts: 2, base_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let catalog = RESOURCES
        .into_iter()
        .map(|resource| Ok((resource, wiring.rules(resource)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let users = &catalog[0].1;
    let external = ExternalClient::new(&crm.base_url(), None)?;
    let mut injected: Vec<Injected> = Vec::new();
    let mut runs: Vec<RunSummary> = Vec::new();

    let sim_customers = sim.customers();
    let mut clients = Vec::new();
    for (index, customer) in wiring.config.customers.iter().enumerate() {
        let org = sim_customers[index].id;
        let (vomo, _) =
            wiring.vomo_with(customer, Token::new(sim_customers[index].token.clone()))?;
        for (resource, rules) in catalog.iter().filter(|(resource, _)| polled(resource)) {
            let target = target(customer, resource, rules, &wiring, &external);
            let backfill = poll(&target, &vomo).await;
            backfill.with_context(|| format!("backfilling {resource} of `{}`", customer.id))?;
        }
        clients.push((org, vomo));
    }

    // The failures, on the fault day; participations are first read then, by their own pass.
    control.set_time(fault_day() + chrono::Duration::hours(1));
    for (index, customer) in wiring.config.customers.iter().enumerate() {
        for (resource, rules) in catalog.iter().filter(|(resource, _)| !polled(resource)) {
            let target = target(customer, resource, rules, &wiring, &external);
            let worker = wiring.worker(rules, customer)?;
            let ctx = context(&wiring, customer, target, &clients[index].1, &worker, control);
            run_task(&ctx, &Task::new(resource, Pass::Full)).await?;
        }
    }
    for (index, customer) in wiring.config.customers.iter().enumerate() {
        let (org, vomo) = &clients[index];
        let mut scene = Scene {
            control,
            crm: &crm,
            target: target(customer, "users", users, &wiring, &external),
            vomo,
            org: *org,
            spare: users_of(control, *org),
            touched: Vec::new(),
        };
        scene.ordinary_changes(40).await?;
        match index {
            0 => {
                injected.push(scene.worker_crash().await?);
                injected.push(scene.forgotten_dead_letter().await?);
                injected.push(scene.deletion()?);
                injected.push(scene.date_added()?);
                injected.push(scene.member_removed()?);
            }
            1 => {
                injected.push(scene.checkpoint_skipped().await?);
                injected.push(scene.broken_pagination().await?);
                injected.push(scene.silent_change()?);
                injected.push(scene.date_removed()?);
                injected.push(scene.group_deleted()?);
            }
            _ => {
                injected.push(scene.dropped_push().await?);
                injected.push(scene.moved_out_of_scope()?);
                injected.push(scene.completion_missed().await?);
                let window = ParticipationWindow::at(&wiring.config.passes, pass_time());
                injected.push(scene.participant_cancelled(window).await?);
            }
        }
    }

    // The day after: polling goes on, and the reconciliation passes run.
    control.set_time(pass_time());
    for (index, customer) in wiring.config.customers.iter().enumerate() {
        let vomo = &clients[index].1;
        for (resource, rules) in &catalog {
            let target = target(customer, resource, rules, &wiring, &external);
            if polled(resource) {
                poll(&target, vomo).await?;
            }
            let worker = wiring.worker(rules, customer)?;
            for pass in rules.passes() {
                let ctx = context(&wiring, customer, target, vomo, &worker, control);
                runs.push(run_task(&ctx, &Task::new(resource, pass)).await?);
            }
        }
    }

    let report = report::attribute(&wiring.store, &injected, &runs, control, &crm).await?;
    wiring.store.close().await;
    Ok(report)
}

/// Whether polling serves `resource`: participations carry no `updated_at` to poll by, and
/// their own pass reads them.
fn polled(resource: &str) -> bool {
    !matches!(nesting(resource), Some(Nesting::Embedded { .. }))
}

fn context<'a>(
    wiring: &'a Wiring,
    customer: &'a CustomerConfig,
    target: Target<'a>,
    vomo: &'a VomoClient,
    worker: &'a PluginWorker,
    control: &vomo_sim::Control,
) -> RunContext<'a> {
    RunContext {
        target,
        vomo,
        plugin: worker,
        thresholds: &wiring.config.thresholds,
        passes: &wiring.config.passes,
        time_zone: customer.time_zone(),
        now: control.now(),
        dry_run: false,
        progress: &Quiet,
    }
}

fn target<'a>(
    customer: &'a CustomerConfig,
    resource: &'a str,
    rules: &'a Rules,
    wiring: &'a Wiring,
    external: &'a ExternalClient,
) -> Target<'a> {
    let schema = &rules.schema;
    Target { customer: &customer.id, resource, schema, store: &wiring.store, external }
}

/// The demo's configuration: embedded defaults, the audit checking every record.
fn config(vomo: &str, external: &str, db: &Path) -> Config {
    let customer = |(id, timezone): (&str, &str)| CustomerConfig {
        id: id.to_owned(),
        token_env: None,
        token_file: None,
        timezone: timezone.to_owned(),
        settings: Default::default(),
        cadences: Default::default(),
        plugins: Default::default(),
    };
    Config {
        store: format!("sqlite://{}", db.display()),
        cache_dir: None,
        vomo: VomoConfig {
            base_url: vomo.to_owned(),
            requests_per_second: 1_000.0,
            concurrent_customers: 3,
            ca_file: None,
        },
        external: Some(crate::config::ExternalConfig {
            base_url: external.to_owned(),
            token_env: None,
            ca_file: None,
        }),
        thresholds: Default::default(),
        passes: PassSettings { audit_sample_fraction: 1.0, ..PassSettings::default() },
        schedule: Default::default(),
        api: Default::default(),
        alerts: Default::default(),
        plugins: Default::default(),
        settings: Default::default(),
        customers: CUSTOMERS.into_iter().map(customer).collect(),
    }
}
