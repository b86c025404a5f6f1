//! The `reconciler` binary: parses the command line and hands over to the library.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use reconciler::cli::{Cli, Command, PluginsCommand, ReviewCommand};
use reconciler::commands::{self, run::RunRequest};
use reconciler::config::Config;
use reconciler::runtime::{PluginEngine, RuntimeLimits};
use reconciler::wiring::Wiring;

/// Small blocks freed as fast as they are made, page after page, cost glibc's malloc several
/// times what they cost mimalloc (`docs/benchmarks.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    match run(&cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let cache_dir = cli.cache_dir();
    match &cli.command {
        Command::Plugins(command) => plugins(command, &cache_dir),
        Command::Demo { serve: true, port, .. } => {
            runtime()?.block_on(async {
                let stop = stop_on_signal();
                let listening = |address| {
                    println!("demo service on http://{address}/ (API token for writes: `demo`)");
                };
                commands::demo::serve::serve(&cache_dir, *port, listening, stop).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { json, .. } => {
            let report = runtime()?.block_on(commands::demo::demo(&cache_dir, None))?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", commands::demo::render(&report));
            }
            Ok(if report.missed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Run { config, customer, task, dry_run, json } => {
            let request =
                RunRequest { config, customer, task, dry_run: *dry_run, cache_dir: &cache_dir };
            let summary = runtime()?.block_on(commands::run::run(&request))?;
            if *json {
                let usage = commands::usage::usage();
                let output = commands::run::JsonOutput { summary: &summary, process: usage };
                println!("{}", serde_json::to_string_pretty(&output)?);
            } else {
                print!("{}", commands::run::render(&summary));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Review(command) => runtime()?.block_on(review(command, &cache_dir)),
        Command::Serve { config } => {
            let config = Config::load(config)?;
            runtime()?.block_on(async {
                commands::serve::serve(config, &cache_dir, stop_on_signal()).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn plugins(command: &PluginsCommand, cache_dir: &Path) -> anyhow::Result<ExitCode> {
    let engine = PluginEngine::new(RuntimeLimits::default(), cache_dir)?;
    match command {
        PluginsCommand::Check { file } => {
            print!("{}", commands::plugins::check(&engine, file)?);
            Ok(ExitCode::SUCCESS)
        }
        PluginsCommand::List { dir } => {
            let (listing, refused) = commands::plugins::list(&engine, dir)?;
            print!("{listing}");
            Ok(if refused == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        PluginsCommand::Defaults => {
            print!("{}", commands::plugins::defaults(&engine)?);
            Ok(ExitCode::SUCCESS)
        }
        PluginsCommand::Layers { config } => {
            let config = Config::load(config)?;
            let report = commands::plugins::layers(&engine, &config);
            print!("{report}");
            Ok(if report.contains("refused:") { ExitCode::FAILURE } else { ExitCode::SUCCESS })
        }
    }
}

async fn review(command: &ReviewCommand, cache_dir: &Path) -> anyhow::Result<ExitCode> {
    let (ReviewCommand::List { config }
    | ReviewCommand::Approve { config, .. }
    | ReviewCommand::Reject { config, .. }) = command;
    let wiring = Wiring::open(Config::load(config)?, cache_dir).await?;
    match command {
        ReviewCommand::List { .. } => print!("{}", commands::review::list(&wiring).await?),
        ReviewCommand::Approve { run, .. } => {
            let done = commands::review::approve(&wiring, *run).await?;
            println!(
                "run {run} approved: {} actions taken, {} failed, {} skipped",
                done.taken, done.failed, done.skipped
            );
        }
        ReviewCommand::Reject { run, .. } => {
            let dropped = commands::review::reject(&wiring, *run).await?;
            println!("run {run} rejected: {dropped} actions dropped");
        }
    }
    wiring.store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A stop signal that turns true on the first Ctrl-C or SIGTERM; a second exits at once with
/// status 130, leaving the runs still going `running` for the next start to close.
fn stop_on_signal() -> tokio::sync::watch::Receiver<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        commands::serve::on_signals(interrupted, stop).await;
        std::process::exit(130);
    });
    stopped
}

/// Waits for Ctrl-C or, on Unix, SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(term) => drop(term.recv().await),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// One thread: a run is a sequence of awaits on VOMO, the store and the plugin, and handing
/// every answer from an I/O thread to a worker thread cost more CPU than the work itself.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}
