//! Settling a batch of carried-out actions: their new states in the journal and everything they
//! changed (partner state, dead letters, alerts) in one transaction, one commit for the batch.

use std::collections::{BTreeMap, HashSet};

use sqlx::{QueryBuilder, Row};

use super::dead_letters::{ADD_DEAD_LETTER, resolve_statement};
use super::partner::{MARK_DELETED, upsert_statement};
use super::{ActionState, Alert, Micros, PartnerRow, Store, StoreResult, last_per_key};
use super::{on_pool, query_error, run_batch};

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
        let (customer, resource) = (batch.customer.as_str(), batch.resource.as_str());
        let pushed = last_per_key(&batch.pushed, |r| r.id);
        let resolved: Vec<u64> = pushed.iter().map(|r| r.id).collect();
        let outcomes = outcomes(&batch.actions);

        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            let mut moved_keys = HashSet::new();
            for (outcome, keys) in &outcomes {
                for chunk in keys.chunks(BATCH) {
                    let mut update = state_statement(outcome, chunk, now);
                    let rows = run_batch!(update, fetch_all, &mut *tx, doing)?;
                    for row in rows {
                        let key: String = row.try_get(0).map_err(query_error(doing))?;
                        moved_keys.insert(key);
                    }
                }
            }
            // A key given twice moved once: the first of them counts.
            let mut counted = HashSet::new();
            let moved: Vec<bool> = batch
                .actions
                .iter()
                .map(|a| moved_keys.contains(&a.key) && counted.insert(a.key.as_str()))
                .collect();
            for chunk in pushed.chunks(BATCH) {
                let mut insert = upsert_statement(chunk);
                run_batch!(insert, execute, &mut *tx, doing)?;
            }
            for chunk in resolved.chunks(BATCH) {
                let mut update = resolve_statement(customer, resource, chunk, now);
                run_batch!(update, execute, &mut *tx, doing)?;
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
            for chunk in batch.alerts.chunks(BATCH) {
                let mut insert = alerts_statement(chunk);
                run_batch!(insert, execute, &mut *tx, doing)?;
            }
            tx.commit().await.map_err(query_error(doing))?;
            Ok(moved)
        })
    }
}

/// Where a group of actions moves, and what the journal records with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Outcome<'a> {
    to: &'a str,
    error: Option<&'a str>,
    /// 1 when the action was tried (done or failed), 0 when it was skipped.
    tried: i64,
}

/// The batch's actions grouped by outcome, so each group moves in one statement: nearly every
/// action of a batch comes to the same end, and a statement per action was a round trip each.
fn outcomes(actions: &[Settled]) -> BTreeMap<Outcome<'_>, Vec<&str>> {
    let mut groups: BTreeMap<Outcome<'_>, Vec<&str>> = BTreeMap::new();
    for action in actions {
        let tried = i64::from(matches!(action.to, ActionState::Done | ActionState::Failed));
        let outcome = Outcome { to: action.to.as_str(), error: action.error.as_deref(), tried };
        groups.entry(outcome).or_default().push(&action.key);
    }
    groups
}

/// Moves the pending ones among `keys` to `outcome`, returning the keys it moved.
fn state_statement<DB>(outcome: &Outcome<'_>, keys: &[&str], now: Micros) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<&'t str>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut update = QueryBuilder::new("UPDATE action_journal SET state = ");
    update.push_bind(outcome.to).push(", error = ");
    update.push_bind(outcome.error).push(", updated_at = ").push_bind(now);
    update.push(", attempts = attempts + ").push_bind(outcome.tried);
    update.push(" WHERE state = 'pending' AND key IN (");
    let mut list = update.separated(", ");
    for key in keys {
        list.push_bind(*key);
    }
    update.push(") RETURNING key");
    update
}

/// Inserts `alerts` in one statement.
fn alerts_statement<DB>(alerts: &[Alert]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut insert = QueryBuilder::new(
        "INSERT INTO alerts (customer, run_id, severity, kind, message, created_at) ",
    );
    insert.push_values(alerts, |mut row, alert| {
        row.push_bind(alert.customer.as_str()).push_bind(alert.run_id);
        row.push_bind(alert.severity.as_str()).push_bind(alert.kind.as_str());
        row.push_bind(alert.message.as_str()).push_bind(alert.created_at);
    });
    insert
}
