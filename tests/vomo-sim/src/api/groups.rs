//! Groups: list, detail, create (200), update, delete, and the member list.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::users::{add, optional_text, required_text};
use super::{body_object, data_response, listed, page_response, path_id, raw_page_response};
use crate::config::GroupDeleteStatus;
use crate::error::{ApiError, FieldErrors};
use crate::filters::{TimeWindow, id as id_filter};
use crate::gate::Caller;
use crate::listing::{ListKey, json_response};
use crate::model::Group;
use crate::query::Query;
use crate::render::{groups, users};
use crate::state::SimState;
use crate::store::Store;

/// `GET /groups`: the family's live groups, optionally by `parent_id` and time window.
pub async fn list(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::new();
    let page = query.page(&mut errors);
    let window = TimeWindow::parse(&query, &mut errors);
    let parent = id_filter(&query, "parent_id", &mut errors);
    ApiError::check(errors)?;

    let store = sim.read();
    let key =
        ListKey { endpoint: "groups", caller: caller.org, scope: 0, filter: query.without_page() };
    let ids = sim.lists.ids(key, store.generation(), || {
        let family = store.family_mask(caller.org);
        let admitted = |g: &Group| {
            !g.deleted
                && family[g.org as usize]
                && window.admits(g.created, g.updated)
                && parent.is_none_or(|p| g.parent == Some(p))
        };
        positions(&store.groups, admitted)
    });
    let ctx = sim.ctx(&store);
    Ok(page_response(&sim, "/groups", &query, page, &ids, |id| groups::group(&ctx, id)))
}

/// The 1-based ids of the records that `keep` admits.
pub fn positions<T>(records: &[T], keep: impl Fn(&T) -> bool) -> Vec<u32> {
    records
        .iter()
        .enumerate()
        .filter(|(_, record)| keep(record))
        .map(|(index, _)| index as u32 + 1)
        .collect()
}

/// `GET /groups/{id}`.
pub async fn detail(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let store = sim.read();
    visible_group(&store, caller.org, id)?;
    let ctx = sim.ctx(&store);
    groups::group(&ctx, id).map(data_response).ok_or(ApiError::NotFound)
}

fn visible_group(store: &Store, caller: u32, id: u32) -> Result<&Group, ApiError> {
    store
        .group(u64::from(id))
        .filter(|g| !g.deleted && store.in_family(caller, g.org))
        .ok_or(ApiError::NotFound)
}

/// A validated group body.
struct GroupInput {
    name: String,
    description: Option<Option<String>>,
    member_moniker: Option<String>,
    subgroup_moniker: Option<String>,
    created_by: Option<u32>,
    parent: Option<Option<u32>>,
    members: Option<Vec<u32>>,
}

/// `POST /groups`: creates a group in the caller's org; answers 200, as the reference does.
pub async fn create(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = body_object(&body);
    let now = sim.clock.now_secs();
    let mut store = sim.write();
    let input = validate(&store, caller.org, &body, None)?;

    let id = store.groups.len() as u32 + 1;
    store.groups.push(Group {
        org: caller.org,
        name: input.name,
        description: input.description.flatten(),
        parent: input.parent.flatten(),
        member_moniker: input.member_moniker.unwrap_or_else(|| "Member".to_owned()),
        subgroup_moniker: input.subgroup_moniker.unwrap_or_else(|| "Subgroup".to_owned()),
        created_by: input.created_by,
        members: sorted(input.members.unwrap_or_default()),
        created: now,
        updated: now,
        deleted: false,
    });
    store.bump();
    let ctx = sim.ctx(&store);
    groups::group(&ctx, id).map(data_response).ok_or(ApiError::NotFound)
}

/// `PUT /groups/{id}`: `name` required; `members`, when present, replaces the membership.
pub async fn update(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let body = body_object(&body);
    let now = sim.clock.now_secs();
    let mut store = sim.write();
    visible_group(&store, caller.org, id)?;
    let input = validate(&store, caller.org, &body, Some(id))?;

    if let Some(group) = store.groups.get_mut(id as usize - 1) {
        group.name = input.name;
        if let Some(description) = input.description {
            group.description = description;
        }
        if let Some(parent) = input.parent {
            group.parent = parent;
        }
        if let Some(members) = input.members {
            group.members = sorted(members);
        }
        group.member_moniker = input.member_moniker.unwrap_or(group.member_moniker.clone());
        group.subgroup_moniker = input.subgroup_moniker.unwrap_or(group.subgroup_moniker.clone());
        group.created_by = input.created_by.or(group.created_by);
        group.updated = now;
    }
    store.bump();
    let ctx = sim.ctx(&store);
    groups::group(&ctx, id).map(data_response).ok_or(ApiError::NotFound)
}

/// `DELETE /groups/{id}`: a hard delete; later reads answer 404.
pub async fn delete(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let mut store = sim.write();
    visible_group(&store, caller.org, id)?;
    if let Some(group) = store.groups.get_mut(id as usize - 1) {
        group.deleted = true;
    }
    store.bump();
    Ok(match sim.config.group_delete {
        GroupDeleteStatus::NoContent => StatusCode::NO_CONTENT.into_response(),
        GroupDeleteStatus::OkEmptyObject => json_response(&serde_json::json!({})),
    })
}

/// `GET /groups/{id}/members`: the group's listed members as users, paginated.
pub async fn members(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let query = Query::parse(raw.as_deref());
    let page = query.page_only()?;
    let store = sim.read();
    visible_group(&store, caller.org, id)?;
    Ok(member_page(&sim, &store, caller.org, id, &query, page))
}

fn member_page(
    sim: &SimState,
    store: &Store,
    caller: u32,
    group: u32,
    query: &Query,
    page: u32,
) -> Response {
    let key =
        ListKey { endpoint: "groups/members", caller, scope: group, filter: query.without_page() };
    let ids = sim.lists.ids(key, store.generation(), || {
        let members = store.group(u64::from(group)).map(|g| g.members.as_slice());
        members
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|&user| is_member(store, caller, user))
            .collect()
    });
    let ctx = sim.ctx(store);
    let path = format!("/groups/{group}/members");
    raw_page_response(sim, &path, query, page, &ids, |out, id| users::write_user(out, &ctx, id))
}

/// `PUT /groups/{id}/members`: replaces the whole membership; answers with the member list.
pub async fn replace_members(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let ids = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map.get("members").cloned().unwrap_or(Value::Null),
        Ok(list @ Value::Array(_)) => list,
        _ => Value::Null,
    };
    let mut store = sim.write();
    visible_group(&store, caller.org, id)?;

    let mut errors = FieldErrors::new();
    let members = member_list(&store, caller.org, Some(&ids), &mut errors);
    if members.is_none() && errors.is_empty() {
        add(&mut errors, "members", "missing `members`: the field is required".to_owned());
    }
    ApiError::check(errors)?;

    // Replacing members does not move the group's `updated_at` (a simulator choice).
    if let Some(group) = store.groups.get_mut(id as usize - 1) {
        group.members = sorted(members.unwrap_or_default());
    }
    store.bump();
    Ok(member_page(&sim, &store, caller.org, id, &Query::default(), 1))
}

fn validate(
    store: &Store,
    caller: u32,
    body: &Map<String, Value>,
    editing: Option<u32>,
) -> Result<GroupInput, ApiError> {
    let mut errors = FieldErrors::new();
    let name = required_text(body, "name", &mut errors);
    let description =
        body.contains_key("description").then(|| optional_text(body, "description", &mut errors));
    let member_moniker = optional_text(body, "member_moniker", &mut errors);
    let subgroup_moniker = optional_text(body, "subgroup_moniker", &mut errors);
    let created_by = user_field(store, caller, body, "created_by_user_id", &mut errors);
    let parent = parent_field(store, caller, body, editing, &mut errors);
    let members = member_list(store, caller, body.get("members"), &mut errors);
    ApiError::check(errors)?;
    Ok(GroupInput {
        name,
        description,
        member_moniker,
        subgroup_moniker,
        created_by,
        parent,
        members,
    })
}

fn user_field(
    store: &Store,
    caller: u32,
    body: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<u32> {
    let value = body.get(field).filter(|v| !v.is_null())?;
    match value.as_u64().and_then(|id| u32::try_from(id).ok()) {
        Some(id) if is_member(store, caller, id) => Some(id),
        _ => {
            let message = format!("invalid `{field}` value `{value}`: not a member of this org");
            add(errors, field, message);
            None
        }
    }
}

fn parent_field(
    store: &Store,
    caller: u32,
    body: &Map<String, Value>,
    editing: Option<u32>,
    errors: &mut FieldErrors,
) -> Option<Option<u32>> {
    let value = body.get("parent_id")?;
    if value.is_null() {
        return Some(None);
    }
    let parent = value.as_u64().and_then(|id| u32::try_from(id).ok());
    let usable = parent.filter(|&p| {
        visible_group(store, caller, p).is_ok()
            && !editing.is_some_and(|g| creates_cycle(store, g, p))
    });
    if usable.is_none() {
        add(errors, "parent_id", format!("invalid `parent_id` value `{value}`"));
    }
    Some(usable)
}

/// Whether making `parent` the parent of `group` would put `group` above itself.
fn creates_cycle(store: &Store, group: u32, parent: u32) -> bool {
    let mut current = Some(parent);
    let mut steps = 0;
    while let Some(id) = current {
        if id == group || steps > store.groups.len() {
            return true;
        }
        steps += 1;
        current = store.group(u64::from(id)).and_then(|g| g.parent);
    }
    false
}

fn member_list(
    store: &Store,
    caller: u32,
    value: Option<&Value>,
    errors: &mut FieldErrors,
) -> Option<Vec<u32>> {
    let value = value.filter(|v| !v.is_null())?;
    let Some(items) = value.as_array() else {
        add(errors, "members", format!("invalid `members` value `{value}`: expected a list"));
        return None;
    };
    let mut members = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match item.as_u64().and_then(|id| u32::try_from(id).ok()) {
            Some(id) if is_member(store, caller, id) => members.push(id),
            _ => {
                let field = format!("members.{index}");
                let message = format!("invalid `{field}` value `{item}`: not a member of this org");
                add(errors, &field, message);
            }
        }
    }
    Some(members)
}

/// Whether user `id` is a listed member of the caller's family.
/// Whether `GET /groups/{id}/members` shows user `id` to organisation `caller`: a listed user of
/// its family.
pub fn is_member(store: &Store, caller: u32, id: u32) -> bool {
    store.user(u64::from(id)).is_some_and(|u| listed(u) && store.in_family(caller, u.org))
}

fn sorted(mut ids: Vec<u32>) -> Vec<u32> {
    ids.sort_unstable();
    ids.dedup();
    ids
}
