//! The VOMO client against the simulator: complete listings, boundaries, retries, 429s, quirks.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use chrono::{TimeZone, Utc};
use reconciler::bindings::{FieldKind, Value};
use reconciler::throttle::{Priority, RateBudget};
use reconciler::vomo::{
    ClientConfig, Detail, ListQuery, RecordSchema, RetryPolicy, Token, VomoClient, VomoError,
    WindowedListing,
};
use vomo_sim::{DataSize, Fault, RateLimit, Resource, SimConfig, SimHandle, Simulator};

use crate::support::canned;

fn one_org(users: u32) -> DataSize {
    DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(users) }
}

async fn simulator(size: DataSize, rate_limit: Option<RateLimit>, quirks: bool) -> SimHandle {
    let config = SimConfig { size, rate_limit, quirks, ..SimConfig::default() };
    Simulator::start(config).await.expect("the simulator starts")
}

fn client_for(sim: &SimHandle, budget: RateBudget) -> VomoClient {
    let customer = &sim.customers()[0];
    let retry = RetryPolicy { base_delay: Duration::from_millis(20), ..RetryPolicy::default() };
    VomoClient::new(ClientConfig {
        base_url: sim.base_url().to_owned(),
        customer: customer.slug.clone(),
        token: Token::new(customer.token.clone()),
        budget: Arc::new(budget),
        retry,
        timeout: Duration::from_secs(10),
    })
    .expect("the client builds")
}

fn users_schema() -> RecordSchema {
    RecordSchema::new([
        ("email".to_owned(), FieldKind::Text),
        ("membership_status".to_owned(), FieldKind::Text),
    ])
}

async fn all_ids(client: &VomoClient, query: &ListQuery) -> Result<Vec<u64>, VomoError> {
    let schema = users_schema();
    let mut listing = client.list("users", query, Priority::Reconciliation, &schema);
    let mut ids = Vec::new();
    while let Some(page) = listing.next_page().await? {
        ids.extend(page.records.iter().map(|r| r.id));
    }
    Ok(ids)
}

#[tokio::test]
async fn a_ten_thousand_record_listing_arrives_complete() {
    let sim = simulator(one_org(10_000), None, true).await;
    let client = client_for(&sim, RateBudget::unlimited());
    let ids = all_ids(&client, &ListQuery::default()).await.expect("listing completes");

    assert_eq!(ids.len(), 10_000);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 10_000, "no record twice");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending ids");
    assert_eq!(client.requests(), 667, "ceil(10000 / 15) requests, none wasted");
}

#[tokio::test]
async fn a_record_on_a_window_boundary_is_handled_once() {
    let sim = simulator(one_org(40), None, true).await;
    let control = sim.control();
    let boundary = Utc.with_ymd_and_hms(2025, 11, 4, 0, 0, 0).single().expect("date");
    let start = boundary - chrono::Duration::days(1);
    let end = boundary + chrono::Duration::days(1);
    for (id, at) in [(1, start), (2, boundary), (3, boundary), (4, end)] {
        control.touch(Resource::Users, id, Some(at)).expect("touch");
    }

    let client = client_for(&sim, RateBudget::unlimited());
    let after =
        |at| ListQuery { updated_after: Some(at), updated_before: Some(at), params: vec![] };
    assert_eq!(all_ids(&client, &after(boundary)).await.expect("list"), [2, 3], "inclusive");

    let schema = users_schema();
    let mut windows = WindowedListing::new(
        &client,
        "users",
        &schema,
        Priority::Polling,
        (start, end),
        chrono::Duration::days(1),
    );
    let mut seen = Vec::new();
    while let Some(page) = windows.next_page().await.expect("listing completes") {
        seen.extend(page.records.iter().map(|r| r.id));
    }
    seen.sort();
    assert_eq!(seen, [1, 2, 3, 4], "boundary records 2 and 3 appear once");
}

#[tokio::test]
async fn a_500_on_page_7_and_a_dropped_connection_are_retried() {
    let sim = simulator(one_org(300), None, true).await;
    let path = "/users".to_owned();
    sim.control().inject(Fault::ServerError {
        path: path.clone(),
        page: 7,
        count: 2,
        customer: None,
    });
    sim.control().inject(Fault::DropConnection { path, page: 3, count: 1, customer: None });

    let client = client_for(&sim, RateBudget::unlimited());
    let ids = all_ids(&client, &ListQuery::default()).await.expect("listing completes");
    assert_eq!(ids.len(), 300);
    assert_eq!(client.requests(), 20 + 3, "20 pages and three retries");
}

#[tokio::test]
async fn a_page_that_keeps_failing_fails_the_listing_naming_it() {
    let sim = simulator(one_org(60), None, true).await;
    let fault = Fault::ServerError { path: "/users".into(), page: 2, count: 100, customer: None };
    sim.control().inject(fault);
    let client = client_for(&sim, RateBudget::unlimited());
    let error = all_ids(&client, &ListQuery::default()).await.expect_err("gives up");
    let text = error.to_string();
    assert!(text.contains("page 2 of `users`"), "{text}");
    assert!(text.contains("after 6 attempts"), "{text}");
}

#[tokio::test]
async fn a_failed_page_is_asked_for_again_never_skipped() {
    let sim = simulator(one_org(60), None, true).await;
    let fault = Fault::ServerError { path: "/users".into(), page: 2, count: 100, customer: None };
    sim.control().inject(fault);
    let client = client_for(&sim, RateBudget::unlimited());
    let schema = users_schema();
    let mut listing = client.list("users", &ListQuery::default(), Priority::Polling, &schema);

    let first = listing.next_page().await.expect("page 1").expect("page 1");
    assert!(listing.next_page().await.is_err(), "page 2 fails");
    sim.control().clear_faults();
    let mut ids: Vec<u64> = first.records.iter().map(|r| r.id).collect();
    while let Some(page) = listing.next_page().await.expect("the listing resumes at page 2") {
        ids.extend(page.records.iter().map(|r| r.id));
    }
    assert_eq!(ids.len(), 60, "nothing skipped");
}

#[tokio::test]
async fn a_429_storm_is_ridden_out_with_no_request_before_retry_after() {
    let sim = simulator(one_org(90), None, true).await;
    let customer = sim.customers()[0].id;
    sim.control().inject(Fault::Throttle { customer, count: 3, retry_after: 1 });

    let client = client_for(&sim, RateBudget::unlimited());
    let ids = all_ids(&client, &ListQuery::default()).await.expect("listing completes");
    assert_eq!(ids.len(), 90);

    let log = sim.control().requests();
    let ours: Vec<_> = log.iter().filter(|r| r.customer == Some(customer)).collect();
    assert_eq!(ours.iter().filter(|r| r.status == 429).count(), 3);
    for pair in ours.windows(2) {
        if pair[0].status == 429 {
            let gap = pair[1].at - pair[0].at;
            assert!(gap >= chrono::Duration::seconds(1), "request {gap:?} after a 429");
        }
    }
}

#[tokio::test]
async fn a_shared_budget_at_the_limit_draws_no_429() {
    // The simulator allows 3 requests in any second; our budget spaces them a third apart.
    let sim = simulator(one_org(60), Some(RateLimit::default()), true).await;
    let client = client_for(&sim, RateBudget::per_second(3.0));
    let ids = all_ids(&client, &ListQuery::default()).await.expect("listing completes");
    assert_eq!(ids.len(), 60);
    assert_eq!(sim.control().stats(sim.customers()[0].id).throttled, 0);
}

#[tokio::test]
async fn every_quirk_parses_to_the_same_values_as_without_quirks() {
    let schema = RecordSchema::new([
        ("name".to_owned(), FieldKind::Text),
        ("allow_guests".to_owned(), FieldKind::Flag),
        ("anytime".to_owned(), FieldKind::Flag),
        ("draft".to_owned(), FieldKind::Flag),
        ("owners".to_owned(), FieldKind::IntegerList),
    ]);
    let mut results = Vec::new();
    for quirks in [true, false] {
        let sim = simulator(DataSize::small(), None, quirks).await;
        let client = client_for(&sim, RateBudget::unlimited());
        let mut listing =
            client.list("projects", &ListQuery::default(), Priority::Polling, &schema);
        let mut records = Vec::new();
        while let Some(page) = listing.next_page().await.expect("projects parse") {
            records.extend(page.records);
        }
        assert!(!records.is_empty());
        assert!(records.iter().all(|r| matches!(r.values[1], Value::Boolean(_))));
        results.push(
            records.iter().map(|r| (r.id, r.updated_at, r.values.clone())).collect::<Vec<_>>(),
        );
    }
    assert_eq!(results[0], results[1], "quirks change the form, never the values");
}

#[tokio::test]
async fn participant_quirks_parse_in_a_project_date_detail() {
    let sim = simulator(DataSize::small(), None, true).await;
    let date = sim.control().record(Resource::ProjectDates, 1).expect("date 1 exists");
    assert!(date.get("id").is_some());
    let client = client_for(&sim, RateBudget::unlimited());
    let schema = RecordSchema::new([("participants".to_owned(), FieldKind::IntegerList)]);
    let detail = client.detail("projects/date", 1, Priority::Polling, &schema).await;
    let Ok(Detail::Found(record)) = detail else { panic!("{detail:?}") };
    let raw = record.raw_json();
    let participants = raw["participants"].as_array().expect("participants");
    let first = &participants[0];
    assert!(first["hours"].is_string(), "hours arrive as a string: {first}");
    let verified = reconciler::vomo::coerce(FieldKind::Flag, &first["verified"]);
    assert!(matches!(verified, Ok(Value::Boolean(_))), "{first}");
    let signed_up = first["signed_up_at"].as_str().expect("a timestamp");
    reconciler::vomo::parse_timestamp(signed_up).expect("participation timestamps parse");
}

#[tokio::test]
async fn detail_tells_found_from_gone() {
    let sim = simulator(one_org(20), None, true).await;
    sim.control().delete(Resource::Users, 5).expect("delete");
    sim.control().remove_user_from_org(6).expect("remove");
    let client = client_for(&sim, RateBudget::unlimited());
    let schema = users_schema();

    let gone = client.detail("users", 5, Priority::Reconciliation, &schema).await.expect("404");
    assert_eq!(gone, Detail::Gone);
    let moved = client.detail("users", 6, Priority::Reconciliation, &schema).await.expect("200");
    let Detail::Found(record) = moved else { panic!("{moved:?}") };
    assert_eq!(record.values[1], Value::Text("REMOVED".into()));
    let missing = client.detail("users", 999_999, Priority::Reconciliation, &schema).await;
    assert_eq!(missing.expect("404"), Detail::Gone);
}

#[tokio::test]
async fn a_bad_token_stops_the_customer_with_a_named_error() {
    let sim = simulator(one_org(20), None, true).await;
    let client = VomoClient::new(ClientConfig {
        base_url: sim.base_url().to_owned(),
        customer: "acme".into(),
        token: Token::new("not-a-token"),
        budget: Arc::new(RateBudget::unlimited()),
        retry: RetryPolicy::default(),
        timeout: Duration::from_secs(5),
    })
    .expect("client");
    let error = all_ids(&client, &ListQuery::default()).await.expect_err("401");
    assert!(matches!(error, VomoError::Unauthorized { .. }), "{error:?}");
    assert!(error.stops_customer());
    assert!(error.to_string().contains("`acme`"), "{error}");
    assert!(!format!("{error:?}{client:?}").contains("not-a-token"), "the token never shows");
    assert_eq!(client.requests(), 1, "a 401 is not retried");
}

fn canned_client(base_url: String) -> VomoClient {
    VomoClient::new(ClientConfig {
        base_url,
        customer: "acme".into(),
        token: Token::new("t"),
        budget: Arc::new(RateBudget::unlimited()),
        retry: RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() },
        timeout: Duration::from_secs(5),
    })
    .expect("client")
}

#[tokio::test]
async fn a_malformed_page_names_customer_resource_and_page_and_yields_nothing_of_it() {
    let first = r#"{"data": [{"id": 1, "updated_at": "2025-11-05T10:00:00+00:00"}],
                    "links": {"next": "{base}/users?page=2"}}"#;
    let second = r#"{"data": [{"id": 2, "updated_at": "2025-11-05T10:00:00+00:00"},
                              {"id": 3, "updated_at": "last tuesday"}], "links": {"next": null}}"#;
    let client = canned_client(canned(vec![(200, first), (200, second)]).await);
    let schema = users_schema();
    let mut listing = client.list("users", &ListQuery::default(), Priority::Polling, &schema);

    let page = listing.next_page().await.expect("page 1 is fine").expect("page 1");
    assert_eq!(page.records.len(), 1);
    let error = listing.next_page().await.expect_err("page 2 is malformed");
    let text = error.to_string();
    assert!(text.contains("malformed page 2 of `users` for customer `acme`"), "{text}");
    assert!(text.contains("record 2: id 3: `updated_at`"), "{text}");
}

#[tokio::test]
async fn a_next_link_off_the_api_origin_is_not_followed() {
    let first = r#"{"data": [], "links": {"next": "http://elsewhere.invalid/v1/users?page=2"}}"#;
    let client = canned_client(canned(vec![(200, first)]).await);
    let error = all_ids(&client, &ListQuery::default()).await.expect_err("refused");
    assert!(error.to_string().contains("leaves the API's origin"), "{error}");
    assert_eq!(client.requests(), 1);
}

#[tokio::test]
async fn forbidden_and_invalid_answers_are_final() {
    let forbidden = r#"{"message": "This action is unauthorized."}"#;
    let client = canned_client(canned(vec![(403, forbidden)]).await);
    let error = all_ids(&client, &ListQuery::default()).await.expect_err("403");
    assert!(matches!(error, VomoError::Forbidden { .. }) && error.stops_customer(), "{error:?}");

    let invalid = r#"{"message": "The given data was invalid.", "errors": {"page": ["bad"]}}"#;
    let client = canned_client(canned(vec![(422, invalid)]).await);
    let error = all_ids(&client, &ListQuery::default()).await.expect_err("422");
    assert!(error.to_string().contains("The given data was invalid."), "{error}");
    assert_eq!(client.requests(), 1, "a 422 is never retried");
}

/// A page of a four-page listing, ids `page * 10` and `page * 10 + 1`, whose `links.next`
/// names `next`.
fn numbered_page(base: &str, page: u32, next: Option<u32>) -> String {
    let next = next.map_or("null".to_owned(), |n| format!("\"{base}/users?page={n}\""));
    let at = "2025-11-05T10:00:00+00:00";
    format!(
        r#"{{"data": [{{"id": {a}, "updated_at": "{at}"}}, {{"id": {b}, "updated_at": "{at}"}}],
            "links": {{"next": {next}}}, "meta": {{"current_page": {page}, "last_page": "4"}}}}"#,
        a = page * 10,
        b = page * 10 + 1,
    )
}

/// Serves four pages; page 2 answers only once page 3 was asked for, which only a client
/// reading ahead does before it has page 2. `next_of` says what each page's `links.next` names.
async fn reading_ahead_server(next_of: fn(u32) -> Option<u32>) -> (String, Arc<Notify>) {
    use axum::extract::Query;
    use std::collections::HashMap;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v1", listener.local_addr().expect("addr"));
    let third_asked = Arc::new(Notify::new());
    let (served_base, asked) = (base.clone(), Arc::clone(&third_asked));
    let handler = move |Query(query): Query<HashMap<String, String>>| {
        let (base, asked) = (served_base.clone(), Arc::clone(&asked));
        async move {
            let page: u32 = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            match page {
                2 if tokio::time::timeout(Duration::from_secs(20), asked.notified())
                    .await
                    .is_err() =>
                {
                    return (axum::http::StatusCode::BAD_REQUEST, String::new());
                }
                3 => asked.notify_one(),
                _ => {}
            }
            (axum::http::StatusCode::OK, numbered_page(&base, page, next_of(page)))
        }
    };
    let app = axum::Router::new().route("/v1/users", axum::routing::get(handler));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, third_asked)
}

#[tokio::test]
async fn pages_are_asked_for_ahead_once_the_listing_says_how_many_it_holds() {
    let (base, _) = reading_ahead_server(|page| (page < 4).then_some(page + 1)).await;
    let client = canned_client(base);
    let ids = all_ids(&client, &ListQuery::default()).await.expect("listing completes");
    assert_eq!(ids, [10, 11, 20, 21, 30, 31, 40, 41]);
    assert_eq!(client.requests(), 4, "every page asked for once, none past the last");
}

#[tokio::test]
async fn a_next_link_other_than_the_page_asked_for_ahead_is_the_one_followed() {
    // Page 2 names page 4 as its next: page 3, asked for ahead, is dropped unread.
    let (base, _) = reading_ahead_server(|page| match page {
        1 => Some(2),
        2 => Some(4),
        _ => None,
    })
    .await;
    let client = canned_client(base);
    let ids = all_ids(&client, &ListQuery::default()).await.expect("listing completes");
    assert_eq!(ids, [10, 11, 20, 21, 40, 41]);
}
