//! Stopping the service: a run outliving the grace period is recorded as interrupted with what
//! it found and nothing it staged carried out, the next run repairs; the API's runs go through
//! the same gate; runs a dead process left running are closed when the service starts.

use std::sync::Arc;
use std::time::Duration;

use reconciler::api::{ApiState, router};
use reconciler::commands::serve::serve_service;
use reconciler::engine::{Pass, Task};
use reconciler::store::{NewRun, RunOutcome, Store, now_micros};
use vomo_sim::RateLimit;

use crate::support::http;

const TOKEN: &str = "let-me-write";

async fn trigger(base: &str, task: &str) -> (u16, serde_json::Value) {
    let response = http()
        .post(format!("{base}/customers/c0/runs"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(format!("{{\"task\": \"{task}\"}}"))
        .send()
        .await
        .expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_outliving_the_grace_period_is_interrupted_and_the_next_run_repairs() {
    let world = crate::support::one_customer(100).await;
    let control = world.sim.control().clone();
    let service = Arc::new(world.service);
    let store = service.wiring.store.clone();
    let state =
        ApiState { service: Arc::clone(&service), token: Some(TOKEN.into()), protect_reads: false };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(state))).await });

    // One request every four seconds: the first page is read, the second refused with a 429,
    // and the run waits on its budget with fifteen of a hundred records judged.
    control.set_rate_limit(Some(RateLimit { per_second: 0.25, burst: 1 }));
    assert_eq!(trigger(&base, "users_full").await.0, 202);
    crate::support::eventually("the second page is refused", 60, || async {
        control.requests().iter().any(|request| request.status == 429)
    })
    .await;
    // A full scan judges what it read as soon as the listing makes it wait.
    let judged = "reconciler_plugin_call_seconds_count{resource=\"users\"} 15";
    crate::support::eventually("the first page is judged", 60, || async {
        service.meters.render().lines().any(|line| line == judged)
    })
    .await;
    let (status, busy) = trigger(&base, "users_full").await;
    assert_eq!(status, 409, "one run of a task at a time: {busy}");
    assert_eq!(busy["error"], "customer `c0` already has a run of `users_full` going");

    service.gate.stop(Duration::ZERO).await;
    assert_eq!(trigger(&base, "users_audit").await.0, 503, "nothing starts once stopping");
    let runs = store.recent_runs("c0", 10).await.expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    let interrupted = &runs[0];
    assert_eq!(interrupted.outcome, RunOutcome::Interrupted, "{interrupted:?}");
    assert!(interrupted.error.as_deref().is_some_and(|e| e.starts_with("interrupted")));
    let found = store.findings(interrupted.id).await.expect("findings");
    assert_eq!(found.len(), 15, "the first page's missed creates stay on record");
    assert!(store.run_actions(interrupted.id).await.expect("journal").is_empty(), "none staged");
    assert!(world.crm.records("users").is_empty(), "nothing was carried out");

    control.set_rate_limit(None);
    let next = service.run("c0", &Task::new("users", Pass::Full)).await.expect("the next run");
    assert_eq!((next.gaps, next.executed.taken), (100, 100), "{next:?}");
    assert_eq!(world.crm.records("users").len(), 100);
    let after = service.run("c0", &Task::new("users", Pass::Full)).await.expect("a check");
    assert_eq!(after.gaps, 0, "repaired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_closes_the_runs_a_dead_process_left_running_for_its_customers() {
    let world = crate::support::one_customer(10).await;
    let store = world.service.wiring.store.clone();
    let open = |customer: &str| NewRun {
        customer: customer.to_owned(),
        task: "users_full".to_owned(),
        dry_run: false,
        started_at: now_micros(),
    };
    let ours = store.open_run(&open("c0")).await.expect("a run");
    let theirs = store.open_run(&open("served-elsewhere")).await.expect("a run");

    // Stopped before it starts: the service only gets as far as its start.
    let (_stop, stopped) = tokio::sync::watch::channel(true);
    let service = Arc::new(world.service);
    serve_service(service, None, |_| {}, stopped).await.expect("serves");

    let db = world.dir.path().join("store.db");
    let store = Store::open(&format!("sqlite://{}", db.display())).await.expect("the store");
    let ours = store.run(ours).await.expect("read").expect("the run");
    assert_eq!(ours.outcome, RunOutcome::Interrupted);
    let theirs = store.run(theirs).await.expect("read").expect("the run");
    assert_eq!(theirs.outcome, RunOutcome::Running, "another host's customer is not ours");
}
