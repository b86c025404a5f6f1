//! The `reconciler` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;
use reconciler::cli::{Cli, Command, PluginsCommand};
use reconciler::commands;
use reconciler::runtime::{PluginEngine, RuntimeLimits};

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
    match &cli.command {
        Command::Plugins(command) => {
            let engine = PluginEngine::new(RuntimeLimits::default(), cli.cache_dir())?;
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
            }
        }
    }
}
