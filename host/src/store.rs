//! The host's memory: partner state, checkpoints, runs and their findings, the action journal,
//! the dead-letter queue, alerts and the review queue.
//!
//! SQLite (one file, WAL) is the default; PostgreSQL serves several hosts sharing one database.
//! Both run the same SQL (`$n` placeholders and `ON CONFLICT` work on both), the same migrations
//! in spirit (`migrations/sqlite`, `migrations/postgres`) and the same tests. Timestamps are
//! microseconds since the Unix epoch, UTC. Every write is an idempotent upsert or insert-once,
//! and every batch goes in one transaction.

mod alerts;
mod checkpoints;
mod dead_letters;
mod direct;
mod journal;
mod partner;
mod reviews;
mod runs;
mod settle;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqliteSynchronous;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub use alerts::Alert;
pub use dead_letters::DeadLetter;
pub use journal::{ActionScope, ActionState, JournalEntry};
pub use partner::{PartnerRow, PartnerVersion};
pub use reviews::{Review, ReviewState};
pub use runs::{FindingRow, NewRun, RunCounts, RunId, RunOutcome, RunRecord, RunTotals};
pub use settle::{Settled, Settlement};

/// Microseconds since the Unix epoch, UTC.
pub type Micros = i64;

/// The current time in [`Micros`].
pub fn now_micros() -> Micros {
    chrono::Utc::now().timestamp_micros()
}

/// An error of the store, naming what it was doing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("failed to open the store at `{url}`")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("failed to apply the store's migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("store query failed while {doing}")]
    Query {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("store query failed while {doing}: {message} (SQLite code {code})")]
    Sqlite { doing: &'static str, code: i32, message: String },
    #[error("the store holds an unreadable value while {doing}: {reason}")]
    Corrupt { doing: &'static str, reason: String },
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;

pub(crate) fn query_error(doing: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { doing, source }
}

/// The store, on one of its two backends.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool the store holds; the body is compiled once per
/// backend, so SQL and binds must suit both.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite($pool) => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs a statement built for one batch with `execute` or `fetch_all`, naming what the store was
/// doing if it fails. Such statements stay out of the connection's statement cache: each batch
/// size is another statement, a prepared statement of hundreds of rows is tens of kilobytes, and
/// a run with much drift filled the cache with them.
macro_rules! run_batch {
    ($builder:expr, $method:ident, $on:expr, $doing:expr) => {
        $builder
            .build()
            .persistent(false)
            .$method($on)
            .await
            .map_err($crate::store::query_error($doing))
    };
}
pub(crate) use run_batch;

impl Store {
    /// Opens the store at `url` and applies migrations: `postgres://…` for PostgreSQL, anything
    /// else (`sqlite://file.db` or a plain path) for a SQLite file, created if missing.
    pub async fn open(url: &str) -> StoreResult<Store> {
        let open_error = |source| StoreError::Open { url: url.to_owned(), source };
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(open_error)?;
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .map_err(StoreError::Migrate)?;
            Backend::Postgres(pool)
        } else {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
                .map_err(open_error)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // The journal promises that a journaled action survives a crash: every commit
                // reaches the disk.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // A multi-row upsert keeps a statement journal, and a large `IN` list a
                // temporary table; on disk they cost a write and a read per page touched.
                .pragma("temp_store", "memory")
                // The connection's thread hands rows over through a channel; a reader woken for
                // every 50 rows (sqlx's default) spent more on waking than on reading.
                .row_buffer_size(4_096);
            // One writer at a time is what SQLite allows anyway; a single connection avoids
            // `database is locked` between our own writers.
            // Every run in progress shares the one connection; a fleet's worth of short
            // statements can queue longer than sqlx's 30 s default with nothing wrong.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(300))
                .connect_with(options)
                .await
                .map_err(open_error)?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await.map_err(StoreError::Migrate)?;
            Backend::Sqlite(pool)
        };
        Ok(Store { backend })
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

/// Reads one column of a row, naming what the store was doing if it cannot.
pub(crate) fn column<'r, R, T>(row: &'r R, name: &str, doing: &'static str) -> StoreResult<T>
where
    R: sqlx::Row,
    T: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'n> &'n str: sqlx::ColumnIndex<R>,
{
    row.try_get(name).map_err(query_error(doing))
}

/// Keeps only the last of the items sharing a key, in their original order. PostgreSQL refuses
/// an upsert that touches one row twice, and the last write is the one that must win.
pub(crate) fn last_per_key<'t, T, K: Eq + std::hash::Hash>(
    items: &'t [T],
    key: impl Fn(&'t T) -> K,
) -> Vec<&'t T> {
    let mut last = std::collections::HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        last.insert(key(item), index);
    }
    let kept = items.iter().enumerate().filter(|(index, item)| last.get(&key(item)) == Some(index));
    kept.map(|(_, item)| item).collect()
}
