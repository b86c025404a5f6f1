//! One page of a VOMO listing: the envelope, and each record read against the plugin's schema.

use std::borrow::Cow;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use serde_json::value::RawValue;

use super::quirks::{coerce_field, parse_id, parse_id_text, parse_timestamp};
use crate::bindings::{Description, Entity, FieldKind, Value};

/// The fields a task reads from each record, with their types: the plugin's compared fields.
#[derive(Debug, Clone, Default)]
pub struct RecordSchema {
    fields: Vec<(String, FieldKind)>,
    /// For each field, the parts a `records` field reads of each element; empty otherwise.
    parts: Vec<Vec<String>>,
}

impl RecordSchema {
    /// A schema of no fields: records read for their id and `updated_at` alone.
    pub const fn ids_only() -> Self {
        RecordSchema { fields: Vec::new(), parts: Vec::new() }
    }

    pub fn new(fields: impl IntoIterator<Item = (String, FieldKind)>) -> Self {
        let fields: Vec<_> = fields.into_iter().collect();
        RecordSchema { parts: vec![Vec::new(); fields.len()], fields }
    }

    /// Fields with the parts a `records` field reads of each element.
    pub fn with_parts(fields: impl IntoIterator<Item = (String, FieldKind, Vec<String>)>) -> Self {
        let (fields, parts) =
            fields.into_iter().map(|(name, kind, parts)| ((name, kind), parts)).unzip();
        RecordSchema { fields, parts }
    }

    /// The field names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(name, _)| name.as_str())
    }

    /// The type and parts of the field at `position`.
    pub fn field(&self, position: usize) -> (FieldKind, &[String]) {
        (self.fields[position].1, &self.parts[position])
    }

    /// The name of the field at `position`.
    pub fn field_name(&self, position: usize) -> &str {
        &self.fields[position].0
    }

    /// The position of field `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|(field, _)| field == name)
    }

    /// The compared fields a plugin described.
    pub fn of(description: &Description) -> Self {
        let fields = &description.compared_fields;
        RecordSchema {
            fields: fields.iter().map(|f| (f.name.clone(), f.kind)).collect(),
            parts: fields.iter().map(|f| f.parts.clone()).collect(),
        }
    }
}

/// One record as read from VOMO.
#[derive(Debug, Clone)]
pub struct VomoRecord {
    pub id: u64,
    /// The record this one was listed below (a completion's form, a participation's date).
    pub parent: Option<u64>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The compared fields' values, coerced to their declared types, in the schema's order.
    pub values: Vec<Value>,
    /// The whole record as VOMO sent it, text for text, for pushing downstream.
    raw: RawRecord,
}

/// A record's text as VOMO sent it: a copy of its own, or its place in the page it came in,
/// found again only when asked for. A scan pushes only the records that changed, and copying
/// every record's text had cost a pass over each page of its own.
#[derive(Clone)]
enum RawRecord {
    Owned(Box<RawValue>),
    /// Record `index` of the page `body`, a page [`parse_page`] read whole in one pass.
    InPage {
        body: Bytes,
        index: usize,
    },
}

impl RawRecord {
    fn get(&self) -> &RawValue {
        match self {
            RawRecord::Owned(raw) => raw,
            RawRecord::InPage { body, index } => {
                // The page was read whole before, as text, so reading it again cannot fail.
                let text = std::str::from_utf8(body).expect("a page read whole is text");
                let envelope: Envelope<'_> =
                    serde_json::from_str(text).expect("a page read whole has its records");
                envelope.data[*index]
            }
        }
    }
}

impl std::fmt::Debug for RawRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get().get())
    }
}

impl PartialEq for VomoRecord {
    fn eq(&self, other: &Self) -> bool {
        let same_raw = self.raw().get() == other.raw().get();
        self.id == other.id
            && self.parent == other.parent
            && self.updated_at == other.updated_at
            && self.values == other.values
            && same_raw
    }
}

impl VomoRecord {
    /// The whole record as VOMO sent it, text for text, for pushing downstream.
    pub fn raw(&self) -> &RawValue {
        self.raw.get()
    }

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

    /// Sets field `name` of the raw record, which is pushed downstream, to `value`.
    pub fn set_raw_field(&mut self, name: &str, value: Json) -> Result<(), String> {
        let mut object: serde_json::Map<String, Json> = serde_json::from_str(self.raw().get())
            .map_err(|e| format!("record {} is not an object: {e}", self.id))?;
        object.insert(name.to_owned(), value);
        let raw = serde_json::value::to_raw_value(&object).map_err(|e| e.to_string())?;
        self.raw = RawRecord::Owned(raw);
        Ok(())
    }

    /// The whole record as a JSON tree.
    pub fn raw_json(&self) -> Json {
        serde_json::from_str(self.raw().get()).unwrap_or(Json::Null)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub records: Vec<VomoRecord>,
    /// `links.next`, the page after this one; none on the last page.
    pub next: Option<String>,
    /// `meta.last_page`, where VOMO sends it: how many pages the listing holds now.
    pub last_page: Option<u32>,
}

/// A page's envelope with each record left as text: how a page the one pass refused is read
/// to say what is wrong with it, and how a record's text is found again in its page.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
    #[serde(default)]
    links: Option<Json>,
    #[serde(default)]
    meta: Option<Meta>,
}

/// The part of a page's `meta` the client reads.
#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    last_page: Option<Json>,
}

impl Meta {
    /// `last_page`, sent as a number or, in the reference's examples, as a string; anything
    /// else is taken as not sent, since nothing depends on it but reading ahead.
    fn last_page(&self) -> Option<u32> {
        match self.last_page.as_ref()? {
            Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A key, borrowed from the page unless it holds escapes.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// Parses a listing page, or says what in it is malformed. Nothing of a malformed page is kept.
pub fn parse_page(body: &Bytes, schema: &RecordSchema) -> Result<Page, String> {
    // A well-formed page is read in one pass; any other is read again the slower way, which
    // says what is wrong with it.
    match read_whole(body, schema) {
        Some(page) => Ok(page),
        None => parse_page_slowly(body, schema),
    }
}

/// Reads a well-formed page in one pass, each record where it lies; `None` for any other.
fn read_whole(body: &Bytes, schema: &RecordSchema) -> Option<Page> {
    let text = std::str::from_utf8(body).ok()?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let listing = ListingSeed { schema, body }.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    let next = next_link(listing.links.as_ref()).ok()?;
    let records = listing.records?.into_iter().collect::<Result<_, _>>().ok()?;
    let last_page = listing.meta.as_ref().and_then(Meta::last_page);
    Some(Page { records, next, last_page })
}

/// Reads a page with each record first set apart as text, and says what in it is malformed.
fn parse_page_slowly(body: &[u8], schema: &RecordSchema) -> Result<Page, String> {
    let envelope: Envelope<'_> = serde_json::from_slice(body).map_err(|_| diagnose(body))?;
    let next = next_link(envelope.links.as_ref())?;
    let records = envelope
        .data
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            parse_raw(record, schema).map_err(|reason| format!("record {}: {reason}", index + 1))
        })
        .collect::<Result<_, _>>()?;
    let last_page = envelope.meta.as_ref().and_then(Meta::last_page);
    Ok(Page { records, next, last_page })
}

/// The page after this one, from the envelope's `links`.
fn next_link(links: Option<&Json>) -> Result<Option<String>, String> {
    // `links.next` is the documented stop condition: a page without it cannot say whether the
    // listing ended, and taking it as the end would turn a short read into mass deletions.
    let links = links.ok_or("the envelope has no `links`: where the listing ends is unknown")?;
    Ok(match links.get("next") {
        None => return Err("`links` has no `next`, so where the listing ends is unknown".into()),
        Some(Json::Null) => None,
        // The reference's examples spell a missing link as the string "null".
        Some(Json::String(s)) if s == "null" || s.is_empty() => None,
        Some(Json::String(s)) => Some(s.to_owned()),
        Some(other) => return Err(format!("`links.next` is `{other}`, not a URL")),
    })
}

/// What one pass over a page read: each record, or why it cannot be read.
struct Listing {
    records: Option<Vec<Result<VomoRecord, String>>>,
    links: Option<Json>,
    meta: Option<Meta>,
}

/// Reads a page's envelope, its records parsed as they go by.
struct ListingSeed<'s> {
    schema: &'s RecordSchema,
    body: &'s Bytes,
}

impl<'de> DeserializeSeed<'de> for ListingSeed<'_> {
    type Value = Listing;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Listing, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListingSeed<'_> {
    type Value = Listing;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a page envelope")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Listing, M::Error> {
        let mut listing = Listing { records: None, links: None, meta: None };
        let mut seen = (false, false, false);
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match key.as_ref() {
                "data" if !seen.0 => {
                    seen.0 = true;
                    let seed = RecordsSeed { schema: self.schema, body: self.body };
                    listing.records = Some(map.next_value_seed(seed)?);
                }
                "links" if !seen.1 => {
                    seen.1 = true;
                    listing.links = map.next_value()?;
                }
                "meta" if !seen.2 => {
                    seen.2 = true;
                    listing.meta = map.next_value()?;
                }
                "data" | "links" | "meta" => {
                    return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(listing)
    }
}

/// Reads a page's `data` list, each record parsed where it lies.
struct RecordsSeed<'s> {
    schema: &'s RecordSchema,
    body: &'s Bytes,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_> {
    type Value = Vec<Result<VomoRecord, String>>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_> {
    type Value = Vec<Result<VomoRecord, String>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(15));
        while let Some(read) = seq.next_element_seed(RecordSeed { schema: self.schema })? {
            let raw = RawRecord::InPage { body: self.body.clone(), index: records.len() };
            records.push(finish(read, self.schema, raw));
        }
        Ok(records)
    }
}

/// Why a body is not a page envelope, in words.
fn diagnose(body: &[u8]) -> String {
    match serde_json::from_slice::<Json>(body) {
        Err(e) => format!("the body is not JSON: {e}"),
        Ok(json) if !json.get("data").is_some_and(Json::is_array) => {
            "the envelope has no `data` list".to_owned()
        }
        Ok(_) => "the envelope's `links` cannot be read".to_owned(),
    }
}

/// Parses a detail response, `{"data": {...}}`.
pub fn parse_detail(body: &[u8], schema: &RecordSchema) -> Result<VomoRecord, String> {
    #[derive(Deserialize)]
    struct Detail<'a> {
        #[serde(borrow)]
        data: Option<&'a RawValue>,
    }
    let detail: Detail<'_> =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    parse_raw(detail.data.ok_or("the response has no `data` object")?, schema)
}

/// Parses the records a detail response embeds as the list `field`, `{"data": {field: [...]}}`.
pub fn parse_embedded(
    body: &[u8],
    field: &str,
    schema: &RecordSchema,
) -> Result<Vec<VomoRecord>, String> {
    let json: Json =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let data = json.get("data").ok_or("the response has no `data` object")?;
    let list = match data.get(field) {
        Some(Json::Array(list)) => list,
        Some(other) => return Err(format!("`{field}` is `{other}`, not a list")),
        None => return Err(format!("the record has no `{field}` list")),
    };
    let parse = |(index, record)| {
        parse_record(record, schema).map_err(|e| format!("`{field}` item {}: {e}", index + 1))
    };
    list.iter().enumerate().map(parse).collect()
}

/// Parses one record object, as a page or a detail holds it.
pub fn parse_record(record: &Json, schema: &RecordSchema) -> Result<VomoRecord, String> {
    let raw = serde_json::value::to_raw_value(record).map_err(|e| e.to_string())?;
    parse_raw(&raw, schema)
}

/// Parses one record object from its text, in one pass: the compared fields are read as their
/// declared types as they go by, everything else is skipped unread.
pub fn parse_raw(record: &RawValue, schema: &RecordSchema) -> Result<VomoRecord, String> {
    let text = record.get();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read =
        RecordSeed { schema }.deserialize(&mut deserializer).map_err(|e| match e.is_data() {
            true => format!("`{}` is not an object", text.chars().take(200).collect::<String>()),
            false => e.to_string(),
        })?;

    finish(read, schema, RawRecord::Owned(record.to_owned()))
}

/// The record one pass read, or why it cannot be read.
fn finish(read: Read, schema: &RecordSchema, raw: RawRecord) -> Result<VomoRecord, String> {
    let id = read.id.ok_or("it has no `id`")??;
    let with_id = |reason: String| format!("id {id}: {reason}");
    let updated_at = read.updated_at.transpose().map_err(with_id)?.flatten();
    if let Some((position, error)) = read.errors.into_iter().min_by_key(|(position, _)| *position) {
        let name = schema.field_name(position);
        return Err(with_id(format!("field `{name}`: {error}")));
    }
    Ok(VomoRecord { id, parent: None, updated_at, values: read.values, raw })
}

/// What one pass over a record read. Each entry is the last value sent under its name, as a
/// JSON tree would keep it; a compared field whose last value cannot be read has an error
/// instead, by its position in the schema.
struct Read {
    id: Option<Result<u64, String>>,
    updated_at: Option<Result<Option<DateTime<Utc>>, String>>,
    values: Vec<Value>,
    errors: Vec<(usize, String)>,
}

impl Read {
    fn field(&mut self, position: usize, read: Result<Value, String>) {
        self.errors.retain(|(at, _)| *at != position);
        match read {
            Ok(value) => self.values[position] = value,
            Err(error) => self.errors.push((position, error)),
        }
    }
}

/// Reads a record object against `schema`.
struct RecordSeed<'s> {
    schema: &'s RecordSchema,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Read;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Read, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Read;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Read, M::Error> {
        let schema = self.schema;
        let values = vec![Value::Null; schema.fields.len()];
        let mut read = Read { id: None, updated_at: None, values, errors: Vec::new() };
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if key == "id" {
                read.id = Some(match map.next_value::<Sent<'de>>()? {
                    Sent::Text(text) => parse_id_text(&text),
                    Sent::Json(json) => parse_id(&json),
                });
            } else if key == "updated_at" {
                read.updated_at = Some(match map.next_value::<Sent<'de>>()? {
                    Sent::Text(text) => timestamp_text(&text).map(Some),
                    Sent::Json(json) => timestamp(&json),
                });
            } else if let Some(position) = schema.position(&key) {
                let (kind, parts) = schema.field(position);
                read.field(position, map.next_value_seed(FieldSeed { kind, parts })?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(read)
    }
}

/// Reads one compared field as its declared type. A text sent as a string, the common case, is
/// taken as it stands; anything else goes through [`coerce_field`], so both read alike.
struct FieldSeed<'s> {
    kind: FieldKind,
    parts: &'s [String],
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Result<Value, String>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Result<Value, String>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(match self.kind {
            FieldKind::Text => Ok(Value::Text(text.to_owned())),
            kind => coerce_field(kind, self.parts, &Json::String(text.to_owned())),
        })
    }

    fn visit_bool<E: serde::de::Error>(self, flag: bool) -> Result<Self::Value, E> {
        Ok(coerce_field(self.kind, self.parts, &Json::Bool(flag)))
    }

    fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Self::Value, E> {
        Ok(coerce_field(self.kind, self.parts, &Json::from(number)))
    }

    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Self::Value, E> {
        Ok(coerce_field(self.kind, self.parts, &Json::from(number)))
    }

    fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Self::Value, E> {
        Ok(coerce_field(self.kind, self.parts, &Json::from(number)))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let json = Json::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(coerce_field(self.kind, self.parts, &json))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let json = Json::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(coerce_field(self.kind, self.parts, &json))
    }
}

/// Reads `updated_at`: a timestamp, or null.
fn timestamp(json: &Json) -> Result<Option<DateTime<Utc>>, String> {
    match json {
        Json::Null => Ok(None),
        Json::String(s) => timestamp_text(s).map(Some),
        other => Err(format!("`updated_at` is `{other}`, not a timestamp")),
    }
}

fn timestamp_text(text: &str) -> Result<DateTime<Utc>, String> {
    parse_timestamp(text).map_err(|e| format!("`updated_at`: {e}"))
}

/// `id` or `updated_at` as sent: text borrowed from the page where it holds no escapes, since
/// both are nearly always text or a number, and anything else as JSON for the error to show.
enum Sent<'de> {
    Text(Cow<'de, str>),
    Json(Json),
}

impl<'de> Deserialize<'de> for Sent<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SentVisitor)
    }
}

struct SentVisitor;

impl<'de> Visitor<'de> for SentVisitor {
    type Value = Sent<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Sent<'de>, E> {
        Ok(Sent::Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Sent<'de>, E> {
        Ok(Sent::Text(Cow::Owned(text.to_owned())))
    }

    fn visit_bool<E: serde::de::Error>(self, flag: bool) -> Result<Sent<'de>, E> {
        Ok(Sent::Json(Json::Bool(flag)))
    }

    fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Sent<'de>, E> {
        Ok(Sent::Json(Json::from(number)))
    }

    fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Sent<'de>, E> {
        Ok(Sent::Json(Json::from(number)))
    }

    fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Sent<'de>, E> {
        Ok(Sent::Json(Json::from(number)))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Sent<'de>, E> {
        Ok(Sent::Json(Json::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Sent<'de>, A::Error> {
        Json::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Sent::Json)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Sent<'de>, A::Error> {
        Json::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Sent::Json)
    }
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

    fn page(body: &'static [u8]) -> Result<Page, String> {
        parse_page(&Bytes::from_static(body), &schema())
    }

    #[test]
    fn a_quirky_page_parses() {
        let body = br#"{
            "data": [
                {"id": "8205", "email": "a@x.org", "verified": 1, "hours": "4.00",
                 "updated_at": "2025-11-05T10:00:00+00:00", "unknown": {"ignored": true}},
                {"id": 8206, "verified": false, "updated_at": "2021-03-29 21:25:37"}
            ],
            "links": {"first": "x", "last": "y", "prev": "null",
                      "next": "https://h/v1/users?page=2"},
            "meta": {"current_page": "1", "per_page": "15", "last_page": "8"}
        }"#;
        let page = page(body).expect("parses");
        assert_eq!(page.last_page, Some(8), "meta's numbers arrive as strings");
        assert_eq!(page.next.as_deref(), Some("https://h/v1/users?page=2"));
        assert_eq!(page.records[0].id, 8205);
        assert_eq!(page.records[0].values[1], Value::Boolean(true));
        assert_eq!(page.records[0].values[2], Value::Decimal(4.0));
        assert_eq!(page.records[1].values[0], Value::Null, "a missing field is null");
    }

    #[test]
    fn embedded_records_are_read_from_their_parent_and_a_bad_one_is_named() {
        let body = br#"{"data": {"id": 9, "participants": [{"id": 1, "hours": "4.00"}]}}"#;
        let records = parse_embedded(body, "participants", &schema()).expect("one participant");
        assert_eq!(records[0].values[2], Value::Decimal(4.0));
        let bad = br#"{"data": {"id": 9, "participants": [{"id": 1}, {"hours": 1}]}}"#;
        let error = parse_embedded(bad, "participants", &schema()).expect_err("no id");
        assert_eq!(error, "`participants` item 2: it has no `id`");
        let not_list = br#"{"data": {"participants": 3}}"#;
        let error = parse_embedded(not_list, "participants", &schema()).expect_err("a number");
        assert_eq!(error, "`participants` is `3`, not a list");
    }

    #[test]
    fn one_pass_reads_fields_as_a_json_tree_would() {
        let schema = RecordSchema::new([
            ("email".to_owned(), FieldKind::Text),
            ("address".to_owned(), FieldKind::Text),
            ("zip".to_owned(), FieldKind::Text),
            ("tags".to_owned(), FieldKind::TextList),
        ]);
        let text = r#"{"email": "old@x.org", "address": {"z": 1, "a": "b"}, "zip": 1e2,
                       "skipped": [{"deep": [1, 2]}], "tags": ["a", 7], "id": "9",
                       "email": "new\u0040x.org"}"#;
        let raw = RawValue::from_string(text.to_owned()).expect("raw");
        let record = parse_raw(&raw, &schema).expect("parses");
        let expected = [
            Value::Text("new@x.org".into()),
            Value::Text(r#"{"a":"b","z":1}"#.into()),
            Value::Text("100.0".into()),
            Value::TextList(vec!["a".into(), "7".into()]),
        ];
        assert_eq!(record.values, expected, "the last value sent under a name counts");
        assert_eq!(record.id, 9);
        assert_eq!(record.raw().get(), text, "the record is kept as sent");
    }

    #[test]
    fn a_page_read_in_one_pass_keeps_each_record_as_sent() {
        let body: &'static [u8] = br#"{"links": {"next": null}, "extra": [{"data": 1}],
            "data": [{"id": 1, "email": "a\u0040x.org"}, {"id": 2}]}"#;
        let fast = page(body).expect("parses");
        let slow = parse_page_slowly(body, &schema()).expect("parses");
        assert_eq!(fast, slow, "both ways read the same page");
        assert_eq!(fast.records[0].raw().get(), r#"{"id": 1, "email": "a\u0040x.org"}"#);
        assert_eq!(fast.records[0].values[0], Value::Text("a@x.org".into()));
        assert_eq!(fast.records[1].raw().get(), r#"{"id": 2}"#);
    }

    #[test]
    fn a_page_with_a_part_twice_or_a_record_that_is_no_object_is_malformed() {
        assert!(page(br#"{"data": [], "data": [], "links": {"next": null}}"#).is_err());
        let error = page(br#"{"data": [3], "links": {"next": null}}"#).expect_err("a number");
        assert!(error.contains("record 1: `3` is not an object"), "{error}");
    }

    #[test]
    fn the_string_null_ends_the_listing() {
        let page = page(br#"{"data": [], "links": {"next": "null"}}"#);
        assert_eq!(page.expect("parses").next, None);
    }

    #[test]
    fn a_malformed_record_names_its_position_id_and_field() {
        let body =
            br#"{"data": [{"id": 1}, {"id": 2, "verified": "maybe"}], "links": {"next": null}}"#;
        let error = page(body).expect_err("malformed");
        assert!(error.contains("record 2: id 2: field `verified`"), "{error}");
    }

    #[test]
    fn a_page_without_data_or_json_is_malformed() {
        assert!(page(b"<html>").expect_err("bad").contains("not JSON"));
        assert!(page(br#"{"items": []}"#).expect_err("bad").contains("`data`"));
        let bad_time = br#"{"data": [{"id": 3, "updated_at": "soon"}], "links": {"next": null}}"#;
        assert!(page(bad_time).expect_err("bad").contains("`updated_at`"));
    }

    #[test]
    fn a_page_that_cannot_say_where_the_listing_ends_is_malformed() {
        let no_links = page(br#"{"data": [{"id": 1}]}"#).expect_err("bad");
        assert!(no_links.contains("no `links`"), "{no_links}");
        let no_next = page(br#"{"data": [], "links": {"first": "x"}}"#);
        assert!(no_next.expect_err("bad").contains("no `next`"));
    }
}
