//! The review queue: runs whose actions the circuit breaker held for a person to decide.

use super::query_error;
use super::{ActionState, Micros, RunId, Store, StoreError, StoreResult, column, on_pool};

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Pending,
    Approved,
    Rejected,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "pending",
            ReviewState::Approved => "approved",
            ReviewState::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Rejected].into_iter().find(|s| s.as_str() == text)
    }
}

/// One run held for review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub run_id: RunId,
    pub customer: String,
    pub task: String,
    /// Why the breaker tripped.
    pub reason: String,
    /// How many actions are held.
    pub actions: i64,
    pub state: ReviewState,
    pub created_at: Micros,
    pub decided_at: Option<Micros>,
}

/// Queues a review; a run already queued is left as it is.
pub(super) const QUEUE_REVIEW: &str = "INSERT INTO review_queue (run_id, customer, task, reason, \
    actions, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
    ON CONFLICT (run_id) DO NOTHING";

impl Store {
    /// Queues a run for review; queuing the same run again changes nothing.
    pub async fn queue_review(&self, review: &Review) -> StoreResult<()> {
        let doing = "queuing a review";
        on_pool!(self, |pool| {
            sqlx::query(QUEUE_REVIEW)
                .bind(review.run_id)
                .bind(&review.customer)
                .bind(&review.task)
                .bind(&review.reason)
                .bind(review.actions)
                .bind(review.state.as_str())
                .bind(review.created_at)
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(())
        })
    }

    /// Decides a pending review and, in the same transaction, releases the run's held actions
    /// (approved: back to pending) or drops them (rejected). Returns how many actions moved, or
    /// none when the run has no pending review.
    pub async fn decide_review(
        &self,
        run: RunId,
        decision: ReviewState,
        now: Micros,
    ) -> StoreResult<Option<u64>> {
        let doing = "deciding a review";
        let to = match decision {
            ReviewState::Approved => ActionState::Pending,
            ReviewState::Rejected => ActionState::Rejected,
            ReviewState::Pending => return Ok(None),
        };
        let decide = "UPDATE review_queue SET state = $1, decided_at = $2 \
                      WHERE run_id = $3 AND state = 'pending'";
        let release = "UPDATE action_journal SET state = $1, updated_at = $2 \
                       WHERE run_id = $3 AND state = 'held'";
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            let decided = sqlx::query(decide)
                .bind(decision.as_str())
                .bind(now)
                .bind(run)
                .execute(&mut *tx)
                .await
                .map_err(query_error(doing))?;
            if decided.rows_affected() != 1 {
                return Ok(None);
            }
            let moved = sqlx::query(release)
                .bind(to.as_str())
                .bind(now)
                .bind(run)
                .execute(&mut *tx)
                .await
                .map_err(query_error(doing))?;
            tx.commit().await.map_err(query_error(doing))?;
            Ok(Some(moved.rows_affected()))
        })
    }

    /// Reviews in `state`, oldest first.
    pub async fn reviews(&self, state: ReviewState) -> StoreResult<Vec<Review>> {
        let doing = "reading the review queue";
        let sql = "SELECT run_id, customer, task, reason, actions, state, created_at, decided_at \
                   FROM review_queue WHERE state = $1 ORDER BY created_at, run_id";
        on_pool!(self, |pool| {
            let rows = sqlx::query(sql)
                .bind(state.as_str())
                .fetch_all(pool)
                .await
                .map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    let state: String = column(row, "state", doing)?;
                    Ok(Review {
                        run_id: column(row, "run_id", doing)?,
                        customer: column(row, "customer", doing)?,
                        task: column(row, "task", doing)?,
                        reason: column(row, "reason", doing)?,
                        actions: column(row, "actions", doing)?,
                        state: ReviewState::parse(&state).ok_or_else(|| StoreError::Corrupt {
                            doing,
                            reason: format!("unknown review state `{state}`"),
                        })?,
                        created_at: column(row, "created_at", doing)?,
                        decided_at: column(row, "decided_at", doing)?,
                    })
                })
                .collect()
        })
    }
}
