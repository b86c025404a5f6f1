//! The imports a plugin may have: the host interface, and the WASI interfaces that a Rust
//! guest's standard library links (served with nothing behind them).

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use super::error::PluginError;

/// Interfaces of our own package a plugin may import, by name without version.
const WORLD: &[&str] = &["vomo:reconcile/host", "vomo:reconcile/types"];

/// The contract's major line; any 0.1.x of an import above is compatible.
const WORLD_VERSION: &str = "0.1.";

/// WASI interfaces the standard library may link. Sockets and HTTP are deliberately absent.
const STD_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

/// Functions of allowed interfaces that are refused all the same: they wait on real time inside
/// the host, where no epoch deadline reaches, so a plugin could sleep past its deadline forever.
const WAITING: &[(&str, &str)] = &[
    ("wasi:clocks/monotonic-clock", "subscribe-duration"),
    ("wasi:clocks/monotonic-clock", "subscribe-instant"),
];

/// Refuses a component that imports anything outside the rule-plugin world, naming the import.
pub fn check(plugin: &str, component: &Component, engine: &Engine) -> Result<(), PluginError> {
    let refuse =
        |import: String| PluginError::ForbiddenImport { plugin: plugin.to_owned(), import };
    for (import, item) in component.component_type().imports(engine) {
        if !allowed(import) {
            return Err(refuse(import.to_owned()));
        }
        let ComponentItem::ComponentInstance(instance) = item.ty else { continue };
        let name = import.split_once('@').map_or(import, |(name, _)| name);
        for (function, _) in instance.exports(engine) {
            if WAITING.contains(&(name, function)) {
                return Err(refuse(format!("{import}#{function}")));
            }
        }
    }
    Ok(())
}

fn allowed(import: &str) -> bool {
    let (name, version) = import.split_once('@').unwrap_or((import, ""));
    if WORLD.contains(&name) {
        return version.starts_with(WORLD_VERSION);
    }
    STD_WASI.contains(&name) && version.starts_with("0.2.")
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn world_and_std_wasi_imports_are_allowed() {
        assert!(allowed("vomo:reconcile/host@0.1.0"));
        assert!(allowed("vomo:reconcile/types@0.1.3"));
        assert!(allowed("wasi:cli/environment@0.2.6"));
    }

    #[test]
    fn network_and_foreign_imports_are_refused() {
        assert!(!allowed("wasi:sockets/tcp@0.2.6"));
        assert!(!allowed("wasi:http/outgoing-handler@0.2.6"));
        assert!(!allowed("fixture:escape/network"));
        assert!(!allowed("vomo:reconcile/host@0.2.0"));
        assert!(!allowed("vomo:reconcile/host"));
    }
}
