//! Scalar wrappers whose JSON form depends on the quirk switch.

use serde::{Serialize, Serializer};

use crate::model::Secs;
use crate::timefmt::{Stamp, Style};

/// A boolean written as `0`/`1` or `false`/`true`.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub on: bool,
    pub numeric: bool,
}

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.numeric {
            serializer.serialize_u8(u8::from(self.on))
        } else {
            serializer.serialize_bool(self.on)
        }
    }
}

/// An id written as a number or as a string.
#[derive(Clone, Copy, Debug)]
pub struct LooseId {
    pub id: u64,
    pub as_string: bool,
}

impl Serialize for LooseId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.as_string {
            serializer.collect_str(&self.id)
        } else {
            serializer.serialize_u64(self.id)
        }
    }
}

/// A timestamp written in one of the reference's styles.
#[derive(Clone, Copy, Debug)]
pub struct Time {
    pub secs: Secs,
    pub style: Style,
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Stamp::new(self.secs, self.style).as_str())
    }
}

/// Hours written as `"4.00"` or as `4.0`.
#[derive(Clone, Copy, Debug)]
pub struct Hours {
    pub centi: u32,
    pub as_string: bool,
}

impl Serialize for Hours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.as_string {
            let text = format!("{}.{:02}", self.centi / 100, self.centi % 100);
            serializer.serialize_str(&text)
        } else {
            serializer.serialize_f64(f64::from(self.centi) / 100.0)
        }
    }
}
