//! Read access to a record's values, which arrive in the order of the plugin's compared fields.

use crate::{Datetime, FieldRule, Value};

/// The value of the field `name`, found by its position among `rules`.
///
/// In a comparison's VOMO side this may be `Value::Elided`: partner state holds the same value,
/// and the host did not send it.
pub fn value<'a>(values: &'a [Value], rules: &[FieldRule], name: &str) -> Option<&'a Value> {
    let index = rules.iter().position(|r| r.name == name)?;
    values.get(index)
}

/// The text of the field `name`, or none when it is absent, null or not text.
pub fn text<'a>(values: &'a [Value], rules: &[FieldRule], name: &str) -> Option<&'a str> {
    match value(values, rules, name) {
        Some(Value::Text(text)) => Some(text),
        _ => None,
    }
}

/// Lays out named values in the order of `rules`, null where a name is missing: how the host
/// builds a record, and how tests build one by hand.
pub fn values_of(rules: &[FieldRule], named: &[(&str, Value)]) -> Vec<Value> {
    let find = |rule: &FieldRule| named.iter().find(|(name, _)| *name == rule.name);
    rules.iter().map(|rule| find(rule).map_or(Value::Null, |(_, v)| v.clone())).collect()
}

/// Orders two points in time.
pub fn is_later(a: &Datetime, b: &Datetime) -> bool {
    (a.seconds, a.nanoseconds) > (b.seconds, b.nanoseconds)
}
