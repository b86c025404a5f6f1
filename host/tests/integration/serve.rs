//! `reconciler serve` as a process: scheduled runs happen, a customer with a bad token fails
//! alone, and SIGTERM stops the service cleanly.

use std::process::{Command, Stdio};
use std::time::Duration;

use reconciler::store::{RunOutcome, RunRecord, Store};
use vomo_sim::{DataSize, ExternalConfig, ExternalSystem, SimConfig, Simulator};

use crate::support::http;

async fn runs_of(store: &Store, customer: &str) -> Vec<RunRecord> {
    store.recent_runs(customer, 50).await.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_runs_happen_one_customers_failure_stays_its_own_and_sigterm_stops_cleanly() {
    let size = DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(30) };
    let sim = Simulator::start(SimConfig { size, rate_limit: None, ..SimConfig::default() })
        .await
        .expect("simulator");
    let crm = ExternalSystem::start(ExternalConfig::default()).await.expect("crm");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("good.token"), &sim.customers()[0].token).expect("token");
    std::fs::write(dir.path().join("bad.token"), "0".repeat(40)).expect("token");
    let db = dir.path().join("serve.db");
    let every_two_seconds = r#"cadences.users_incremental = "*/2 * * * * *""#;
    let config = format!(
        "store = \"sqlite://{db}\"\n[vomo]\nbase_url = \"{sim}\"\nrequests_per_second = 1000.0\n\
         [external]\nbase_url = \"{crm}\"\n[schedule]\nstagger_minutes = 0\nconcurrent_runs = 2\n\
         [[customers]]\nid = \"good\"\ntoken_file = \"good.token\"\n{every_two_seconds}\n\
         [[customers]]\nid = \"bad\"\ntoken_file = \"bad.token\"\n{every_two_seconds}\n",
        db = db.display(),
        sim = sim.base_url(),
        crm = crm.base_url(),
    );
    let config_path = dir.path().join("reconciler.toml");
    std::fs::write(&config_path, config).expect("config");

    let child = Command::new(env!("CARGO_BIN_EXE_reconciler"))
        .args(["--cache-dir", crate::support::cache_dir().to_str().expect("utf-8 path")])
        .args(["serve", "--config", config_path.to_str().expect("utf-8 path")])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the service starts");

    let mut seen = false;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(store) = Store::open(&format!("sqlite://{}", db.display())).await else { continue };
        let good = runs_of(&store, "good").await;
        let bad = runs_of(&store, "bad").await;
        store.close().await;
        let succeeded = good.iter().filter(|r| r.outcome == RunOutcome::Succeeded).count();
        let failed = bad.iter().filter(|r| r.outcome == RunOutcome::Failed).count();
        if succeeded >= 2 && failed >= 2 {
            assert!(good.iter().all(|r| r.task == "users_incremental"), "{good:?}");
            let error = bad[0].error.clone().unwrap_or_default();
            assert!(
                error.to_lowercase().contains("unauthorized") || error.contains("401"),
                "{error}"
            );
            seen = true;
            break;
        }
    }

    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(killed.success());
    let output = child.wait_with_output().expect("the service stops");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(seen, "no scheduled runs seen in time:\n{log}");
    assert!(output.status.success(), "a clean stop:\n{log}");
    assert!(log.contains("stopping: runs in progress finish"), "{log}");
    assert!(!log.contains(&sim.customers()[0].token), "the token never reaches the log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_as_a_service_runs_its_customers_and_shows_them_on_its_port() {
    use std::io::BufRead as _;

    let mut child = Command::new(env!("CARGO_BIN_EXE_reconciler"))
        .args(["--cache-dir", crate::support::cache_dir().to_str().expect("utf-8 path")])
        .args(["demo", "--serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line)
    });
    let line = line.await.expect("joined").expect("a line");
    let base = line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in `{line}`"))
        .trim_end_matches('/')
        .to_owned();

    let mut ran = false;
    for _ in 0..90 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(answer) = http().get(format!("{base}/customers")).send().await else { continue };
        let customers: serde_json::Value = answer.json().await.unwrap_or_default();
        let runs = |c: &serde_json::Value| c["last_runs"].as_array().map_or(0, Vec::len);
        if customers.as_array().is_some_and(|all| all.len() == 3 && all.iter().all(|c| runs(c) > 0))
        {
            ran = true;
            break;
        }
    }
    let page = http().get(format!("{base}/")).send().await.expect("the page").text().await;
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(killed.expect("kill runs").success());
    let output = child.wait_with_output().expect("the demo stops");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(ran, "every customer ran within the wait:\n{log}");
    let page = page.expect("html");
    assert!(["acme", "globex", "initech"].iter().all(|c| page.contains(c)), "{page}");
    assert!(output.status.success(), "a clean stop:\n{log}");
}
