//! Control operations: timestamps, scope changes, participants, the request log and the
//! control port.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use vomo_sim::Resource;

use super::support::{answer, start};

#[tokio::test]
async fn silent_update_changes_a_field_without_moving_updated_at() {
    let h = start().await;
    let id = h.ids(1, "/users").await[0];
    let before = h.get(1, &format!("/users/{id}")).await.body["data"].clone();
    h.sim
        .control()
        .update_silently(Resource::Users, id as u32, json!({"first_name": "Drifted"}))
        .expect("silent update");
    let after = h.get(1, &format!("/users/{id}")).await.body["data"].clone();
    assert_eq!(after["first_name"], "Drifted");
    assert_eq!(after["updated_at"], before["updated_at"]);
}

#[tokio::test]
async fn update_and_touch_take_updated_at_from_the_clock() {
    let h = start().await;
    let control = h.sim.control();
    let id = h.ids(1, "/users").await[1] as u32;
    let noon = Utc.with_ymd_and_hms(2026, 1, 2, 12, 0, 0).single().expect("time");
    control.set_time(noon);
    control.update(Resource::Users, id, json!({"last_name": "Moved"})).expect("update");
    let detail = h.get(1, &format!("/users/{id}")).await;
    assert_eq!(detail.body["data"]["updated_at"], "2026-01-02T12:00:00+00:00");

    control.advance(std::time::Duration::from_secs(90));
    control.touch(Resource::Users, id, None).expect("touch");
    let detail = h.get(1, &format!("/users/{id}")).await;
    assert_eq!(detail.body["data"]["updated_at"], "2026-01-02T12:01:30+00:00");
    let found = h.ids(1, "/users?updated_after=2026-01-02T12:01:30Z").await;
    assert_eq!(found, vec![u64::from(id)]);
}

#[tokio::test]
async fn scope_changes_leave_the_list_but_keep_the_detail() {
    let h = start().await;
    let control = h.sim.control();
    let visible = h.ids(1, "/users").await;
    let (removed, deactivated, moved) = (visible[0], visible[1], visible[2]);
    control.remove_user_from_org(removed as u32).expect("remove");
    control.deactivate_user(deactivated as u32).expect("deactivate");
    control.move_user(moved as u32, 3).expect("move");

    let listed = h.all_ids(1, "/users").await;
    for id in [removed, deactivated, moved] {
        assert!(!listed.contains(&id), "{id} left the list");
    }
    let removed_detail = h.get(1, &format!("/users/{removed}")).await;
    assert_eq!(removed_detail.status, StatusCode::OK);
    assert_eq!(removed_detail.body["data"]["membership_status"], "REMOVED");
    let deactivated_detail = h.get(1, &format!("/users/{deactivated}")).await;
    assert_eq!(deactivated_detail.status, StatusCode::OK);
    assert_eq!(deactivated_detail.body["data"]["user_status"], "DEACTIVATED");
    assert_eq!(h.get(1, &format!("/users/{moved}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(h.get(3, &format!("/users/{moved}")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_records_of_each_resource_hides_them() {
    let h = start().await;
    let control = h.sim.control();
    for (resource, list, detail) in [
        (Resource::Projects, "/projects", "/projects"),
        (Resource::Groups, "/groups", "/groups"),
        (Resource::Campaigns, "/campaigns", "/campaigns"),
    ] {
        let id = h.ids(1, list).await[0];
        control.delete(resource, id as u32).expect("delete");
        assert!(!h.all_ids(1, list).await.contains(&id));
        let answer = h.get(1, &format!("{detail}/{id}")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{resource}");
        assert!(control.record(resource, id as u32).is_none());
    }
}

#[tokio::test]
async fn cancelled_participant_disappears_from_date_and_user() {
    let h = start().await;
    let control = h.sim.control();
    let project = h.all_ids(1, "/projects?anytime=false").await[0];
    let detail = h.get(1, &format!("/projects/{project}")).await;
    let date = detail.body["data"]["all_dates"][0]["id"].as_u64().expect("date") as u32;
    let user = h.ids(1, "/users").await[5] as u32;
    let _ = control.cancel_participant(date, user);
    control.add_participant(date, user, json!({"hours": 2.5})).expect("add");

    let listed = |body: &Value| {
        body["data"]["participants"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["user_id"] == user))
    };
    assert!(listed(&h.get(1, &format!("/projects/date/{date}")).await.body));
    let user_detail = h.get(1, &format!("/users/{user}")).await;
    let before = user_detail.body["data"]["updated_at"].clone();
    assert!(user_detail.body["data"]["participations"].as_array().is_some_and(|p| !p.is_empty()));

    control.cancel_participant(date, user).expect("cancel");
    assert!(!listed(&h.get(1, &format!("/projects/date/{date}")).await.body));
    let after = h.get(1, &format!("/users/{user}")).await.body["data"].clone();
    let date_text = date.to_string();
    let on_date = after["participations"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["project_date_id"] == date_text.as_str()));
    assert!(!on_date);
    assert_eq!(after["updated_at"], before, "participations never move User.updated_at");
}

#[tokio::test]
async fn created_records_appear_with_clock_timestamps() {
    let h = start().await;
    let control = h.sim.control();
    let id = control
        .create(Resource::Users, 2, json!({"first_name": "Nova", "email": "nova@example.test"}))
        .expect("create");
    let detail = h.get(1, &format!("/users/{id}")).await;
    assert_eq!(detail.body["data"]["first_name"], "Nova");
    assert_eq!(detail.body["data"]["created_at"], "2025-11-05T10:00:00+00:00");
    assert_eq!(*h.all_ids(2, "/users").await.last().expect("last"), u64::from(id));

    let group = control.create(Resource::Groups, 1, json!({"name": "Night Owls"})).expect("group");
    assert_eq!(h.get(1, &format!("/groups/{group}")).await.body["data"]["name"], "Night Owls");
    let bad = control.create(Resource::Users, 1, json!({"shoe_size": 9}));
    assert!(bad.is_err());
}

#[tokio::test]
async fn request_log_counts_per_token_with_times() {
    let h = start().await;
    for _ in 0..3 {
        h.get(1, "/users").await;
    }
    h.get(3, "/projects?page=2").await;
    let control = h.sim.control();
    assert_eq!(control.stats(1).requests, 3);
    assert_eq!(control.stats(1).served, 3);
    assert_eq!(control.stats(3).requests, 1);
    let log = control.requests();
    assert_eq!(log.len(), 4);
    let last = log.last().expect("last");
    assert_eq!((last.customer, last.path.as_str()), (Some(3), "/projects"));
    assert_eq!(last.query.as_deref(), Some("page=2"));
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    control.reset_requests();
    assert_eq!(control.stats(1).requests, 0);
}

#[tokio::test]
async fn control_port_offers_the_same_operations_and_the_api_port_does_not() {
    let h = start().await;
    let http = &h.http;
    let control = h.sim.control_url();
    let user = h.ids(1, "/users").await[0];

    let touched = http
        .post(format!("{control}/records/users/{user}/touch"))
        .json(&json!({"at": "2018-05-05T05:05:05Z"}))
        .send()
        .await
        .expect("touch");
    assert_eq!(touched.status(), StatusCode::NO_CONTENT);
    let detail = h.get(1, &format!("/users/{user}")).await;
    assert_eq!(detail.body["data"]["updated_at"], "2018-05-05T05:05:05+00:00");

    let fault = json!({"kind": "server_error", "path": "/groups", "page": 1, "count": 1});
    let injected =
        http.post(format!("{control}/faults")).json(&fault).send().await.expect("inject");
    assert_eq!(injected.status(), StatusCode::NO_CONTENT);
    assert_eq!(h.get(1, "/groups").await.status, StatusCode::INTERNAL_SERVER_ERROR);

    let log = answer(http.get(format!("{control}/requests")).send().await.expect("log")).await;
    assert_eq!(log.body["stats"]["1"]["requests"], 3);
    let customers = answer(http.get(format!("{control}/customers")).send().await.expect("c")).await;
    assert_eq!(customers.body["customers"][0]["token"], h.token(1));

    // The customer API has no control routes, whatever the token.
    let via_api = h.send(1, "POST", "/faults", Some(fault)).await;
    assert_eq!(via_api.status, StatusCode::NOT_FOUND);
    let base = h.sim.base_url().trim_end_matches("/v1").to_owned();
    let outside = http.get(format!("{base}/customers")).bearer_auth(h.token(1)).send().await;
    assert_eq!(outside.expect("answer").status(), StatusCode::NOT_FOUND);
}
