//! Polling end to end: the simulator, the fake CRM, the users plugin's schema and a store.

use std::sync::Arc;
use std::time::Duration;

use reconciler::engine::{Target, poll};
use reconciler::external::ExternalClient;
use reconciler::throttle::RateBudget;
use reconciler::vomo::{ClientConfig, RecordSchema, RetryPolicy, Token, VomoClient};
use serde_json::json;
use vomo_sim::{
    DataSize, ExternalConfig, ExternalFault, ExternalSystem, Resource, SimConfig, Simulator,
};

use crate::support::{canned, engine, fresh_store};

struct World {
    sim: vomo_sim::SimHandle,
    crm: vomo_sim::ExternalHandle,
    vomo: VomoClient,
    schema: RecordSchema,
}

async fn world(users: u32) -> World {
    let size = DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(users) };
    let sim = Simulator::start(SimConfig { size, rate_limit: None, ..SimConfig::default() })
        .await
        .expect("simulator");
    let crm = ExternalSystem::start(ExternalConfig { port: 0, token: Some("crm".into()) })
        .await
        .expect("crm");
    let customer = sim.customers()[0].clone();
    let vomo = VomoClient::new(ClientConfig {
        base_url: sim.base_url().to_owned(),
        customer: "acme".into(),
        token: Token::new(customer.token),
        budget: Arc::new(RateBudget::unlimited()),
        retry: RetryPolicy::default(),
        timeout: Duration::from_secs(10),
    })
    .expect("client");
    let users = engine().load_bytes("builtin:users", plugin_artifacts::USERS).expect("plugin");
    let schema = RecordSchema::of(users.description());
    World { sim, crm, vomo, schema }
}

/// Where polling puts customer `acme`'s users.
fn users_target<'a>(
    world: &'a World,
    store: &'a reconciler::store::Store,
    external: &'a ExternalClient,
) -> Target<'a> {
    Target { customer: "acme", resource: "users", schema: &world.schema, store, external }
}

fn crm_client(world: &World, token: &str) -> ExternalClient {
    ExternalClient::new(&world.crm.base_url(), Some(&Token::new(token))).expect("crm client")
}

#[tokio::test]
async fn backfill_then_polling_processes_each_change_once() {
    let world = world(45).await;
    let (store, _guard) = fresh_store("sqlite").await;
    let external = crm_client(&world, "crm");
    let target = users_target(&world, &store, &external);

    let backfill = poll(&target, &world.vomo).await.expect("backfill");
    assert_eq!((backfill.pages, backfill.processed), (3, 45));
    assert_eq!(world.crm.records("users").len(), 45);
    let latest = world.sim.control().now().timestamp_micros();
    assert!(backfill.checkpoint.is_some_and(|at| at <= latest));

    let quiet = poll(&target, &world.vomo).await.expect("second cycle");
    assert_eq!(quiet.processed, 0, "{quiet:?}");
    assert!(quiet.unchanged >= 1, "the boundary record is listed again: {quiet:?}");

    world.sim.control().advance(Duration::from_secs(3600));
    let email = json!({"email": "changed@example.org"});
    world.sim.control().update(Resource::Users, 7, email).expect("update");
    let change = poll(&target, &world.vomo).await.expect("third cycle");
    assert_eq!(change.processed, 1, "{change:?}");
    let pushed = world.crm.get("users", "7").expect("pushed");
    assert_eq!(pushed.data["email"], "changed@example.org");
    assert_eq!(change.checkpoint, Some(world.sim.control().now().timestamp_micros()));
}

#[tokio::test]
async fn a_failed_push_goes_to_the_dead_letter_queue_and_holds_the_checkpoint() {
    let world = world(15).await;
    let (store, _guard) = fresh_store("sqlite").await;
    let good = crm_client(&world, "crm");
    let target = |external| users_target(&world, &store, external);
    let backfill = poll(&target(&good), &world.vomo).await.expect("backfill");
    let checkpoint = backfill.checkpoint;

    world.sim.control().advance(Duration::from_secs(3600));
    world.sim.control().update(Resource::Users, 3, json!({"last_name": "Park"})).expect("update");
    let refused = crm_client(&world, "wrong");
    let failing = poll(&target(&refused), &world.vomo).await.expect("the cycle completes");
    assert_eq!((failing.processed, failing.failed), (0, 1), "{failing:?}");
    assert_eq!(failing.checkpoint, checkpoint, "never past a failed record");
    assert_eq!(store.open_dead_letters("acme", "users").await.expect("dlq").len(), 1);

    let recovered = poll(&target(&good), &world.vomo).await.expect("next cycle");
    assert_eq!(recovered.processed, 1, "{recovered:?}");
    assert!(store.open_dead_letters("acme", "users").await.expect("dlq").is_empty(), "resolved");
    assert_eq!(world.crm.get("users", "3").expect("pushed").data["last_name"], "Park");
}

#[tokio::test]
async fn a_malformed_page_fails_the_cycle_and_nothing_of_it_is_written() {
    let world = world(15).await;
    let first = r#"{"data": [{"id": 1, "email": "a@x.org", "updated_at": "2025-11-05T10:00:00+00:00"}],
                    "links": {"next": "{base}/users?page=2"}}"#;
    let second = r#"{"data": [{"id": 2, "email": "b@x.org", "updated_at": "2025-11-05T10:00:00+00:00"},
                              {"id": 3, "email": "c@x.org", "updated_at": "tomorrow"}],
                     "links": {"next": null}}"#;
    let base = canned(vec![(200, first), (200, second)]).await;
    let vomo = VomoClient::new(ClientConfig {
        base_url: base,
        customer: "acme".into(),
        token: Token::new("t"),
        budget: Arc::new(RateBudget::unlimited()),
        retry: RetryPolicy::default(),
        timeout: Duration::from_secs(5),
    })
    .expect("client");
    let (store, _guard) = fresh_store("sqlite").await;
    let external = crm_client(&world, "crm");
    let target = users_target(&world, &store, &external);

    let error = poll(&target, &vomo).await.expect_err("page 2 is malformed");
    assert!(
        error.to_string().contains("malformed page 2 of `users` for customer `acme`"),
        "{error}"
    );
    let written = store.partner_states("acme", "users", &[1, 2, 3]).await.expect("read");
    assert_eq!(written.iter().map(|r| r.id).collect::<Vec<_>>(), [1], "only page 1 was written");
    assert!(world.crm.get("users", "2").is_none(), "nothing of page 2 was pushed");
    assert_eq!(store.checkpoint("acme", "users").await.expect("read"), None, "not advanced");
}

#[tokio::test]
async fn the_checkpoint_stops_at_a_failed_record_below_processed_ones() {
    let world = world(15).await;
    let (store, _guard) = fresh_store("sqlite").await;
    let external = crm_client(&world, "crm");
    let target = users_target(&world, &store, &external);
    poll(&target, &world.vomo).await.expect("backfill");

    let control = world.sim.control();
    control.advance(Duration::from_secs(3600));
    let failing_at = control.now();
    control.update(Resource::Users, 3, json!({"last_name": "Park"})).expect("update");
    control.advance(Duration::from_secs(3600));
    control.update(Resource::Users, 9, json!({"last_name": "Moss"})).expect("update");
    // The first push of the cycle, user 3's, is queued and lost: not applied, so not processed.
    world.crm.inject(ExternalFault::FailAsync { count: 1, delay_ms: 0 });

    let cycle = poll(&target, &world.vomo).await.expect("cycle");
    assert_eq!((cycle.processed, cycle.failed), (1, 1), "{cycle:?}");
    assert_eq!(cycle.checkpoint, Some(failing_at.timestamp_micros()), "held at the failure");
    assert_eq!(store.open_dead_letters("acme", "users").await.expect("dlq").len(), 1);

    let retry = poll(&target, &world.vomo).await.expect("retry");
    assert_eq!(retry.processed, 1, "user 3 again, user 9 already held: {retry:?}");
    assert!(store.open_dead_letters("acme", "users").await.expect("dlq").is_empty(), "resolved");
    assert_eq!(world.crm.get("users", "3").expect("pushed").data["last_name"], "Park");
    assert_eq!(retry.checkpoint, Some(control.now().timestamp_micros()));
}
