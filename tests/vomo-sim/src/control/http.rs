//! The control interface over HTTP, served on its own port and never behind a customer token.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Control, Resource};
use crate::config::RateLimit;
use crate::error::ControlError;
use crate::faults::Fault;

/// Every control route; see `docs/simulator.md` for the contract.
pub fn router(control: Control) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/customers", get(customers))
        .route("/clock", get(clock).put(set_clock))
        .route("/clock/advance", post(advance))
        .route("/records/{resource}", post(create))
        .route("/records/{resource}/{id}", get(read).patch(update).delete(remove))
        .route("/records/{resource}/{id}/silent", axum::routing::patch(update_silently))
        .route("/records/{resource}/{id}/touch", post(touch))
        .route("/users/{id}/remove-membership", post(remove_membership))
        .route("/users/{id}/deactivate", post(deactivate))
        .route("/users/{id}/move", post(move_user))
        .route("/project-dates/{date}/participants", post(add_participant))
        .route(
            "/project-dates/{date}/participants/{user}",
            delete(cancel_participant).patch(update_participant),
        )
        .route("/faults", get(faults).post(inject).delete(clear_faults))
        .route("/rate-limit", get(rate_limit).put(set_rate_limit))
        .route("/requests", get(requests).delete(reset_requests))
        .route("/stats", get(stats))
        .fallback(|| async {
            (StatusCode::NOT_FOUND, Json(json!({"message": "unknown control route"})))
        })
        .with_state(control)
}

type Outcome = Result<Response, ControlFailure>;

/// A control error as an HTTP answer.
struct ControlFailure(ControlError);

impl From<ControlError> for ControlFailure {
    fn from(error: ControlError) -> Self {
        Self(error)
    }
}

impl IntoResponse for ControlFailure {
    fn into_response(self) -> Response {
        let status = match self.0 {
            ControlError::NotFound { .. } | ControlError::UnknownResource(_) => {
                StatusCode::NOT_FOUND
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        (status, Json(json!({"message": self.0.to_string()}))).into_response()
    }
}

fn done() -> Outcome {
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn customers(State(control): State<Control>) -> Json<Value> {
    Json(json!({ "customers": control.customers() }))
}

async fn clock(State(control): State<Control>) -> Json<Value> {
    Json(json!({ "now": control.now().to_rfc3339() }))
}

#[derive(Deserialize)]
struct ClockBody {
    now: Option<DateTime<Utc>>,
    frozen: Option<bool>,
}

async fn set_clock(State(control): State<Control>, Json(body): Json<ClockBody>) -> Json<Value> {
    if let Some(now) = body.now {
        control.set_time(now);
    }
    if let Some(frozen) = body.frozen {
        control.freeze_clock(frozen);
    }
    Json(json!({ "now": control.now().to_rfc3339() }))
}

#[derive(Deserialize)]
struct AdvanceBody {
    seconds: u64,
}

async fn advance(State(control): State<Control>, Json(body): Json<AdvanceBody>) -> Json<Value> {
    control.advance(std::time::Duration::from_secs(body.seconds));
    Json(json!({ "now": control.now().to_rfc3339() }))
}

#[derive(Deserialize)]
struct CreateBody {
    #[serde(default)]
    org_id: u32,
    #[serde(default)]
    fields: Value,
}

async fn create(
    State(control): State<Control>,
    Path(resource): Path<String>,
    Json(body): Json<CreateBody>,
) -> Outcome {
    let resource: Resource = resource.parse()?;
    let id = control.create(resource, body.org_id, body.fields)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn read(
    State(control): State<Control>,
    Path((resource, id)): Path<(String, u32)>,
) -> Outcome {
    let resource: Resource = resource.parse()?;
    let record = control
        .record(resource, id)
        .ok_or(ControlError::NotFound { resource: resource.name(), id: u64::from(id) })?;
    Ok(Json(json!({ "data": record, "owner": control.owner(resource, id) })).into_response())
}

async fn update(
    State(control): State<Control>,
    Path((resource, id)): Path<(String, u32)>,
    Json(fields): Json<Value>,
) -> Outcome {
    control.update(resource.parse()?, id, fields)?;
    done()
}

async fn update_silently(
    State(control): State<Control>,
    Path((resource, id)): Path<(String, u32)>,
    Json(fields): Json<Value>,
) -> Outcome {
    control.update_silently(resource.parse()?, id, fields)?;
    done()
}

#[derive(Deserialize, Default)]
struct TouchBody {
    at: Option<DateTime<Utc>>,
}

async fn touch(
    State(control): State<Control>,
    Path((resource, id)): Path<(String, u32)>,
    body: Option<Json<TouchBody>>,
) -> Outcome {
    let at = body.and_then(|Json(b)| b.at);
    control.touch(resource.parse()?, id, at)?;
    done()
}

async fn remove(
    State(control): State<Control>,
    Path((resource, id)): Path<(String, u32)>,
) -> Outcome {
    control.delete(resource.parse()?, id)?;
    done()
}

async fn remove_membership(State(control): State<Control>, Path(id): Path<u32>) -> Outcome {
    control.remove_user_from_org(id)?;
    done()
}

async fn deactivate(State(control): State<Control>, Path(id): Path<u32>) -> Outcome {
    control.deactivate_user(id)?;
    done()
}

#[derive(Deserialize)]
struct MoveBody {
    org_id: u32,
}

async fn move_user(
    State(control): State<Control>,
    Path(id): Path<u32>,
    Json(body): Json<MoveBody>,
) -> Outcome {
    control.move_user(id, body.org_id)?;
    done()
}

async fn add_participant(
    State(control): State<Control>,
    Path(date): Path<u32>,
    Json(mut body): Json<Value>,
) -> Outcome {
    let user = body
        .as_object_mut()
        .and_then(|map| map.remove("user_id"))
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| ControlError::invalid("user_id", "required"))?;
    let id = control.add_participant(date, user, body)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn update_participant(
    State(control): State<Control>,
    Path((date, user)): Path<(u32, u32)>,
    Json(fields): Json<Value>,
) -> Outcome {
    control.update_participant(date, user, fields)?;
    done()
}

async fn cancel_participant(
    State(control): State<Control>,
    Path((date, user)): Path<(u32, u32)>,
) -> Outcome {
    control.cancel_participant(date, user)?;
    done()
}

async fn faults(State(control): State<Control>) -> Json<Value> {
    Json(json!({ "faults": control.faults() }))
}

async fn inject(State(control): State<Control>, Json(fault): Json<Fault>) -> StatusCode {
    control.inject(fault);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(control): State<Control>) -> StatusCode {
    control.clear_faults();
    StatusCode::NO_CONTENT
}

async fn rate_limit(State(control): State<Control>) -> Json<Value> {
    Json(json!({ "rate_limit": control.rate_limit() }))
}

async fn set_rate_limit(
    State(control): State<Control>,
    Json(limit): Json<Option<RateLimit>>,
) -> StatusCode {
    control.set_rate_limit(limit);
    StatusCode::NO_CONTENT
}

async fn requests(State(control): State<Control>) -> Json<Value> {
    Json(json!({
        "requests": control.requests(),
        "stats": control.all_stats(),
        "unauthenticated": control.unauthenticated_requests(),
    }))
}

async fn reset_requests(State(control): State<Control>) -> StatusCode {
    control.reset_requests();
    StatusCode::NO_CONTENT
}

async fn stats(State(control): State<Control>) -> Json<Value> {
    Json(json!({
        "stats": control.all_stats(),
        "unauthenticated": control.unauthenticated_requests(),
    }))
}
