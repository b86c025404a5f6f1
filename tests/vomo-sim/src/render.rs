//! JSON shapes of every resource, with the v1 quirks switched on or off in one place.

pub mod catalog;
pub mod forms;
pub mod groups;
pub mod projects;
pub mod users;
pub mod value;

use crate::model::Secs;
use crate::store::Store;
use crate::timefmt::Style;
use value::{Flag, Hours, LooseId, Time};

/// What a renderer needs besides the record: the store, the quirk switch and the clock.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub quirks: bool,
    pub now: Secs,
}

impl Ctx<'_> {
    /// A boolean the reference shows as `0`/`1`.
    pub fn flag(&self, on: bool) -> Flag {
        Flag { on, numeric: self.quirks }
    }

    /// An id the reference shows as a string in embedded places.
    pub fn loose_id(&self, id: u32) -> LooseId {
        LooseId { id: u64::from(id), as_string: self.quirks }
    }

    /// A REST timestamp, `2025-11-05T10:00:00+00:00`.
    pub fn rest(&self, secs: Secs) -> Time {
        Time { secs, style: Style::Rest }
    }

    /// A participation timestamp, `2021-03-30T15:29:03.000000Z` under the quirks.
    pub fn micros(&self, secs: Secs) -> Time {
        let style = if self.quirks { Style::Micros } else { Style::Rest };
        Time { secs, style }
    }

    /// A project owner timestamp, `2021-03-29 21:25:37` under the quirks.
    pub fn plain(&self, secs: Secs) -> Time {
        let style = if self.quirks { Style::Plain } else { Style::Rest };
        Time { secs, style }
    }

    /// A calendar date, `1975-12-01`.
    pub fn date(&self, secs: Secs) -> Time {
        Time { secs, style: Style::Date }
    }

    /// Hours in hundredths, `"4.00"` under the quirks.
    pub fn hours(&self, centi: u32) -> Hours {
        Hours { centi, as_string: self.quirks }
    }
}
