//! The `reconciler` command line: its commands, options and defaults.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Reconciles VOMO partner integrations, with rules in sandboxed WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "reconciler", version, about)]
pub struct Cli {
    /// Where compiled plugins are cached between runs.
    #[arg(long, env = "RECONCILER_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect rule plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
}

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Load a plugin, check it against the rule-plugin world and print what it compares.
    Check {
        /// The plugin's `.wasm` file, or `builtin:RESOURCE` for one built into the host.
        file: String,
    },
    /// Check every `.wasm` plugin in a directory, one line each.
    List {
        /// The directory to look in.
        dir: PathBuf,
    },
}

impl Cli {
    /// The compiled-plugin cache: the option, else `$XDG_CACHE_HOME` or `~/.cache`, else a
    /// directory under the system's temporary directory.
    pub fn cache_dir(&self) -> PathBuf {
        if let Some(dir) = &self.cache_dir {
            return dir.clone();
        }
        let home_cache = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache"));
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or(home_cache)
            .unwrap_or_else(std::env::temp_dir)
            .join("vomo-reconciler")
    }
}
