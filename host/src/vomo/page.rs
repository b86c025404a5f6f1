//! One page of a VOMO listing: the envelope, and each record read against the plugin's schema.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::quirks::{coerce, parse_id, parse_timestamp};
use crate::bindings::{Description, Entity, FieldKind, Value};

/// The fields a task reads from each record, with their types: the plugin's compared fields.
#[derive(Debug, Clone, Default)]
pub struct RecordSchema {
    fields: Vec<(String, FieldKind)>,
}

impl RecordSchema {
    pub fn new(fields: impl IntoIterator<Item = (String, FieldKind)>) -> Self {
        RecordSchema { fields: fields.into_iter().collect() }
    }

    /// The field names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(name, _)| name.as_str())
    }

    /// The compared fields a plugin described.
    pub fn of(description: &Description) -> Self {
        Self::new(description.compared_fields.iter().map(|f| (f.name.clone(), f.kind)))
    }
}

/// One record as read from VOMO.
#[derive(Debug, Clone, PartialEq)]
pub struct VomoRecord {
    pub id: u64,
    pub updated_at: Option<DateTime<Utc>>,
    /// The compared fields' values, coerced to their declared types, in the schema's order.
    pub values: Vec<Value>,
    /// The whole record as VOMO sent it, for pushing downstream.
    pub raw: Json,
}

impl VomoRecord {
    /// The record as a plugin receives it.
    pub fn entity(&self) -> Entity {
        Entity {
            id: self.id,
            updated_at: self.updated_at.map(|at| crate::bindings::Datetime {
                seconds: at.timestamp(),
                nanoseconds: at.timestamp_subsec_nanos(),
            }),
            values: self.values.clone(),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub records: Vec<VomoRecord>,
    /// `links.next`, the page after this one; none on the last page.
    pub next: Option<String>,
}

/// Parses a listing page, or says what in it is malformed. Nothing of a malformed page is kept.
pub fn parse_page(body: &[u8], schema: &RecordSchema) -> Result<Page, String> {
    let envelope: Json =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let data =
        envelope.get("data").and_then(Json::as_array).ok_or("the envelope has no `data` list")?;
    let next = match envelope.get("links").and_then(|links| links.get("next")) {
        None | Some(Json::Null) => None,
        // The reference's examples spell a missing link as the string "null".
        Some(Json::String(s)) if s == "null" || s.is_empty() => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("`links.next` is `{other}`, not a URL")),
    };

    let records = data
        .iter()
        .enumerate()
        .map(|(index, record)| {
            parse_record(record, schema).map_err(|reason| format!("record {}: {reason}", index + 1))
        })
        .collect::<Result<_, _>>()?;
    Ok(Page { records, next })
}

/// Parses a detail response, `{"data": {...}}`.
pub fn parse_detail(body: &[u8], schema: &RecordSchema) -> Result<VomoRecord, String> {
    let envelope: Json =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let record = envelope.get("data").ok_or("the response has no `data` object")?;
    parse_record(record, schema)
}

/// Parses one record object, as a page or a detail holds it.
pub fn parse_record(record: &Json, schema: &RecordSchema) -> Result<VomoRecord, String> {
    let object = record.as_object().ok_or_else(|| format!("`{record}` is not an object"))?;
    let id = parse_id(object.get("id").ok_or("it has no `id`")?)?;
    let with_id = |reason: String| format!("id {id}: {reason}");

    let updated_at = match object.get("updated_at") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => {
            Some(parse_timestamp(s).map_err(|e| with_id(format!("`updated_at`: {e}")))?)
        }
        Some(other) => return Err(with_id(format!("`updated_at` is `{other}`, not a timestamp"))),
    };
    let values = schema
        .fields
        .iter()
        .map(|(name, kind)| {
            let json = object.get(name).unwrap_or(&Json::Null);
            coerce(*kind, json).map_err(|e| with_id(format!("field `{name}`: {e}")))
        })
        .collect::<Result<_, String>>()?;
    Ok(VomoRecord { id, updated_at, values, raw: record.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> RecordSchema {
        RecordSchema::new([
            ("email".to_owned(), FieldKind::Text),
            ("verified".to_owned(), FieldKind::Flag),
            ("hours".to_owned(), FieldKind::Decimal),
        ])
    }

    #[test]
    fn a_quirky_page_parses() {
        let body = br#"{
            "data": [
                {"id": "8205", "email": "a@x.org", "verified": 1, "hours": "4.00",
                 "updated_at": "2025-11-05T10:00:00+00:00", "unknown": {"ignored": true}},
                {"id": 8206, "verified": false, "updated_at": "2021-03-29 21:25:37"}
            ],
            "links": {"first": "x", "last": "y", "prev": "null", "next": "https://h/v1/users?page=2"},
            "meta": {"current_page": "1", "per_page": "15"}
        }"#;
        let page = parse_page(body, &schema()).expect("parses");
        assert_eq!(page.next.as_deref(), Some("https://h/v1/users?page=2"));
        assert_eq!(page.records[0].id, 8205);
        assert_eq!(page.records[0].values[1], Value::Boolean(true));
        assert_eq!(page.records[0].values[2], Value::Decimal(4.0));
        assert_eq!(page.records[1].values[0], Value::Null, "a missing field is null");
    }

    #[test]
    fn the_string_null_ends_the_listing() {
        let page = parse_page(br#"{"data": [], "links": {"next": "null"}}"#, &schema());
        assert_eq!(page.expect("parses").next, None);
    }

    #[test]
    fn a_malformed_record_names_its_position_id_and_field() {
        let body = br#"{"data": [{"id": 1}, {"id": 2, "verified": "maybe"}], "links": {}}"#;
        let error = parse_page(body, &schema()).expect_err("malformed");
        assert!(error.contains("record 2: id 2: field `verified`"), "{error}");
    }

    #[test]
    fn a_page_without_data_or_json_is_malformed() {
        assert!(parse_page(b"<html>", &schema()).expect_err("bad").contains("not JSON"));
        assert!(parse_page(br#"{"items": []}"#, &schema()).expect_err("bad").contains("`data`"));
        let bad_time = br#"{"data": [{"id": 3, "updated_at": "soon"}]}"#;
        assert!(parse_page(bad_time, &schema()).expect_err("bad").contains("`updated_at`"));
    }
}
