//! The service's HTTP API: health and readiness, customers and their sync health, runs and their
//! findings, the review queue, triggering a run, the plugins in force, and its OpenAPI text.
//!
//! Reads are open unless `api.protect_reads` is set; writes always need the bearer token named
//! by `api.token_env`, and are refused when none is configured.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::builtin::BUILTINS;
use crate::engine::Task;
use crate::gate::Refused;
use crate::health::{DAYS, SyncHealth, sync_health};
use crate::service::Service;
use crate::store::{FindingRow, ReviewState, RunRecord, now_micros};

/// What the API's handlers share.
pub struct ApiState {
    pub service: Arc<Service>,
    /// The bearer token writes need; none refuses every write.
    pub token: Option<String>,
    /// Whether reads need the token too.
    pub protect_reads: bool,
}

/// The API's routes.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/metrics", get(metrics))
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/openapi.json", get(|| async { axum::Json(openapi()) }))
        .route("/customers", get(customers))
        .route("/customers/{id}", get(customer))
        .route("/customers/{id}/runs", get(customer_runs).post(trigger))
        .route("/runs/{id}", get(run))
        .route("/reviews", get(reviews))
        .route("/reviews/{run}/approve", post(approve))
        .route("/reviews/{run}/reject", post(reject))
        .route("/plugins", get(plugins))
        .fallback(|| async { failure(StatusCode::NOT_FOUND, "no such route".to_owned()) })
        .with_state(state)
}

/// An error answer, sent as `{"error": "..."}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

fn failure(status: StatusCode, message: String) -> ApiError {
    ApiError { status, message }
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    failure(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

type Answer = Result<Response, ApiError>;

fn ok(value: impl Serialize) -> Answer {
    Ok(axum::Json(value).into_response())
}

impl ApiState {
    /// Refuses a request that lacks the token, for a write (or a read when reads are protected).
    fn authorise(&self, headers: &HeaderMap, write: bool) -> Result<(), ApiError> {
        if !write && !self.protect_reads {
            return Ok(());
        }
        let Some(token) = &self.token else {
            let reason = "writes are disabled: the configuration names no `api.token_env`";
            return Err(failure(StatusCode::FORBIDDEN, reason.to_owned()));
        };
        let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let given = given.and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
        // Digests compared, so the comparison takes the same time wherever the texts differ.
        if blake3::hash(given.as_bytes()) == blake3::hash(token.as_bytes()) {
            return Ok(());
        }
        Err(failure(StatusCode::UNAUTHORIZED, "a valid bearer token is required".to_owned()))
    }

    fn customer(&self, id: &str) -> Result<&crate::config::CustomerConfig, ApiError> {
        let config = &self.service.wiring.config;
        config
            .customer(id)
            .ok_or_else(|| failure(StatusCode::NOT_FOUND, format!("no customer `{id}`")))
    }
}

async fn ready(State(state): State<Arc<ApiState>>) -> Response {
    match state.service.wiring.store.recent_runs("", 1).await {
        Ok(_) => axum::Json(json!({ "ready": true })).into_response(),
        Err(error) => {
            failure(StatusCode::SERVICE_UNAVAILABLE, format!("store unreachable: {error}"))
                .into_response()
        }
    }
}

/// A customer as the API shows it.
#[derive(Serialize)]
pub struct CustomerView {
    pub id: String,
    #[serde(flatten)]
    pub health: SyncHealth,
    pub pending_reviews: usize,
    pub last_runs: Vec<RunView>,
}

/// A run as the API shows it.
#[derive(Serialize)]
pub struct RunView {
    pub id: i64,
    pub customer: String,
    pub task: String,
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outcome: &'static str,
    pub checked: i64,
    pub gaps: i64,
    pub deletions: i64,
    pub drift: i64,
    pub actions_taken: i64,
    pub actions_failed: i64,
    pub requests: i64,
    pub breaker: String,
    pub error: Option<String>,
}

fn stamp(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default().to_rfc3339()
}

impl From<&RunRecord> for RunView {
    fn from(run: &RunRecord) -> Self {
        let c = &run.counts;
        RunView {
            id: run.id,
            customer: run.customer.clone(),
            task: run.task.clone(),
            dry_run: run.dry_run,
            started_at: stamp(run.started_at),
            finished_at: run.finished_at.map(stamp),
            outcome: run.outcome.as_str(),
            checked: c.records_checked,
            gaps: c.gaps,
            deletions: c.deletions,
            drift: c.drift,
            actions_taken: c.actions_taken,
            actions_failed: c.actions_failed,
            requests: c.requests,
            breaker: c.breaker.clone(),
            error: run.error.clone(),
        }
    }
}

/// A customer's sync health, pending reviews and latest runs.
pub async fn customer_view(state: &ApiState, id: &str) -> Result<CustomerView, ApiError> {
    let store = &state.service.wiring.store;
    let since = now_micros() - DAYS * 24 * 3_600 * 1_000_000;
    let runs = store.runs_since(id, since).await.map_err(internal)?;
    let threshold = state.service.wiring.config.thresholds.daily_gap_rate;
    let health = sync_health(&runs, chrono::Utc::now(), threshold);
    let pending = store.reviews(ReviewState::Pending).await.map_err(internal)?;
    let latest = store.recent_runs(id, 10).await.map_err(internal)?;
    Ok(CustomerView {
        id: id.to_owned(),
        health,
        pending_reviews: pending.iter().filter(|r| r.customer == id).count(),
        last_runs: latest.iter().map(RunView::from).collect(),
    })
}

async fn page(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Answer {
    state.authorise(&headers, false)?;
    let mut views = Vec::new();
    for customer in &state.service.wiring.config.customers {
        views.push(customer_view(&state, &customer.id).await?);
    }
    let threshold = state.service.wiring.config.thresholds.daily_gap_rate;
    Ok(axum::response::Html(crate::page::render(&views, threshold)).into_response())
}

async fn metrics(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Answer {
    state.authorise(&headers, false)?;
    let store = &state.service.wiring.store;
    let totals = store.run_totals().await.map_err(internal)?;
    let pending = store.reviews(ReviewState::Pending).await.map_err(internal)?;
    let mut text = crate::metrics::render(&totals, &pending);
    text.push_str(&state.service.meters.render());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

async fn customers(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Answer {
    state.authorise(&headers, false)?;
    let mut views = Vec::new();
    for customer in &state.service.wiring.config.customers {
        views.push(customer_view(&state, &customer.id).await?);
    }
    ok(views)
}

async fn customer(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    state.authorise(&headers, false)?;
    state.customer(&id)?;
    ok(customer_view(&state, &id).await?)
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<i64>,
}

async fn customer_runs(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(limit): Query<Limit>,
) -> Answer {
    state.authorise(&headers, false)?;
    state.customer(&id)?;
    let limit = limit.limit.unwrap_or(50).clamp(1, 500);
    let runs = state.service.wiring.store.recent_runs(&id, limit).await.map_err(internal)?;
    ok(runs.iter().map(RunView::from).collect::<Vec<_>>())
}

/// A run with its findings.
#[derive(Serialize)]
struct RunDetail {
    #[serde(flatten)]
    run: RunView,
    findings: Vec<FindingView>,
}

#[derive(Serialize)]
struct FindingView {
    resource: String,
    record_id: u64,
    kind: String,
    field: Option<String>,
    expected: Option<String>,
    actual: Option<String>,
    severity: String,
    detail: String,
}

impl From<FindingRow> for FindingView {
    fn from(f: FindingRow) -> Self {
        let FindingRow { resource, record_id, kind, field, expected, actual, severity, detail } = f;
        FindingView { resource, record_id, kind, field, expected, actual, severity, detail }
    }
}

async fn run(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    state.authorise(&headers, false)?;
    let id = run_id(&id)?;
    let store = &state.service.wiring.store;
    let run = store.run(id).await.map_err(internal)?;
    let run = run.ok_or_else(|| failure(StatusCode::NOT_FOUND, format!("no run {id}")))?;
    let findings = store.findings(id).await.map_err(internal)?;
    ok(RunDetail {
        run: RunView::from(&run),
        findings: findings.into_iter().map(Into::into).collect(),
    })
}

fn run_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        failure(StatusCode::BAD_REQUEST, format!("run id `{text}` is not a positive integer"))
    })
}

async fn reviews(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Answer {
    state.authorise(&headers, false)?;
    let pending =
        state.service.wiring.store.reviews(ReviewState::Pending).await.map_err(internal)?;
    let view = |r: &crate::store::Review| {
        json!({ "run_id": r.run_id, "customer": r.customer, "task": r.task,
                "reason": r.reason, "actions": r.actions, "created_at": stamp(r.created_at) })
    };
    ok(pending.iter().map(view).collect::<Vec<_>>())
}

async fn approve(state: State<Arc<ApiState>>, headers: HeaderMap, run: Path<String>) -> Answer {
    decide(state, headers, run, ReviewState::Approved).await
}

async fn reject(state: State<Arc<ApiState>>, headers: HeaderMap, run: Path<String>) -> Answer {
    decide(state, headers, run, ReviewState::Rejected).await
}

/// Approves (releasing and carrying out the run's actions) or rejects (dropping them) a held run.
async fn decide(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(run): Path<String>,
    decision: ReviewState,
) -> Answer {
    state.authorise(&headers, true)?;
    let run = run_id(&run)?;
    let wiring = &state.service.wiring;
    let refused = |e: anyhow::Error| failure(StatusCode::CONFLICT, format!("{e:#}"));
    match decision {
        ReviewState::Approved => {
            let executed = crate::commands::review::approve(wiring, run).await.map_err(refused)?;
            ok(json!({ "run_id": run, "decision": "approved", "executed": executed }))
        }
        _ => {
            let dropped = crate::commands::review::reject(wiring, run).await.map_err(refused)?;
            ok(json!({ "run_id": run, "decision": "rejected", "dropped": dropped }))
        }
    }
}

#[derive(Deserialize)]
struct TriggerBody {
    task: String,
}

/// Starts a run now; it goes on in the background and shows in the customer's runs. A run of
/// the same task for the customer still going answers 409.
async fn trigger(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<axum::Json<TriggerBody>, JsonRejection>,
) -> Answer {
    state.authorise(&headers, true)?;
    state.customer(&id)?;
    let axum::Json(body) = body.map_err(|e| {
        failure(
            StatusCode::BAD_REQUEST,
            format!("the body must be {{\"task\": \"RESOURCE_PASS\"}}: {e}"),
        )
    })?;
    let task: Task = body.task.parse().map_err(|e| failure(StatusCode::BAD_REQUEST, e))?;
    if !BUILTINS.iter().any(|b| b.resource == task.resource) {
        return Err(failure(StatusCode::BAD_REQUEST, format!("no resource `{}`", task.resource)));
    }
    // Through the same gate as scheduled runs: the cap, one run of a task at a time, the stop.
    match state.service.start(&id, &task) {
        Ok(()) => {
            let answer = json!({ "customer": id, "task": task.to_string(), "accepted": true });
            Ok((StatusCode::ACCEPTED, axum::Json(answer)).into_response())
        }
        Err(Refused::Busy) => Err(failure(
            StatusCode::CONFLICT,
            format!("customer `{id}` already has a run of `{task}` going"),
        )),
        Err(Refused::Stopping) => Err(failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is stopping: no run starts".to_owned(),
        )),
    }
}

async fn plugins(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Answer {
    state.authorise(&headers, false)?;
    let (service, config) = (&state.service, &state.service.wiring.config);
    let mut out = Vec::new();
    for customer in &config.customers {
        for builtin in BUILTINS {
            let engine = &service.wiring.engine;
            let loaded = service.plugins.plugin(engine, config, customer, builtin.resource).await;
            let settings: serde_json::Map<String, Value> =
                crate::layers::settings(config, customer, builtin.resource)
                    .into_iter()
                    .map(|(key, (value, layer))| {
                        (key, json!({ "value": value, "layer": layer.as_str() }))
                    })
                    .collect();
            out.push(match loaded {
                Ok(loaded) => json!({
                    "customer": customer.id, "resource": builtin.resource,
                    "layer": loaded.layer.as_str(),
                    "version": loaded.plugin.description().version,
                    "source": loaded.file.as_ref()
                        .map_or_else(|| builtin.name.to_owned(), |f| f.display().to_string()),
                    "settings": settings,
                }),
                Err(error) => json!({
                    "customer": customer.id, "resource": builtin.resource,
                    "refused": format!("{error:#}"),
                }),
            });
        }
    }
    ok(out)
}

/// The API's OpenAPI 3.1 description.
pub fn openapi() -> Value {
    let op = |summary: &str, write: bool| {
        let mut op = json!({ "summary": summary, "responses": { "200": { "description": "OK" } } });
        if write {
            op["security"] = json!([{ "bearer": [] }]);
        }
        op
    };
    json!({
        "openapi": "3.1.0",
        "info": { "title": "VOMO reconciler", "version": env!("CARGO_PKG_VERSION") },
        "components": { "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } },
        "paths": {
            "/": { "get": op("The health page for people (HTML)", false) },
            "/metrics": { "get": op("Prometheus metrics (text exposition format)", false) },
            "/health": { "get": op("The process is up", false) },
            "/ready": { "get": op("The store answers", false) },
            "/customers": {
                "get": op("Every customer's sync health, reviews and latest runs", false),
            },
            "/customers/{id}": { "get": op("One customer's sync health", false) },
            "/customers/{id}/runs": {
                "get": op("A customer's runs, newest first (`limit`, default 50)", false),
                "post": op(
                    "Start a run now: body {\"task\": \"RESOURCE_PASS\"}; 202, or 409 while \
                     that task of the customer is already going",
                    true,
                ),
            },
            "/runs/{id}": { "get": op("A run with its findings", false) },
            "/reviews": { "get": op("Runs the circuit breaker held", false) },
            "/reviews/{run}/approve": {
                "post": op("Release and carry out that run's actions", true),
            },
            "/reviews/{run}/reject": { "post": op("Drop that run's held actions", true) },
            "/plugins": {
                "get": op("The plugin each customer's runs use, with layer and version", false),
            },
        }
    })
}
