//! The raw query string of a request: decoded pairs for filters, raw pieces for links.

use crate::error::{ApiError, FieldErrors};

/// A query string kept both raw (to carry filters into links) and decoded.
#[derive(Clone, Debug, Default)]
pub struct Query {
    raw: Vec<String>,
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Splits `raw` (without the `?`) into pieces and decoded pairs.
    pub fn parse(raw: Option<&str>) -> Self {
        let mut query = Self::default();
        for piece in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
            query.raw.push(piece.to_owned());
            query.pairs.push((decode(key), decode(value)));
        }
        query
    }

    /// The last value given for `key`, as Laravel reads repeated keys.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The raw query without `page`, for building page links and cache keys.
    pub fn without_page(&self) -> String {
        let kept: Vec<&str> = self
            .raw
            .iter()
            .zip(&self.pairs)
            .filter(|(_, (key, _))| key != "page")
            .map(|(raw, _)| raw.as_str())
            .collect();
        kept.join("&")
    }

    /// The 1-based page number, 1 when absent; records a field error when unusable.
    pub fn page(&self, errors: &mut FieldErrors) -> u32 {
        let Some(text) = self.get("page") else {
            return 1;
        };
        match text.trim().parse::<u32>() {
            Ok(page) if page >= 1 => page,
            Ok(_) => {
                let message = format!("invalid `page` value `{text}`: must be at least 1");
                errors.entry("page".into()).or_default().push(message);
                1
            }
            Err(_) => {
                let message = format!("invalid `page` value `{text}`: must be an integer");
                errors.entry("page".into()).or_default().push(message);
                1
            }
        }
    }

    /// The page number alone, as a 422 when unusable.
    pub fn page_only(&self) -> Result<u32, ApiError> {
        let mut errors = FieldErrors::new();
        let page = self.page(&mut errors);
        ApiError::check(errors).map(|()| page)
    }
}

/// Percent-decodes one query component, reading `+` as a space.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(decode("a%2Bb+c%3A"), "a+b c:");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
    }

    #[test]
    fn page_is_dropped_from_the_link_query_and_order_is_kept() {
        let q = Query::parse(Some("updated_after=2025-01-01&page=3&name_like=an"));
        assert_eq!(q.without_page(), "updated_after=2025-01-01&name_like=an");
        assert_eq!(q.get("page"), Some("3"));
    }

    #[test]
    fn bad_pages_are_field_errors() {
        for bad in ["abc", "0", "-1", "1.5"] {
            let q = Query::parse(Some(&format!("page={bad}")));
            assert!(q.page_only().is_err(), "{bad}");
        }
        assert_eq!(Query::parse(None).page_only().ok(), Some(1));
    }
}
