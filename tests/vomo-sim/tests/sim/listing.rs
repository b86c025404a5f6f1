//! The list envelope, pagination, filters and their boundaries.

use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use vomo_sim::Resource;

use super::support::{ids, start};

#[tokio::test]
async fn list_envelope_has_absolute_links_and_full_meta() {
    let h = start().await;
    let page = h.get(1, "/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["content-type"], "application/json");

    let base = h.sim.base_url();
    let meta = &page.body["meta"];
    let total = meta["total"].as_u64().expect("total");
    let last = total.div_ceil(15);
    assert!(total > 30, "the small data set gives customer 1 a few pages");
    assert_eq!(meta["current_page"], 1);
    assert_eq!(meta["from"], 1);
    assert_eq!(meta["to"], 15);
    assert_eq!(meta["per_page"], 15);
    assert_eq!(meta["last_page"], last);
    assert_eq!(meta["path"], format!("{base}/users"));

    let links = &page.body["links"];
    assert_eq!(links["first"], format!("{base}/users?page=1"));
    assert_eq!(links["last"], format!("{base}/users?page={last}"));
    assert!(links["prev"].is_null());
    assert_eq!(links["next"], format!("{base}/users?page=2"));
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/v1"));
}

#[tokio::test]
async fn pages_hold_fifteen_records_in_ascending_id_order() {
    let h = start().await;
    let first = h.ids(1, "/users?page=1").await;
    let second = h.ids(1, "/users?page=2").await;
    assert_eq!(first.len(), 15);
    assert_eq!(second.len(), 15);
    let joined: Vec<u64> = first.iter().chain(&second).copied().collect();
    assert!(joined.windows(2).all(|w| w[0] < w[1]), "{joined:?}");

    let all = h.all_ids(1, "/users").await;
    let total = h.get(1, "/users").await.body["meta"]["total"].as_u64();
    assert_eq!(Some(all.len() as u64), total);
}

#[tokio::test]
async fn page_past_the_end_is_empty_with_null_bounds() {
    let h = start().await;
    let last = h.get(1, "/users").await.body["meta"]["last_page"].as_u64().expect("last");
    let past = h.get(1, &format!("/users?page={}", last + 1)).await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(past.body["data"], serde_json::json!([]));
    assert!(past.body["meta"]["from"].is_null());
    assert!(past.body["meta"]["to"].is_null());
    assert!(past.body["links"]["next"].is_null());
    assert_eq!(past.body["meta"]["current_page"], last + 1);
}

#[tokio::test]
async fn links_carry_the_filter_query_string() {
    let h = start().await;
    let page = h.get(1, "/users?updated_after=2020-01-01&page=2").await;
    let base = h.sim.base_url();
    let links = &page.body["links"];
    assert_eq!(links["first"], format!("{base}/users?updated_after=2020-01-01&page=1"));
    assert_eq!(links["prev"], format!("{base}/users?updated_after=2020-01-01&page=1"));
    assert_eq!(links["next"], format!("{base}/users?updated_after=2020-01-01&page=3"));
    assert_eq!(page.body["meta"]["path"], format!("{base}/users"));
}

#[tokio::test]
async fn bad_filter_values_are_422_with_field_errors() {
    let h = start().await;
    for (query, field) in [
        ("/users?page=abc", "page"),
        ("/users?page=0", "page"),
        ("/users?updated_after=yesterday", "updated_after"),
        ("/users?created_before=2025-02-30", "created_before"),
        ("/projects?active=maybe", "active"),
        ("/forms/1/completions?user_id=x", "user_id"),
    ] {
        let answer = h.get(1, query).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(answer.body["message"], "The given data was invalid.");
        let messages = answer.body["errors"][field].as_array().expect("field errors");
        assert!(messages[0].as_str().is_some_and(|m| m.contains(field)), "{query}");
    }
}

#[tokio::test]
async fn updated_bounds_include_records_exactly_at_both_ends() {
    let h = start().await;
    let visible = h.ids(1, "/users").await;
    let (a, b) = (visible[0] as u32, visible[1] as u32);
    let t1 = Utc.with_ymd_and_hms(2019, 6, 1, 12, 0, 0).single().expect("t1");
    let t2 = Utc.with_ymd_and_hms(2019, 6, 2, 12, 0, 0).single().expect("t2");
    h.sim.control().touch(Resource::Users, a, Some(t1)).expect("touch a");
    h.sim.control().touch(Resource::Users, b, Some(t2)).expect("touch b");

    let window = "updated_after=2019-06-01T12:00:00%2B00:00&updated_before=2019-06-02T12:00:00Z";
    let found = h.ids(1, &format!("/users?{window}")).await;
    assert_eq!(found, vec![u64::from(a), u64::from(b)]);

    let narrower =
        h.ids(1, "/users?updated_after=2019-06-01T12:00:01Z&updated_before=2019-06-02").await;
    assert!(narrower.is_empty(), "{narrower:?}");
    let by_date = h.ids(1, "/users?updated_after=2019-06-01&updated_before=2019-06-03").await;
    assert_eq!(by_date, vec![u64::from(a), u64::from(b)]);
}

#[tokio::test]
async fn created_bounds_are_inclusive_too() {
    let h = start().await;
    let visible = h.ids(1, "/users").await;
    let id = visible[3] as u32;
    h.sim
        .control()
        .update_silently(
            Resource::Users,
            id,
            serde_json::json!({"created_at": "2019-01-01T00:00:00Z"}),
        )
        .expect("set created_at");
    let found = h
        .ids(1, "/users?created_after=2019-01-01T00:00:00Z&created_before=2019-01-01T00:00:00Z")
        .await;
    assert_eq!(found, vec![u64::from(id)]);
}

#[tokio::test]
async fn name_and_email_filters_are_case_insensitive_substrings() {
    let h = start().await;
    let page = h.get(1, "/users").await;
    let user = &page.body["data"][0];
    let last = user["last_name"].as_str().expect("last name").to_uppercase();
    let email = user["email"].as_str().expect("email").to_uppercase();

    let by_name = h.get(1, &format!("/users?name_like={last}")).await;
    let names = by_name.body["data"].as_array().expect("data");
    assert!(!names.is_empty());
    assert!(names.iter().all(|u| {
        let first = u["first_name"].as_str().unwrap_or("").to_uppercase();
        let other = u["last_name"].as_str().unwrap_or("").to_uppercase();
        first.contains(&last) || other.contains(&last)
    }));

    let by_email = h.get(1, &format!("/users?email_like={email}")).await;
    assert_eq!(ids(&by_email.body), vec![super::support::id_of(&user["id"])]);
}

#[tokio::test]
async fn project_filters_select_by_flags_and_org_slug() {
    let h = start().await;
    let all = h.all_ids(1, "/projects").await;
    let published = h.all_ids(1, "/projects?published=true").await;
    let drafts = h.all_ids(1, "/projects?published=false").await;
    assert_eq!(published.len() + drafts.len(), all.len());

    let child = h.sim.customers().into_iter().find(|c| c.parent_id == Some(1)).expect("child");
    let only_child = h.all_ids(1, &format!("/projects?org_slug={}", child.slug)).await;
    let child_own = h.all_ids(child.id, "/projects").await;
    assert_eq!(only_child, child_own);

    let foreign = h.sim.customers().into_iter().find(|c| c.id == 3).expect("customer 3");
    let refused = h.get(1, &format!("/projects?org_slug={}", foreign.slug)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn project_detail_has_all_dates_and_next_date() {
    let h = start().await;
    let projects = h.all_ids(1, "/projects?anytime=false").await;
    let detail = h.get(1, &format!("/projects/{}", projects[0])).await;
    assert_eq!(detail.status, StatusCode::OK);
    let data = &detail.body["data"];
    let dates = data["all_dates"].as_array().expect("all_dates");
    assert!(!dates.is_empty());
    assert!(dates.iter().all(|d| d["type"] == "project_date"));
    assert!(data.get("next_date").is_some());

    let date = dates[0]["id"].as_u64().expect("date id");
    let one = h.get(1, &format!("/projects/date/{date}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["data"]["project_name"], data["name"]);
    assert!(one.body["data"]["participants"].is_array());
}

#[tokio::test]
async fn today_lists_dates_starting_on_the_clock_day() {
    let h = start().await;
    let today = h.get(1, "/projects/today").await;
    assert_eq!(today.status, StatusCode::OK);
    let entries = today.body["data"].as_array().expect("data");
    assert!(!entries.is_empty());
    assert!(
        entries
            .iter()
            .all(|d| d["starts_at"].as_str().is_some_and(|s| s.starts_with("2025-11-05")))
    );
    assert!(entries.iter().all(|d| d.get("project_name").is_none()));
}

#[tokio::test]
async fn completions_filter_by_user_and_answer_detail() {
    let h = start().await;
    let forms = h.ids(1, "/forms").await;
    let form = forms[0];
    let page = h.get(1, &format!("/forms/{form}/completions")).await;
    let first = &page.body["data"][0];
    assert_eq!(first["type"], "form_completion");
    assert_eq!(first["field_responses"][0]["type"], "form_field_response");
    let user = first["user_id"].as_u64().expect("user");
    let id = first["id"].as_u64().expect("id");

    let mine = h.get(1, &format!("/forms/{form}/completions?user_id={user}")).await;
    let items = mine.body["data"].as_array().expect("data");
    assert!(items.iter().all(|c| c["user_id"] == user));
    let detail = h.get(1, &format!("/forms/{form}/completions/{id}")).await;
    assert_eq!(detail.body["data"]["id"], id);
}

#[tokio::test]
async fn campaigns_certificates_and_organizations_list() {
    let h = start().await;
    let campaigns = h.get(1, "/campaigns").await;
    assert_eq!(campaigns.body["data"][0]["type"], "campaign");
    let id = campaigns.body["data"][0]["id"].as_u64().expect("campaign id");
    assert_eq!(h.get(1, &format!("/campaigns/{id}")).await.status, StatusCode::OK);
    let certificates = h.get(1, "/certificates").await;
    assert_eq!(certificates.body["data"][0]["type"], "certificate");
    let orgs = h.ids(1, "/organizations").await;
    assert_eq!(orgs, vec![1, 2]);
    let detail = h.get(1, "/organizations/1").await;
    assert_eq!(detail.body["data"]["children"][0]["id"], 2);
}
