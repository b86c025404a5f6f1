//! Carries out journaled actions: each is sent under its idempotency key, then a batch at a time
//! is settled (done, failed with a dead letter, or skipped) in one transaction. Whatever a crash
//! left pending is carried out by the next run before it starts its own work.

use std::collections::HashMap;

use futures_util::future::join_all;
use serde::Serialize;

use crate::bindings::Severity;
use crate::external::PushOutcome;
use crate::runtime::PluginWorker;
use crate::store::{ActionScope, ActionState, Alert, JournalEntry, PartnerRow, RunId};
use crate::store::{Settled, Settlement, StoreError, now_micros};
use crate::vomo::{Detail, VomoClient, nesting, parse_raw};

use super::by_parent::missing_detail;
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

impl Executed {
    fn add(&mut self, other: Executed) {
        self.taken += other.taken;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
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

/// Actions carried out and settled at a time: one transaction, one commit, per batch.
const BATCH: u32 = 500;
/// Actions of a batch carried out at once. Sent one by one, a batch slept through every
/// answer of the external system, and waking for each cost more than sending it.
const WAVE: usize = 8;

/// What carrying out one action changed.
enum Effect {
    /// The external system took the record; partner state records it.
    Pushed(PartnerRow),
    /// The record was deleted downstream; partner state marks it.
    Deleted(u64),
    Alerted(Alert),
}

impl Executor<'_> {
    /// Carries out every pending action of this customer's resource, whichever run journaled
    /// it: what a crash or a late review left behind.
    pub async fn execute_pending(&self) -> Result<Executed, StoreError> {
        let target = &self.target;
        let scope = ActionScope::Resource { customer: target.customer, resource: target.resource };
        self.execute_scope(scope).await
    }

    /// Carries out the pending actions `run` journaled, a batch at a time.
    pub async fn execute_run(&self, run: RunId) -> Result<Executed, StoreError> {
        self.execute_scope(ActionScope::Run(run)).await
    }

    async fn execute_scope(&self, scope: ActionScope<'_>) -> Result<Executed, StoreError> {
        let mut executed = Executed::default();
        let mut after: Option<String> = None;
        loop {
            let store = self.target.store;
            let batch = store.pending_actions(scope, after.as_deref(), BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.key.clone());
            executed.add(self.execute(&batch).await?);
            if batch.len() < BATCH as usize {
                break;
            }
        }
        Ok(executed)
    }

    /// Carries out `entries`, each at most once: an entry no longer pending is skipped, and an
    /// action counts only when this call moved it out of pending.
    pub async fn execute(&self, entries: &[JournalEntry]) -> Result<Executed, StoreError> {
        let pending: Vec<&JournalEntry> =
            entries.iter().filter(|e| e.state == ActionState::Pending).collect();
        let mut executed = Executed::default();
        for batch in pending.chunks(BATCH as usize) {
            executed.add(self.execute_batch(batch).await?);
        }
        Ok(executed)
    }

    /// Carries out one batch, then settles it in one transaction. A crash before the commit
    /// leaves the batch pending: it is sent again under the same idempotency keys.
    async fn execute_batch(&self, batch: &[&JournalEntry]) -> Result<Executed, StoreError> {
        let target = &self.target;
        let mut held = self.held_versions(batch).await?;
        let mut settlement = Settlement {
            customer: target.customer.to_owned(),
            resource: target.resource.to_owned(),
            ..Settlement::default()
        };
        for wave in waves(batch) {
            let carried = join_all(wave.iter().map(|entry| self.carry_out(entry, &held))).await;
            for (entry, outcome) in wave.iter().zip(carried) {
                settle_one(entry, outcome, &mut held, &mut settlement)?;
            }
        }

        let moved = target.store.settle(&settlement, now_micros()).await?;
        let mut executed = Executed::default();
        for (settled, moved) in settlement.actions.iter().zip(moved) {
            match settled.to {
                _ if !moved => {}
                ActionState::Done => executed.taken += 1,
                ActionState::Skipped => executed.skipped += 1,
                _ => {
                    tracing::warn!(
                        customer = target.customer,
                        key = settled.key,
                        id = settled.record_id,
                        reason = settled.error,
                        "action failed"
                    );
                    executed.failed += 1;
                }
            }
        }
        Ok(executed)
    }

    /// The `updated_at` partner state holds for each record the batch pushes.
    async fn held_versions(
        &self,
        batch: &[&JournalEntry],
    ) -> Result<HashMap<u64, i64>, StoreError> {
        let target = &self.target;
        let pushes =
            batch.iter().filter(|e| matches!(e.action.as_str(), "reprocess" | "push_external"));
        let ids: Vec<u64> = pushes.map(|e| e.record_id).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let held = target.store.partner_updated_at(target.customer, target.resource, &ids).await?;
        Ok(held.into_iter().collect())
    }

    async fn carry_out(
        &self,
        entry: &JournalEntry,
        held: &HashMap<u64, i64>,
    ) -> Result<Effect, Failure> {
        let payload: Payload = serde_json::from_str(&entry.payload)
            .map_err(|e| Failure::Action(format!("unreadable payload: {e}")))?;
        let key = Some(entry.key.as_str());
        match entry.action.as_str() {
            "reprocess" | "push_external" => self.push(&payload, held, key).await,
            "mark_deleted" => self.delete(entry, &payload, key).await,
            "alert" => {
                let severity = payload.severity.unwrap_or_else(|| "low".to_owned());
                let message = payload.message.unwrap_or_default();
                let alert =
                    Alert::now(&entry.customer, Some(entry.run_id), &severity, "plugin", message);
                Ok(Effect::Alerted(alert))
            }
            other => Err(Failure::Action(format!("unknown action `{other}`"))),
        }
    }

    /// Pushes VOMO's record to the external system; partner state records it when the batch
    /// settles. A version older than the one partner state holds is not pushed: an action
    /// carried out late (after a crash, or a review) must not undo newer work.
    async fn push(
        &self,
        payload: &Payload,
        held: &HashMap<u64, i64>,
        key: Option<&str>,
    ) -> Result<Effect, Failure> {
        let target = &self.target;
        let raw =
            payload.record.as_ref().ok_or_else(|| Failure::Action("no record to push".into()))?;
        let mut record = parse_raw(raw, target.schema).map_err(Failure::Action)?;
        record.parent = payload.parent;
        let updated_at = record.updated_at.map_or(0, |at| at.timestamp_micros());
        if let Some(&newer) = held.get(&record.id).filter(|&&at| at > updated_at) {
            return Err(Failure::Skip(format!(
                "superseded: partner state already holds a version updated at {newer} µs, \
                 newer than this one at {updated_at} µs"
            )));
        }
        let outcome = target.external.upsert_once(target.resource, record.id, raw, key).await;
        applied(outcome)?;
        Ok(Effect::Pushed(partner_row(target, &record, updated_at, now_micros())))
    }

    /// Deletes the record downstream; partner state marks it when the batch settles. A deletion
    /// the run could not confirm is confirmed now; a record that still exists is left alone,
    /// with an alert.
    async fn delete(
        &self,
        entry: &JournalEntry,
        payload: &Payload,
        key: Option<&str>,
    ) -> Result<Effect, Failure> {
        let target = &self.target;
        let id = entry.record_id;
        if !payload.confirmed && !self.confirm(entry).await? {
            return Err(Failure::Skip("not deleted: the record still exists in VOMO".into()));
        }
        applied(target.external.delete_once(target.resource, id, key).await)?;
        Ok(Effect::Deleted(id))
    }

    /// Whether a detail fetch and the plugin agree that the record is deleted.
    async fn confirm(&self, entry: &JournalEntry) -> Result<bool, Failure> {
        let target = &self.target;
        let parent = match nesting(target.resource) {
            Some(_) => {
                let ids = [entry.record_id];
                let rows = target.store.partner_states(target.customer, target.resource, &ids);
                rows.await?.first().and_then(|row| row.parent)
            }
            None => None,
        };
        let detail = missing_detail(self.vomo, target, entry.record_id, parent)
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

/// Adds what carrying out `entry` did to the batch's settlement; a store failure ends the
/// batch, left pending.
fn settle_one(
    entry: &JournalEntry,
    outcome: Result<Effect, Failure>,
    held: &mut HashMap<u64, i64>,
    settlement: &mut Settlement,
) -> Result<(), StoreError> {
    let (to, error) = match outcome {
        Ok(effect) => {
            match effect {
                Effect::Pushed(row) => {
                    held.insert(row.id, row.updated_at);
                    settlement.pushed.push(row);
                }
                Effect::Deleted(id) => settlement.deleted.push(id),
                Effect::Alerted(alert) => settlement.alerts.push(alert),
            }
            (ActionState::Done, None)
        }
        Err(Failure::Skip(reason)) => (ActionState::Skipped, Some(reason)),
        Err(Failure::Action(reason)) => (ActionState::Failed, Some(reason)),
        Err(Failure::Store(error)) => return Err(error),
    };
    let dead_letter = (to == ActionState::Failed)
        .then(|| format!("{} failed: {}", entry.action, error.as_deref().unwrap_or("")));
    let (key, record_id) = (entry.key.clone(), entry.record_id);
    settlement.actions.push(Settled { key, record_id, to, error, dead_letter });
    Ok(())
}

/// `batch` cut, in order, into waves of at most [`WAVE`] actions on distinct records: a wave's
/// actions are carried out together, and an action on a record a wave already touches waits
/// for the next, so it sees what the one before it did.
fn waves<'b, 'e>(batch: &'b [&'e JournalEntry]) -> Vec<&'b [&'e JournalEntry]> {
    let mut waves = Vec::new();
    let mut start = 0;
    for (end, entry) in batch.iter().enumerate() {
        let wave = &batch[start..end];
        if wave.len() == WAVE || wave.iter().any(|other| other.record_id == entry.record_id) {
            waves.push(wave);
            start = end;
        }
    }
    if start < batch.len() {
        waves.push(&batch[start..]);
    }
    waves
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(record_id: u64) -> JournalEntry {
        JournalEntry {
            key: format!("key-{record_id}"),
            run_id: 1,
            customer: "acme".into(),
            resource: "users".into(),
            record_id,
            action: "reprocess".into(),
            payload: "{}".into(),
            state: ActionState::Pending,
            attempts: 0,
        }
    }

    fn wave_ids(ids: &[u64]) -> Vec<Vec<u64>> {
        let entries: Vec<JournalEntry> = ids.iter().map(|&id| entry(id)).collect();
        let batch: Vec<&JournalEntry> = entries.iter().collect();
        waves(&batch).iter().map(|wave| wave.iter().map(|e| e.record_id).collect()).collect()
    }

    #[test]
    fn waves_keep_the_batch_order_and_hold_at_most_a_wave_each() {
        let ids: Vec<u64> = (1..=19).collect();
        let waves = wave_ids(&ids);
        assert_eq!(waves.iter().map(Vec::len).collect::<Vec<_>>(), [WAVE, WAVE, 3]);
        assert_eq!(waves.concat(), ids, "every action once, in order");
        assert!(wave_ids(&[]).is_empty());
    }

    #[test]
    fn a_second_action_on_a_record_waits_for_the_next_wave() {
        assert_eq!(wave_ids(&[1, 2, 1, 3, 3]), [vec![1, 2], vec![1, 3], vec![3]]);
    }
}
