//! The store's behaviour, run against both backends: a SQLite file and the machine's PostgreSQL.

use reconciler::store::{
    ActionScope, ActionState, Alert, FindingRow, JournalEntry, NewRun, PartnerRow, PartnerVersion,
    Review, ReviewState, RunCounts, RunOutcome, Settled, Settlement, Store,
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
    partner_state_is_read_by_parent,
    held_parents_are_those_with_live_records_processed_since,
    partner_state_is_sized_for_the_cadence_policy,
    deleted_records_leave_the_live_ids,
    partner_state_is_walked_in_id_order_deleted_rows_included,
    checkpoints_never_move_backwards_unless_set,
    runs_record_their_counts_and_outcome,
    runs_a_dead_process_left_running_are_closed_for_the_customers_served_alone,
    findings_keep_both_values,
    journal_inserts_each_key_once,
    staged_actions_wait_for_the_breaker_and_a_crashed_runs_are_taken_over,
    pending_actions_are_read_a_page_at_a_time,
    a_settlement_writes_every_change_of_a_batch,
    reviews_are_decided_once,
    dead_letters_resolve_per_record,
    alerts_are_listed_newest_first,
    an_alert_already_raised_is_found_by_customer_kind_and_time,
    a_large_batch_is_written_in_one_go,
);

fn row(id: u64, updated_at: i64, name: &str) -> PartnerRow {
    PartnerRow {
        customer: "acme".into(),
        resource: "users".into(),
        id,
        parent: None,
        updated_at,
        fingerprint: blake3::hash(name.as_bytes()).as_bytes().to_vec(),
        fields: format!(r#"[{{"name":"first_name","value":{{"text":"{name}"}}}}]"#),
        processed_at: 1_000,
        deleted_at: None,
    }
}

async fn partner_state_is_sized_for_the_cadence_policy(store: &Store) {
    assert_eq!(store.partner_size("acme", "users", 0).await.expect("empty"), (0, 0));
    let rows = [row(1, 10, "a"), row(2, 20, "b"), row(3, 30, "c")];
    store.upsert_partner_states(&rows).await.expect("upsert");
    store.mark_partner_deleted("acme", "users", 3, 40).await.expect("deleted");
    assert_eq!(store.partner_size("acme", "users", 15).await.expect("size"), (2, 1));
}

async fn partner_state_is_read_by_parent(store: &Store) {
    let below =
        |id, parent| PartnerRow { parent, resource: "participations".into(), ..row(id, 10, "p") };
    let rows = [below(3, Some(70)), below(1, Some(70)), below(2, Some(71)), below(4, None)];
    store.upsert_partner_states(&rows).await.expect("upsert");
    let of_70 = store.partner_states_of_parent("acme", "participations", 70).await.expect("read");
    assert_eq!(of_70, [below(1, Some(70)), below(3, Some(70))], "ascending, that parent only");
    let moved = below(3, Some(71));
    store.upsert_partner_states(&[PartnerRow { updated_at: 20, ..moved }]).await.expect("move");
    let of_71 = store.partner_states_of_parent("acme", "participations", 71).await.expect("read");
    assert_eq!(of_71.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 3], "a parent can change");
}

async fn held_parents_are_those_with_live_records_processed_since(store: &Store) {
    let below = |id, parent, processed_at| PartnerRow {
        parent,
        processed_at,
        resource: "participations".into(),
        ..row(id, 10, "p")
    };
    let rows = [
        below(1, Some(72), 5_000),
        below(2, Some(70), 1_000),
        below(3, Some(70), 9_000),
        below(4, Some(71), 9_000),
        below(5, None, 9_000),
    ];
    store.upsert_partner_states(&rows).await.expect("upsert");
    store.mark_partner_deleted("acme", "participations", 4, 9_500).await.expect("deleted");
    let held = |since| store.held_parents("acme", "participations", since);
    assert_eq!(held(None).await.expect("read"), [70, 72], "live rows only, each parent once");
    assert_eq!(held(Some(6_000)).await.expect("read"), [70], "a record processed since then");
    assert_eq!(store.held_parents("acme", "users", None).await.expect("read"), Vec::<u64>::new());
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

    store.upsert_partner_states(&[row(3, 20, "c")]).await.unwrap();
    let mut held = store.partner_updated_at("acme", "users", &[2, 3, 99]).await.expect("read");
    held.sort();
    assert_eq!(held, [(2, 10), (3, 20)], "only the ids asked for, with their versions");
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

    let ids = |rows: &[PartnerVersion]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    let first = store.partner_versions_after("acme", "users", None, 2).await.unwrap();
    assert_eq!(ids(&first), [1, 3]);
    assert_eq!(first[0], row(1, 10, "x").version(), "the version is the row's");
    let rest = store.partner_versions_after("acme", "users", Some(3), 10).await.unwrap();
    assert_eq!(ids(&rest), [5, 7, 9], "deleted rows are walked too");
    let deleted: Vec<bool> = rest.iter().map(|r| r.deleted).collect();
    assert_eq!(deleted, [false, true, false]);
    assert!(store.partner_versions_after("acme", "users", Some(9), 10).await.unwrap().is_empty());
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

async fn runs_a_dead_process_left_running_are_closed_for_the_customers_served_alone(store: &Store) {
    let abandoned = store.open_run(&new_run("users_full")).await.unwrap();
    let staged = [entry(abandoned, "k1", ActionState::Staged)];
    store.journal_staged(&staged, 1).await.unwrap();
    let pending = store.open_run(&new_run("groups_full")).await.unwrap();
    store.journal_actions(&[entry(pending, "k2", ActionState::Pending)], 1).await.unwrap();
    let finished = store.open_run(&new_run("users_audit")).await.unwrap();
    store.close_run(finished, RunOutcome::Succeeded, &RunCounts::default(), None, 9).await.unwrap();
    let elsewhere = NewRun { customer: "globex".into(), ..new_run("users_full") };
    let elsewhere = store.open_run(&elsewhere).await.unwrap();

    let served = ["acme".to_owned(), "initech".to_owned()];
    let mut closed = store.close_abandoned_runs(&served, 77).await.unwrap();
    closed.sort_unstable();
    assert_eq!(closed, [abandoned, pending]);
    let run = store.run(abandoned).await.unwrap().expect("run");
    assert_eq!((run.outcome, run.finished_at), (RunOutcome::Interrupted, Some(77)));
    assert!(run.error.expect("why").contains("interrupted"));
    assert!(store.run_actions(abandoned).await.unwrap().is_empty(), "what it staged is dropped");
    let kept = store.run_actions(pending).await.unwrap();
    assert_eq!(kept[0].state, ActionState::Pending, "released actions wait for the next run");
    let finished = store.run(finished).await.unwrap().expect("run");
    assert_eq!(finished.outcome, RunOutcome::Succeeded);
    let other = store.run(elsewhere).await.unwrap().expect("run");
    assert_eq!(other.outcome, RunOutcome::Running, "another host's customer is left alone");
    assert!(store.close_abandoned_runs(&served, 78).await.unwrap().is_empty(), "once");
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

fn settled(key: &str, record_id: u64, to: ActionState, error: Option<&str>) -> Settled {
    Settled {
        key: key.into(),
        record_id,
        to,
        error: error.map(str::to_owned),
        dead_letter: error.map(|e| format!("reprocess failed: {e}")),
    }
}

fn settlement(actions: Vec<Settled>) -> Settlement {
    Settlement {
        customer: "acme".into(),
        resource: "users".into(),
        actions,
        ..Settlement::default()
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
    let done = settlement(vec![settled("k1", 1, ActionState::Done, None)]);
    assert_eq!(store.settle(&done, 2).await.unwrap(), [true]);
    let again = settlement(vec![settled("k1", 1, ActionState::Failed, Some("503"))]);
    assert_eq!(store.settle(&again, 2).await.unwrap(), [false], "moved from pending once");
    assert!(store.open_dead_letters("acme", "users").await.unwrap().is_empty());
    let again = store.journal_actions(&[entry(run, "k1", ActionState::Pending)], 3).await.unwrap();
    assert_eq!(again, 0, "a journaled key is never added twice");

    let pending = store.actions_in_state("acme", ActionState::Pending).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["k2"]);
    let done = store.actions_in_state("acme", ActionState::Done).await.unwrap();
    assert_eq!(done[0].attempts, 1);
}

async fn staged_actions_wait_for_the_breaker_and_a_crashed_runs_are_taken_over(store: &Store) {
    let crashed = store.open_run(&new_run("users_full")).await.unwrap();
    let staged =
        [entry(crashed, "k1", ActionState::Staged), entry(crashed, "k2", ActionState::Staged)];
    assert_eq!(store.journal_staged(&staged, 1).await.unwrap(), 2);
    let scope = ActionScope::Run(crashed);
    assert!(store.pending_actions(scope, None, 10).await.unwrap().is_empty(), "not pending");

    // The next run detects k1 again: the crashed run's staged entry becomes its own.
    // A plugin that plans the same action twice gives k3 twice: staged once.
    let next = store.open_run(&new_run("users_full")).await.unwrap();
    let k3 = entry(next, "k3", ActionState::Staged);
    let again = [entry(next, "k1", ActionState::Staged), k3.clone(), k3];
    assert_eq!(store.journal_staged(&again, 2).await.unwrap(), 2);
    let review = Review {
        run_id: next,
        customer: "acme".into(),
        task: "users_full".into(),
        reason: "mass deletion".into(),
        actions: 0,
        state: ReviewState::Pending,
        created_at: 3,
        decided_at: None,
    };
    let held = store.release_staged(next, ActionState::Held, Some(&review), 3).await.unwrap();
    assert_eq!(held, 2);
    assert_eq!(store.reviews(ReviewState::Pending).await.unwrap()[0].actions, 2, "counted");
    let mine = store.run_actions(next).await.unwrap();
    let keys: Vec<_> = mine.iter().map(|e| (e.key.as_str(), e.state)).collect();
    assert_eq!(keys, [("k1", ActionState::Held), ("k3", ActionState::Held)]);

    assert_eq!(store.drop_staged(crashed).await.unwrap(), 1, "k2 was never released");
    assert!(store.run_actions(crashed).await.unwrap().is_empty());
    let done = [entry(next, "k1", ActionState::Staged)];
    assert_eq!(store.journal_staged(&done, 4).await.unwrap(), 0, "a held key is not taken");
}

async fn pending_actions_are_read_a_page_at_a_time(store: &Store) {
    let run = store.open_run(&new_run("users_full")).await.unwrap();
    let other = store.open_run(&new_run("users_full")).await.unwrap();
    let mut entries: Vec<_> =
        ["e", "a", "d", "b"].iter().map(|k| entry(run, k, ActionState::Pending)).collect();
    entries.push(entry(run, "c", ActionState::Done));
    entries.push(entry(other, "f", ActionState::Pending));
    store.journal_actions(&entries, 1).await.unwrap();

    let keys = |page: Vec<JournalEntry>| page.into_iter().map(|e| e.key).collect::<Vec<_>>();
    let scope = ActionScope::Run(run);
    assert_eq!(keys(store.pending_actions(scope, None, 2).await.unwrap()), ["a", "b"]);
    assert_eq!(keys(store.pending_actions(scope, Some("b"), 2).await.unwrap()), ["d", "e"]);
    assert!(store.pending_actions(scope, Some("e"), 2).await.unwrap().is_empty());
    let all = ActionScope::Resource { customer: "acme", resource: "users" };
    assert_eq!(keys(store.pending_actions(all, Some("d"), 10).await.unwrap()), ["e", "f"]);
}

async fn a_settlement_writes_every_change_of_a_batch(store: &Store) {
    let run = store.open_run(&new_run("users_full")).await.unwrap();
    let entries: Vec<_> = ["push", "gone", "fail", "skip"]
        .iter()
        .map(|k| entry(run, k, ActionState::Pending))
        .collect();
    store.journal_actions(&entries, 1).await.unwrap();
    store.upsert_partner_states(&[row(2, 10, "a")]).await.unwrap();
    store.add_dead_letter("acme", "users", 1, "push failed: 503", 1).await.unwrap();

    let mut batch = settlement(vec![
        settled("push", 1, ActionState::Done, None),
        settled("gone", 2, ActionState::Done, None),
        settled("fail", 3, ActionState::Failed, Some("503")),
        Settled {
            error: Some("superseded".into()),
            ..settled("skip", 4, ActionState::Skipped, None)
        },
    ]);
    batch.pushed.push(row(1, 20, "pushed"));
    batch.deleted.push(2);
    batch.alerts.push(Alert {
        customer: "acme".into(),
        run_id: Some(run),
        severity: "low".into(),
        kind: "plugin".into(),
        message: "look at user 3".into(),
        created_at: 5,
    });
    assert_eq!(store.settle(&batch, 5).await.unwrap(), [true, true, true, true]);

    assert_eq!(store.partner_states("acme", "users", &[1]).await.unwrap(), [row(1, 20, "pushed")]);
    assert_eq!(store.live_partner_ids("acme", "users").await.unwrap(), [1]);
    let open = store.open_dead_letters("acme", "users").await.unwrap();
    let open: Vec<_> = open.iter().map(|d| (d.record_id, d.reason.as_str())).collect();
    assert_eq!(open, [(3, "reprocess failed: 503")], "user 1's letter resolved, user 3's added");
    assert_eq!(store.alerts("acme", 10).await.unwrap()[0].message, "look at user 3");
    let states: Vec<_> =
        store.run_actions(run).await.unwrap().into_iter().map(|e| (e.key, e.state)).collect();
    assert!(states.contains(&("skip".into(), ActionState::Skipped)), "{states:?}");
    assert!(states.contains(&("fail".into(), ActionState::Failed)), "{states:?}");

    // Settled again (a repeated batch): nothing is pending any more, so nothing moves twice.
    let again = Settlement { pushed: Vec::new(), deleted: Vec::new(), alerts: Vec::new(), ..batch };
    assert_eq!(store.settle(&again, 6).await.unwrap(), [false, false, false, false]);
    assert_eq!(store.open_dead_letters("acme", "users").await.unwrap().len(), 1, "no second");
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

async fn an_alert_already_raised_is_found_by_customer_kind_and_time(store: &Store) {
    let alert = |customer: &str, kind: &str, created_at| Alert {
        customer: customer.into(),
        run_id: None,
        severity: "high".into(),
        kind: kind.into(),
        message: "m".into(),
        created_at,
    };
    store.add_alert(&alert("acme", "daily_gap_rate", 100)).await.unwrap();
    store.add_alert(&alert("acme", "run_failed", 200)).await.unwrap();
    store.add_alert(&alert("globex", "run_failed", 300)).await.unwrap();
    assert!(store.alert_raised_since("acme", "daily_gap_rate", 100).await.unwrap());
    assert!(!store.alert_raised_since("acme", "daily_gap_rate", 101).await.unwrap(), "earlier");
    assert!(!store.alert_raised_since("acme", "gap_rate_outlier", 0).await.unwrap(), "kind");
    assert!(!store.alert_raised_since("acme", "run_failed", 250).await.unwrap(), "customer");
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

#[tokio::test]
async fn a_walk_over_a_sqlite_value_of_the_wrong_type_names_the_row_and_column() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.db").display().to_string();
    let store = Store::open(&path).await.expect("store opens");
    let rows: Vec<_> = [1, 2, 3].into_iter().map(|id| row(id, 10, "x")).collect();
    store.upsert_partner_states(&rows).await.unwrap();

    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.unwrap();
    sqlx::query("UPDATE partner_state SET updated_at = 'soon' WHERE id = 2")
        .execute(&mut other)
        .await
        .unwrap();

    let error = store.partner_versions_after("acme", "users", None, 10).await.expect_err("refused");
    let message = error.to_string();
    assert!(message.contains("row 2: updated_at holds text, not an integer"), "{message}");
    let before = store.partner_versions_after("acme", "users", None, 1).await.unwrap();
    assert_eq!(before[0].id, 1, "the rows before it still read");
}
