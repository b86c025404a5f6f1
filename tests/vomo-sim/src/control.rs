//! The control interface in-process: records, clock, scope changes, faults and traffic counts.
//! The same operations are served over HTTP by [`http`], on a port customers never reach.

pub mod fields;
pub mod http;
pub mod resource;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::RateLimit;
use crate::error::ControlError;
use crate::faults::Fault;
use crate::model::{Membership, Participant, Secs, UserStatus};
use crate::render;
use crate::request_log::{RequestRecord, TokenStats};
use crate::state::SimState;
use crate::store::Store;
use fields::{not_found, record};
pub use resource::Resource;

/// One customer: an organisation and the token that reaches it and its descendants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: u32,
    pub name: String,
    pub slug: String,
    pub token: String,
    pub parent_id: Option<u32>,
}

/// A cloneable handle on a running simulator's state.
#[derive(Clone, Debug)]
pub struct Control {
    sim: Arc<SimState>,
}

impl Control {
    pub(crate) fn new(sim: Arc<SimState>) -> Self {
        Self { sim }
    }

    /// Every live organisation with its token, in id order.
    pub fn customers(&self) -> Vec<Customer> {
        let store = self.sim.read();
        store
            .orgs
            .iter()
            .filter(|org| !org.deleted)
            .map(|org| Customer {
                id: org.id,
                name: org.name.clone(),
                slug: org.slug.clone(),
                token: org.token.clone(),
                parent_id: org.parent,
            })
            .collect()
    }

    /// The simulator clock's reading.
    pub fn now(&self) -> DateTime<Utc> {
        self.sim.clock.now()
    }

    /// Sets the simulator clock; later writes take their `updated_at` from it.
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.sim.clock.set(at);
    }

    /// Moves the simulator clock forward.
    pub fn advance(&self, by: Duration) {
        self.sim.clock.advance(by);
    }

    /// Stops the clock (`true`) or lets it tick with real time (`false`).
    pub fn freeze_clock(&self, frozen: bool) {
        self.sim.clock.set_frozen(frozen);
    }

    /// Creates a record owned by organisation `org` with `updated_at` = `created_at` = now.
    /// Project dates need `project_id`, completions `form_id` and `user_id` among `fields`;
    /// for organizations `org` is the parent (0 for none).
    pub fn create(&self, resource: Resource, org: u32, fields: Value) -> Result<u32, ControlError> {
        let fields = object(fields)?;
        let now = self.sim.clock.now_secs();
        self.write(|store| fields::create(store, resource, org, now, &fields))
    }

    /// Changes fields and moves `updated_at` to the clock's now, as a real edit does.
    pub fn update(&self, resource: Resource, id: u32, fields: Value) -> Result<(), ControlError> {
        let fields = object(fields)?;
        let now = self.sim.clock.now_secs();
        self.write(|store| {
            fields::apply(store, resource, id, &fields)?;
            set_updated(store, resource, id, now)
        })
    }

    /// Changes fields WITHOUT moving `updated_at`: the drift incremental polling cannot see.
    pub fn update_silently(
        &self,
        resource: Resource,
        id: u32,
        fields: Value,
    ) -> Result<(), ControlError> {
        let fields = object(fields)?;
        self.write(|store| fields::apply(store, resource, id, &fields))
    }

    /// Moves `updated_at` to `at`, or to the clock's now, changing nothing else.
    pub fn touch(
        &self,
        resource: Resource,
        id: u32,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), ControlError> {
        let at = at.map_or_else(|| self.sim.clock.now_secs(), |at| at.timestamp());
        self.write(|store| set_updated(store, resource, id, at))
    }

    /// Deletes a record: absent from lists, 404 on detail. A deleted organisation's token
    /// stops working.
    pub fn delete(&self, resource: Resource, id: u32) -> Result<(), ControlError> {
        self.write(|store| {
            *deleted_flag(store, resource, id)? = true;
            Ok(())
        })
    }

    /// Takes a user out of its organisation: gone from lists, detail still 200 with
    /// `membership_status` `REMOVED`. Moves `updated_at`.
    pub fn remove_user_from_org(&self, id: u32) -> Result<(), ControlError> {
        let now = self.sim.clock.now_secs();
        self.write(|store| {
            let user = record(&mut store.users, id, "user")?;
            user.membership = Membership::Removed;
            user.updated = now;
            Ok(())
        })
    }

    /// Deactivates (soft-deletes) a user: gone from lists, detail still 200 with
    /// `user_status` `DEACTIVATED`. Moves `updated_at`.
    pub fn deactivate_user(&self, id: u32) -> Result<(), ControlError> {
        let now = self.sim.clock.now_secs();
        self.write(|store| {
            let user = record(&mut store.users, id, "user")?;
            user.user_status = UserStatus::Deactivated;
            user.updated = now;
            Ok(())
        })
    }

    /// Moves a user to organisation `org`; callers outside `org`'s family then get 404.
    pub fn move_user(&self, id: u32, org: u32) -> Result<(), ControlError> {
        let now = self.sim.clock.now_secs();
        self.write(|store| {
            if store.org(u64::from(org)).is_none() {
                return Err(not_found("organization", org));
            }
            let user = record(&mut store.users, id, "user")?;
            user.org = org;
            user.updated = now;
            Ok(())
        })
    }

    /// Signs `user` up for project date `date`; `fields` may set `hours` (a number),
    /// `verified`, `guests`, `checked_in_at`, `checked_out_at`. Moves no `updated_at`.
    pub fn add_participant(
        &self,
        date: u32,
        user: u32,
        fields: Value,
    ) -> Result<u32, ControlError> {
        let fields = object(fields)?;
        let now = self.sim.clock.now_secs();
        self.write(|store| {
            if store.user(u64::from(user)).is_none() {
                return Err(not_found("user", user));
            }
            let id = store.participants.len() as u32 + 1;
            record(&mut store.dates, date, "project date")?.participants.push(id);
            let mut participant = Participant {
                date,
                user,
                signed_up: now,
                checked_in: None,
                checked_out: None,
                hours_centi: 0,
                verified: false,
                lead: false,
                guests: 0,
                cancelled: false,
            };
            participant_fields(&mut participant, &fields)?;
            store.participants.push(participant);
            store.index_participation(user, id);
            Ok(id)
        })
    }

    /// Changes a live participation of `user` on `date`; moves no `updated_at`.
    pub fn update_participant(
        &self,
        date: u32,
        user: u32,
        fields: Value,
    ) -> Result<(), ControlError> {
        let fields = object(fields)?;
        self.write(|store| {
            let id = live_participant(store, date, user)?;
            participant_fields(&mut store.participants[id as usize - 1], &fields)
        })
    }

    /// Cancels `user`'s participation on `date`: it disappears from the date's participants
    /// and the user's participations; no `updated_at` moves.
    pub fn cancel_participant(&self, date: u32, user: u32) -> Result<(), ControlError> {
        self.write(|store| {
            let id = live_participant(store, date, user)?;
            store.participants[id as usize - 1].cancelled = true;
            Ok(())
        })
    }

    /// A record as its owner's token would see its detail, or `None` when deleted or unknown.
    pub fn record(&self, resource: Resource, id: u32) -> Option<Value> {
        let store = self.sim.read();
        let ctx = self.sim.ctx(&store);
        if *deleted_flag_ref(&store, resource, id)? {
            return None;
        }
        let value = match resource {
            Resource::Users => serde_json::to_value(render::users::user_detail(&ctx, id)?),
            Resource::Projects => serde_json::to_value(render::projects::project_detail(&ctx, id)?),
            Resource::ProjectDates => {
                serde_json::to_value(render::projects::date_detail(&ctx, id)?)
            }
            Resource::Groups => serde_json::to_value(render::groups::group(&ctx, id)?),
            Resource::Forms => serde_json::to_value(render::forms::form(&ctx, id)?),
            Resource::FormCompletions => serde_json::to_value(render::forms::completion(&ctx, id)?),
            Resource::Campaigns => serde_json::to_value(render::catalog::campaign(&ctx, id)?),
            Resource::Certificates => serde_json::to_value(render::catalog::certificate(&ctx, id)?),
            Resource::Organizations => serde_json::to_value(render::catalog::org(&ctx, id)?),
        };
        value.ok()
    }

    /// How many records of `resource` exist, deleted ones included (ids run 1..=count).
    pub fn count(&self, resource: Resource) -> u32 {
        let store = self.sim.read();
        let len = match resource {
            Resource::Users => store.users.len(),
            Resource::Projects => store.projects.len(),
            Resource::ProjectDates => store.dates.len(),
            Resource::Groups => store.groups.len(),
            Resource::Forms => store.forms.len(),
            Resource::FormCompletions => store.completions.len(),
            Resource::Campaigns => store.campaigns.len(),
            Resource::Certificates => store.certificates.len(),
            Resource::Organizations => store.orgs.len(),
        };
        len as u32
    }

    /// The members of a live group as `GET /groups/{id}/members` lists them to the group's own
    /// organisation, ascending; none for a deleted or unknown group.
    pub fn members(&self, group: u32) -> Option<Vec<u32>> {
        let store = self.sim.read();
        let group = store.group(u64::from(group)).filter(|g| !g.deleted)?;
        let shown = |user: &&u32| crate::api::groups::is_member(&store, group.org, **user);
        Some(group.members.iter().filter(shown).copied().collect())
    }

    /// The organisation that owns a record (for dates and completions, their parent's).
    pub fn owner(&self, resource: Resource, id: u32) -> Option<u32> {
        let store = self.sim.read();
        let id = u64::from(id);
        match resource {
            Resource::Users => store.user(id).map(|u| u.org),
            Resource::Projects => store.project(id).map(|p| p.org),
            Resource::ProjectDates => {
                let project = store.date(id)?.project;
                store.project(u64::from(project)).map(|p| p.org)
            }
            Resource::Groups => store.group(id).map(|g| g.org),
            Resource::Forms => store.form(id).map(|f| f.org),
            Resource::FormCompletions => {
                let form = store.completion(id)?.form;
                store.form(u64::from(form)).map(|f| f.org)
            }
            Resource::Campaigns => store.campaign(id).map(|c| c.org),
            Resource::Certificates => store.certificate(id).map(|c| c.org),
            Resource::Organizations => store.org(id).map(|o| o.id),
        }
    }

    /// Adds a fault to the customer API.
    pub fn inject(&self, fault: Fault) {
        tracing::info!(?fault, "fault injected");
        self.sim.faults.inject(fault);
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.sim.faults.clear();
    }

    /// The faults still waiting for matching requests.
    pub fn faults(&self) -> Vec<Fault> {
        self.sim.faults.list()
    }

    /// Replaces the per-token rate limit (`None` turns it off).
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.sim.limiter.set_limit(limit);
    }

    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.sim.limiter.limit()
    }

    /// Request counters of one customer's token.
    pub fn stats(&self, customer: u32) -> TokenStats {
        self.sim.log.stats(customer)
    }

    /// Request counters of every customer that made a request.
    pub fn all_stats(&self) -> BTreeMap<u32, TokenStats> {
        self.sim.log.all_stats()
    }

    /// Requests that carried no valid token.
    pub fn unauthenticated_requests(&self) -> u64 {
        self.sim.log.unauthenticated()
    }

    /// The most recent requests with their times, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.sim.log.recent()
    }

    /// Forgets counters and logged requests.
    pub fn reset_requests(&self) {
        self.sim.log.reset();
    }

    fn write<T>(
        &self,
        change: impl FnOnce(&mut Store) -> Result<T, ControlError>,
    ) -> Result<T, ControlError> {
        let mut store = self.sim.write();
        let outcome = change(&mut store);
        store.bump();
        outcome
    }
}

fn object(fields: Value) -> Result<Map<String, Value>, ControlError> {
    match fields {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(ControlError::NotAnObject),
    }
}

fn set_updated(
    store: &mut Store,
    resource: Resource,
    id: u32,
    at: Secs,
) -> Result<(), ControlError> {
    let slot = match resource {
        Resource::Users => &mut record(&mut store.users, id, "user")?.updated,
        Resource::Projects => &mut record(&mut store.projects, id, "project")?.updated,
        Resource::ProjectDates => &mut record(&mut store.dates, id, "project date")?.updated,
        Resource::Groups => &mut record(&mut store.groups, id, "group")?.updated,
        Resource::Forms => &mut record(&mut store.forms, id, "form")?.updated,
        Resource::FormCompletions => {
            &mut record(&mut store.completions, id, "form completion")?.updated
        }
        Resource::Campaigns => &mut record(&mut store.campaigns, id, "campaign")?.updated,
        Resource::Certificates => &mut record(&mut store.certificates, id, "certificate")?.updated,
        Resource::Organizations => &mut record(&mut store.orgs, id, "organization")?.updated,
    };
    *slot = at;
    Ok(())
}

fn deleted_flag(store: &mut Store, resource: Resource, id: u32) -> Result<&mut bool, ControlError> {
    Ok(match resource {
        Resource::Users => &mut record(&mut store.users, id, "user")?.deleted,
        Resource::Projects => &mut record(&mut store.projects, id, "project")?.deleted,
        Resource::ProjectDates => &mut record(&mut store.dates, id, "project date")?.deleted,
        Resource::Groups => &mut record(&mut store.groups, id, "group")?.deleted,
        Resource::Forms => &mut record(&mut store.forms, id, "form")?.deleted,
        Resource::FormCompletions => {
            &mut record(&mut store.completions, id, "form completion")?.deleted
        }
        Resource::Campaigns => &mut record(&mut store.campaigns, id, "campaign")?.deleted,
        Resource::Certificates => &mut record(&mut store.certificates, id, "certificate")?.deleted,
        Resource::Organizations => &mut record(&mut store.orgs, id, "organization")?.deleted,
    })
}

fn deleted_flag_ref(store: &Store, resource: Resource, id: u32) -> Option<&bool> {
    let id = u64::from(id);
    Some(match resource {
        Resource::Users => &store.user(id)?.deleted,
        Resource::Projects => &store.project(id)?.deleted,
        Resource::ProjectDates => &store.date(id)?.deleted,
        Resource::Groups => &store.group(id)?.deleted,
        Resource::Forms => &store.form(id)?.deleted,
        Resource::FormCompletions => &store.completion(id)?.deleted,
        Resource::Campaigns => &store.campaign(id)?.deleted,
        Resource::Certificates => &store.certificate(id)?.deleted,
        Resource::Organizations => &store.org(id)?.deleted,
    })
}

fn live_participant(store: &Store, date: u32, user: u32) -> Result<u32, ControlError> {
    let found = store.date(u64::from(date)).and_then(|d| {
        store.live_participants(d).into_iter().find(|(_, p)| p.user == user).map(|(id, _)| id)
    });
    found.ok_or_else(|| not_found("participant", user))
}

fn participant_fields(
    p: &mut Participant,
    fields: &Map<String, Value>,
) -> Result<(), ControlError> {
    for (key, value) in fields {
        match key.as_str() {
            "hours" => {
                let hours = value
                    .as_f64()
                    .or_else(|| value.as_str()?.parse().ok())
                    .filter(|h| *h >= 0.0)
                    .ok_or_else(|| {
                        ControlError::invalid(key, format!("expected hours, got `{value}`"))
                    })?;
                p.hours_centi = (hours * 100.0).round() as u32;
            }
            "verified" => p.verified = fields::flag(key, value)?,
            "guests" => p.guests = value.as_u64().unwrap_or(0).min(255) as u8,
            "team_lead" => p.lead = fields::flag(key, value)?,
            "signed_up_at" => p.signed_up = fields::instant(key, value)?,
            "checked_in_at" => p.checked_in = Some(fields::instant(key, value)?),
            "checked_out_at" => p.checked_out = Some(fields::instant(key, value)?),
            _ => {
                return Err(ControlError::UnknownField {
                    resource: "participants",
                    field: key.clone(),
                });
            }
        }
    }
    Ok(())
}
