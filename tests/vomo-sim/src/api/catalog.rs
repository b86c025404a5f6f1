//! The read-only extras: campaigns, certificates and organizations.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::groups::positions;
use super::{data_response, page_response, path_id};
use crate::error::{ApiError, FieldErrors};
use crate::filters::TimeWindow;
use crate::gate::Caller;
use crate::listing::ListKey;
use crate::query::Query;
use crate::render::catalog;
use crate::state::SimState;

/// `GET /campaigns`.
pub async fn campaigns(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (query, page, window) = windowed(raw)?;
    let store = sim.read();
    let key = ListKey {
        endpoint: "campaigns",
        caller: caller.org,
        scope: 0,
        filter: query.without_page(),
    };
    let ids = sim.lists.ids(key, store.generation(), || {
        let family = store.family_mask(caller.org);
        positions(&store.campaigns, |c| {
            !c.deleted && family[c.org as usize] && window.admits(c.created, c.updated)
        })
    });
    let ctx = sim.ctx(&store);
    Ok(page_response(&sim, "/campaigns", &query, page, &ids, |id| catalog::campaign(&ctx, id)))
}

/// `GET /campaigns/{id}`.
pub async fn campaign(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let store = sim.read();
    let visible = store
        .campaign(u64::from(id))
        .is_some_and(|c| !c.deleted && store.in_family(caller.org, c.org));
    if !visible {
        return Err(ApiError::NotFound);
    }
    let ctx = sim.ctx(&store);
    catalog::campaign(&ctx, id).map(data_response).ok_or(ApiError::NotFound)
}

/// `GET /certificates`: the definitions available in the family.
pub async fn certificates(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (query, page, window) = windowed(raw)?;
    let store = sim.read();
    let key = ListKey {
        endpoint: "certificates",
        caller: caller.org,
        scope: 0,
        filter: query.without_page(),
    };
    let ids = sim.lists.ids(key, store.generation(), || {
        let family = store.family_mask(caller.org);
        positions(&store.certificates, |c| {
            !c.deleted && family[c.org as usize] && window.admits(c.created, c.updated)
        })
    });
    let ctx = sim.ctx(&store);
    Ok(page_response(&sim, "/certificates", &query, page, &ids, |id| {
        catalog::certificate(&ctx, id)
    }))
}

/// `GET /organizations`: the caller's organization and its descendants.
pub async fn organizations(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let page = query.page_only()?;
    let store = sim.read();
    let ids = store.family(caller.org);
    let ctx = sim.ctx(&store);
    Ok(page_response(&sim, "/organizations", &query, page, &ids, |id| catalog::org(&ctx, id)))
}

/// `GET /organizations/{id}`: one family organization with its parent and children.
pub async fn organization(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let store = sim.read();
    let visible =
        store.org(u64::from(id)).is_some_and(|o| !o.deleted && store.in_family(caller.org, o.id));
    if !visible {
        return Err(ApiError::NotFound);
    }
    let ctx = sim.ctx(&store);
    let in_family = |other: u32| store.in_family(caller.org, other);
    catalog::org_detail(&ctx, id, in_family).map(data_response).ok_or(ApiError::NotFound)
}

/// `POST /organizations`: partner-only; no simulated token is a partner's, so always 403.
pub async fn create_organization() -> ApiError {
    ApiError::Forbidden
}

fn windowed(raw: Option<String>) -> Result<(Query, u32, TimeWindow), ApiError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::new();
    let page = query.page(&mut errors);
    let window = TimeWindow::parse(&query, &mut errors);
    ApiError::check(errors)?;
    Ok((query, page, window))
}
