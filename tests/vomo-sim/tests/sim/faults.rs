//! Injected faults of the customer API: 500 on a page, cut connections, slowness.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use vomo_sim::Fault;

use super::support::start;

#[tokio::test]
async fn server_error_on_page_n_lasts_k_requests_of_that_page() {
    let h = start().await;
    h.sim.control().inject(Fault::ServerError {
        path: "/users".to_owned(),
        page: 2,
        count: 2,
        customer: None,
    });
    assert_eq!(h.get(1, "/users?page=1").await.status, StatusCode::OK);
    assert_eq!(h.get(1, "/users?page=2").await.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(h.get(1, "/users?page=2").await.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(h.get(1, "/users?page=2").await.status, StatusCode::OK);
    assert!(h.sim.control().faults().is_empty());
}

#[tokio::test]
async fn dropped_connection_cuts_the_body_of_page_n() {
    let h = start().await;
    h.sim.control().inject(Fault::DropConnection {
        path: "/users".to_owned(),
        page: 3,
        count: 1,
        customer: Some(1),
    });
    let response = h.http.get(h.url("/users?page=3")).bearer_auth(h.token(1)).send().await;
    let outcome = match response {
        Ok(response) => response.bytes().await.map(|b| b.len()),
        Err(error) => Err(error),
    };
    assert!(outcome.is_err(), "the body must not arrive whole: {outcome:?}");

    let retry = h.get(1, "/users?page=3").await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body["data"].as_array().map(Vec::len), Some(15));
    let logged = h.sim.control().requests();
    assert!(logged.iter().any(|r| r.fault.as_deref() == Some("drop_connection")));
}

#[tokio::test]
async fn slow_responses_wait_the_given_delay() {
    let h = start().await;
    h.sim.control().inject(Fault::Slow { delay_ms: 300, count: Some(1), customer: None });
    let started = Instant::now();
    assert_eq!(h.get(1, "/users").await.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let started = Instant::now();
    h.get(1, "/users").await;
    assert!(started.elapsed() < Duration::from_millis(300), "only one request was slowed");
}

#[tokio::test]
async fn command_line_fault_specs_match_the_typed_faults() {
    let parsed: Fault = "500:/users:4:2".parse().expect("spec parses");
    assert_eq!(
        parsed,
        Fault::ServerError { path: "/users".to_owned(), page: 4, count: 2, customer: None }
    );
}
