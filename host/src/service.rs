//! The host as a long-lived service: what its scheduled runs, its API and its health page
//! share, and one run of a customer's task through the layered plugin.

use std::path::Path;

use crate::config::Config;
use crate::engine::{Quiet, RunContext, RunSummary, Target, Task, run_task};
use crate::external::ExternalClient;
use crate::layers::Registry;
use crate::metrics::Meters;
use crate::notify::{Webhook, health_alerts, send};
use crate::wiring::Wiring;

/// The configured service: its store, plugins, clients, the plugin files it reloads and its
/// counters.
pub struct Service {
    pub wiring: Wiring,
    pub plugins: Registry,
    pub external: ExternalClient,
    /// Where alerts are posted, when configured.
    pub webhook: Option<Webhook>,
    pub meters: Meters,
}

impl Service {
    /// Opens the store and the plugin engine for `config`.
    pub async fn open(config: Config, cache_dir: &Path) -> anyhow::Result<Service> {
        let webhook = match &config.alerts.webhook_url {
            Some(url) => {
                let secret = match &config.alerts.secret_env {
                    Some(var) => std::env::var(var).map_err(|_| {
                        anyhow::anyhow!(
                            "environment variable `{var}` (alerts.secret_env) is not set"
                        )
                    })?,
                    None => {
                        anyhow::bail!("`alerts.webhook_url` needs `alerts.secret_env` to sign with")
                    }
                };
                Some(Webhook::new(url, secret).map_err(anyhow::Error::msg)?)
            }
            None => None,
        };
        let wiring = Wiring::open(config, cache_dir).await?;
        let external = wiring.external()?;
        let (plugins, meters) = (Registry::default(), Meters::default());
        Ok(Service { wiring, plugins, external, webhook, meters })
    }

    /// Runs `task` for `customer` now, with the plugin and settings its layers choose. The run
    /// is recorded whatever happens to it once it started.
    pub async fn run(&self, customer: &str, task: &Task) -> anyhow::Result<RunSummary> {
        let wiring = &self.wiring;
        let customer = wiring.customer(customer)?;
        let resource = &task.resource;
        let rules = self.plugins.plugin(&wiring.engine, &wiring.config, customer, resource).await?;
        tracing::debug!(customer = %customer.id, resource, layer = rules.layer.as_str(),
            version = %rules.plugin.description().version, "plugin");
        let (vomo, budget) = wiring.vomo(customer)?;
        self.meters.watch_budget(&customer.id, &budget);
        let meter = self.meters.call_meter(&customer.id, resource);
        let worker = wiring.worker_metered(&rules.plugin, customer, meter)?;
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
        let summary = run_task(&ctx, task).await;
        let run_id = match &summary {
            Ok(summary) => Some(summary.run_id),
            Err(_) => wiring.store.recent_runs(&customer.id, 1).await?.first().map(|r| r.id),
        };
        if let Some(run_id) = run_id {
            self.alert(&customer.id, run_id).await;
        }
        Ok(summary?)
    }

    /// Sends the alerts `run` raised and the ones the customer's runs now add up to.
    async fn alert(&self, customer: &str, run: crate::store::RunId) {
        let store = &self.wiring.store;
        let customers: Vec<String> =
            self.wiring.config.customers.iter().map(|c| c.id.clone()).collect();
        let thresholds = &self.wiring.config.thresholds;
        let raised = async {
            let mut alerts = store.run_alerts(run).await?;
            let health = health_alerts(store, thresholds, &customers, customer, run).await?;
            alerts.extend(health);
            Ok::<_, crate::store::StoreError>(alerts)
        };
        match raised.await {
            Ok(alerts) => send(self.webhook.as_ref(), &alerts).await,
            Err(error) => tracing::error!(customer, run, %error, "alerts not read"),
        }
    }
}
