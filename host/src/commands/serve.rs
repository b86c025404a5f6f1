//! `reconciler serve`: every customer's tasks on their cadences, until interrupted.
//!
//! Each run is isolated: a bad token, VOMO errors or a trapping plugin fail that run, which is
//! recorded, alerted and logged, and every other run goes on. A customer's plugin file is checked
//! before each run and reloaded when it changed; a changed file that is refused leaves the
//! previous plugin serving. Stopping starts no new run, gives the runs in progress the grace
//! period to finish, then interrupts them; a second stop signal exits at once.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::api::{ApiState, router};
use crate::builtin::BUILTINS;
use crate::config::Config;
use crate::engine::{Interrupt, Pass, Task};
use crate::schedule::{Clock, Launch, Scheduler, Size, Slot, cadences};
use crate::service::Service;
use crate::store::now_micros;
use crate::wiring::Wiring;

/// Runs each slot the scheduler hands over.
#[derive(Clone)]
struct Launcher(Arc<Service>);

impl Launch for Launcher {
    async fn launch(&self, slot: Slot, interrupt: Interrupt) {
        self.0.run_logged(&slot.customer, &slot.task, &interrupt, "schedule").await;
    }
}

/// Turns `stop` true at the first signal `next` hears, and returns at the second: the caller
/// then exits at once, whatever is still going.
pub async fn on_signals<F>(mut next: impl FnMut() -> F, stop: watch::Sender<bool>)
where
    F: Future<Output = ()>,
{
    next().await;
    tracing::warn!(
        "stopping: runs in progress finish or are interrupted after the grace period, \
        no new one starts; a second signal exits at once"
    );
    stop.send_replace(true);
    next().await;
    tracing::warn!("second stop signal: exiting at once");
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
    let customers: Vec<String> = wiring.config.customers.iter().map(|c| c.id.clone()).collect();
    let abandoned = wiring.store.close_abandoned_runs(&customers, now_micros()).await?;
    if !abandoned.is_empty() {
        tracing::warn!(runs = ?abandoned, "runs a dead process left running: interrupted");
    }
    let schedule = &wiring.config.schedule;
    let grace = Duration::from_secs(schedule.shutdown_grace_seconds);
    tracing::info!(
        cadences = cadences.len(),
        concurrent_runs = schedule.concurrent_runs,
        grace_secs = grace.as_secs(),
        "serving"
    );
    let gate = service.gate.clone();
    let scheduler = Scheduler { cadences, gate, clock: Clock::starting_at(chrono::Utc::now()) };
    let api = match &wiring.config.api.listen {
        Some(listen) => {
            let (address, serving) = start_api(&service, listen, token, stop.clone()).await?;
            listening(address);
            Some(serving)
        }
        None => None,
    };
    scheduler.run(Launcher(Arc::clone(&service)), stop).await;
    service.gate.stop(grace).await;
    if let Some(api) = api {
        let _ = api.await;
    }
    service.wiring.store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use tokio::sync::Notify;

    use super::*;

    #[tokio::test]
    async fn the_first_signal_stops_and_the_second_returns_to_exit() {
        let signals = Arc::new(Notify::new());
        let next = {
            let signals = Arc::clone(&signals);
            move || {
                let signals = Arc::clone(&signals);
                async move { signals.notified().await }
            }
        };
        let (stop, mut stopped) = watch::channel(false);
        let listening = tokio::spawn(on_signals(next, stop));
        signals.notify_one();
        stopped.wait_for(|stopped| *stopped).await.expect("the stop is sent");
        assert!(!listening.is_finished(), "one signal only stops");
        signals.notify_one();
        listening.await.expect("a second signal returns");
    }
}
