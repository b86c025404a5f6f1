//! The documented v1 quirks, on by default and off with one flag.

use reqwest::StatusCode;
use serde_json::{Value, json};
use vomo_sim::{Resource, SimConfig};

use super::support::{Harness, start, start_with};

fn new_user() -> Value {
    json!({
        "first_name": "Quinn", "last_name": "Quirk", "email": "quinn.quirk@example.test",
        "birthday": "1990-04-01", "gender": "N"
    })
}

/// A project date of customer 1 with a verified participant of 4 hours.
async fn participation(h: &Harness) -> (u64, Value) {
    let control = h.sim.control();
    let project = h.all_ids(1, "/projects?anytime=false").await[0];
    let detail = h.get(1, &format!("/projects/{project}")).await;
    let date = detail.body["data"]["all_dates"][0]["id"].as_u64().expect("date");
    let user = h.ids(1, "/users").await[0] as u32;
    let fields = json!({
        "hours": 4, "verified": true,
        "checked_in_at": "2021-03-30T15:29:03Z", "checked_out_at": "2021-03-30T19:29:03Z"
    });
    let id = control.add_participant(date as u32, user, fields).expect("participant");
    let answer = h.get(1, &format!("/projects/date/{date}")).await;
    let participants = answer.body["data"]["participants"].as_array().expect("participants");
    let mine =
        participants.iter().find(|p| p["id"] == id).cloned().expect("new participant listed");
    (project, mine)
}

#[tokio::test]
async fn quirks_on_show_strings_zero_one_and_mixed_timestamps() {
    let h = start().await;
    let created = h.send(1, "POST", "/users", Some(new_user())).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.body["data"]["id"].is_string(), "POST /users id is a string");

    let (project, p) = participation(&h).await;
    assert_eq!(p["hours"], "4.00");
    assert_eq!(p["verified"], 1);
    assert!(p["project_id"].is_string() && p["project_date_id"].is_string());
    assert_eq!(p["checked_in_at"], "2021-03-30T15:29:03.000000Z");
    assert!(p["id"].is_u64() && p["role"].is_string() && p["guests"].is_u64());

    let detail = h.get(1, &format!("/projects/{project}")).await.body["data"].clone();
    assert!(detail["allow_guests"] == 0 || detail["allow_guests"] == 1);
    assert!(detail["anytime"] == 0);
    let updated = detail["updated_at"].as_str().expect("updated_at");
    assert!(updated.ends_with("+00:00") && updated.len() == 25, "{updated}");
    if let Some(owner) = detail["owners"].as_array().and_then(|o| o.first()) {
        let at = owner["created_at"].as_str().expect("owner time");
        assert_eq!(at.len(), 19);
        assert_eq!(&at[10..11], " ");
        assert!(owner["is_primary_owner"].is_u64());
    }
}

#[tokio::test]
async fn campaign_ids_embedded_in_projects_are_strings_under_quirks() {
    let h = start().await;
    let control = h.sim.control();
    let project = h.all_ids(1, "/projects").await[0] as u32;
    let campaign = h.ids(1, "/campaigns").await[0];
    control
        .update_silently(Resource::Projects, project, json!({"campaigns": [campaign]}))
        .expect("link campaign");
    let detail = h.get(1, &format!("/projects/{project}")).await;
    assert_eq!(detail.body["data"]["campaigns"][0]["id"], campaign.to_string());
}

#[tokio::test]
async fn quirks_off_use_integers_booleans_and_one_timestamp_style() {
    let h = start_with(SimConfig { rate_limit: None, quirks: false, ..SimConfig::default() }).await;
    let created = h.send(1, "POST", "/users", Some(new_user())).await;
    assert!(created.body["data"]["id"].is_u64());

    let (project, p) = participation(&h).await;
    assert_eq!(p["hours"], 4.0);
    assert_eq!(p["verified"], true);
    assert!(p["project_id"].is_u64() && p["project_date_id"].is_u64());
    assert_eq!(p["checked_in_at"], "2021-03-30T15:29:03+00:00");

    let detail = h.get(1, &format!("/projects/{project}")).await.body["data"].clone();
    assert!(detail["allow_guests"].is_boolean());
    assert_eq!(detail["anytime"], false);
    if let Some(owner) = detail["owners"].as_array().and_then(|o| o.first()) {
        assert!(owner["created_at"].as_str().is_some_and(|t| t.ends_with("+00:00")));
        assert!(owner["is_primary_owner"].is_boolean());
    }
}
