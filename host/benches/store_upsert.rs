//! Partner-state upserts per second on SQLite and PostgreSQL.
//!
//! Run with `cargo bench -p reconciler --bench store_upsert`. PostgreSQL is reached at
//! `RECONCILER_BENCH_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`), where the
//! bench creates and drops a database of its own.

use std::time::Instant;

use reconciler::store::{PartnerRow, Store};
use sqlx::Connection as _;

const ROWS: u64 = 200_000;
const BATCH: usize = 5_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite =
        Store::open(&dir.path().join("bench.db").display().to_string()).await.expect("sqlite");
    measure(&sqlite).await;

    let admin = std::env::var("RECONCILER_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let mut connection = sqlx::PgConnection::connect(&admin).await.expect("postgres reachable");
    for sql in [
        "DROP DATABASE IF EXISTS reconciler_bench WITH (FORCE)",
        "CREATE DATABASE reconciler_bench",
    ] {
        sqlx::query(sql).execute(&mut connection).await.expect("bench database");
    }
    let (base, _) = admin.rsplit_once('/').expect("the URL names a database");
    let postgres = Store::open(&format!("{base}/reconciler_bench")).await.expect("postgres");
    measure(&postgres).await;
    postgres.close().await;
    let drop = "DROP DATABASE IF EXISTS reconciler_bench WITH (FORCE)";
    sqlx::query(drop).execute(&mut connection).await.expect("drop bench database");
}

async fn measure(store: &Store) {
    for pass in ["insert", "update"] {
        let started = Instant::now();
        let ids: Vec<u64> = (1..=ROWS).collect();
        for chunk in ids.chunks(BATCH) {
            let rows: Vec<PartnerRow> = chunk.iter().map(|&id| row(id, pass)).collect();
            store.upsert_partner_states(&rows).await.expect("upsert");
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{:<8} {pass}: {ROWS} rows in batches of {BATCH}: {:.0} rows/s",
            store.backend_name(),
            ROWS as f64 / seconds
        );
    }
}

fn row(id: u64, pass: &str) -> PartnerRow {
    let fields = format!(
        r#"[{{"name":"email","value":{{"text":"user{id}@example.org"}}}},{{"name":"first_name","value":{{"text":"{pass}"}}}}]"#
    );
    PartnerRow {
        customer: "bench".into(),
        resource: "users".into(),
        id,
        parent: None,
        updated_at: 1_762_336_800_000_000 + id as i64,
        fingerprint: blake3::hash(fields.as_bytes()).as_bytes().to_vec(),
        fields,
        processed_at: 1_762_336_900_000_000,
        deleted_at: None,
    }
}
