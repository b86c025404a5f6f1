//! Projects, groups, forms, form completions and participations end to end: the failures their
//! plugins exist for, which task catches each and which cannot, and what reaches the external
//! system.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use reconciler::commands::demo::faults::users_of;
use reconciler::commands::demo::faults::{Injected, Scene, dates_of, dates_read, records_of};
use reconciler::config::{CustomerConfig, Thresholds};
use reconciler::engine::{ParticipationWindow, Pass, Quiet, RunContext, RunSummary, Target, Task};
use reconciler::engine::{poll, run_task};
use reconciler::external::ExternalClient;
use reconciler::store::PartnerRow;
use reconciler::vomo::{RetryPolicy, Token, VomoClient};
use reconciler::wiring::{Rules, Wiring};
use vomo_sim::{DataSize, ExternalConfig, ExternalHandle, ExternalSystem, Fault, Resource};
use vomo_sim::{RequestRecord, SimConfig, SimHandle, Simulator};

use crate::reconcile::config;
use crate::support::cache_dir;

fn fault_day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).single().expect("instant")
}

/// When `World::run` runs a pass: the day after the failures.
fn pass_time() -> DateTime<Utc> {
    fault_day() + chrono::Duration::hours(28)
}

/// One customer whose users, projects and groups were backfilled by polling.
struct World {
    sim: SimHandle,
    crm: ExternalHandle,
    wiring: Wiring,
    external: ExternalClient,
    users: Rules,
    customer: CustomerConfig,
    org: u32,
    vomo: VomoClient,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> World {
        let size = DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(60) };
        let sim_config =
            SimConfig { size, rate_limit: None, start_time: fault_day(), ..SimConfig::default() };
        let sim = Simulator::start(sim_config).await.expect("simulator");
        let crm = ExternalSystem::start(ExternalConfig::default()).await.expect("crm");
        let dir = tempfile::tempdir().expect("temp dir");
        let sim_customer = sim.customers()[0].clone();
        std::fs::write(dir.path().join("c0.token"), &sim_customer.token).expect("token");
        let db = dir.path().join("store.db");
        let config = config(sim.base_url(), &crm.base_url(), &db, Thresholds::default(), 1);
        let mut wiring = Wiring::open(config, &cache_dir()).await.expect("wiring");
        wiring.retry =
            RetryPolicy { attempts: 2, base_delay: Duration::from_millis(5), ..Default::default() };
        let customer = wiring.config.customers[0].clone();
        let (vomo, _) = wiring.vomo_with(&customer, Token::new(sim_customer.token)).expect("vomo");
        let world = World {
            users: wiring.rules("users").expect("users plugin"),
            external: ExternalClient::new(&crm.base_url(), None).expect("crm client"),
            org: sim_customer.id,
            sim,
            crm,
            wiring,
            customer,
            vomo,
            _dir: dir,
        };
        for resource in ["projects", "groups", "forms", "form_completions"] {
            let rules = world.wiring.rules(resource).expect("plugin");
            poll(&world.target(resource, &rules), &world.vomo).await.expect("backfill");
        }
        world.sim.control().set_time(fault_day() + chrono::Duration::hours(1));
        // Participations have no polling: their own pass reads them first.
        world.run_at("participations", Pass::Full, 1).await;
        world
    }

    fn target<'a>(&'a self, resource: &'a str, rules: &'a Rules) -> Target<'a> {
        Target {
            customer: &self.customer.id,
            resource,
            schema: &rules.schema,
            store: &self.wiring.store,
            external: &self.external,
        }
    }

    fn scene(&self) -> Scene<'_> {
        let control = self.sim.control();
        Scene {
            control,
            crm: &self.crm,
            target: self.target("users", &self.users),
            vomo: &self.vomo,
            org: self.org,
            spare: users_of(control, self.org),
            touched: Vec::new(),
        }
    }

    /// Runs `pass` over `resource` the day after the failures, at `pass_time`.
    async fn run(&self, resource: &str, pass: Pass) -> RunSummary {
        self.run_at(resource, pass, 28).await
    }

    /// Runs `pass` over `resource` `hours` after the fault day began.
    async fn run_at(&self, resource: &str, pass: Pass, hours: i64) -> RunSummary {
        self.sim.control().set_time(fault_day() + chrono::Duration::hours(hours));
        let rules = self.wiring.rules(resource).expect("plugin");
        let worker = self.wiring.worker(&rules, &self.customer).expect("worker");
        let ctx = RunContext {
            target: self.target(resource, &rules),
            vomo: &self.vomo,
            plugin: &worker,
            thresholds: &self.wiring.config.thresholds,
            passes: &self.wiring.config.passes,
            time_zone: self.customer.time_zone(),
            now: self.sim.control().now(),
            dry_run: false,
            progress: &Quiet,
        };
        run_task(&ctx, &Task::new(resource, pass)).await.expect("the run succeeds")
    }

    /// The findings of `run` about the records of `fault`, as `kind: detail`.
    async fn found(&self, run: &RunSummary, fault: &Injected) -> Vec<String> {
        let findings = self.wiring.store.findings(run.run_id).await.expect("findings");
        let about = findings.into_iter().filter(|f| fault.ids.contains(&f.record_id));
        about.map(|f| format!("{}: {}", f.kind, f.detail)).collect()
    }

    /// Partner state's rows of `resource` with the given ids.
    async fn partner(&self, resource: &str, ids: &[u64]) -> Vec<PartnerRow> {
        let store = &self.wiring.store;
        store.partner_states(&self.customer.id, resource, ids).await.expect("partner state")
    }

    /// The ids of the participants partner state holds live for `date`.
    async fn held_participants(&self, date: u32) -> Vec<u64> {
        let store = &self.wiring.store;
        let rows = store.partner_states_of_parent(&self.customer.id, "participations", date.into());
        let rows = rows.await.expect("partner state of a date");
        rows.into_iter().filter(|row| row.deleted_at.is_none()).map(|row| row.id).collect()
    }

    /// A date the window reads at `pass_time` whose participants partner state holds.
    async fn held_recent_date(&self) -> u32 {
        let window = ParticipationWindow::at(&self.wiring.config.passes, pass_time());
        for date in dates_read(self.sim.control(), self.org, window) {
            if !self.held_participants(date).await.is_empty() {
                return date;
            }
        }
        panic!("no date the window reads has participants partner state holds")
    }

    /// The ids the CRM's copy of a record lists under `field`, in order.
    fn crm_ids(&self, resource: &str, id: u32, field: &str) -> Option<Vec<u64>> {
        let record = self.crm.get(resource, &id.to_string())?;
        let items = record.data.get(field)?.as_array()?.clone();
        Some(items.iter().filter_map(|item| item.get("id").unwrap_or(item).as_u64()).collect())
    }
}

fn ids(list: &[u32]) -> Vec<u64> {
    list.iter().map(|id| u64::from(*id)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_sends_a_projects_dates_and_a_groups_members_downstream() {
    let world = World::new().await;
    let control = world.sim.control();
    let projects = records_of(control, Resource::Projects, world.org);
    let groups = records_of(control, Resource::Groups, world.org);
    assert!(!projects.is_empty() && !groups.is_empty(), "the data set has both");
    for project in projects {
        let dates = world.crm_ids("projects", project, "all_dates");
        assert_eq!(dates, Some(ids(&dates_of(control, project))), "project {project}");
    }
    for group in groups {
        let members = control.members(group).expect("a live group");
        assert_eq!(world.crm_ids("groups", group, "members"), Some(ids(&members)), "group {group}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_added_or_removed_is_caught_by_the_full_scan_and_not_the_incremental_pass() {
    let world = World::new().await;
    let mut scene = world.scene();
    let added = scene.date_added().expect("a date added");
    let removed = scene.date_removed().expect("a date removed");

    let incremental = world.run("projects", Pass::Incremental).await;
    for fault in [&added, &removed] {
        let found = world.found(&incremental, fault).await;
        assert_eq!(found, Vec::<String>::new(), "no `updated_at` moved for `{}`", fault.fault);
    }

    let full = world.run("projects", Pass::Full).await;
    let control = world.sim.control();
    for fault in [&added, &removed] {
        let found = world.found(&full, fault).await;
        assert_eq!(found.len(), 1, "{found:?}");
        let project = fault.ids[0] as u32;
        let dates = dates_of(control, project);
        assert_eq!(world.crm_ids("projects", project, "all_dates"), Some(ids(&dates)));
    }
    let new_date = *dates_of(control, added.ids[0] as u32).last().expect("the new date");
    let found = world.found(&full, &added).await;
    assert_eq!(found, [format!("silent_change: dates: 1 added ({new_date})")]);
    assert!(world.found(&full, &removed).await[0].contains("1 removed"));
    assert_eq!(full.executed.taken, 4, "a reprocess and an alert per project");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_date_is_caught_by_the_projects_full_scan_and_not_the_incremental_pass() {
    let world = World::new().await;
    let control = world.sim.control();
    let projects = records_of(control, Resource::Projects, world.org);
    let project = projects.into_iter().find(|p| !dates_of(control, *p).is_empty());
    let project = project.expect("a dated project");
    let date = dates_of(control, project)[0];
    let before = control.record(Resource::Projects, project).expect("a live project");
    let moved = serde_json::json!({
        "starts_at": "2026-11-04T10:00:00+00:00",
        "ends_at": "2026-11-04T14:00:00+00:00",
    });
    control.update(Resource::ProjectDates, date, moved).expect("a date moved");
    let after = control.record(Resource::Projects, project).expect("a live project");
    assert_eq!(after["updated_at"], before["updated_at"], "a date moves no project's updated_at");
    let fault = Injected {
        fault: "project date moved",
        customer: world.customer.id.clone(),
        resource: "projects".to_owned(),
        ids: vec![u64::from(project)],
    };

    let incremental = world.run("projects", Pass::Incremental).await;
    assert_eq!(world.found(&incremental, &fault).await, Vec::<String>::new());
    let full = world.run("projects", Pass::Full).await;
    let found = world.found(&full, &fault).await;
    assert_eq!(found, [format!("silent_change: dates: 1 changed ({date})")]);
    let crm = world.crm.get("projects", &project.to_string()).expect("pushed");
    let dates = crm.data["all_dates"].as_array().cloned().unwrap_or_default();
    let copy = dates.iter().find(|d| d["id"].as_u64() == Some(u64::from(date)));
    assert_eq!(copy.expect("the moved date")["starts_at"], "2026-11-04T10:00:00+00:00");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_project_metadata_is_caught_by_the_projects_incremental_pass() {
    let world = World::new().await;
    let control = world.sim.control();
    let project = records_of(control, Resource::Projects, world.org)[0];
    let before = control.record(Resource::Projects, project).expect("a live project");
    let age_limit = if before["age_limit"] == 18 { 16 } else { 18 };
    let changed = serde_json::json!({"name": "Harbour clean-up", "age_limit": age_limit});
    control.update(Resource::Projects, project, changed).expect("metadata changed");
    let after = control.record(Resource::Projects, project).expect("a live project");
    assert_ne!(after["updated_at"], before["updated_at"], "metadata moves updated_at");
    let fault = Injected {
        fault: "project metadata changed",
        customer: world.customer.id.clone(),
        resource: "projects".to_owned(),
        ids: vec![u64::from(project)],
    };

    let incremental = world.run("projects", Pass::Incremental).await;
    assert_eq!(world.found(&incremental, &fault).await, ["missed_update: "]);
    let crm = world.crm.get("projects", &project.to_string()).expect("pushed");
    assert_eq!(crm.data["name"], "Harbour clean-up");
    assert_eq!(crm.data["age_limit"], age_limit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regrouped_or_renamed_group_is_caught_by_the_groups_incremental_pass() {
    let world = World::new().await;
    let control = world.sim.control();
    let groups = records_of(control, Resource::Groups, world.org);
    let (parent, moved, renamed) = (groups[0], groups[1], groups[2]);
    let regrouped = serde_json::json!({"parent_id": parent});
    control.update(Resource::Groups, moved, regrouped).expect("re-parented");
    let name = serde_json::json!({"name": "Weekend crew"});
    control.update(Resource::Groups, renamed, name).expect("renamed");
    let fault = |id: u32| Injected {
        fault: "group re-parented or renamed",
        customer: world.customer.id.clone(),
        resource: "groups".to_owned(),
        ids: vec![u64::from(id)],
    };

    let incremental = world.run("groups", Pass::Incremental).await;
    assert_eq!(world.found(&incremental, &fault(moved)).await, ["missed_update: "]);
    assert_eq!(world.found(&incremental, &fault(renamed)).await, ["missed_update: "]);
    let crm = |id: u32| world.crm.get("groups", &id.to_string()).expect("pushed").data;
    assert_eq!(crm(moved)["parent_id"], parent);
    assert_eq!(crm(renamed)["name"], "Weekend crew");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_added_or_removed_is_caught_by_the_groups_full_scan_and_not_the_incremental_pass()
{
    let world = World::new().await;
    let mut scene = world.scene();
    let fault = scene.member_removed().expect("a member removed");
    let group = fault.ids[0] as u32;
    let members = world.sim.control().members(group).expect("a live group");
    let control = world.sim.control();
    let other = records_of(control, Resource::Groups, world.org).into_iter().find(|g| *g != group);
    let other = other.expect("a second group");
    let mut joined = control.members(other).expect("a live group");
    let newcomer = users_of(control, world.org).into_iter().find(|u| !joined.contains(u));
    joined.push(newcomer.expect("a user outside the group"));
    joined.sort_unstable();
    let fields = serde_json::json!({"members": joined});
    control.update_silently(Resource::Groups, other, fields).expect("a member added");
    let added = Injected { ids: vec![u64::from(other)], ..fault.clone() };

    let incremental = world.run("groups", Pass::Incremental).await;
    assert_eq!(world.found(&incremental, &fault).await, Vec::<String>::new());
    assert_eq!(world.found(&incremental, &added).await, Vec::<String>::new());
    assert_ne!(world.crm_ids("groups", group, "members"), Some(ids(&members)));

    let full = world.run("groups", Pass::Full).await;
    let found = world.found(&full, &fault).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("silent_change: members: 1 removed"), "{found:?}");
    assert_eq!(world.crm_ids("groups", group, "members"), Some(ids(&members)));
    let found = world.found(&full, &added).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("silent_change: members: 1 added"), "{found:?}");
    assert_eq!(world.crm_ids("groups", other, "members"), Some(ids(&joined)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_group_is_confirmed_by_its_detail_and_removed_downstream() {
    let world = World::new().await;
    let mut scene = world.scene();
    let fault = scene.group_deleted().expect("a group deleted");
    let group = fault.ids[0];
    assert!(world.crm.get("groups", &group.to_string()).is_some(), "backfilled");

    let incremental = world.run("groups", Pass::Incremental).await;
    assert_eq!(world.found(&incremental, &fault).await, Vec::<String>::new());

    let full = world.run("groups", Pass::Full).await;
    assert_eq!(full.deletions, 1);
    let found = world.found(&full, &fault).await;
    assert_eq!(found, ["deletion_candidate: confirmed: the detail fetch answered 404"]);
    assert!(world.crm.get("groups", &group.to_string()).is_none(), "deleted downstream");
    let store = &world.wiring.store;
    let rows = store.partner_states(&world.customer.id, "groups", &[group]).await.expect("rows");
    assert!(rows[0].deleted_at.is_some(), "partner state records the deletion");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_changed_silently_is_caught_by_the_forms_full_scan_only() {
    let world = World::new().await;
    let control = world.sim.control();
    let form = records_of(control, Resource::Forms, world.org)[0];
    let renamed = serde_json::json!({"name": "Waiver (2027)"});
    control.update_silently(Resource::Forms, form, renamed).expect("renamed");
    let fault = Injected {
        fault: "form renamed silently",
        customer: world.customer.id.clone(),
        resource: "forms".to_owned(),
        ids: vec![u64::from(form)],
    };

    let incremental = world.run("forms", Pass::Incremental).await;
    assert_eq!(world.found(&incremental, &fault).await, Vec::<String>::new());
    let full = world.run("forms", Pass::Full).await;
    assert_eq!(world.found(&full, &fault).await, ["silent_change: "]);
    let crm = world.crm.get("forms", &form.to_string()).expect("pushed");
    assert_eq!(crm.data["name"], "Waiver (2027)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_completion_is_caught_by_the_incremental_pass_over_its_form() {
    let world = World::new().await;
    let mut scene = world.scene();
    let fault = scene.completion_missed().await.expect("a completion missed");
    let rules = world.wiring.rules("form_completions").expect("plugin");
    let polled = poll(&world.target("form_completions", &rules), &world.vomo).await;
    assert_eq!(polled.expect("polls").processed, 0, "the checkpoint moved past it");
    let id = fault.ids[0].to_string();
    assert!(world.crm.get("form_completions", &id).is_none());

    let incremental = world.run("form_completions", Pass::Incremental).await;
    assert_eq!(world.found(&incremental, &fault).await, ["missed_create: "]);
    let crm = world.crm.get("form_completions", &id).expect("processed");
    let vomo = world.sim.control().record(Resource::FormCompletions, fault.ids[0] as u32);
    assert_eq!(Some(&crm.data["field_responses"]), vomo.as_ref().map(|v| &v["field_responses"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_completion_is_confirmed_below_its_form_and_participations_are_not_polled() {
    let world = World::new().await;
    let control = world.sim.control();
    let completion = records_of(control, Resource::FormCompletions, world.org)[0];
    control.delete(Resource::FormCompletions, completion).expect("deleted");
    let full = world.run("form_completions", Pass::Full).await;
    assert_eq!(full.deletions, 1, "confirmed by `/forms/{{form}}/completions/{{id}}`");
    assert!(world.crm.get("form_completions", &completion.to_string()).is_none());

    let rules = world.wiring.rules("participations").expect("plugin");
    let error = poll(&world.target("participations", &rules), &world.vomo).await;
    let error = error.expect_err("no polling").to_string();
    assert!(error.contains("participations cannot be polled"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_participation_pass_processes_sign_ups_and_removes_cancellations_downstream() {
    let world = World::new().await;
    let mut scene = world.scene();
    let window = ParticipationWindow::at(&world.wiring.config.passes, pass_time());
    let cancelled = scene.participant_cancelled(window).await.expect("a participant cancelled");
    let id = cancelled.ids[0].to_string();
    assert!(world.crm.get("participations", &id).is_some(), "the first pass processed it");
    let (_, date) = *scene.touched.last().expect("the cancelled date");
    let control = world.sim.control();
    let newcomer = users_of(control, world.org).pop().expect("a user");
    let signed_up = control.add_participant(date, newcomer, serde_json::json!({"hours": 3}));
    let signed_up = signed_up.expect("a sign-up").to_string();

    let held = world.wiring.store.held_parents(&world.customer.id, "participations", None);
    let held = held.await.expect("held dates");
    control.reset_requests();
    let run = world.run("participations", Pass::Full).await;
    let found = world.found(&run, &cancelled).await;
    assert_eq!(found, ["deletion_candidate: confirmed: its parent no longer lists it"]);
    assert!(world.crm.get("participations", &signed_up).is_some(), "the sign-up processed");
    assert!(world.crm.get("participations", &id).is_none(), "removed downstream");
    let row = world.partner("participations", &cancelled.ids).await;
    assert!(row[0].deleted_at.is_some());

    // What the pass cost, kind by kind, as docs/resources.md counts it: ceil(A / 15) pages of
    // the projects listing, A project details (their dates), and one read per date: the R dates
    // the window reads and the L dates partner state holds participants for that it does not.
    let passes = &world.wiring.config.passes;
    let (active, recent) = window_at(control, world.org, pass_time(), passes);
    let left = held.iter().filter(|date| !recent.contains(&(**date as u32))).count();
    assert!(!active.is_empty() && !recent.is_empty(), "the data set has a window to read");
    let requests = control.requests();
    let count = |kind: fn(&str) -> bool| requests.iter().filter(|r| kind(&r.path)).count();
    let listing = count(|path| path == "/projects");
    let details = count(is_project_detail);
    let dates = count(|path| path.starts_with("/projects/date/"));
    assert_eq!(listing, active.len().div_ceil(15), "{requests:?}");
    assert_eq!(details, active.len(), "{requests:?}");
    assert_eq!(dates, recent.len() + left, "{requests:?}");
    assert_eq!(dates as u32, run.pages, "one read per date");
    assert_eq!(run.requests as usize, listing + details + dates, "{requests:?}");
}

/// Whether `path` is a project's detail, `/projects/{id}`.
fn is_project_detail(path: &str) -> bool {
    let id = path.strip_prefix("/projects/");
    id.is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The projects the participation pass finds active at `at` and the dates it reads, worked out
/// from the simulator's data rather than by the host's code.
fn window_at(
    control: &vomo_sim::Control,
    org: u32,
    at: DateTime<Utc>,
    passes: &reconciler::config::PassSettings,
) -> (Vec<u32>, Vec<u32>) {
    let back = |days: u32| at - chrono::Duration::days(i64::from(days));
    let (active_since, dates_since) =
        (back(passes.participation_active_days), back(passes.participation_date_days));
    let (mut active, mut read) = (Vec::new(), Vec::new());
    for project in records_of(control, Resource::Projects, org) {
        let starts = date_starts(control, project);
        if starts.iter().any(|(_, starts)| active_since <= *starts && *starts <= at) {
            active.push(project);
            let recent =
                starts.iter().filter(|(_, starts)| dates_since <= *starts && *starts <= at);
            read.extend(recent.map(|(date, _)| *date));
        }
    }
    (active, read)
}

/// Each live date of `project` with its start.
fn date_starts(control: &vomo_sim::Control, project: u32) -> Vec<(u32, DateTime<Utc>)> {
    let detail = control.record(Resource::Projects, project).expect("a live project");
    let dates = detail["all_dates"].as_array().cloned().unwrap_or_default();
    let start = |date: &serde_json::Value| {
        let starts = date["starts_at"].as_str()?.parse().ok()?;
        Some((u32::try_from(date["id"].as_u64()?).ok()?, starts))
    };
    dates.iter().filter_map(start).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_outside_the_participation_windows_are_not_read() {
    let world = World::new().await;
    let control = world.sim.control();
    let stamp = |days: i64| (pass_time() - chrono::Duration::days(days)).to_rfc3339();
    let user = users_of(control, world.org)[0];
    let (active, _) = window_at(control, world.org, pass_time(), &world.wiring.config.passes);
    let active = active[0];
    // An active project's date that started 20 days ago: past the 14-day date window.
    let old =
        serde_json::json!({"project_id": active, "starts_at": stamp(20), "ends_at": stamp(20)});
    let old = control.create(Resource::ProjectDates, world.org, old).expect("an old date");
    // A project whose one date started 10 days ago: inside the date window, but the project
    // was last active more than 7 days ago.
    let idle = serde_json::json!({"name": "Autumn planting"});
    let idle = control.create(Resource::Projects, world.org, idle).expect("an idle project");
    let quiet =
        serde_json::json!({"project_id": idle, "starts_at": stamp(10), "ends_at": stamp(10)});
    let quiet = control.create(Resource::ProjectDates, world.org, quiet).expect("its date");
    for date in [old, quiet] {
        control.add_participant(date, user, serde_json::json!({"hours": 2})).expect("a sign-up");
    }

    control.reset_requests();
    world.run("participations", Pass::Full).await;
    let paths: Vec<String> = control.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.contains(&format!("/projects/{active}")), "the active project is read");
    for path in [format!("/projects/date/{old}"), format!("/projects/date/{quiet}")] {
        assert!(!paths.contains(&path), "{path} is outside the window: {paths:?}");
    }
    assert!(!paths.contains(&format!("/projects/{idle}")), "an idle project's dates are not read");
    assert!(world.held_participants(old).await.is_empty());
    assert!(world.held_participants(quiet).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_is_injected_only_on_a_date_the_pass_reads_when_it_runs() {
    let world = World::new().await;
    let passes = &world.wiring.config.passes;
    let control = world.sim.control();
    let mut scene = world.scene();
    // Two weeks on, no project has had a date in the last seven days: the pass reads no date.
    let later = ParticipationWindow::at(passes, fault_day() + chrono::Duration::days(15));
    let error = scene.participant_cancelled(later).await.expect_err("no date to cancel on");
    let error = error.to_string();
    assert!(
        error.contains("no project date the participation pass reads at 2026-11-17"),
        "{error}"
    );

    let window = ParticipationWindow::at(passes, pass_time());
    let cancelled = scene.participant_cancelled(window).await.expect("a participant cancelled");
    let (_, date) = *scene.touched.last().expect("the cancelled date");
    let (_, read) = window_at(control, world.org, pass_time(), passes);
    assert!(read.contains(&date), "date {date} is one the pass reads at {}", pass_time());
    assert!(cancelled.ids[0] > 0);
    let run = world.run("participations", Pass::Full).await;
    let found = world.found(&run, &cancelled).await;
    assert_eq!(found, ["deletion_candidate: confirmed: its parent no longer lists it"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_hours_are_caught_by_the_participation_pass() {
    let world = World::new().await;
    let control = world.sim.control();
    let date = world.held_recent_date().await;
    let record = world.held_participants(date).await[0];
    let detail = control.record(Resource::ProjectDates, date).expect("a live date");
    let participants = detail["participants"].as_array().cloned().unwrap_or_default();
    let participant = participants.iter().find(|p| p["id"].as_u64() == Some(record));
    let user = participant.and_then(|p| p["user_id"].as_u64()).expect("a participant's user");
    let hours = serde_json::json!({"hours": 6.5});
    control.update_participant(date, user as u32, hours).expect("hours changed");
    let fault = Injected {
        fault: "participant's hours changed",
        customer: world.customer.id.clone(),
        resource: "participations".to_owned(),
        ids: vec![record],
    };

    let run = world.run("participations", Pass::Full).await;
    assert_eq!(world.found(&run, &fault).await, ["silent_change: "]);
    let crm = world.crm.get("participations", &record.to_string()).expect("pushed");
    assert_eq!(crm.data["hours"], "6.50");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_dates_participants_are_removed_downstream_confirmed_by_its_404() {
    let world = World::new().await;
    let control = world.sim.control();
    let date = world.held_recent_date().await;
    let held = world.held_participants(date).await;
    for id in &held {
        assert!(world.crm.get("participations", &id.to_string()).is_some(), "processed");
    }
    control.delete(Resource::ProjectDates, date).expect("a date removed with its sign-ups");
    let fault = Injected {
        fault: "project date removed",
        customer: world.customer.id.clone(),
        resource: "participations".to_owned(),
        ids: held.clone(),
    };

    control.reset_requests();
    let run = world.run("participations", Pass::Full).await;
    let found = world.found(&run, &fault).await;
    assert_eq!(found, vec!["deletion_candidate: confirmed: its parent is gone (404)"; held.len()]);
    assert_eq!(run.deletions as usize, held.len());
    for row in world.partner("participations", &held).await {
        assert!(row.deleted_at.is_some(), "partner state records participation {}", row.id);
        assert!(world.crm.get("participations", &row.id.to_string()).is_none(), "downstream");
    }
    let path = format!("/projects/date/{date}");
    let reads = |requests: Vec<RequestRecord>| {
        requests.into_iter().filter(|r| r.path == path).map(|r| r.status).collect::<Vec<_>>()
    };
    assert_eq!(reads(control.requests()), [404], "one read found it gone");

    control.reset_requests();
    world.run("participations", Pass::Full).await;
    assert_eq!(reads(control.requests()), Vec::<u16>::new(), "nothing held below it any more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_forms_completions_are_removed_downstream_confirmed_by_its_404() {
    let world = World::new().await;
    let control = world.sim.control();
    let form = records_of(control, Resource::Forms, world.org)[0];
    let store = &world.wiring.store;
    let rows = store.partner_states_of_parent(&world.customer.id, "form_completions", form.into());
    let held: Vec<u64> = rows.await.expect("partner state").into_iter().map(|r| r.id).collect();
    assert!(!held.is_empty(), "polling processed the form's completions");
    control.delete(Resource::Forms, form).expect("a form deleted");
    let fault = Injected {
        fault: "form deleted",
        customer: world.customer.id.clone(),
        resource: "form_completions".to_owned(),
        ids: held.clone(),
    };

    control.reset_requests();
    let run = world.run("form_completions", Pass::Full).await;
    let found = world.found(&run, &fault).await;
    assert_eq!(found, vec!["deletion_candidate: confirmed: its parent is gone (404)"; held.len()]);
    for row in world.partner("form_completions", &held).await {
        assert!(row.deleted_at.is_some(), "partner state records completion {}", row.id);
        assert!(world.crm.get("form_completions", &row.id.to_string()).is_none(), "downstream");
    }
    let path = format!("/forms/{form}/completions");
    let reads: Vec<u16> =
        control.requests().into_iter().filter(|r| r.path == path).map(|r| r.status).collect();
    assert_eq!(reads, [404], "the form is no longer listed; its read confirms it is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_participant_list_is_read_again_before_anyone_is_cancelled() {
    let world = World::new().await;
    let control = world.sim.control();
    let date = world.held_recent_date().await;
    let held = world.held_participants(date).await;
    let path = format!("/projects/date/{date}");
    let fault = Injected {
        fault: "participants read empty",
        customer: world.customer.id.clone(),
        resource: "participations".to_owned(),
        ids: held.clone(),
    };
    let reads = || {
        let requests = control.requests().into_iter().filter(|r| r.path == path);
        requests.map(|r| r.fault).collect::<Vec<_>>()
    };

    // A passing fault: the second read shows everyone again, so no one is cancelled.
    let empty = Fault::EmptyParticipants { path: path.clone(), count: 1, customer: None };
    control.inject(empty);
    control.reset_requests();
    let run = world.run("participations", Pass::Full).await;
    assert_eq!(reads(), [Some("empty_participants".to_owned()), None]);
    assert_eq!(world.found(&run, &fault).await, Vec::<String>::new());
    let rows = world.partner("participations", &held).await;
    assert!(rows.iter().all(|row| row.deleted_at.is_none()), "{rows:?}");

    // Everyone left the date: both reads agree, and the list is trusted.
    let detail = control.record(Resource::ProjectDates, date).expect("a live date");
    for participant in detail["participants"].as_array().cloned().unwrap_or_default() {
        let user = participant["user_id"].as_u64().expect("a user id") as u32;
        control.cancel_participant(date, user).expect("cancelled");
    }
    control.reset_requests();
    let run = world.run("participations", Pass::Full).await;
    assert_eq!(reads(), [None, None], "read twice");
    let found = world.found(&run, &fault).await;
    let cancelled = "deletion_candidate: confirmed: its parent no longer lists it";
    assert_eq!(found, vec![cancelled; held.len()]);
}
