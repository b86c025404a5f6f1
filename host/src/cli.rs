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
    /// Run the demo: an in-process simulator, three customers, every failure polling misses.
    Demo {
        /// Print one JSON object instead of tables.
        #[arg(long)]
        json: bool,
        /// Run the demo's customers as a service instead: the scheduler, the API, metrics and
        /// the health page, until interrupted.
        #[arg(long)]
        serve: bool,
        /// With `--serve`: the local port (0 for any free one).
        #[arg(long, default_value_t = 8090)]
        port: u16,
    },
    /// Run one task for one customer now.
    Run {
        /// The configuration file.
        #[arg(long, default_value = "reconciler.toml")]
        config: PathBuf,
        /// The customer's id in the configuration.
        #[arg(long)]
        customer: String,
        /// `RESOURCE_PASS`, such as `users_full` (`reconciler plugins defaults` lists them).
        #[arg(long)]
        task: String,
        /// Detect and plan with the same code, change nothing, list what would be done.
        #[arg(long)]
        dry_run: bool,
        /// Print the run's summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run every customer's tasks on their cadences until interrupted (Ctrl-C or SIGTERM).
    Serve {
        /// The configuration file.
        #[arg(long, default_value = "reconciler.toml")]
        config: PathBuf,
    },
    /// The runs the circuit breaker held, and a person's decision on them.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// Inspect rule plugins.
    #[command(subcommand)]
    Plugins(PluginsCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// List the runs waiting for review.
    List {
        #[arg(long, default_value = "reconciler.toml")]
        config: PathBuf,
    },
    /// Release a held run's actions and carry them out.
    Approve {
        run: i64,
        #[arg(long, default_value = "reconciler.toml")]
        config: PathBuf,
    },
    /// Drop a held run's actions.
    Reject {
        run: i64,
        #[arg(long, default_value = "reconciler.toml")]
        config: PathBuf,
    },
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
    /// Print every built-in resource's tasks and default cadences, as a Markdown table.
    Defaults,
    /// Print, per customer and resource, the plugin and settings in force and their layers.
    Layers {
        /// The configuration file.
        #[arg(long, default_value = "reconciler.toml")]
        config: PathBuf,
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
