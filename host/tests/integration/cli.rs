//! The `reconciler` commands, run as a user would run them.

use std::process::Command;

fn reconciler(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_reconciler"))
        .args(["--cache-dir", crate::support::cache_dir().to_str().expect("utf-8 path")])
        .args(args)
        .output()
        .expect("the binary runs");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("utf-8 output");
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[test]
fn plugins_check_prints_what_the_users_plugin_compares() {
    let (ok, out, err) = reconciler(&["plugins", "check", plugin_artifacts::USERS_PATH]);
    assert!(ok, "{err}");
    assert!(out.contains("resource  users"), "{out}");
    assert!(out.contains("email                text          trimmed, case-insensitive"), "{out}");
    assert!(out.contains("phone                text          digits only"), "{out}");
    assert!(out.contains("version   0.1.0"), "{out}");
}

#[test]
fn plugins_check_accepts_the_builtin_name() {
    let (ok, out, err) = reconciler(&["plugins", "check", "builtin:users"]);
    assert!(ok, "{err}");
    assert!(out.contains("plugin    builtin:users"), "{out}");
}

#[test]
fn plugins_check_refuses_a_plugin_outside_the_world() {
    let (ok, _, err) = reconciler(&["plugins", "check", plugin_artifacts::ESCAPE_PATH]);
    assert!(!ok);
    assert!(err.contains("imports `fixture:escape/network"), "{err}");
}

#[test]
fn plugins_list_reports_each_file_and_fails_when_one_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(plugin_artifacts::USERS_PATH, dir.path().join("users.wasm")).expect("copy");
    std::fs::write(dir.path().join("broken.wasm"), "not wasm").expect("write");
    std::fs::write(dir.path().join("README.txt"), "ignored").expect("write");

    let (ok, out, _) = reconciler(&["plugins", "list", dir.path().to_str().expect("utf-8")]);
    assert!(!ok, "a refused plugin fails the listing");
    assert!(out.contains("users.wasm\tusers\t0.1.0\t10 fields"), "{out}");
    assert!(out.contains("broken.wasm\trefused:"), "{out}");
    assert!(!out.contains("README"), "{out}");
}

#[test]
fn the_demo_catches_every_injected_failure_and_says_so_in_json() {
    let (ok, out, err) = reconciler(&["demo", "--json"]);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(report["missed"], 0, "{out}");
    let faults = report["faults"].as_array().expect("a faults array");
    assert_eq!(faults.len(), 8, "{out}");
    let caught_by = |fault: &str| {
        let entry = faults.iter().find(|f| f["fault"] == fault).expect("the fault is reported");
        assert_eq!(entry["resource"], "users");
        assert!(entry["action"].is_string(), "{entry}");
        entry["caught_by"].as_str().expect("caught").to_owned()
    };
    assert_eq!(caught_by("deletion"), "users_full");
    assert_eq!(caught_by("field changed without moving updated_at"), "users_full");
    assert_eq!(caught_by("push the external system silently dropped"), "users_audit");
    assert_eq!(caught_by("worker crash mid-batch"), "users_incremental");
}

#[test]
fn a_run_names_a_missing_configuration_and_a_bad_task() {
    let (ok, _, err) = reconciler(&[
        "run",
        "--config",
        "/nonexistent/r.toml",
        "--customer",
        "a",
        "--task",
        "users_full",
    ]);
    assert!(!ok && err.contains("`/nonexistent/r.toml`"), "{err}");
    let (ok, _, err) = reconciler(&["run", "--customer", "a", "--task", "users_ful"]);
    assert!(!ok && err.contains("`users_ful` is not a task"), "{err}");
}
