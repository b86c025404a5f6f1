//! Forms and their completions.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::groups::positions;
use super::{data_response, page_response, path_id};
use crate::error::{ApiError, FieldErrors};
use crate::filters::{TimeWindow, id as id_filter};
use crate::gate::Caller;
use crate::listing::ListKey;
use crate::model::Form;
use crate::query::Query;
use crate::render::forms;
use crate::state::SimState;
use crate::store::Store;

/// `GET /forms`: the family's live form templates.
pub async fn list(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::new();
    let page = query.page(&mut errors);
    let window = TimeWindow::parse(&query, &mut errors);
    ApiError::check(errors)?;

    let store = sim.read();
    let key =
        ListKey { endpoint: "forms", caller: caller.org, scope: 0, filter: query.without_page() };
    let ids = sim.lists.ids(key, store.generation(), || {
        let family = store.family_mask(caller.org);
        positions(&store.forms, |f| {
            !f.deleted && family[f.org as usize] && window.admits(f.created, f.updated)
        })
    });
    let ctx = sim.ctx(&store);
    Ok(page_response(&sim, "/forms", &query, page, &ids, |id| forms::form(&ctx, id)))
}

fn visible_form(store: &Store, caller: u32, id: u32) -> Result<&Form, ApiError> {
    store
        .form(u64::from(id))
        .filter(|f| !f.deleted && store.in_family(caller, f.org))
        .ok_or(ApiError::NotFound)
}

/// `GET /forms/{id}/completions`: filters `user_id` and the four time bounds.
pub async fn completions(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let form = path_id(&form)?;
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::new();
    let page = query.page(&mut errors);
    let window = TimeWindow::parse(&query, &mut errors);
    let user = id_filter(&query, "user_id", &mut errors);

    let store = sim.read();
    let listed_form = visible_form(&store, caller.org, form)?;
    ApiError::check(errors)?;
    let key = ListKey {
        endpoint: "forms/completions",
        caller: caller.org,
        scope: form,
        filter: query.without_page(),
    };
    let ids = sim.lists.ids(key, store.generation(), || {
        let admitted = |&id: &u32| {
            store.completion(u64::from(id)).is_some_and(|c| {
                !c.deleted
                    && window.admits(c.created, c.updated)
                    && user.is_none_or(|u| c.user == u)
            })
        };
        listed_form.completions.iter().copied().filter(admitted).collect()
    });
    let ctx = sim.ctx(&store);
    let path = format!("/forms/{form}/completions");
    Ok(page_response(&sim, &path, &query, page, &ids, |id| forms::completion(&ctx, id)))
}

/// `GET /forms/{id}/completions/{completion}`.
pub async fn completion(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path((form, completion)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let form = path_id(&form)?;
    let completion = path_id(&completion)?;
    let store = sim.read();
    visible_form(&store, caller.org, form)?;
    let found =
        store.completion(u64::from(completion)).is_some_and(|c| !c.deleted && c.form == form);
    if !found {
        return Err(ApiError::NotFound);
    }
    let ctx = sim.ctx(&store);
    forms::completion(&ctx, completion).map(data_response).ok_or(ApiError::NotFound)
}
