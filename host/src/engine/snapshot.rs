//! What partner state keeps of a record: a fingerprint of its compared values and the values
//! themselves, by name, so a plugin that later compares more fields still lines them up.

use serde_json::{Map, Value as Json, json};

use crate::bindings::{Item, Value};
use crate::vomo::RecordSchema;

/// A BLAKE3 digest over the compared values, name by name in schema order. Two records with the
/// same values under the same schema have the same fingerprint, whatever their JSON looked like.
pub fn fingerprint(schema: &RecordSchema, values: &[Value]) -> Vec<u8> {
    let mut hasher = blake3::Hasher::new();
    for (name, value) in schema.names().zip(values) {
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hash_value(&mut hasher, value);
    }
    hasher.finalize().as_bytes().to_vec()
}

fn hash_value(hasher: &mut blake3::Hasher, value: &Value) {
    let text = |hasher: &mut blake3::Hasher, text: &str| {
        hasher.update(&(text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    };
    match value {
        Value::Null => {
            hasher.update(&[0]);
        }
        Value::Boolean(b) => {
            hasher.update(&[1, u8::from(*b)]);
        }
        Value::Integer(i) => {
            hasher.update(&[2]).update(&i.to_le_bytes());
        }
        Value::Decimal(d) => {
            hasher.update(&[3]).update(&d.to_bits().to_le_bytes());
        }
        Value::Text(t) => {
            hasher.update(&[4]);
            text(hasher, t);
        }
        Value::TextList(items) => {
            hasher.update(&[5]).update(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| text(hasher, item));
        }
        Value::IntegerList(items) => {
            hasher.update(&[6]).update(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| {
                hasher.update(&item.to_le_bytes());
            });
        }
        Value::Records(items) => {
            hasher.update(&[7]).update(&(items.len() as u64).to_le_bytes());
            for item in items {
                hasher.update(&item.id.to_le_bytes());
                hasher.update(&(item.parts.len() as u64).to_le_bytes());
                for part in &item.parts {
                    hasher.update(&[u8::from(part.is_some())]);
                    if let Some(part) = part {
                        text(hasher, part);
                    }
                }
            }
        }
        Value::Elided => unreachable!("{ELIDED_ONLY_IN_COMPARISONS}"),
    }
}

/// Records are read and stored whole; values are elided only in the copy sent to a plugin.
const ELIDED_ONLY_IN_COMPARISONS: &str = "an elided value exists only inside a comparison";

/// The compared values as a JSON object keyed by field name.
pub fn snapshot_json(schema: &RecordSchema, values: &[Value]) -> String {
    let object: Map<String, Json> =
        schema.names().zip(values).map(|(name, value)| (name.to_owned(), to_json(value))).collect();
    Json::Object(object).to_string()
}

/// Partner values in schema order from a stored snapshot; `None` for a field it never recorded.
pub fn values_from_snapshot(
    schema: &RecordSchema,
    snapshot: &str,
) -> Result<Vec<Option<Value>>, String> {
    let json: Json = serde_json::from_str(snapshot).map_err(|e| format!("bad snapshot: {e}"))?;
    let object = json.as_object().ok_or("a snapshot is not an object")?;
    schema.names().map(|name| object.get(name).map(from_json).transpose()).collect()
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!({ "boolean": b }),
        Value::Integer(i) => json!({ "integer": i }),
        Value::Decimal(d) => json!({ "decimal": d }),
        Value::Text(t) => json!({ "text": t }),
        Value::TextList(items) => json!({ "text_list": items }),
        Value::IntegerList(items) => json!({ "integer_list": items }),
        Value::Records(items) => {
            let items: Vec<Json> =
                items.iter().map(|item| json!({ "id": item.id, "parts": item.parts })).collect();
            json!({ "records": items })
        }
        Value::Elided => unreachable!("{ELIDED_ONLY_IN_COMPARISONS}"),
    }
}

fn from_json(json: &Json) -> Result<Value, String> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    let bad = || format!("bad snapshot value `{json}`");
    let (tag, inner) = json.as_object().and_then(|o| o.iter().next()).ok_or_else(bad)?;
    let value = match tag.as_str() {
        "boolean" => Value::Boolean(inner.as_bool().ok_or_else(bad)?),
        "integer" => Value::Integer(inner.as_i64().ok_or_else(bad)?),
        "decimal" => Value::Decimal(inner.as_f64().ok_or_else(bad)?),
        "text" => Value::Text(inner.as_str().ok_or_else(bad)?.to_owned()),
        "text_list" => Value::TextList(serde_json::from_value(inner.clone()).map_err(|_| bad())?),
        "integer_list" => {
            Value::IntegerList(serde_json::from_value(inner.clone()).map_err(|_| bad())?)
        }
        "records" => Value::Records(records(inner).ok_or_else(bad)?),
        _ => return Err(bad()),
    };
    Ok(value)
}

fn records(json: &Json) -> Option<Vec<Item>> {
    let item = |json: &Json| {
        let id = json.get("id")?.as_i64()?;
        let parts = serde_json::from_value(json.get("parts")?.clone()).ok()?;
        Some(Item { id, parts })
    };
    json.as_array()?.iter().map(item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::FieldKind;

    fn schema(names: &[&str]) -> RecordSchema {
        RecordSchema::new(names.iter().map(|n| (n.to_string(), FieldKind::Text)))
    }

    #[test]
    fn snapshots_round_trip_and_line_up_by_name() {
        let values = vec![
            Value::Text("a@x.org".into()),
            Value::Null,
            Value::Boolean(true),
            Value::Decimal(4.5),
            Value::IntegerList(vec![3, 1]),
            Value::Records(vec![Item { id: 5, parts: vec![Some("2025-11-05".into()), None] }]),
        ];
        let old = schema(&["email", "phone", "verified", "hours", "groups", "all_dates"]);
        let stored = snapshot_json(&old, &values);
        let back = values_from_snapshot(&old, &stored).expect("round trip");
        assert_eq!(back, values.iter().cloned().map(Some).collect::<Vec<_>>());

        let newer = schema(&["groups", "email", "role"]);
        let lined_up = values_from_snapshot(&newer, &stored).expect("reads");
        assert_eq!(lined_up, [Some(Value::IntegerList(vec![3, 1])), Some(values[0].clone()), None]);
    }

    #[test]
    fn fingerprints_change_with_any_value_and_only_then() {
        let s = schema(&["a", "b"]);
        let base = fingerprint(&s, &[Value::Text("x".into()), Value::Null]);
        assert_eq!(base, fingerprint(&s, &[Value::Text("x".into()), Value::Null]));
        assert_ne!(base, fingerprint(&s, &[Value::Text("y".into()), Value::Null]));
        assert_ne!(base, fingerprint(&s, &[Value::Null, Value::Text("x".into())]));
        assert_ne!(
            base,
            fingerprint(&schema(&["a", "c"]), &[Value::Text("x".into()), Value::Null])
        );
    }
}
