//! Native unit tests of the groups rules; the host's tests run them in the sandbox.

use super::*;
use vomo_plugin_sdk::record::values_of;
use vomo_plugin_sdk::{Alert, Datetime, Entity, ExternalSide, PartnerEntry, ScopeReason, Severity};

fn at(seconds: i64) -> Datetime {
    Datetime { seconds, nanoseconds: 0 }
}

fn group(parent: Option<i64>, members: &[i64]) -> Vec<Value> {
    let named = [
        ("name", Value::Text("Weekend crew".into())),
        (PARENT, parent.map_or(Value::Null, Value::Integer)),
        (MEMBERS, Value::IntegerList(members.to_vec())),
    ];
    values_of(FIELDS, &named)
}

fn sides(vomo: Vec<Value>, partner: Vec<Value>) -> Comparison {
    Comparison {
        vomo: Some(Entity { id: 9, updated_at: Some(at(100)), values: vomo }),
        partner: Some(PartnerEntry {
            id: 9,
            updated_at: at(100),
            values: partner.into_iter().map(Some).collect(),
            deleted: false,
        }),
        external: ExternalSide::NotRead,
    }
}

#[test]
fn a_removed_member_is_a_silent_change_naming_the_member() {
    let findings = Groups::compare(sides(group(None, &[3, 1]), group(None, &[1, 2, 3])));
    let findings = findings.expect("compares");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].detail, "members: 1 removed (2)");
    let actions = Groups::plan(findings).expect("plans");
    let alert = Action::Alert(Alert {
        severity: Severity::Low,
        message: "group members: 1 removed (2)".into(),
    });
    assert_eq!(actions, vec![Action::Reprocess, alert]);
}

#[test]
fn members_in_another_order_agree_and_a_new_parent_is_a_medium_alert() {
    let same = Groups::compare(sides(group(None, &[2, 1]), group(None, &[1, 2])));
    assert_eq!(same.expect("compares"), Vec::new());
    let moved = Groups::compare(sides(group(Some(4), &[1]), group(Some(5), &[1])));
    let actions = Groups::plan(moved.expect("compares")).expect("plans");
    assert!(matches!(&actions[1], Action::Alert(a) if a.severity == Severity::Medium));
}

#[test]
fn only_a_gone_group_is_deleted() {
    assert_eq!(Groups::classify_missing(9, DetailOutcome::Gone), Ok(MissingVerdict::Deleted));
    let present =
        DetailOutcome::Present(Entity { id: 9, updated_at: None, values: group(None, &[]) });
    let verdict = Groups::classify_missing(9, present).expect("classifies");
    assert_eq!(verdict, MissingVerdict::ScopeChange(ScopeReason::Unexplained));
}
