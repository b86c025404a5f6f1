//! Polling checkpoints: the highest `updated_at` processed, per customer and resource.

use super::{Micros, Store, StoreResult, on_pool, query_error};

impl Store {
    /// The checkpoint of a customer's resource; none before the first backfill completes.
    pub async fn checkpoint(&self, customer: &str, resource: &str) -> StoreResult<Option<Micros>> {
        let doing = "reading a checkpoint";
        let sql = "SELECT updated_at FROM checkpoints WHERE customer = $1 AND resource = $2";
        on_pool!(self, |pool| {
            sqlx::query_scalar(sql)
                .bind(customer)
                .bind(resource)
                .fetch_optional(pool)
                .await
                .map_err(query_error(doing))
        })
    }

    /// Moves a checkpoint to `updated_at`; it never moves backwards.
    pub async fn advance_checkpoint(
        &self,
        customer: &str,
        resource: &str,
        updated_at: Micros,
        now: Micros,
    ) -> StoreResult<()> {
        let forwards_only = "WHERE excluded.updated_at > checkpoints.updated_at";
        self.write_checkpoint(customer, resource, updated_at, now, forwards_only).await
    }

    /// Sets a checkpoint to exactly `updated_at`, backwards included: for operators and for
    /// tests that reproduce a checkpoint advanced past unprocessed records.
    pub async fn set_checkpoint(
        &self,
        customer: &str,
        resource: &str,
        updated_at: Micros,
        now: Micros,
    ) -> StoreResult<()> {
        self.write_checkpoint(customer, resource, updated_at, now, "").await
    }

    async fn write_checkpoint(
        &self,
        customer: &str,
        resource: &str,
        updated_at: Micros,
        now: Micros,
        condition: &'static str,
    ) -> StoreResult<()> {
        let doing = "writing a checkpoint";
        let sql = format!(
            "INSERT INTO checkpoints (customer, resource, updated_at, advanced_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (customer, resource) DO UPDATE SET \
             updated_at = excluded.updated_at, advanced_at = excluded.advanced_at {condition}"
        );
        on_pool!(self, |pool| {
            // The only text spliced in is one of two constant conditions above.
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(customer)
                .bind(resource)
                .bind(updated_at)
                .bind(now)
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(())
        })
    }
}
