//! Reading VOMO's values whatever documented form they arrive in: ids as numbers or strings,
//! booleans as `true`/`false` or 0/1, decimals as strings, and three timestamp formats.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value as Json;

use crate::bindings::{FieldKind, Item, Value};

/// Reads an id sent as a number (`8205`) or a string (`"8205"`).
pub fn parse_id(json: &Json) -> Result<u64, String> {
    match json {
        Json::Number(n) => n.as_u64().ok_or_else(|| format!("id `{n}` is not a whole number")),
        Json::String(s) => parse_id_text(s),
        other => Err(format!("id `{other}` is neither a number nor a string")),
    }
}

/// Reads an id sent as a string.
pub fn parse_id_text(text: &str) -> Result<u64, String> {
    text.trim().parse().map_err(|_| format!("id `{text}` is not a whole number"))
}

/// Reads a timestamp in any form VOMO documents: `2025-11-05T10:00:00+00:00`,
/// `2021-03-30T15:29:03.000000Z`, `2021-03-29 21:25:37` (taken as UTC) or a plain date.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(at.and_utc());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    Err(format!("`{text}` is not a timestamp"))
}

/// Reads one field as the type its plugin declared. Null and absent are `null` for every type.
pub fn coerce(kind: FieldKind, json: &Json) -> Result<Value, String> {
    coerce_field(kind, &[], json)
}

/// Reads one field as its declared type; a `records` field's elements keep the named `parts`.
pub fn coerce_field(kind: FieldKind, parts: &[String], json: &Json) -> Result<Value, String> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    match kind {
        FieldKind::Text => Ok(Value::Text(text(json))),
        FieldKind::Flag => flag(json).map(Value::Boolean),
        FieldKind::Integer => integer(json).map(Value::Integer),
        FieldKind::Decimal => decimal(json).map(Value::Decimal),
        FieldKind::TextList => list(json)?
            .iter()
            .map(|item| Ok(text(item)))
            .collect::<Result<_, String>>()
            .map(Value::TextList),
        FieldKind::IntegerList => {
            list(json)?.iter().map(list_integer).collect::<Result<_, _>>().map(Value::IntegerList)
        }
        FieldKind::Records => list(json)?
            .iter()
            .enumerate()
            .map(|(index, element)| item(element, parts).map_err(|e| format!("item {index}: {e}")))
            .collect::<Result<_, _>>()
            .map(Value::Records),
    }
}

/// One element of a `records` field: its `id` and the texts of its parts.
fn item(element: &Json, parts: &[String]) -> Result<Item, String> {
    let object =
        element.as_object().ok_or_else(|| format!("expected an object, got `{element}`"))?;
    let id = object.get("id").ok_or("it has no `id`")?;
    let part = |name: &String| match object.get(name) {
        None | Some(Json::Null) => None,
        Some(found) => Some(text(found)),
    };
    Ok(Item { id: integer(id)?, parts: parts.iter().map(part).collect() })
}

fn text(json: &Json) -> String {
    match json {
        Json::String(s) => s.clone(),
        // Objects (a project's address) compare as their canonical JSON: keys sorted.
        other => other.to_string(),
    }
}

fn flag(json: &Json) -> Result<bool, String> {
    match json {
        Json::Bool(b) => Ok(*b),
        Json::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Json::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Json::String(s) => match s.trim() {
            "0" | "false" => Ok(false),
            "1" | "true" => Ok(true),
            _ => Err(format!("expected a boolean (true/false or 0/1), got `{json}`")),
        },
        _ => Err(format!("expected a boolean (true/false or 0/1), got `{json}`")),
    }
}

fn integer(json: &Json) -> Result<i64, String> {
    let parsed = match json {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| format!("expected an integer, got `{json}`"))
}

fn decimal(json: &Json) -> Result<f64, String> {
    let parsed = match json {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    parsed.filter(|d| d.is_finite()).ok_or_else(|| format!("expected a decimal, got `{json}`"))
}

fn list(json: &Json) -> Result<&Vec<Json>, String> {
    json.as_array().ok_or_else(|| format!("expected a list, got `{json}`"))
}

fn list_integer(json: &Json) -> Result<i64, String> {
    match json.get("id") {
        Some(id) => integer(id),
        None => integer(json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_arrive_as_numbers_or_strings() {
        assert_eq!(parse_id(&json!(8205)), Ok(8205));
        assert_eq!(parse_id(&json!("8205")), Ok(8205));
        assert!(parse_id(&json!("82x")).expect_err("not an id").contains("`82x`"));
        assert!(parse_id(&json!(-1)).is_err());
        assert!(parse_id(&json!(null)).is_err());
    }

    #[test]
    fn every_documented_timestamp_format_parses() {
        let ten = "2025-11-05T10:00:00Z".parse::<DateTime<Utc>>().expect("reference");
        assert_eq!(parse_timestamp("2025-11-05T10:00:00+00:00"), Ok(ten));
        assert_eq!(parse_timestamp("2025-11-05T10:00:00.000000Z"), Ok(ten));
        assert_eq!(parse_timestamp("2025-11-05 10:00:00"), Ok(ten));
        assert_eq!(parse_timestamp("2025-11-05T12:00:00+02:00"), Ok(ten));
        let midnight = "2025-11-05T00:00:00Z".parse::<DateTime<Utc>>().expect("reference");
        assert_eq!(parse_timestamp("2025-11-05"), Ok(midnight));
        assert!(parse_timestamp("yesterday").expect_err("bad").contains("`yesterday`"));
    }

    #[test]
    fn booleans_arrive_as_flags_or_numbers() {
        for (json, expected) in [(json!(1), true), (json!(0), false), (json!(true), true)] {
            assert_eq!(coerce(FieldKind::Flag, &json), Ok(Value::Boolean(expected)));
        }
        assert_eq!(coerce(FieldKind::Flag, &json!("1")), Ok(Value::Boolean(true)));
        assert!(coerce(FieldKind::Flag, &json!(2)).is_err());
        assert!(coerce(FieldKind::Flag, &json!("maybe")).expect_err("bad").contains("maybe"));
    }

    #[test]
    fn decimals_arrive_as_strings() {
        assert_eq!(coerce(FieldKind::Decimal, &json!("10.00")), Ok(Value::Decimal(10.0)));
        assert_eq!(coerce(FieldKind::Decimal, &json!(4.5)), Ok(Value::Decimal(4.5)));
        assert!(coerce(FieldKind::Decimal, &json!("ten")).is_err());
    }

    #[test]
    fn null_and_lists_and_texts() {
        assert_eq!(coerce(FieldKind::Integer, &json!(null)), Ok(Value::Null));
        assert_eq!(coerce(FieldKind::Integer, &json!("42")), Ok(Value::Integer(42)));
        assert_eq!(coerce(FieldKind::Text, &json!(7)), Ok(Value::Text("7".into())));
        let members = json!([{"id": 3}, {"id": "4"}]);
        assert_eq!(coerce(FieldKind::IntegerList, &members), Ok(Value::IntegerList(vec![3, 4])));
        let tags = json!(["a", 1]);
        let expected = Value::TextList(vec!["a".into(), "1".into()]);
        assert_eq!(coerce(FieldKind::TextList, &tags), Ok(expected));
        assert!(coerce(FieldKind::TextList, &json!("a")).is_err());
    }

    #[test]
    fn records_keep_their_id_and_named_parts() {
        let dates = json!([{"id": "5", "starts_at": "2025-11-05T10:00:00+00:00", "capacity": 8},
                           {"id": 6, "starts_at": null}]);
        let parts = ["starts_at".to_owned(), "capacity".to_owned()];
        let read = coerce_field(FieldKind::Records, &parts, &dates).expect("two dates");
        let first =
            Item { id: 5, parts: vec![Some("2025-11-05T10:00:00+00:00".into()), Some("8".into())] };
        assert_eq!(read, Value::Records(vec![first, Item { id: 6, parts: vec![None, None] }]));
        let error = coerce_field(FieldKind::Records, &parts, &json!([{"starts_at": "x"}]));
        assert!(error.expect_err("no id").contains("item 0: it has no `id`"));
    }
}
