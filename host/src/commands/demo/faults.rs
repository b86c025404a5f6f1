//! The failures polling misses, each injected the way a faulty integration would leave it: VOMO
//! changes, and partner state, the checkpoint or the external system end up behind.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde_json::json;
use vomo_sim::{Control, ExternalFault, ExternalHandle, Fault, Resource};

use crate::engine::{ParticipationWindow, Target, poll, process};
use crate::store::now_micros;
use crate::throttle::Priority;
use crate::vomo::{ListQuery, VomoClient};

/// One injected failure: what it was, whom it hit, which records.
#[derive(Debug, Clone)]
pub struct Injected {
    pub fault: &'static str,
    pub customer: String,
    pub resource: String,
    pub ids: Vec<u64>,
}

/// What an injection works on: one customer's side of the world.
pub struct Scene<'a> {
    pub control: &'a Control,
    pub crm: &'a ExternalHandle,
    pub target: Target<'a>,
    pub vomo: &'a VomoClient,
    /// The customer's organisation in the simulator.
    pub org: u32,
    /// Users of the customer no fault has touched yet, ascending.
    pub spare: Vec<u32>,
    /// Records of other resources a fault already changed.
    pub touched: Vec<(Resource, u32)>,
}

impl Scene<'_> {
    fn take(&mut self, count: usize) -> anyhow::Result<Vec<u32>> {
        anyhow::ensure!(self.spare.len() >= count, "the demo ran out of users to change");
        Ok(self.spare.drain(..count).collect())
    }

    fn tick(&self) {
        self.control.advance(Duration::from_secs(60));
    }

    fn update(&self, ids: &[u32], tag: &str) -> anyhow::Result<()> {
        for id in ids {
            let fields = json!({"first_name": format!("{tag}{id}")});
            self.control.update(Resource::Users, *id, fields).context("updating a user")?;
        }
        Ok(())
    }

    /// The integration moves its checkpoint to now, whatever it processed.
    async fn advance_checkpoint(&self) -> anyhow::Result<()> {
        self.tick();
        let at = self.control.now().timestamp_micros();
        let t = &self.target;
        t.store.set_checkpoint(t.customer, t.resource, at, now_micros()).await?;
        Ok(())
    }

    fn injected(&self, fault: &'static str, ids: &[u32]) -> Injected {
        self.injected_in(Resource::Users, fault, ids)
    }

    fn injected_in(&self, resource: Resource, fault: &'static str, ids: &[u32]) -> Injected {
        Injected {
            fault,
            customer: self.target.customer.to_owned(),
            resource: resource.name().to_owned(),
            ids: ids.iter().map(|id| u64::from(*id)).collect(),
        }
    }

    /// A record of the customer's `resource` no fault has touched yet, holding at least `items`
    /// of what `count` counts. The record polling read last is never chosen: `updated_after` is
    /// inclusive, so every poll reads it again and would repair the failure by chance.
    fn untouched(
        &mut self,
        resource: Resource,
        items: usize,
        count: impl Fn(&Control, u32) -> usize,
    ) -> anyhow::Result<u32> {
        let mut candidates = records_of(self.control, resource, self.org);
        let updated = |id: &u32| {
            let record = self.control.record(resource, *id).unwrap_or_default();
            record.get("updated_at").and_then(|at| at.as_str()).map(str::to_owned)
        };
        if let Some(latest) = candidates.iter().copied().max_by_key(updated) {
            candidates.retain(|id| *id != latest);
        }
        let fresh = |id: &u32| !self.touched.contains(&(resource, *id));
        let found =
            candidates.into_iter().find(|id| fresh(id) && count(self.control, *id) >= items);
        let id =
            found.with_context(|| format!("the demo ran out of {} to change", resource.name()))?;
        self.touched.push((resource, id));
        Ok(id)
    }

    /// Ordinary traffic, processed by polling as it should be.
    pub async fn ordinary_changes(&mut self, count: usize) -> anyhow::Result<()> {
        let ids = self.take(count)?;
        self.tick();
        self.update(&ids, "Renamed")?;
        self.tick();
        poll(&self.target, self.vomo).await?;
        Ok(())
    }

    /// A worker took a batch, processed half of it and died; the checkpoint had moved on.
    pub async fn worker_crash(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(6)?;
        self.tick();
        self.update(&ids, "Crashed")?;
        let t = &self.target;
        let since = t.store.checkpoint(t.customer, t.resource).await?;
        let query = ListQuery {
            updated_after: since.and_then(chrono::DateTime::from_timestamp_micros),
            ..ListQuery::default()
        };
        let mut listing = self.vomo.list(t.resource, &query, Priority::Polling, t.schema);
        let mut batch = Vec::new();
        while let Some(page) = listing.next_page().await? {
            batch.extend(page.records);
        }
        let lost: Vec<u32> = ids[ids.len() / 2..].to_vec();
        batch.retain(|r| !lost.iter().any(|id| u64::from(*id) == r.id));
        process(t, &batch, now_micros()).await?;
        self.advance_checkpoint().await?;
        Ok(self.injected("worker crash mid-batch", &lost))
    }

    /// A push failed, the record went to the dead-letter queue, and nobody retried it.
    pub async fn forgotten_dead_letter(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(1)?;
        self.tick();
        self.update(&ids, "Dead")?;
        self.crm.inject(ExternalFault::FailAsync { count: 1, delay_ms: 0 });
        poll(&self.target, self.vomo).await?;
        self.crm.clear_faults();
        self.advance_checkpoint().await?;
        Ok(self.injected("record sent to the dead-letter queue and forgotten", &ids))
    }

    /// The checkpoint moved past records nobody processed.
    pub async fn checkpoint_skipped(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(3)?;
        self.tick();
        self.update(&ids, "Skipped")?;
        self.advance_checkpoint().await?;
        Ok(self.injected("checkpoint advanced past unprocessed records", &ids))
    }

    /// The listing broke off on its second page; the integration took what it had and moved on.
    pub async fn broken_pagination(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(20)?;
        self.tick();
        self.update(&ids, "Paged")?;
        let fault = Fault::DropConnection {
            path: "/users".to_owned(),
            page: 2,
            count: 50,
            customer: Some(self.org),
        };
        self.control.inject(fault);
        let broke = poll(&self.target, self.vomo).await;
        self.control.clear_faults();
        anyhow::ensure!(broke.is_err(), "the injected network error did not break the listing");
        self.advance_checkpoint().await?;
        // Page one (15 records, ascending ids) was processed; the rest was not.
        Ok(self.injected("network error during pagination", &ids[15..]))
    }

    /// A user was deleted in VOMO: polling never lists a deleted record.
    pub fn deletion(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(1)?;
        self.control.delete(Resource::Users, ids[0]).context("deleting a user")?;
        Ok(self.injected("deletion", &ids))
    }

    /// A field changed without `updated_at` moving.
    pub fn silent_change(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(1)?;
        let fields = json!({"phone": "+1 555 0100 999"});
        self.control.update_silently(Resource::Users, ids[0], fields).context("silent change")?;
        Ok(self.injected("field changed without moving updated_at", &ids))
    }

    /// The external system answered 200 to a push and dropped it.
    pub async fn dropped_push(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(1)?;
        self.tick();
        self.update(&ids, "Dropped")?;
        let id = ids[0].to_string();
        self.crm.inject(ExternalFault::DropId { resource: "users".to_owned(), id });
        self.tick();
        poll(&self.target, self.vomo).await?;
        self.crm.clear_faults();
        Ok(self.injected("push the external system silently dropped", &ids))
    }

    /// A date was added to a project; a project's `updated_at` does not move for its dates.
    pub fn date_added(&mut self) -> anyhow::Result<Injected> {
        let project = self.untouched(Resource::Projects, 0, |_, _| 0)?;
        let fields = json!({"project_id": project});
        self.control.create(Resource::ProjectDates, self.org, fields).context("adding a date")?;
        Ok(self.injected_in(
            Resource::Projects,
            "project date added behind the integration's back",
            &[project],
        ))
    }

    /// A date was removed from a project, with its sign-ups.
    pub fn date_removed(&mut self) -> anyhow::Result<Injected> {
        let project = self.untouched(Resource::Projects, 1, |c, id| dates_of(c, id).len())?;
        let date = dates_of(self.control, project)[0];
        self.control.delete(Resource::ProjectDates, date).context("removing a date")?;
        Ok(self.injected_in(
            Resource::Projects,
            "project date removed behind the integration's back",
            &[project],
        ))
    }

    /// A member was taken out of a group; membership changes move no `updated_at`.
    pub fn member_removed(&mut self) -> anyhow::Result<Injected> {
        let members = |c: &Control, id| c.members(id).unwrap_or_default();
        let group = self.untouched(Resource::Groups, 2, |c, id| members(c, id).len())?;
        let kept = members(self.control, group)[1..].to_vec();
        let fields = json!({"members": kept});
        self.control.update_silently(Resource::Groups, group, fields).context("membership")?;
        Ok(self.injected_in(Resource::Groups, "member removed from a group", &[group]))
    }

    /// An admin deleted a group.
    pub fn group_deleted(&mut self) -> anyhow::Result<Injected> {
        let group = self.untouched(Resource::Groups, 0, |_, _| 0)?;
        self.control.delete(Resource::Groups, group).context("deleting a group")?;
        Ok(self.injected_in(Resource::Groups, "group deleted", &[group]))
    }

    /// A form was completed and polling missed it: the integration's completions checkpoint
    /// moved past it.
    pub async fn completion_missed(&mut self) -> anyhow::Result<Injected> {
        let form = self.untouched(Resource::Forms, 0, |_, _| 0)?;
        let user = self.take(1)?[0];
        self.tick();
        let fields = json!({"form_id": form, "user_id": user});
        let completion = self.control.create(Resource::FormCompletions, self.org, fields)?;
        self.tick();
        let (customer, at) = (self.target.customer, self.control.now().timestamp_micros());
        let store = self.target.store;
        store.set_checkpoint(customer, "form_completions", at, now_micros()).await?;
        let fault = "form completion missed";
        Ok(self.injected_in(Resource::FormCompletions, fault, &[completion]))
    }

    /// A volunteer cancelled a sign-up: the date no longer lists them, and nothing moves an
    /// `updated_at`. The date is one the participation pass reads when it runs with `window`,
    /// and the participant one partner state holds, so there is a cancellation to catch.
    pub async fn participant_cancelled(
        &mut self,
        window: ParticipationWindow,
    ) -> anyhow::Result<Injected> {
        let t = &self.target;
        for date in dates_read(self.control, self.org, window) {
            if self.touched.contains(&(Resource::ProjectDates, date)) {
                continue;
            }
            let detail = self.control.record(Resource::ProjectDates, date).unwrap_or_default();
            let participants = detail.get("participants").and_then(|p| p.as_array());
            for participant in participants.into_iter().flatten() {
                let record = participant_id(participant, "id", date)?;
                let held = t.store.partner_states(t.customer, "participations", &[record]).await?;
                if held.first().is_none_or(|row| row.deleted_at.is_some()) {
                    continue;
                }
                let user = participant_id(participant, "user_id", date)?;
                let user = u32::try_from(user).context("a participant's `user_id` is too large")?;
                self.control
                    .cancel_participant(date, user)
                    .context("cancelling a participation")?;
                self.touched.push((Resource::ProjectDates, date));
                return Ok(Injected {
                    fault: "participant cancelled",
                    customer: t.customer.to_owned(),
                    resource: "participations".to_owned(),
                    ids: vec![record],
                });
            }
        }
        anyhow::bail!(
            "no project date the participation pass reads at {} lists a participant partner \
             state holds",
            window.until
        )
    }

    /// The user left the organisation: gone from the listing, but the detail still answers.
    pub fn moved_out_of_scope(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(1)?;
        self.control.remove_user_from_org(ids[0]).context("removing a user from its org")?;
        Ok(self.injected("user moved out of scope", &ids))
    }
}

/// The users of organisation `org`, ascending.
pub fn users_of(control: &Control, org: u32) -> Vec<u32> {
    records_of(control, Resource::Users, org)
}

/// The live records of `resource` that organisation `org` owns, ascending.
pub fn records_of(control: &Control, resource: Resource, org: u32) -> Vec<u32> {
    let count = control.count(resource);
    let owned = |id: &u32| control.owner(resource, *id) == Some(org);
    (1..=count).filter(owned).filter(|id| control.record(resource, *id).is_some()).collect()
}

/// The dates of organisation `org` the participation pass reads with `window`, by project.
pub fn dates_read(control: &Control, org: u32, window: ParticipationWindow) -> Vec<u32> {
    let mut read = Vec::new();
    for project in records_of(control, Resource::Projects, org) {
        let detail = control.record(Resource::Projects, project).unwrap_or_default();
        let dates = detail.get("all_dates").and_then(|d| d.as_array()).cloned().unwrap_or_default();
        let started = dates.iter().filter_map(|date| {
            let starts = date.get("starts_at")?.as_str()?.parse::<DateTime<Utc>>().ok()?;
            Some((u32::try_from(date.get("id")?.as_u64()?).ok()?, starts))
        });
        let started: Vec<(u32, DateTime<Utc>)> = started.collect();
        if started.iter().any(|(_, starts)| window.activates(*starts)) {
            let recent = started.iter().filter(|(_, starts)| window.reads(*starts));
            read.extend(recent.map(|(date, _)| *date));
        }
    }
    read
}

/// A participant's `field` as an id: VOMO's v1 sends some ids as strings.
fn participant_id(participant: &serde_json::Value, field: &str, date: u32) -> anyhow::Result<u64> {
    let value = participant.get(field);
    let id = value.and_then(|id| id.as_u64().or_else(|| id.as_str()?.parse().ok()));
    id.with_context(|| {
        format!("a participant of project date {date} has no usable `{field}`: {participant}")
    })
}

/// The ids of a project's live dates, as its detail lists them.
pub fn dates_of(control: &Control, project: u32) -> Vec<u32> {
    let detail = control.record(Resource::Projects, project).unwrap_or_default();
    let dates = detail.get("all_dates").and_then(|d| d.as_array()).cloned().unwrap_or_default();
    dates.iter().filter_map(|d| d.get("id")?.as_u64()).map(|id| id as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_participant_without_an_id_is_an_error_naming_the_field_not_id_0() {
        let participant = json!({"user_id": "17", "role": "Volunteer"});
        assert_eq!(participant_id(&participant, "user_id", 4).expect("a string id"), 17);
        let error = participant_id(&participant, "id", 4).expect_err("no id").to_string();
        assert!(error.contains("project date 4 has no usable `id`"), "{error}");
        let zero = participant_id(&json!({"id": null}), "id", 4);
        assert!(zero.is_err(), "a null id is no id");
    }
}
