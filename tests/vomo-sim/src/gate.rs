//! The gate every customer request passes: token check, rate limit, faults and the request log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;

use crate::error::ApiError;
use crate::query::Query;
use crate::rate_limit::Decision;
use crate::request_log::RequestRecord;
use crate::state::SimState;

/// The customer a request was authenticated as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub org: u32,
}

/// Authenticates, limits and possibly sabotages one request, then records it.
pub async fn gate(State(sim): State<Arc<SimState>>, mut request: Request, next: Next) -> Response {
    let at = chrono::Utc::now();
    let sim_at = sim.clock.now();
    let uri = request.uri().clone();
    let path = uri.path().strip_prefix("/v1").unwrap_or(uri.path()).to_owned();
    let method = request.method().to_string();
    let customer = bearer(request.headers()).and_then(|token| sim.read().org_by_token(token));

    let (response, fault) = match customer {
        None => (ApiError::Unauthenticated.into_response(), None),
        Some(org) => {
            // Only fault matching needs the page; skip parsing it when no fault is armed.
            let page = if sim.faults.armed() {
                Query::parse(uri.query()).page_only().unwrap_or(1)
            } else {
                1
            };
            request.extensions_mut().insert(Caller { org });
            admit(&sim, org, &path, page, request, next).await
        }
    };

    tracing::debug!(?customer, %method, %path, status = response.status().as_u16(), "request");
    sim.log.record(RequestRecord {
        customer,
        method,
        path,
        query: uri.query().map(str::to_owned),
        status: response.status().as_u16(),
        at,
        sim_at,
        fault: fault.map(str::to_owned),
    });
    response
}

async fn admit(
    sim: &SimState,
    org: u32,
    path: &str,
    page: u32,
    request: Request,
    next: Next,
) -> (Response, Option<&'static str>) {
    let effects = sim.faults.effects(org, path, page);
    if let Some(retry_after) = effects.throttle {
        return (ApiError::TooManyRequests { retry_after }.into_response(), Some("throttle"));
    }
    if let Decision::Deny { retry_after } = sim.limiter.check(org, Instant::now()) {
        return (ApiError::TooManyRequests { retry_after }.into_response(), None);
    }

    if let Some(delay) = effects.delay {
        tokio::time::sleep(delay).await;
    }
    if effects.server_error {
        return (ApiError::ServerError.into_response(), Some("server_error"));
    }
    let response = next.run(request).await;
    if effects.drop_connection {
        return (cut_short(response).await, Some("drop_connection"));
    }
    if effects.empty_participants {
        return (without_participants(response).await, Some("empty_participants"));
    }
    let fault = effects.delay.map(|_| "slow");
    (response, fault)
}

/// The token of an `Authorization: Bearer <token>` header, with exactly one space.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    let well_formed = !token.is_empty() && !token.contains(char::is_whitespace);
    well_formed.then_some(token)
}

/// Rewrites a project date's answer so that it lists no participants; any other answer is
/// passed on as it was.
async fn without_participants(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let Some(participants) = json.pointer_mut("/data/participants") else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    *participants = serde_json::Value::Array(Vec::new());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(json.to_string()))
}

/// Rewrites `response` so that its body streams half its bytes and then fails, which makes
/// the server abort the connection mid-body.
async fn cut_short(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    parts.headers.remove(header::CONTENT_LENGTH);

    let steps = stream::unfold(0_u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok(half), 1)),
                1 => {
                    // Give the server time to flush the first part before the failure.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let cut = std::io::Error::other("connection dropped by fault injection");
                    Some((Err(cut), 2))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(steps))
}
