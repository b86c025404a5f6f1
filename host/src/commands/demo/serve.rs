//! `reconciler demo --serve`: the demo's simulator and customers as a running service, every
//! task every 30 seconds, records changing behind the integration's back, and the API, metrics
//! and health page on a local port for a newcomer to watch in a browser.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;
use tokio::sync::watch;
use vomo_sim::{Control, DataSize, ExternalConfig, ExternalSystem, Resource, SimConfig, Simulator};

use crate::builtin::BUILTINS;
use crate::commands::serve::serve_service;
use crate::config::ApiSettings;
use crate::runtime::PluginEngine;
use crate::service::Service;

use super::faults::users_of;

/// The bearer token the demo's API takes for writes (approve, reject, trigger a run).
pub const DEMO_TOKEN: &str = "demo";

/// Every task's cadence in the demo: each half minute.
const CADENCE: &str = "*/30 * * * * *";

/// Runs the demo as a service on `port` (0 for any free one) until `stop` turns true.
pub async fn serve(
    cache_dir: &Path,
    port: u16,
    listening: impl FnOnce(SocketAddr),
    stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let size = DataSize { customers: 3, children_per_customer: 0, ..DataSize::with_users(450) };
    let sim_config =
        SimConfig { size, rate_limit: None, frozen_clock: false, ..SimConfig::default() };
    let sim = Simulator::start(sim_config).await.context("starting the simulator")?;
    let crm = ExternalSystem::start(ExternalConfig { port: 0, token: None })
        .await
        .context("starting the external system")?;
    let dir = tempfile_dir()?;
    let mut config = super::config(sim.base_url(), &crm.base_url(), &dir.join("demo.db"));
    config.passes.audit_sample_fraction = 0.1;
    config.schedule.stagger_minutes = 1;
    config.api =
        ApiSettings { listen: Some(format!("127.0.0.1:{port}")), ..ApiSettings::default() };
    let engine = PluginEngine::new(Default::default(), cache_dir)?;
    let mut tasks = Vec::new();
    for builtin in BUILTINS {
        let plugin = engine.load_bytes(builtin.name, builtin.bytes)?;
        for cadence in &plugin.description().cadences {
            tasks.push(format!(
                "{}_{}",
                builtin.resource,
                crate::engine::Pass::from(cadence.task).as_str()
            ));
        }
    }
    for (customer, sim_customer) in config.customers.iter_mut().zip(sim.customers()) {
        let file = dir.join(format!("{}.token", customer.id));
        std::fs::write(&file, &sim_customer.token).context("writing a demo token")?;
        customer.token_file = Some(file);
        customer.cadences = tasks.iter().map(|task| (task.clone(), CADENCE.to_owned())).collect();
    }
    let service = Arc::new(Service::open(config, cache_dir).await?);
    let churn = tokio::spawn(churn(sim.control().clone(), stop.clone()));
    let served = serve_service(service, Some(DEMO_TOKEN.to_owned()), listening, stop).await;
    churn.abort();
    let _ = std::fs::remove_dir_all(&dir);
    served
}

/// Every 20 seconds, each customer's users change: one visibly, one without `updated_at`.
async fn churn(control: Control, mut stop: watch::Receiver<bool>) {
    let orgs: Vec<u32> = control.customers().iter().map(|c| c.id).collect();
    let mut round = 0_u32;
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(20)) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        round += 1;
        for org in &orgs {
            let users = users_of(&control, *org);
            let pick = |offset: u32| users[(round * 7 + offset) as usize % users.len()];
            if users.is_empty() {
                continue;
            }
            let renamed = json!({ "first_name": format!("Round{round}") });
            let _ = control.update(Resource::Users, pick(0), renamed);
            let phone = json!({ "phone": format!("+1 555 01{round:02}") });
            let _ = control.update_silently(Resource::Users, pick(3), phone);
        }
    }
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("reconciler-demo-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
    Ok(dir)
}
