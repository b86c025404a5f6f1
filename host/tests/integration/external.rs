//! The external-system connector against the simulator's fake CRM.

use reconciler::external::{ExternalClient, ExternalError, PushOutcome};
use reconciler::vomo::Token;
use serde_json::json;
use vomo_sim::{ExternalConfig, ExternalFault, ExternalHandle, ExternalSystem};

async fn crm(token: Option<&str>) -> ExternalHandle {
    let config = ExternalConfig { port: 0, token: token.map(str::to_owned) };
    ExternalSystem::start(config).await.expect("the fake CRM starts")
}

#[tokio::test]
async fn a_pushed_record_reads_back_and_deletes_idempotently() {
    let crm = crm(Some("crm-token")).await;
    let client =
        ExternalClient::new(&crm.base_url(), Some(&Token::new("crm-token"))).expect("client");
    let record = json!({"id": 7, "email": "ann@example.org"});

    assert_eq!(client.upsert("users", 7, &record).await.expect("push"), PushOutcome::Applied);
    assert_eq!(client.get("users", 7).await.expect("read"), Some(record));
    assert_eq!(client.delete("users", 7).await.expect("delete"), PushOutcome::Applied);
    let again = client.delete("users", 7).await.expect("deleting again is harmless");
    assert_eq!(again, PushOutcome::Applied);
    assert_eq!(client.get("users", 7).await.expect("read"), None);
}

#[tokio::test]
async fn a_silently_dropped_push_looks_applied_and_only_reading_back_shows_it() {
    let crm = crm(None).await;
    crm.inject(ExternalFault::Drop { count: 1 });
    let client = ExternalClient::new(&crm.base_url(), None).expect("client");
    let outcome = client.upsert("users", 8, &json!({"id": 8})).await.expect("push");
    assert_eq!(outcome, PushOutcome::Applied, "the CRM answers as if it applied the push");
    assert_eq!(client.get("users", 8).await.expect("read"), None, "but holds nothing");
}

#[tokio::test]
async fn an_asynchronous_push_is_reported_pending_with_its_id() {
    let crm = crm(None).await;
    crm.inject(ExternalFault::FailAsync { count: 1, delay_ms: 0 });
    let client = ExternalClient::new(&crm.base_url(), None).expect("client");
    let outcome = client.upsert("users", 9, &json!({"id": 9})).await.expect("push");
    let PushOutcome::Pending { push_id } = outcome else { panic!("{outcome:?}") };
    assert!(!push_id.is_empty());

    client.upsert("users", 10, &json!({"id": 10})).await.expect("applied");
    crm.inject(ExternalFault::FailAsync { count: 1, delay_ms: 0 });
    let deletion = client.delete("users", 10).await.expect("delete");
    assert!(matches!(deletion, PushOutcome::Pending { .. }), "a queued delete is not done");
}

#[tokio::test]
async fn a_refused_push_names_the_record_and_status() {
    let crm = crm(Some("right")).await;
    let client = ExternalClient::new(&crm.base_url(), Some(&Token::new("wrong"))).expect("client");
    let error = client.upsert("users", 10, &json!({})).await.expect_err("401");
    assert!(matches!(error, ExternalError::Refused { status: 401, .. }), "{error:?}");
    assert!(error.to_string().contains("`users/10`"), "{error}");
}

#[tokio::test]
async fn an_unreachable_system_names_the_record() {
    let client = ExternalClient::new("http://127.0.0.1:9", None).expect("client");
    let error = client.get("users", 11).await.expect_err("nothing listens");
    assert!(matches!(error, ExternalError::Unreachable { .. }), "{error:?}");
    assert!(error.to_string().contains("`users/11`"), "{error}");
}
