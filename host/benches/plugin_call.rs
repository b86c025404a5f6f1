//! Latency of one users-record compare through the host, and what each sandbox choice costs.
//!
//! Run with `cargo bench -p reconciler --bench plugin_call`. Each figure is the p50 (and p90,
//! p99) of per-call times measured over batches of calls, so timer overhead is spread thin.

use std::time::{Duration, Instant};

use reconciler::bindings::vomo::reconcile::{host, types};
use reconciler::bindings::{Comparison, Datetime, Entity, ExternalSide};
use reconciler::bindings::{RulePlugin, Value};
use reconciler::runtime::{PluginEngine, RuntimeLimits, Settings};
use reconciler::sides::{Agreed, partner_entry};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

const BATCHES: usize = 200;
const PER_BATCH: usize = 500;

fn main() {
    let cache = std::env::temp_dir().join("reconciler-bench-cache");
    let engine = PluginEngine::new(RuntimeLimits::default(), &cache).expect("engine");
    let plugin = engine.load_bytes("builtin:users", plugin_artifacts::USERS).expect("users");
    // Partner state holds what VOMO sent when the record was last processed, so an unchanged
    // record is identical on both sides; a respelled one differs in text but not under the rule.
    let same = record("+1 (555) 010-0199", "+1 (555) 010-0199");
    let respelled = record("+1 (555) 010-0199", "15550100199");
    let drifted = record("+1 (555) 010-0199", "15550100000");

    println!("{:<48} {:>9} {:>9} {:>9}", "users compare through the host", "p50", "p90", "p99");
    let mut warm = plugin.instance("acme", Settings::default());
    report("warm instance, epoch deadline, unchanged record", || {
        warm.compare(&same).expect("compare");
    });
    report("warm instance, epoch deadline, respelled phone", || {
        warm.compare(&respelled).expect("compare");
    });
    report("warm instance, epoch deadline, one drift + plan", || {
        let findings = warm.compare(&drifted).expect("compare");
        warm.plan(&findings).expect("plan");
    });
    report("warm instance, classify-missing (call floor)", || {
        warm.classify_missing(8205, &reconciler::bindings::DetailOutcome::Gone).expect("classify");
    });
    let vomo_only = alone("+1 (555) 010-0199");
    report("warm instance, VOMO side only", || {
        warm.compare(&vomo_only).expect("compare");
    });
    report("fresh instance per record", || {
        plugin.instance("acme", Settings::default()).compare(&same).expect("compare");
    });
    report("raw wasmtime, epoch deadline (no validation)", raw(Interruption::Epoch, &same));
    report("raw wasmtime, fuel metering (no validation)", raw(Interruption::Fuel, &same));

    deadline_overshoot();
}

fn record(vomo_phone: &str, partner_phone: &str) -> Comparison {
    let mut vomo = Entity { id: 8205, updated_at: Some(AT), values: values(vomo_phone) };
    let snapshot = values(partner_phone).into_iter().map(Some).collect();
    // As the engine builds it: what both sides agree on is sent by neither.
    let partner = partner_entry(8205, AT, snapshot, false, Some(&mut vomo), Agreed::BothSides);
    Comparison { vomo: Some(vomo), partner: Some(partner), external: ExternalSide::NotRead }
}

/// A record partner state does not hold: every VOMO value is sent.
fn alone(phone: &str) -> Comparison {
    let vomo = Entity { id: 8205, updated_at: Some(AT), values: values(phone) };
    Comparison { vomo: Some(vomo), partner: None, external: ExternalSide::NotRead }
}

const AT: Datetime = Datetime { seconds: 1_762_336_800, nanoseconds: 0 };

/// A users record with all ten compared fields set, in the plugin's order.
fn values(phone: &str) -> Vec<Value> {
    [
        "ann.lee@example.org",
        "Ann",
        "Lee",
        phone,
        "321 Pine Rd, McKinney, TX 75069, USA",
        "1975-12-01",
        "F",
        "VERIFIED",
        "ACCEPTED",
        "VOLUNTEER",
    ]
    .iter()
    .map(|v| Value::Text(v.to_string()))
    .collect()
}

fn report(label: &str, mut call: impl FnMut()) {
    for _ in 0..5_000 {
        call();
    }
    let mut per_call: Vec<Duration> = (0..BATCHES)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..PER_BATCH {
                call();
            }
            started.elapsed() / PER_BATCH as u32
        })
        .collect();
    per_call.sort();
    let at = |q: f64| per_call[((per_call.len() - 1) as f64 * q) as usize];
    println!("{label:<48} {:>9.2?} {:>9.2?} {:>9.2?}", at(0.5), at(0.9), at(0.99));
}

#[derive(Clone, Copy)]
enum Interruption {
    Epoch,
    Fuel,
}

/// The same call on a bare wasmtime setup, to compare epoch deadlines with fuel metering.
fn raw(interruption: Interruption, sides: &Comparison) -> impl FnMut() + '_ {
    let mut config = Config::new();
    match interruption {
        Interruption::Epoch => config.epoch_interruption(true),
        Interruption::Fuel => config.consume_fuel(true),
    };
    let engine = Engine::new(&config).expect("engine");
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
    RulePlugin::add_to_linker::<_, HasSelf<Bare>>(&mut linker, |s| s).expect("host");
    let component = Component::new(&engine, plugin_artifacts::USERS).expect("compile");

    let bare = Bare { wasi: WasiCtx::builder().build(), table: ResourceTable::new() };
    let mut store = Store::new(&engine, bare);
    let refill = move |store: &mut Store<Bare>| match interruption {
        Interruption::Epoch => store.set_epoch_deadline(1_000),
        Interruption::Fuel => store.set_fuel(u64::MAX / 2).expect("fuel"),
    };
    refill(&mut store);
    let bindings = RulePlugin::instantiate(&mut store, &component, &linker).expect("instance");
    move || {
        refill(&mut store);
        let result = bindings.vomo_reconcile_rules().call_compare(&mut store, sides);
        result.expect("no trap").expect("no rule error");
    }
}

struct Bare {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Bare {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl host::Host for Bare {
    fn log(&mut self, _level: host::Level, _message: String) {}

    fn setting(&mut self, _key: String) -> Option<String> {
        None
    }
}

impl types::Host for Bare {}

/// How far past its deadline a looping plugin runs before it is stopped.
fn deadline_overshoot() {
    // Quarantine would refuse the later runs; every run here must reach the deadline.
    let limits = RuntimeLimits { quarantine_traps: usize::MAX, ..RuntimeLimits::default() };
    let cache = std::env::temp_dir().join("reconciler-bench-cache");
    let engine = PluginEngine::new(limits.clone(), &cache).expect("engine");
    let plugin = engine.load(plugin_artifacts::MISBEHAVING_PATH.as_ref()).expect("fixture");
    let settings: Settings =
        std::sync::Arc::new([("misbehave".to_owned(), "loop".to_owned())].into_iter().collect());
    let looping = record("1", "1");

    let mut stops: Vec<Duration> = (0..20)
        .map(|_| {
            let mut instance = plugin.instance("acme", settings.clone());
            let started = Instant::now();
            let _ = instance.compare(&looping);
            started.elapsed()
        })
        .collect();
    stops.sort();
    println!(
        "looping plugin stopped after (deadline {:?}, tick {:?}): p50 {:.2?}, max {:.2?}",
        limits.call_deadline,
        limits.epoch_tick,
        stops[stops.len() / 2],
        stops[stops.len() - 1]
    );
}
