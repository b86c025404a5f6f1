//! The host as a long-lived service: what its scheduled runs, its API and its health page
//! share, and one run of a customer's task through the layered plugin.

use std::path::Path;

use crate::config::Config;
use crate::engine::{Quiet, RunContext, RunSummary, Target, Task, run_task};
use crate::external::ExternalClient;
use crate::layers::Registry;
use crate::wiring::Wiring;

/// The configured service: its store, plugins, clients, and the plugin files it reloads.
pub struct Service {
    pub wiring: Wiring,
    pub plugins: Registry,
    pub external: ExternalClient,
}

impl Service {
    /// Opens the store and the plugin engine for `config`.
    pub async fn open(config: Config, cache_dir: &Path) -> anyhow::Result<Service> {
        let wiring = Wiring::open(config, cache_dir).await?;
        let external = wiring.external()?;
        Ok(Service { wiring, plugins: Registry::default(), external })
    }

    /// Runs `task` for `customer` now, with the plugin and settings its layers choose. The run
    /// is recorded whatever happens to it once it started.
    pub async fn run(&self, customer: &str, task: &Task) -> anyhow::Result<RunSummary> {
        let wiring = &self.wiring;
        let customer = wiring.customer(customer)?;
        let resource = &task.resource;
        let rules = self.plugins.plugin(&wiring.engine, &wiring.config, customer, resource)?;
        tracing::debug!(customer = %customer.id, resource, layer = rules.layer.as_str(),
            version = %rules.plugin.description().version, "plugin");
        let (vomo, _) = wiring.vomo(customer)?;
        let worker = wiring.worker_of(&rules.plugin, customer)?;
        let ctx = RunContext {
            target: Target {
                customer: &customer.id,
                resource,
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
        Ok(run_task(&ctx, task).await?)
    }
}
