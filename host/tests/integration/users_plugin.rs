//! The users rule plugin, run through the host exactly as a reconciliation run calls it.

use reconciler::bindings::{
    Action, Comparison, Datetime, DetailOutcome, Entity, ExternalSide, FindingKind, MissingVerdict,
    ScopeReason, Value,
};
use reconciler::runtime::PluginInstance;
use reconciler::sides::{Agreed, partner_entry};

use crate::support::{engine, settings};

fn users(pairs: &[(&str, &str)]) -> PluginInstance {
    let engine = engine();
    let plugin = engine.load_bytes("builtin:users", plugin_artifacts::USERS).expect("loads");
    plugin.instance("acme", settings(pairs))
}

/// The users plugin's compared fields, in the order its description lists them.
const ORDER: [&str; 10] = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "address",
    "birthday",
    "gender",
    "user_status",
    "membership_status",
    "membership_role",
];

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

/// Ann's values in description order; `changes` replaces some by name.
fn ann_with(phone: &str, changes: &[(&str, &str)]) -> Vec<Value> {
    let mut values = vec![Value::Null; ORDER.len()];
    let named = [
        ("email", "ann@example.org"),
        ("first_name", "Ann"),
        ("last_name", "Lee"),
        ("phone", phone),
        ("birthday", "1975-12-01"),
        ("membership_status", "ACCEPTED"),
    ];
    for (name, value) in named.iter().chain(changes) {
        let index = ORDER.iter().position(|n| n == name).expect("a compared field");
        values[index] = text(value);
    }
    values
}

fn ann(phone: &str) -> Vec<Value> {
    ann_with(phone, &[])
}

fn at(seconds: i64) -> Datetime {
    Datetime { seconds, nanoseconds: 0 }
}

fn sides(vomo: Vec<Value>, updated: i64, partner: Vec<Value>, seen: i64) -> Comparison {
    let mut vomo = Entity { id: 9, updated_at: Some(at(updated)), values: vomo };
    let partner = partner.into_iter().map(Some).collect();
    let partner = partner_entry(9, at(seen), partner, false, Some(&mut vomo), Agreed::BothSides);
    Comparison { vomo: Some(vomo), partner: Some(partner), external: ExternalSide::NotRead }
}

#[test]
fn description_reports_compared_fields_and_cadences() {
    let instance = users(&[]);
    let description = instance.plugin().description();
    assert_eq!(description.resource, "users");
    let names: Vec<_> = description.compared_fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ORDER);
    assert_eq!(description.cadences.len(), 3);
}

#[test]
fn agreeing_sides_have_no_findings_through_the_host() {
    let mut instance = users(&[]);
    let same = sides(ann("+1 555 0100"), 50, ann("15550100"), 50);
    assert!(instance.compare(&same).expect("compare").is_empty());
}

#[test]
fn silent_phone_change_is_found_and_reprocessed_leaving_the_alert_to_the_host() {
    let mut instance = users(&[]);
    let changed = sides(ann("555 0199"), 50, ann("555 0100"), 50);
    let findings = instance.compare(&changed).expect("compare");
    assert_eq!(findings.len(), 1);
    let FindingKind::SilentChange(drift) = &findings[0].kind else { panic!("{findings:?}") };
    assert_eq!(drift.field, "phone");

    let actions = instance.plan(&findings).expect("plan");
    assert_eq!(actions, vec![Action::Reprocess], "one alert for the run, not one per user");
}

#[test]
fn customer_settings_reach_the_plugin_through_the_host_import() {
    let mut instance = users(&[("ignore-fields", "phone")]);
    let changed = sides(ann("555 0199"), 50, ann("555 0100"), 50);
    assert!(instance.compare(&changed).expect("compare").is_empty());
}

#[test]
fn missing_user_is_classified_from_its_detail_fetch() {
    let mut instance = users(&[]);
    let deleted = instance.classify_missing(9, &DetailOutcome::Gone).expect("classify");
    assert_eq!(deleted, MissingVerdict::Deleted);

    let moved = ann_with("1", &[("membership_status", "REMOVED")]);
    let present = DetailOutcome::Present(Entity { id: 9, updated_at: None, values: moved });
    let verdict = instance.classify_missing(9, &present).expect("classify");
    assert_eq!(verdict, MissingVerdict::ScopeChange(ScopeReason::MovedOrganisation));
}

#[test]
fn many_records_run_on_one_warm_instance() {
    let mut instance = users(&[]);
    for n in 0..2_000 {
        let phone = format!("555 {n:04}");
        let record = sides(ann(&phone), 50, ann(&phone), 50);
        assert!(instance.compare(&record).expect("compare").is_empty());
    }
}
