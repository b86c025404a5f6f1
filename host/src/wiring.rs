//! Builds what runs need from the configuration: the store, the plugins, and per customer a
//! VOMO client on its token's budget and a plugin worker with the customer's settings.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::builtin;
use crate::config::{Config, CustomerConfig};
use crate::engine::Pass;
use crate::external::ExternalClient;
use crate::http::Trust;
use crate::runtime::{CallMeter, Plugin, PluginEngine, PluginWorker, RuntimeLimits};
use crate::store::Store;
use crate::throttle::{Budgets, RateBudget};
use crate::vomo::{ClientConfig, RecordSchema, RetryPolicy, Token, VomoClient};

/// The configured service's parts.
pub struct Wiring {
    pub config: Config,
    pub store: Store,
    pub engine: PluginEngine,
    pub budgets: Budgets,
    pub retry: RetryPolicy,
    /// The roots VOMO's and the external system's certificates are checked against, each
    /// read once rather than for every client.
    vomo_trust: Trust,
    external_trust: Trust,
}

/// A resource's rules: the plugin and the record schema its description declares.
pub struct Rules {
    pub plugin: Plugin,
    pub schema: RecordSchema,
}

impl Rules {
    /// The passes the plugin suggests a cadence for: the tasks its resource runs by default.
    pub fn passes(&self) -> Vec<Pass> {
        let mut passes: Vec<Pass> =
            self.plugin.description().cadences.iter().map(|c| Pass::from(c.task)).collect();
        passes.sort_by_key(|pass| *pass as u8);
        passes.dedup();
        passes
    }
}

impl Wiring {
    /// Opens the store (migrating it) and the plugin engine, and reads the roots the
    /// configuration adds.
    pub async fn open(config: Config, cache_dir: &Path) -> anyhow::Result<Wiring> {
        let vomo_trust = Trust::with_roots(&config.vomo.roots().map_err(anyhow::Error::msg)?);
        let external_roots = match &config.external {
            Some(external) => external.roots().map_err(anyhow::Error::msg)?,
            None => Default::default(),
        };
        let external_trust = Trust::with_roots(&external_roots);
        let store = Store::open(&config.store).await?;
        let engine = PluginEngine::new(RuntimeLimits::default(), cache_dir)?;
        Ok(Wiring {
            config,
            store,
            engine,
            budgets: Budgets::default(),
            retry: RetryPolicy::default(),
            vomo_trust,
            external_trust,
        })
    }

    /// The customer called `id`, or an error listing the ones configured.
    pub fn customer(&self, id: &str) -> anyhow::Result<&CustomerConfig> {
        self.config.customer(id).ok_or_else(|| {
            let known: Vec<&str> = self.config.customers.iter().map(|c| c.id.as_str()).collect();
            anyhow!("no customer `{id}` in the configuration; configured: {}", known.join(", "))
        })
    }

    /// The rules for `resource`: the plugin built into the host.
    pub fn rules(&self, resource: &str) -> anyhow::Result<Rules> {
        let builtin = builtin::for_resource(resource)
            .ok_or_else(|| anyhow!("no rule plugin for resource `{resource}`"))?;
        let plugin = self.engine.load_bytes(builtin.name, builtin.bytes)?;
        let schema = RecordSchema::of(plugin.description());
        Ok(Rules { plugin, schema })
    }

    /// A VOMO client for `customer`, drawing on its token's budget.
    pub fn vomo(&self, customer: &CustomerConfig) -> anyhow::Result<(VomoClient, Arc<RateBudget>)> {
        let token = customer.token()?;
        self.vomo_with(customer, token)
    }

    /// A VOMO client for `customer` with a token already read.
    pub fn vomo_with(
        &self,
        customer: &CustomerConfig,
        token: Token,
    ) -> anyhow::Result<(VomoClient, Arc<RateBudget>)> {
        let rate = self.config.vomo.requests_per_second;
        let budget = self.budgets.for_token(token.expose(), || RateBudget::per_second(rate));
        let reach = ClientConfig {
            base_url: self.config.vomo.base_url.clone(),
            customer: customer.id.clone(),
            token,
            budget: Arc::clone(&budget),
            retry: self.retry.clone(),
            timeout: Duration::from_secs(60),
        };
        let client = VomoClient::with_trust(reach, &self.vomo_trust)
            .with_context(|| format!("customer `{}`", customer.id))?;
        Ok((client, budget))
    }

    /// The external system's client.
    pub fn external(&self) -> anyhow::Result<ExternalClient> {
        let external = self.config.external.as_ref().ok_or_else(|| {
            anyhow!(
                "the configuration has no `[external]` section: runs push to the external system"
            )
        })?;
        let token = match &external.token_env {
            Some(var) => Some(Token::new(std::env::var(var).map_err(|_| {
                anyhow!("environment variable `{var}` (external.token_env) is not set")
            })?)),
            None => None,
        };
        Ok(ExternalClient::with_trust(&external.base_url, token.as_ref(), &self.external_trust)?)
    }

    /// A warm instance of `plugin` for `customer`, with its settings for the resource, on a
    /// worker thread.
    pub fn worker(&self, rules: &Rules, customer: &CustomerConfig) -> anyhow::Result<PluginWorker> {
        self.worker_of(&rules.plugin, customer)
    }

    /// A warm instance of `plugin` for `customer` with its settings, every layer merged.
    pub fn worker_of(
        &self,
        plugin: &Plugin,
        customer: &CustomerConfig,
    ) -> anyhow::Result<PluginWorker> {
        self.worker_metered(plugin, customer, CallMeter::default())
    }

    /// A worker as [`Wiring::worker_of`] makes, adding its calls and traps to `meter`.
    pub fn worker_metered(
        &self,
        plugin: &Plugin,
        customer: &CustomerConfig,
        meter: CallMeter,
    ) -> anyhow::Result<PluginWorker> {
        let resource = &plugin.description().resource;
        let layered = crate::layers::settings(&self.config, customer, resource);
        let settings: BTreeMap<String, String> =
            layered.into_iter().map(|(key, (value, _))| (key, value)).collect();
        let instance = plugin.instance(&customer.id, Arc::new(settings));
        PluginWorker::spawn_metered(instance, meter).context("failed to start a plugin worker")
    }
}
