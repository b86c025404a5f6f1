//! Where VOMO keeps the fields its listings leave out: some only in a record's detail, some in a
//! listing of their own below the record.

use super::page::RecordSchema;

/// Where VOMO serves a field its listing of the resource does not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Only `GET /{resource}/{id}` shows it, such as a project's `all_dates`.
    Detail,
    /// `GET /{resource}/{id}/{field}` lists it, page by page, such as a group's `members`.
    Listing,
}

/// The fields listings leave out, by resource. Everything else is read from the listing.
const ELSEWHERE: &[(&str, &str, Source)] =
    &[("projects", "all_dates", Source::Detail), ("groups", "members", Source::Listing)];

/// What reading a resource's records whole costs beyond its listing, for one schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Elsewhere {
    /// Whether each record needs its detail fetched.
    pub detail: bool,
    /// The fields listed below each record, with their positions in the schema.
    pub listed: Vec<(usize, &'static str)>,
}

impl Elsewhere {
    /// Where the fields of `schema` that a listing of `resource` leaves out are read.
    pub fn of(resource: &str, schema: &RecordSchema) -> Self {
        let mut elsewhere = Elsewhere::default();
        for &(owner, field, source) in ELSEWHERE {
            let Some(position) = schema.position(field).filter(|_| owner == resource) else {
                continue;
            };
            match source {
                Source::Detail => elsewhere.detail = true,
                Source::Listing => elsewhere.listed.push((position, field)),
            }
        }
        elsewhere
    }

    /// Whether the listing alone carries every field.
    pub fn is_empty(&self) -> bool {
        !self.detail && self.listed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::FieldKind;

    fn schema(names: &[&str]) -> RecordSchema {
        RecordSchema::new(names.iter().map(|name| ((*name).to_owned(), FieldKind::IntegerList)))
    }

    #[test]
    fn only_the_fields_a_schema_compares_cost_extra_reads() {
        assert!(Elsewhere::of("projects", &schema(&["name"])).is_empty());
        assert!(Elsewhere::of("projects", &schema(&["name", "all_dates"])).detail);
        let groups = Elsewhere::of("groups", &schema(&["name", "members"]));
        assert_eq!(groups, Elsewhere { detail: false, listed: vec![(1, "members")] });
        assert!(Elsewhere::of("users", &schema(&["members", "all_dates"])).is_empty());
    }
}
