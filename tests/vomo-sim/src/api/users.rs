//! `GET /users`, `GET /users/{id}` and the `POST /users` upsert by email.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::{body_object, data_response, listed, path_id, raw_page_response};
use crate::error::{ApiError, FieldErrors};
use crate::filters::{TimeWindow, contains_ignoring_case, like};
use crate::gate::Caller;
use crate::listing::{ListKey, json_with_status};
use crate::model::{Gender, Membership, Profile, Role, User, UserStatus};
use crate::query::Query;
use crate::render::users;
use crate::state::SimState;
use crate::store::Store;
use crate::timefmt;

struct UserFilter {
    window: TimeWindow,
    name: Option<String>,
    email: Option<String>,
}

/// `GET /users`: listed users of the caller's family, filtered and paginated.
pub async fn list(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let mut errors = FieldErrors::new();
    let page = query.page(&mut errors);
    let filter = UserFilter {
        window: TimeWindow::parse(&query, &mut errors),
        name: like(&query, "name_like"),
        email: like(&query, "email_like"),
    };
    ApiError::check(errors)?;

    let store = sim.read();
    let key =
        ListKey { endpoint: "users", caller: caller.org, scope: 0, filter: query.without_page() };
    let generation = store.generation();
    let ids = sim.lists.ids(key, generation, || {
        let by_org = sim.lists.users_by_org(generation, || users_by_org(&store));
        select(&store, &by_org, caller.org, &filter)
    });
    let ctx = sim.ctx(&store);
    Ok(raw_page_response(&sim, "/users", &query, page, &ids, |out, id| {
        users::write_user(out, &ctx, id)
    }))
}

fn select(store: &Store, by_org: &[Vec<u32>], org: u32, filter: &UserFilter) -> Vec<u32> {
    let mut ids: Vec<u32> = store
        .family(org)
        .into_iter()
        .flat_map(|member| by_org.get(member as usize).into_iter().flatten().copied())
        .filter(|&id| {
            let user = &store.users[id as usize - 1];
            listed(user) && filter.window.admits(user.created, user.updated)
        })
        .filter(|&id| matches_profile(store, id, filter))
        .collect();
    ids.sort_unstable();
    ids
}

/// Each organisation's user ids, ascending, indexed by org id.
fn users_by_org(store: &Store) -> Vec<Vec<u32>> {
    let mut by_org = vec![Vec::new(); store.orgs.len() + 1];
    for (index, user) in store.users.iter().enumerate() {
        if let Some(ids) = by_org.get_mut(user.org as usize) {
            ids.push(index as u32 + 1);
        }
    }
    by_org
}

fn matches_profile(store: &Store, id: u32, filter: &UserFilter) -> bool {
    if filter.name.is_none() && filter.email.is_none() {
        return true;
    }
    let profile = store.profile(id);
    let name_ok = filter.name.as_deref().is_none_or(|name| {
        contains_ignoring_case(profile.first_name, name)
            || contains_ignoring_case(profile.last_name, name)
    });
    let email_ok = filter
        .email
        .as_deref()
        .is_none_or(|email| contains_ignoring_case(&profile.email.to_string(), email));
    name_ok && email_ok
}

/// `GET /users/{id}`: any live user of the family, listed or not (scope changes answer 200).
pub async fn detail(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let store = sim.read();
    let user = store.user(u64::from(id)).ok_or(ApiError::NotFound)?;
    if user.deleted || !store.in_family(caller.org, user.org) {
        return Err(ApiError::NotFound);
    }
    let ctx = sim.ctx(&store);
    users::user_detail(&ctx, id).map(data_response).ok_or(ApiError::NotFound)
}

/// A validated `POST /users` body.
struct Upsert {
    profile: Profile,
    gender: Gender,
    role: Option<Role>,
    org: Option<u32>,
}

/// `POST /users`: creates (201) or updates (200) the user with the given email.
pub async fn upsert(
    State(sim): State<Arc<SimState>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = body_object(&body);
    let now = sim.clock.now_secs();
    let mut store = sim.write();
    let input = validate(&store, caller.org, &body)?;

    let (id, created) = match store.user_by_email(&input.profile.email) {
        Some(id) => {
            update_existing(&mut store, caller.org, id, input, now);
            (id, false)
        }
        None => (create(&mut store, caller.org, input, now), true),
    };
    store.bump();

    let ctx = sim.ctx(&store);
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let answer = users::upsert(&ctx, id, created).ok_or(ApiError::NotFound)?;
    Ok(json_with_status(status, &answer))
}

fn update_existing(store: &mut Store, caller: u32, id: u32, input: Upsert, now: i64) {
    let Some(user) = store.user(u64::from(id)).copied() else {
        return;
    };

    // A user of another family keeps its core profile; the simulator holds one membership
    // per user, so nothing else changes either.
    if !store.in_family(caller, user.org) {
        return;
    }
    let mut profile = input.profile;
    profile.address = store.profile(id).address.to_string();
    store.set_profile(id, profile);
    if let Some(row) = store.user_mut(u64::from(id)) {
        row.gender = input.gender;
        row.role = input.role.unwrap_or(row.role);
        row.org = input.org.unwrap_or(row.org);
        row.membership = Membership::Accepted;
        row.updated = now;
    }
}

fn create(store: &mut Store, caller: u32, input: Upsert, now: i64) -> u32 {
    let id = store.users.len() as u32 + 1;
    store.users.push(User {
        org: input.org.unwrap_or(caller),
        created: now,
        updated: now,
        user_status: UserStatus::Unverified,
        membership: Membership::Accepted,
        role: input.role.unwrap_or(Role::Volunteer),
        gender: input.gender,
        deleted: false,
        explicit: true,
    });
    store.set_profile(id, input.profile);
    id
}

fn validate(store: &Store, caller: u32, body: &Map<String, Value>) -> Result<Upsert, ApiError> {
    let mut errors = FieldErrors::new();
    let first_name = required_text(body, "first_name", &mut errors);
    let last_name = required_text(body, "last_name", &mut errors);
    let email = required_text(body, "email", &mut errors);
    if !email.is_empty() && !looks_like_email(&email) {
        add(&mut errors, "email", format!("invalid `email` value `{email}`"));
    }
    let birthday_text = required_text(body, "birthday", &mut errors);
    let birthday = timefmt::parse_date(&birthday_text);
    if !birthday_text.is_empty() && birthday.is_none() {
        let message = format!("invalid `birthday` value `{birthday_text}`: expected YYYY-MM-DD");
        add(&mut errors, "birthday", message);
    }
    let gender = enum_field::<Gender>(body, "gender", true, &mut errors);
    let role = enum_field::<Role>(body, "role", false, &mut errors);
    check_password(body, &mut errors);
    let phone = optional_text(body, "phone", &mut errors);
    let org = target_org(store, caller, body, &mut errors);
    ApiError::check(errors)?;

    Ok(Upsert {
        profile: Profile {
            first_name,
            last_name,
            email,
            phone: phone.unwrap_or_default(),
            address: String::new(),
            birthday: birthday.unwrap_or_default(),
        },
        gender: gender.unwrap_or(Gender::N),
        role,
        org,
    })
}

/// The org named by `invite_code` (which wins) or `org`; it must be in the caller's family.
fn target_org(
    store: &Store,
    caller: u32,
    body: &Map<String, Value>,
    errors: &mut FieldErrors,
) -> Option<u32> {
    if let Some(code) = optional_text(body, "invite_code", errors) {
        let found = store.orgs.iter().find(|o| o.invitation_token == code && !o.deleted);
        return match found {
            Some(org) if store.in_family(caller, org.id) => Some(org.id),
            _ => {
                add(errors, "invite_code", format!("invalid `invite_code` value `{code}`"));
                None
            }
        };
    }
    let slug = optional_text(body, "org", errors)?;
    match store.org_by_slug(&slug) {
        Some(org) if store.in_family(caller, org.id) => Some(org.id),
        _ => {
            let message = format!("invalid `org` value `{slug}`: not in this organization family");
            add(errors, "org", message);
            None
        }
    }
}

fn check_password(body: &Map<String, Value>, errors: &mut FieldErrors) {
    let Some(password) = optional_text(body, "password", errors) else {
        return;
    };
    let strong = password.chars().count() >= 10
        && password.chars().any(|c| c.is_alphabetic())
        && password.chars().any(|c| c.is_ascii_digit());
    if !strong {
        let message = "invalid `password`: needs 10 characters with letters and numbers";
        add(errors, "password", message.to_owned());
    }
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.contains('@') && !email.contains(' ')
}

/// A required non-empty string field (at most 255 characters).
pub fn required_text(body: &Map<String, Value>, field: &str, errors: &mut FieldErrors) -> String {
    match optional_text(body, field, errors) {
        Some(text) => text,
        None => {
            if !errors.contains_key(field) {
                add(errors, field, format!("missing `{field}`: the field is required"));
            }
            String::new()
        }
    }
}

/// An optional string field; null and absent read as `None`.
pub fn optional_text(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<String> {
    match body.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.trim().is_empty() => None,
        Some(Value::String(text)) if text.chars().count() > 255 => {
            add(errors, field, format!("invalid `{field}`: at most 255 characters"));
            None
        }
        Some(Value::String(text)) => Some(text.trim().to_owned()),
        Some(other) => {
            add(errors, field, format!("invalid `{field}` value `{other}`: expected a string"));
            None
        }
    }
}

fn enum_field<T: serde::de::DeserializeOwned>(
    body: &Map<String, Value>,
    field: &str,
    required: bool,
    errors: &mut FieldErrors,
) -> Option<T> {
    let text = if required {
        Some(required_text(body, field, errors)).filter(|t| !t.is_empty())?
    } else {
        optional_text(body, field, errors)?
    };
    let parsed = serde_json::from_value(Value::String(text.to_uppercase())).ok();
    if parsed.is_none() {
        add(errors, field, format!("invalid `{field}` value `{text}`"));
    }
    parsed
}

/// Adds one message for `field`.
pub fn add(errors: &mut FieldErrors, field: &str, message: String) {
    errors.entry(field.to_owned()).or_default().push(message);
}
