//! Alerts posted to a webhook, signed: once a day for what a day's runs add up to, for a failed
//! run with that run's id, and once for a plugin quarantined after repeated traps.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use reconciler::engine::{Pass, Task};
use reconciler::notify::{SIGNATURE_HEADER, Webhook, sign};
use reconciler::service::Service;
use reconciler::store::{Alert, NewRun, RunCounts, RunOutcome, now_micros};
use serde_json::json;
use tokio::sync::Notify;

type Received = Arc<Mutex<Vec<(String, String)>>>;

/// Points `service`'s alerts at a fresh [`receiver`], signed with `s3cret`.
async fn post_alerts_to_receiver(service: &mut Service) -> Received {
    let (url, received) = receiver().await;
    service.webhook = Some(Webhook::new(&url, "s3cret".to_owned()).expect("a webhook"));
    received
}

/// A webhook receiver that keeps each post's signature and body.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let keep = Arc::clone(&received);
    let handler = move |headers: HeaderMap, body: String| {
        let keep = Arc::clone(&keep);
        async move {
            let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
            keep.lock().expect("lock").push((signature.unwrap_or_default().to_owned(), body));
            "thanks"
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    let app = axum::Router::new().route("/hook", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_days_high_gap_rate_is_posted_once_and_signed() {
    let world = crate::support::one_customer(30).await;
    let mut service = world.service;
    let received = post_alerts_to_receiver(&mut service).await;

    // Partner state is empty: the scan finds every record missing, a gap rate of 100 %.
    let full = Task::new("users", Pass::Full);
    service.run("c0", &full).await.expect("a scan");
    service.run("c0", &full).await.expect("a second scan the same day");

    let received = received.lock().expect("lock").clone();
    assert_eq!(received.len(), 1, "once a day: {received:?}");
    let (signature, body) = &received[0];
    assert_eq!(signature, &format!("sha256={}", sign(b"s3cret", body.as_bytes())));
    let alert: serde_json::Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(alert["kind"], "daily_gap_rate");
    assert_eq!(alert["customer"], "c0");
    assert_eq!(alert["severity"], "high");
    assert!(alert["message"].as_str().expect("text").contains("above 1.0 %"), "{alert}");
}

/// The posts `received` holds, each checked against its signature under `secret`, as JSON.
fn verified(received: &Received, secret: &[u8]) -> Vec<serde_json::Value> {
    let received = received.lock().expect("lock").clone();
    let check = |(signature, body): &(String, String)| {
        assert_eq!(signature, &format!("sha256={}", sign(secret, body.as_bytes())));
        serde_json::from_str(body).expect("JSON")
    };
    received.iter().map(check).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_far_above_the_others_is_posted_as_an_outlier() {
    let world = crate::support::one_customer(30).await;
    let mut service = world.service;
    let received = post_alerts_to_receiver(&mut service).await;
    // Two other customers, each with a 30-day gap rate of 0.1 %.
    let store = service.wiring.store.clone();
    for id in ["c1", "c2"] {
        let mut other = service.wiring.config.customers[0].clone();
        other.id = id.to_owned();
        service.wiring.config.customers.push(other);
        let run = NewRun {
            customer: id.to_owned(),
            task: "users_full".to_owned(),
            dry_run: false,
            started_at: now_micros(),
        };
        let run = store.open_run(&run).await.expect("a run");
        let counts = RunCounts { records_checked: 1_000, gaps: 1, ..RunCounts::default() };
        store.close_run(run, RunOutcome::Succeeded, &counts, None, now_micros()).await.unwrap();
    }

    // Partner state is empty: c0's scan finds every record missing, a gap rate of 100 %.
    let scan = service.run("c0", &Task::new("users", Pass::Full)).await.expect("a scan");

    let alerts = verified(&received, b"s3cret");
    let outlier = alerts.iter().find(|a| a["kind"] == "gap_rate_outlier");
    let outlier = outlier.unwrap_or_else(|| panic!("no outlier alert in {alerts:?}"));
    assert_eq!((&outlier["customer"], &outlier["run_id"]), (&json!("c0"), &json!(scan.run_id)));
    let message = outlier["message"].as_str().expect("text");
    assert!(message.contains("100.0 %") && message.contains("median of 0.1 %"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_once_a_day_rule_holds_however_many_other_alerts_came_since() {
    let world = crate::support::one_customer(30).await;
    let mut service = world.service;
    let received = post_alerts_to_receiver(&mut service).await;
    let full = Task::new("users", Pass::Full);
    service.run("c0", &full).await.expect("a scan");
    for n in 0..250 {
        let alert = Alert::now("c0", None, "low", "scope_change", format!("record {n}"));
        service.wiring.store.add_alert(&alert).await.expect("an alert");
    }
    // Today's gap rate is still above 1 %, and today's alert of it is 250 alerts back.
    service.run("c0", &full).await.expect("a second scan the same day");

    let kinds: Vec<_> = verified(&received, b"s3cret").iter().map(|a| a["kind"].clone()).collect();
    assert_eq!(kinds, [json!("daily_gap_rate")], "once a day");
}

/// A VOMO that holds every users request until `release` is notified, then refuses the token,
/// and lists no groups.
async fn vomo_refusing_users_when_released(release: Arc<Notify>) -> String {
    let users = move || {
        let release = Arc::clone(&release);
        async move {
            release.notified().await;
            (StatusCode::UNAUTHORIZED, axum::Json(json!({ "message": "Unauthenticated." })))
        }
    };
    let groups = || async { axum::Json(json!({ "data": [], "links": { "next": null } })) };
    let app = axum::Router::new().route("/v1/users", get(users)).route("/v1/groups", get(groups));
    serve_vomo(app).await
}

async fn serve_vomo(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v1", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_is_alerted_with_its_own_run_id_though_a_later_run_opened_since() {
    let release = Arc::new(Notify::new());
    let vomo = vomo_refusing_users_when_released(Arc::clone(&release)).await;
    let (mut service, _dir) = crate::support::service_on(&vomo, "").await;
    let received = post_alerts_to_receiver(&mut service).await;
    let service = Arc::new(service);
    let store = service.wiring.store.clone();

    let users = {
        let service = Arc::clone(&service);
        tokio::spawn(async move { service.run("c0", &Task::new("users", Pass::Full)).await })
    };
    let users_run = || async {
        let runs = store.recent_runs("c0", 10).await.expect("runs");
        runs.into_iter().find(|run| run.task == "users_full")
    };
    crate::support::eventually("the users run opens", 60, || async { users_run().await.is_some() })
        .await;
    let groups = service.run("c0", &Task::new("groups", Pass::Full)).await.expect("no groups");
    release.notify_one();
    let error = users.await.expect("joined").expect_err("a refused token fails the run");

    let failed = users_run().await.expect("the users run");
    assert_eq!(failed.outcome, RunOutcome::Failed, "{error:#}");
    assert!(groups.run_id > failed.id, "the groups run opened after the users run");
    let alerts = verified(&received, b"s3cret");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["kind"], "run_failed");
    assert_eq!(alerts[0]["run_id"], json!(failed.id), "the failed run's own id");
    let message = alerts[0]["message"].as_str().expect("text");
    assert!(message.starts_with("users_full failed: "), "{message}");
}

/// A VOMO listing ten records of the misbehaving fixture's resource.
async fn vomo_listing_fixtures() -> String {
    let at = "2025-11-05T10:00:00Z";
    let record = |id: u32| json!({ "id": id, "name": format!("n{id}"), "updated_at": at });
    let records: Vec<_> = (1..=10).map(record).collect();
    let page = json!({ "data": records, "links": { "next": null } });
    let listing = move || {
        let page = page.clone();
        async move { axum::Json(page) }
    };
    serve_vomo(axum::Router::new().route("/v1/fixture", get(listing))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_plugin_traps_quarantine_the_plugin_alert_once_and_count_in_the_metrics() {
    let vomo = vomo_listing_fixtures().await;
    let trapping = format!(
        "plugins.fixture = {:?}\nsettings.fixture.misbehave = \"panic\"",
        plugin_artifacts::MISBEHAVING_PATH
    );
    let (mut service, _dir) = crate::support::service_on(&vomo, &trapping).await;
    let received = post_alerts_to_receiver(&mut service).await;

    let fixture = Task::new("fixture", Pass::Full);
    let first = service.run("c0", &fixture).await.expect("the run goes on past the traps");
    assert_eq!(first.plugin_failures, 10, "{first:?}");
    let metrics = service.meters.render();
    let traps = "reconciler_plugin_traps_total{customer=\"c0\",resource=\"fixture\"} 5";
    assert!(metrics.contains(traps), "five traps quarantine it, then calls are refused: {metrics}");
    let calls = "reconciler_plugin_call_seconds_count{resource=\"fixture\"} 10";
    assert!(metrics.contains(calls), "{metrics}");
    service.run("c0", &fixture).await.expect("a second run, still quarantined");

    let alerts = verified(&received, b"s3cret");
    let kinds: Vec<_> = alerts.iter().map(|a| a["kind"].clone()).collect();
    assert_eq!(kinds, [json!("plugin_quarantined")], "once per quarantine");
    assert_eq!(
        (&alerts[0]["customer"], &alerts[0]["run_id"]),
        (&json!("c0"), &json!(first.run_id))
    );
    let message = alerts[0]["message"].as_str().expect("text");
    assert!(message.contains("customer `c0`'s `fixture` records"), "{message}");
}
