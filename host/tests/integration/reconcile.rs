//! The reconciliation passes end to end: each failure polling misses, which task catches it and
//! which cannot, the journal across a crash, and the circuit breaker with its review.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reconciler::commands::demo::faults::{Injected, Scene, users_of};
use reconciler::config::{Config, CustomerConfig, PassSettings, Thresholds, VomoConfig};
use reconciler::engine::{Executor, Pass, Quiet, RunContext, RunSummary, Target, Task};
use reconciler::engine::{poll, run_task};
use reconciler::external::ExternalClient;
use reconciler::runtime::PluginWorker;
use reconciler::store::{ActionState, JournalEntry, NewRun, ReviewState};
use reconciler::vomo::{RetryPolicy, Token, VomoClient};
use reconciler::wiring::{Rules, Wiring};
use vomo_sim::{DataSize, ExternalConfig, ExternalHandle, ExternalSystem, SimConfig, SimHandle};

use crate::support::{cache_dir, http};

/// The day failures happen in these tests; passes run the next day at noon UTC.
fn fault_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).single().expect("instant")
}

/// A simulator, a CRM, and one store with every customer backfilled by polling.
struct World {
    sim: SimHandle,
    control: vomo_sim::Control,
    crm: ExternalHandle,
    wiring: Wiring,
    rules: Rules,
    external: ExternalClient,
    customers: Vec<Customer>,
    _dir: tempfile::TempDir,
}

struct Customer {
    config: CustomerConfig,
    org: u32,
    vomo: VomoClient,
    worker: PluginWorker,
}

impl World {
    async fn new(customers: u32, users: u32, thresholds: Thresholds) -> World {
        let size = DataSize { customers, children_per_customer: 0, ..DataSize::with_users(users) };
        let sim = vomo_sim::Simulator::start(SimConfig {
            size,
            rate_limit: None,
            start_time: fault_day(),
            ..SimConfig::default()
        })
        .await
        .expect("simulator");
        let crm = ExternalSystem::start(ExternalConfig::default()).await.expect("crm");
        let dir = tempfile::tempdir().expect("temp dir");
        for (index, customer) in sim.customers().iter().enumerate() {
            std::fs::write(dir.path().join(format!("c{index}.token")), &customer.token)
                .expect("token");
        }
        let config = config(
            sim.base_url(),
            &crm.base_url(),
            &dir.path().join("store.db"),
            thresholds,
            customers,
        );
        let mut wiring = Wiring::open(config, &cache_dir()).await.expect("wiring");
        wiring.retry = RetryPolicy {
            attempts: 2,
            base_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        };
        let rules = wiring.rules("users").expect("users plugin");
        let external = ExternalClient::new(&crm.base_url(), None).expect("crm client");

        let mut world_customers = Vec::new();
        for (index, sim_customer) in sim.customers().into_iter().enumerate() {
            let config = wiring.config.customers[index].clone();
            let (vomo, _) =
                wiring.vomo_with(&config, Token::new(sim_customer.token)).expect("vomo");
            let worker = wiring.worker(&rules, &config).expect("worker");
            world_customers.push(Customer { config, org: sim_customer.id, vomo, worker });
        }
        let control = sim.control().clone();
        let world = World {
            sim,
            control,
            crm,
            wiring,
            rules,
            external,
            customers: world_customers,
            _dir: dir,
        };
        for customer in &world.customers {
            poll(&world.target(customer), &customer.vomo).await.expect("backfill");
        }
        world.sim.control().set_time(fault_day() + chrono::Duration::hours(1));
        world
    }

    fn target<'a>(&'a self, customer: &'a Customer) -> Target<'a> {
        Target {
            customer: &customer.config.id,
            resource: "users",
            schema: &self.rules.schema,
            store: &self.wiring.store,
            external: &self.external,
        }
    }

    fn scene(&self, index: usize) -> Scene<'_> {
        let customer = &self.customers[index];
        Scene {
            control: &self.control,
            crm: &self.crm,
            target: self.target(customer),
            vomo: &customer.vomo,
            org: customer.org,
            spare: users_of(&self.control, customer.org),
            touched: Vec::new(),
        }
    }

    /// Runs `pass` for customer `index` the day after the failures.
    async fn run(&self, index: usize, pass: Pass, dry_run: bool) -> RunSummary {
        self.try_run(index, pass, dry_run).await.expect("the run succeeds")
    }

    /// Runs `pass` for customer `index` the day after the failures; the run may fail.
    async fn try_run(
        &self,
        index: usize,
        pass: Pass,
        dry_run: bool,
    ) -> Result<RunSummary, reconciler::engine::RunError> {
        self.sim.control().set_time(fault_day() + chrono::Duration::hours(28));
        let customer = &self.customers[index];
        let ctx = RunContext {
            target: self.target(customer),
            vomo: &customer.vomo,
            plugin: &customer.worker,
            thresholds: &self.wiring.config.thresholds,
            passes: &self.wiring.config.passes,
            time_zone: customer.config.time_zone(),
            now: self.sim.control().now(),
            dry_run,
            progress: &Quiet,
        };
        run_task(&ctx, &Task::new("users", pass)).await
    }

    /// Whether the run's findings name every record of the failure.
    async fn caught(&self, run: &RunSummary, fault: &Injected) -> bool {
        let findings = self.wiring.store.findings(run.run_id).await.expect("findings");
        fault.ids.iter().all(|id| findings.iter().any(|f| f.record_id == *id))
    }

    /// Whether the CRM holds VOMO's current first name and phone for every record of the failure.
    fn crm_agrees(&self, fault: &Injected) -> bool {
        fault.ids.iter().all(|id| {
            let vomo = self.sim.control().record(vomo_sim::Resource::Users, *id as u32);
            let crm = self.crm.get("users", &id.to_string()).map(|r| r.data);
            let pick =
                |v: &serde_json::Value| (v.get("first_name").cloned(), v.get("phone").cloned());
            vomo.as_ref().map(pick) == crm.as_ref().map(pick)
        })
    }
}

pub(crate) fn config(
    vomo: &str,
    crm: &str,
    db: &Path,
    thresholds: Thresholds,
    customers: u32,
) -> Config {
    let customer = |index: u32| CustomerConfig {
        id: format!("c{index}"),
        token_env: None,
        token_file: Some(db.with_file_name(format!("c{index}.token"))),
        timezone: "UTC".to_owned(),
        settings: Default::default(),
        cadences: Default::default(),
        plugins: Default::default(),
    };
    Config {
        store: format!("sqlite://{}", db.display()),
        cache_dir: None,
        vomo: VomoConfig {
            base_url: vomo.to_owned(),
            requests_per_second: 1_000.0,
            concurrent_customers: 2,
            ca_file: None,
        },
        external: Some(reconciler::config::ExternalConfig {
            base_url: crm.to_owned(),
            token_env: None,
            ca_file: None,
        }),
        thresholds,
        passes: PassSettings { audit_sample_fraction: 1.0, ..PassSettings::default() },
        schedule: Default::default(),
        api: Default::default(),
        alerts: Default::default(),
        plugins: Default::default(),
        settings: Default::default(),
        customers: (0..customers).map(customer).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incremental_pass_and_the_full_scan_both_catch_what_polling_lost() {
    let world = World::new(1, 120, Thresholds::default()).await;
    let mut scene = world.scene(0);
    scene.ordinary_changes(30).await.expect("traffic");
    let faults = vec![
        scene.worker_crash().await.expect("crash"),
        scene.forgotten_dead_letter().await.expect("dead letter"),
        scene.checkpoint_skipped().await.expect("checkpoint"),
        scene.broken_pagination().await.expect("pagination"),
    ];
    poll(&scene.target, scene.vomo).await.expect("polling goes on");
    for fault in &faults {
        assert!(!world.crm_agrees(fault), "polling does not repair `{}`", fault.fault);
    }

    let full = world.run(0, Pass::Full, true).await;
    let incremental = world.run(0, Pass::Incremental, false).await;
    for fault in &faults {
        assert!(world.caught(&full, fault).await, "the full scan sees `{}`", fault.fault);
        assert!(world.caught(&incremental, fault).await, "the incremental sees `{}`", fault.fault);
        assert!(world.crm_agrees(fault), "`{}` is repaired", fault.fault);
    }
    assert!(full.dry_run && full.executed.taken == 0 && full.requests > 0, "{full:?}");
    assert_eq!(incremental.executed.failed, 0, "{incremental:?}");
    assert!(incremental.breaker.is_none());
    let dead = world.wiring.store.open_dead_letters("c0", "users").await.expect("dead letters");
    assert!(dead.is_empty(), "reprocessing resolves the forgotten dead letter: {dead:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_full_scan_sees_deletions_silent_changes_and_scope_changes() {
    let world = World::new(1, 60, Thresholds::default()).await;
    let mut scene = world.scene(0);
    let deletion = scene.deletion().expect("deletion");
    let silent = scene.silent_change().expect("silent");
    let moved = scene.moved_out_of_scope().expect("moved");

    let incremental = world.run(0, Pass::Incremental, false).await;
    for fault in [&deletion, &silent, &moved] {
        assert!(!world.caught(&incremental, fault).await, "incremental misses `{}`", fault.fault);
    }

    let full = world.run(0, Pass::Full, false).await;
    for fault in [&deletion, &silent, &moved] {
        assert!(world.caught(&full, fault).await, "the full scan sees `{}`", fault.fault);
    }
    assert_eq!(full.deletions, 1, "only the 404 is a deletion: {full:?}");
    assert!(world.crm.get("users", &deletion.ids[0].to_string()).is_none(), "deleted downstream");
    assert!(world.crm_agrees(&silent), "the silent change is reprocessed");
    assert!(world.crm.get("users", &moved.ids[0].to_string()).is_some(), "a scope change is kept");
    let alerts = world.wiring.store.alerts("c0", 20).await.expect("alerts");
    assert!(alerts.iter().any(|a| a.message.contains("still exists")), "{alerts:?}");
    let live = world.wiring.store.live_partner_ids("c0", "users").await.expect("ids");
    assert!(!live.contains(&deletion.ids[0]) && live.contains(&moved.ids[0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_audit_sees_a_push_the_external_system_dropped() {
    let world = World::new(1, 45, Thresholds::default()).await;
    let mut scene = world.scene(0);
    let dropped = scene.dropped_push().await.expect("dropped push");

    let incremental = world.run(0, Pass::Incremental, false).await;
    let full = world.run(0, Pass::Full, false).await;
    assert!(!world.caught(&incremental, &dropped).await && !world.caught(&full, &dropped).await);
    assert!(!world.crm_agrees(&dropped));

    let audit = world.run(0, Pass::Audit, false).await;
    assert!(world.caught(&audit, &dropped).await, "{audit:?}");
    assert!(world.crm_agrees(&dropped), "the audit pushes it again");
    let summary = audit.audit.expect("an audit summary");
    assert_eq!((summary.sampled, summary.with_issues), (45, 1), "{summary:?}");
    assert_eq!(summary.issues.get("field_mismatch"), Some(&1), "{summary:?}");
}

/// A proxy in front of the simulator whose users listing comes back short: every page from the
/// third on is empty, as if the API had lost half the records.
async fn short_listing_proxy(upstream: String) -> String {
    use axum::extract::{Request, State};
    use axum::response::IntoResponse;

    async fn forward(
        State((upstream, me)): State<(String, String)>,
        request: Request,
    ) -> axum::response::Response {
        let path_and_query =
            request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
        let page: u32 = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("page=")))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        if request.uri().path().ends_with("/users") && page >= 3 {
            let body = r#"{"data": [], "links": {"next": null}, "meta": {}}"#;
            return ([("content-type", "application/json")], body).into_response();
        }
        let mut forwarded = http().get(format!("{upstream}{path_and_query}"));
        if let Some(auth) = request.headers().get("authorization") {
            forwarded = forwarded.header("authorization", auth.as_bytes());
        }
        let answer = forwarded.send().await.expect("the simulator answers");
        let status = answer.status().as_u16();
        let body = answer.text().await.expect("a body").replace(&upstream, &me);
        let status = axum::http::StatusCode::from_u16(status).expect("status");
        (status, [("content-type", "application/json")], body).into_response()
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let me = format!("http://{}", listener.local_addr().expect("addr"));
    // The simulator's base may carry a path (`/v1`); the proxy keeps it.
    let origin = upstream.trim_end_matches('/').to_owned();
    let root = origin.split('/').take(3).collect::<Vec<_>>().join("/");
    let path = origin[root.len()..].to_owned();
    let app = axum::Router::new().fallback(forward).with_state((root, me.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("proxy serves") });
    format!("{me}{path}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_holds_mass_deletions_and_approval_releases_exactly_that_batch() {
    let thresholds =
        Thresholds { deletion_count: 10, deletion_share: 0.2, ..Thresholds::default() };
    let world = World::new(2, 120, thresholds).await;

    // Customer c0's listing comes back short; customer c1 really lost half its users.
    let proxy = short_listing_proxy(world.sim.base_url().to_owned()).await;
    let c0 = &world.customers[0];
    let short = VomoClient::new(reconciler::vomo::ClientConfig {
        base_url: proxy,
        customer: "c0".into(),
        token: Token::new(world.sim.customers()[0].token.clone()),
        budget: std::sync::Arc::new(reconciler::throttle::RateBudget::unlimited()),
        retry: RetryPolicy::default(),
        timeout: Duration::from_secs(10),
    })
    .expect("client");
    let c1_users = users_of(&world.control, world.customers[1].org);
    let deleted: Vec<u32> = c1_users[..30].to_vec();
    for id in &deleted {
        world.control.delete(vomo_sim::Resource::Users, *id).expect("delete");
    }
    // One more of c1's users left the organisation: a candidate that is no deletion at all.
    let moved = c1_users[30];
    world.control.remove_user_from_org(moved).expect("move out of scope");

    let known = world.wiring.store.live_partner_ids("c0", "users").await.expect("ids").len();
    world.control.set_time(fault_day() + chrono::Duration::hours(28));
    let ctx = RunContext {
        target: world.target(c0),
        vomo: &short,
        plugin: &c0.worker,
        thresholds: &world.wiring.config.thresholds,
        passes: &world.wiring.config.passes,
        time_zone: chrono_tz::UTC,
        now: world.control.now(),
        dry_run: false,
        progress: &Quiet,
    };
    let short_run = run_task(&ctx, &Task::new("users", Pass::Full)).await.expect("short run");
    let mass_run = world.run(1, Pass::Full, false).await;
    for run in [&short_run, &mass_run] {
        assert!(run.breaker.is_some(), "the breaker opens: {run:?}");
        assert_eq!(run.executed.taken, 0, "nothing is carried out: {run:?}");
        assert_eq!(run.deletions, 0, "held candidates are not counted as deletions: {run:?}");
    }
    assert_eq!(world.crm.records("users").len(), 120, "no deletion reached the CRM");
    let pending = world.wiring.store.reviews(ReviewState::Pending).await.expect("reviews");
    assert_eq!(pending.len(), 2);
    let mass_review = pending.iter().find(|r| r.run_id == mass_run.run_id).expect("queued");
    assert_eq!(mass_review.actions, 31, "the review counts what was held: {mass_review:?}");

    let done = reconciler::commands::review::approve(&world.wiring, mass_run.run_id)
        .await
        .expect("approve");
    assert_eq!((done.taken, done.failed, done.skipped), (30, 0, 1), "the moved user is skipped");
    assert!(world.crm.get("users", &moved.to_string()).is_some(), "a move is not a deletion");
    let mass_actions = world.wiring.store.run_actions(mass_run.run_id).await.expect("actions");
    let skipped: Vec<_> = mass_actions.iter().filter(|a| a.state == ActionState::Skipped).collect();
    assert_eq!(skipped.len(), 1, "{mass_actions:?}");
    assert_eq!(skipped[0].record_id, u64::from(moved));
    for id in &deleted {
        assert!(world.crm.get("users", &id.to_string()).is_none(), "user {id} deleted downstream");
    }
    assert_eq!(world.crm.records("users").len(), 90, "exactly that batch");
    let short_actions = world.wiring.store.run_actions(short_run.run_id).await.expect("actions");
    assert!(short_actions.iter().all(|a| a.state == ActionState::Held), "the other batch waits");

    let dropped = reconciler::commands::review::reject(&world.wiring, short_run.run_id)
        .await
        .expect("reject");
    assert_eq!(dropped, short_actions.len() as u64);
    assert_eq!(world.crm.records("users").len(), 90, "a rejected batch deletes nothing");
    let live = world.wiring.store.live_partner_ids("c0", "users").await.expect("ids");
    assert_eq!(live.len(), known, "partner state keeps every user of the short listing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_journaling_and_sending_neither_loses_nor_repeats_an_action() {
    let world = World::new(1, 60, Thresholds::default()).await;
    let mut scene = world.scene(0);
    let faults = [
        scene.checkpoint_skipped().await.expect("checkpoint"),
        scene.worker_crash().await.expect("crash"),
    ];
    let ids: Vec<u64> = faults.iter().flat_map(|f| f.ids.clone()).collect();
    world.control.set_time(fault_day() + chrono::Duration::hours(28));

    // The binary runs on the wall clock: a window reaching back to the simulator's day.
    let dir = world._dir.path();
    let hours = (Utc::now() - fault_day()).num_hours() + 48;
    let toml = format!(
        "store = \"sqlite://{}\"\n[vomo]\nbase_url = \"{}\"\nrequests_per_second = 1000\n\
         [external]\nbase_url = \"{}\"\n[passes]\nincremental_window_hours = {hours}\n\
         [[customers]]\nid = \"c0\"\ntoken_file = \"c0.token\"\n",
        dir.join("store.db").display(),
        world.sim.base_url(),
        world.crm.base_url()
    );
    let config = dir.join("reconciler.toml");
    std::fs::write(&config, toml).expect("config");
    let run = move |failpoint: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_reconciler"));
        command
            .args(["run", "--customer", "c0", "--task", "users_incremental", "--json", "--config"])
            .arg(&config)
            .env("RECONCILER_CACHE_DIR", cache_dir());
        if failpoint {
            command.env(reconciler::engine::FAILPOINT_ENV, "after-journal");
        }
        command.output().expect("the binary runs")
    };

    let crashed = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run(true)
    })
    .await
    .expect("join");
    assert!(!crashed.status.success(), "the failpoint aborts the process");
    let pending =
        world.wiring.store.actions_in_state("c0", ActionState::Pending).await.expect("journal");
    let mut journaled: Vec<u64> = pending.iter().map(|a| a.record_id).collect();
    journaled.sort_unstable();
    let mut expected = ids.clone();
    expected.sort_unstable();
    assert_eq!(journaled, expected, "every action was journaled before the crash");
    let keyed = |crm: &ExternalHandle| {
        crm.pushes().into_iter().filter(|p| p.idempotency_key.is_some()).count()
    };
    assert_eq!(keyed(&world.crm), 0, "nothing was sent before the crash");

    let restarted = tokio::task::spawn_blocking(move || run(false)).await.expect("join");
    assert!(restarted.status.success(), "{}", String::from_utf8_lossy(&restarted.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&restarted.stdout).expect("json");
    assert_eq!(summary["recovered"]["taken"], ids.len(), "{summary}");
    assert_eq!(
        summary["actions"].as_array().map(Vec::len),
        Some(0),
        "nothing is left to do: {summary}"
    );

    for id in &ids {
        let pushes = world.crm.pushes();
        let sent = pushes.iter().filter(|p| p.idempotency_key.is_some() && p.id == id.to_string());
        assert_eq!(sent.count(), 1, "user {id} is pushed exactly once");
    }
    for fault in &faults {
        assert!(world.crm_agrees(fault), "`{}` is repaired", fault.fault);
    }
    let left =
        world.wiring.store.actions_in_state("c0", ActionState::Pending).await.expect("journal");
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_carried_out_late_never_pushes_an_older_version() {
    let world = World::new(1, 15, Thresholds::default()).await;
    let c0 = &world.customers[0];
    let store = &world.wiring.store;
    let id = users_of(&world.control, c0.org)[0];
    let before = world.crm.get("users", &id.to_string()).expect("backfilled");

    // An action an earlier run journaled and never sent, for a version older than the one
    // polling has processed since.
    let run =
        NewRun { customer: "c0".into(), task: "users_full".into(), dry_run: false, started_at: 1 };
    let run = store.open_run(&run).await.expect("run");
    let old = serde_json::json!({"id": id, "email": "old@example.org",
        "updated_at": "2020-01-01T00:00:00+00:00"});
    let entry = JournalEntry {
        key: "act_late".into(),
        run_id: run,
        customer: "c0".into(),
        resource: "users".into(),
        record_id: u64::from(id),
        action: "push_external".into(),
        payload: serde_json::json!({ "record": old }).to_string(),
        state: ActionState::Pending,
        attempts: 0,
    };
    store.journal_actions(&[entry], 2).await.expect("journal");

    let executor = Executor { target: world.target(c0), vomo: &c0.vomo, plugin: &c0.worker };
    let done = executor.execute_pending().await.expect("execute");
    assert_eq!((done.taken, done.failed, done.skipped), (0, 0, 1), "{done:?}");
    let after = world.crm.get("users", &id.to_string()).expect("still there");
    assert_eq!(after.version, before.version, "the older version was not pushed");
    let actions = store.run_actions(run).await.expect("actions");
    assert_eq!(actions[0].state, ActionState::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_fails_midway_carries_out_nothing_and_the_next_run_repairs_all() {
    let world = World::new(1, 60, Thresholds::default()).await;
    // Drift on the first page, a listing that breaks on the third.
    let id = users_of(&world.control, world.customers[0].org)[0];
    let phone = serde_json::json!({"phone": "+1 555 0100 999"});
    world.control.update_silently(vomo_sim::Resource::Users, id, phone).expect("drift");
    let crm_phone = || world.crm.get("users", &id.to_string()).map(|r| r.data["phone"].clone());
    world.control.inject(vomo_sim::Fault::ServerError {
        path: "/users".into(),
        page: 3,
        count: 10,
        customer: None,
    });

    let error = world.try_run(0, Pass::Full, false).await.expect_err("page 3 never answers");
    assert!(error.to_string().contains("users"), "{error}");
    let runs = world.wiring.store.recent_runs("c0", 10).await.expect("runs");
    let failed = runs.first().expect("the failed run is recorded");
    assert_eq!(failed.outcome, reconciler::store::RunOutcome::Failed);
    let findings = world.wiring.store.findings(failed.id).await.expect("findings");
    assert!(findings.iter().any(|f| f.record_id == u64::from(id)), "the drift was found");
    let staged = world.wiring.store.run_actions(failed.id).await.expect("journal");
    assert!(staged.is_empty(), "what the failed run found is not left to carry out: {staged:?}");
    assert_ne!(crm_phone(), Some(serde_json::json!("+1 555 0100 999")), "nothing was pushed");

    world.control.clear_faults();
    let run = world.run(0, Pass::Full, false).await;
    // The drifted record is reprocessed, and the run's one alert counts it.
    assert_eq!((run.executed.taken, run.executed.failed), (1, 0), "{run:?}");
    assert_eq!(crm_phone(), Some(serde_json::json!("+1 555 0100 999")), "the next run repairs");
    let alerts = world.wiring.store.run_alerts(run.run_id).await.expect("alerts");
    let silent: Vec<_> = alerts.iter().filter(|a| a.kind == "silent_changes").collect();
    assert_eq!(silent.len(), 1, "{alerts:?}");
    let counted = "users_full: 1 record changed without moving `updated_at` (phone 1)";
    assert_eq!(silent[0].message, counted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_lists_the_first_thousand_actions_and_counts_them_all() {
    let world = World::new(1, 1_200, Thresholds::default()).await;
    let drifted = &users_of(&world.control, world.customers[0].org)[..1_100];
    for (n, id) in drifted.iter().enumerate() {
        let phone = serde_json::json!({"phone": format!("+1 555 0199 {n:03}")});
        world.control.update_silently(vomo_sim::Resource::Users, *id, phone).expect("drift");
    }

    let run = world.run(0, Pass::Full, true).await;
    // Each drifted user is reprocessed.
    assert_eq!(run.planned, 1_100, "every planned action is counted");
    assert_eq!(run.actions.len(), 1_000, "the first thousand are listed");
    let first = run.actions.first().expect("listed");
    assert_eq!(first.record_id, u64::from(drifted[0]), "listed in the order found");
}
