//! Which plugin and which settings a customer's runs of a resource use: the customer's own, the
//! configuration's for everyone, or the built-in ones; and plugin files reloaded when they change.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::{Context as _, anyhow};

use crate::builtin;
use crate::config::{Config, CustomerConfig};
use crate::runtime::{Plugin, PluginEngine};
use crate::vomo::RecordSchema;

/// Where a plugin or a setting came from, the most specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The customer's own entry in the configuration.
    Customer,
    /// The configuration's entry for every customer.
    Configuration,
    /// Built into the host.
    Builtin,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Customer => "customer",
            Layer::Configuration => "configuration",
            Layer::Builtin => "builtin",
        }
    }
}

/// The plugin file for `customer`'s `resource`, and the layer it comes from; none for the
/// built-in plugin.
pub fn plugin_file<'c>(
    config: &'c Config,
    customer: &'c CustomerConfig,
    resource: &str,
) -> (Layer, Option<&'c Path>) {
    if let Some(file) = customer.plugins.get(resource) {
        return (Layer::Customer, Some(file));
    }
    match config.plugins.get(resource) {
        Some(file) => (Layer::Configuration, Some(file)),
        None => (Layer::Builtin, None),
    }
}

/// The settings `customer`'s plugin for `resource` reads, each with the layer that set it.
pub fn settings(
    config: &Config,
    customer: &CustomerConfig,
    resource: &str,
) -> BTreeMap<String, (String, Layer)> {
    let mut merged = BTreeMap::new();
    let layers = [(config.settings.get(resource), Layer::Configuration)]
        .into_iter()
        .chain([(customer.settings.get(resource), Layer::Customer)]);
    for (entries, layer) in layers {
        for (key, value) in entries.into_iter().flatten() {
            merged.insert(key.clone(), (value.clone(), layer));
        }
    }
    merged
}

/// A loaded plugin with the schema its description declares.
#[derive(Debug)]
pub struct Loaded {
    pub plugin: Plugin,
    pub schema: RecordSchema,
    pub layer: Layer,
    /// The file, for a plugin loaded from one.
    pub file: Option<PathBuf>,
}

/// One file's loaded plugin and the modification time it was loaded at.
struct Cached {
    modified: Option<SystemTime>,
    loaded: Arc<Loaded>,
}

/// Loaded plugins by file, reloaded when a file changes. A changed file that fails to load or
/// validate is refused, and the plugin loaded before keeps serving.
///
/// Loading compiles, which takes from milliseconds to seconds: the registry's lock is never held
/// across it, and [`Registry::plugin`] compiles on tokio's blocking threads, so a reload never
/// stalls the scheduler or the API.
#[derive(Default)]
pub struct Registry {
    files: Mutex<HashMap<PathBuf, Cached>>,
    builtins: Mutex<HashMap<String, Arc<Loaded>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

/// A plugin the registry must load before it can serve: a built-in one not loaded yet, or a
/// file seen for the first time or changed since.
#[derive(Debug, Clone)]
struct ToLoad {
    resource: String,
    layer: Layer,
    /// The file and its modification time; none for the built-in plugin.
    file: Option<(PathBuf, Option<SystemTime>)>,
}

impl Registry {
    /// The plugin `customer`'s runs of `resource` use now, loaded off the async runtime when it
    /// must be loaded.
    pub async fn plugin(
        &self,
        engine: &PluginEngine,
        config: &Config,
        customer: &CustomerConfig,
        resource: &str,
    ) -> anyhow::Result<Arc<Loaded>> {
        let to_load = match self.lookup(config, customer, resource) {
            Ok(loaded) => return Ok(loaded),
            Err(to_load) => to_load,
        };
        let (engine, loading) = (engine.clone(), to_load.clone());
        let loaded = tokio::task::spawn_blocking(move || load(&engine, &loading))
            .await
            .map_err(|e| anyhow!("loading the `{resource}` plugin stopped: {e}"))?;
        self.settle(to_load, loaded)
    }

    /// The plugin `customer`'s runs of `resource` use now, loaded on the calling thread: for
    /// the command line, outside any async runtime.
    pub fn plugin_blocking(
        &self,
        engine: &PluginEngine,
        config: &Config,
        customer: &CustomerConfig,
        resource: &str,
    ) -> anyhow::Result<Arc<Loaded>> {
        match self.lookup(config, customer, resource) {
            Ok(loaded) => Ok(loaded),
            Err(to_load) => {
                let loaded = load(engine, &to_load);
                self.settle(to_load, loaded)
            }
        }
    }

    /// The plugin in force when it is loaded and its file unchanged; else what to load.
    fn lookup(
        &self,
        config: &Config,
        customer: &CustomerConfig,
        resource: &str,
    ) -> Result<Arc<Loaded>, ToLoad> {
        let (layer, file) = plugin_file(config, customer, resource);
        let Some(file) = file else {
            let builtins = self.builtins.lock().expect("the registry lock");
            return match builtins.get(resource) {
                Some(loaded) => Ok(Arc::clone(loaded)),
                None => Err(ToLoad { resource: resource.to_owned(), layer, file: None }),
            };
        };
        let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok();
        let files = self.files.lock().expect("the registry lock");
        match files.get(file).filter(|cached| cached.modified == modified) {
            Some(cached) => Ok(Arc::clone(&cached.loaded)),
            None => {
                let file = Some((file.to_owned(), modified));
                Err(ToLoad { resource: resource.to_owned(), layer, file })
            }
        }
    }

    /// Keeps what loading gave: the new plugin, or, for a changed file that was refused, the
    /// plugin loaded before.
    fn settle(
        &self,
        to_load: ToLoad,
        loaded: anyhow::Result<Loaded>,
    ) -> anyhow::Result<Arc<Loaded>> {
        let Some((file, modified)) = to_load.file else {
            let loaded = Arc::new(loaded?);
            let mut builtins = self.builtins.lock().expect("the registry lock");
            let kept = builtins.entry(to_load.resource).or_insert(loaded);
            return Ok(Arc::clone(kept));
        };
        let mut files = self.files.lock().expect("the registry lock");
        let previous = files.get(&file);
        // Another run may have loaded the same change meanwhile.
        if let Some(cached) = previous.filter(|cached| cached.modified == modified) {
            return Ok(Arc::clone(&cached.loaded));
        }
        match loaded {
            Ok(loaded) => {
                if previous.is_some() {
                    let version = &loaded.plugin.description().version;
                    tracing::info!(file = %file.display(), %version,
                        "plugin file changed: reloaded");
                }
                let loaded = Arc::new(loaded);
                files.insert(file, Cached { modified, loaded: Arc::clone(&loaded) });
                Ok(loaded)
            }
            Err(error) => match previous {
                Some(cached) => {
                    tracing::error!(file = %file.display(), error = %format!("{error:#}"),
                        "changed plugin refused; the previous one keeps serving");
                    let loaded = Arc::clone(&cached.loaded);
                    // Refused once per change, not on every run.
                    files.insert(file, Cached { modified, loaded: Arc::clone(&loaded) });
                    Ok(loaded)
                }
                None => Err(error),
            },
        }
    }
}

/// Loads what `to_load` names; compiles, so never on an async worker.
fn load(engine: &PluginEngine, to_load: &ToLoad) -> anyhow::Result<Loaded> {
    let resource = &to_load.resource;
    let Some((file, _)) = &to_load.file else {
        let builtin = builtin::for_resource(resource)
            .ok_or_else(|| anyhow!("no rule plugin for resource `{resource}`"))?;
        let plugin = engine.load_bytes(builtin.name, builtin.bytes)?;
        let schema = RecordSchema::of(plugin.description());
        return Ok(Loaded { plugin, schema, layer: Layer::Builtin, file: None });
    };
    load_file(engine, file, to_load.layer, resource)
}

/// Loads and validates the plugin in `file`, which must handle `resource`.
fn load_file(
    engine: &PluginEngine,
    file: &Path,
    layer: Layer,
    resource: &str,
) -> anyhow::Result<Loaded> {
    let plugin = engine.load(file).with_context(|| format!("plugin file `{}`", file.display()))?;
    let handles = &plugin.description().resource;
    if handles != resource {
        return Err(anyhow!(
            "plugin file `{}` handles `{handles}`, not `{resource}`",
            file.display()
        ));
    }
    let schema = RecordSchema::of(plugin.description());
    Ok(Loaded { plugin, schema, layer, file: Some(file.to_owned()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let text = "plugins.users = \"/p/everyone-users.wasm\"\n\
                    settings.users.ignore-fields = \"phone\"\nsettings.users.tone = \"formal\"\n\
                    [vomo]\n\
                    [[customers]]\nid = \"acme\"\ntoken_env = \"X\"\n\
                    plugins.groups = \"/p/acme-groups.wasm\"\nsettings.users.tone = \"casual\"\n\
                    [[customers]]\nid = \"globex\"\ntoken_env = \"X\"\n";
        Config::parse(text).expect("a configuration")
    }

    #[test]
    fn the_most_specific_layer_wins_for_plugins_and_for_each_setting() {
        let config = config();
        let (acme, globex) = (&config.customers[0], &config.customers[1]);
        let file = |customer, resource| plugin_file(&config, customer, resource);
        assert_eq!(file(acme, "groups"), (Layer::Customer, Some(Path::new("/p/acme-groups.wasm"))));
        assert_eq!(file(globex, "groups"), (Layer::Builtin, None));
        let everyone = Some(Path::new("/p/everyone-users.wasm"));
        assert_eq!(file(globex, "users"), (Layer::Configuration, everyone));

        let acme_users = settings(&config, acme, "users");
        assert_eq!(acme_users["tone"], ("casual".to_owned(), Layer::Customer));
        assert_eq!(acme_users["ignore-fields"], ("phone".to_owned(), Layer::Configuration));
        assert_eq!(settings(&config, globex, "users")["tone"].0, "formal");
        assert!(settings(&config, globex, "groups").is_empty());
    }
}
