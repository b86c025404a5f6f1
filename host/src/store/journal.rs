//! The action journal: every corrective action, written with a deterministic idempotency key
//! before anything is sent, so a crash between the two neither loses nor repeats it.

use sqlx::QueryBuilder;

use super::reviews::QUEUE_REVIEW;
use super::{Micros, Review, RunId, Store, StoreError, StoreResult, column, on_pool, query_error};

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionState {
    /// Journaled, not yet carried out.
    Pending,
    /// Held by the circuit breaker until a person approves the run.
    Held,
    /// Carried out.
    Done,
    /// Tried and failed; a dead letter records it.
    Failed,
    /// Not carried out, on purpose: a newer version was already processed, or the deletion
    /// turned out not to be one. The entry's error says which.
    Skipped,
    /// Dropped by a person rejecting the run's review.
    Rejected,
}

impl ActionState {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Pending => "pending",
            ActionState::Held => "held",
            ActionState::Done => "done",
            ActionState::Failed => "failed",
            ActionState::Skipped => "skipped",
            ActionState::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Held, Self::Done, Self::Failed, Self::Skipped, Self::Rejected]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One journaled action.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    /// Deterministic: the same action for the same record and cause always has the same key.
    pub key: String,
    pub run_id: RunId,
    pub customer: String,
    pub resource: String,
    pub record_id: u64,
    /// The action's name, such as `reprocess` or `push_external`.
    pub action: String,
    /// What executing the action needs, JSON-encoded.
    pub payload: String,
    pub state: ActionState,
    pub attempts: i64,
}

impl Store {
    /// Journals actions; an entry whose key is already journaled is left as it is. Returns how
    /// many entries were new.
    pub async fn journal_actions(&self, entries: &[JournalEntry], now: Micros) -> StoreResult<u64> {
        self.journal(entries, None, now).await
    }

    /// Journals a run's held actions and queues the run for review in one transaction, so a
    /// crash never leaves held actions that no review can release. The review counts the
    /// entries that were new; returns that count.
    pub async fn journal_held(
        &self,
        entries: &[JournalEntry],
        review: &Review,
        now: Micros,
    ) -> StoreResult<u64> {
        self.journal(entries, Some(review), now).await
    }

    async fn journal(
        &self,
        entries: &[JournalEntry],
        review: Option<&Review>,
        now: Micros,
    ) -> StoreResult<u64> {
        let doing = "journaling actions";
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            let mut added = 0;
            for chunk in entries.chunks(500) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO action_journal (key, run_id, customer, resource, record_id, \
                     action, payload, state, attempts, created_at, updated_at) ",
                );
                insert.push_values(chunk, |mut row, e| {
                    row.push_bind(&e.key)
                        .push_bind(e.run_id)
                        .push_bind(&e.customer)
                        .push_bind(&e.resource)
                        .push_bind(e.record_id as i64)
                        .push_bind(&e.action)
                        .push_bind(&e.payload)
                        .push_bind(e.state.as_str())
                        .push_bind(e.attempts)
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.push(" ON CONFLICT (key) DO NOTHING");
                let done = insert.build().execute(&mut *tx).await.map_err(query_error(doing))?;
                added += done.rows_affected();
            }
            if let Some(review) = review {
                let counted = Review { actions: added as i64, ..review.clone() };
                sqlx::query(QUEUE_REVIEW)
                    .bind(counted.run_id)
                    .bind(&counted.customer)
                    .bind(&counted.task)
                    .bind(&counted.reason)
                    .bind(counted.actions)
                    .bind(counted.state.as_str())
                    .bind(counted.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error("queuing a review"))?;
            }
            tx.commit().await.map_err(query_error(doing))?;
            Ok(added)
        })
    }

    /// Moves an action from `from` to `to`, counting an attempt when it was tried. Returns false,
    /// changing nothing, when the action is no longer in `from` (a rejected action never becomes
    /// done).
    pub async fn set_action_state(
        &self,
        key: &str,
        from: ActionState,
        to: ActionState,
        error: Option<&str>,
        now: Micros,
    ) -> StoreResult<bool> {
        let doing = "updating an action";
        let tried = i64::from(matches!(to, ActionState::Done | ActionState::Failed));
        let sql = "UPDATE action_journal SET state = $1, error = $2, updated_at = $3, \
                   attempts = attempts + $4 WHERE key = $5 AND state = $6";
        on_pool!(self, |pool| {
            let done = sqlx::query(sql)
                .bind(to.as_str())
                .bind(error)
                .bind(now)
                .bind(tried)
                .bind(key)
                .bind(from.as_str())
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Moves every action of a run from one state to another; returns how many moved.
    pub async fn move_run_actions(
        &self,
        run: RunId,
        from: ActionState,
        to: ActionState,
        now: Micros,
    ) -> StoreResult<u64> {
        let doing = "moving a run's actions";
        let sql = "UPDATE action_journal SET state = $1, updated_at = $2 \
                   WHERE run_id = $3 AND state = $4";
        on_pool!(self, |pool| {
            let done = sqlx::query(sql)
                .bind(to.as_str())
                .bind(now)
                .bind(run)
                .bind(from.as_str())
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(done.rows_affected())
        })
    }

    /// A customer's actions in `state`, oldest first.
    pub async fn actions_in_state(
        &self,
        customer: &str,
        state: ActionState,
    ) -> StoreResult<Vec<JournalEntry>> {
        self.read_journal(JournalFilter::State(customer, state)).await
    }

    /// Every action a run journaled, oldest first.
    pub async fn run_actions(&self, run: RunId) -> StoreResult<Vec<JournalEntry>> {
        self.read_journal(JournalFilter::Run(run)).await
    }

    async fn read_journal(&self, filter: JournalFilter<'_>) -> StoreResult<Vec<JournalEntry>> {
        let doing = "reading the action journal";
        const BY_STATE: &str = "SELECT key, run_id, customer, resource, record_id, action, \
            payload, state, attempts FROM action_journal WHERE customer = $1 AND state = $2 \
            ORDER BY created_at, key";
        const BY_RUN: &str = "SELECT key, run_id, customer, resource, record_id, action, \
            payload, state, attempts FROM action_journal WHERE run_id = $1 ORDER BY created_at, key";
        on_pool!(self, |pool| {
            let query = match filter {
                JournalFilter::State(customer, state) => {
                    sqlx::query(BY_STATE).bind(customer.to_owned()).bind(state.as_str())
                }
                JournalFilter::Run(run) => sqlx::query(BY_RUN).bind(run),
            };
            let rows = query.fetch_all(pool).await.map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    let state: String = column(row, "state", doing)?;
                    Ok(JournalEntry {
                        key: column(row, "key", doing)?,
                        run_id: column(row, "run_id", doing)?,
                        customer: column(row, "customer", doing)?,
                        resource: column(row, "resource", doing)?,
                        record_id: column::<_, i64>(row, "record_id", doing)? as u64,
                        action: column(row, "action", doing)?,
                        payload: column(row, "payload", doing)?,
                        state: ActionState::parse(&state).ok_or_else(|| StoreError::Corrupt {
                            doing,
                            reason: format!("unknown action state `{state}`"),
                        })?,
                        attempts: column(row, "attempts", doing)?,
                    })
                })
                .collect()
        })
    }
}

enum JournalFilter<'a> {
    State(&'a str, ActionState),
    Run(RunId),
}
