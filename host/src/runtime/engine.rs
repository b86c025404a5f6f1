//! The one wasmtime engine of the process, its epoch ticker and the linker plugins see.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
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
    pub(super) ticker: Arc<Ticker>,
    cache: ComponentCache,
}

impl PluginEngine {
    /// Builds the engine, starts its epoch ticker and caches compiled plugins in `cache_dir`.
    pub fn new(limits: RuntimeLimits, cache_dir: impl Into<PathBuf>) -> anyhow::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        let engine = Engine::new(&config)?;
        let ticker = Arc::new(Ticker::default());
        start_epoch_ticker(&engine, limits.epoch_tick, Arc::clone(&ticker));

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        RulePlugin::add_to_linker::<_, HasSelf<PluginState>>(&mut linker, |state| state)?;

        let cache = ComponentCache::new(cache_dir.into(), &engine);
        Ok(PluginEngine { engine, linker: Arc::new(linker), limits, ticker, cache })
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

/// Counts the plugin calls in flight, so the ticker sleeps while there are none: a full scan
/// calls plugins for few records, and a thread waking a thousand times a second cost 6 % of its
/// CPU.
#[derive(Debug, Default)]
pub(super) struct Ticker {
    busy: AtomicUsize,
    /// Set while the ticker waits for a call. Waking it is a system call, so a call pays for
    /// one only when the ticker is actually asleep, not on every call.
    parked: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

/// Keeps the ticker ticking while it lives.
pub(super) struct Busy(Arc<Ticker>);

impl Ticker {
    /// Marks a call in flight until the returned guard is dropped.
    pub(super) fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::SeqCst);
        // Both sides write one flag and then read the other's, sequentially consistent: either
        // the ticker sees this call and does not wait, or this call sees the ticker parked and
        // wakes it under the lock the ticker holds from its check until it waits.
        if self.parked.load(Ordering::SeqCst) {
            let _held = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            self.wake.notify_one();
        }
        Busy(Arc::clone(self))
    }

    fn idle(&self) -> bool {
        self.busy.load(Ordering::SeqCst) == 0
    }

    /// Waits until a call is in flight, or `longest` has passed.
    fn park(&self, longest: Duration) {
        let held = self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.parked.store(true, Ordering::SeqCst);
        let _ = self.wake.wait_timeout_while(held, longest, |_| self.idle());
        self.parked.store(false, Ordering::SeqCst);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Ticks the epoch from a thread of its own while any call is in flight, so ticks continue when
/// every worker is busy, and stops when the engine is dropped.
fn start_epoch_ticker(engine: &Engine, tick: Duration, ticker: Arc<Ticker>) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".to_owned())
        .spawn(move || {
            loop {
                if ticker.idle() {
                    // Wakes now and then even when idle, to notice the engine is gone.
                    ticker.park(Duration::from_secs(1));
                } else {
                    std::thread::sleep(tick);
                }
                let Some(engine) = engine.upgrade() else { break };
                if !ticker.idle() {
                    engine.increment_epoch();
                }
            }
        })
        .expect("the epoch ticker thread starts");
}
