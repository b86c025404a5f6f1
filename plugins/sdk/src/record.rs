//! Read access to the fields of a record.

use crate::{Datetime, Entity, Field, Value};

/// Finds a field by name.
pub fn field<'a>(fields: &'a [Field], name: &str) -> Option<&'a Value> {
    fields.iter().find(|f| f.name == name).map(|f| &f.value)
}

/// A field's text, or none when the field is absent, null or not text.
pub fn text<'a>(entity: &'a Entity, name: &str) -> Option<&'a str> {
    match field(&entity.fields, name) {
        Some(Value::Text(text)) => Some(text),
        _ => None,
    }
}

/// Orders two points in time.
pub fn is_later(a: &Datetime, b: &Datetime) -> bool {
    (a.seconds, a.nanoseconds) > (b.seconds, b.nanoseconds)
}

/// Builds a text field, for tests and for plugins that construct records.
pub fn text_field(name: &str, text: &str) -> Field {
    Field { name: name.to_owned(), value: Value::Text(text.to_owned()) }
}
