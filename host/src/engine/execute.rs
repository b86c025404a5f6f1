//! Carries out journaled actions: each is sent under its idempotency key, then marked done; a
//! failure marks it failed and goes to the dead-letter queue. Whatever a crash left pending is
//! carried out by the next run before it starts its own work.

use serde::Serialize;

use crate::bindings::Severity;
use crate::external::PushOutcome;
use crate::runtime::PluginWorker;
use crate::store::{ActionState, Alert, JournalEntry, StoreError, now_micros};
use crate::throttle::Priority;
use crate::vomo::{Detail, VomoClient, parse_raw};

use super::full::{detail_outcome, verdict_detected};
use super::journal::Payload;
use super::process::{Target, partner_row};

/// What executing a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Executed {
    pub taken: u64,
    pub failed: u64,
    /// Not carried out on purpose: superseded by a newer version, or not a deletion after all.
    pub skipped: u64,
}

/// What the executor reaches: the customer's target, VOMO for late confirmations, the plugin.
#[derive(Clone, Copy)]
pub struct Executor<'a> {
    pub target: Target<'a>,
    pub vomo: &'a VomoClient,
    pub plugin: &'a PluginWorker,
}

/// Why one action was not carried out.
enum Failure {
    /// Tried and failed: the dead-letter queue gets it.
    Action(String),
    /// Deliberately left alone; the reason is kept on the entry.
    Skip(String),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Store(error)
    }
}

impl Executor<'_> {
    /// Carries out every pending action of this customer's resource, oldest first.
    pub async fn execute_pending(&self) -> Result<Executed, StoreError> {
        let target = &self.target;
        let pending = target.store.actions_in_state(target.customer, ActionState::Pending).await?;
        let mine: Vec<JournalEntry> =
            pending.into_iter().filter(|entry| entry.resource == target.resource).collect();
        self.execute(&mine).await
    }

    /// Carries out `entries`, each at most once: an entry no longer pending is skipped, and an
    /// action counts only when this call moved it out of pending.
    pub async fn execute(&self, entries: &[JournalEntry]) -> Result<Executed, StoreError> {
        let mut executed = Executed::default();
        for entry in entries.iter().filter(|e| e.state == ActionState::Pending) {
            let (to, reason) = match self.carry_out(entry).await {
                Ok(()) => (ActionState::Done, None),
                Err(Failure::Skip(reason)) => (ActionState::Skipped, Some(reason)),
                Err(Failure::Action(reason)) => (ActionState::Failed, Some(reason)),
                Err(Failure::Store(error)) => return Err(error),
            };
            let now = now_micros();
            let store = self.target.store;
            let moved = store
                .set_action_state(&entry.key, ActionState::Pending, to, reason.as_deref(), now)
                .await?;
            if !moved {
                continue;
            }
            match to {
                ActionState::Done => executed.taken += 1,
                ActionState::Skipped => executed.skipped += 1,
                _ => {
                    let reason = reason.unwrap_or_default();
                    tracing::warn!(customer = entry.customer, key = entry.key,
                        id = entry.record_id, action = entry.action, %reason, "action failed");
                    let why = format!("{} failed: {reason}", entry.action);
                    store
                        .add_dead_letter(&entry.customer, &entry.resource, entry.record_id, &why, now)
                        .await?;
                    executed.failed += 1;
                }
            }
        }
        Ok(executed)
    }

    async fn carry_out(&self, entry: &JournalEntry) -> Result<(), Failure> {
        let payload: Payload = serde_json::from_str(&entry.payload)
            .map_err(|e| Failure::Action(format!("unreadable payload: {e}")))?;
        let key = Some(entry.key.as_str());
        match entry.action.as_str() {
            "reprocess" | "push_external" => self.push(entry, &payload, key).await,
            "mark_deleted" => self.delete(entry, &payload, key).await,
            "alert" => {
                let severity = payload.severity.unwrap_or_else(|| "low".to_owned());
                let message = payload.message.unwrap_or_default();
                let alert =
                    Alert::now(&entry.customer, Some(entry.run_id), &severity, "plugin", message);
                Ok(self.target.store.add_alert(&alert).await?)
            }
            other => Err(Failure::Action(format!("unknown action `{other}`"))),
        }
    }

    /// Pushes VOMO's record to the external system, then records it in partner state.
    async fn push(
        &self,
        entry: &JournalEntry,
        payload: &Payload,
        key: Option<&str>,
    ) -> Result<(), Failure> {
        let target = &self.target;
        let raw =
            payload.record.as_ref().ok_or_else(|| Failure::Action("no record to push".into()))?;
        let record = parse_raw(raw, target.schema).map_err(Failure::Action)?;
        let updated_at = record.updated_at.map_or(0, |at| at.timestamp_micros());
        self.check_not_superseded(record.id, updated_at).await?;
        let outcome = target.external.upsert_once(target.resource, record.id, raw, key).await;
        applied(outcome)?;
        let now = now_micros();
        target
            .store
            .upsert_partner_states(&[partner_row(target, &record, updated_at, now)])
            .await?;
        target
            .store
            .resolve_dead_letters(&entry.customer, &entry.resource, &[record.id], now)
            .await?;
        Ok(())
    }

    /// Refuses to push a version older than the one partner state already holds: an action
    /// carried out late (after a crash, or a review) must not undo newer work.
    async fn check_not_superseded(&self, id: u64, updated_at: i64) -> Result<(), Failure> {
        let target = &self.target;
        let rows = target.store.partner_states(target.customer, target.resource, &[id]).await?;
        match rows.first() {
            Some(row) if row.updated_at > updated_at => Err(Failure::Skip(format!(
                "superseded: partner state already holds a version updated at {} µs, newer \
                 than this one at {updated_at} µs",
                row.updated_at
            ))),
            _ => Ok(()),
        }
    }

    /// Deletes the record downstream and marks it deleted in partner state. A deletion the run
    /// could not confirm is confirmed now; a record that still exists is left alone, with an
    /// alert.
    async fn delete(
        &self,
        entry: &JournalEntry,
        payload: &Payload,
        key: Option<&str>,
    ) -> Result<(), Failure> {
        let target = &self.target;
        let id = entry.record_id;
        if !payload.confirmed && !self.confirm(entry).await? {
            return Err(Failure::Skip("not deleted: the record still exists in VOMO".into()));
        }
        applied(target.external.delete_once(target.resource, id, key).await)?;
        target
            .store
            .mark_partner_deleted(target.customer, target.resource, id, now_micros())
            .await?;
        Ok(())
    }

    /// Whether a detail fetch and the plugin agree that the record is deleted.
    async fn confirm(&self, entry: &JournalEntry) -> Result<bool, Failure> {
        let target = &self.target;
        let detail = self
            .vomo
            .detail(target.resource, entry.record_id, Priority::Reconciliation, target.schema)
            .await
            .map_err(|e| Failure::Action(e.to_string()))?;
        let still_there = matches!(detail, Detail::Found(_) | Detail::Forbidden);
        let verdict = self.plugin.classify_missing(entry.record_id, detail_outcome(detail)).await;
        let detected = verdict_detected(entry.record_id, verdict);
        if detected.confirmed && !still_there {
            return Ok(true);
        }
        let message = format!(
            "record {} was held as a deletion but {}: not deleted",
            entry.record_id,
            detected.findings.first().map_or("could not be classified", |f| f.detail.as_str())
        );
        let low = super::findings::severity(Severity::Low);
        let alert = Alert::now(&entry.customer, Some(entry.run_id), low, "scope_change", message);
        target.store.add_alert(&alert).await?;
        Ok(false)
    }
}

fn applied(outcome: Result<PushOutcome, crate::external::ExternalError>) -> Result<(), Failure> {
    match outcome {
        Ok(PushOutcome::Applied) => Ok(()),
        Ok(PushOutcome::Pending { push_id }) => Err(Failure::Action(format!(
            "the external system queued push `{push_id}` instead of applying it"
        ))),
        Err(error) => Err(Failure::Action(error.to_string())),
    }
}
