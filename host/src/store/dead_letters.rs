//! The dead-letter queue: records whose processing failed, kept until reprocessed.

use sqlx::QueryBuilder;

use super::{Micros, Store, StoreResult, column, on_pool, query_error, run_batch};

/// One record whose processing failed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub id: i64,
    pub customer: String,
    pub resource: String,
    pub record_id: u64,
    pub reason: String,
    pub created_at: Micros,
}

/// Adds a dead letter unless the record has an open one: a record failing every cycle is one
/// problem, not many. Binds customer, resource, record id, reason and time.
pub(super) const ADD_DEAD_LETTER: &str = "INSERT INTO dead_letters (customer, resource, \
    record_id, reason, created_at) SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM \
    dead_letters WHERE customer = $1 AND resource = $2 AND record_id = $3 AND resolved_at IS NULL)";

impl Store {
    /// Adds a record to the dead-letter queue, unless it is there already.
    pub async fn add_dead_letter(
        &self,
        customer: &str,
        resource: &str,
        record_id: u64,
        reason: &str,
        now: Micros,
    ) -> StoreResult<()> {
        let doing = "adding a dead letter";
        on_pool!(self, |pool| {
            sqlx::query(ADD_DEAD_LETTER)
                .bind(customer)
                .bind(resource)
                .bind(record_id as i64)
                .bind(reason)
                .bind(now)
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(())
        })
    }

    /// The unresolved dead letters of a customer's resource, oldest first.
    pub async fn open_dead_letters(
        &self,
        customer: &str,
        resource: &str,
    ) -> StoreResult<Vec<DeadLetter>> {
        let doing = "reading dead letters";
        let sql = "SELECT id, customer, resource, record_id, reason, created_at FROM dead_letters \
                   WHERE customer = $1 AND resource = $2 AND resolved_at IS NULL ORDER BY id";
        on_pool!(self, |pool| {
            let rows = sqlx::query(sql)
                .bind(customer)
                .bind(resource)
                .fetch_all(pool)
                .await
                .map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    Ok(DeadLetter {
                        id: column(row, "id", doing)?,
                        customer: column(row, "customer", doing)?,
                        resource: column(row, "resource", doing)?,
                        record_id: column::<_, i64>(row, "record_id", doing)? as u64,
                        reason: column(row, "reason", doing)?,
                        created_at: column(row, "created_at", doing)?,
                    })
                })
                .collect()
        })
    }

    /// Resolves the open dead letters of the given records, once they were processed after all.
    pub async fn resolve_dead_letters(
        &self,
        customer: &str,
        resource: &str,
        record_ids: &[u64],
        now: Micros,
    ) -> StoreResult<u64> {
        let doing = "resolving dead letters";
        let mut resolved = 0;
        for chunk in record_ids.chunks(500) {
            on_pool!(self, |pool| {
                let mut update = resolve_statement(customer, resource, chunk, now);
                let done = run_batch!(update, execute, pool, doing)?;
                resolved += done.rows_affected();
            });
        }
        Ok(resolved)
    }
}

/// Resolves the open dead letters of `record_ids` (at most a few hundred) at `now`.
pub(super) fn resolve_statement<DB>(
    customer: &str,
    resource: &str,
    record_ids: &[u64],
    now: Micros,
) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut update = QueryBuilder::new("UPDATE dead_letters SET resolved_at = ");
    update.push_bind(now).push(" WHERE customer = ").push_bind(customer);
    update.push(" AND resource = ").push_bind(resource);
    update.push(" AND resolved_at IS NULL AND record_id IN (");
    let mut list = update.separated(", ");
    for id in record_ids {
        list.push_bind(*id as i64);
    }
    update.push(")");
    update
}
