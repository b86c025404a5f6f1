//! The fake external system: contract and faults.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use vomo_sim::{ExternalConfig, ExternalFault, ExternalHandle, ExternalSystem, PushState};

use super::support::{answer, http};

async fn external() -> (ExternalHandle, reqwest::Client) {
    let system = ExternalSystem::start(ExternalConfig::default()).await.expect("external starts");
    (system, http())
}

#[tokio::test]
async fn records_are_upserted_read_listed_and_deleted() {
    let (system, http) = external().await;
    let url = format!("{}/records/users/42", system.base_url());
    let first =
        answer(http.put(&url).json(&json!({"name": "Ada"})).send().await.expect("put")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.body["version"], 1);
    assert!(first.headers.contains_key("x-push-id"));
    let second =
        answer(http.put(&url).json(&json!({"name": "Ada L"})).send().await.expect("put")).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["version"], 2);

    let read = answer(http.get(&url).send().await.expect("get")).await;
    assert_eq!(read.body["data"], json!({"name": "Ada L"}));
    let list_url = format!("{}/records/users", system.base_url());
    let list = answer(http.get(&list_url).send().await.expect("list")).await;
    assert_eq!(list.body["total"], 1);

    assert_eq!(http.delete(&url).send().await.expect("delete").status(), StatusCode::NO_CONTENT);
    assert_eq!(http.get(&url).send().await.expect("get").status(), StatusCode::NOT_FOUND);
    assert_eq!(http.delete(&url).send().await.expect("delete").status(), StatusCode::NOT_FOUND);
    assert!(system.get("users", "42").is_none());
}

#[tokio::test]
async fn dropped_pushes_answer_2xx_but_are_not_held() {
    let (system, http) = external().await;
    system.inject(ExternalFault::Drop { count: 2 });
    system.inject(ExternalFault::DropId { resource: "users".into(), id: "9".into() });
    for id in ["1", "2", "3", "9"] {
        let url = format!("{}/records/users/{id}", system.base_url());
        let status = http.put(&url).json(&json!({"id": id})).send().await.expect("put").status();
        assert!(status.is_success(), "{id}: {status}");
    }
    let held: Vec<String> = system.records("users").into_iter().map(|r| r.id).collect();
    assert_eq!(held, ["3"]);
    assert_eq!(system.dropped().len(), 3);
    assert!(system.pushes().iter().all(|p| p.status == PushState::Applied));

    let dropped =
        answer(http.get(format!("{}/_dropped", system.base_url())).send().await.expect("d")).await;
    assert_eq!(dropped.body["data"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn async_failures_accept_with_202_then_show_failed() {
    let (system, http) = external().await;
    let faults = format!("{}/_faults", system.base_url());
    let fault = json!({"kind": "fail_async", "count": 1, "delay_ms": 50});
    assert!(http.post(&faults).json(&fault).send().await.expect("inject").status().is_success());

    let url = format!("{}/records/projects/7", system.base_url());
    let accepted = answer(http.put(&url).json(&json!({"n": 1})).send().await.expect("put")).await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    let push = accepted.body["push_id"].as_u64().expect("push id");
    let status_url = format!("{}/pushes/{push}", system.base_url());
    let pending = answer(http.get(&status_url).send().await.expect("status")).await;
    assert_eq!(pending.body["status"], "pending");

    tokio::time::sleep(Duration::from_millis(150)).await;
    let failed = answer(http.get(&status_url).send().await.expect("status")).await;
    assert_eq!(failed.body["status"], "failed");
    assert!(system.get("projects", "7").is_none(), "the write was lost");

    let next = http.put(&url).json(&json!({"n": 2})).send().await.expect("put");
    assert_eq!(next.status(), StatusCode::CREATED, "only one push was sabotaged");
}

#[tokio::test]
async fn a_configured_token_is_required() {
    let system =
        ExternalSystem::start(ExternalConfig { port: 0, token: Some("crm-secret".into()) })
            .await
            .expect("external starts");
    let http = http();
    let url = format!("{}/records/users/1", system.base_url());
    let refused = http.put(&url).json(&json!({})).send().await.expect("put");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let allowed = http.put(&url).bearer_auth("crm-secret").json(&json!({})).send().await;
    assert_eq!(allowed.expect("put").status(), StatusCode::CREATED);
}
