//! Native unit tests of the users rules; the host's tests run the same rules in the sandbox.

use super::*;
use vomo_plugin_sdk::Value;
use vomo_plugin_sdk::record::values_of;
use vomo_plugin_sdk::{Datetime, Entity, ExternalSide, FindingKind, PartnerEntry, ScopeReason};

type Fields = Vec<(&'static str, Value)>;

fn text_field(name: &'static str, text: &str) -> (&'static str, Value) {
    (name, Value::Text(text.to_owned()))
}

fn at(seconds: i64) -> Datetime {
    Datetime { seconds, nanoseconds: 0 }
}

fn ann() -> Fields {
    vec![
        text_field("email", "ann@example.org"),
        text_field("first_name", "Ann"),
        text_field("last_name", "Lee"),
        text_field("phone", "+1 (555) 010-0199"),
        text_field("address", "321 Pine Rd, McKinney, TX 75069, USA"),
        text_field("birthday", "1975-12-01"),
        text_field("gender", "F"),
        text_field("user_status", "VERIFIED"),
        text_field("membership_status", "ACCEPTED"),
        text_field("membership_role", "VOLUNTEER"),
    ]
}

fn vomo(fields: Fields, updated: i64) -> Entity {
    Entity { id: 7, updated_at: Some(at(updated)), values: values_of(FIELDS, &fields) }
}

fn external(fields: Fields) -> Entity {
    Entity { id: 7, updated_at: None, values: values_of(FIELDS, &fields) }
}

/// Partner state with nothing elided, as the host sends it when VOMO's side is absent; the host
/// tests run the elided form.
fn partner(fields: Fields, updated: i64) -> PartnerEntry {
    let values = values_of(FIELDS, &fields).into_iter().map(Some).collect();
    PartnerEntry { id: 7, updated_at: at(updated), values, deleted: false }
}

fn with(mut fields: Fields, name: &'static str, value: &str) -> Fields {
    fields.retain(|(n, _)| *n != name);
    fields.push(text_field(name, value));
    fields
}

fn compare(
    vomo: Option<Entity>,
    partner: Option<PartnerEntry>,
    external: ExternalSide,
) -> Vec<Finding> {
    host::clear_settings();
    Users::compare(Comparison { vomo, partner, external }).expect("compare succeeds")
}

#[test]
fn identical_sides_have_no_findings() {
    let found = compare(Some(vomo(ann(), 100)), Some(partner(ann(), 100)), ExternalSide::NotRead);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn spelling_differences_are_not_drift() {
    let spelled = with(with(ann(), "email", "  ANN@Example.org "), "phone", "15550100199");
    let spelled = with(spelled, "first_name", " Ann  ");
    let found = compare(Some(vomo(spelled, 100)), Some(partner(ann(), 100)), ExternalSide::NotRead);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn unknown_user_is_a_missed_create() {
    let found = compare(Some(vomo(ann(), 100)), None, ExternalSide::NotRead);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::MissedCreate);
}

#[test]
fn later_updated_at_is_a_missed_update() {
    let changed = with(ann(), "last_name", "Park");
    let found = compare(Some(vomo(changed, 200)), Some(partner(ann(), 100)), ExternalSide::NotRead);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::MissedUpdate);
}

#[test]
fn change_without_updated_at_names_the_field_and_both_values() {
    let changed = with(ann(), "phone", "555 999 0000");
    let found = compare(Some(vomo(changed, 100)), Some(partner(ann(), 100)), ExternalSide::NotRead);
    assert_eq!(found.len(), 1);
    let FindingKind::SilentChange(drift) = &found[0].kind else { panic!("{found:?}") };
    assert_eq!(drift.field, "phone");
    assert_eq!(drift.expected, Value::Text("555 999 0000".into()));
    assert_eq!(drift.actual, Value::Text("+1 (555) 010-0199".into()));
}

#[test]
fn ignored_fields_setting_skips_a_field() {
    host::clear_settings();
    host::set_setting(IGNORE_FIELDS, "phone, address");
    let changed = with(ann(), "phone", "555 999 0000");
    let sides = Comparison {
        vomo: Some(vomo(changed, 100)),
        partner: Some(partner(ann(), 100)),
        external: ExternalSide::NotRead,
    };
    assert!(Users::compare(sides).expect("compare succeeds").is_empty());
    host::clear_settings();
}

#[test]
fn user_only_in_partner_state_is_a_deletion_candidate() {
    let found = compare(None, Some(partner(ann(), 100)), ExternalSide::NotRead);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::DeletionCandidate);
}

#[test]
fn external_side_is_checked_field_by_field() {
    let external = external(with(ann(), "email", "old@x.org"));
    let found =
        compare(Some(vomo(ann(), 100)), Some(partner(ann(), 100)), ExternalSide::Present(external));
    assert_eq!(found.len(), 1);
    let FindingKind::ExternalDrift(drift) = &found[0].kind else { panic!("{found:?}") };
    assert_eq!(drift.field, "email");
}

#[test]
fn absent_external_copy_is_missing_from_external() {
    let found = compare(Some(vomo(ann(), 100)), Some(partner(ann(), 100)), ExternalSide::Absent);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::MissingFromExternal);
}

#[test]
fn external_copy_alone_is_unknown_to_partner() {
    let external = external(ann());
    let found = compare(None, None, ExternalSide::Present(external));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::UnknownToPartner);
}

#[test]
fn plan_reprocesses_missed_changes_once() {
    let missed =
        |kind| Finding { kind, severity: vomo_plugin_sdk::Severity::Medium, detail: "".into() };
    let actions =
        Users::plan(vec![missed(FindingKind::MissedCreate), missed(FindingKind::MissedUpdate)]);
    assert_eq!(actions.expect("plan succeeds"), vec![Action::Reprocess]);
}

#[test]
fn plan_holds_deletion_candidates_and_pushes_external_drift() {
    let found = compare(None, Some(partner(ann(), 100)), ExternalSide::NotRead);
    let actions = Users::plan(found).expect("plan succeeds");
    assert!(matches!(actions.as_slice(), [Action::Hold(_)]), "{actions:?}");

    let found = compare(Some(vomo(ann(), 100)), Some(partner(ann(), 100)), ExternalSide::Absent);
    assert_eq!(Users::plan(found).expect("plan succeeds"), vec![Action::PushExternal]);
}

#[test]
fn plan_reprocesses_unexplained_drift_and_leaves_alerting_to_the_host() {
    let changed = with(ann(), "gender", "M");
    let found = compare(Some(vomo(changed, 100)), Some(partner(ann(), 100)), ExternalSide::NotRead);
    let actions = Users::plan(found).expect("plan succeeds");
    assert_eq!(actions, vec![Action::Reprocess], "the host alerts once per run, not per user");
}

#[test]
fn only_a_404_is_a_deletion() {
    let verdict = Users::classify_missing(7, DetailOutcome::Gone).expect("classify succeeds");
    assert_eq!(verdict, MissingVerdict::Deleted);
}

#[test]
fn a_user_still_returned_is_a_scope_change() {
    let classify = |fields| {
        let outcome = DetailOutcome::Present(vomo(fields, 100));
        Users::classify_missing(7, outcome).expect("classify succeeds")
    };
    let moved = with(ann(), "membership_status", "REMOVED");
    let banned = with(ann(), "user_status", "DEACTIVATED");
    let scope = MissingVerdict::ScopeChange;
    assert_eq!(classify(moved), scope(ScopeReason::MovedOrganisation));
    assert_eq!(classify(banned), scope(ScopeReason::SoftDeleted));
    assert_eq!(classify(ann()), scope(ScopeReason::Unexplained));
    let forbidden = Users::classify_missing(7, DetailOutcome::Forbidden);
    assert_eq!(forbidden.expect("classify succeeds"), scope(ScopeReason::NarrowedPermissions));
}

#[test]
fn a_detail_of_another_user_is_an_invalid_record() {
    let outcome = DetailOutcome::Present(Entity { id: 8, ..external(ann()) });
    assert!(matches!(Users::classify_missing(7, outcome), Err(RuleError::InvalidRecord(_))));
}

#[test]
fn description_names_every_compared_field() {
    let description = Users::describe();
    assert_eq!(description.resource, "users");
    let names: Vec<_> = description.compared_fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 10);
    assert!(names.contains(&"email") && names.contains(&"membership_role"));
}
