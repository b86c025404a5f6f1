//! The action journal: every corrective action, written with a deterministic idempotency key
//! before anything is sent, so a crash between the two neither loses nor repeats it.

use std::collections::HashSet;

use sqlx::QueryBuilder;

use super::reviews::QUEUE_REVIEW;
use super::{
    Micros, Review, RunId, Store, StoreError, StoreResult, column, on_pool, query_error, run_batch,
};

/// The conflict clause of staging: a key staged by a run that never released it belongs to
/// whichever run detects the same action next.
const TAKE_OVER_STAGED: &str = " ON CONFLICT (key) DO UPDATE SET run_id = excluded.run_id, \
    payload = excluded.payload, updated_at = excluded.updated_at \
    WHERE action_journal.state = 'staged' AND action_journal.run_id <> excluded.run_id";

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionState {
    /// Journaled by a run that is still detecting: it becomes pending or held when the run's
    /// breaker has seen everything the run found, and is never carried out before.
    Staged,
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
            ActionState::Staged => "staged",
            ActionState::Pending => "pending",
            ActionState::Held => "held",
            ActionState::Done => "done",
            ActionState::Failed => "failed",
            ActionState::Skipped => "skipped",
            ActionState::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        let all = [Self::Staged, Self::Pending, Self::Held, Self::Done, Self::Failed];
        all.into_iter().chain([Self::Skipped, Self::Rejected]).find(|s| s.as_str() == text)
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
        self.journal(entries, " ON CONFLICT (key) DO NOTHING", now).await
    }

    /// Stages a run's actions while it detects. An entry whose key a run that never finished
    /// staged (it crashed, or failed) is taken over by this run; any other existing key is left
    /// as it is. Returns how many entries this run now holds of `entries`.
    pub async fn journal_staged(&self, entries: &[JournalEntry], now: Micros) -> StoreResult<u64> {
        self.journal(entries, TAKE_OVER_STAGED, now).await
    }

    async fn journal(
        &self,
        entries: &[JournalEntry],
        on_conflict: &str,
        now: Micros,
    ) -> StoreResult<u64> {
        let doing = "journaling actions";
        // A key twice in one statement is an error in PostgreSQL's `ON CONFLICT DO UPDATE` (a
        // plugin may plan the same action twice for a record); the first one stands.
        let mut seen = HashSet::new();
        let entries: Vec<&JournalEntry> =
            entries.iter().filter(|entry| seen.insert(entry.key.as_str())).collect();
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
                insert.push(on_conflict);
                let done = run_batch!(insert, execute, &mut *tx, doing)?;
                added += done.rows_affected();
            }
            tx.commit().await.map_err(query_error(doing))?;
            Ok(added)
        })
    }

    /// Ends a run's staging: its staged actions become `to` (pending, or held by the breaker),
    /// and a held run is queued for review in the same transaction, so no crash can leave held
    /// actions that no review releases. The review counts the actions; returns that count.
    pub async fn release_staged(
        &self,
        run: RunId,
        to: ActionState,
        review: Option<&Review>,
        now: Micros,
    ) -> StoreResult<u64> {
        let doing = "releasing a run's staged actions";
        let sql = "UPDATE action_journal SET state = $1, updated_at = $2 \
                   WHERE run_id = $3 AND state = 'staged'";
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            let moved = sqlx::query(sql)
                .bind(to.as_str())
                .bind(now)
                .bind(run)
                .execute(&mut *tx)
                .await
                .map_err(query_error(doing))?
                .rows_affected();
            if let Some(review) = review {
                sqlx::query(QUEUE_REVIEW)
                    .bind(review.run_id)
                    .bind(&review.customer)
                    .bind(&review.task)
                    .bind(&review.reason)
                    .bind(moved as i64)
                    .bind(review.state.as_str())
                    .bind(review.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(query_error("queuing a review"))?;
            }
            tx.commit().await.map_err(query_error(doing))?;
            Ok(moved)
        })
    }

    /// Drops what a run staged, when it failed before its breaker could decide.
    pub async fn drop_staged(&self, run: RunId) -> StoreResult<u64> {
        let doing = "dropping a run's staged actions";
        let sql = "DELETE FROM action_journal WHERE run_id = $1 AND state = 'staged'";
        on_pool!(self, |pool| {
            let done =
                sqlx::query(sql).bind(run).execute(pool).await.map_err(query_error(doing))?;
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

    /// Up to `limit` pending actions of `scope` with keys after `after`, by key: the executor
    /// pages through them, so a run with many actions never holds them all.
    pub async fn pending_actions(
        &self,
        scope: ActionScope<'_>,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<JournalEntry>> {
        let after = after.unwrap_or_default();
        self.read_journal(JournalFilter::Pending(scope, after, limit)).await
    }

    async fn read_journal(&self, filter: JournalFilter<'_>) -> StoreResult<Vec<JournalEntry>> {
        let doing = "reading the action journal";
        let sql = match filter {
            JournalFilter::State(..) => BY_STATE,
            JournalFilter::Run(_) => BY_RUN,
            JournalFilter::Pending(ActionScope::Run(_), ..) => PENDING_OF_RUN,
            JournalFilter::Pending(ActionScope::Resource { .. }, ..) => PENDING_OF_RESOURCE,
        };
        on_pool!(self, |pool| {
            let query = sqlx::query(sql);
            let query = match filter {
                JournalFilter::State(customer, state) => query.bind(customer).bind(state.as_str()),
                JournalFilter::Run(run) => query.bind(run),
                JournalFilter::Pending(ActionScope::Run(run), after, limit) => {
                    query.bind(run).bind(after).bind(i64::from(limit))
                }
                JournalFilter::Pending(
                    ActionScope::Resource { customer, resource },
                    after,
                    limit,
                ) => query.bind(customer).bind(resource).bind(after).bind(i64::from(limit)),
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

macro_rules! select_journal {
    ($condition:literal) => {
        concat!(
            "SELECT key, run_id, customer, resource, record_id, action, payload, state, attempts \
             FROM action_journal WHERE ",
            $condition
        )
    };
}
const BY_STATE: &str = select_journal!("customer = $1 AND state = $2 ORDER BY created_at, key");
const BY_RUN: &str = select_journal!("run_id = $1 ORDER BY created_at, key");
const PENDING_OF_RUN: &str =
    select_journal!("run_id = $1 AND state = 'pending' AND key > $2 ORDER BY key LIMIT $3");
const PENDING_OF_RESOURCE: &str = select_journal!(
    "customer = $1 AND resource = $2 AND state = 'pending' AND key > $3 ORDER BY key LIMIT $4"
);

/// Whose pending actions to read.
#[derive(Debug, Clone, Copy)]
pub enum ActionScope<'a> {
    /// The actions one run journaled.
    Run(RunId),
    /// Every action of a customer's resource, whichever run journaled it.
    Resource { customer: &'a str, resource: &'a str },
}

enum JournalFilter<'a> {
    State(&'a str, ActionState),
    Run(RunId),
    Pending(ActionScope<'a>, &'a str, u32),
}
