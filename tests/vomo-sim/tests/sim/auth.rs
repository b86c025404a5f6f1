//! Authentication (401) and not-found (404) answers.

use reqwest::StatusCode;
use serde_json::json;
use vomo_sim::Resource;

use super::support::start;

#[tokio::test]
async fn missing_or_malformed_tokens_are_401_unauthenticated() {
    let h = start().await;
    let token = h.token(1);
    let cases = [
        None,
        Some("Bearer nope".to_owned()),
        Some(format!("bearer {token}")),
        Some(format!("Bearer  {token}")),
        Some(token.clone()),
        Some("Bearer ".to_owned()),
    ];
    for authorization in cases {
        let answer = h.get_as(authorization.as_deref(), "/users").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert_eq!(answer.body, json!({"message": "Unauthenticated."}));
    }
    let good = h.get_as(Some(&format!("Bearer {token}")), "/users").await;
    assert_eq!(good.status, StatusCode::OK);
    assert_eq!(h.sim.control().unauthenticated_requests(), 6);
}

#[tokio::test]
async fn unknown_and_deleted_ids_are_404_resource_not_found() {
    let h = start().await;
    let user = h.ids(1, "/users").await[0];
    assert_eq!(h.get(1, &format!("/users/{user}")).await.status, StatusCode::OK);

    h.sim.control().delete(Resource::Users, user as u32).expect("delete");
    let gone = h.get(1, &format!("/users/{user}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body, json!({"message": "Resource not found."}));
    assert!(!h.all_ids(1, "/users").await.contains(&user));

    for path in ["/users/999999", "/users/abc", "/projects/0", "/groups/77777", "/nope"] {
        let answer = h.get(1, path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.body, json!({"message": "Resource not found."}));
    }
}

#[tokio::test]
async fn foreign_ids_are_404() {
    let h = start().await;
    let foreign_user = h.ids(3, "/users").await[0];
    let foreign_project = h.ids(3, "/projects").await[0];
    let foreign_group = h.ids(3, "/groups").await[0];
    for path in [
        format!("/users/{foreign_user}"),
        format!("/projects/{foreign_project}"),
        format!("/groups/{foreign_group}"),
        "/organizations/3".to_owned(),
    ] {
        assert_eq!(h.get(1, &path).await.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(h.get(3, &path).await.status, StatusCode::OK, "{path}");
    }
}
