//! Field-by-field comparison of the sides of one record, driven by declared rules.

use std::collections::BTreeMap;

use crate::FindingKind;
use crate::normalize;
use crate::record::is_later;
use crate::{ComparedField, Comparison, Entity, ExternalSide, FieldDrift, Finding};
use crate::{FieldKind, PartnerEntry, Severity, Value};

/// How one field's two values are judged equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The values must be identical.
    Exact,
    /// Texts compare after trimming and folding white space.
    Collapsed,
    /// Texts compare after trimming and lower-casing.
    Caseless,
    /// Texts compare after folding white space and lower-casing.
    CollapsedCaseless,
    /// Texts compare by their digits alone.
    Digits,
    /// Texts compare by their `YYYY-MM-DD` part.
    Date,
    /// Lists compare as sets: order and repeats carry no meaning.
    Set,
    /// Lists of records compare by id: the same ids, each with the same parts, in any order.
    ById,
}

impl Rule {
    /// The human description a plugin reports for this rule.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Exact => "exact",
            Rule::Collapsed => "trimmed, white space folded",
            Rule::Caseless => "trimmed, case-insensitive",
            Rule::CollapsedCaseless => "white space folded, case-insensitive",
            Rule::Digits => "digits only",
            Rule::Date => "calendar date",
            Rule::Set => "as a set",
            Rule::ById => "by id, then part by part",
        }
    }

    /// Whether two values are the same under this rule.
    ///
    /// Null and a text that normalises to nothing are the same: an empty phone and a missing one
    /// are not drift.
    pub fn equal(self, a: &Value, b: &Value) -> bool {
        // Most compared values are untouched copies; identical values need no normalising.
        if a == b {
            return true;
        }
        match (self.normalised(a), self.normalised(b)) {
            (Some(a), Some(b)) => a == b,
            (None, None) => true,
            _ => false,
        }
    }

    fn normalised(self, value: &Value) -> Option<Value> {
        let text = |t: &str| {
            let out = match self {
                Rule::Exact | Rule::Set | Rule::ById => t.to_owned(),
                Rule::Collapsed => normalize::collapsed(t),
                Rule::Caseless => normalize::caseless(t),
                Rule::CollapsedCaseless => normalize::collapsed_caseless(t),
                Rule::Digits => normalize::digits(t),
                Rule::Date => normalize::date(t),
            };
            (!out.is_empty()).then_some(Value::Text(out))
        };
        match value {
            Value::Null => None,
            Value::Text(t) => text(t),
            Value::TextList(items) if self == Rule::Set => {
                let mut items = items.clone();
                items.sort();
                items.dedup();
                Some(Value::TextList(items))
            }
            Value::IntegerList(items) if self == Rule::Set => {
                let mut items = items.clone();
                items.sort_unstable();
                items.dedup();
                Some(Value::IntegerList(items))
            }
            Value::Records(items) if self == Rule::ById => {
                let mut items = items.clone();
                items.sort_unstable_by(|a, b| (a.id, &a.parts).cmp(&(b.id, &b.parts)));
                items.dedup();
                Some(Value::Records(items))
            }
            other => Some(other.clone()),
        }
    }
}

fn by_id(value: &Value) -> BTreeMap<i64, &Vec<Option<String>>> {
    match value {
        Value::Records(items) => items.iter().map(|item| (item.id, &item.parts)).collect(),
        _ => BTreeMap::new(),
    }
}

/// How two lists of records differ, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemChanges {
    /// Ids only the expected side holds.
    pub added: Vec<i64>,
    /// Ids only the actual side holds.
    pub removed: Vec<i64>,
    /// Ids both sides hold with different parts.
    pub changed: Vec<i64>,
}

impl ItemChanges {
    /// The changes from `actual` to `expected`; empty unless both are `records`.
    pub fn between(expected: &Value, actual: &Value) -> Self {
        let (expected, actual) = (by_id(expected), by_id(actual));
        let mut changes = ItemChanges::default();
        for (id, parts) in &expected {
            match actual.get(id) {
                None => changes.added.push(*id),
                Some(theirs) if theirs != parts => changes.changed.push(*id),
                Some(_) => {}
            }
        }
        changes.removed = actual.keys().filter(|id| !expected.contains_key(id)).copied().collect();
        changes
    }

    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// The changes in words, such as `1 added (7); 2 removed (3, 4)`.
    pub fn describe(&self) -> String {
        let ids = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        [("added", &self.added), ("removed", &self.removed), ("changed", &self.changed)]
            .into_iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(what, list)| format!("{} {what} ({})", list.len(), ids(list)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One compared field, the type it is read as, and its rule.
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    pub name: &'static str,
    pub kind: FieldKind,
    pub rule: Rule,
    /// For a `records` field, the parts of each element compared.
    pub parts: &'static [&'static str],
}

impl FieldRule {
    /// A text field compared under `rule`.
    pub const fn new(name: &'static str, rule: Rule) -> Self {
        FieldRule { name, kind: FieldKind::Text, rule, parts: &[] }
    }

    /// A field of another type compared under `rule`.
    pub const fn typed(name: &'static str, kind: FieldKind, rule: Rule) -> Self {
        FieldRule { name, kind, rule, parts: &[] }
    }

    /// A list of objects compared by id and then by the named `parts` of each.
    pub const fn records(name: &'static str, parts: &'static [&'static str]) -> Self {
        FieldRule { name, kind: FieldKind::Records, rule: Rule::ById, parts }
    }
}

/// The compared fields as the plugin's description reports them.
pub fn compared_fields(rules: &[FieldRule]) -> Vec<ComparedField> {
    let describe = |r: &FieldRule| ComparedField {
        name: r.name.to_owned(),
        kind: r.kind,
        rule: r.rule.describe().to_owned(),
        parts: r.parts.iter().map(|part| (*part).to_owned()).collect(),
    };
    rules.iter().map(describe).collect()
}

/// Compares every side present in `sides` under `rules`, skipping the fields `skip` names.
///
/// VOMO is the truth. Against partner state it reports a missed create, a missed update (VOMO's
/// `updated_at` is later) or, when `updated_at` agrees, each field that changed silently. Against
/// the external system it reports a missing record or each drifted field. A record only partner
/// state or the external system knows is a deletion candidate or unknown to partner.
pub fn compare_sides(rules: &[FieldRule], sides: &Comparison, skip: &[&str]) -> Vec<Finding> {
    let rules = Rules { rules, skip };
    let mut findings = Vec::new();
    let partner = sides.partner.as_ref().filter(|p| !p.deleted);

    match (&sides.vomo, partner) {
        (Some(_), None) => findings.push(finding(FindingKind::MissedCreate, Severity::Medium)),
        (Some(vomo), Some(partner)) => against_partner(rules, vomo, partner, &mut findings),
        (None, Some(_)) => findings.push(finding(FindingKind::DeletionCandidate, Severity::Low)),
        (None, None) => {}
    }

    match (&sides.vomo, &sides.external) {
        (Some(vomo), ExternalSide::Present(external)) => {
            against_external(rules, vomo, external, &mut findings);
        }
        (Some(_), ExternalSide::Absent) => {
            findings.push(finding(FindingKind::MissingFromExternal, Severity::Medium));
        }
        (None, ExternalSide::Present(_)) if partner.is_none() => {
            findings.push(finding(FindingKind::UnknownToPartner, Severity::Medium));
        }
        _ => {}
    }
    findings
}

/// The rules in force: the declared ones less those a setting skips.
#[derive(Clone, Copy)]
struct Rules<'a> {
    rules: &'a [FieldRule],
    skip: &'a [&'a str],
}

impl<'a> Rules<'a> {
    fn iter(self) -> impl Iterator<Item = (usize, &'a FieldRule)> {
        self.rules.iter().enumerate().filter(move |(_, r)| !self.skip.contains(&r.name))
    }
}

fn against_partner(
    rules: Rules<'_>,
    vomo: &Entity,
    partner: &PartnerEntry,
    out: &mut Vec<Finding>,
) {
    if let Some(updated) = &vomo.updated_at
        && is_later(updated, &partner.updated_at)
    {
        out.push(finding(FindingKind::MissedUpdate, Severity::Medium));
        return;
    }
    for (index, rule) in rules.iter() {
        // An elided partner value is identical to VOMO's: no drift under any rule.
        let Some(Some(actual)) = partner.values.get(index) else { continue };
        let expected = vomo.values.get(index).unwrap_or(&Value::Null);
        if !rule.rule.equal(expected, actual) {
            let drift = FieldDrift {
                field: rule.name.to_owned(),
                expected: expected.clone(),
                actual: actual.clone(),
            };
            out.push(finding(FindingKind::SilentChange(drift), Severity::Medium));
        }
    }
}

fn against_external(rules: Rules<'_>, vomo: &Entity, external: &Entity, out: &mut Vec<Finding>) {
    for drift in drifts(rules, &vomo.values, &external.values) {
        out.push(finding(FindingKind::ExternalDrift(drift), Severity::Medium));
    }
}

fn drifts<'a>(
    rules: Rules<'a>,
    expected: &'a [Value],
    actual: &'a [Value],
) -> impl Iterator<Item = FieldDrift> + 'a {
    rules.iter().filter_map(move |(index, rule)| {
        let expected = expected.get(index).unwrap_or(&Value::Null);
        let actual = actual.get(index).unwrap_or(&Value::Null);
        (!rule.rule.equal(expected, actual)).then(|| FieldDrift {
            field: rule.name.to_owned(),
            expected: expected.clone(),
            actual: actual.clone(),
        })
    })
}

fn finding(kind: FindingKind, severity: Severity) -> Finding {
    Finding { kind, severity, detail: String::new() }
}
