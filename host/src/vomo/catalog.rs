//! Where VOMO keeps what its listings leave out: fields shown only in a record's detail or listed
//! below it, and resources listed only below records of another.

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

/// Where VOMO lists the records of a resource that has no listing of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// Listed page by page at `/{parent}/{id}/{below}`, each record's detail at
    /// `/{parent}/{id}/{below}/{record}`: a form's completions.
    Listed { parent: &'static str, below: &'static str },
    /// Embedded whole, as the list `field`, in the detail at `/{path}/{id}` of a parent record,
    /// with no detail of their own: a project date's participants.
    Embedded { path: &'static str, field: &'static str },
}

/// The resources VOMO lists only below another record.
const NESTED: &[(&str, Nesting)] = &[
    ("form_completions", Nesting::Listed { parent: "forms", below: "completions" }),
    ("participations", Nesting::Embedded { path: "projects/date", field: "participants" }),
];

/// How VOMO lists `resource`, when only below another record.
pub fn nesting(resource: &str) -> Option<Nesting> {
    NESTED.iter().find(|(name, _)| *name == resource).map(|(_, nesting)| *nesting)
}

/// The path of record `id`'s detail, below `parent` for a nested resource.
pub fn detail_path(resource: &str, id: u64, parent: Option<u64>) -> String {
    match (nesting(resource), parent) {
        (Some(Nesting::Listed { parent: owner, below }), Some(parent)) => {
            format!("{owner}/{parent}/{below}/{id}")
        }
        _ => format!("{resource}/{id}"),
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

    #[test]
    fn a_nested_records_detail_is_below_its_parent() {
        assert_eq!(detail_path("users", 7, None), "users/7");
        assert_eq!(detail_path("form_completions", 70, Some(2)), "forms/2/completions/70");
        assert!(matches!(nesting("participations"), Some(Nesting::Embedded { .. })));
        assert_eq!(nesting("groups"), None);
    }
}
