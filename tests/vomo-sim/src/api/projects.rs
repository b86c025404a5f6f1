//! Projects and project dates: list, detail, `/projects/today` and `/projects/date/{id}`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use super::users::add;
use super::{data_response, page_response, path_id};
use crate::error::{ApiError, FieldErrors};
use crate::filters::{TimeWindow, boolean, contains_ignoring_case, like, lower_bound, upper_bound};
use crate::gate::Caller;
use crate::listing::ListKey;
use crate::model::{Project, Secs};
use crate::query::Query;
use crate::render::projects;
use crate::state::SimState;
use crate::store::Store;

const DAY: Secs = 86_400;

struct ProjectFilter {
    window: TimeWindow,
    active: Option<bool>,
    published: Option<bool>,
    anytime: Option<bool>,
    name: Option<String>,
    dates_from: Option<Secs>,
    dates_until: Option<Secs>,
    orgs: Option<Vec<u32>>,
}

/// `GET /projects`: the family's live projects, filtered and paginated.
pub async fn list(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let store = sim.read();
    let mut errors = FieldErrors::new();
    let page = query.page(&mut errors);
    let filter = ProjectFilter {
        window: TimeWindow::parse(&query, &mut errors),
        active: boolean(&query, "active", &mut errors),
        published: boolean(&query, "published", &mut errors),
        anytime: boolean(&query, "anytime", &mut errors),
        name: like(&query, "name_like"),
        dates_from: lower_bound(&query, "dates_after", &mut errors),
        dates_until: upper_bound(&query, "dates_before", &mut errors),
        orgs: org_slugs(&store, caller.org, &query, &mut errors),
    };
    ApiError::check(errors)?;

    let key = ListKey {
        endpoint: "projects",
        caller: caller.org,
        scope: 0,
        filter: query.without_page(),
    };
    let ids = sim.lists.ids(key, store.generation(), || select(&store, caller.org, &filter));
    let ctx = sim.ctx(&store);
    Ok(page_response(&sim, "/projects", &query, page, &ids, |id| projects::project(&ctx, id)))
}

/// The orgs named by `org_slug` (comma-separated); each must be in the caller's family.
fn org_slugs(
    store: &Store,
    caller: u32,
    query: &Query,
    errors: &mut FieldErrors,
) -> Option<Vec<u32>> {
    let text = query.get("org_slug")?;
    let mut orgs = Vec::new();
    for slug in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match store.org_by_slug(slug) {
            Some(org) if store.in_family(caller, org.id) => orgs.push(org.id),
            _ => {
                let message = format!("invalid `org_slug` value `{slug}`: not in this family");
                add(errors, "org_slug", message);
            }
        }
    }
    Some(orgs)
}

fn select(store: &Store, caller: u32, filter: &ProjectFilter) -> Vec<u32> {
    let family = store.family_mask(caller);
    store
        .projects
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.deleted && family[p.org as usize] && admits(store, filter, p))
        .map(|(index, _)| index as u32 + 1)
        .collect()
}

fn admits(store: &Store, filter: &ProjectFilter, p: &Project) -> bool {
    let has_date_in_range = || {
        p.dates.iter().any(|&id| {
            store.date(u64::from(id)).is_some_and(|d| {
                !d.deleted
                    && filter.dates_from.is_none_or(|from| d.starts >= from)
                    && filter.dates_until.is_none_or(|until| d.starts <= until)
            })
        })
    };
    filter.window.admits(p.created, p.updated)
        && filter.active.is_none_or(|active| p.active == active)
        && filter.published.is_none_or(|published| p.draft != published)
        && filter.anytime.is_none_or(|anytime| p.anytime == anytime)
        && filter.orgs.as_ref().is_none_or(|orgs| orgs.contains(&p.org))
        && filter.name.as_deref().is_none_or(|name| contains_ignoring_case(&p.name, name))
        && (filter.dates_from.is_none() && filter.dates_until.is_none() || has_date_in_range())
}

/// `GET /projects/{id}`: the project with `all_dates` and `next_date`.
pub async fn detail(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let store = sim.read();
    let project = store.project(u64::from(id)).ok_or(ApiError::NotFound)?;
    if project.deleted || !store.in_family(caller.org, project.org) {
        return Err(ApiError::NotFound);
    }
    let ctx = sim.ctx(&store);
    projects::project_detail(&ctx, id).map(data_response).ok_or(ApiError::NotFound)
}

/// `GET /projects/today`: the family's project dates starting on the clock's current UTC day.
pub async fn today(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let page = query.page_only()?;
    let now = sim.clock.now_secs();
    let day = now - now.rem_euclid(DAY);

    let store = sim.read();
    let key = ListKey {
        endpoint: "projects/today",
        caller: caller.org,
        scope: (day / DAY) as u32,
        filter: query.without_page(),
    };
    let ids = sim
        .lists
        .ids(key, store.generation(), || dates_between(&store, caller.org, day, day + DAY));
    let ctx = sim.ctx(&store);
    Ok(page_response(&sim, "/projects/today", &query, page, &ids, |id| {
        projects::project_date(&ctx, id)
    }))
}

fn dates_between(store: &Store, caller: u32, from: Secs, until: Secs) -> Vec<u32> {
    let family = store.family_mask(caller);
    let live_project = |project: u32| {
        store.project(u64::from(project)).is_some_and(|p| !p.deleted && family[p.org as usize])
    };
    store
        .dates
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            !d.deleted && d.starts >= from && d.starts < until && live_project(d.project)
        })
        .map(|(index, _)| index as u32 + 1)
        .collect()
}

/// `GET /projects/date/{id}`: one project date with its participants.
pub async fn date(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let store = sim.read();
    let date = store.date(u64::from(id)).ok_or(ApiError::NotFound)?;
    let project = store.project(u64::from(date.project)).ok_or(ApiError::NotFound)?;
    if date.deleted || project.deleted || !store.in_family(caller.org, project.org) {
        return Err(ApiError::NotFound);
    }
    let ctx = sim.ctx(&store);
    projects::date_detail(&ctx, id).map(data_response).ok_or(ApiError::NotFound)
}
