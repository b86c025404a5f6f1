//! Full reconciliation of 100,000 and 1,000,000 users against the simulator with its rate limit
//! off and 1 % of users drifted silently. The host runs as its own process (`reconciler run
//! --task users_full --json`), so its CPU time and peak memory are its own, not the simulator's.
//!
//! `cargo bench -p reconciler --bench full_scan`; `FULL_SCAN_SIZES=100000` for one size;
//! `FULL_SCAN_DRIFT_EVERY=N` drifts every Nth user instead of every 100th;
//! `FULL_SCAN_WRAP="perf record -g -o perf.data --"` runs the host under a profiler.

use std::time::{Duration, Instant};

use reconciler::engine::{fingerprint, snapshot_json};
use reconciler::runtime::{PluginEngine, RuntimeLimits};
use reconciler::store::{PartnerRow, Store};
use reconciler::vomo::{RecordSchema, parse_record};
use serde_json::{Value, json};
use vomo_sim::{DataSize, ExternalConfig, ExternalSystem, Resource, SimConfig, Simulator};

fn main() {
    let sizes: Vec<u32> = std::env::var("FULL_SCAN_SIZES")
        .unwrap_or_else(|_| "100000,1000000".to_owned())
        .split(',')
        .map(|n| n.trim().parse().expect("FULL_SCAN_SIZES holds numbers"))
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!("users      wall s   host CPU s   records/CPU-s   peak MiB   drift found");
    for users in sizes {
        let row = runtime.block_on(scan(users));
        println!(
            "{users:>9} {:>8.1} {:>12.2} {:>15.0} {:>10.1} {:>13}",
            row.wall.as_secs_f64(),
            row.cpu_seconds,
            f64::from(users) / row.cpu_seconds,
            row.peak_mib,
            row.drift
        );
    }
}

struct Row {
    wall: Duration,
    cpu_seconds: f64,
    peak_mib: f64,
    drift: u64,
}

async fn scan(users: u32) -> Row {
    let size = DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(users) };
    let sim = Simulator::start(SimConfig { size, rate_limit: None, ..SimConfig::default() })
        .await
        .expect("simulator");
    let crm = ExternalSystem::start(ExternalConfig::default()).await.expect("crm");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("store.db");
    let cache = dir.path().join("cache");

    // Partner state as a healthy integration would hold it, then 1 % drift behind its back.
    let engine = PluginEngine::new(RuntimeLimits::default(), &cache).expect("engine");
    let users_plugin = reconciler::builtin::for_resource("users").expect("users plugin");
    let plugin = engine.load_bytes(users_plugin.name, users_plugin.bytes).expect("loads");
    let schema = RecordSchema::of(plugin.description());
    let store = Store::open(&db.display().to_string()).await.expect("store");
    let control = sim.control();
    let mut rows = Vec::with_capacity(5_000);
    for id in 1..=users {
        let record = control.record(Resource::Users, id).expect("a user");
        rows.push(partner_row(&schema, &record));
        if rows.len() == 5_000 || id == users {
            store.upsert_partner_states(&rows).await.expect("seed partner state");
            rows.clear();
        }
    }
    store.close().await;
    let every =
        std::env::var("FULL_SCAN_DRIFT_EVERY").map_or(100, |n| n.parse().expect("a number"));
    for id in (1..=users).step_by(every) {
        let phone = json!({"phone": format!("+1 555 {id:07}")});
        control.update_silently(Resource::Users, id, phone).expect("drift");
    }

    let token = dir.path().join("token");
    std::fs::write(&token, &sim.customers()[0].token).expect("token");
    let config = dir.path().join("reconciler.toml");
    let toml = format!(
        "store = \"sqlite://{}\"\n[vomo]\nbase_url = \"{}\"\nrequests_per_second = 1000000\n\
         [external]\nbase_url = \"{}\"\n[thresholds]\ndrift_min_findings = 1000000000\n\
         [[customers]]\nid = \"bench\"\ntoken_file = \"token\"\n",
        db.display(),
        sim.base_url(),
        crm.base_url()
    );
    std::fs::write(&config, toml).expect("config");

    let started = Instant::now();
    let wrap = std::env::var("FULL_SCAN_WRAP").unwrap_or_default();
    let mut words: Vec<&str> = wrap.split_whitespace().collect();
    words.push(env!("CARGO_BIN_EXE_reconciler"));
    let output = tokio::process::Command::new(words[0])
        .args(&words[1..])
        .args(["run", "--customer", "bench", "--task", "users_full", "--json", "--config"])
        .arg(&config)
        .env("RECONCILER_CACHE_DIR", &cache)
        .output()
        .await
        .expect("the host runs");
    let wall = started.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("json summary");
    assert_eq!(summary["checked"], u64::from(users), "every user read: {summary}");
    Row {
        wall,
        cpu_seconds: summary["process"]["cpu_seconds"].as_f64().expect("cpu"),
        peak_mib: summary["process"]["peak_rss_mib"].as_f64().expect("rss"),
        drift: summary["drift"].as_u64().unwrap_or_default(),
    }
}

fn partner_row(schema: &RecordSchema, json: &Value) -> PartnerRow {
    let record = parse_record(json, schema).expect("a user parses");
    PartnerRow {
        customer: "bench".to_owned(),
        resource: "users".to_owned(),
        id: record.id,
        parent: None,
        updated_at: record.updated_at.map_or(0, |at| at.timestamp_micros()),
        fingerprint: fingerprint(schema, &record.values),
        fields: snapshot_json(schema, &record.values),
        processed_at: 0,
        deleted_at: None,
    }
}
