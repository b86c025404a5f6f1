//! `reconciler plugins check`, `list`, `defaults` and `layers`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::bindings::{FieldKind, TaskKind};
use crate::builtin;
use crate::config::Config;
use crate::layers::{self, Registry};
use crate::runtime::{Plugin, PluginEngine};

/// Loads one plugin (a path, or `builtin:RESOURCE`) and describes it.
pub fn check(engine: &PluginEngine, file: &str) -> anyhow::Result<String> {
    let plugin = match file.strip_prefix("builtin:") {
        Some(resource) => {
            let builtin = builtin::for_resource(resource)
                .with_context(|| format!("there is no built-in plugin for `{resource}`"))?;
            engine.load_bytes(builtin.name, builtin.bytes)?
        }
        None => engine.load(Path::new(file))?,
    };
    Ok(describe(&plugin))
}

/// Checks every `.wasm` file in `dir`; returns one line each and how many were refused.
pub fn list(engine: &PluginEngine, dir: &Path) -> anyhow::Result<(String, usize)> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read plugin directory `{}`", dir.display()))?;
    let mut files: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    files.sort();

    let mut out = String::new();
    let mut refused = 0;
    for path in &files {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        match engine.load(path) {
            Ok(plugin) => {
                let d = plugin.description();
                let fields = d.compared_fields.len();
                let _ = writeln!(out, "{file}\t{}\t{}\t{fields} fields", d.resource, d.version);
            }
            Err(error) => {
                refused += 1;
                let _ = writeln!(out, "{file}\trefused: {error}");
            }
        }
    }
    if files.is_empty() {
        let _ = writeln!(out, "no .wasm plugins in `{}`", dir.display());
    }
    Ok((out, refused))
}

/// For each customer and resource, the plugin its runs use and the layer it comes from, and
/// the settings with the layer of each; a plugin file that is refused says why.
pub fn layers(engine: &PluginEngine, config: &Config) -> String {
    let registry = Registry::default();
    let mut out = String::new();
    for customer in &config.customers {
        let _ = writeln!(out, "{}", customer.id);
        for builtin in builtin::BUILTINS {
            let resource = builtin.resource;
            let plugin = match registry.plugin_blocking(engine, config, customer, resource) {
                Ok(loaded) => {
                    let source = loaded
                        .file
                        .as_ref()
                        .map_or_else(|| builtin.name.to_owned(), |file| file.display().to_string());
                    let version = &loaded.plugin.description().version;
                    format!("{source} {version} ({})", loaded.layer.as_str())
                }
                Err(error) => format!("refused: {error:#}"),
            };
            let _ = writeln!(out, "  {resource:<17} {plugin}");
            for (key, (value, layer)) in layers::settings(config, customer, resource) {
                let _ = writeln!(out, "  {:<17}   {key} = {value} ({})", "", layer.as_str());
            }
        }
    }
    out
}

/// Every built-in resource's tasks with their default cadences, as a Markdown table: the
/// defaults a customer's `cadences.TASK` overrides.
pub fn defaults(engine: &PluginEngine) -> anyhow::Result<String> {
    let mut out = String::from("| resource | task | default cadence (UTC) | plugin |\n");
    out.push_str("|---|---|---|---|\n");
    for builtin in builtin::BUILTINS {
        let plugin = engine.load_bytes(builtin.name, builtin.bytes)?;
        let d = plugin.description();
        for cadence in &d.cadences {
            let task = format!("{}_{}", d.resource, task_name(cadence.task));
            let version = &d.version;
            let schedule = &cadence.schedule;
            let _ = writeln!(out, "| {} | `{task}` | `{schedule}` | {version} |", d.resource);
        }
    }
    Ok(out)
}

fn task_name(task: TaskKind) -> &'static str {
    match task {
        TaskKind::Incremental => "incremental",
        TaskKind::Full => "full",
        TaskKind::Audit => "audit",
    }
}

fn describe(plugin: &Plugin) -> String {
    let d = plugin.description();
    let mut out = String::new();
    let _ = writeln!(out, "plugin    {}", plugin.name());
    let _ = writeln!(out, "resource  {}", d.resource);
    let _ = writeln!(out, "version   {}", d.version);
    let _ = writeln!(out, "digest    {}", plugin.digest());
    let _ = writeln!(out, "compares");
    for field in &d.compared_fields {
        let kind = match field.kind {
            FieldKind::Text => "text",
            FieldKind::Flag => "flag",
            FieldKind::Integer => "integer",
            FieldKind::Decimal => "decimal",
            FieldKind::TextList => "text-list",
            FieldKind::IntegerList => "integer-list",
            FieldKind::Records => "records",
        };
        let rule = match field.parts.is_empty() {
            true => field.rule.clone(),
            false => format!("{} (parts: {})", field.rule, field.parts.join(", ")),
        };
        let _ = writeln!(out, "  {:<20} {kind:<13} {rule}", field.name);
    }
    let _ = writeln!(out, "cadences");
    for cadence in &d.cadences {
        let _ = writeln!(out, "  {:<20} {}", task_name(cadence.task), cadence.schedule);
    }
    out
}
