//! Sync health: a customer's gap rate day by day over the last 30 days, and whether the sync is
//! healthy (under 1 % averaged over them).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::store::{RunOutcome, RunRecord};

/// The days sync health looks back over.
pub const DAYS: i64 = 30;

/// One UTC day's reconciliation: what its runs checked and the gaps they found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub checked: u64,
    pub gaps: u64,
    /// Gaps over records checked; none on a day nothing was checked.
    pub gap_rate: Option<f64>,
}

/// A customer's sync health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncHealth {
    /// The last 30 days, oldest first.
    pub days: Vec<Day>,
    /// Gaps over records checked across the 30 days.
    pub gap_rate: Option<f64>,
    /// Whether that rate is under the threshold (no runs: unknown, so not healthy).
    pub healthy: bool,
    /// Whether the latest run's breaker held its actions.
    pub breaker_open: bool,
}

/// The health `runs` (any order) show at `now`, against a daily gap-rate `threshold`. Dry runs
/// and failed runs do not count: they corrected nothing, and a failed run's counts are partial.
pub fn sync_health(runs: &[RunRecord], now: DateTime<Utc>, threshold: f64) -> SyncHealth {
    let today = now.date_naive();
    let mut days: Vec<Day> = (0..DAYS)
        .rev()
        .map(|back| Day {
            day: (today - Duration::days(back)).format("%Y-%m-%d").to_string(),
            checked: 0,
            gaps: 0,
            gap_rate: None,
        })
        .collect();
    let counted = runs.iter().filter(|r| !r.dry_run && r.outcome == RunOutcome::Succeeded);
    for run in counted {
        let Some(started) = DateTime::from_timestamp_micros(run.started_at) else { continue };
        let back = (today - started.date_naive()).num_days();
        if !(0..DAYS).contains(&back) {
            continue;
        }
        let day = &mut days[(DAYS - 1 - back) as usize];
        day.checked += run.counts.records_checked.max(0) as u64;
        day.gaps += run.counts.gaps.max(0) as u64;
    }
    let rate = |gaps: u64, checked: u64| (checked > 0).then(|| gaps as f64 / checked as f64);
    days.iter_mut().for_each(|day| day.gap_rate = rate(day.gaps, day.checked));
    let (gaps, checked) = days.iter().fold((0, 0), |(g, c), day| (g + day.gaps, c + day.checked));
    let gap_rate = rate(gaps, checked);
    let latest = runs.iter().filter(|r| !r.dry_run).max_by_key(|r| r.started_at);
    SyncHealth {
        days,
        gap_rate,
        healthy: gap_rate.is_some_and(|rate| rate < threshold),
        breaker_open: latest.is_some_and(|run| run.counts.breaker == "open"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RunCounts;

    fn run(days_ago: i64, checked: i64, gaps: i64, outcome: RunOutcome) -> RunRecord {
        let now = now();
        RunRecord {
            id: days_ago,
            customer: "acme".into(),
            task: "users_full".into(),
            dry_run: false,
            started_at: (now - Duration::days(days_ago)).timestamp_micros(),
            finished_at: None,
            outcome,
            counts: RunCounts {
                records_checked: checked,
                gaps,
                breaker: "closed".into(),
                ..Default::default()
            },
            error: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-04T12:00:00Z".parse().expect("an instant")
    }

    #[test]
    fn days_add_up_and_failed_or_old_runs_do_not_count() {
        let runs = [
            run(0, 1_000, 5, RunOutcome::Succeeded),
            run(0, 1_000, 5, RunOutcome::Succeeded),
            run(3, 500, 50, RunOutcome::Failed),
            run(40, 10, 10, RunOutcome::Succeeded),
        ];
        let health = sync_health(&runs, now(), 0.01);
        assert_eq!(health.days.len(), 30);
        let today = health.days.last().expect("today");
        assert_eq!((today.day.as_str(), today.checked, today.gaps), ("2026-12-04", 2_000, 10));
        assert_eq!(today.gap_rate, Some(0.005));
        assert_eq!(health.days[0].day, "2026-11-05");
        assert_eq!(health.gap_rate, Some(0.005));
        assert!(health.healthy);
    }

    #[test]
    fn no_runs_is_not_healthy_and_a_held_latest_run_shows_the_breaker_open() {
        assert!(!sync_health(&[], now(), 0.01).healthy);
        let mut held = run(0, 100, 60, RunOutcome::Succeeded);
        held.counts.breaker = "open".into();
        let health = sync_health(&[run(1, 100, 0, RunOutcome::Succeeded), held], now(), 0.01);
        assert!(health.breaker_open && !health.healthy);
    }
}
