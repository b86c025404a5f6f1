//! Listings over adjacent `updated_at` windows that hand out each record once.
//!
//! VOMO's `updated_after` and `updated_before` are both inclusive, so a record whose `updated_at`
//! falls exactly on the boundary between two windows is listed by both. The second sighting of
//! the same record at the same `updated_at` is dropped here.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};

use super::client::{ListQuery, Lister, VomoClient};
use super::error::VomoError;
use super::page::{Page, RecordSchema};
use crate::throttle::Priority;

/// A listing of `[start, end]` read as consecutive windows of at most `width`.
#[derive(Debug)]
pub struct WindowedListing<'a> {
    client: &'a VomoClient,
    resource: &'a str,
    schema: &'a RecordSchema,
    priority: Priority,
    windows: VecDeque<(DateTime<Utc>, DateTime<Utc>)>,
    current: Option<(Lister<'a>, DateTime<Utc>, DateTime<Utc>)>,
    /// Ids seen exactly on the end of the window being read: the next window lists them again.
    on_boundary: HashSet<u64>,
    seen_on_start: HashSet<u64>,
}

impl<'a> WindowedListing<'a> {
    pub fn new(
        client: &'a VomoClient,
        resource: &'a str,
        schema: &'a RecordSchema,
        priority: Priority,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        width: Duration,
    ) -> Self {
        let mut windows = VecDeque::new();
        let mut from = start;
        while from < end {
            let to = (from + width).min(end);
            windows.push_back((from, to));
            from = to;
        }
        WindowedListing {
            client,
            resource,
            schema,
            priority,
            windows,
            current: None,
            on_boundary: HashSet::new(),
            seen_on_start: HashSet::new(),
        }
    }

    /// The next page with boundary repeats removed, or none when every window is read.
    pub async fn next_page(&mut self) -> Result<Option<Page>, VomoError> {
        loop {
            if self.current.is_none() {
                let Some((from, to)) = self.windows.pop_front() else { return Ok(None) };
                let query = ListQuery {
                    updated_after: Some(from),
                    updated_before: Some(to),
                    params: Vec::new(),
                };
                let lister = self.client.list(self.resource, &query, self.priority, self.schema);
                self.seen_on_start = std::mem::take(&mut self.on_boundary);
                self.current = Some((lister, from, to));
            }
            let (lister, from, to) = self.current.as_mut().expect("a window is open");
            let (from, to) = (*from, *to);
            let Some(mut page) = lister.next_page().await? else {
                self.current = None;
                continue;
            };

            page.records.retain(|record| {
                let at = record.updated_at;
                !(at == Some(from) && self.seen_on_start.contains(&record.id))
            });
            for record in &page.records {
                if record.updated_at == Some(to) {
                    self.on_boundary.insert(record.id);
                }
            }
            return Ok(Some(page));
        }
    }
}
