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
    assert_eq!(faults.len(), 14, "{out}");
    let caught_by = |fault: &str, resource: &str| {
        let entry = faults.iter().find(|f| f["fault"] == fault).expect("the fault is reported");
        assert_eq!(entry["resource"], resource);
        assert!(entry["action"].is_string(), "{entry}");
        assert_eq!(entry["repaired"], true, "{entry}");
        entry["caught_by"].as_str().expect("caught").to_owned()
    };
    assert_eq!(caught_by("deletion", "users"), "users_full");
    assert_eq!(caught_by("field changed without moving updated_at", "users"), "users_full");
    assert_eq!(caught_by("push the external system silently dropped", "users"), "users_audit");
    assert_eq!(caught_by("worker crash mid-batch", "users"), "users_incremental");
    let date_added = "project date added behind the integration's back";
    assert_eq!(caught_by(date_added, "projects"), "projects_full");
    assert_eq!(caught_by("member removed from a group", "groups"), "groups_full");
    assert_eq!(caught_by("group deleted", "groups"), "groups_full");
    let completion = caught_by("form completion missed", "form_completions");
    assert_eq!(completion, "form_completions_incremental");
    let cancelled = caught_by("participant cancelled", "participations");
    assert_eq!(cancelled, "participations_full");
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

#[test]
fn the_resources_doc_shows_the_defaults_the_plugins_describe() {
    let (ok, table, err) = reconciler(&["plugins", "defaults"]);
    assert!(ok, "{err}");
    assert!(table.contains("| projects | `projects_full` |"), "{table}");
    let doc = include_str!("../../../docs/resources.md");
    assert!(
        doc.contains(&table),
        "docs/resources.md is out of date; put `reconciler plugins defaults` in:\n{table}"
    );
}

#[test]
fn plugins_check_shows_the_parts_of_a_records_field() {
    let (ok, out, err) = reconciler(&["plugins", "check", "builtin:projects"]);
    assert!(ok, "{err}");
    assert!(out.contains("all_dates            records"), "{out}");
    assert!(out.contains("(parts: starts_at, ends_at)"), "{out}");
}

#[test]
fn plugins_layers_names_the_layer_of_each_plugin_and_setting_and_fails_on_a_refused_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("reconciler.toml");
    let text = "settings.users.ignore-fields = \"phone\"\n[vomo]\n\
                [[customers]]\nid = \"acme\"\ntoken_env = \"X\"\n\
                settings.users.ignore-fields = \"address\"\n\
                plugins.groups = \"groups-of-acme.wasm\"\n";
    std::fs::write(&config, text).expect("config");
    std::fs::write(dir.path().join("groups-of-acme.wasm"), plugin_artifacts::GROUPS).expect("copy");
    let (ok, out, err) =
        reconciler(&["plugins", "layers", "--config", config.to_str().expect("utf-8")]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("users             builtin:users 0.1.0 (builtin)"), "{out}");
    assert!(out.contains("ignore-fields = address (customer)"), "{out}");
    assert!(out.contains("groups-of-acme.wasm 0.1.0 (customer)"), "{out}");

    std::fs::write(dir.path().join("groups-of-acme.wasm"), b"garbage").expect("break it");
    let (ok, out, _) =
        reconciler(&["plugins", "layers", "--config", config.to_str().expect("utf-8")]);
    assert!(!ok && out.contains("groups            refused: plugin file"), "{out}");
}
