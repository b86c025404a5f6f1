//! Settling a batch of carried-out actions: their new states in the journal and everything they
//! changed (partner state, dead letters, alerts) in one transaction, one commit for the batch.

use super::alerts::ADD_ALERT;
use super::dead_letters::{ADD_DEAD_LETTER, resolve_statement};
use super::partner::{MARK_DELETED, upsert_statement};
use super::{ActionState, Alert, Micros, PartnerRow, Store, StoreResult, last_per_key};
use super::{on_pool, query_error};

/// Rows per multi-row statement.
const BATCH: usize = 500;

/// What carrying out one action came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub key: String,
    pub record_id: u64,
    /// Done, failed or skipped; the action moves there only from pending.
    pub to: ActionState,
    /// The entry's error: why it failed, or why it was skipped.
    pub error: Option<String>,
    /// For a failed action, the dead-letter queue's reason.
    pub dead_letter: Option<String>,
}

/// What a batch of actions changed, for one customer's resource.
#[derive(Debug, Clone, Default)]
pub struct Settlement {
    pub customer: String,
    pub resource: String,
    pub actions: Vec<Settled>,
    /// Records the external system took: partner state holds them now, and their dead letters
    /// are resolved.
    pub pushed: Vec<PartnerRow>,
    /// Records deleted downstream: partner state marks them deleted.
    pub deleted: Vec<u64>,
    pub alerts: Vec<Alert>,
}

impl Store {
    /// Settles a batch in one transaction. Returns, per action, whether it moved out of pending
    /// in this call: one that had already moved (a concurrent review decision) is not counted,
    /// and its failure adds no dead letter.
    pub async fn settle(&self, batch: &Settlement, now: Micros) -> StoreResult<Vec<bool>> {
        let doing = "settling carried-out actions";
        let state = "UPDATE action_journal SET state = $1, error = $2, updated_at = $3, \
                     attempts = attempts + $4 WHERE key = $5 AND state = 'pending'";
        let (customer, resource) = (batch.customer.as_str(), batch.resource.as_str());
        let pushed = last_per_key(&batch.pushed, |r| r.id);
        let resolved: Vec<u64> = pushed.iter().map(|r| r.id).collect();

        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            let mut moved = Vec::with_capacity(batch.actions.len());
            for action in &batch.actions {
                let tried = i64::from(matches!(action.to, ActionState::Done | ActionState::Failed));
                let done = sqlx::query(state)
                    .bind(action.to.as_str())
                    .bind(action.error.as_deref())
                    .bind(now)
                    .bind(tried)
                    .bind(&action.key)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(doing))?;
                moved.push(done.rows_affected() == 1);
            }
            for chunk in pushed.chunks(BATCH) {
                let mut insert = upsert_statement(chunk);
                insert
                    .build()
                    .persistent(false)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(doing))?;
            }
            for chunk in resolved.chunks(BATCH) {
                let mut update = resolve_statement(customer, resource, chunk, now);
                update
                    .build()
                    .persistent(false)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(doing))?;
            }
            for id in &batch.deleted {
                sqlx::query(MARK_DELETED)
                    .bind(now)
                    .bind(customer)
                    .bind(resource)
                    .bind(*id as i64)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(doing))?;
            }
            let settled = batch.actions.iter().zip(&moved).filter(|(_, moved)| **moved);
            for (action, reason) in settled.filter_map(|(a, _)| Some((a, a.dead_letter.as_ref()?)))
            {
                sqlx::query(ADD_DEAD_LETTER)
                    .bind(customer)
                    .bind(resource)
                    .bind(action.record_id as i64)
                    .bind(reason)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(doing))?;
            }
            for raised in &batch.alerts {
                sqlx::query(ADD_ALERT)
                    .bind(&raised.customer)
                    .bind(raised.run_id)
                    .bind(&raised.severity)
                    .bind(&raised.kind)
                    .bind(&raised.message)
                    .bind(raised.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error(doing))?;
            }
            tx.commit().await.map_err(query_error(doing))?;
            Ok(moved)
        })
    }
}
