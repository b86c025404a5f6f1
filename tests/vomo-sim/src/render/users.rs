//! User shapes: the list item, the detail with participations, and the upsert envelope.

use std::io::Write;

use serde::Serialize;

use super::Ctx;
use super::projects::{ParticipantJson, participant};
use super::value::{LooseId, Time};
use crate::derive::Text;
use crate::model::{Gender, Membership, Role, UserStatus};
use crate::timefmt::{Stamp, Style};

/// A user as `GET /users` lists it.
#[derive(Serialize)]
pub struct UserJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: LooseId,
    first_name: &'a str,
    last_name: &'a str,
    full_name: FullName<'a>,
    email: Text<'a>,
    address: Text<'a>,
    phone: Text<'a>,
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

/// `first last`, formatted while serialising.
struct FullName<'a>(&'a str, &'a str);

impl Serialize for FullName<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{} {}", self.0, self.1))
    }
}

/// The list shape of user `id`, which must exist; the reference for [`write_user`].
#[cfg(test)]
pub fn user<'a>(ctx: &Ctx<'a>, id: u32) -> Option<UserJson<'a>> {
    user_with_id(ctx, id, LooseId { id: u64::from(id), as_string: false })
}

fn user_with_id<'a>(ctx: &Ctx<'a>, id: u32, shown: LooseId) -> Option<UserJson<'a>> {
    let row = ctx.store.user(u64::from(id))?;
    let profile = ctx.store.profile(id);
    let full_name = FullName(profile.first_name, profile.last_name);
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

/// Writes the list shape of user `id` straight into `out`, byte for byte what serialising
/// [`user`] gives, without serde's per-field work; listing users is the hot path.
pub fn write_user(out: &mut Vec<u8>, ctx: &Ctx<'_>, id: u32) -> bool {
    let Some(row) = ctx.store.user(u64::from(id)) else {
        return false;
    };
    let p = ctx.store.profile(id);
    out.extend_from_slice(b"{\"type\":\"user\",\"id\":");
    let _ = write!(out, "{id}");
    out.extend_from_slice(b",\"first_name\":");
    text(out, Text::Plain(p.first_name));
    out.extend_from_slice(b",\"last_name\":");
    text(out, Text::Plain(p.last_name));
    out.extend_from_slice(b",\"full_name\":");
    full_name(out, p.first_name, p.last_name);
    out.extend_from_slice(b",\"email\":");
    text(out, p.email);
    out.extend_from_slice(b",\"address\":");
    text(out, p.address);
    out.extend_from_slice(b",\"phone\":");
    text(out, p.phone);
    out.extend_from_slice(b",\"birthday\":");
    stamp(out, p.birthday, Style::Date);
    out.extend_from_slice(b",\"gender\":");
    plain(out, row.gender.as_str());
    out.extend_from_slice(b",\"created_at\":");
    stamp(out, row.created, Style::Rest);
    out.extend_from_slice(b",\"updated_at\":");
    stamp(out, row.updated, Style::Rest);
    out.extend_from_slice(b",\"user_status\":");
    plain(out, row.user_status.as_str());
    out.extend_from_slice(b",\"membership_status\":");
    plain(out, row.membership.as_str());
    out.extend_from_slice(b",\"membership_role\":");
    plain(out, row.role.as_str());
    out.push(b'}');
    true
}

/// Writes a JSON string; derived texts never need escaping, stored ones may.
fn text(out: &mut Vec<u8>, value: Text<'_>) {
    match value {
        Text::Plain(text) if needs_escaping(text) => {
            let _ = serde_json::to_writer(&mut *out, text);
        }
        Text::Plain(text) => plain(out, text),
        derived => {
            let _ = write!(out, "\"{derived}\"");
        }
    }
}

fn full_name(out: &mut Vec<u8>, first: &str, last: &str) {
    if needs_escaping(first) || needs_escaping(last) {
        let _ = serde_json::to_writer(&mut *out, &format!("{first} {last}"));
        return;
    }
    out.push(b'"');
    out.extend_from_slice(first.as_bytes());
    out.push(b' ');
    out.extend_from_slice(last.as_bytes());
    out.push(b'"');
}

fn plain(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

fn stamp(out: &mut Vec<u8>, secs: i64, style: Style) {
    plain(out, Stamp::new(secs, style).as_str());
}

fn needs_escaping(text: &str) -> bool {
    text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

/// The detail shape of user `id`: the list fields plus live participations.
pub fn user_detail<'a>(ctx: &Ctx<'a>, id: u32) -> Option<UserDetailJson<'a>> {
    detail_with_id(ctx, id, false)
}

fn detail_with_id<'a>(ctx: &Ctx<'a>, id: u32, id_as_string: bool) -> Option<UserDetailJson<'a>> {
    let shown = LooseId { id: u64::from(id), as_string: id_as_string };
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
    Some(UserDetailJson { user, participations, profile_field_values: Vec::new() })
}

/// The `POST /users` answer; the reference shows the id as a string there.
pub fn upsert<'a>(ctx: &Ctx<'a>, id: u32, created: bool) -> Option<UpsertJson<'a>> {
    let (code, message) = if created { ("201", "User created.") } else { ("200", "User updated.") };
    Some(UpsertJson { code, message, data: detail_with_id(ctx, id, ctx.quirks)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DataSize;
    use crate::model::Profile;

    #[test]
    fn fast_writer_matches_serde_for_derived_and_stored_profiles() {
        let mut store = crate::generate::generate(3, &DataSize::small(), 1_762_336_800);
        store.set_profile(
            5,
            Profile {
                first_name: "Zoë \"Z\"".to_owned(),
                last_name: "Back\\slash".to_owned(),
                email: "z@example.test".to_owned(),
                phone: "line\nbreak".to_owned(),
                address: "Plain Street".to_owned(),
                birthday: 0,
            },
        );
        for quirks in [true, false] {
            let ctx = Ctx { store: &store, quirks, now: 1_762_336_800 };
            for id in 1..=40 {
                let mut fast = Vec::new();
                assert!(write_user(&mut fast, &ctx, id));
                let reference = serde_json::to_vec(&user(&ctx, id)).unwrap_or_default();
                assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&reference));
            }
        }
    }
}
