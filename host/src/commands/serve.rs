//! `reconciler serve`: every customer's tasks on their cadences, until interrupted.
//!
//! Each run is isolated: a bad token, VOMO errors or a trapping plugin fail that run, which is
//! recorded and logged, and every other run goes on. A customer's plugin file is checked before
//! each run and reloaded when it changed; a changed file that is refused leaves the previous
//! plugin serving. Interrupting lets the runs in progress finish and starts no new one.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::watch;

use crate::builtin::BUILTINS;
use crate::config::Config;
use crate::engine::{Pass, Quiet, RunContext, Target, Task, run_task};
use crate::external::ExternalClient;
use crate::layers::Registry;
use crate::schedule::{Clock, Launch, Scheduler, Size, Slot, cadences};
use crate::wiring::Wiring;

/// What every run of the service shares.
struct Service {
    wiring: Wiring,
    plugins: Registry,
    external: ExternalClient,
}

/// Starts a run for each slot the scheduler hands over.
#[derive(Clone)]
struct Launcher(Arc<Service>);

impl Launch for Launcher {
    async fn launch(&self, slot: Slot) {
        if let Err(error) = self.0.run(&slot).await {
            // The run itself was recorded as failed when it got that far; this names the
            // customer and task either way, and the service goes on.
            let error = format!("{error:#}");
            tracing::error!(customer = %slot.customer, task = %slot.task, %error,
                "scheduled run failed");
        }
    }
}

impl Service {
    async fn run(&self, slot: &Slot) -> anyhow::Result<()> {
        let wiring = &self.wiring;
        let customer = wiring.customer(&slot.customer)?;
        let resource = &slot.task.resource;
        let rules = self.plugins.plugin(&wiring.engine, &wiring.config, customer, resource)?;
        tracing::debug!(customer = %slot.customer, resource, layer = rules.layer.as_str(),
            version = %rules.plugin.description().version, "plugin");
        let (vomo, _) = wiring.vomo(customer)?;
        let worker = wiring.worker_of(&rules.plugin, customer)?;
        let ctx = RunContext {
            target: Target {
                customer: &customer.id,
                resource: &slot.task.resource,
                schema: &rules.schema,
                store: &wiring.store,
                external: &self.external,
            },
            vomo: &vomo,
            plugin: &worker,
            thresholds: &wiring.config.thresholds,
            passes: &wiring.config.passes,
            time_zone: customer.time_zone(),
            now: chrono::Utc::now(),
            dry_run: false,
            progress: &Quiet,
        };
        let summary = run_task(&ctx, &slot.task).await?;
        tracing::info!(customer = %slot.customer, task = %slot.task, run_id = summary.run_id,
            checked = summary.checked, gaps = summary.gaps, "scheduled run done");
        Ok(())
    }
}

/// Each customer's users in partner state and how many changed in the last day.
async fn sizes(wiring: &Wiring) -> anyhow::Result<HashMap<String, Size>> {
    let day_ago = crate::store::now_micros() - 24 * 3_600 * 1_000_000;
    let mut sizes = HashMap::new();
    for customer in &wiring.config.customers {
        let (users, changes_a_day) =
            wiring.store.partner_size(&customer.id, "users", day_ago).await?;
        sizes.insert(customer.id.clone(), Size { users, changes_a_day });
    }
    Ok(sizes)
}

/// Serves `config` until `stop` turns true.
pub async fn serve(
    config: Config,
    cache_dir: &std::path::Path,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let wiring = Wiring::open(config, cache_dir).await?;
    let external = wiring.external()?;
    let mut defaults = Vec::new();
    for builtin in BUILTINS {
        let loaded = wiring.rules(builtin.resource)?;
        for cadence in &loaded.plugin.description().cadences {
            let pass = Pass::from(cadence.task);
            defaults.push((Task::new(builtin.resource, pass), cadence.schedule.clone()));
        }
    }
    let sizes = sizes(&wiring).await?;
    let cadences = cadences(&wiring.config, &defaults, &sizes).map_err(anyhow::Error::msg)?;
    for cadence in &cadences {
        tracing::info!(customer = %cadence.customer, task = %cadence.task,
            schedule = %cadence.schedule, layer = %cadence.layer, "cadence");
    }
    let cap = wiring.config.schedule.concurrent_runs;
    tracing::info!(cadences = cadences.len(), concurrent_runs = cap, "serving");
    let scheduler = Scheduler { cadences, cap, clock: Clock::starting_at(chrono::Utc::now()) };
    let service = Launcher(Arc::new(Service { wiring, plugins: Registry::default(), external }));
    scheduler.run(service.clone(), stop).await;
    service.0.wiring.store.close().await;
    Ok(())
}
