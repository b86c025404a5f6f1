//! The one wasmtime engine of the process, its epoch ticker and the linker plugins see.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

use super::cache::ComponentCache;
use super::error::PluginError;
use super::limits::RuntimeLimits;
use super::plugin::Plugin;
use super::sandbox::PluginState;
use crate::bindings::RulePlugin;

/// Compiles, caches and links rule plugins. Build one per process and share it.
#[derive(Clone)]
pub struct PluginEngine {
    pub(super) engine: Engine,
    pub(super) linker: Arc<Linker<PluginState>>,
    pub(super) limits: RuntimeLimits,
    cache: ComponentCache,
}

impl PluginEngine {
    /// Builds the engine, starts its epoch ticker and caches compiled plugins in `cache_dir`.
    pub fn new(limits: RuntimeLimits, cache_dir: impl Into<PathBuf>) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = Engine::new(&config)?;
        start_epoch_ticker(&engine, limits.epoch_tick);

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        RulePlugin::add_to_linker::<_, HasSelf<PluginState>>(&mut linker, |state| state)?;

        let cache = ComponentCache::new(cache_dir.into(), &engine);
        Ok(PluginEngine { engine, linker: Arc::new(linker), limits, cache })
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &RuntimeLimits {
        &self.limits
    }

    /// Loads, compiles (or takes from the cache) and validates the plugin at `path`.
    ///
    /// Compiling can take a while: call this off the async workers.
    pub fn load(&self, path: &Path) -> Result<Plugin, PluginError> {
        let bytes = std::fs::read(path)
            .map_err(|source| PluginError::Read { path: path.to_owned(), source })?;
        self.load_bytes(&path.display().to_string(), &bytes)
    }

    /// Loads a plugin from bytes; `name` is how errors and logs refer to it.
    pub fn load_bytes(&self, name: &str, bytes: &[u8]) -> Result<Plugin, PluginError> {
        let component = self.cache.component(name, bytes)?;
        Plugin::new(self, name, component, bytes)
    }
}

/// Ticks the epoch from a thread of its own, so ticks continue when every worker is busy, and
/// stops when the engine is dropped.
fn start_epoch_ticker(engine: &Engine, tick: Duration) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".to_owned())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(tick);
            }
        })
        .expect("the epoch ticker thread starts");
}
