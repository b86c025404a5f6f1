//! The incremental pass: re-read a past window and find every change that was not processed.
//! It trusts no checkpoint: the window comes from the clock and the customer's time zone.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::bindings::ExternalSide;
use crate::store::PartnerRow;
use crate::throttle::Priority;
use crate::vomo::ListQuery;

use super::context::{RunContext, RunError};
use super::detect::{Case, is_unchanged, judge};
use super::sink::Sink;

/// What the pass read and found.
#[derive(Debug, Default)]
pub struct Incremental {
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub pages: u32,
    pub checked: u64,
}

/// The window to re-read: the configured hours back from now, else yesterday from midnight to
/// midnight in the customer's time zone.
pub fn window(ctx: &RunContext<'_>) -> (DateTime<Utc>, DateTime<Utc>) {
    if let Some(hours) = ctx.passes.incremental_window_hours {
        return (ctx.now - Duration::hours(i64::from(hours)), ctx.now);
    }
    let today = ctx.now.with_timezone(&ctx.time_zone).date_naive();
    let yesterday = today.pred_opt().unwrap_or(today);
    (day_start(ctx.time_zone, yesterday), day_start(ctx.time_zone, today))
}

/// The first instant of `date` in `zone`. A midnight a daylight-saving change repeats counts
/// once, at its earliest; a midnight it skips moves to the first minute that exists.
fn day_start(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    (0..24 * 60)
        .find_map(|minute| {
            zone.from_local_datetime(&(midnight + Duration::minutes(minute))).earliest()
        })
        .map_or_else(|| Utc.from_utc_datetime(&midnight), |start| start.with_timezone(&Utc))
}

/// Lists the window and judges every record partner state does not hold exactly; what it finds
/// goes to `sink`.
pub async fn incremental(
    ctx: &RunContext<'_>,
    sink: &mut Sink<'_>,
) -> Result<Incremental, RunError> {
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
            if is_unchanged(ctx, &record, rows.get(&record.id).map(PartnerRow::version).as_ref()) {
                continue;
            }
            let partner = rows.remove(&record.id);
            let id = record.id;
            cases.push(Case { id, record: Some(record), partner, external: ExternalSide::NotRead });
        }
        if !cases.is_empty() {
            sink.keep(judge(ctx, cases).await?).await?;
        }
    }
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("a UTC instant")
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let date = NaiveDate::from_ymd_opt(2026, 7, 1).expect("a date");
        assert_eq!(day_start(chrono_tz::Europe::Berlin, date), utc("2026-06-30T22:00:00Z"));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_when_the_clocks_resume() {
        // Chile moved its clocks from 00:00 to 01:00 on 2023-09-03: the day began at 01:00 -03.
        let date = NaiveDate::from_ymd_opt(2023, 9, 3).expect("a date");
        assert_eq!(day_start(chrono_tz::America::Santiago, date), utc("2023-09-03T04:00:00Z"));
    }

    #[test]
    fn a_repeated_midnight_starts_the_day_at_its_first_occurrence() {
        // Cuba moved its clocks from 01:00 back to 00:00 on 2023-11-05: midnight came twice.
        let date = NaiveDate::from_ymd_opt(2023, 11, 5).expect("a date");
        assert_eq!(day_start(chrono_tz::America::Havana, date), utc("2023-11-05T04:00:00Z"));
    }
}
