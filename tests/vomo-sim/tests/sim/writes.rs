//! The API's writes: the users upsert and the group endpoints.

use reqwest::StatusCode;
use serde_json::json;
use vomo_sim::{GroupDeleteStatus, SimConfig};

use super::support::{ids, start, start_with};

#[tokio::test]
async fn users_upsert_creates_201_then_updates_200_by_email_ignoring_case() {
    let h = start().await;
    let body = json!({
        "first_name": "Ada", "last_name": "Upsert", "email": "Ada.Upsert@Example.test",
        "birthday": "1985-02-03", "gender": "F", "role": "ORGANIZER"
    });
    let created = h.send(1, "POST", "/users", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["code"], "201");
    assert_eq!(created.body["message"], "User created.");
    let id = created.body["data"]["id"].as_str().expect("string id").to_owned();
    assert_eq!(created.body["data"]["membership_role"], "ORGANIZER");
    assert!(created.body["data"]["participations"].is_array());
    assert!(created.body["data"]["profile_field_values"].is_array());

    let again = json!({
        "first_name": "Ada", "last_name": "Renamed", "email": "ada.upsert@example.TEST",
        "birthday": "1985-02-03", "gender": "F"
    });
    let updated = h.send(1, "POST", "/users", Some(again)).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(updated.body["code"], "200");
    assert_eq!(updated.body["message"], "User updated.");
    assert_eq!(updated.body["data"]["id"], id.as_str());
    assert_eq!(updated.body["data"]["last_name"], "Renamed");
}

#[tokio::test]
async fn upsert_matches_generated_users_by_their_email() {
    let h = start().await;
    let page = h.get(1, "/users").await;
    let user = page.body["data"][0].clone();
    let body = json!({
        "first_name": user["first_name"], "last_name": "Changed", "email": user["email"],
        "birthday": "1970-01-01", "gender": "M"
    });
    let answer = h.send(1, "POST", "/users", Some(body)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["data"]["id"], user["id"].to_string());
}

#[tokio::test]
async fn invalid_upsert_is_422_naming_each_field() {
    let h = start().await;
    let body =
        json!({"first_name": "X", "email": "not-an-email", "gender": "Q", "org": "elsewhere"});
    let answer = h.send(1, "POST", "/users", Some(body)).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.body["message"], "The given data was invalid.");
    for field in ["last_name", "email", "birthday", "gender", "org"] {
        assert!(answer.body["errors"][field].is_array(), "{field}: {}", answer.body);
    }
}

#[tokio::test]
async fn group_lifecycle_create_200_update_members_delete_204() {
    let h = start().await;
    let members: Vec<u64> = h.ids(1, "/users").await.into_iter().take(3).collect();
    let created = h
        .send(1, "POST", "/groups", Some(json!({"name": "Drivers", "members": members[..2]})))
        .await;
    assert_eq!(created.status, StatusCode::OK, "POST /groups answers 200");
    let id = created.body["data"]["id"].as_u64().expect("group id");
    assert_eq!(created.body["data"]["has_subgroups"], false);

    let listed = h.get(1, &format!("/groups/{id}/members")).await;
    assert_eq!(ids(&listed.body), members[..2].to_vec());

    let replaced = h
        .send(1, "PUT", &format!("/groups/{id}/members"), Some(json!({"members": [members[2]]})))
        .await;
    assert_eq!(replaced.status, StatusCode::OK);
    assert_eq!(ids(&replaced.body), vec![members[2]]);
    assert!(replaced.body["meta"]["total"].is_u64());

    let renamed = h
        .send(
            1,
            "PUT",
            &format!("/groups/{id}"),
            Some(json!({"name": "Night Drivers", "members": []})),
        )
        .await;
    assert_eq!(renamed.body["data"]["name"], "Night Drivers");
    assert!(h.ids(1, &format!("/groups/{id}/members")).await.is_empty());

    let deleted = h.send(1, "DELETE", &format!("/groups/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(1, &format!("/groups/{id}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn group_writes_reject_foreign_members_and_missing_names() {
    let h = start().await;
    let foreign = h.ids(3, "/users").await[0];
    let answer =
        h.send(1, "POST", "/groups", Some(json!({"name": "Mixed", "members": [foreign]}))).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body["errors"]["members.0"].is_array());

    let group = h.ids(1, "/groups").await[0];
    let nameless = h.send(1, "PUT", &format!("/groups/{group}"), Some(json!({}))).await;
    assert_eq!(nameless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nameless.body["errors"]["name"].is_array());
}

#[tokio::test]
async fn group_delete_can_answer_200_with_an_empty_object() {
    let h = start_with(SimConfig {
        rate_limit: None,
        group_delete: GroupDeleteStatus::OkEmptyObject,
        ..SimConfig::default()
    })
    .await;
    let group = h.ids(1, "/groups").await[0];
    let deleted = h.send(1, "DELETE", &format!("/groups/{group}"), None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body, json!({}));
}

#[tokio::test]
async fn creating_organizations_is_forbidden_to_customers() {
    let h = start().await;
    let answer = h.send(1, "POST", "/organizations", Some(json!({"name": "Spinoff"}))).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body, json!({"message": "This action is unauthorized."}));
}
