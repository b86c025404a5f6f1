//! Parsing of list filters into inclusive bounds, with a field error per bad value.

use crate::error::FieldErrors;
use crate::model::Secs;
use crate::query::Query;
use crate::timefmt;

/// Inclusive time bounds on `created_at` and `updated_at`, in whole seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub created_from: Option<Secs>,
    pub created_until: Option<Secs>,
    pub updated_from: Option<Secs>,
    pub updated_until: Option<Secs>,
}

impl TimeWindow {
    /// Reads `created_after`, `created_before`, `updated_after` and `updated_before`.
    pub fn parse(query: &Query, errors: &mut FieldErrors) -> Self {
        Self {
            created_from: lower_bound(query, "created_after", errors),
            created_until: upper_bound(query, "created_before", errors),
            updated_from: lower_bound(query, "updated_after", errors),
            updated_until: upper_bound(query, "updated_before", errors),
        }
    }

    /// Whether a record created at `created` and updated at `updated` lies inside.
    pub fn admits(&self, created: Secs, updated: Secs) -> bool {
        self.created_from.is_none_or(|from| created >= from)
            && self.created_until.is_none_or(|until| created <= until)
            && self.updated_from.is_none_or(|from| updated >= from)
            && self.updated_until.is_none_or(|until| updated <= until)
    }
}

/// An inclusive lower bound: a fractional instant rounds up, since stored times are whole
/// seconds.
pub fn lower_bound(query: &Query, key: &str, errors: &mut FieldErrors) -> Option<Secs> {
    let at = instant(query, key, errors)?;
    let round_up = i64::from(at.timestamp_subsec_nanos() > 0);
    Some(at.timestamp() + round_up)
}

/// An inclusive upper bound.
pub fn upper_bound(query: &Query, key: &str, errors: &mut FieldErrors) -> Option<Secs> {
    instant(query, key, errors).map(|at| at.timestamp())
}

fn instant(
    query: &Query,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = query.get(key)?;
    let parsed = timefmt::parse_instant(text);
    if parsed.is_none() {
        let message = format!("invalid `{key}` value `{text}`: expected an ISO 8601 date-time");
        errors.entry(key.to_owned()).or_default().push(message);
    }
    parsed
}

/// A `true`/`false` (or `1`/`0`) filter.
pub fn boolean(query: &Query, key: &str, errors: &mut FieldErrors) -> Option<bool> {
    let text = query.get(key)?;
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => {
            let message = format!("invalid `{key}` value `{text}`: expected true or false");
            errors.entry(key.to_owned()).or_default().push(message);
            None
        }
    }
}

/// A positive integer id filter.
pub fn id(query: &Query, key: &str, errors: &mut FieldErrors) -> Option<u32> {
    let text = query.get(key)?;
    match text.trim().parse::<u32>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            let message = format!("invalid `{key}` value `{text}`: expected a positive integer");
            errors.entry(key.to_owned()).or_default().push(message);
            None
        }
    }
}

/// A case-insensitive substring filter, lower-cased; empty means absent.
pub fn like(query: &Query, key: &str) -> Option<String> {
    query.get(key).map(|text| text.trim().to_lowercase()).filter(|text| !text.is_empty())
}

/// Whether `haystack` contains the lower-cased `needle`, ignoring case.
pub fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        let (hay, pin) = (haystack.as_bytes(), needle.as_bytes());
        return pin.is_empty()
            || hay.windows(pin.len()).any(|window| window.eq_ignore_ascii_case(pin));
    }
    haystack.to_lowercase().contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_fractions_round_inward() {
        let q = Query::parse(Some(
            "updated_after=2025-11-05T10:00:00.5Z&updated_before=2025-11-05T11:00:00Z",
        ));
        let mut errors = FieldErrors::new();
        let window = TimeWindow::parse(&q, &mut errors);
        assert!(errors.is_empty());
        let ten = 1_762_336_800;
        assert!(!window.admits(0, ten));
        assert!(window.admits(0, ten + 1));
        assert!(window.admits(0, ten + 3600));
        assert!(!window.admits(0, ten + 3601));
    }

    #[test]
    fn unparsable_values_name_the_field() {
        let q = Query::parse(Some("created_after=soon&active=maybe"));
        let mut errors = FieldErrors::new();
        TimeWindow::parse(&q, &mut errors);
        boolean(&q, "active", &mut errors);
        assert_eq!(errors.len(), 2);
        assert!(errors["created_after"][0].contains("`soon`"));
    }

    #[test]
    fn substring_match_ignores_case() {
        assert!(contains_ignoring_case("Carmen Lopez", "men l"));
        assert!(!contains_ignoring_case("Carmen", "mex"));
    }
}
