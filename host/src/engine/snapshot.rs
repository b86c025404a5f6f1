//! What partner state keeps of a record: a fingerprint of its compared values and the values
//! themselves, by name, so a plugin that later compares more fields still lines them up.

use serde_json::{Map, Value as Json, json};

use crate::bindings::{Item, Value};
use crate::vomo::RecordSchema;

/// A BLAKE3 digest over the compared values, name by name in schema order. Two records with the
/// same values under the same schema have the same fingerprint, whatever their JSON looked like.
pub fn fingerprint(schema: &RecordSchema, values: &[Value]) -> Vec<u8> {
    digest(schema, values).as_bytes().to_vec()
}

/// Whether `values` have the fingerprint `expected`, without allocating one.
pub fn has_fingerprint(schema: &RecordSchema, values: &[Value], expected: &[u8]) -> bool {
    digest(schema, values).as_bytes() == expected
}

/// The digest of the values' canonical encoding. The encoding is written out whole and hashed
/// once: hashing it piece by piece cost a call per name, tag and value, a third of a scan's
/// time in fingerprints.
fn digest(schema: &RecordSchema, values: &[Value]) -> blake3::Hash {
    ENCODING.with_borrow_mut(|encoding| {
        encoding.clear();
        for (name, value) in schema.names().zip(values) {
            text(encoding, name);
            encode(encoding, value);
        }
        blake3::hash(encoding)
    })
}

thread_local! {
    /// The encoding's buffer, kept from one record to the next: a scan digests every record.
    static ENCODING: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(512));
}

fn text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn encode(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0),
        Value::Boolean(b) => out.extend_from_slice(&[1, u8::from(*b)]),
        Value::Integer(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Decimal(d) => {
            out.push(3);
            out.extend_from_slice(&d.to_bits().to_le_bytes());
        }
        Value::Text(t) => {
            out.push(4);
            text(out, t);
        }
        Value::TextList(items) => {
            out.push(5);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| text(out, item));
        }
        Value::IntegerList(items) => {
            out.push(6);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            items.iter().for_each(|item| out.extend_from_slice(&item.to_le_bytes()));
        }
        Value::Records(items) => {
            out.push(7);
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for item in items {
                out.extend_from_slice(&item.id.to_le_bytes());
                out.extend_from_slice(&(item.parts.len() as u64).to_le_bytes());
                for part in &item.parts {
                    out.push(u8::from(part.is_some()));
                    if let Some(part) = part {
                        text(out, part);
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
    fn fingerprints_stay_what_partner_state_already_holds() {
        let values = vec![
            Value::Text("a@x.org".into()),
            Value::Null,
            Value::Boolean(true),
            Value::Integer(-7),
            Value::Decimal(4.5),
            Value::TextList(vec!["a".into(), "bc".into()]),
            Value::IntegerList(vec![3, 1]),
            Value::Records(vec![Item { id: 5, parts: vec![Some("2025-11-05".into()), None] }]),
        ];
        let names = ["email", "phone", "verified", "age", "hours", "tags", "groups", "all_dates"];
        let print = fingerprint(&schema(&names), &values);
        let hex: String = print.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(hex, "1010ce94d0aeae28b52d346d63bb05c894e62c6ca991512989d7a05bfee06bc1");
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
