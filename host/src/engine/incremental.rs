//! The incremental pass: re-read a past window and find every change that was not processed.
//! It trusts no checkpoint: the window comes from the clock and the customer's time zone.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};

use crate::bindings::ExternalSide;
use crate::throttle::Priority;
use crate::vomo::ListQuery;

use super::context::{RunContext, RunError};
use super::detect::{Case, Detected, is_unchanged, judge};

/// What the pass read and found.
#[derive(Debug, Default)]
pub struct Incremental {
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub pages: u32,
    pub checked: u64,
    pub detected: Vec<Detected>,
}

/// The window to re-read: the configured hours back from now, else yesterday from midnight to
/// midnight in the customer's time zone.
pub fn window(ctx: &RunContext<'_>) -> (DateTime<Utc>, DateTime<Utc>) {
    if let Some(hours) = ctx.passes.incremental_window_hours {
        return (ctx.now - Duration::hours(i64::from(hours)), ctx.now);
    }
    let today = ctx.now.with_timezone(&ctx.time_zone).date_naive();
    let midnight = |date: chrono::NaiveDate| {
        let local = date.and_time(NaiveTime::MIN);
        // A midnight that a daylight-saving jump skips or repeats resolves to its earliest.
        ctx.time_zone
            .from_local_datetime(&local)
            .earliest()
            .unwrap_or_else(|| ctx.time_zone.from_utc_datetime(&local))
            .with_timezone(&Utc)
    };
    let yesterday = today.pred_opt().unwrap_or(today);
    (midnight(yesterday), midnight(today))
}

/// Lists the window and judges every record partner state does not hold exactly.
pub async fn incremental(ctx: &RunContext<'_>) -> Result<Incremental, RunError> {
    let (start, end) = window(ctx);
    let query =
        ListQuery { updated_after: Some(start), updated_before: Some(end), ..ListQuery::default() };
    let target = &ctx.target;
    let mut listing =
        ctx.vomo.list(target.resource, &query, Priority::Reconciliation, target.schema);
    let mut pass = Incremental { window: Some((start, end)), ..Incremental::default() };
    ctx.progress.stage("listing the window");

    while let Some(page) = listing.next_page().await? {
        pass.pages += 1;
        pass.checked += page.records.len() as u64;
        ctx.progress.page(page.records.len());
        let ids: Vec<u64> = page.records.iter().map(|r| r.id).collect();
        let rows = target.store.partner_states(target.customer, target.resource, &ids).await?;
        let mut rows: HashMap<u64, _> = rows.into_iter().map(|row| (row.id, row)).collect();
        let mut cases = Vec::new();
        for record in page.records {
            if is_unchanged(ctx, &record, rows.get(&record.id)) {
                continue;
            }
            let partner = rows.remove(&record.id);
            let id = record.id;
            cases.push(Case { id, record: Some(record), partner, external: ExternalSide::NotRead });
        }
        if !cases.is_empty() {
            pass.detected.extend(judge(ctx, cases).await?);
        }
    }
    Ok(pass)
}
