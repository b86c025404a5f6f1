//! Partner state: what the integration believes VOMO holds, per customer, resource and id.

use sqlx::QueryBuilder;

use super::{Backend, Micros, Store, StoreResult, column, direct, last_per_key};
use super::{on_pool, query_error, run_batch};

/// Rows per multi-row statement; well under both backends' bind limits.
const BATCH: usize = 500;

/// One record as the integration last processed it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerRow {
    pub customer: String,
    pub resource: String,
    pub id: u64,
    /// The record VOMO lists this one below (a completion's form, a participation's date).
    pub parent: Option<u64>,
    /// The record's `updated_at` that was processed.
    pub updated_at: Micros,
    /// BLAKE3 digest of the compared fields, as processed.
    pub fingerprint: Vec<u8>,
    /// The compared fields as processed, JSON-encoded.
    pub fields: String,
    pub processed_at: Micros,
    /// When the deletion was propagated, for a record VOMO deleted.
    pub deleted_at: Option<Micros>,
}

/// `columns` (a `SELECT` list) of a customer's resource's rows with the given ids (at most a
/// few hundred).
fn select_ids<DB>(columns: &str, customer: &str, resource: &str, ids: &[u64]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut select = QueryBuilder::new(columns);
    select.push(" FROM partner_state WHERE customer = ").push_bind(customer);
    select.push(" AND resource = ").push_bind(resource).push(" AND id IN (");
    let mut list = select.separated(", ");
    for id in ids {
        list.push_bind(*id as i64);
    }
    select.push(")");
    select
}

/// The columns of a whole row, as `partner_row` reads them.
const ROW_COLUMNS: &str = "SELECT customer, resource, id, parent_id, updated_at, fingerprint, \
    fields, processed_at, deleted_at";

/// Marks a live record deleted; binds the time, customer, resource and id.
pub(super) const MARK_DELETED: &str = "UPDATE partner_state SET deleted_at = $1 \
    WHERE customer = $2 AND resource = $3 AND id = $4 AND deleted_at IS NULL";

/// What a scan needs of a partner row to tell whether VOMO's record is unchanged: the row
/// without its snapshot, which is read only for the records that did change.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerVersion {
    pub id: u64,
    pub updated_at: Micros,
    pub fingerprint: Vec<u8>,
    pub deleted: bool,
}

impl PartnerRow {
    /// The row's version, without its snapshot.
    pub fn version(&self) -> PartnerVersion {
        PartnerVersion {
            id: self.id,
            updated_at: self.updated_at,
            fingerprint: self.fingerprint.clone(),
            deleted: self.deleted_at.is_some(),
        }
    }
}

impl Store {
    /// Inserts or replaces partner state rows, in one transaction. A row older than the one
    /// stored (a late, slower batch) changes nothing.
    pub async fn upsert_partner_states(&self, rows: &[PartnerRow]) -> StoreResult<()> {
        let doing = "upserting partner state";
        let rows = last_per_key(rows, |r| (r.customer.as_str(), r.resource.as_str(), r.id));
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            for chunk in rows.chunks(BATCH) {
                let mut insert = upsert_statement(chunk);
                run_batch!(insert, execute, &mut *tx, doing)?;
            }
            tx.commit().await.map_err(query_error(doing))
        })
    }

    /// The partner state of the given ids; ids partner state does not hold are left out.
    pub async fn partner_states(
        &self,
        customer: &str,
        resource: &str,
        ids: &[u64],
    ) -> StoreResult<Vec<PartnerRow>> {
        let doing = "reading partner state";
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            on_pool!(self, |pool| {
                let mut select = select_ids(ROW_COLUMNS, customer, resource, chunk);
                let rows = select.build().fetch_all(pool).await.map_err(query_error(doing))?;
                for row in rows {
                    out.push(partner_row(&row, doing)?);
                }
            });
        }
        Ok(out)
    }

    /// The `updated_at` partner state holds for each of the given ids it holds: what a push
    /// checks to never undo newer work, read without the rows' snapshots.
    pub async fn partner_updated_at(
        &self,
        customer: &str,
        resource: &str,
        ids: &[u64],
    ) -> StoreResult<Vec<(u64, Micros)>> {
        let doing = "reading partner state's versions";
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            on_pool!(self, |pool| {
                let mut select = select_ids("SELECT id, updated_at", customer, resource, chunk);
                let rows = select.build().fetch_all(pool).await.map_err(query_error(doing))?;
                for row in rows {
                    let id: i64 = column(&row, "id", doing)?;
                    out.push((id as u64, column(&row, "updated_at", doing)?));
                }
            });
        }
        Ok(out)
    }

    /// Every row partner state holds below `parent`, deleted ones included, ascending by id.
    pub async fn partner_states_of_parent(
        &self,
        customer: &str,
        resource: &str,
        parent: u64,
    ) -> StoreResult<Vec<PartnerRow>> {
        let doing = "reading partner state of a parent";
        let sql = "SELECT customer, resource, id, parent_id, updated_at, fingerprint, fields, \
                   processed_at, deleted_at FROM partner_state WHERE customer = $1 \
                   AND resource = $2 AND parent_id = $3 ORDER BY id";
        on_pool!(self, |pool| {
            let rows = sqlx::query(sql)
                .bind(customer)
                .bind(resource)
                .bind(parent as i64)
                .fetch_all(pool)
                .await
                .map_err(query_error(doing))?;
            rows.iter().map(|row| partner_row(row, doing)).collect()
        })
    }

    /// The parents partner state holds live records below, ascending; with `processed_since`,
    /// only those below which a live record was processed at or after it.
    pub async fn held_parents(
        &self,
        customer: &str,
        resource: &str,
        processed_since: Option<Micros>,
    ) -> StoreResult<Vec<u64>> {
        let doing = "listing the parents partner state holds records below";
        let sql = "SELECT DISTINCT parent_id FROM partner_state WHERE customer = $1 \
                   AND resource = $2 AND parent_id IS NOT NULL AND deleted_at IS NULL \
                   AND processed_at >= $3 ORDER BY parent_id";
        on_pool!(self, |pool| {
            let ids: Vec<i64> = sqlx::query_scalar(sql)
                .bind(customer)
                .bind(resource)
                .bind(processed_since.unwrap_or(Micros::MIN))
                .fetch_all(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(ids.into_iter().map(|id| id as u64).collect())
        })
    }

    /// Up to `limit` versions of a customer's resource with ids above `after`, ascending,
    /// deleted ones included: what a full scan walks beside VOMO's listing. On SQLite the rows
    /// are read on the caller's thread ([`direct`]).
    pub async fn partner_versions_after(
        &self,
        customer: &str,
        resource: &str,
        after: Option<u64>,
        limit: u32,
    ) -> StoreResult<Vec<PartnerVersion>> {
        let doing = "walking partner state";
        let after = after.map_or(-1, |id| id as i64);
        let pool = match &self.backend {
            Backend::Sqlite(pool) => {
                return direct::versions_after(pool, customer, resource, after, limit).await;
            }
            Backend::Postgres(pool) => pool,
        };
        let sql = "SELECT id, updated_at, fingerprint, deleted_at FROM partner_state \
                   WHERE customer = $1 AND resource = $2 AND id > $3 ORDER BY id LIMIT $4";
        let rows = sqlx::query(sql)
            .bind(customer)
            .bind(resource)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .map_err(query_error(doing))?;
        rows.iter()
            .map(|row| {
                Ok(PartnerVersion {
                    id: column::<_, i64>(row, "id", doing)? as u64,
                    updated_at: column(row, "updated_at", doing)?,
                    fingerprint: column(row, "fingerprint", doing)?,
                    deleted: column::<_, Option<i64>>(row, "deleted_at", doing)?.is_some(),
                })
            })
            .collect()
    }

    /// How many live records partner state holds of a customer's resource, and how many of
    /// those VOMO last updated at or after `since`: what the cadence policy reads.
    pub async fn partner_size(
        &self,
        customer: &str,
        resource: &str,
        since: Micros,
    ) -> StoreResult<(u64, u64)> {
        let doing = "sizing partner state";
        let sql = "SELECT COUNT(*) AS live, \
                   COALESCE(SUM(CASE WHEN updated_at >= $3 THEN 1 ELSE 0 END), 0) AS recent \
                   FROM partner_state WHERE customer = $1 AND resource = $2 AND deleted_at IS NULL";
        on_pool!(self, |pool| {
            let row = sqlx::query(sql)
                .bind(customer)
                .bind(resource)
                .bind(since)
                .fetch_one(pool)
                .await
                .map_err(query_error(doing))?;
            let live: i64 = column(&row, "live", doing)?;
            let recent: i64 = column(&row, "recent", doing)?;
            Ok((live as u64, recent as u64))
        })
    }

    /// Every id partner state holds as live (not deleted), ascending.
    pub async fn live_partner_ids(&self, customer: &str, resource: &str) -> StoreResult<Vec<u64>> {
        let doing = "listing partner state ids";
        let sql = "SELECT id FROM partner_state WHERE customer = $1 AND resource = $2 \
                   AND deleted_at IS NULL ORDER BY id";
        on_pool!(self, |pool| {
            let ids: Vec<i64> = sqlx::query_scalar(sql)
                .bind(customer)
                .bind(resource)
                .fetch_all(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(ids.into_iter().map(|id| id as u64).collect())
        })
    }

    /// Records that VOMO deleted a record and the deletion was propagated.
    pub async fn mark_partner_deleted(
        &self,
        customer: &str,
        resource: &str,
        id: u64,
        at: Micros,
    ) -> StoreResult<bool> {
        let doing = "marking partner state deleted";
        on_pool!(self, |pool| {
            let done = sqlx::query(MARK_DELETED)
                .bind(at)
                .bind(customer)
                .bind(resource)
                .bind(id as i64)
                .execute(pool)
                .await
                .map_err(query_error(doing))?;
            Ok(done.rows_affected() == 1)
        })
    }
}

/// One multi-row upsert of partner state: a row older than the one stored changes nothing.
/// Shared by every writer, so a batch settled with other tables writes partner state the same.
pub(super) fn upsert_statement<DB>(rows: &[&PartnerRow]) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    DB::Arguments: Default,
    for<'t> &'t str: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> &'t [u8]: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut insert = QueryBuilder::new(
        "INSERT INTO partner_state (customer, resource, id, parent_id, updated_at, fingerprint, \
         fields, processed_at, deleted_at) ",
    );
    insert.push_values(rows, |mut row, r| {
        row.push_bind(r.customer.as_str())
            .push_bind(r.resource.as_str())
            .push_bind(r.id as i64)
            .push_bind(r.parent.map(|parent| parent as i64))
            .push_bind(r.updated_at)
            .push_bind(r.fingerprint.as_slice())
            .push_bind(r.fields.as_str())
            .push_bind(r.processed_at)
            .push_bind(r.deleted_at);
    });
    insert.push(
        " ON CONFLICT (customer, resource, id) DO UPDATE SET parent_id = excluded.parent_id, \
         updated_at = excluded.updated_at, \
         fingerprint = excluded.fingerprint, fields = excluded.fields, \
         processed_at = excluded.processed_at, deleted_at = excluded.deleted_at \
         WHERE excluded.updated_at >= partner_state.updated_at",
    );
    insert
}

fn partner_row<R>(row: &R, doing: &'static str) -> StoreResult<PartnerRow>
where
    R: sqlx::Row,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(PartnerRow {
        customer: column(row, "customer", doing)?,
        resource: column(row, "resource", doing)?,
        id: column::<_, i64>(row, "id", doing)? as u64,
        parent: column::<_, Option<i64>>(row, "parent_id", doing)?.map(|parent| parent as u64),
        updated_at: column(row, "updated_at", doing)?,
        fingerprint: column(row, "fingerprint", doing)?,
        fields: column(row, "fields", doing)?,
        processed_at: column(row, "processed_at", doing)?,
        deleted_at: column(row, "deleted_at", doing)?,
    })
}
