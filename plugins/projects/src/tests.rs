//! Native unit tests of the projects rules; the host's tests run them in the sandbox.

use super::*;
use vomo_plugin_sdk::record::values_of;
use vomo_plugin_sdk::{Datetime, Entity, ExternalSide, Item, PartnerEntry};

fn at(seconds: i64) -> Datetime {
    Datetime { seconds, nanoseconds: 0 }
}

fn date(id: i64, starts_at: &str) -> Item {
    Item { id, parts: vec![Some(starts_at.to_owned()), Some(starts_at.replace("10:", "12:"))] }
}

fn project(dates: Vec<Item>) -> Vec<Value> {
    let named = [
        ("name", Value::Text("Beach clean-up".into())),
        ("draft", Value::Boolean(false)),
        (SCHEDULE, Value::Records(dates)),
    ];
    values_of(FIELDS, &named)
}

fn sides(vomo: Vec<Value>, partner: Vec<Value>) -> Comparison {
    Comparison {
        vomo: Some(Entity { id: 3, updated_at: Some(at(100)), values: vomo }),
        partner: Some(PartnerEntry {
            id: 3,
            updated_at: at(100),
            values: partner.into_iter().map(Some).collect(),
            deleted: false,
        }),
        external: ExternalSide::NotRead,
    }
}

#[test]
fn a_date_added_removed_and_moved_is_one_schedule_drift_naming_each() {
    let before = project(vec![date(1, "2025-11-01T10:00"), date(2, "2025-11-08T10:00")]);
    let after = project(vec![date(2, "2025-11-09T10:00"), date(3, "2025-11-15T10:00")]);
    let findings = Projects::compare(sides(after, before)).expect("compares");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(matches!(&findings[0].kind, FindingKind::SilentChange(d) if d.field == SCHEDULE));
    assert_eq!(findings[0].detail, "dates: 1 added (3); 1 removed (1); 1 changed (2)");

    let actions = Projects::plan(findings).expect("plans");
    assert_eq!(actions[0], Action::Reprocess);
    assert!(matches!(&actions[1], Action::Alert(a) if a.message.contains("1 removed (1)")));
}

#[test]
fn the_same_dates_in_another_order_agree() {
    let one = project(vec![date(1, "2025-11-01T10:00"), date(2, "2025-11-08T10:00")]);
    let other = project(vec![date(2, "2025-11-08T10:00"), date(1, "2025-11-01T10:00")]);
    assert_eq!(Projects::compare(sides(one, other)).expect("compares"), Vec::new());
}

#[test]
fn only_a_gone_project_is_deleted_and_a_draft_is_soft_deleted() {
    assert_eq!(Projects::classify_missing(3, DetailOutcome::Gone), Ok(MissingVerdict::Deleted));
    let values = values_of(FIELDS, &[("draft", Value::Boolean(true))]);
    let draft = DetailOutcome::Present(Entity { id: 3, updated_at: None, values });
    let verdict = Projects::classify_missing(3, draft).expect("classifies");
    assert_eq!(verdict, MissingVerdict::ScopeChange(ScopeReason::SoftDeleted));
}
