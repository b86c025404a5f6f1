//! A fleet's full reconciliation against the simulator with its rate limit on (3 requests a
//! second per token): every customer's `users_full` at once, started through the service's gate
//! as the scheduler starts runs, against one customer alone (the floor: its pages at 3 a second)
//! and against running them one after another.
//!
//! `cargo bench -p reconciler --bench fleet`; `FLEET_CUSTOMERS` (1,000) customers of
//! `FLEET_USERS` (1,000) users each.

use std::sync::Arc;
use std::time::Instant;

use reconciler::config::Config;
use reconciler::engine::{Pass, Task, fingerprint, snapshot_json};
use reconciler::service::Service;
use reconciler::store::{PartnerRow, Store};
use reconciler::vomo::{RecordSchema, parse_record};
use vomo_sim::{DataSize, ExternalConfig, ExternalSystem, Resource, SimConfig, Simulator};

fn number(var: &str, default: u32) -> u32 {
    std::env::var(var).map_or(default, |n| n.parse().expect("a number"))
}

fn main() {
    let customers = number("FLEET_CUSTOMERS", 1_000);
    let users = number("FLEET_USERS", 1_000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(fleet(customers, users));
}

async fn fleet(customers: u32, users: u32) {
    let size = DataSize {
        customers,
        children_per_customer: 0,
        projects_per_org: 0,
        groups_per_org: 0,
        forms_per_org: 0,
        campaigns_per_org: 0,
        certificates_per_org: 0,
        ..DataSize::with_users(customers * users)
    };
    let sim = Simulator::start(SimConfig { size, ..SimConfig::default() }).await.expect("sim");
    let limit = sim.control().rate_limit().expect("the rate limit is on");
    let crm = ExternalSystem::start(ExternalConfig::default()).await.expect("crm");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut toml = format!(
        "store = \"sqlite://{}\"\n[vomo]\nbase_url = \"{}\"\nrequests_per_second = {}\n\
         [external]\nbase_url = \"{}\"\n[schedule]\nconcurrent_runs = {customers}\n",
        dir.path().join("fleet.db").display(),
        sim.base_url(),
        limit.per_second,
        crm.base_url()
    );
    for (index, customer) in sim.customers().iter().enumerate() {
        std::fs::write(dir.path().join(format!("c{index}.token")), &customer.token).expect("token");
        toml.push_str(&format!(
            "[[customers]]\nid = \"c{index}\"\ntoken_file = \"c{index}.token\"\n"
        ));
    }
    let file = dir.path().join("reconciler.toml");
    std::fs::write(&file, toml).expect("config");
    let config = Config::load(&file).expect("a configuration");
    let service = Service::open(config, &dir.path().join("cache")).await.expect("service");
    let seeded = seed(&service, &sim).await;
    let service = Arc::new(service);

    let full = Task::new("users", Pass::Full);
    let started = Instant::now();
    service.start("c0", &full).expect("one customer");
    service.gate.idle().await;
    let floor = started.elapsed();

    let started = Instant::now();
    for index in 1..customers {
        service.start(&format!("c{index}"), &full).expect("accepted");
    }
    service.gate.idle().await;
    let fleet = started.elapsed();
    let sequential = floor * (customers - 1);
    println!(
        "customers {} of {users} users, rate limit {}/s per token",
        customers - 1,
        limit.per_second
    );
    println!("one customer alone (the floor)     {:>8.1} s", floor.as_secs_f64());
    println!(
        "the fleet at once                  {:>8.1} s ({:.2} times the floor)",
        fleet.as_secs_f64(),
        fleet.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "one after another (floor x fleet)  {:>8.1} s ({:.1} hours)",
        sequential.as_secs_f64(),
        sequential.as_secs_f64() / 3600.0
    );
    let totals = service.wiring.store.run_totals().await.expect("the runs");
    let fleet_runs = totals.iter().filter(|t| t.customer != "c0");
    let (checked, runs): (i64, i64) = fleet_runs
        .inspect(|t| assert_eq!(t.outcome, "succeeded", "{t:?}"))
        .fold((0, 0), |(checked, runs), t| (checked + t.checked, runs + t.runs));
    println!("records checked                    {checked:>8} in {runs} runs");
    let usage = reconciler::commands::usage::usage().expect("/proc tells");
    println!(
        "the whole process (simulator included) {:.1} s of CPU, peak {:.0} MiB",
        usage.cpu_seconds, usage.peak_rss_mib
    );
    let of_fleet: u64 = seeded[1..].iter().sum();
    assert_eq!(checked as u64, of_fleet, "every user of the fleet read");
}

/// Partner state as a healthy integration holds it: every user as VOMO shows it. Returns how
/// many users each customer has.
async fn seed(service: &Service, sim: &vomo_sim::SimHandle) -> Vec<u64> {
    let users = reconciler::builtin::for_resource("users").expect("users plugin");
    let plugin = service.wiring.engine.load_bytes(users.name, users.bytes).expect("loads");
    let schema = RecordSchema::of(plugin.description());
    let control = sim.control();
    let orgs: Vec<u32> = sim.customers().iter().map(|c| c.id).collect();
    let store: &Store = &service.wiring.store;
    let mut rows = Vec::with_capacity(10_000);
    let mut counts = vec![0; orgs.len()];
    for id in 1..=control.count(Resource::Users) {
        let Some(org) = control.owner(Resource::Users, id) else { continue };
        let Some(index) = orgs.iter().position(|o| *o == org) else { continue };
        counts[index] += 1;
        let record = control.record(Resource::Users, id).expect("a user");
        let parsed = parse_record(&record, &schema).expect("a user parses");
        rows.push(PartnerRow {
            customer: format!("c{index}"),
            resource: "users".to_owned(),
            id: parsed.id,
            parent: None,
            updated_at: parsed.updated_at.map_or(0, |at| at.timestamp_micros()),
            fingerprint: fingerprint(&schema, &parsed.values),
            fields: snapshot_json(&schema, &parsed.values),
            processed_at: 0,
            deleted_at: None,
        });
        if rows.len() == 10_000 {
            store.upsert_partner_states(&rows).await.expect("seed");
            rows.clear();
        }
    }
    store.upsert_partner_states(&rows).await.expect("seed");
    counts
}
