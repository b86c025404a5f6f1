//! What can go wrong loading or calling a plugin, in words that name the plugin.

use std::path::PathBuf;

use crate::bindings::RuleError;

/// Why a call was stopped inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapKind {
    /// The call ran past its deadline.
    Deadline,
    /// The plugin tried to grow its memory past the cap.
    MemoryCap,
    /// Any other trap: a panic, an unreachable, an out-of-bounds access.
    Fault(String),
}

impl std::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrapKind::Deadline => f.write_str("ran past its deadline"),
            TrapKind::MemoryCap => f.write_str("tried to grow its memory past the cap"),
            TrapKind::Fault(why) => write!(f, "trapped: {why}"),
        }
    }
}

/// An error loading or calling a plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("failed to read plugin `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin `{plugin}` is not a WebAssembly file: it starts with {prefix:02x?}")]
    NotWasm { plugin: String, prefix: Vec<u8> },
    #[error(
        "plugin `{plugin}` is a core WebAssembly module, not a component: build it for \
         `wasm32-wasip2`"
    )]
    CoreModule { plugin: String },
    #[error("plugin `{plugin}` failed to compile: {reason}")]
    Compile { plugin: String, reason: String },
    #[error("plugin `{plugin}` imports `{import}`, which is outside the rule-plugin world")]
    ForbiddenImport { plugin: String, import: String },
    #[error("plugin `{plugin}` does not implement the rule-plugin world: {reason}")]
    WrongWorld { plugin: String, reason: String },
    #[error("plugin `{plugin}` {kind} in `{function}`")]
    Trapped { plugin: String, function: &'static str, kind: TrapKind },
    #[error(
        "plugin `{plugin}` is quarantined for customer `{customer}` after {traps} traps within \
         {window_secs} s"
    )]
    Quarantined { plugin: String, customer: String, traps: usize, window_secs: u64 },
    #[error("plugin `{plugin}` returned an invalid value from `{function}`: {reason}")]
    Invalid { plugin: String, function: &'static str, reason: String },
    #[error("plugin `{plugin}` refused the input of `{function}`: {error}")]
    Rule { plugin: String, function: &'static str, error: RuleError },
    #[error("the worker running plugin `{plugin}` has stopped")]
    WorkerGone { plugin: String },
    #[error("failed to set up a sandbox for plugin `{plugin}`: {reason}")]
    Sandbox { plugin: String, reason: String },
}
