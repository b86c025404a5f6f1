//! A loaded rule plugin: compiled, checked against the world, pre-instantiated and described.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use wasmtime::component::{Component, ComponentExportIndex};

use super::engine::PluginEngine;
use super::error::PluginError;
use super::instance::PluginInstance;
use super::quarantine::TrapWindow;
use super::sandbox::{PluginState, Settings};
use super::{imports, validate};
use crate::bindings::{Description, RulePluginPre};

/// The exported interface that holds the rules.
const RULES: &str = "vomo:reconcile/rules@0.1.0";

/// Where the rules the host calls through bounded result types sit in the component.
pub(super) struct Exports {
    pub compare: ComponentExportIndex,
    pub plan: ComponentExportIndex,
}

/// A validated plugin, cheap to clone, from which warm instances are made.
#[derive(Clone)]
pub struct Plugin {
    pub(super) inner: Arc<PluginInner>,
}

pub(super) struct PluginInner {
    pub name: Arc<str>,
    pub digest: String,
    pub engine: PluginEngine,
    pub pre: RulePluginPre<PluginState>,
    pub exports: Exports,
    pub description: OnceLock<Description>,
    /// Traps per customer: one customer's data tripping the plugin never stops another's runs.
    pub traps: Mutex<HashMap<Arc<str>, TrapWindow>>,
    /// Whether any customer is quarantined, so the common case skips the lock on every call.
    pub any_quarantined: AtomicBool,
}

impl Plugin {
    pub(super) fn new(
        engine: &PluginEngine,
        name: &str,
        component: Component,
        bytes: &[u8],
    ) -> Result<Plugin, PluginError> {
        imports::check(name, &component, &engine.engine)?;
        let wrong_world = |error: wasmtime::Error| PluginError::WrongWorld {
            plugin: name.to_owned(),
            reason: format!("{error:#}"),
        };
        let instance_pre = engine.linker.instantiate_pre(&component).map_err(wrong_world)?;
        let pre = RulePluginPre::new(instance_pre).map_err(wrong_world)?;
        // The world check above guarantees the interface and both functions exist.
        let rules = component.get_export_index(None, RULES).expect("the world has its rules");
        let function = |name| component.get_export_index(Some(&rules), name).expect("a rule");
        let exports = Exports { compare: function("compare"), plan: function("plan") };

        let plugin = Plugin {
            inner: Arc::new(PluginInner {
                name: name.into(),
                digest: blake3::hash(bytes).to_hex().to_string(),
                engine: engine.clone(),
                pre,
                exports,
                description: OnceLock::new(),
                traps: Mutex::new(HashMap::new()),
                any_quarantined: AtomicBool::new(false),
            }),
        };
        let description = plugin.instance("", Settings::default()).describe()?;
        validate::description(&description).map_err(|reason| plugin.invalid("describe", reason))?;
        plugin.inner.description.get_or_init(|| description);
        Ok(plugin)
    }

    /// How errors and logs name the plugin: its file, or the name it was loaded under.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The BLAKE3 digest of the plugin's bytes, in hex.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// What the plugin said about itself when it was loaded.
    pub fn description(&self) -> &Description {
        self.inner.description.get().expect("a loaded plugin has described itself")
    }

    /// A warm instance for `customer` that reads `settings` through the host import. Instances
    /// are not shared between threads; make one per worker.
    pub fn instance(&self, customer: &str, settings: Settings) -> PluginInstance {
        PluginInstance::new(self.clone(), customer.into(), settings)
    }

    /// Whether the plugin trapped too often on `customer`'s records and now refuses their calls.
    pub fn is_quarantined(&self, customer: &str) -> bool {
        if !self.inner.any_quarantined.load(Ordering::Acquire) {
            return false;
        }
        let traps = self.inner.traps.lock().expect("trap window lock");
        traps.get(customer).is_some_and(TrapWindow::is_quarantined)
    }

    /// Whether the plugin became quarantined for `customer` since anyone last asked: true once
    /// per quarantine, so whoever hears it raises the alert alone.
    pub fn take_quarantine_news(&self, customer: &str) -> bool {
        if !self.inner.any_quarantined.load(Ordering::Acquire) {
            return false;
        }
        let mut traps = self.inner.traps.lock().expect("trap window lock");
        traps.get_mut(customer).is_some_and(TrapWindow::announce)
    }

    pub(super) fn record_trap(&self, customer: &Arc<str>) -> bool {
        let limits = &self.inner.engine.limits;
        let mut traps = self.inner.traps.lock().expect("trap window lock");
        let window = traps.entry(customer.clone()).or_default();
        let quarantined =
            window.record(Instant::now(), limits.quarantine_traps, limits.quarantine_window);
        if quarantined {
            self.inner.any_quarantined.store(true, Ordering::Release);
        }
        quarantined
    }

    pub(super) fn invalid(&self, function: &'static str, reason: String) -> PluginError {
        PluginError::Invalid { plugin: self.name().to_owned(), function, reason }
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name())
            .field("digest", &self.digest())
            .finish()
    }
}
