//! Known participants per project date: participations have no endpoint of their own, so the
//! host remembers whom it has seen on each date to notice sign-ups and cancellations.

use sqlx::QueryBuilder;

use super::{Micros, Store, StoreResult, column, last_per_key, on_pool, query_error, run_batch};

/// One user on one project date.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub project_date_id: u64,
    pub user_id: u64,
    /// `active`, or `cancelled` once the user left the date.
    pub status: String,
    pub seen_at: Micros,
}

impl Store {
    /// Inserts or updates participants of a customer, in one transaction.
    pub async fn upsert_participants(
        &self,
        customer: &str,
        participants: &[Participant],
    ) -> StoreResult<()> {
        let doing = "recording participants";
        let participants = last_per_key(participants, |p| (p.project_date_id, p.user_id));
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await.map_err(query_error(doing))?;
            for chunk in participants.chunks(500) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO known_participants (customer, project_date_id, user_id, status, \
                     seen_at) ",
                );
                insert.push_values(chunk, |mut row, p| {
                    row.push_bind(customer)
                        .push_bind(p.project_date_id as i64)
                        .push_bind(p.user_id as i64)
                        .push_bind(&p.status)
                        .push_bind(p.seen_at);
                });
                insert.push(
                    " ON CONFLICT (customer, project_date_id, user_id) DO UPDATE SET \
                     status = excluded.status, seen_at = excluded.seen_at",
                );
                run_batch!(insert, execute, &mut *tx, doing)?;
            }
            tx.commit().await.map_err(query_error(doing))
        })
    }

    /// The participants known on one project date, by user id.
    pub async fn participants(
        &self,
        customer: &str,
        project_date_id: u64,
    ) -> StoreResult<Vec<Participant>> {
        let doing = "reading participants";
        let sql = "SELECT project_date_id, user_id, status, seen_at FROM known_participants \
                   WHERE customer = $1 AND project_date_id = $2 ORDER BY user_id";
        on_pool!(self, |pool| {
            let rows = sqlx::query(sql)
                .bind(customer)
                .bind(project_date_id as i64)
                .fetch_all(pool)
                .await
                .map_err(query_error(doing))?;
            rows.iter()
                .map(|row| {
                    Ok(Participant {
                        project_date_id: column::<_, i64>(row, "project_date_id", doing)? as u64,
                        user_id: column::<_, i64>(row, "user_id", doing)? as u64,
                        status: column(row, "status", doing)?,
                        seen_at: column(row, "seen_at", doing)?,
                    })
                })
                .collect()
        })
    }
}
