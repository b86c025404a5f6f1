//! Shared helpers: an engine with a shared compile cache, fixture plugins, and settings.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use reconciler::runtime::{Plugin, PluginEngine, RuntimeLimits, Settings};

/// The compile cache all tests share, so each component is compiled once per test run.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

pub fn engine_with(limits: RuntimeLimits) -> PluginEngine {
    PluginEngine::new(limits, cache_dir()).expect("the engine starts")
}

pub fn engine() -> PluginEngine {
    engine_with(RuntimeLimits::default())
}

pub fn load(engine: &PluginEngine, path: &str) -> Plugin {
    engine.load(path.as_ref()).expect("the plugin loads")
}

pub fn settings(pairs: &[(&str, &str)]) -> Settings {
    let map: BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Arc::new(map)
}
