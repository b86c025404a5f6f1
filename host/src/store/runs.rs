//! Runs, the audit trail, and the findings each run recorded.

use sqlx::QueryBuilder;

use super::{Micros, Store, StoreError, StoreResult, column, on_pool, query_error, run_batch};

/// A run's id in the store.
pub type RunId = i64;

/// The error of a run closed at start because the process running it died.
const ABANDONED: &str = "interrupted: the process running it stopped before the run finished";

/// What a run is, when it opens.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub customer: String,
    pub task: String,
    pub dry_run: bool,
    pub started_at: Micros,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Running,
    Succeeded,
    Failed,
    Interrupted,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Running => "running",
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Failed => "failed",
            RunOutcome::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Running, Self::Succeeded, Self::Failed, Self::Interrupted]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// The counts a run closes with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub records_checked: i64,
    pub gaps: i64,
    pub deletions: i64,
    pub drift: i64,
    pub actions_taken: i64,
    pub actions_failed: i64,
    pub requests: i64,
    /// `closed`, or `open` when the circuit breaker held the run's actions.
    pub breaker: String,
}

/// A run as the audit trail holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub id: RunId,
    pub customer: String,
    pub task: String,
    pub dry_run: bool,
    pub started_at: Micros,
    pub finished_at: Option<Micros>,
    pub outcome: RunOutcome,
    pub counts: RunCounts,
    pub error: Option<String>,
}

/// What the runs of one customer's task with one outcome add up to, for metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTotals {
    pub customer: String,
    pub task: String,
    pub outcome: String,
    pub runs: i64,
    pub checked: i64,
    pub gaps: i64,
    pub actions_taken: i64,
    pub actions_failed: i64,
    pub requests: i64,
}

/// One finding of a run, with both values of a drifted field as text.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    pub resource: String,
    pub record_id: u64,
    pub kind: String,
    pub field: Option<String>,
    pub expected: Option<String>,
    pub actual: Option<String>,
    pub severity: String,
    pub detail: String,
}

impl Store {
    /// Opens a run record; it stays `running` until closed.
    pub async fn open_run(&self, run: &NewRun) -> StoreResult<RunId> {
        let doing = "opening a run";
        let sql = "INSERT INTO runs (customer, task, dry_run, started_at, outcome) \
                   VALUES ($1, $2, $3, $4, 'running') RETURNING id";
        on_pool!(self, |pool| {
            sqlx::query_scalar(sql)
                .bind(&run.customer)
                .bind(&run.task)
                .bind(i64::from(run.dry_run))
                .bind(run.started_at)
                .fetch_one(pool)
                .await
                .map_err(query_error(doing))
        })
    }

    /// Closes a run with its outcome and counts.
    pub async fn close_run(
        &self,
        id: RunId,
        outcome: RunOutcome,
        counts: &RunCounts,
        error: Option<&str>,
        finished_at: Micros,
    ) -> StoreResult<()> {
        let doing = "closing a run";
        let sql = "UPDATE runs SET outcome = $1, finished_at = $2, records_checked = $3, \
                   gaps = $4, deletions = $5, drift = $6, actions_taken = $7, \
                   actions_failed = $8, requests = $9, breaker = $10, error = $11 WHERE id = $12";
        on_pool!(self, |pool| {
            sqlx::query(sql)
                .bind(outcome.as_str())
                .bind(finished_at)
                .bind(counts.records_checked)
                .bind(counts.gaps)
                .bind(counts.deletions)
                .bind(counts.drift)
                .bind(counts.actions_taken)
                .bind(counts.actions_failed)
                .bind(counts.requests)
                .bind(&counts.breaker)
                .bind(error)
                .bind(id)
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(())
        })
    }

    /// Closes as interrupted the runs of `customers` still `running`, as a process that died
    /// leaves them, and drops what they staged. A customer is served by one host at a time, so
    /// such a row of a customer this host serves can only be a dead process's. Returns the runs
    /// closed.
    pub async fn close_abandoned_runs(
        &self,
        customers: &[String],
        finished_at: Micros,
    ) -> StoreResult<Vec<RunId>> {
        let doing = "closing runs a stopped process left running";
        let mut closed = Vec::new();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            for chunk in customers.chunks(500) {
                let mut update = QueryBuilder::new("UPDATE runs SET outcome = 'interrupted', ");
                update.push("finished_at = ").push_bind(finished_at);
                update.push(", error = ").push_bind(ABANDONED);
                update.push(" WHERE outcome = 'running' AND customer IN (");
                let mut list = update.separated(", ");
                for customer in chunk {
                    list.push_bind(customer.as_str());
                }
                update.push(") RETURNING id");
                let rows = run_batch!(update, fetch_all, &mut *tx, doing)?;
                for row in &rows {
                    closed.push(column::<_, i64>(row, "id", doing)?);
                }
            }
            for chunk in closed.chunks(500) {
                let mut delete =
                    QueryBuilder::new("DELETE FROM action_journal WHERE state = 'staged' AND ");
                delete.push("run_id IN (");
                let mut list = delete.separated(", ");
                for run in chunk {
                    list.push_bind(*run);
                }
                delete.push(")");
                run_batch!(delete, execute, &mut *tx, doing)?;
            }
            tx.commit().await.map_err(query_error(doing))
        })?;
        Ok(closed)
    }

    /// One run, if it exists.
    pub async fn run(&self, id: RunId) -> StoreResult<Option<RunRecord>> {
        Ok(self.runs_where(RunFilter::Id(id)).await?.pop())
    }

    /// A customer's most recent runs, newest first.
    pub async fn recent_runs(&self, customer: &str, limit: i64) -> StoreResult<Vec<RunRecord>> {
        self.runs_where(RunFilter::Customer(customer, limit)).await
    }

    /// Every customer's runs added up by task and outcome, dry runs left out.
    pub async fn run_totals(&self) -> StoreResult<Vec<RunTotals>> {
        let doing = "adding up runs";
        // SUM of a BIGINT is NUMERIC on PostgreSQL; the cast keeps one decoding for both.
        let sql = "SELECT customer, task, outcome, COUNT(*) AS runs, \
                   CAST(COALESCE(SUM(records_checked), 0) AS BIGINT) AS checked, \
                   CAST(COALESCE(SUM(gaps), 0) AS BIGINT) AS gaps, \
                   CAST(COALESCE(SUM(actions_taken), 0) AS BIGINT) AS taken, \
                   CAST(COALESCE(SUM(actions_failed), 0) AS BIGINT) AS failed, \
                   CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS requests \
                   FROM runs WHERE dry_run = 0 GROUP BY customer, task, outcome \
                   ORDER BY customer, task, outcome";
        on_pool!(self, |pool| {
            let rows = sqlx::query(sql).fetch_all(pool).await.map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    let get = |name: &str| column::<_, i64>(row, name, doing);
                    Ok(RunTotals {
                        customer: column(row, "customer", doing)?,
                        task: column(row, "task", doing)?,
                        outcome: column(row, "outcome", doing)?,
                        runs: get("runs")?,
                        checked: get("checked")?,
                        gaps: get("gaps")?,
                        actions_taken: get("taken")?,
                        actions_failed: get("failed")?,
                        requests: get("requests")?,
                    })
                })
                .collect()
        })
    }

    /// Every customer's gaps and records checked by succeeded runs since `since` (dry runs
    /// left out), as `(customer, gaps, checked)`: the fleet view one customer is compared with.
    pub async fn gap_totals_since(&self, since: Micros) -> StoreResult<Vec<(String, i64, i64)>> {
        let doing = "adding up gaps per customer";
        let sql = "SELECT customer, CAST(COALESCE(SUM(gaps), 0) AS BIGINT) AS gaps, \
                   CAST(COALESCE(SUM(records_checked), 0) AS BIGINT) AS checked FROM runs \
                   WHERE started_at >= $1 AND dry_run = 0 AND outcome = 'succeeded' \
                   GROUP BY customer ORDER BY customer";
        on_pool!(self, |pool| {
            let rows =
                sqlx::query(sql).bind(since).fetch_all(pool).await.map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    let customer: String = column(row, "customer", doing)?;
                    Ok((customer, column(row, "gaps", doing)?, column(row, "checked", doing)?))
                })
                .collect()
        })
    }

    /// A customer's runs started at or after `since`, newest first.
    pub async fn runs_since(&self, customer: &str, since: Micros) -> StoreResult<Vec<RunRecord>> {
        self.runs_where(RunFilter::Since(customer, since)).await
    }

    async fn runs_where(&self, filter: RunFilter<'_>) -> StoreResult<Vec<RunRecord>> {
        let doing = "reading runs";
        const BY_ID: &str = "SELECT id, customer, task, dry_run, started_at, finished_at, \
            outcome, records_checked, gaps, deletions, drift, actions_taken, actions_failed, \
            requests, breaker, error FROM runs WHERE id = $1";
        const BY_CUSTOMER: &str = "SELECT id, customer, task, dry_run, started_at, finished_at, \
            outcome, records_checked, gaps, deletions, drift, actions_taken, actions_failed, \
            requests, breaker, error FROM runs WHERE customer = $1 ORDER BY id DESC LIMIT $2";
        const SINCE: &str = "SELECT id, customer, task, dry_run, started_at, finished_at, \
            outcome, records_checked, gaps, deletions, drift, actions_taken, actions_failed, \
            requests, breaker, error FROM runs WHERE customer = $1 AND started_at >= $2 \
            ORDER BY id DESC";
        on_pool!(self, |pool| {
            let query = match filter {
                RunFilter::Id(id) => sqlx::query(BY_ID).bind(id),
                RunFilter::Customer(customer, limit) => {
                    sqlx::query(BY_CUSTOMER).bind(customer.to_owned()).bind(limit)
                }
                RunFilter::Since(customer, since) => {
                    sqlx::query(SINCE).bind(customer.to_owned()).bind(since)
                }
            };
            let rows = query.fetch_all(pool).await.map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    let get = |name: &str| column::<_, i64>(row, name, doing);
                    let outcome: String = column(row, "outcome", doing)?;
                    Ok(RunRecord {
                        id: get("id")?,
                        customer: column(row, "customer", doing)?,
                        task: column(row, "task", doing)?,
                        dry_run: get("dry_run")? != 0,
                        started_at: get("started_at")?,
                        finished_at: column(row, "finished_at", doing)?,
                        outcome: RunOutcome::parse(&outcome).ok_or_else(|| {
                            StoreError::Corrupt {
                                doing,
                                reason: format!("unknown run outcome `{outcome}`"),
                            }
                        })?,
                        counts: RunCounts {
                            records_checked: get("records_checked")?,
                            gaps: get("gaps")?,
                            deletions: get("deletions")?,
                            drift: get("drift")?,
                            actions_taken: get("actions_taken")?,
                            actions_failed: get("actions_failed")?,
                            requests: get("requests")?,
                            breaker: column(row, "breaker", doing)?,
                        },
                        error: column(row, "error", doing)?,
                    })
                })
                .collect()
        })
    }

    /// Records a run's findings, in one transaction.
    pub async fn insert_findings(&self, run: RunId, findings: &[FindingRow]) -> StoreResult<()> {
        let doing = "recording findings";
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            for chunk in findings.chunks(500) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO findings (run_id, resource, record_id, kind, field, expected, \
                     actual, severity, detail) ",
                );
                insert.push_values(chunk, |mut row, f| {
                    row.push_bind(run)
                        .push_bind(&f.resource)
                        .push_bind(f.record_id as i64)
                        .push_bind(&f.kind)
                        .push_bind(&f.field)
                        .push_bind(&f.expected)
                        .push_bind(&f.actual)
                        .push_bind(&f.severity)
                        .push_bind(&f.detail);
                });
                run_batch!(insert, execute, &mut *tx, doing)?;
            }
            tx.commit().await.map_err(query_error(doing))
        })
    }

    /// The findings a run recorded, in the order recorded.
    pub async fn findings(&self, run: RunId) -> StoreResult<Vec<FindingRow>> {
        let doing = "reading findings";
        let sql = "SELECT resource, record_id, kind, field, expected, actual, severity, detail \
                   FROM findings WHERE run_id = $1 ORDER BY id";
        on_pool!(self, |pool| {
            let rows =
                sqlx::query(sql).bind(run).fetch_all(pool).await.map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    Ok(FindingRow {
                        resource: column(row, "resource", doing)?,
                        record_id: column::<_, i64>(row, "record_id", doing)? as u64,
                        kind: column(row, "kind", doing)?,
                        field: column(row, "field", doing)?,
                        expected: column(row, "expected", doing)?,
                        actual: column(row, "actual", doing)?,
                        severity: column(row, "severity", doing)?,
                        detail: column(row, "detail", doing)?,
                    })
                })
                .collect()
        })
    }
}

enum RunFilter<'a> {
    Id(RunId),
    Customer(&'a str, i64),
    Since(&'a str, Micros),
}
