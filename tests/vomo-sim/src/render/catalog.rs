//! Shapes of the read-only extras: campaigns, certificates and organizations.

use serde::Serialize;

use super::Ctx;
use super::value::Time;
use crate::model::Org;

/// A campaign.
#[derive(Serialize)]
pub struct CampaignJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    campaign_name: &'a str,
    description: &'a str,
    url: String,
    organization_id: u32,
    organization: &'a str,
    organization_slug: &'a str,
    author_id: Option<u32>,
    logo_url: Option<&'static str>,
    created_at: Time,
    updated_at: Time,
}

/// A certificate definition.
#[derive(Serialize)]
pub struct CertificateJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    name: &'a str,
    description: &'a str,
    expiration_period: &'a str,
    created_at: Time,
    updated_at: Time,
}

/// An organization as listed.
#[derive(Serialize)]
pub struct OrgJson<'a> {
    id: u32,
    name: &'a str,
    slug: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'a str,
    email: String,
    phone: &'static str,
    website: String,
    tax_number: Option<&'static str>,
    org_size: u32,
    mission_statement: &'a str,
    background_check_expiration: &'static str,
    background_check_expiration_mode: &'static str,
    background_check_absolute_expiration: Option<&'static str>,
    invitation_token: &'a str,
    parent_id: Option<u32>,
    created_at: Time,
    updated_at: Time,
    deleted_at: Option<Time>,
    groups_moniker: &'static str,
    project_moniker: &'static str,
    campaign_moniker: &'static str,
}

/// An organization with its parent and children, as `GET /organizations/{id}` shows it.
#[derive(Serialize)]
pub struct OrgDetailJson<'a> {
    #[serde(flatten)]
    org: OrgJson<'a>,
    parent: Option<OrgRefJson<'a>>,
    children: Vec<OrgRefJson<'a>>,
}

#[derive(Serialize)]
struct OrgRefJson<'a> {
    id: u32,
    name: &'a str,
    slug: &'a str,
}

/// The shape of campaign `id`.
pub fn campaign<'a>(ctx: &Ctx<'a>, id: u32) -> Option<CampaignJson<'a>> {
    let c = ctx.store.campaign(u64::from(id))?;
    let org = ctx.store.org(u64::from(c.org))?;
    Some(CampaignJson {
        kind: "campaign",
        id,
        campaign_name: &c.name,
        description: &c.description,
        url: format!("https://app.vomo.example/campaigns/{id}"),
        organization_id: c.org,
        organization: &org.name,
        organization_slug: &org.slug,
        author_id: c.author,
        logo_url: None,
        created_at: ctx.rest(c.created),
        updated_at: ctx.rest(c.updated),
    })
}

/// The shape of certificate `id`.
pub fn certificate<'a>(ctx: &Ctx<'a>, id: u32) -> Option<CertificateJson<'a>> {
    let c = ctx.store.certificate(u64::from(id))?;
    Some(CertificateJson {
        kind: "certificate",
        id,
        name: &c.name,
        description: &c.description,
        expiration_period: &c.expiration,
        created_at: ctx.rest(c.created),
        updated_at: ctx.rest(c.updated),
    })
}

/// The list shape of organization `id`.
pub fn org<'a>(ctx: &Ctx<'a>, id: u32) -> Option<OrgJson<'a>> {
    let o = ctx.store.org(u64::from(id))?;
    Some(org_json(ctx, o))
}

fn org_json<'a>(ctx: &Ctx<'a>, o: &'a Org) -> OrgJson<'a> {
    OrgJson {
        id: o.id,
        name: &o.name,
        slug: &o.slug,
        kind: o.kind,
        description: &o.description,
        email: format!("hello@{}.example.org", o.slug),
        phone: "(214) 555-0100",
        website: format!("https://{}.example.org", o.slug),
        tax_number: None,
        org_size: 25,
        mission_statement: &o.description,
        background_check_expiration: "1_YEAR",
        background_check_expiration_mode: "relative",
        background_check_absolute_expiration: None,
        invitation_token: &o.invitation_token,
        parent_id: o.parent,
        created_at: ctx.rest(o.created),
        updated_at: ctx.rest(o.updated),
        deleted_at: None,
        groups_moniker: "Group",
        project_moniker: "Project",
        campaign_moniker: "Campaign",
    }
}

/// The detail shape of organization `id`; `visible` says which relatives the caller may see.
pub fn org_detail<'a>(
    ctx: &Ctx<'a>,
    id: u32,
    visible: impl Fn(u32) -> bool,
) -> Option<OrgDetailJson<'a>> {
    let o = ctx.store.org(u64::from(id))?;
    let relation = |r: &'a Org| OrgRefJson { id: r.id, name: &r.name, slug: &r.slug };
    let parent =
        o.parent.filter(|&p| visible(p)).and_then(|p| ctx.store.org(u64::from(p))).map(relation);
    let children = ctx
        .store
        .orgs
        .iter()
        .filter(|c| c.parent == Some(id) && !c.deleted)
        .map(relation)
        .collect();
    Some(OrgDetailJson { org: org_json(ctx, o), parent, children })
}
