//! The one way the service starts a run, scheduled or asked for through the API: a cap on runs
//! at once, one run of a customer's task at a time, and a stop that starts nothing new and
//! interrupts the runs that outlive its grace period.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

use crate::engine::Interrupt;

/// Why the gate did not accept a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The same task of the same customer is accepted and has not ended.
    Busy,
    /// The service is stopping.
    Stopping,
}

/// Admits runs under the cap and tracks each until it ends, so a stop can wait for them.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<Inner>,
}

struct Inner {
    places: Semaphore,
    /// Customer and task of every run accepted and not ended, waiting for a place or going.
    accepted: Mutex<HashSet<(String, String)>>,
    /// How many runs are accepted and not ended.
    runs: watch::Sender<usize>,
    stopping: watch::Sender<bool>,
    interrupt: watch::Sender<bool>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate").field("runs", &*self.inner.runs.borrow()).finish_non_exhaustive()
    }
}

impl Gate {
    /// A gate letting `cap` runs go at once (at least one).
    pub fn new(cap: usize) -> Gate {
        Gate {
            inner: Arc::new(Inner {
                places: Semaphore::new(cap.max(1)),
                accepted: Mutex::new(HashSet::new()),
                runs: watch::Sender::new(0),
                stopping: watch::Sender::new(false),
                interrupt: watch::Sender::new(false),
            }),
        }
    }

    /// Accepts a run of `customer`'s `task` and starts `run` in the background once a place
    /// under the cap is free, handing it the interrupt a stop fires. A run still waiting for a
    /// place when the service stops never starts.
    pub fn start<F, R>(&self, customer: &str, task: &str, run: F) -> Result<(), Refused>
    where
        F: FnOnce(Interrupt) -> R + Send + 'static,
        R: Future<Output = ()> + Send + 'static,
    {
        let inner = &self.inner;
        if *inner.stopping.borrow() {
            return Err(Refused::Stopping);
        }
        let key = (customer.to_owned(), task.to_owned());
        if !inner.accepted.lock().expect("the gate lock").insert(key.clone()) {
            return Err(Refused::Busy);
        }
        inner.runs.send_modify(|runs| *runs += 1);
        let ticket = Ticket { inner: Arc::clone(inner), key };
        let interrupt = Interrupt::on(inner.interrupt.subscribe());
        let mut stopping = inner.stopping.subscribe();
        // The ticket lives as long as the task, so the gate forgets the run however it ends.
        tokio::spawn(async move {
            let place = tokio::select! {
                biased;
                _ = stopping.wait_for(|stopping| *stopping) => None,
                place = ticket.inner.places.acquire() => place.ok(),
            };
            match place {
                Some(_place) => run(interrupt).await,
                None => {
                    let (customer, task) = &ticket.key;
                    tracing::info!(customer, task, "run not started: the service is stopping");
                }
            }
        });
        Ok(())
    }

    /// How many runs are accepted and have not ended.
    pub fn runs(&self) -> usize {
        *self.inner.runs.borrow()
    }

    /// Waits until every run accepted so far has ended, queued ones included.
    pub async fn idle(&self) {
        let mut runs = self.inner.runs.subscribe();
        // The sender lives in `inner`, which this gate holds: waiting cannot fail.
        let _ = runs.wait_for(|runs| *runs == 0).await;
    }

    /// Stops: no run is accepted any more, runs waiting for a place never start, runs going
    /// get `grace` to end and are then interrupted. Returns once every run has ended.
    pub async fn stop(&self, grace: Duration) {
        let inner = &self.inner;
        inner.stopping.send_replace(true);
        let mut runs = inner.runs.subscribe();
        let ended = |runs: &usize| *runs == 0;
        if tokio::time::timeout(grace, runs.wait_for(ended)).await.is_ok() {
            return;
        }
        let going = *runs.borrow();
        tracing::warn!(runs = going, grace_secs = grace.as_secs(), "interrupting runs");
        inner.interrupt.send_replace(true);
        // The sender lives in `inner`, which this gate holds: waiting cannot fail.
        let _ = runs.wait_for(ended).await;
    }
}

/// One accepted run; the gate forgets it when it is dropped, however the run ended.
struct Ticket {
    inner: Arc<Inner>,
    key: (String, String),
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.inner.accepted.lock().expect("the gate lock").remove(&self.key);
        self.inner.runs.send_modify(|runs| *runs -= 1);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::time::{Instant, sleep};

    use super::*;

    /// How the runs a test starts went: started, finished, interrupted (with when).
    #[derive(Default)]
    struct Seen {
        started: AtomicUsize,
        finished: AtomicUsize,
        interrupted: Mutex<Vec<Instant>>,
    }

    /// Starts a run of `task` that takes `takes` unless interrupted first.
    fn start(gate: &Gate, seen: &Arc<Seen>, task: &str, takes: u64) -> Result<(), Refused> {
        let seen = Arc::clone(seen);
        gate.start("acme", task, move |interrupt| async move {
            seen.started.fetch_add(1, Ordering::SeqCst);
            match interrupt.guard(sleep(Duration::from_secs(takes))).await {
                Some(()) => {
                    seen.finished.fetch_add(1, Ordering::SeqCst);
                }
                None => seen.interrupted.lock().expect("lock").push(Instant::now()),
            }
        })
    }

    #[tokio::test(start_paused = true)]
    async fn the_same_task_of_a_customer_is_refused_until_its_run_ends() {
        let (gate, seen) = (Gate::new(4), Arc::new(Seen::default()));
        start(&gate, &seen, "users_full", 60).expect("accepted");
        assert_eq!(start(&gate, &seen, "users_full", 60), Err(Refused::Busy));
        start(&gate, &seen, "users_audit", 60).expect("another task goes alongside");
        sleep(Duration::from_secs(61)).await;
        start(&gate, &seen, "users_full", 60).expect("accepted again once ended");
        sleep(Duration::from_secs(1)).await;
        gate.stop(Duration::from_secs(3600)).await;
        assert_eq!(seen.finished.load(Ordering::SeqCst), 3);
        assert_eq!(start(&gate, &seen, "users_full", 60), Err(Refused::Stopping));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_waits_for_every_run_accepted_queued_ones_too() {
        let (gate, seen) = (Gate::new(1), Arc::new(Seen::default()));
        for (task, takes) in [("users_full", 60), ("groups_full", 30)] {
            start(&gate, &seen, task, takes).expect("accepted");
        }
        let started = Instant::now();
        gate.idle().await;
        assert_eq!(seen.finished.load(Ordering::SeqCst), 2);
        assert_eq!(started.elapsed(), Duration::from_secs(90), "one after the other, one place");
        start(&gate, &seen, "users_full", 60).expect("the gate still accepts runs");
    }

    #[tokio::test(start_paused = true)]
    async fn runs_waiting_for_a_place_never_start_once_stopped() {
        let (gate, seen) = (Gate::new(1), Arc::new(Seen::default()));
        for task in ["users_full", "groups_full", "forms_full"] {
            start(&gate, &seen, task, 600).expect("accepted");
        }
        sleep(Duration::from_secs(60)).await;
        assert_eq!(seen.started.load(Ordering::SeqCst), 1, "one place");
        gate.stop(Duration::from_secs(3600)).await;
        assert_eq!(seen.started.load(Ordering::SeqCst), 1, "the queued two never started");
        assert_eq!(seen.finished.load(Ordering::SeqCst), 1, "the one going finished");
        assert_eq!(gate.runs(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn runs_outliving_the_grace_period_are_interrupted_and_stop_waits_for_them() {
        let (gate, seen) = (Gate::new(4), Arc::new(Seen::default()));
        start(&gate, &seen, "users_full", 10).expect("accepted");
        start(&gate, &seen, "groups_full", 3600).expect("accepted");
        sleep(Duration::from_secs(1)).await;
        let stopped_at = Instant::now();
        gate.stop(Duration::from_secs(30)).await;
        assert_eq!(seen.finished.load(Ordering::SeqCst), 1, "the short run ended in time");
        let interrupted = seen.interrupted.lock().expect("lock").clone();
        assert_eq!(interrupted, [stopped_at + Duration::from_secs(30)], "at the grace's end");
        assert_eq!(gate.runs(), 0);
    }
}
