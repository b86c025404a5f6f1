//! Applying a JSON object of field values to one record, per resource.

use serde_json::{Map, Value};

use super::resource::Resource;
use crate::derive;
use crate::error::ControlError;
use crate::model::{
    Campaign, Certificate, Completion, FieldResponse, Form, Group, Membership, Org, Place, Privacy,
    Project, ProjectDate, Role, Secs, User, UserStatus, slot,
};
use crate::store::Store;
use crate::timefmt;

type Fields = Map<String, Value>;

/// Sets the given fields of record `id`; timestamps are the caller's business.
pub fn apply(
    store: &mut Store,
    resource: Resource,
    id: u32,
    fields: &Fields,
) -> Result<(), ControlError> {
    match resource {
        Resource::Users => user(store, id, fields),
        Resource::Projects => project(store, id, fields),
        Resource::ProjectDates => project_date(store, id, fields),
        Resource::Groups => group(store, id, fields),
        Resource::Forms => form(store, id, fields),
        Resource::FormCompletions => completion(store, id, fields),
        Resource::Campaigns => campaign(store, id, fields),
        Resource::Certificates => certificate(store, id, fields),
        Resource::Organizations => org(store, id, fields),
    }
}

/// Adds a default record of `resource` owned by `org` at `now`, then applies `fields`.
pub fn create(
    store: &mut Store,
    resource: Resource,
    org: u32,
    now: Secs,
    fields: &Fields,
) -> Result<u32, ControlError> {
    let owner = store.org(u64::from(org)).filter(|o| !o.deleted).map(|o| o.id);
    let needs_org = !matches!(resource, Resource::ProjectDates | Resource::FormCompletions);
    let org = match owner {
        Some(org) => org,
        None if needs_org => return Err(not_found("organization", org)),
        None => 0,
    };
    let id = push_default(store, resource, org, now, fields)?;
    apply(store, resource, id, fields)?;
    Ok(id)
}

fn push_default(
    store: &mut Store,
    resource: Resource,
    org: u32,
    now: Secs,
    fields: &Fields,
) -> Result<u32, ControlError> {
    let id = match resource {
        Resource::Users => {
            store.users.push(User {
                org,
                created: now,
                updated: now,
                user_status: UserStatus::Verified,
                membership: Membership::Accepted,
                role: Role::Volunteer,
                gender: crate::model::Gender::N,
                deleted: false,
                explicit: false,
            });
            store.users.len()
        }
        Resource::Projects => {
            let id = store.projects.len() as u32 + 1;
            store.projects.push(new_project(store.seed, id, org, now));
            id as usize
        }
        Resource::ProjectDates => {
            let project = required_id(fields, "project_id")?;
            if store.project(u64::from(project)).is_none() {
                return Err(not_found("project", project));
            }
            store.dates.push(ProjectDate {
                project,
                starts: now + 86_400,
                ends: now + 86_400 + 4 * 3600,
                capacity: 10,
                created: now,
                updated: now,
                participants: Vec::new(),
                deleted: false,
            });
            let id = store.dates.len() as u32;
            store.projects[project as usize - 1].dates.push(id);
            id as usize
        }
        Resource::Groups => {
            store.groups.push(Group {
                org,
                name: "New Group".to_owned(),
                description: None,
                parent: None,
                member_moniker: "Member".to_owned(),
                subgroup_moniker: "Subgroup".to_owned(),
                created_by: None,
                members: Vec::new(),
                created: now,
                updated: now,
                deleted: false,
            });
            store.groups.len()
        }
        Resource::Forms => {
            let id = store.forms.len() as u64 + 1;
            let fields: Vec<u32> = (0..2)
                .map(|_| {
                    store.next_field_id += 1;
                    store.next_field_id
                })
                .collect();
            store.forms.push(Form {
                org,
                name: "New Form".to_owned(),
                description: String::new(),
                form_type: "SURVEY".to_owned(),
                slug: derive::uuid(store.seed, id, 21),
                author: None,
                fields,
                completions: Vec::new(),
                created: now,
                updated: now,
                deleted: false,
            });
            store.forms.len()
        }
        Resource::FormCompletions => new_completion(store, now, fields)? as usize,
        Resource::Campaigns => {
            store.campaigns.push(Campaign {
                org,
                name: "New Campaign".to_owned(),
                description: String::new(),
                author: None,
                created: now,
                updated: now,
                deleted: false,
            });
            store.campaigns.len()
        }
        Resource::Certificates => {
            store.certificates.push(Certificate {
                org,
                name: "New Certificate".to_owned(),
                description: String::new(),
                expiration: "1_YEAR".to_owned(),
                created: now,
                updated: now,
                deleted: false,
            });
            store.certificates.len()
        }
        Resource::Organizations => new_org(store, org, now) as usize,
    };
    Ok(id as u32)
}

fn new_project(seed: u64, id: u32, org: u32, now: Secs) -> Project {
    let (city, state, zip) = derive::city(seed, u64::from(id), 11);
    let (street, kind) = derive::street(seed, u64::from(id), 12);
    Project {
        org,
        name: format!("New Project #{id}"),
        description: String::new(),
        anytime: false,
        draft: false,
        active: true,
        allow_guests: false,
        age_limit: 0,
        privacy: Privacy::Public,
        author: None,
        owners: Vec::new(),
        campaigns: Vec::new(),
        place: Place {
            venue: format!("{street} Hall"),
            street_number: 1,
            route: format!("{street} {kind}"),
            locality: city.to_owned(),
            region: state.to_owned(),
            postal_code: zip.to_string(),
            lat: 32.0,
            lng: -97.0,
            timezone: "America/Chicago".to_owned(),
        },
        created: now,
        updated: now,
        published: Some(now),
        dates: Vec::new(),
        deleted: false,
    }
}

fn new_completion(store: &mut Store, now: Secs, fields: &Fields) -> Result<u32, ControlError> {
    let form = required_id(fields, "form_id")?;
    let user = required_id(fields, "user_id")?;
    let field_ids = store
        .form(u64::from(form))
        .map(|f| f.fields.clone())
        .ok_or_else(|| not_found("form", form))?;
    let responses = field_ids
        .into_iter()
        .map(|field| {
            store.next_response_id += 1;
            FieldResponse { id: store.next_response_id, field, value: String::new() }
        })
        .collect();
    store.completions.push(Completion {
        form,
        user,
        project: None,
        participation: None,
        responses,
        created: now,
        updated: now,
        deleted: false,
    });
    let id = store.completions.len() as u32;
    store.forms[form as usize - 1].completions.push(id);
    Ok(id)
}

fn new_org(store: &mut Store, parent: u32, now: Secs) -> u32 {
    let id = store.orgs.len() as u32 + 1;
    let token = derive::token(store.seed, u64::from(id));
    store.tokens.insert(token.clone(), id);
    store.orgs.push(Org {
        id,
        parent: (parent != 0).then_some(parent),
        name: format!("New Organization {id}"),
        slug: format!("new-organization-{id}"),
        kind: "NPO",
        token,
        invitation_token: derive::token(store.seed ^ 0x1c, u64::from(id))[..12].to_owned(),
        description: String::new(),
        created: now,
        updated: now,
        deleted: false,
    });
    id
}

fn user(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let mut profile = store.profile(id).to_profile();
    let mut row = *store.user(u64::from(id)).ok_or_else(|| not_found("user", id))?;
    let mut profile_changed = false;
    for (key, value) in fields {
        match key.as_str() {
            "first_name" => profile.first_name = text(key, value)?,
            "last_name" => profile.last_name = text(key, value)?,
            "email" => profile.email = text(key, value)?,
            "phone" => profile.phone = text(key, value)?,
            "address" => profile.address = text(key, value)?,
            "birthday" => profile.birthday = date(key, value)?,
            "gender" => row.gender = enumeration(key, value)?,
            "user_status" => row.user_status = enumeration(key, value)?,
            "membership_status" => row.membership = enumeration(key, value)?,
            "membership_role" | "role" => row.role = enumeration(key, value)?,
            "org_id" => row.org = existing_org(store, key, value)?,
            "created_at" => row.created = instant(key, value)?,
            _ => return Err(unknown(Resource::Users, key)),
        }
        profile_changed |= matches!(
            key.as_str(),
            "first_name" | "last_name" | "email" | "phone" | "address" | "birthday"
        );
    }
    if let Some(slot) = store.user_mut(u64::from(id)) {
        *slot = row;
    }
    if profile_changed {
        store.set_profile(id, profile);
    }
    Ok(())
}

fn project(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let orgs = store.orgs.len();
    let p = record(&mut store.projects, id, "project")?;
    for (key, value) in fields {
        match key.as_str() {
            "name" => p.name = text(key, value)?,
            "description" => p.description = text(key, value)?,
            "anytime" => p.anytime = flag(key, value)?,
            "draft" => p.draft = flag(key, value)?,
            "active" => p.active = flag(key, value)?,
            "allow_guests" => p.allow_guests = flag(key, value)?,
            "age_limit" => p.age_limit = number(key, value)?.min(99) as u8,
            "privacy" => p.privacy = enumeration(key, value)?,
            "campaigns" => p.campaigns = id_list(key, value)?,
            "org_id" => p.org = org_in_range(orgs, key, value)?,
            "created_at" => p.created = instant(key, value)?,
            _ => return Err(unknown(Resource::Projects, key)),
        }
    }
    Ok(())
}

fn project_date(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let d = record(&mut store.dates, id, "project date")?;
    for (key, value) in fields {
        match key.as_str() {
            "starts_at" => d.starts = instant(key, value)?,
            "ends_at" => d.ends = instant(key, value)?,
            "capacity" => d.capacity = number(key, value)? as u32,
            "project_id" => {}
            _ => return Err(unknown(Resource::ProjectDates, key)),
        }
    }
    Ok(())
}

fn group(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let orgs = store.orgs.len();
    let g = record(&mut store.groups, id, "group")?;
    for (key, value) in fields {
        match key.as_str() {
            "name" => g.name = text(key, value)?,
            "description" => g.description = optional_text(key, value)?,
            "member_moniker" => g.member_moniker = text(key, value)?,
            "subgroup_moniker" => g.subgroup_moniker = text(key, value)?,
            "parent_id" => g.parent = optional_id(key, value)?,
            "created_by_user_id" => g.created_by = optional_id(key, value)?,
            "members" => {
                let mut members = id_list(key, value)?;
                members.sort_unstable();
                members.dedup();
                g.members = members;
            }
            "org_id" => g.org = org_in_range(orgs, key, value)?,
            "created_at" => g.created = instant(key, value)?,
            _ => return Err(unknown(Resource::Groups, key)),
        }
    }
    Ok(())
}

fn form(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let f = record(&mut store.forms, id, "form")?;
    for (key, value) in fields {
        match key.as_str() {
            "name" => f.name = text(key, value)?,
            "description" => f.description = text(key, value)?,
            "form_type" => f.form_type = text(key, value)?,
            "created_at" => f.created = instant(key, value)?,
            _ => return Err(unknown(Resource::Forms, key)),
        }
    }
    Ok(())
}

fn completion(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let c = record(&mut store.completions, id, "form completion")?;
    for (key, value) in fields {
        match key.as_str() {
            "user_id" => c.user = required_number_id(key, value)?,
            "project_id" => c.project = optional_id(key, value)?,
            "participation_id" => c.participation = optional_id(key, value)?,
            "value" => {
                let text = text(key, value)?;
                c.responses.iter_mut().for_each(|r| r.value = text.clone());
            }
            "created_at" => c.created = instant(key, value)?,
            "form_id" => {}
            _ => return Err(unknown(Resource::FormCompletions, key)),
        }
    }
    Ok(())
}

fn campaign(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let c = record(&mut store.campaigns, id, "campaign")?;
    for (key, value) in fields {
        match key.as_str() {
            "name" | "campaign_name" => c.name = text(key, value)?,
            "description" => c.description = text(key, value)?,
            "created_at" => c.created = instant(key, value)?,
            _ => return Err(unknown(Resource::Campaigns, key)),
        }
    }
    Ok(())
}

fn certificate(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let c = record(&mut store.certificates, id, "certificate")?;
    for (key, value) in fields {
        match key.as_str() {
            "name" => c.name = text(key, value)?,
            "description" => c.description = text(key, value)?,
            "expiration_period" => c.expiration = text(key, value)?,
            "created_at" => c.created = instant(key, value)?,
            _ => return Err(unknown(Resource::Certificates, key)),
        }
    }
    Ok(())
}

fn org(store: &mut Store, id: u32, fields: &Fields) -> Result<(), ControlError> {
    let orgs = store.orgs.len();
    let o = record(&mut store.orgs, id, "organization")?;
    for (key, value) in fields {
        match key.as_str() {
            "name" => o.name = text(key, value)?,
            "description" => o.description = text(key, value)?,
            "slug" => o.slug = text(key, value)?,
            "parent_id" => {
                let parent = optional_id(key, value)?;
                if parent.is_some_and(|p| p as usize > orgs || p == id) {
                    return Err(ControlError::invalid(key, "no such parent organization"));
                }
                o.parent = parent;
            }
            "created_at" => o.created = instant(key, value)?,
            _ => return Err(unknown(Resource::Organizations, key)),
        }
    }
    Ok(())
}

/// The record with 1-based `id` in `records`.
pub fn record<'a, T>(
    records: &'a mut [T],
    id: u32,
    what: &'static str,
) -> Result<&'a mut T, ControlError> {
    slot(u64::from(id)).and_then(|index| records.get_mut(index)).ok_or_else(|| not_found(what, id))
}

pub fn not_found(resource: &'static str, id: u32) -> ControlError {
    ControlError::NotFound { resource, id: u64::from(id) }
}

fn unknown(resource: Resource, field: &str) -> ControlError {
    ControlError::UnknownField { resource: resource.name(), field: field.to_owned() }
}

fn text(key: &str, value: &Value) -> Result<String, ControlError> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ControlError::invalid(key, format!("expected a string, got `{value}`")))
}

fn optional_text(key: &str, value: &Value) -> Result<Option<String>, ControlError> {
    if value.is_null() {
        return Ok(None);
    }
    text(key, value).map(Some)
}

/// A boolean given as `true`/`false` or `0`/`1`.
pub fn flag(key: &str, value: &Value) -> Result<bool, ControlError> {
    match value {
        Value::Bool(on) => Ok(*on),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        _ => Err(ControlError::invalid(key, format!("expected a boolean, got `{value}`"))),
    }
}

fn number(key: &str, value: &Value) -> Result<u64, ControlError> {
    let parsed = value.as_u64().or_else(|| value.as_str()?.parse().ok());
    parsed.ok_or_else(|| ControlError::invalid(key, format!("expected a number, got `{value}`")))
}

fn required_number_id(key: &str, value: &Value) -> Result<u32, ControlError> {
    let id = number(key, value)?;
    u32::try_from(id)
        .ok()
        .filter(|&id| id > 0)
        .ok_or_else(|| ControlError::invalid(key, format!("expected a positive id, got `{value}`")))
}

fn optional_id(key: &str, value: &Value) -> Result<Option<u32>, ControlError> {
    if value.is_null() {
        return Ok(None);
    }
    required_number_id(key, value).map(Some)
}

fn required_id(fields: &Fields, key: &str) -> Result<u32, ControlError> {
    let value = fields
        .get(key)
        .ok_or_else(|| ControlError::invalid(key, "required when creating this resource"))?;
    required_number_id(key, value)
}

fn id_list(key: &str, value: &Value) -> Result<Vec<u32>, ControlError> {
    let items = value
        .as_array()
        .ok_or_else(|| ControlError::invalid(key, format!("expected a list, got `{value}`")))?;
    items.iter().map(|item| required_number_id(key, item)).collect()
}

/// An instant given as ISO 8601 text or as seconds since the epoch.
pub fn instant(key: &str, value: &Value) -> Result<Secs, ControlError> {
    if let Some(secs) = value.as_i64() {
        return Ok(secs);
    }
    value.as_str().and_then(timefmt::parse_instant).map(|at| at.timestamp()).ok_or_else(|| {
        ControlError::invalid(key, format!("expected an ISO 8601 time, got `{value}`"))
    })
}

fn date(key: &str, value: &Value) -> Result<Secs, ControlError> {
    value
        .as_str()
        .and_then(timefmt::parse_date)
        .ok_or_else(|| ControlError::invalid(key, format!("expected YYYY-MM-DD, got `{value}`")))
}

fn enumeration<T: serde::de::DeserializeOwned>(
    key: &str,
    value: &Value,
) -> Result<T, ControlError> {
    let upper = value.as_str().map(str::to_uppercase).unwrap_or_default();
    serde_json::from_value(Value::String(upper))
        .map_err(|_| ControlError::invalid(key, format!("unknown value `{value}`")))
}

fn existing_org(store: &Store, key: &str, value: &Value) -> Result<u32, ControlError> {
    let id = required_number_id(key, value)?;
    store
        .org(u64::from(id))
        .map(|o| o.id)
        .ok_or_else(|| ControlError::invalid(key, format!("no organization `{id}`")))
}

fn org_in_range(orgs: usize, key: &str, value: &Value) -> Result<u32, ControlError> {
    let id = required_number_id(key, value)?;
    if id as usize > orgs {
        return Err(ControlError::invalid(key, format!("no organization `{id}`")));
    }
    Ok(id)
}
