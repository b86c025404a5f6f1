//! The per-token rate limit: 429 with `Retry-After`, and what a polite client never sees.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use vomo_sim::{Fault, RateLimit, SimConfig};

use super::support::{start, start_with};

async fn limited() -> super::support::Harness {
    start_with(SimConfig { rate_limit: Some(RateLimit::default()), ..SimConfig::default() }).await
}

#[tokio::test]
async fn burst_past_the_limit_is_429_with_retry_after_and_no_data() {
    let h = limited().await;
    let mut refused = None;
    for _ in 0..6 {
        let answer = h.get(1, "/users").await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("a burst of six is refused");
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("integer Retry-After");
    assert!(retry >= 1);
    assert!(refused.body.get("data").is_none());

    // Another token is not affected, and obeying Retry-After is enough.
    assert_eq!(h.get(3, "/users").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(retry)).await;
    assert_eq!(h.get(1, "/users").await.status, StatusCode::OK);
    let stats = h.sim.control().stats(1);
    assert_eq!(stats.throttled, 1);
    assert_eq!(stats.requests, stats.served + stats.throttled);
}

#[tokio::test]
async fn requests_spaced_a_third_of_a_second_apart_are_never_refused() {
    let h = limited().await;
    let mut ticker = tokio::time::interval(Duration::from_millis(334));
    for n in 0..8 {
        ticker.tick().await;
        let answer = h.get(1, "/users").await;
        assert_eq!(answer.status, StatusCode::OK, "request {n}");
    }
    assert_eq!(h.sim.control().stats(1).throttled, 0);
}

#[tokio::test]
async fn injected_429_burst_hits_one_token_for_k_requests() {
    let h = start().await;
    h.sim.control().inject(Fault::Throttle { customer: 1, count: 3, retry_after: 7 });
    for _ in 0..3 {
        let answer = h.get(1, "/users").await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.headers["retry-after"], "7");
        assert_eq!(answer.body, json!({"message": "Too Many Attempts."}));
    }
    assert_eq!(h.get(3, "/users").await.status, StatusCode::OK);
    assert_eq!(h.get(1, "/users").await.status, StatusCode::OK);
    assert_eq!(h.sim.control().stats(1).throttled, 3);
}

#[tokio::test]
async fn rate_limit_can_be_changed_and_turned_off() {
    let h = limited().await;
    h.sim.control().set_rate_limit(None);
    for _ in 0..20 {
        assert_eq!(h.get(1, "/users").await.status, StatusCode::OK);
    }
    h.sim.control().set_rate_limit(Some(RateLimit { per_second: 1.0, burst: 1 }));
    assert_eq!(h.get(1, "/users").await.status, StatusCode::OK);
    assert_eq!(h.get(1, "/users").await.status, StatusCode::TOO_MANY_REQUESTS);
}
