//! Alerts posted to a webhook, signed, once a day for what a day's runs add up to.

use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use reconciler::engine::{Pass, Task};
use reconciler::notify::{SIGNATURE_HEADER, Webhook, sign};

type Received = Arc<Mutex<Vec<(String, String)>>>;

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
    let (url, received) = receiver().await;
    service.webhook = Some(Webhook::new(&url, "s3cret".to_owned()).expect("a webhook"));

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
