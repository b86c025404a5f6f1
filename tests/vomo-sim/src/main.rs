//! The `vomo-sim` binary: a seeded simulator, its control port and a fake external system.

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use vomo_sim::{
    DataSize, ExternalConfig, ExternalSystem, Fault, GroupDeleteStatus, RateLimit, SimConfig,
    Simulator,
};

/// Serve a VOMO API simulator on 127.0.0.1 with generated customers and data.
///
/// Prints one line `customer ID token TOKEN` per customer, then the control and external
/// system addresses, then serves until interrupted. Faults can be given at start with
/// `--fault` or injected at any time through the control port (see docs/simulator.md).
#[derive(Debug, Parser)]
#[command(name = "vomo-sim", version)]
struct Args {
    /// Port of the customer API (base URL http://127.0.0.1:PORT/v1); 0 picks a free port.
    #[arg(long, env = "VOMO_SIM_PORT", default_value_t = 8080)]
    port: u16,
    /// Port of the control interface; defaults to PORT+1 (or a free port when PORT is 0).
    #[arg(long)]
    control_port: Option<u16>,
    /// Port of the fake external system; defaults to PORT+2 (or a free port when PORT is 0).
    #[arg(long)]
    external_port: Option<u16>,
    /// Bearer token the external system requires; none by default.
    #[arg(long)]
    external_token: Option<String>,
    /// Seed of the data generator; tokens and data depend only on it and the sizes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Top-level customers (organisations with their own token).
    #[arg(long, default_value_t = 3)]
    customers: u32,
    /// Child organisations under each customer (each also has a token).
    #[arg(long, default_value_t = 1)]
    children: u32,
    /// Users across all organisations.
    #[arg(long, default_value_t = 300)]
    users: u32,
    /// Projects per organisation (each with --dates-per-project dates).
    #[arg(long, default_value_t = 4)]
    projects: u32,
    #[arg(long, default_value_t = 3)]
    dates_per_project: u32,
    #[arg(long, default_value_t = 4)]
    participants_per_date: u32,
    /// Groups per organisation.
    #[arg(long, default_value_t = 3)]
    groups: u32,
    /// Forms per organisation (each with --completions-per-form completions).
    #[arg(long, default_value_t = 2)]
    forms: u32,
    #[arg(long, default_value_t = 12)]
    completions_per_form: u32,
    /// Requests a second allowed per token (sustained).
    #[arg(long, default_value_t = 3.0)]
    rate: f64,
    /// Requests a token may send back to back before the sustained rate applies.
    #[arg(long, default_value_t = 3)]
    burst: u32,
    /// Turn the rate limit off (benchmarks).
    #[arg(long)]
    no_rate_limit: bool,
    /// Turn the documented v1 quirks off (integer ids, true/false, numeric hours, one
    /// timestamp style).
    #[arg(long)]
    no_quirks: bool,
    /// Answer DELETE /groups/{id} with 200 `{}` instead of 204.
    #[arg(long)]
    group_delete_200: bool,
    /// Let the simulator clock tick with real time instead of standing still.
    #[arg(long)]
    ticking_clock: bool,
    /// Inject a fault at start; repeatable. Forms: `500:PATH:PAGE[:COUNT]` (server error on a
    /// listing page), `drop:PATH:PAGE[:COUNT]` (connection cut mid-body),
    /// `slow:MS[:COUNT]` (delay every request), `429:CUSTOMER:COUNT[:RETRY_AFTER]`,
    /// `empty:PATH[:COUNT]` (a project date answering without its participants).
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<Fault>,
    /// Log filter, e.g. `info` or `vomo_sim=debug`.
    #[arg(long, env = "RUST_LOG", default_value = "warn")]
    log: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&args.log))
        .with_writer(std::io::stderr)
        .init();

    let sim = Simulator::start(config(&args)).await.context("failed to start the simulator")?;
    let external_port = args.external_port.unwrap_or_else(|| next_port(args.port, 2));
    let external = ExternalSystem::start(ExternalConfig {
        port: external_port,
        token: args.external_token.clone(),
    })
    .await
    .context("failed to start the external system")?;
    for fault in &args.faults {
        sim.control().inject(fault.clone());
    }

    let mut out = std::io::stdout().lock();
    for customer in sim.customers() {
        writeln!(out, "customer {} token {}", customer.id, customer.token)?;
    }
    writeln!(out, "api {}", sim.base_url())?;
    writeln!(out, "control {}", sim.control_url())?;
    writeln!(out, "external {}", external.base_url())?;
    out.flush()?;
    drop(out);

    tokio::signal::ctrl_c().await.context("failed to wait for ctrl-c")?;
    sim.shutdown().await;
    external.shutdown().await;
    Ok(())
}

fn config(args: &Args) -> SimConfig {
    let size = DataSize {
        customers: args.customers,
        children_per_customer: args.children,
        users: args.users,
        projects_per_org: args.projects,
        dates_per_project: args.dates_per_project,
        participants_per_date: args.participants_per_date,
        groups_per_org: args.groups,
        forms_per_org: args.forms,
        completions_per_form: args.completions_per_form,
        ..DataSize::small()
    };
    let rate_limit =
        (!args.no_rate_limit).then_some(RateLimit { per_second: args.rate, burst: args.burst });
    SimConfig {
        seed: args.seed,
        size,
        rate_limit,
        quirks: !args.no_quirks,
        frozen_clock: !args.ticking_clock,
        group_delete: if args.group_delete_200 {
            GroupDeleteStatus::OkEmptyObject
        } else {
            GroupDeleteStatus::NoContent
        },
        port: args.port,
        control_port: args.control_port.unwrap_or_else(|| next_port(args.port, 1)),
        ..SimConfig::default()
    }
}

/// PORT+offset, or 0 (a free port) when PORT is 0 or the sum overflows.
fn next_port(port: u16, offset: u16) -> u16 {
    if port == 0 { 0 } else { port.checked_add(offset).unwrap_or(0) }
}
