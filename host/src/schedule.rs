//! When each customer's tasks run: cron cadences in UTC, each customer at a stable offset inside
//! the stagger window; each due run goes through the service's [`Gate`], which holds the cap on
//! runs at once and stops them cleanly.
//!
//! Time comes from tokio's clock, so the scheduler's tests run on a paused clock: a day of
//! cadences passes in milliseconds.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

use crate::config::Config;
use crate::engine::{Interrupt, Pass, Task};
use crate::gate::{Gate, Refused};

/// One run the scheduler starts: a customer's task, for the slot it was due at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub customer: String,
    pub task: Task,
    /// When the slot was due, the customer's offset included.
    pub at: DateTime<Utc>,
}

/// One customer's cadence for one task.
#[derive(Debug, Clone)]
pub struct Cadence {
    pub customer: String,
    pub task: Task,
    pub schedule: cron::Schedule,
    /// Which layer chose it: `configured`, `policy tier N` or `plugin default`.
    pub layer: String,
    /// The customer's place inside the stagger window.
    offset: Duration,
}

/// What the cadence policy knows of a customer: partner state's users, and how many of them
/// changed in the last day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    pub users: u64,
    pub changes_a_day: u64,
}

impl Cadence {
    /// The first slot strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.after(&(after - self.offset)).next().map(|at| at + self.offset)
    }
}

/// Runs each due slot, until its end or until `interrupt` fires; the gate awaits it to know when
/// its place is free again.
pub trait Launch: Clone + Send + Sync + 'static {
    fn launch(&self, slot: Slot, interrupt: Interrupt) -> impl Future<Output = ()> + Send;
}

/// Each customer's offset inside a window of `minutes`: customers are ranked by a digest of
/// their id and spread evenly, so offsets stay the same while the fleet does, and no two
/// customers share a minute while there are no more customers than minutes.
pub fn offsets<'a>(
    customers: impl IntoIterator<Item = &'a str>,
    minutes: u32,
) -> HashMap<String, Duration> {
    let mut ranked: Vec<(blake3::Hash, &str)> =
        customers.into_iter().map(|id| (blake3::hash(id.as_bytes()), id)).collect();
    ranked.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let count = ranked.len().max(1) as i64;
    let window = i64::from(minutes) * 60;
    let spread = |rank: usize| {
        let seconds = window * rank as i64 / count;
        // Whole minutes when the window has a minute for each customer.
        if count <= i64::from(minutes) { seconds - seconds % 60 } else { seconds }
    };
    ranked
        .iter()
        .enumerate()
        .map(|(rank, (_, id))| ((*id).to_owned(), Duration::seconds(spread(rank))))
        .collect()
}

/// Every customer's cadences. For each task a plugin suggests (`defaults`, as `(task, cron)`),
/// the customer's own `cadences` win; else the first policy tier its `sizes` match, for the
/// incremental and full tasks of the resources the tier names (one it leaves out does not run);
/// else the plugin's default. A cron expression that does not parse names customer and task.
pub fn cadences(
    config: &Config,
    defaults: &[(Task, String)],
    sizes: &HashMap<String, Size>,
) -> Result<Vec<Cadence>, String> {
    let offsets =
        offsets(config.customers.iter().map(|c| c.id.as_str()), config.schedule.stagger_minutes);
    let mut cadences = Vec::new();
    for customer in &config.customers {
        let size = sizes.get(&customer.id).copied().unwrap_or_default();
        let policy = &config.schedule.policy;
        let tier = policy.iter().position(|tier| tier.matches(size.users, size.changes_a_day));
        for (task, default) in defaults {
            let name = task.to_string();
            let governed = |index: usize| {
                let named = policy[index].cadences.keys();
                let resource =
                    |key: &String| key.parse::<Task>().is_ok_and(|t| t.resource == task.resource);
                task.pass != Pass::Audit && named.into_iter().any(resource)
            };
            let (chosen, layer) = match (customer.cadences.get(&name), tier) {
                (Some(configured), _) => (configured, "configured".to_owned()),
                (None, Some(index)) if governed(index) => match policy[index].cadences.get(&name) {
                    Some(tiered) => (tiered, format!("policy tier {}", index + 1)),
                    None => continue,
                },
                _ => (default, "plugin default".to_owned()),
            };
            let schedule = cron::Schedule::from_str(chosen).map_err(|e| {
                format!(
                    "customer `{}`: cadence `{chosen}` of `{task}` does not parse: {e}",
                    customer.id
                )
            })?;
            let offset = offsets.get(&customer.id).copied().unwrap_or_default();
            let customer = customer.id.clone();
            cadences.push(Cadence { customer, task: task.clone(), schedule, layer, offset });
        }
    }
    Ok(cadences)
}

/// UTC time read from tokio's clock, which tests pause and advance.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    started: tokio::time::Instant,
    at: DateTime<Utc>,
}

impl Clock {
    /// A clock that reads `at` now.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Clock { started: tokio::time::Instant::now(), at }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let passed = tokio::time::Instant::now() - self.started;
        self.at + Duration::from_std(passed).unwrap_or_default()
    }

    /// The tokio instant at which this clock reads `at`.
    fn instant(&self, at: DateTime<Utc>) -> tokio::time::Instant {
        let ahead = (at - self.at).to_std().unwrap_or_default();
        self.started + ahead
    }
}

/// Hands runs to the gate as they fall due, until told to stop.
#[derive(Debug)]
pub struct Scheduler {
    pub cadences: Vec<Cadence>,
    pub gate: Gate,
    pub clock: Clock,
}

impl Scheduler {
    /// Runs until `stop` turns true or the gate stops. A slot that falls due while the same
    /// customer's previous run of the task is still accepted is skipped: one run of a task per
    /// customer at a time. Stopping the runs themselves is the gate's ([`Gate::stop`]).
    pub async fn run<L: Launch>(&self, launcher: L, mut stop: watch::Receiver<bool>) {
        let mut due = BinaryHeap::new();
        let now = self.clock.now();
        for (index, cadence) in self.cadences.iter().enumerate() {
            if let Some(at) = cadence.next_after(now) {
                due.push(Reverse((at, index)));
            }
        }
        while let Some(Reverse((at, index))) = due.pop() {
            tokio::select! {
                () = tokio::time::sleep_until(self.clock.instant(at)) => {}
                _ = stop.wait_for(|stopped| *stopped) => break,
            }
            let cadence = &self.cadences[index];
            if let Some(next) = cadence.next_after(at) {
                due.push(Reverse((next, index)));
            }
            let slot = Slot { customer: cadence.customer.clone(), task: cadence.task.clone(), at };
            let launcher = launcher.clone();
            let launch = move |interrupt| async move { launcher.launch(slot, interrupt).await };
            match self.gate.start(&cadence.customer, &cadence.task.to_string(), launch) {
                Ok(()) => {}
                Err(Refused::Busy) => {
                    tracing::warn!(customer = %cadence.customer, task = %cadence.task, %at,
                        "slot skipped: the previous run is still going");
                }
                Err(Refused::Stopping) => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use chrono::{TimeZone, Timelike};

    use super::*;

    /// Each slot launched, with when it started.
    type Started = Arc<Mutex<Vec<(Slot, DateTime<Utc>)>>>;

    /// Records what was launched and when, holding each run for `takes` unless interrupted,
    /// and when each interrupted run was.
    #[derive(Clone, Default)]
    struct Recorder {
        started: Started,
        interrupted: Arc<Mutex<Vec<DateTime<Utc>>>>,
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
        takes: std::time::Duration,
        clock: Option<Clock>,
    }

    impl Launch for Recorder {
        async fn launch(&self, slot: Slot, interrupt: Interrupt) {
            let clock = self.clock.expect("a clock");
            self.started.lock().expect("lock").push((slot, clock.now()));
            let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(running, Ordering::SeqCst);
            if interrupt.guard(tokio::time::sleep(self.takes)).await.is_none() {
                self.interrupted.lock().expect("lock").push(clock.now());
            }
            self.running.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn monday() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).single().expect("instant")
    }

    fn fleet(count: usize, cron: &str, stagger_minutes: u32) -> Vec<Cadence> {
        let names: Vec<String> = (0..count).map(|i| format!("customer-{i}")).collect();
        let offsets = offsets(names.iter().map(String::as_str), stagger_minutes);
        let schedule = cron::Schedule::from_str(cron).expect("cron");
        let cadence = |name: &String| Cadence {
            customer: name.clone(),
            task: Task::new("users", Pass::Full),
            schedule: schedule.clone(),
            layer: "configured".to_owned(),
            offset: offsets[name],
        };
        names.iter().map(cadence).collect()
    }

    /// Runs `cadences` for `hours` of paused time, then stops the gate with an hour's grace,
    /// and returns what was started.
    async fn run_for(cadences: Vec<Cadence>, cap: usize, takes_secs: u64, hours: u64) -> Recorder {
        run_then_stop(cadences, cap, takes_secs, hours * 3600, 3600).await
    }

    /// Runs `cadences` for `secs` of paused time, then stops the gate with `grace_secs` of grace.
    async fn run_then_stop(
        cadences: Vec<Cadence>,
        cap: usize,
        takes_secs: u64,
        secs: u64,
        grace_secs: u64,
    ) -> Recorder {
        let clock = Clock::starting_at(monday());
        let recorder = Recorder {
            takes: std::time::Duration::from_secs(takes_secs),
            clock: Some(clock),
            ..Recorder::default()
        };
        let scheduler = Scheduler { cadences, gate: Gate::new(cap), clock };
        let (stop, stopped) = watch::channel(false);
        let stopping = async {
            tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
            stop.send(true).expect("the scheduler listens");
        };
        tokio::join!(scheduler.run(recorder.clone(), stopped), stopping);
        scheduler.gate.stop(std::time::Duration::from_secs(grace_secs)).await;
        recorder
    }

    #[tokio::test(start_paused = true)]
    async fn a_cadence_runs_at_each_slot_shifted_by_the_customers_offset() {
        let cadences = fleet(1, "0 0 */6 * * *", 60);
        let offset = cadences[0].offset;
        let recorder = run_for(cadences, 2, 60, 23).await;
        let started = recorder.started.lock().expect("lock");
        let hours: Vec<u32> = started.iter().map(|(slot, _)| (slot.at - offset).hour()).collect();
        assert_eq!(hours, [6, 12, 18], "midnight itself is the start, not a slot after it");
        for (slot, at) in started.iter() {
            assert_eq!(*at, slot.at, "started on time");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_two_customers_of_a_fleet_start_in_the_same_minute_when_the_window_allows() {
        let recorder = run_for(fleet(60, "0 0 3 * * *", 60), 60, 30, 24).await;
        let started = recorder.started.lock().expect("lock");
        assert_eq!(started.len(), 60);
        let mut minutes: Vec<_> =
            started.iter().map(|(_, at)| at.format("%H:%M").to_string()).collect();
        minutes.sort();
        minutes.dedup();
        assert_eq!(minutes.len(), 60, "{minutes:?}");
        assert!(minutes.iter().all(|m| m.starts_with("03:")), "inside the hour after 03:00");
        assert_eq!(offsets(["customer-7"], 60)["customer-7"], Duration::zero(), "stable, alone");
        let names: Vec<String> = (0..60).map(|i| format!("customer-{i}")).collect();
        let ids = || names.iter().map(String::as_str);
        assert_eq!(offsets(ids(), 60), offsets(ids().rev(), 60), "whatever the order");
    }

    #[test]
    fn a_customers_size_picks_its_tier_and_its_own_configuration_wins() {
        let text = "[vomo]\n[[customers]]\nid = \"big\"\ntoken_env = \"X\"\n\
                    [[customers]]\nid = \"mid\"\ntoken_env = \"X\"\n\
                    [[customers]]\nid = \"small\"\ntoken_env = \"X\"\n\
                    cadences.users_incremental = \"0 30 1 * * *\"\n";
        let config = Config::parse(text).expect("a configuration");
        let task = |pass| Task::new("users", pass);
        let defaults: Vec<(Task, String)> = [Pass::Incremental, Pass::Full, Pass::Audit]
            .into_iter()
            .map(|pass| (task(pass), "0 0 4 * * MON".to_owned()))
            .collect();
        let size = |users, changes_a_day| Size { users, changes_a_day };
        let sizes = HashMap::from([
            ("big".to_owned(), size(50, 900)),
            ("mid".to_owned(), size(5_000, 10)),
            ("small".to_owned(), size(200, 3)),
        ]);
        let cadences = cadences(&config, &defaults, &sizes).expect("cadences");
        let of = |customer: &str| -> Vec<String> {
            let mine = cadences.iter().filter(|c| c.customer == customer);
            mine.map(|c| format!("{} {} ({})", c.task, c.schedule, c.layer)).collect()
        };
        assert_eq!(
            of("big"),
            [
                "users_full 0 0 3 * * * (policy tier 1)",
                "users_audit 0 0 4 * * MON (plugin default)",
            ]
        );
        assert_eq!(
            of("mid"),
            [
                "users_incremental 0 0 2 * * * (policy tier 2)",
                "users_full 0 0 3 * * SUN (policy tier 2)",
                "users_audit 0 0 4 * * MON (plugin default)",
            ]
        );
        assert_eq!(
            of("small"),
            [
                "users_incremental 0 30 1 * * * (configured)",
                "users_full 0 0 3 * * SUN (policy tier 3)",
                "users_audit 0 0 4 * * MON (plugin default)",
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_runs_than_the_cap_go_at_once_and_each_still_runs() {
        let recorder = run_for(fleet(10, "0 0 3 * * *", 0), 3, 600, 24).await;
        assert_eq!(recorder.started.lock().expect("lock").len(), 10);
        assert_eq!(recorder.most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_due_while_its_last_run_goes_on_is_skipped_and_stopping_waits_for_runs() {
        // Every 10 minutes, each run taking 25: the slots at :10 and :20 are skipped.
        let recorder = run_for(fleet(1, "0 */10 * * * *", 0), 4, 25 * 60, 1).await;
        let started = recorder.started.lock().expect("lock");
        let minutes: Vec<u32> = started.iter().map(|(_, at)| at.minute()).collect();
        assert_eq!(minutes, [10, 40]);
        assert_eq!(recorder.running.load(Ordering::SeqCst), 0, "the run at :40 finished first");
    }

    #[tokio::test(start_paused = true)]
    async fn runs_waiting_for_a_place_when_the_service_stops_never_start() {
        // Three customers due at 03:00 with one place; the stop comes at 03:05.
        let recorder =
            run_then_stop(fleet(3, "0 0 3 * * *", 0), 1, 600, 3 * 3600 + 300, 3600).await;
        let started = recorder.started.lock().expect("lock");
        assert_eq!(started.len(), 1, "{started:?}");
        assert!(recorder.interrupted.lock().expect("lock").is_empty(), "it ended within grace");
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_outliving_the_grace_period_is_interrupted_at_its_end() {
        // A run from 03:00 taking an hour; the stop comes at 03:10 with 30 s of grace.
        let recorder = run_then_stop(fleet(1, "0 0 3 * * *", 0), 1, 3600, 3 * 3600 + 600, 30).await;
        let interrupted = recorder.interrupted.lock().expect("lock").clone();
        let at = monday() + Duration::seconds(3 * 3600 + 600 + 30);
        assert_eq!(interrupted, [at]);
        assert_eq!(recorder.running.load(Ordering::SeqCst), 0, "stopping waited for it");
    }
}
