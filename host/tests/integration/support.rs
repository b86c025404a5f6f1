//! Shared helpers: an engine with a shared compile cache, fixture plugins, and settings.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use reconciler::runtime::{Plugin, PluginEngine, RuntimeLimits, Settings};

/// A client for the tests' own requests. reqwest is built with rustls and no process-wide
/// crypto provider, so a client not built through `reconciler::http` would panic.
pub fn http() -> reqwest::Client {
    reconciler::http::builder(&reconciler::http::Trust::system()).build().expect("a client")
}

/// The compile cache all tests share, so each component is compiled once per test run.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

pub fn engine_with(limits: RuntimeLimits) -> PluginEngine {
    PluginEngine::new(limits, cache_dir()).expect("the engine starts")
}

/// An engine with the default limits but a deadline of a second: the tests run many threads on
/// two cores, and a call descheduled for 10 ms would trap for reasons no test is about. The
/// deadline's own test sets it explicitly.
pub fn engine() -> PluginEngine {
    engine_with(RuntimeLimits {
        call_deadline: std::time::Duration::from_secs(1),
        ..RuntimeLimits::default()
    })
}

pub fn load(engine: &PluginEngine, path: &str) -> Plugin {
    engine.load(path.as_ref()).expect("the plugin loads")
}

pub fn settings(pairs: &[(&str, &str)]) -> Settings {
    let map: BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Arc::new(map)
}

/// Where the store tests find PostgreSQL; CI starts the machine's server.
pub fn postgres_admin_url() -> String {
    std::env::var("RECONCILER_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Keeps a fresh store's backing file or database alive, and removes it when dropped.
pub struct StoreGuard {
    _dir: Option<tempfile::TempDir>,
    database: Option<String>,
}

impl Drop for StoreGuard {
    fn drop(&mut self) {
        let Some(database) = self.database.take() else { return };
        // Drop runs outside any runtime the test may still hold, so it gets one of its own.
        let dropping = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            runtime.expect("runtime").block_on(async move {
                use sqlx::Connection as _;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await;
                }
            });
        });
        let _ = dropping.join();
    }
}

/// A store on a fresh SQLite file or a fresh PostgreSQL database, migrations applied.
pub async fn fresh_store(backend: &str) -> (reconciler::store::Store, StoreGuard) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);

    if backend == "sqlite" {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("store.db").display().to_string();
        let store = reconciler::store::Store::open(&url).await.expect("sqlite store opens");
        return (store, StoreGuard { _dir: Some(dir), database: None });
    }

    use sqlx::Connection as _;
    let admin_url = postgres_admin_url();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|error| {
        panic!("PostgreSQL at `{admin_url}` is not reachable ({error}); start it or set RECONCILER_TEST_POSTGRES")
    });
    let database =
        format!("reconciler_test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let create = format!("CREATE DATABASE {database}");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("drop a stale database");
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(&mut admin)
        .await
        .expect("create a test database");

    let (base, _) = admin_url.rsplit_once('/').expect("the admin url names a database");
    let store = reconciler::store::Store::open(&format!("{base}/{database}"))
        .await
        .expect("postgres store opens");
    (store, StoreGuard { _dir: None, database: Some(database) })
}

/// A hand-made server for the answers the simulator never gives. Page bodies may name the
/// server's own base URL as `{base}`.
pub async fn canned(pages: Vec<(u16, &'static str)>) -> String {
    use axum::extract::Query;
    use axum::response::IntoResponse;
    use std::collections::HashMap;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v1", listener.local_addr().expect("addr"));
    let pages: Arc<Vec<(u16, String)>> =
        Arc::new(pages.into_iter().map(|(s, body)| (s, body.replace("{base}", &base))).collect());
    let handler = move |Query(query): Query<HashMap<String, String>>| {
        let pages = pages.clone();
        async move {
            let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let (status, body) = pages[page - 1].clone();
            let status = axum::http::StatusCode::from_u16(status).expect("status");
            (status, [("content-type", "application/json")], body).into_response()
        }
    };
    let app = axum::Router::new().route("/v1/users", axum::routing::get(handler));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// One customer of a fresh simulator with `users` users, served by a [`Service`] on a fresh
/// SQLite store: what the service-level tests start from. Keeps the servers alive.
pub struct OneCustomer {
    pub sim: vomo_sim::SimHandle,
    pub crm: vomo_sim::ExternalHandle,
    pub service: reconciler::service::Service,
    pub dir: tempfile::TempDir,
}

pub async fn one_customer(users: u32) -> OneCustomer {
    use vomo_sim::{DataSize, ExternalConfig, ExternalSystem, SimConfig, Simulator};

    let size = DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(users) };
    let sim = Simulator::start(SimConfig { size, rate_limit: None, ..SimConfig::default() })
        .await
        .expect("simulator");
    let crm = ExternalSystem::start(ExternalConfig::default()).await.expect("crm");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("c0.token"), &sim.customers()[0].token).expect("token");
    let text = format!(
        "store = \"sqlite://{}\"\n[vomo]\nbase_url = \"{}\"\nrequests_per_second = 1000.0\n\
         [external]\nbase_url = \"{}\"\n[[customers]]\nid = \"c0\"\ntoken_file = \"c0.token\"\n",
        dir.path().join("store.db").display(),
        sim.base_url(),
        crm.base_url()
    );
    let file = dir.path().join("reconciler.toml");
    std::fs::write(&file, text).expect("config");
    let config = reconciler::config::Config::load(&file).expect("a configuration");
    let service = reconciler::service::Service::open(config, &cache_dir()).await.expect("open");
    OneCustomer { sim, crm, service, dir }
}

/// A [`Service`] on a fresh SQLite store for one customer `c0` of the VOMO at `vomo`, with
/// `more` appended to the customer's entry (its plugins, its settings): for tests that serve
/// VOMO's answers themselves. Its external system is never reached.
pub async fn service_on(
    vomo: &str,
    more: &str,
) -> (reconciler::service::Service, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("c0.token"), "t0k3n").expect("token");
    let text = format!(
        "store = \"sqlite://{}\"\n[vomo]\nbase_url = \"{vomo}\"\nrequests_per_second = 1000.0\n\
         [external]\nbase_url = \"http://127.0.0.1:9\"\n\
         [[customers]]\nid = \"c0\"\ntoken_file = \"c0.token\"\n{more}\n",
        dir.path().join("store.db").display(),
    );
    let file = dir.path().join("reconciler.toml");
    std::fs::write(&file, text).expect("config");
    let config = reconciler::config::Config::load(&file).expect("a configuration");
    let service = reconciler::service::Service::open(config, &cache_dir()).await.expect("open");
    (service, dir)
}

/// Waits, a few milliseconds at a time, until `done` holds; panics naming `what` after `secs`.
pub async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    secs: u64,
    mut done: impl FnMut() -> F,
) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
