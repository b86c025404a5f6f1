//! The circuit breaker: when a run finds too much, its corrective actions wait for a person.
//!
//! Finding too much usually means the detection, not the data, is broken: a stuck checkpoint, a
//! listing that came back short, a rule that regressed. Correcting automatically would then do
//! harm at scale, so the run's actions are held for review while detection goes on.

use std::collections::BTreeMap;

use serde::Serialize;

use super::task::Pass;
use crate::config::Thresholds;

/// What a run found, as far as the breaker cares.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub checked: u64,
    /// Records that needed correction.
    pub gaps: u64,
    /// Records partner state holds that VOMO's listing did not return.
    pub deletion_candidates: u64,
    /// Records partner state holds as live, before the run.
    pub partner_live: u64,
    /// Field drift findings, by field.
    pub drift_by_field: BTreeMap<String, u64>,
}

/// Why the breaker opened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trip {
    /// An incremental pass found this share of its records as gaps.
    GapRate { gaps: u64, checked: u64 },
    /// A full scan found more deletion candidates than both the count and the share allow.
    MassDeletion { candidates: u64, partner_live: u64 },
    /// Most drift fell on one field: the mapping rule probably regressed.
    ConcentratedDrift { field: String, findings: u64, total: u64 },
}

impl Trip {
    /// One line for the review queue and the alert.
    pub fn reason(&self) -> String {
        match self {
            Trip::GapRate { gaps, checked } => format!(
                "{gaps} of {checked} records were gaps: polling looks broken \
                 (checkpoint stuck, workers stalled or cadence too long)"
            ),
            Trip::MassDeletion { candidates, partner_live } => format!(
                "{candidates} of {partner_live} known records were missing from the listing: \
                 a mass deletion, or a listing that came back short"
            ),
            Trip::ConcentratedDrift { field, findings, total } => format!(
                "{findings} of {total} drift findings are on `{field}`: suspect the latest rule \
                 change"
            ),
        }
    }
}

/// Whether a run of `pass` that found `tally` must hold its actions, and why.
pub fn evaluate(pass: Pass, tally: &Tally, limits: &Thresholds) -> Option<Trip> {
    let share = |part: u64, whole: u64| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };

    if pass == Pass::Incremental
        && tally.checked >= limits.breaker_min_records
        && share(tally.gaps, tally.checked) >= limits.incremental_gap_rate
    {
        return Some(Trip::GapRate { gaps: tally.gaps, checked: tally.checked });
    }
    if pass == Pass::Full
        && tally.deletion_candidates > limits.deletion_count
        && share(tally.deletion_candidates, tally.partner_live) > limits.deletion_share
    {
        let (candidates, partner_live) = (tally.deletion_candidates, tally.partner_live);
        return Some(Trip::MassDeletion { candidates, partner_live });
    }
    let total: u64 = tally.drift_by_field.values().sum();
    let top = tally.drift_by_field.iter().max_by_key(|(_, count)| **count);
    match top {
        Some((field, &findings))
            if total >= limits.drift_min_findings
                && share(findings, total) >= limits.drift_field_share =>
        {
            Some(Trip::ConcentratedDrift { field: field.clone(), findings, total })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(checked: u64, gaps: u64) -> Tally {
        Tally { checked, gaps, ..Tally::default() }
    }

    #[test]
    fn half_the_records_as_gaps_opens_an_incremental_pass_only() {
        let limits = Thresholds::default();
        assert!(evaluate(Pass::Incremental, &tally(100, 49), &limits).is_none());
        let trip = evaluate(Pass::Incremental, &tally(100, 50), &limits).expect("open");
        assert_eq!(trip, Trip::GapRate { gaps: 50, checked: 100 });
        assert!(evaluate(Pass::Full, &tally(100, 50), &limits).is_none());
        assert!(evaluate(Pass::Incremental, &tally(4, 4), &limits).is_none(), "too few to judge");
    }

    #[test]
    fn deletions_must_exceed_both_the_count_and_the_share() {
        let limits = Thresholds::default();
        let mut t = Tally { deletion_candidates: 101, partner_live: 1_000, ..Tally::default() };
        assert!(evaluate(Pass::Full, &t, &limits).is_some(), "101 and 10 %");
        t.partner_live = 100_000;
        assert!(evaluate(Pass::Full, &t, &limits).is_none(), "101 but 0.1 %");
        t = Tally { deletion_candidates: 60, partner_live: 100, ..Tally::default() };
        assert!(evaluate(Pass::Full, &t, &limits).is_none(), "60 %, but only 60");
    }

    #[test]
    fn drift_on_one_field_opens_any_pass() {
        let limits = Thresholds::default();
        let mut t = tally(1_000, 30);
        t.drift_by_field = BTreeMap::from([("phone".to_owned(), 25), ("email".to_owned(), 5)]);
        let trip = evaluate(Pass::Audit, &t, &limits).expect("open");
        assert!(trip.reason().contains("`phone`"), "{}", trip.reason());
        t.drift_by_field.insert("email".to_owned(), 15);
        assert!(evaluate(Pass::Audit, &t, &limits).is_none(), "spread over two fields");
    }
}
