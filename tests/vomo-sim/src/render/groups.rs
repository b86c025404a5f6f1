//! Group shapes.

use serde::Serialize;

use super::Ctx;
use super::value::Time;

/// A group as listed and as shown in detail.
#[derive(Serialize)]
pub struct GroupJson<'a> {
    id: u32,
    name: &'a str,
    description: Option<&'a str>,
    has_subgroups: bool,
    parent_id: Option<u32>,
    member_moniker: &'a str,
    subgroup_moniker: &'a str,
    created_by_user_id: Option<u32>,
    created_at: Time,
    updated_at: Time,
}

/// The shape of group `id`.
pub fn group<'a>(ctx: &Ctx<'a>, id: u32) -> Option<GroupJson<'a>> {
    let g = ctx.store.group(u64::from(id))?;
    Some(GroupJson {
        id,
        name: &g.name,
        description: g.description.as_deref(),
        has_subgroups: ctx.store.has_subgroups(id),
        parent_id: g.parent,
        member_moniker: &g.member_moniker,
        subgroup_moniker: &g.subgroup_moniker,
        created_by_user_id: g.created_by,
        created_at: ctx.rest(g.created),
        updated_at: ctx.rest(g.updated),
    })
}
