//! The failures polling misses, each injected the way a faulty integration would leave it: VOMO
//! changes, and partner state, the checkpoint or the external system end up behind.

use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;
use vomo_sim::{Control, ExternalFault, ExternalHandle, Fault, Resource};

use crate::engine::{Target, poll, process};
use crate::store::now_micros;
use crate::throttle::Priority;
use crate::vomo::{ListQuery, VomoClient};

/// One injected failure: what it was, whom it hit, which records.
#[derive(Debug, Clone)]
pub struct Injected {
    pub fault: &'static str,
    pub customer: String,
    pub resource: &'static str,
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
        Injected {
            fault,
            customer: self.target.customer.to_owned(),
            resource: "users",
            ids: ids.iter().map(|id| u64::from(*id)).collect(),
        }
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

    /// The user left the organisation: gone from the listing, but the detail still answers.
    pub fn moved_out_of_scope(&mut self) -> anyhow::Result<Injected> {
        let ids = self.take(1)?;
        self.control.remove_user_from_org(ids[0]).context("removing a user from its org")?;
        Ok(self.injected("user moved out of scope", &ids))
    }
}

/// The users of organisation `org`, ascending.
pub fn users_of(control: &Control, org: u32) -> Vec<u32> {
    let count = control.count(Resource::Users);
    (1..=count).filter(|id| control.owner(Resource::Users, *id) == Some(org)).collect()
}
