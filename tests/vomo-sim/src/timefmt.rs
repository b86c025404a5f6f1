//! Timestamp text: the three output styles of the reference and the accepted filter inputs.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// The textual styles the reference shows for timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `2025-11-05T10:00:00+00:00`, the REST style.
    Rest,
    /// `2021-03-30T15:29:03.000000Z`, the participation style.
    Micros,
    /// `2021-03-29 21:25:37`, the project owner style.
    Plain,
    /// `1975-12-01`, dates only.
    Date,
}

/// A formatted timestamp held on the stack.
pub struct Stamp {
    buf: [u8; 32],
    len: usize,
}

impl Stamp {
    /// Formats `secs` (seconds since the epoch, UTC) in `style`.
    pub fn new(secs: i64, style: Style) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);

        let mut stamp = Stamp { buf: [0; 32], len: 0 };
        stamp.two(year / 100);
        stamp.two(year % 100);
        stamp.push(b'-');
        stamp.two(month);
        stamp.push(b'-');
        stamp.two(day);
        if style == Style::Date {
            return stamp;
        }

        stamp.push(if style == Style::Plain { b' ' } else { b'T' });
        stamp.two(h);
        stamp.push(b':');
        stamp.two(m);
        stamp.push(b':');
        stamp.two(s);
        match style {
            Style::Rest => stamp.extend(b"+00:00"),
            Style::Micros => stamp.extend(b".000000Z"),
            Style::Plain | Style::Date => {}
        }
        stamp
    }

    /// The formatted text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    fn push(&mut self, byte: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = byte;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.push(byte);
        }
    }

    /// Writes two digits of `value` (clamped to 0..=99).
    fn two(&mut self, value: i64) {
        let value = value.clamp(0, 99) as u8;
        self.push(b'0' + value / 10);
        self.push(b'0' + value % 10);
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Year, month and day of a count of days since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses a filter or control timestamp: ISO 8601 with an offset or `Z`, a naive date-time
/// (taken as UTC) or a plain date (midnight UTC, as a Carbon-based backend reads it).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }

    // A client that forgets to encode `+` sends a space in its place.
    let repaired = repair_offset(text);
    if let Ok(at) = DateTime::parse_from_rfc3339(&repaired) {
        return Some(at.with_timezone(&Utc));
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(at) = DateTime::parse_from_str(&repaired, pattern) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(at.and_utc());
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Parses a `YYYY-MM-DD` date into seconds at midnight UTC.
pub fn parse_date(text: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

fn repair_offset(text: &str) -> String {
    match text.rfind(' ') {
        Some(at) if at > 10 && text[at + 1..].len() == 5 => {
            format!("{}+{}", &text[..at], &text[at + 1..])
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(secs: i64, style: Style) -> String {
        Stamp::new(secs, style).to_string()
    }

    #[test]
    fn styles_match_the_reference_examples() {
        let secs = 1_617_118_143; // 2021-03-30T15:29:03Z
        assert_eq!(format(secs, Style::Rest), "2021-03-30T15:29:03+00:00");
        assert_eq!(format(secs, Style::Micros), "2021-03-30T15:29:03.000000Z");
        assert_eq!(format(secs, Style::Plain), "2021-03-30 15:29:03");
        assert_eq!(format(secs, Style::Date), "2021-03-30");
        assert_eq!(format(0, Style::Rest), "1970-01-01T00:00:00+00:00");
    }

    #[test]
    fn formatting_agrees_with_chrono_across_years() {
        for secs in (-2_000_000_000_i64..4_000_000_000).step_by(7_777_777) {
            let expected = DateTime::from_timestamp(secs, 0)
                .map(|at| at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string());
            assert_eq!(Some(format(secs, Style::Rest)), expected, "secs {secs}");
        }
    }

    #[test]
    fn filter_values_accept_offset_zulu_and_plain_dates() {
        let at = |t: &str| parse_instant(t).map(|d| d.timestamp());
        assert_eq!(at("2025-11-05T10:00:00+00:00"), Some(1_762_336_800));
        assert_eq!(at("2025-11-05T10:00:00Z"), Some(1_762_336_800));
        assert_eq!(at("2025-11-05T12:00:00+02:00"), Some(1_762_336_800));
        assert_eq!(at("2025-11-05T10:00:00 00:00"), Some(1_762_336_800));
        assert_eq!(at("2025-11-05T10:00:00.000000Z"), Some(1_762_336_800));
        assert_eq!(at("2025-11-05"), Some(1_762_300_800));
        assert_eq!(at("yesterday"), None);
        assert_eq!(at("2025-13-05"), None);
    }
}
