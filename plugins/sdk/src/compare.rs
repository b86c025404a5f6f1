//! Field-by-field comparison of the sides of one record, driven by declared rules.

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
                Rule::Exact | Rule::Set => t.to_owned(),
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
            other => Some(other.clone()),
        }
    }
}

/// One compared field, the type it is read as, and its rule.
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    pub name: &'static str,
    pub kind: FieldKind,
    pub rule: Rule,
}

impl FieldRule {
    /// A text field compared under `rule`.
    pub const fn new(name: &'static str, rule: Rule) -> Self {
        FieldRule { name, kind: FieldKind::Text, rule }
    }

    /// A field of another type compared under `rule`.
    pub const fn typed(name: &'static str, kind: FieldKind, rule: Rule) -> Self {
        FieldRule { name, kind, rule }
    }
}

/// The compared fields as the plugin's description reports them.
pub fn compared_fields(rules: &[FieldRule]) -> Vec<ComparedField> {
    let describe = |r: &FieldRule| ComparedField {
        name: r.name.to_owned(),
        kind: r.kind,
        rule: r.rule.describe().to_owned(),
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
