//! Per-customer plugins and settings: which layer wins, and a plugin file reloaded when it
//! changes, a refused change leaving the previous plugin serving.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use reconciler::config::Config;
use reconciler::layers::{Layer, Registry};

/// Writes `bytes` to `file` and moves its modification time on, as an edit does.
fn replace(file: &Path, bytes: &[u8], seconds_later: u64) {
    std::fs::write(file, bytes).expect("write the plugin file");
    let at = SystemTime::now() + Duration::from_secs(seconds_later);
    File::options().write(true).open(file).expect("open").set_modified(at).expect("touch");
}

#[tokio::test]
async fn a_changed_plugin_file_is_reloaded_and_a_refused_change_keeps_the_previous_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("acme-users.wasm");
    replace(&file, plugin_artifacts::USERS, 0);
    let text = format!(
        "[vomo]\n[[customers]]\nid = \"acme\"\ntoken_env = \"X\"\nplugins.users = {:?}\n\
         [[customers]]\nid = \"globex\"\ntoken_env = \"X\"\n\
         plugins.users = \"/nonexistent.wasm\"\n",
        file.display().to_string()
    );
    let config = Config::parse(&text).expect("a configuration");
    let (acme, globex) = (&config.customers[0], &config.customers[1]);
    let engine = crate::support::engine();
    let registry = Registry::default();
    let plugin = || registry.plugin(&engine, &config, acme, "users");
    let serving = "a plugin serves";

    let first = plugin().await.expect(serving);
    assert_eq!(first.layer, Layer::Customer);
    assert_eq!(first.file.as_deref(), Some(file.as_path()));
    let again = plugin().await.expect(serving);
    assert!(Arc::ptr_eq(&first, &again), "an unchanged file is not loaded again");

    replace(&file, b"not a component", 10);
    assert!(Arc::ptr_eq(&first, &plugin().await.expect(serving)), "a broken file is refused");
    replace(&file, plugin_artifacts::GROUPS, 20);
    let other = plugin().await.expect(serving);
    assert!(Arc::ptr_eq(&first, &other), "a plugin for another resource is refused");
    replace(&file, plugin_artifacts::USERS, 30);
    let reloaded = plugin().await.expect(serving);
    assert!(!Arc::ptr_eq(&first, &reloaded), "a valid change is loaded");
    assert_eq!(reloaded.plugin.description().resource, "users");

    let missing = registry.plugin(&engine, &config, globex, "users").await.expect_err("no file");
    assert!(format!("{missing:#}").contains("/nonexistent.wasm"), "{missing:#}");
    let builtin = registry.plugin(&engine, &config, globex, "groups").await.expect("built in");
    assert_eq!((builtin.layer, builtin.file.clone()), (Layer::Builtin, None));
}

/// The service's runtime has one thread: a plugin compiled on it would stall every run and the
/// API for as long as compiling takes.
#[tokio::test(flavor = "current_thread")]
async fn loading_a_plugin_file_leaves_the_runtime_free_for_other_tasks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("acme-users.wasm");
    replace(&file, plugin_artifacts::USERS, 0);
    let text = format!(
        "[vomo]\n[[customers]]\nid = \"acme\"\ntoken_env = \"X\"\nplugins.users = {:?}\n",
        file.display().to_string()
    );
    let config = Config::parse(&text).expect("a configuration");
    let engine = crate::support::engine();
    let ran = Arc::new(AtomicBool::new(false));
    let other = Arc::clone(&ran);
    tokio::spawn(async move { other.store(true, Ordering::SeqCst) });

    let registry = Registry::default();
    let loaded = registry.plugin(&engine, &config, &config.customers[0], "users").await;
    assert_eq!(loaded.expect("loads").layer, Layer::Customer);
    assert!(ran.load(Ordering::SeqCst), "another task ran while the plugin loaded");
}
