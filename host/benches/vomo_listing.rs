//! Listing users from the simulator: at the rate limit, and flat out.
//!
//! Run with `cargo bench -p reconciler --bench vomo_listing`.
//! (a) 300 users with the simulator limiting the token to 3 requests a second: wall time against
//!     the floor of ceil(N/15)/3 seconds, and the 429s drawn (goal: at most 1.03 times, zero).
//! (b) 100,000 users with no rate limit: requests used (goal: exactly ceil(N/15)) and records
//!     per second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reconciler::bindings::FieldKind;
use reconciler::throttle::{Priority, RateBudget};
use reconciler::vomo::{ClientConfig, ListQuery, RecordSchema, RetryPolicy, Token, VomoClient};
use vomo_sim::{DataSize, RateLimit, SimConfig, Simulator};

#[tokio::main]
async fn main() {
    at_the_rate_limit(300).await;
    flat_out(100_000).await;
}

async fn listing(
    users: u32,
    rate_limit: Option<RateLimit>,
    budget: RateBudget,
) -> (Duration, u64, u64) {
    let size = DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(users) };
    let sim = Simulator::start(SimConfig { size, rate_limit, ..SimConfig::default() })
        .await
        .expect("simulator");
    let customer = sim.customers()[0].clone();
    let client = VomoClient::new(ClientConfig {
        base_url: sim.base_url().to_owned(),
        customer: customer.slug.clone(),
        token: Token::new(customer.token.clone()),
        budget: Arc::new(budget),
        retry: RetryPolicy::default(),
        timeout: Duration::from_secs(30),
    })
    .expect("client");
    let schema = RecordSchema::new([
        ("email".to_owned(), FieldKind::Text),
        ("first_name".to_owned(), FieldKind::Text),
        ("last_name".to_owned(), FieldKind::Text),
        ("phone".to_owned(), FieldKind::Text),
    ]);

    let started = Instant::now();
    let mut listing = client.list("users", &ListQuery::default(), Priority::Polling, &schema);
    let mut records = 0;
    while let Some(page) = listing.next_page().await.expect("listing completes") {
        records += page.records.len() as u64;
    }
    let elapsed = started.elapsed();
    assert_eq!(records, u64::from(users));
    let throttled = sim.control().stats(customer.id).throttled;
    (elapsed, client.requests(), throttled)
}

async fn at_the_rate_limit(users: u32) {
    let limit = RateLimit { per_second: 3.0, ..RateLimit::default() };
    let (elapsed, requests, throttled) =
        listing(users, Some(limit), RateBudget::per_second(3.0)).await;
    let floor = (f64::from(users) / 15.0).ceil() / 3.0;
    println!(
        "(a) {users} users at 3/s: {:.2} s against a floor of {floor:.2} s ({:.3}x), \
         {requests} requests, {throttled} 429s",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / floor
    );
}

async fn flat_out(users: u32) {
    let (elapsed, requests, _) = listing(users, None, RateBudget::unlimited()).await;
    let expected = (f64::from(users) / 15.0).ceil() as u64;
    println!(
        "(b) {users} users, no limit: {requests} requests (ceil(N/15) = {expected}), \
         {:.0} records/s, {:.2} s",
        f64::from(users) / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
}
