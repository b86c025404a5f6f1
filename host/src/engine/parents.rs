//! The parents a pass over a nested resource reads: every listed form, or the recent dates of
//! recently active projects, and the parents partner state holds records below that neither
//! shows any more, whose read tells whether they are gone.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use crate::bindings::{FieldKind, Value};
use crate::config::PassSettings;
use crate::store::now_micros;
use crate::throttle::Priority;
use crate::vomo::{ListQuery, Nesting, RecordSchema, VomoRecord, parse_timestamp};

use super::context::{RunContext, RunError};

/// The project dates the participation pass reads when it runs at `until`: of the projects
/// with a date that started since `active_since`, the dates that started since `dates_since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParticipationWindow {
    pub active_since: DateTime<Utc>,
    pub dates_since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl ParticipationWindow {
    /// The window of a pass that runs at `now` with `passes`.
    pub fn at(passes: &PassSettings, now: DateTime<Utc>) -> Self {
        let days = |days: u32| now - Duration::days(i64::from(days));
        ParticipationWindow {
            active_since: days(passes.participation_active_days),
            dates_since: days(passes.participation_date_days),
            until: now,
        }
    }

    /// Whether a project with a date that started at `start` is active.
    pub fn activates(&self, start: DateTime<Utc>) -> bool {
        self.active_since <= start && start <= self.until
    }

    /// Whether a date of an active project that started at `start` is read.
    pub fn reads(&self, start: DateTime<Utc>) -> bool {
        self.dates_since <= start && start <= self.until
    }

    /// The projects listing that finds the active projects, with their dates' starts.
    fn query(&self) -> (ListQuery, RecordSchema) {
        let stamp = |at: DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
        let params = vec![
            ("dates_after".to_owned(), stamp(self.active_since)),
            ("dates_before".to_owned(), stamp(self.until)),
        ];
        let query = ListQuery { params, ..ListQuery::default() };
        let fields = [("all_dates".to_owned(), FieldKind::Records, vec!["starts_at".to_owned()])];
        (query, RecordSchema::with_parts(fields))
    }

    /// The ids of an active project's dates that the window reads.
    fn dates_read(&self, project: &VomoRecord) -> Vec<u64> {
        let Some(Value::Records(dates)) = project.values.first() else { return Vec::new() };
        let read = |starts: &Option<String>| {
            let at = starts.as_deref().and_then(|text| parse_timestamp(text).ok());
            at.is_some_and(|at| self.reads(at))
        };
        let recent = dates.iter().filter(|date| date.parts.first().is_some_and(read));
        recent.filter_map(|date| u64::try_from(date.id).ok()).collect()
    }
}

/// The parents whose records a pass reads: those VOMO shows, then those partner state still
/// holds live records below that VOMO no longer shows, so a parent that is gone is noticed.
pub async fn parents(ctx: &RunContext<'_>, nesting: Nesting) -> Result<Vec<u64>, RunError> {
    let mut parents = shown(ctx, nesting).await?;
    // A date's records are processed only once it has started, so one whose records were all
    // processed more than `participation_date_days` ago started earlier still and has left the
    // window for good: it is not looked for. `processed_at` is the wall clock's, so is the
    // bound. Forms are all listed, so every form partner state holds completions below counts.
    let since = match nesting {
        Nesting::Listed { .. } => None,
        Nesting::Embedded { .. } => {
            let days = i64::from(ctx.passes.participation_date_days);
            Some(now_micros() - Duration::days(days).num_microseconds().unwrap_or(i64::MAX))
        }
    };
    let target = &ctx.target;
    let held = target.store.held_parents(target.customer, target.resource, since).await?;
    let shown: HashSet<u64> = parents.iter().copied().collect();
    parents.extend(held.into_iter().filter(|parent| !shown.contains(parent)));
    Ok(parents)
}

/// The parents VOMO shows: every listed parent, or the dates the participation window reads.
async fn shown(ctx: &RunContext<'_>, nesting: Nesting) -> Result<Vec<u64>, RunError> {
    let window = ParticipationWindow::at(ctx.passes, ctx.now);
    let (resource, query, schema) = match nesting {
        Nesting::Listed { parent, .. } => (parent, ListQuery::default(), RecordSchema::ids_only()),
        Nesting::Embedded { .. } => {
            let (query, schema) = window.query();
            ("projects", query, schema)
        }
    };
    let mut listing = ctx.vomo.list(resource, &query, Priority::Reconciliation, &schema);
    let mut parents = Vec::new();
    while let Some(page) = listing.next_page().await? {
        for record in &page.records {
            match nesting {
                Nesting::Listed { .. } => parents.push(record.id),
                Nesting::Embedded { .. } => parents.extend(window.dates_read(record)),
            }
        }
    }
    Ok(parents)
}
