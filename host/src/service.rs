//! The host as a long-lived service: what its scheduled runs, its API and its health page
//! share, and one run of a customer's task through the layered plugin.

use std::path::Path;
use std::sync::Arc;

use crate::config::{Config, CustomerConfig};
use crate::engine::run_task_until;
use crate::engine::{Interrupt, Quiet, RunContext, RunEnd, RunError, RunSummary, Target, Task};
use crate::external::ExternalClient;
use crate::gate::{Gate, Refused};
use crate::layers::{Loaded, Registry};
use crate::metrics::Meters;
use crate::notify::{Webhook, health_alerts, plugin_quarantined, run_failed, send};
use crate::store::{Alert, RunId, StoreError};
use crate::wiring::Wiring;

/// The configured service: its store, plugins, clients, the plugin files it reloads, the gate
/// its runs go through and its counters.
pub struct Service {
    pub wiring: Wiring,
    pub plugins: Registry,
    pub external: ExternalClient,
    /// Where alerts are posted, when configured.
    pub webhook: Option<Webhook>,
    /// The cap on runs at once, one run of a customer's task at a time, and the stop.
    pub gate: Gate,
    pub meters: Meters,
}

/// How a run of the service ended, for the alerts it raises.
struct Ended {
    run_id: Option<RunId>,
    result: anyhow::Result<RunSummary>,
    /// The plugin's name, when it became quarantined for the customer during the run.
    quarantined: Option<String>,
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
        let gate = Gate::new(config.schedule.concurrent_runs);
        let wiring = Wiring::open(config, cache_dir).await?;
        let external = wiring.external()?;
        let (plugins, meters) = (Registry::default(), Meters::default());
        Ok(Service { wiring, plugins, external, webhook, gate, meters })
    }

    /// Starts `task` for `customer` in the background through the gate, as the scheduler
    /// does: refused while the customer's run of the task goes on, or once stopping.
    pub fn start(self: &Arc<Self>, customer: &str, task: &Task) -> Result<(), Refused> {
        let service = Arc::clone(self);
        let (id, started) = (customer.to_owned(), task.clone());
        self.gate.start(customer, &task.to_string(), move |interrupt| async move {
            service.run_logged(&id, &started, &interrupt, "api").await;
        })
    }

    /// Runs `task` for `customer` now, with the plugin and settings its layers choose. The run
    /// is recorded whatever happens to it once it started.
    pub async fn run(&self, customer: &str, task: &Task) -> anyhow::Result<RunSummary> {
        self.run_until(customer, task, Interrupt::never()).await
    }

    /// Runs like [`Service::run`] until `interrupt` fires, then records the run as interrupted.
    pub async fn run_until(
        &self,
        customer: &str,
        task: &Task,
        interrupt: &Interrupt,
    ) -> anyhow::Result<RunSummary> {
        let customer = self.wiring.customer(customer)?;
        let (engine, config) = (&self.wiring.engine, &self.wiring.config);
        let ended = match self.plugins.plugin(engine, config, customer, &task.resource).await {
            Ok(rules) => self.run_with(customer, task, &rules, interrupt).await,
            Err(error) => Ended { run_id: None, result: Err(error), quarantined: None },
        };
        self.alert(customer, task, &ended).await;
        ended.result
    }

    /// Runs `task` through `run_until` and logs how it ended; `origin` says who asked.
    pub async fn run_logged(
        &self,
        customer: &str,
        task: &Task,
        interrupt: &Interrupt,
        origin: &str,
    ) {
        match self.run_until(customer, task, interrupt).await {
            Ok(summary) => {
                tracing::info!(customer, task = %task, origin, run_id = summary.run_id,
                    checked = summary.checked, gaps = summary.gaps, "run done");
            }
            Err(error) if was_interrupted(&error) => {
                tracing::warn!(customer, task = %task, origin, "run interrupted");
            }
            // The run itself was recorded as failed when it got that far; this names the
            // customer and task either way, and the service goes on.
            Err(error) => {
                let error = format!("{error:#}");
                tracing::error!(customer, task = %task, origin, %error, "run failed");
            }
        }
    }

    async fn run_with(
        &self,
        customer: &CustomerConfig,
        task: &Task,
        rules: &Loaded,
        interrupt: &Interrupt,
    ) -> Ended {
        let wiring = &self.wiring;
        let resource = &task.resource;
        let unopened =
            |error: anyhow::Error| Ended { run_id: None, result: Err(error), quarantined: None };
        tracing::debug!(customer = %customer.id, resource, layer = rules.layer.as_str(),
            version = %rules.plugin.description().version, "plugin");
        let (vomo, budget) = match wiring.vomo(customer) {
            Ok(client) => client,
            Err(error) => return unopened(error),
        };
        self.meters.watch_budget(&customer.id, &budget);
        let meter = self.meters.call_meter(&customer.id, resource);
        let worker = match wiring.worker_metered(&rules.plugin, customer, meter) {
            Ok(worker) => worker,
            Err(error) => return unopened(error),
        };
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
        let RunEnd { run_id, result } = run_task_until(&ctx, task, interrupt).await;
        let quarantined = rules.plugin.take_quarantine_news(&customer.id);
        let quarantined = quarantined.then(|| rules.plugin.name().to_owned());
        Ended { run_id, result: result.map_err(anyhow::Error::from), quarantined }
    }

    /// Sends the alerts the run raised and the ones the customer's runs now add up to: its
    /// own, a failure, a plugin quarantined on the way, and the health alerts.
    async fn alert(&self, customer: &CustomerConfig, task: &Task, ended: &Ended) {
        let store = &self.wiring.store;
        let customers: Vec<String> =
            self.wiring.config.customers.iter().map(|c| c.id.clone()).collect();
        let thresholds = &self.wiring.config.thresholds;
        let (id, run) = (customer.id.as_str(), ended.run_id);
        let raised = async {
            let mut alerts = match run {
                Some(run) => store.run_alerts(run).await?,
                None => Vec::new(),
            };
            if let Some(plugin) = &ended.quarantined {
                alerts.push(plugin_quarantined(store, id, run, &task.resource, plugin).await?);
            }
            if let Err(error) = &ended.result
                && !was_interrupted(error)
            {
                let error = format!("{error:#}");
                alerts.extend(run_failed(store, id, run, &task.to_string(), &error).await?);
            }
            if let Some(run) = run {
                alerts.extend(health_alerts(store, thresholds, &customers, id, run).await?);
            }
            Ok::<Vec<Alert>, StoreError>(alerts)
        };
        match raised.await {
            Ok(alerts) => send(self.webhook.as_ref(), &alerts).await,
            Err(error) => tracing::error!(customer = id, run, %error, "alerts not read"),
        }
    }
}

/// Whether a run ended because the service stopped it, which is no failure.
pub fn was_interrupted(error: &anyhow::Error) -> bool {
    matches!(error.downcast_ref::<RunError>(), Some(RunError::Interrupted))
}
