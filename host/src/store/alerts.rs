//! Alerts raised by runs, kept for the audit trail and for whoever is watching.

use super::{Micros, RunId, Store, StoreResult, column, on_pool, query_error};

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub customer: String,
    pub run_id: Option<RunId>,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// What raised it, such as `breaker_open`, `audit_issues` or `scope_change`.
    pub kind: String,
    pub message: String,
    pub created_at: Micros,
}

impl Alert {
    /// An alert raised now.
    pub fn now(
        customer: &str,
        run_id: Option<RunId>,
        severity: &str,
        kind: &str,
        message: String,
    ) -> Self {
        Alert {
            customer: customer.to_owned(),
            run_id,
            severity: severity.to_owned(),
            kind: kind.to_owned(),
            message,
            created_at: super::now_micros(),
        }
    }
}

/// Records an alert; binds customer, run, severity, kind, message and time.
pub(super) const ADD_ALERT: &str = "INSERT INTO alerts (customer, run_id, severity, kind, \
    message, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

impl Store {
    /// Records an alert.
    pub async fn add_alert(&self, alert: &Alert) -> StoreResult<()> {
        let doing = "recording an alert";
        on_pool!(self, |pool| {
            sqlx::query(ADD_ALERT)
                .bind(&alert.customer)
                .bind(alert.run_id)
                .bind(&alert.severity)
                .bind(&alert.kind)
                .bind(&alert.message)
                .bind(alert.created_at)
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(())
        })
    }

    /// The alerts a run raised, oldest first.
    pub async fn run_alerts(&self, run: RunId) -> StoreResult<Vec<Alert>> {
        let doing = "reading a run's alerts";
        let sql = "SELECT customer, run_id, severity, kind, message, created_at FROM alerts \
                   WHERE run_id = $1 ORDER BY id";
        on_pool!(self, |pool| {
            let rows =
                sqlx::query(sql).bind(run).fetch_all(pool).await.map_err(query_error(doing))?;
            rows.iter().map(|row| alert(row, doing)).collect()
        })
    }

    /// Whether `customer` has an alert of `kind` raised at or after `since`.
    pub async fn alert_raised_since(
        &self,
        customer: &str,
        kind: &str,
        since: Micros,
    ) -> StoreResult<bool> {
        let doing = "looking for an alert already raised";
        let sql = "SELECT id FROM alerts WHERE customer = $1 AND kind = $2 AND created_at >= $3 \
                   LIMIT 1";
        on_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar(sql)
                .bind(customer)
                .bind(kind)
                .bind(since)
                .fetch_optional(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(found.is_some())
        })
    }

    /// A customer's alerts, newest first.
    pub async fn alerts(&self, customer: &str, limit: i64) -> StoreResult<Vec<Alert>> {
        let doing = "reading alerts";
        let sql = "SELECT customer, run_id, severity, kind, message, created_at FROM alerts \
                   WHERE customer = $1 ORDER BY id DESC LIMIT $2";
        on_pool!(self, |pool| {
            let rows = sqlx::query(sql)
                .bind(customer)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(query_error(doing))?;
            rows.iter().map(|row| alert(row, doing)).collect()
        })
    }
}

fn alert<R>(row: &R, doing: &'static str) -> StoreResult<Alert>
where
    R: sqlx::Row,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Alert {
        customer: column(row, "customer", doing)?,
        run_id: column(row, "run_id", doing)?,
        severity: column(row, "severity", doing)?,
        kind: column(row, "kind", doing)?,
        message: column(row, "message", doing)?,
        created_at: column(row, "created_at", doing)?,
    })
}
