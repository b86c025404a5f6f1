//! The sandbox holds against plugins that loop, hoard memory, escape the world or lie.

use std::time::{Duration, Instant};

use reconciler::bindings::{Comparison, DetailOutcome, Entity, ExternalSide, MissingVerdict};
use reconciler::runtime::{PluginError, RuntimeLimits, TrapKind};

use crate::support::{engine, engine_with, load, settings};

fn misbehaving(mode: &str) -> reconciler::runtime::PluginInstance {
    let engine = engine();
    let plugin = load(&engine, plugin_artifacts::MISBEHAVING_PATH);
    plugin.instance("acme", settings(&[("misbehave", mode)]))
}

fn some_record() -> Comparison {
    let vomo = Entity { id: 1, updated_at: None, values: Vec::new() };
    Comparison { vomo: Some(vomo), partner: None, external: ExternalSide::NotRead }
}

fn trap_of(result: Result<impl std::fmt::Debug, PluginError>) -> TrapKind {
    match result {
        Err(PluginError::Trapped { kind, .. }) => kind,
        other => panic!("expected a trap, got {other:?}"),
    }
}

fn invalid_reason(result: Result<impl std::fmt::Debug, PluginError>) -> String {
    match result {
        Err(PluginError::Invalid { reason, .. }) => reason,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn looping_plugin_is_stopped_at_its_deadline() {
    let limits = RuntimeLimits {
        call_deadline: Duration::from_millis(20),
        epoch_tick: Duration::from_millis(1),
        ..RuntimeLimits::default()
    };
    let plugin = load(&engine_with(limits), plugin_artifacts::MISBEHAVING_PATH);
    let mut instance = plugin.instance("acme", settings(&[("misbehave", "loop")]));

    let started = Instant::now();
    assert_eq!(trap_of(instance.compare(&some_record())), TrapKind::Deadline);
    let elapsed = started.elapsed();

    // The call must run at least its deadline less one tick. The upper bound is loose on purpose:
    // a busy CI machine can delay the ticker thread, and `docs/benchmarks.md` records the real
    // overshoot.
    assert!(elapsed >= Duration::from_millis(19), "stopped early, after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?} to stop");
}

#[test]
fn instance_is_rebuilt_after_a_trap() {
    let engine = engine();
    let plugin = load(&engine, plugin_artifacts::MISBEHAVING_PATH);
    let mut panicking = plugin.instance("acme", settings(&[("misbehave", "panic")]));
    assert!(matches!(trap_of(panicking.compare(&some_record())), TrapKind::Fault(_)));

    let mut calm = plugin.instance("acme", settings(&[]));
    let findings = calm.compare(&some_record()).expect("a fresh instance works");
    assert_eq!(findings.len(), 1);
    // The trapped instance itself recovers on its next call, from a fresh store.
    assert!(matches!(trap_of(panicking.compare(&some_record())), TrapKind::Fault(_)));
}

#[test]
fn memory_hog_is_refused_at_the_cap_and_the_host_is_unharmed() {
    let limits = RuntimeLimits {
        memory_cap: 16 << 20,
        call_deadline: Duration::from_secs(5),
        ..RuntimeLimits::default()
    };
    let plugin = load(&engine_with(limits), plugin_artifacts::MISBEHAVING_PATH);
    let mut hog = plugin.instance("acme", settings(&[("misbehave", "grow")]));
    assert_eq!(trap_of(hog.compare(&some_record())), TrapKind::MemoryCap);

    let mut calm = plugin.instance("acme", settings(&[]));
    assert!(calm.compare(&some_record()).is_ok());
}

#[test]
fn memory_hog_under_the_default_cap_is_refused_too() {
    assert_eq!(trap_of(misbehaving("grow").compare(&some_record())), TrapKind::MemoryCap);
}

#[test]
fn import_outside_the_world_is_rejected_at_load_naming_it() {
    let error = engine().load(plugin_artifacts::ESCAPE_PATH.as_ref()).expect_err("refused");
    let PluginError::ForbiddenImport { import, .. } = &error else { panic!("{error:?}") };
    assert!(import.starts_with("fixture:escape/network"), "{import}");
    assert!(error.to_string().contains("`fixture:escape/network"), "{error}");
}

#[test]
fn a_plugin_that_can_sleep_on_the_host_clock_is_rejected_at_load() {
    let error = engine().load(plugin_artifacts::SLEEPER_PATH.as_ref()).expect_err("refused");
    let PluginError::ForbiddenImport { import, .. } = &error else { panic!("{error:?}") };
    assert!(import.starts_with("wasi:clocks/monotonic-clock@"), "{import}");
    assert!(import.contains("#subscribe-"), "{import}");
}

#[test]
fn a_file_that_is_not_wasm_gets_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notes.wasm");
    std::fs::write(&path, "hello, I am text").expect("write");
    let error = engine().load(&path).expect_err("refused");
    assert!(matches!(error, PluginError::NotWasm { .. }), "{error:?}");
    assert!(error.to_string().contains("notes.wasm"), "{error}");
    assert!(error.to_string().contains("is not a WebAssembly file"), "{error}");
}

#[test]
fn a_core_module_is_not_a_component() {
    let error = engine().load_bytes("core.wasm", b"\0asm\x01\0\0\0").expect_err("refused");
    assert!(error.to_string().contains("not a component"), "{error}");
}

#[test]
fn a_truncated_component_fails_to_compile_with_its_name() {
    let bytes = &plugin_artifacts::USERS[..plugin_artifacts::USERS.len() / 2];
    let error = engine().load_bytes("half.wasm", bytes).expect_err("refused");
    assert!(matches!(error, PluginError::Compile { .. }), "{error:?}");
    assert!(error.to_string().contains("`half.wasm`"), "{error}");
}

#[test]
fn a_missing_file_names_the_path() {
    let error = engine().load("/nonexistent/users.wasm".as_ref()).expect_err("refused");
    assert!(error.to_string().contains("/nonexistent/users.wasm"), "{error}");
}

#[test]
fn ten_thousand_actions_are_rejected_by_validation() {
    let mut instance = misbehaving("flood");
    let reason = invalid_reason(instance.plan(&[]));
    assert!(reason.contains("10000 actions"), "{reason}");
}

#[test]
fn a_one_mebibyte_string_is_rejected_by_validation() {
    let mut instance = misbehaving("huge-string");
    let reason = invalid_reason(instance.compare(&some_record()));
    assert!(reason.contains("1048576 bytes"), "{reason}");
}

#[test]
fn a_finding_on_an_undeclared_field_is_rejected() {
    let mut instance = misbehaving("foreign-field");
    let reason = invalid_reason(instance.compare(&some_record()));
    assert!(reason.contains("`password`"), "{reason}");
}

#[test]
fn a_present_record_judged_deleted_is_rejected() {
    let mut instance = misbehaving("");
    let present = DetailOutcome::Present(Entity { id: 5, updated_at: None, values: Vec::new() });
    let reason = invalid_reason(instance.classify_missing(5, &present));
    assert!(reason.contains("still returns"), "{reason}");
    let gone = instance.classify_missing(5, &DetailOutcome::Gone).expect("gone may be deleted");
    assert_eq!(gone, MissingVerdict::Deleted);
}

#[test]
fn chatty_plugin_still_answers() {
    let mut instance = misbehaving("chatty");
    assert_eq!(instance.compare(&some_record()).expect("log lines are dropped").len(), 1);
}

#[test]
fn repeated_traps_quarantine_the_plugin() {
    let limits = RuntimeLimits {
        quarantine_traps: 3,
        call_deadline: Duration::from_secs(1),
        ..RuntimeLimits::default()
    };
    let plugin = load(&engine_with(limits), plugin_artifacts::MISBEHAVING_PATH);
    let mut instance = plugin.instance("acme", settings(&[("misbehave", "panic")]));
    for _ in 0..3 {
        assert!(matches!(instance.compare(&some_record()), Err(PluginError::Trapped { .. })));
    }
    assert!(plugin.is_quarantined("acme"));

    let mut calm = plugin.instance("acme", settings(&[]));
    let error = calm.compare(&some_record()).expect_err("quarantined");
    assert!(matches!(error, PluginError::Quarantined { traps: 3, .. }), "{error:?}");
    assert!(error.to_string().contains("for customer `acme`"), "{error}");

    // Another customer's runs are not stopped by the first customer's traps.
    assert!(!plugin.is_quarantined("globex"));
    let mut other = plugin.instance("globex", settings(&[]));
    assert!(other.compare(&some_record()).is_ok());
}

#[test]
fn compiled_components_are_cached_by_digest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = reconciler::runtime::PluginEngine::new(RuntimeLimits::default(), dir.path())
        .expect("engine");
    engine.load(plugin_artifacts::USERS_PATH.as_ref()).expect("first load compiles");
    let cached: Vec<_> = std::fs::read_dir(dir.path()).expect("cache dir").collect();
    assert_eq!(cached.len(), 1);

    // A corrupt entry costs a compile, never the load.
    let entry = cached[0].as_ref().expect("entry").path();
    std::fs::write(&entry, b"garbage").expect("corrupt the entry");
    engine.load(plugin_artifacts::USERS_PATH.as_ref()).expect("recompiles");
    assert!(std::fs::read(&entry).expect("entry").len() > 1000, "the entry was rewritten");
}

#[tokio::test]
async fn a_plugin_printing_to_stdout_runs_on_a_worker_inside_async_code() {
    let plugin = load(&engine(), plugin_artifacts::MISBEHAVING_PATH);
    use reconciler::runtime::PluginWorker;
    let worker = PluginWorker::spawn(plugin.instance("acme", settings(&[("misbehave", "print")])))
        .expect("the worker starts");
    let planned = worker.compare_and_plan(vec![some_record(), some_record()]).await;
    let planned = planned.expect("the worker answers");
    assert_eq!(planned.len(), 2);
    for result in planned {
        let (findings, actions) = result.expect("printing is harmless");
        assert_eq!((findings.len(), actions.expect("planned").len()), (1, 1));
    }
    let verdict = worker.classify_missing(1, DetailOutcome::Gone).await;
    assert_eq!(verdict.expect("gone"), MissingVerdict::Deleted);

    // A plan that fails keeps the record's findings.
    let flooding =
        PluginWorker::spawn(plugin.instance("acme", settings(&[("misbehave", "flood")])));
    let planned = flooding.expect("worker").compare_and_plan(vec![some_record()]).await;
    let (findings, actions) = planned.expect("answers").remove(0).expect("compared");
    assert_eq!(findings.len(), 1);
    assert!(matches!(actions, Err(PluginError::Invalid { .. })), "{actions:?}");
}
