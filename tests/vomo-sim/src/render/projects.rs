//! Project, project date and participant shapes.

use serde::Serialize;

use super::Ctx;
use super::value::{Flag, Hours, LooseId, Time};
use crate::model::{Participant, Place, Privacy, Project, ProjectDate};

/// A project as `GET /projects` lists it.
#[derive(Serialize)]
pub struct ProjectJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    name: &'a str,
    project_name: &'a str,
    description: &'a str,
    url: String,
    organization_id: u32,
    organization: &'a str,
    organization_slug: &'a str,
    author_id: Option<u32>,
    owners: Vec<OwnerJson>,
    address: AddressJson<'a>,
    anytime: Flag,
    draft: Flag,
    active: Flag,
    allow_guests: Flag,
    age_limit: u8,
    privacy: Privacy,
    published_at: Option<Time>,
    created_at: Time,
    updated_at: Time,
    campaigns: Vec<CampaignRefJson<'a>>,
    form_completions: Vec<u32>,
    next_date: Option<DateJson>,
}

/// A project as `GET /projects/{id}` shows it.
#[derive(Serialize)]
pub struct ProjectDetailJson<'a> {
    #[serde(flatten)]
    project: ProjectJson<'a>,
    all_dates: Vec<DateJson>,
}

#[derive(Serialize)]
struct OwnerJson {
    id: u32,
    project_id: u32,
    user_id: u32,
    is_primary_owner: Flag,
    send_notifications: Flag,
    created_at: Time,
    updated_at: Time,
}

#[derive(Serialize)]
struct AddressJson<'a> {
    venue: &'a str,
    street_number: String,
    route: &'a str,
    locality: &'a str,
    administrative_area_level_1: &'a str,
    postal_code: &'a str,
    country: &'static str,
    country_short: &'static str,
    formatted_address: String,
    lat: f64,
    lng: f64,
    timezone: &'a str,
}

#[derive(Serialize)]
struct CampaignRefJson<'a> {
    id: LooseId,
    campaign_name: &'a str,
}

/// A project date as embedded in projects and listed by `/projects/today`.
#[derive(Serialize)]
pub struct DateJson {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    project_id: u32,
    starts_at: Time,
    ends_at: Time,
    timezone: String,
    capacity: u32,
    created_at: Time,
    updated_at: Time,
}

/// A project date as `GET /projects/date/{id}` shows it, with its participants.
#[derive(Serialize)]
pub struct DateDetailJson<'a> {
    #[serde(flatten)]
    date: DateJson,
    project_name: &'a str,
    participants: Vec<ParticipantJson>,
}

/// A participation with the guides' field names.
#[derive(Serialize)]
pub struct ParticipantJson {
    id: u32,
    user_id: u32,
    project_id: LooseId,
    project_date_id: LooseId,
    role: &'static str,
    guests: u8,
    signed_up_at: Time,
    checked_in_at: Option<Time>,
    checked_out_at: Option<Time>,
    hours: Hours,
    verified: Flag,
}

/// The list shape of project `id`.
pub fn project<'a>(ctx: &Ctx<'a>, id: u32) -> Option<ProjectJson<'a>> {
    let p = ctx.store.project(u64::from(id))?;
    let org = ctx.store.org(u64::from(p.org))?;
    let next_date = ctx.store.next_date(p, ctx.now).and_then(|date| project_date(ctx, date));
    Some(ProjectJson {
        kind: "project",
        id,
        name: &p.name,
        project_name: &p.name,
        description: &p.description,
        url: format!("https://app.vomo.example/projects/{id}"),
        organization_id: p.org,
        organization: &org.name,
        organization_slug: &org.slug,
        author_id: p.author,
        owners: owners(ctx, id, p),
        address: address(&p.place),
        anytime: ctx.flag(p.anytime),
        draft: ctx.flag(p.draft),
        active: ctx.flag(p.active),
        allow_guests: ctx.flag(p.allow_guests),
        age_limit: p.age_limit,
        privacy: p.privacy,
        published_at: p.published.map(|at| ctx.rest(at)),
        created_at: ctx.rest(p.created),
        updated_at: ctx.rest(p.updated),
        campaigns: campaigns(ctx, p),
        form_completions: Vec::new(),
        next_date,
    })
}

/// The detail shape of project `id`: the list fields plus every live date.
pub fn project_detail<'a>(ctx: &Ctx<'a>, id: u32) -> Option<ProjectDetailJson<'a>> {
    let p = ctx.store.project(u64::from(id))?;
    let all_dates = p
        .dates
        .iter()
        .filter(|&&date| ctx.store.date(u64::from(date)).is_some_and(|d| !d.deleted))
        .filter_map(|&date| project_date(ctx, date))
        .collect();
    Some(ProjectDetailJson { project: project(ctx, id)?, all_dates })
}

fn owners(ctx: &Ctx<'_>, project: u32, p: &Project) -> Vec<OwnerJson> {
    p.owners
        .iter()
        .map(|o| OwnerJson {
            id: o.id,
            project_id: project,
            user_id: o.user,
            is_primary_owner: ctx.flag(o.primary),
            send_notifications: ctx.flag(o.notify),
            created_at: ctx.plain(o.created),
            updated_at: ctx.plain(o.updated),
        })
        .collect()
}

fn address(place: &Place) -> AddressJson<'_> {
    let formatted_address = format!(
        "{} {}, {}, {} {}, USA",
        place.street_number, place.route, place.locality, place.region, place.postal_code
    );
    AddressJson {
        venue: &place.venue,
        street_number: place.street_number.to_string(),
        route: &place.route,
        locality: &place.locality,
        administrative_area_level_1: &place.region,
        postal_code: &place.postal_code,
        country: "United States",
        country_short: "US",
        formatted_address,
        lat: place.lat,
        lng: place.lng,
        timezone: &place.timezone,
    }
}

fn campaigns<'a>(ctx: &Ctx<'a>, p: &Project) -> Vec<CampaignRefJson<'a>> {
    p.campaigns
        .iter()
        .filter_map(|&id| {
            let campaign = ctx.store.campaign(u64::from(id)).filter(|c| !c.deleted)?;
            Some(CampaignRefJson { id: ctx.loose_id(id), campaign_name: &campaign.name })
        })
        .collect()
}

/// The embedded shape of project date `id`.
pub fn project_date(ctx: &Ctx<'_>, id: u32) -> Option<DateJson> {
    let date = ctx.store.date(u64::from(id))?;
    let timezone = ctx
        .store
        .project(u64::from(date.project))
        .map(|p| p.place.timezone.clone())
        .unwrap_or_default();
    Some(date_json(ctx, id, date, timezone))
}

fn date_json(ctx: &Ctx<'_>, id: u32, date: &ProjectDate, timezone: String) -> DateJson {
    DateJson {
        kind: "project_date",
        id,
        project_id: date.project,
        starts_at: ctx.rest(date.starts),
        ends_at: ctx.rest(date.ends),
        timezone,
        capacity: date.capacity,
        created_at: ctx.rest(date.created),
        updated_at: ctx.rest(date.updated),
    }
}

/// The detail shape of project date `id`, with its live participants.
pub fn date_detail<'a>(ctx: &Ctx<'a>, id: u32) -> Option<DateDetailJson<'a>> {
    let date = ctx.store.date(u64::from(id))?;
    let project = ctx.store.project(u64::from(date.project))?;
    let participants = ctx
        .store
        .live_participants(date)
        .into_iter()
        .map(|(pid, p)| participant(ctx, pid, p))
        .collect();
    Some(DateDetailJson {
        date: date_json(ctx, id, date, project.place.timezone.clone()),
        project_name: &project.name,
        participants,
    })
}

/// The participation shape of participant `id`.
pub fn participant(ctx: &Ctx<'_>, id: u32, p: &Participant) -> ParticipantJson {
    let project = ctx.store.date(u64::from(p.date)).map_or(0, |d| d.project);
    ParticipantJson {
        id,
        user_id: p.user,
        project_id: ctx.loose_id(project),
        project_date_id: ctx.loose_id(p.date),
        role: if p.lead { "Team Lead" } else { "Volunteer" },
        guests: p.guests,
        signed_up_at: ctx.micros(p.signed_up),
        checked_in_at: p.checked_in.map(|at| ctx.micros(at)),
        checked_out_at: p.checked_out.map(|at| ctx.micros(at)),
        hours: ctx.hours(p.hours_centi),
        verified: ctx.flag(p.verified),
    }
}
