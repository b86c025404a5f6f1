//! The store's behaviour, run against both backends: a SQLite file and the machine's PostgreSQL.

use reconciler::store::{
    ActionState, Alert, FindingRow, JournalEntry, NewRun, Participant, PartnerRow, Review,
    ReviewState, RunCounts, RunOutcome, Store,
};

/// Declares one test per backend for each listed async check.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _guard) = crate::support::fresh_store("sqlite").await;
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let (store, _guard) = crate::support::fresh_store("postgres").await;
                    super::$name(&store).await;
                }
            )*
        }
    };
}

both_backends!(
    partner_state_upserts_are_idempotent,
    partner_state_reads_only_the_ids_asked_for,
    deleted_records_leave_the_live_ids,
    partner_state_is_walked_in_id_order_deleted_rows_included,
    checkpoints_never_move_backwards_unless_set,
    runs_record_their_counts_and_outcome,
    findings_keep_both_values,
    journal_inserts_each_key_once,
    held_actions_are_released_or_dropped_by_run,
    reviews_are_decided_once,
    dead_letters_resolve_per_record,
    alerts_are_listed_newest_first,
    participants_upsert_by_date_and_user,
    a_large_batch_is_written_in_one_go,
);

fn row(id: u64, updated_at: i64, name: &str) -> PartnerRow {
    PartnerRow {
        customer: "acme".into(),
        resource: "users".into(),
        id,
        updated_at,
        fingerprint: blake3::hash(name.as_bytes()).as_bytes().to_vec(),
        fields: format!(r#"[{{"name":"first_name","value":{{"text":"{name}"}}}}]"#),
        processed_at: 1_000,
        deleted_at: None,
    }
}

async fn partner_state_upserts_are_idempotent(store: &Store) {
    store.upsert_partner_states(&[row(1, 10, "Ann"), row(2, 10, "Bo")]).await.expect("upsert");
    store.upsert_partner_states(&[row(1, 20, "Anne"), row(1, 20, "Anne")]).await.expect("again");
    let rows = store.partner_states("acme", "users", &[1, 2]).await.expect("read");
    assert_eq!(rows.len(), 2);
    let ann = rows.iter().find(|r| r.id == 1).expect("row 1");
    assert_eq!(ann, &row(1, 20, "Anne"));
}

async fn partner_state_reads_only_the_ids_asked_for(store: &Store) {
    store
        .upsert_partner_states(&[row(1, 10, "a"), row(2, 10, "b"), row(3, 10, "c")])
        .await
        .unwrap();
    let mut other = row(2, 10, "b");
    other.customer = "globex".into();
    store.upsert_partner_states(&[other]).await.unwrap();

    let rows = store.partner_states("acme", "users", &[2, 3, 99]).await.expect("read");
    let mut ids: Vec<_> = rows.iter().map(|r| r.id).collect();
    ids.sort();
    assert_eq!(ids, [2, 3]);
    assert!(rows.iter().all(|r| r.customer == "acme"));
}

async fn deleted_records_leave_the_live_ids(store: &Store) {
    store.upsert_partner_states(&[row(5, 10, "a"), row(6, 10, "b")]).await.unwrap();
    assert!(store.mark_partner_deleted("acme", "users", 5, 2_000).await.unwrap());
    assert!(!store.mark_partner_deleted("acme", "users", 5, 3_000).await.unwrap(), "only once");
    assert_eq!(store.live_partner_ids("acme", "users").await.unwrap(), [6]);
}

async fn partner_state_is_walked_in_id_order_deleted_rows_included(store: &Store) {
    let rows: Vec<_> = [9, 3, 7, 1, 5].into_iter().map(|id| row(id, 10, "x")).collect();
    store.upsert_partner_states(&rows).await.unwrap();
    store.mark_partner_deleted("acme", "users", 7, 2_000).await.unwrap();
    let mut other = row(4, 10, "x");
    other.customer = "globex".into();
    store.upsert_partner_states(&[other]).await.unwrap();

    let ids = |rows: Vec<PartnerRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let first = store.partner_states_after("acme", "users", None, 2).await.unwrap();
    assert_eq!(ids(first), [1, 3]);
    let rest = store.partner_states_after("acme", "users", Some(3), 10).await.unwrap();
    assert_eq!(ids(rest), [5, 7, 9], "deleted rows are walked too");
    assert!(store.partner_states_after("acme", "users", Some(9), 10).await.unwrap().is_empty());
}

async fn checkpoints_never_move_backwards_unless_set(store: &Store) {
    assert_eq!(store.checkpoint("acme", "users").await.unwrap(), None);
    store.advance_checkpoint("acme", "users", 500, 1).await.unwrap();
    store.advance_checkpoint("acme", "users", 300, 2).await.unwrap();
    assert_eq!(store.checkpoint("acme", "users").await.unwrap(), Some(500));
    store.set_checkpoint("acme", "users", 100, 3).await.unwrap();
    assert_eq!(store.checkpoint("acme", "users").await.unwrap(), Some(100));
    assert_eq!(store.checkpoint("acme", "groups").await.unwrap(), None);
}

fn new_run(task: &str) -> NewRun {
    NewRun { customer: "acme".into(), task: task.into(), dry_run: false, started_at: 7 }
}

async fn runs_record_their_counts_and_outcome(store: &Store) {
    let id = store.open_run(&new_run("users_full")).await.unwrap();
    let open = store.run(id).await.unwrap().expect("run exists");
    assert_eq!(open.outcome, RunOutcome::Running);

    let counts = RunCounts {
        records_checked: 100,
        gaps: 3,
        deletions: 1,
        drift: 2,
        actions_taken: 4,
        actions_failed: 1,
        requests: 8,
        breaker: "closed".into(),
    };
    store.close_run(id, RunOutcome::Succeeded, &counts, None, 99).await.unwrap();
    let closed = store.run(id).await.unwrap().expect("run exists");
    assert_eq!(closed.counts, counts);
    assert_eq!(closed.finished_at, Some(99));
    assert_eq!(store.recent_runs("acme", 10).await.unwrap().len(), 1);
    assert!(store.run(id + 1000).await.unwrap().is_none());
}

async fn findings_keep_both_values(store: &Store) {
    let run = store.open_run(&new_run("users_audit")).await.unwrap();
    let finding = FindingRow {
        resource: "users".into(),
        record_id: 42,
        kind: "external_drift".into(),
        field: Some("email".into()),
        expected: Some("a@x.org".into()),
        actual: Some("b@x.org".into()),
        severity: "medium".into(),
        detail: String::new(),
    };
    store.insert_findings(run, std::slice::from_ref(&finding)).await.unwrap();
    assert_eq!(store.findings(run).await.unwrap(), [finding]);
}

fn entry(run: i64, key: &str, state: ActionState) -> JournalEntry {
    JournalEntry {
        key: key.into(),
        run_id: run,
        customer: "acme".into(),
        resource: "users".into(),
        record_id: 1,
        action: "reprocess".into(),
        payload: "{}".into(),
        state,
        attempts: 0,
    }
}

async fn journal_inserts_each_key_once(store: &Store) {
    let run = store.open_run(&new_run("users_incremental")).await.unwrap();
    let added = store
        .journal_actions(
            &[entry(run, "k1", ActionState::Pending), entry(run, "k2", ActionState::Pending)],
            1,
        )
        .await
        .unwrap();
    assert_eq!(added, 2);
    assert!(
        store
            .set_action_state("k1", ActionState::Pending, ActionState::Done, None, 2)
            .await
            .unwrap()
    );
    let again = store.set_action_state("k1", ActionState::Pending, ActionState::Failed, None, 2);
    assert!(!again.await.unwrap(), "a done action is not moved from pending again");
    let again = store.journal_actions(&[entry(run, "k1", ActionState::Pending)], 3).await.unwrap();
    assert_eq!(again, 0, "a journaled key is never added twice");

    let pending = store.actions_in_state("acme", ActionState::Pending).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["k2"]);
    let done = store.actions_in_state("acme", ActionState::Done).await.unwrap();
    assert_eq!(done[0].attempts, 1);
}

async fn held_actions_are_released_or_dropped_by_run(store: &Store) {
    let first = store.open_run(&new_run("users_full")).await.unwrap();
    let second = store.open_run(&new_run("users_full")).await.unwrap();
    let entries = [
        entry(first, "a", ActionState::Held),
        entry(first, "b", ActionState::Held),
        entry(second, "c", ActionState::Held),
    ];
    store.journal_actions(&entries, 1).await.unwrap();

    let released = store.move_run_actions(first, ActionState::Held, ActionState::Pending, 2);
    assert_eq!(released.await.unwrap(), 2);
    let dropped = store.move_run_actions(second, ActionState::Held, ActionState::Rejected, 2);
    assert_eq!(dropped.await.unwrap(), 1);
    assert_eq!(store.run_actions(first).await.unwrap().len(), 2);
    assert!(store.actions_in_state("acme", ActionState::Held).await.unwrap().is_empty());
}

async fn reviews_are_decided_once(store: &Store) {
    let run = store.open_run(&new_run("users_full")).await.unwrap();
    let review = Review {
        run_id: run,
        customer: "acme".into(),
        task: "users_full".into(),
        reason: "412 deletions".into(),
        actions: 412,
        state: ReviewState::Pending,
        created_at: 5,
        decided_at: None,
    };
    store.queue_review(&review).await.unwrap();
    store.queue_review(&review).await.unwrap();
    assert_eq!(store.reviews(ReviewState::Pending).await.unwrap(), [review]);
    store.journal_actions(&[entry(run, "held-1", ActionState::Held)], 5).await.unwrap();
    assert_eq!(store.decide_review(run, ReviewState::Approved, 6).await.unwrap(), Some(1));
    assert_eq!(store.decide_review(run, ReviewState::Rejected, 7).await.unwrap(), None);
    let released = store.actions_in_state("acme", ActionState::Pending).await.unwrap();
    assert_eq!(released.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["held-1"]);
    assert_eq!(store.reviews(ReviewState::Approved).await.unwrap()[0].decided_at, Some(6));
}

async fn dead_letters_resolve_per_record(store: &Store) {
    store.add_dead_letter("acme", "users", 1, "push failed: 503", 1).await.unwrap();
    store.add_dead_letter("acme", "users", 1, "push failed again", 2).await.unwrap();
    store.add_dead_letter("acme", "users", 2, "push failed: 503", 1).await.unwrap();
    assert_eq!(store.resolve_dead_letters("acme", "users", &[1, 3], 2).await.unwrap(), 1);
    let open = store.open_dead_letters("acme", "users").await.unwrap();
    assert_eq!(open.iter().map(|d| d.record_id).collect::<Vec<_>>(), [2]);
}

async fn alerts_are_listed_newest_first(store: &Store) {
    for (n, kind) in ["scope_change", "breaker_open"].iter().enumerate() {
        let alert = Alert {
            customer: "acme".into(),
            run_id: None,
            severity: "low".into(),
            kind: kind.to_string(),
            message: format!("alert {n}"),
            created_at: n as i64,
        };
        store.add_alert(&alert).await.unwrap();
    }
    let alerts = store.alerts("acme", 10).await.unwrap();
    assert_eq!(
        alerts.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(),
        ["breaker_open", "scope_change"]
    );
}

async fn participants_upsert_by_date_and_user(store: &Store) {
    let p = |user, status: &str| Participant {
        project_date_id: 70,
        user_id: user,
        status: status.into(),
        seen_at: 1,
    };
    store.upsert_participants("acme", &[p(1, "active"), p(2, "active")]).await.unwrap();
    store.upsert_participants("acme", &[p(2, "cancelled")]).await.unwrap();
    let known = store.participants("acme", 70).await.unwrap();
    assert_eq!(known, [p(1, "active"), p(2, "cancelled")]);
}

async fn a_large_batch_is_written_in_one_go(store: &Store) {
    let rows: Vec<_> = (1..=2_345).map(|id| row(id, 10, "x")).collect();
    store.upsert_partner_states(&rows).await.unwrap();
    assert_eq!(store.live_partner_ids("acme", "users").await.unwrap().len(), 2_345);
    let some: Vec<u64> = (1..=1_200).collect();
    assert_eq!(store.partner_states("acme", "users", &some).await.unwrap().len(), 1_200);
}

#[tokio::test]
async fn a_bad_postgres_url_names_it() {
    let error = Store::open("postgres://nobody@127.0.0.1:1/none").await.expect_err("refused");
    assert!(error.to_string().contains("postgres://nobody@127.0.0.1:1/none"), "{error}");
}
