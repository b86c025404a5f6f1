//! The customer API router and the helpers its endpoint modules share.

pub mod catalog;
pub mod forms;
pub mod groups;
pub mod projects;
pub mod users;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::gate::gate;
use crate::listing::{frame, json_response, page_slice, raw_json, write_page};
use crate::model::{Membership, User, UserStatus};
use crate::query::Query;
use crate::state::SimState;

/// The customer API, every route below `/v1` behind the gate.
pub fn router(sim: Arc<SimState>) -> Router {
    let v1 = Router::new()
        .route("/users", get(users::list).post(users::upsert))
        .route("/users/{id}", get(users::detail))
        .route("/projects", get(projects::list))
        .route("/projects/today", get(projects::today))
        .route("/projects/date/{id}", get(projects::date))
        .route("/projects/{id}", get(projects::detail))
        .route("/groups", get(groups::list).post(groups::create))
        .route("/groups/{id}", get(groups::detail).put(groups::update).delete(groups::delete))
        .route("/groups/{id}/members", get(groups::members).put(groups::replace_members))
        .route("/forms", get(forms::list))
        .route("/forms/{id}/completions", get(forms::completions))
        .route("/forms/{id}/completions/{completion}", get(forms::completion))
        .route("/campaigns", get(catalog::campaigns))
        .route("/campaigns/{id}", get(catalog::campaign))
        .route("/certificates", get(catalog::certificates))
        .route("/organizations", get(catalog::organizations).post(catalog::create_organization))
        .route("/organizations/{id}", get(catalog::organization))
        .fallback(not_found)
        .layer(from_fn_with_state(Arc::clone(&sim), gate))
        .with_state(sim);
    Router::new().nest("/v1", v1).fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Parses a path id; anything that is not a positive integer names no record.
pub fn path_id(text: &str) -> Result<u32, ApiError> {
    text.parse::<u32>().ok().filter(|&id| id > 0).ok_or(ApiError::NotFound)
}

/// One page of a listing of `ids`, each rendered by `render`.
pub fn page_response<T: Serialize>(
    sim: &SimState,
    path: &str,
    query: &Query,
    page: u32,
    ids: &[u32],
    render: impl Fn(u32) -> Option<T>,
) -> Response {
    raw_page_response(sim, path, query, page, ids, |out, id| match render(id) {
        Some(item) => serde_json::to_writer(out, &item).is_ok(),
        None => false,
    })
}

/// One page of a listing of `ids`, each written straight into the body by `write`.
pub fn raw_page_response(
    sim: &SimState,
    path: &str,
    query: &Query,
    page: u32,
    ids: &[u32],
    write: impl FnMut(&mut Vec<u8>, u32) -> bool,
) -> Response {
    let url = format!("{}{path}", sim.base_url);
    let total = ids.len();
    let frame_of = |shown| frame(shown, total, page, &url, query);
    match write_page(page_slice(ids, page), frame_of, write) {
        Ok(body) => raw_json(body),
        Err(error) => {
            tracing::error!(%error, %path, "page serialisation failed");
            ApiError::ServerError.into_response()
        }
    }
}

/// A single record wrapped as `{"data": ...}`.
pub fn data_response<T: Serialize>(data: T) -> Response {
    #[derive(Serialize)]
    struct Wrapped<T> {
        data: T,
    }
    json_response(&Wrapped { data })
}

/// Whether a user appears in listings: live, still a member, not deactivated.
pub fn listed(user: &User) -> bool {
    !user.deleted
        && user.membership != Membership::Removed
        && user.user_status != UserStatus::Deactivated
}

/// The JSON object of a write body; anything unparsable reads as empty, as Laravel reads it.
pub fn body_object(body: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}
