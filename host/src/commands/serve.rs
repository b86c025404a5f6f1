//! `reconciler serve`: every customer's tasks on their cadences, until interrupted.
//!
//! Each run is isolated: a bad token, VOMO errors or a trapping plugin fail that run, which is
//! recorded and logged, and every other run goes on. A customer's plugin file is checked before
//! each run and reloaded when it changed; a changed file that is refused leaves the previous
//! plugin serving. Interrupting lets the runs in progress finish and starts no new one.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;

use crate::api::{ApiState, router};
use crate::builtin::BUILTINS;
use crate::config::Config;
use crate::engine::{Pass, Task};
use crate::schedule::{Clock, Launch, Scheduler, Size, Slot, cadences};
use crate::service::Service;
use crate::wiring::Wiring;

/// Starts a run for each slot the scheduler hands over.
#[derive(Clone)]
struct Launcher(Arc<Service>);

impl Launch for Launcher {
    async fn launch(&self, slot: Slot) {
        match self.0.run(&slot.customer, &slot.task).await {
            Ok(summary) => {
                tracing::info!(customer = %slot.customer, task = %slot.task,
                    run_id = summary.run_id, checked = summary.checked, gaps = summary.gaps,
                    "scheduled run done");
            }
            // The run itself was recorded as failed when it got that far; this names the
            // customer and task either way, and the service goes on.
            Err(error) => {
                let error = format!("{error:#}");
                tracing::error!(customer = %slot.customer, task = %slot.task, %error,
                    "scheduled run failed");
            }
        }
    }
}

/// Binds the API to `listen` and serves it until `stop` turns true.
async fn start_api(
    service: &Arc<Service>,
    listen: &str,
    token: Option<String>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let protect_reads = service.wiring.config.api.protect_reads;
    let state = ApiState { service: Arc::clone(service), token, protect_reads };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on `{listen}` (api.listen): {e}"))?;
    let address = listener.local_addr()?;
    let app = router(Arc::new(state));
    let serving = tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        };
        if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
            tracing::error!(%error, "the API stopped");
        }
    });
    Ok((address, serving))
}

/// The API's bearer token, from the variable `api.token_env` names.
fn api_token(config: &Config) -> anyhow::Result<Option<String>> {
    match &config.api.token_env {
        Some(var) => Ok(Some(std::env::var(var).map_err(|_| {
            anyhow::anyhow!("environment variable `{var}` (api.token_env) is not set")
        })?)),
        None => Ok(None),
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
    let token = api_token(&config)?;
    let service = Arc::new(Service::open(config, cache_dir).await?);
    let listening = |address| tracing::warn!(%address, "API listening");
    serve_service(service, token, listening, stop).await
}

/// Serves `service`, its API with `token` when it has an address, until `stop` turns true;
/// `listening` hears the API's address once it is bound.
pub async fn serve_service(
    service: Arc<Service>,
    token: Option<String>,
    listening: impl FnOnce(SocketAddr),
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let wiring = &service.wiring;
    let mut defaults = Vec::new();
    for builtin in BUILTINS {
        let loaded = wiring.rules(builtin.resource)?;
        for cadence in &loaded.plugin.description().cadences {
            let pass = Pass::from(cadence.task);
            defaults.push((Task::new(builtin.resource, pass), cadence.schedule.clone()));
        }
    }
    let sizes = sizes(wiring).await?;
    let cadences = cadences(&wiring.config, &defaults, &sizes).map_err(anyhow::Error::msg)?;
    for cadence in &cadences {
        tracing::info!(customer = %cadence.customer, task = %cadence.task,
            schedule = %cadence.schedule, layer = %cadence.layer, "cadence");
    }
    let cap = wiring.config.schedule.concurrent_runs;
    tracing::info!(cadences = cadences.len(), concurrent_runs = cap, "serving");
    let scheduler = Scheduler { cadences, cap, clock: Clock::starting_at(chrono::Utc::now()) };
    let api = match &wiring.config.api.listen {
        Some(listen) => {
            let (address, serving) = start_api(&service, listen, token, stop.clone()).await?;
            listening(address);
            Some(serving)
        }
        None => None,
    };
    scheduler.run(Launcher(Arc::clone(&service)), stop).await;
    if let Some(api) = api {
        let _ = api.await;
    }
    service.wiring.store.close().await;
    Ok(())
}
