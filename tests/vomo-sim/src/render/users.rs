//! User shapes: the list item, the detail with participations, and the upsert envelope.

use std::borrow::Cow;

use serde::Serialize;

use super::Ctx;
use super::projects::{ParticipantJson, participant};
use super::value::{LooseId, Time};
use crate::model::{Gender, Membership, Role, UserStatus};

/// A user as `GET /users` lists it.
#[derive(Serialize)]
pub struct UserJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: LooseId,
    first_name: Cow<'a, str>,
    last_name: Cow<'a, str>,
    full_name: String,
    email: Cow<'a, str>,
    address: Cow<'a, str>,
    phone: Cow<'a, str>,
    birthday: Time,
    gender: Gender,
    created_at: Time,
    updated_at: Time,
    user_status: UserStatus,
    membership_status: Membership,
    membership_role: Role,
}

/// A user as `GET /users/{id}` shows it.
#[derive(Serialize)]
pub struct UserDetailJson<'a> {
    #[serde(flatten)]
    user: UserJson<'a>,
    participations: Vec<ParticipantJson>,
    profile_field_values: Vec<serde_json::Value>,
}

/// The `POST /users` answer: status fields around the detail.
#[derive(Serialize)]
pub struct UpsertJson<'a> {
    code: &'static str,
    message: &'static str,
    data: UserDetailJson<'a>,
}

/// The list shape of user `id`, which must exist.
pub fn user<'a>(ctx: &Ctx<'a>, id: u32) -> Option<UserJson<'a>> {
    user_with_id(ctx, id, LooseId {
        id: u64::from(id),
        as_string: false,
    })
}

fn user_with_id<'a>(ctx: &Ctx<'a>, id: u32, shown: LooseId) -> Option<UserJson<'a>> {
    let row = ctx.store.user(u64::from(id))?;
    let profile = ctx.store.profile(id);
    let full_name = format!("{} {}", profile.first_name, profile.last_name);
    Some(UserJson {
        kind: "user",
        id: shown,
        full_name,
        first_name: profile.first_name,
        last_name: profile.last_name,
        email: profile.email,
        address: profile.address,
        phone: profile.phone,
        birthday: ctx.date(profile.birthday),
        gender: row.gender,
        created_at: ctx.rest(row.created),
        updated_at: ctx.rest(row.updated),
        user_status: row.user_status,
        membership_status: row.membership,
        membership_role: row.role,
    })
}

/// The detail shape of user `id`: the list fields plus live participations.
pub fn user_detail<'a>(ctx: &Ctx<'a>, id: u32) -> Option<UserDetailJson<'a>> {
    detail_with_id(ctx, id, false)
}

fn detail_with_id<'a>(ctx: &Ctx<'a>, id: u32, id_as_string: bool) -> Option<UserDetailJson<'a>> {
    let shown = LooseId {
        id: u64::from(id),
        as_string: id_as_string,
    };
    let user = user_with_id(ctx, id, shown)?;
    let participations = ctx
        .store
        .participations
        .get(&id)
        .into_iter()
        .flatten()
        .filter_map(|&pid| {
            let p = ctx.store.participant(u64::from(pid))?;
            (!p.cancelled).then(|| participant(ctx, pid, p))
        })
        .collect();
    Some(UserDetailJson {
        user,
        participations,
        profile_field_values: Vec::new(),
    })
}

/// The `POST /users` answer; the reference shows the id as a string there.
pub fn upsert<'a>(ctx: &Ctx<'a>, id: u32, created: bool) -> Option<UpsertJson<'a>> {
    let (code, message) = if created {
        ("201", "User created.")
    } else {
        ("200", "User updated.")
    };
    Some(UpsertJson {
        code,
        message,
        data: detail_with_id(ctx, id, ctx.quirks)?,
    })
}
