//! Organisation families: a parent's token sees its children's records, not the reverse.

use reqwest::StatusCode;
use vomo_sim::Resource;

use super::support::start;

#[tokio::test]
async fn parent_token_sees_child_records_and_child_token_sees_only_its_own() {
    let h = start().await;
    let parent = h.all_ids(1, "/users").await;
    let child = h.all_ids(2, "/users").await;
    let other = h.all_ids(3, "/users").await;

    assert!(!child.is_empty());
    assert!(child.iter().all(|id| parent.contains(id)), "parent sees every child user");
    assert!(parent.len() > child.len());
    assert!(other.iter().all(|id| !parent.contains(id)), "families do not overlap");

    let parent_only = parent.iter().find(|id| !child.contains(id)).expect("a parent user");
    let child_user = child[0];
    assert_eq!(h.get(1, &format!("/users/{child_user}")).await.status, StatusCode::OK);
    assert_eq!(h.get(2, &format!("/users/{parent_only}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn organizations_list_is_the_family() {
    let h = start().await;
    assert_eq!(h.ids(1, "/organizations").await, vec![1, 2]);
    assert_eq!(h.ids(2, "/organizations").await, vec![2]);
    assert_eq!(h.get(2, "/organizations/1").await.status, StatusCode::NOT_FOUND);
    let child = h.get(2, "/organizations/2").await;
    assert!(child.body["data"]["parent"].is_null(), "the parent is outside the child's view");
    assert_eq!(child.body["data"]["parent_id"], 1);
}

#[tokio::test]
async fn deleted_child_organization_leaves_the_family_and_loses_its_token() {
    let h = start().await;
    let child_user = h.ids(2, "/users").await[0];
    let token = h.token(2);
    h.sim.control().delete(Resource::Organizations, 2).expect("delete org");

    assert!(!h.all_ids(1, "/users").await.contains(&child_user));
    assert_eq!(h.get(1, &format!("/users/{child_user}")).await.status, StatusCode::NOT_FOUND);
    let refused = h.get_as(Some(&format!("Bearer {token}")), "/users").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.ids(1, "/organizations").await, vec![1]);
}
