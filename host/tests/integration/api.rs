//! The HTTP API against a real store, a real simulator and runs it triggers itself.

use std::sync::Arc;
use std::time::Duration;

use reconciler::api::{ApiState, router};
use reconciler::engine::{Pass, Task};
use serde_json::{Value, json};

use crate::support::http;

const TOKEN: &str = "let-me-write";

async fn serve(state: ApiState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(state))).await });
    base
}

async fn get(base: &str, path: &str) -> (u16, Value) {
    let response = http().get(format!("{base}{path}")).send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(base: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = http()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_shows_health_runs_and_findings_and_writes_need_the_token() {
    let world = crate::support::one_customer(40).await;
    let dir = &world.dir;
    let service = Arc::new(world.service);
    let full = Task::new("users", Pass::Full);
    let first = service.run("c0", &full).await.expect("a first scan repairs everything");
    service.run("c0", &full).await.expect("a second finds nothing");

    let state = |protect_reads| ApiState {
        service: Arc::clone(&service),
        token: Some(TOKEN.to_owned()),
        protect_reads,
    };
    let base = serve(state(false)).await;
    let health = http().get(format!("{base}/health")).send().await.expect("up");
    assert_eq!(health.text().await.expect("text"), "ok");
    assert_eq!(get(&base, "/ready").await, (200, json!({ "ready": true })));

    let (status, customers) = get(&base, "/customers").await;
    assert_eq!(status, 200);
    let c0 = &customers[0];
    assert_eq!(c0["id"], "c0");
    assert_eq!(c0["days"].as_array().expect("days").len(), 30);
    assert_eq!(c0["last_runs"].as_array().expect("runs").len(), 2);
    assert_eq!(c0["healthy"], false, "the first scan found every record missing: {c0}");
    assert_eq!(c0["breaker_open"], false);

    let (status, run) = get(&base, &format!("/runs/{}", first.run_id)).await;
    assert_eq!(status, 200);
    assert_eq!(run["task"], "users_full");
    assert_eq!(run["findings"][0]["kind"], "missed_create", "{run}");
    assert_eq!(get(&base, "/runs/abc").await.1["error"], "run id `abc` is not a positive integer");
    assert_eq!(get(&base, "/runs/99999").await.0, 404);
    assert_eq!(
        get(&base, "/customers/nope").await,
        (404, json!({ "error": "no customer `nope`" }))
    );

    let body = r#"{"task": "users_incremental"}"#;
    assert_eq!(post(&base, "/customers/c0/runs", None, body).await.0, 401);
    assert_eq!(post(&base, "/customers/c0/runs", Some("guess"), body).await.0, 401);
    let (status, error) = post(&base, "/customers/c0/runs", Some(TOKEN), "{\"job\": 1}").await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().expect("text").contains("{\"task\": \"RESOURCE_PASS\"}"));
    let (status, _) =
        post(&base, "/customers/c0/runs", Some(TOKEN), r#"{"task": "users_ful"}"#).await;
    assert_eq!(status, 400);
    let (status, accepted) = post(&base, "/customers/c0/runs", Some(TOKEN), body).await;
    assert_eq!((status, &accepted["accepted"]), (202, &json!(true)));
    let mut runs = Value::Null;
    for _ in 0..100 {
        runs = get(&base, "/customers/c0/runs?limit=5").await.1;
        if runs.as_array().is_some_and(|r| r.len() == 3 && r[0]["outcome"] != "running") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(runs[0]["task"], "users_incremental", "{runs}");
    assert_eq!(runs[0]["outcome"], "succeeded", "{runs}");

    let (status, refused) =
        post(&base, &format!("/reviews/{}/approve", first.run_id), Some(TOKEN), "").await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(get(&base, "/reviews").await, (200, json!([])));
    let (_, plugins) = get(&base, "/plugins").await;
    let plugins = plugins.as_array().expect("plugins").clone();
    assert_eq!(plugins.len(), 6);
    assert!(plugins.iter().all(|p| p["layer"] == "builtin" && p["version"] == "0.1.0"));
    let (_, openapi) = get(&base, "/openapi.json").await;
    assert!(openapi["paths"]["/reviews/{run}/approve"]["post"]["security"].is_array());

    let metrics = http().get(format!("{base}/metrics")).send().await.expect("metrics");
    let metrics = metrics.text().await.expect("text");
    let line = "reconciler_runs_total{customer=\"c0\",task=\"users_full\",outcome=\"succeeded\"} 2";
    assert!(metrics.contains(line), "{metrics}");
    assert!(metrics.contains("# TYPE reconciler_gaps_total counter"), "{metrics}");

    let page =
        http().get(format!("{base}/")).send().await.expect("the page").text().await.expect("html");
    assert!(page.contains("<section id=\"customer-c0\">"), "{page}");
    assert!(page.contains("<span class=\"unhealthy\">unhealthy</span>"), "{page}");
    assert_eq!(page.matches("<rect ").count(), 30, "a bar a day");
    assert!(page.contains("<td>users_incremental</td>"), "{page}");
    screenshot(&base, dir.path());

    let guarded = serve(state(true)).await;
    assert_eq!(get(&guarded, "/customers").await.0, 401);
    let authorised = http().get(format!("{guarded}/customers")).bearer_auth(TOKEN);
    assert_eq!(authorised.send().await.expect("an answer").status().as_u16(), 200);
}

/// Opens the health page in headless Chromium, takes a screenshot and checks what it rendered.
/// The screenshot stays in the target directory (`tmp/health-page.png`) for people to look at.
fn screenshot(base: &str, dir: &std::path::Path) {
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("health-page.png");
    // An earlier run's screenshot must not pass for this one's.
    match std::fs::remove_file(&shot) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => panic!("cannot remove the old screenshot `{}`: {error}", shot.display()),
    }
    let chromium = |extra: &[&str]| {
        std::process::Command::new("chromium")
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"])
            .arg(format!("--user-data-dir={}", dir.join("chromium").display()))
            .args(extra)
            .arg(format!("{base}/"))
            .output()
            .expect("chromium runs (Debian's `chromium` package; .ci/run installs it)")
    };
    let dom = chromium(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Sync health") && dom.contains("customer-c0"), "{dom}");
    let taken = chromium(&[&format!("--screenshot={}", shot.display())]);
    assert!(taken.status.success(), "{}", String::from_utf8_lossy(&taken.stderr));
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG", "a PNG image");
    assert!(png.len() > 5_000, "the page rendered something: {} bytes", png.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plugins_in_force_name_the_layer_of_each_setting() {
    let more = "settings.users.ignore-fields = \"phone\"";
    let (service, _dir) = crate::support::service_on("http://127.0.0.1:9/v1", more).await;
    let state = ApiState { service: Arc::new(service), token: None, protect_reads: false };
    let base = serve(state).await;

    let (status, plugins) = get(&base, "/plugins").await;
    assert_eq!(status, 200);
    let users = plugins.as_array().expect("plugins").iter().find(|p| p["resource"] == "users");
    let users = users.expect("the users plugin");
    assert_eq!(users["layer"], "builtin", "{users}");
    let ignored = &users["settings"]["ignore-fields"];
    assert_eq!(ignored, &json!({ "value": "phone", "layer": "customer" }), "{users}");
    let groups = plugins.as_array().expect("plugins").iter().find(|p| p["resource"] == "groups");
    assert_eq!(groups.expect("groups")["settings"], json!({}), "no settings for groups");
}
