//! Partner state's versions read from SQLite through its own interface, on the caller's thread.
//!
//! The full scan reads one version per record it checks. Through sqlx, every row was a message
//! from the connection's thread, each of its values copied, and a wake of the reader: nearly as
//! much of a scan's CPU as parsing the records. Here the caller borrows the connection's handle, as
//! sqlx allows, steps one statement and reads the columns in place (`docs/benchmarks.md`).
//!
//! A chunk steps on the runtime's thread, a millisecond or so for 2,000 rows: less than handing
//! them across would cost, and as long as sqlx's own thread would hold the one connection.
//!
//! Everything unsafe about the store stays in this module: a statement is finalised by its guard
//! on every path, and a column is read only while its row is current.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_int};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::SqlitePool;

use super::partner::PartnerVersion;
use super::{StoreError, StoreResult, query_error};

const VERSIONS_AFTER: &CStr = c"SELECT id, updated_at, fingerprint, deleted_at FROM partner_state \
    WHERE customer = ?1 AND resource = ?2 AND id > ?3 ORDER BY id LIMIT ?4";

/// Up to `limit` versions of a customer's resource with ids above `after`, ascending.
pub(super) async fn versions_after(
    pool: &SqlitePool,
    customer: &str,
    resource: &str,
    after: i64,
    limit: u32,
) -> StoreResult<Vec<PartnerVersion>> {
    let doing = "walking partner state";
    let mut connection = pool.acquire().await.map_err(query_error(doing))?;
    let mut handle = connection.lock_handle().await.map_err(query_error(doing))?;
    let db = handle.as_raw_handle();

    let fail = |code| StoreError::Sqlite { doing, code, message: last_message(db) };
    let mut statement = Statement::prepare(db, VERSIONS_AFTER).map_err(fail)?;
    statement.bind_text(1, customer).map_err(fail)?;
    statement.bind_text(2, resource).map_err(fail)?;
    statement.bind_int(3, after).map_err(fail)?;
    statement.bind_int(4, i64::from(limit)).map_err(fail)?;

    let mut versions = Vec::with_capacity(limit as usize);
    while statement.step().map_err(fail)? {
        versions.push(version(&statement).map_err(|reason| StoreError::Corrupt { doing, reason })?);
    }
    Ok(versions)
}

/// The current row as a version, refusing a column whose type the schema does not allow: SQLite
/// would convert it silently, and a walk on a wrong id or time would repair the wrong records.
fn version(row: &Statement) -> Result<PartnerVersion, String> {
    let id = row.integer(0, "id")?;
    let wrong = |reason: String| format!("partner_state row {id}: {reason}");
    let updated_at = row.integer(1, "updated_at").map_err(wrong)?;
    let fingerprint = match row.kind(2) {
        ffi::SQLITE_BLOB | ffi::SQLITE_NULL => row.blob(2).to_vec(),
        other => return Err(wrong(format!("fingerprint holds {}, not bytes", kind_name(other)))),
    };
    let deleted = match row.kind(3) {
        ffi::SQLITE_NULL => false,
        ffi::SQLITE_INTEGER => true,
        other => return Err(wrong(format!("deleted_at holds {}, not a time", kind_name(other)))),
    };
    let id = u64::try_from(id).map_err(|_| format!("partner_state holds the negative id {id}"))?;
    Ok(PartnerVersion { id, updated_at, fingerprint, deleted })
}

fn kind_name(kind: c_int) -> &'static str {
    match kind {
        ffi::SQLITE_INTEGER => "an integer",
        ffi::SQLITE_FLOAT => "a real number",
        ffi::SQLITE_TEXT => "text",
        ffi::SQLITE_BLOB => "bytes",
        _ => "null",
    }
}

/// SQLite's message for the connection's last error.
fn last_message(db: NonNull<ffi::sqlite3>) -> String {
    // SAFETY: the handle is locked for this task; the message is copied before anything else
    // runs on it.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) };
    message.to_string_lossy().into_owned()
}

/// A prepared statement, finalised when dropped.
struct Statement(NonNull<ffi::sqlite3_stmt>);

impl Statement {
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &CStr) -> Result<Statement, c_int> {
        let mut raw = ptr::null_mut();
        // SAFETY: `sql` is NUL-terminated and `raw` receives the statement or stays null.
        let code = unsafe {
            ffi::sqlite3_prepare_v2(db.as_ptr(), sql.as_ptr(), -1, &mut raw, ptr::null_mut())
        };
        match NonNull::new(raw) {
            Some(raw) if code == ffi::SQLITE_OK => Ok(Statement(raw)),
            _ => Err(code),
        }
    }

    fn bind_text(&self, index: c_int, text: &str) -> Result<(), c_int> {
        let length = c_int::try_from(text.len()).map_err(|_| ffi::SQLITE_TOOBIG)?;
        // SAFETY: SQLite copies the text (`SQLITE_TRANSIENT`) before returning.
        let code = unsafe {
            ffi::sqlite3_bind_text(
                self.0.as_ptr(),
                index,
                text.as_ptr().cast(),
                length,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        ok(code)
    }

    fn bind_int(&self, index: c_int, value: i64) -> Result<(), c_int> {
        // SAFETY: the statement is live; the index is one of its parameters.
        ok(unsafe { ffi::sqlite3_bind_int64(self.0.as_ptr(), index, value) })
    }

    /// Steps to the next row: `true` while there is one.
    fn step(&mut self) -> Result<bool, c_int> {
        // SAFETY: the statement is live, and only this task uses the connection.
        match unsafe { ffi::sqlite3_step(self.0.as_ptr()) } {
            ffi::SQLITE_ROW => Ok(true),
            ffi::SQLITE_DONE => Ok(false),
            code => Err(code),
        }
    }

    /// The column's storage class: `SQLITE_INTEGER`, `SQLITE_TEXT` and so on.
    fn kind(&self, column: c_int) -> c_int {
        // SAFETY: a row is current, since `step` last answered `true`.
        unsafe { ffi::sqlite3_column_type(self.0.as_ptr(), column) }
    }

    /// The column as an integer, or what it holds instead.
    fn integer(&self, column: c_int, name: &str) -> Result<i64, String> {
        let kind = self.kind(column);
        if kind != ffi::SQLITE_INTEGER {
            return Err(format!("{name} holds {}, not an integer", kind_name(kind)));
        }
        // SAFETY: as for `kind`.
        Ok(unsafe { ffi::sqlite3_column_int64(self.0.as_ptr(), column) })
    }

    /// The column's bytes, valid until the next step.
    fn blob(&self, column: c_int) -> &[u8] {
        // SAFETY: as for `kind`; the pointer is read before the length, as SQLite asks, and the
        // slice borrows `self`, so it is gone before `step` can move to the next row.
        unsafe {
            let data = ffi::sqlite3_column_blob(self.0.as_ptr(), column);
            let length = ffi::sqlite3_column_bytes(self.0.as_ptr(), column);
            match (data.is_null(), usize::try_from(length)) {
                (false, Ok(length)) => std::slice::from_raw_parts(data.cast(), length),
                _ => &[],
            }
        }
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by `prepare` and is finalised once, here.
        unsafe { ffi::sqlite3_finalize(self.0.as_ptr()) };
    }
}

fn ok(code: c_int) -> Result<(), c_int> {
    if code == ffi::SQLITE_OK { Ok(()) } else { Err(code) }
}
