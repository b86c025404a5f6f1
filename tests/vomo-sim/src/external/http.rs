//! The external system's REST contract: upsert, delete and read records, plus push statuses.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::book::{Book, ExternalFault, Fate};

/// The external system's shared state.
#[derive(Debug)]
pub struct ExternalState {
    pub book: Book,
    pub token: Option<String>,
}

/// Every route of the external system.
pub fn router(state: Arc<ExternalState>) -> Router {
    let guarded = Router::new()
        .route("/records/{resource}", get(list))
        .route("/records/{resource}/{id}", get(read).put(upsert).delete(remove))
        .route("/pushes", get(pushes))
        .route("/pushes/{push_id}", get(push))
        .layer(from_fn_with_state(Arc::clone(&state), authorise));
    Router::new()
        .merge(guarded)
        .route("/health", get(|| async { "ok" }))
        .route("/_faults", get(faults).post(inject).delete(clear_faults))
        .route("/_dropped", get(dropped))
        .with_state(state)
}

/// Requires `Authorization: Bearer <token>` when the system was started with a token.
async fn authorise(
    State(state): State<Arc<ExternalState>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = &state.token {
        let expected = format!("Bearer {token}");
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if given != Some(expected.as_str()) {
            return (StatusCode::UNAUTHORIZED, Json(json!({"error": "unauthorized"})))
                .into_response();
        }
    }
    next.run(request).await
}

fn with_push_id(mut response: Response, push_id: u64) -> Response {
    response.headers_mut().insert("x-push-id", HeaderValue::from(push_id));
    response
}

fn accepted(state: &Arc<ExternalState>, push_id: u64, delay_ms: u64) -> Response {
    if delay_ms > 0 {
        let state = Arc::clone(state);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            state.book.fail(push_id);
        });
    }
    let body = json!({"push_id": push_id, "status": "pending"});
    with_push_id((StatusCode::ACCEPTED, Json(body)).into_response(), push_id)
}

/// The `Idempotency-Key` header, when the push carries one.
fn idempotency_key(headers: &HeaderMap) -> Option<&str> {
    headers.get("idempotency-key").and_then(|v| v.to_str().ok())
}

async fn upsert(
    State(state): State<Arc<ExternalState>>,
    Path((resource, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(data) = serde_json::from_slice::<Value>(&body) else {
        let error = json!({"error": format!("invalid JSON body for `{resource}/{id}`")});
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    };
    let (push_id, fate) =
        state.book.receive_keyed("PUT", &resource, &id, idempotency_key(&headers));
    let (record, created) = match fate {
        Fate::Apply => state.book.upsert(&resource, &id, data),
        Fate::Replay => match state.book.get(&resource, &id) {
            Some(record) => (record, false),
            None => state.book.preview(&resource, &id, data),
        },
        Fate::Drop => state.book.preview(&resource, &id, data),
        Fate::FailAsync { delay_ms } => return accepted(&state, push_id, delay_ms),
    };
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    with_push_id((status, Json(record)).into_response(), push_id)
}

async fn remove(
    State(state): State<Arc<ExternalState>>,
    Path((resource, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let key = idempotency_key(&headers);
    if !state.book.contains(&resource, &id) {
        return not_found(&resource, &id);
    }
    let (push_id, fate) = state.book.receive_keyed("DELETE", &resource, &id, key);
    match fate {
        Fate::Apply => {
            state.book.remove(&resource, &id);
        }
        Fate::Drop | Fate::Replay => {}
        Fate::FailAsync { delay_ms } => return accepted(&state, push_id, delay_ms),
    }
    with_push_id(StatusCode::NO_CONTENT.into_response(), push_id)
}

async fn read(
    State(state): State<Arc<ExternalState>>,
    Path((resource, id)): Path<(String, String)>,
) -> Response {
    match state.book.get(&resource, &id) {
        Some(record) => Json(record).into_response(),
        None => not_found(&resource, &id),
    }
}

async fn list(
    State(state): State<Arc<ExternalState>>,
    Path(resource): Path<String>,
) -> Json<Value> {
    let records = state.book.list(&resource);
    Json(json!({"total": records.len(), "data": records}))
}

async fn pushes(State(state): State<Arc<ExternalState>>) -> Json<Value> {
    Json(json!({"data": state.book.pushes()}))
}

async fn push(State(state): State<Arc<ExternalState>>, Path(push_id): Path<u64>) -> Response {
    match state.book.push(push_id) {
        Some(push) => Json(push).into_response(),
        None => {
            let error = json!({"error": format!("no push `{push_id}`")});
            (StatusCode::NOT_FOUND, Json(error)).into_response()
        }
    }
}

async fn faults(State(state): State<Arc<ExternalState>>) -> Json<Value> {
    Json(json!({"faults": state.book.faults()}))
}

async fn inject(
    State(state): State<Arc<ExternalState>>,
    Json(fault): Json<ExternalFault>,
) -> StatusCode {
    state.book.inject(fault);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(state): State<Arc<ExternalState>>) -> StatusCode {
    state.book.clear_faults();
    StatusCode::NO_CONTENT
}

async fn dropped(State(state): State<Arc<ExternalState>>) -> Json<Value> {
    Json(json!({"data": state.book.dropped()}))
}

fn not_found(resource: &str, id: &str) -> Response {
    let error = json!({"error": format!("no record `{resource}/{id}`")});
    (StatusCode::NOT_FOUND, Json(error)).into_response()
}
