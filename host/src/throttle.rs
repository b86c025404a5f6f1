//! The shared rate budget of each VOMO token, and the cap on customers served at once.
//!
//! A budget is a GCRA limiter with a burst of one: requests are spaced `1/rate` apart, so a
//! token limited to 3 a second never draws a 429 from a limiter that counts per second. Polling
//! has priority over reconciliation: a reconciliation request does not reserve a slot while a
//! polling request waits. A 429's `Retry-After` holds every request on the token until then.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Whose traffic a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Steady-state polling: served first.
    Polling,
    /// Reconciliation passes: served when no polling request waits.
    Reconciliation,
}

/// The request budget of one token, shared by everything that uses the token.
#[derive(Debug)]
pub struct RateBudget {
    /// Spacing between requests; none for an unlimited budget.
    interval: Option<Duration>,
    slots: Mutex<Slots>,
    polls_waiting: AtomicUsize,
    poll_reserved: Notify,
    waited_micros: AtomicU64,
}

#[derive(Debug)]
struct Slots {
    next_free: Instant,
    held_until: Instant,
}

impl RateBudget {
    /// A budget of `rate` requests a second.
    pub fn per_second(rate: f64) -> Self {
        assert!(rate > 0.0, "a rate budget needs a positive rate, got {rate}");
        Self::with_interval(Some(Duration::from_secs_f64(1.0 / rate)))
    }

    /// A budget that never waits, except for a `Retry-After`.
    pub fn unlimited() -> Self {
        Self::with_interval(None)
    }

    fn with_interval(interval: Option<Duration>) -> Self {
        let now = Instant::now();
        RateBudget {
            interval,
            slots: Mutex::new(Slots { next_free: now, held_until: now }),
            polls_waiting: AtomicUsize::new(0),
            poll_reserved: Notify::new(),
            waited_micros: AtomicU64::new(0),
        }
    }

    /// Waits for this request's slot and returns how long it waited.
    pub async fn acquire(&self, priority: Priority) -> Duration {
        let started = Instant::now();
        let _waiting = (priority == Priority::Polling).then(|| PollWaiting::new(self));
        loop {
            let slot = match priority {
                Priority::Polling => self.reserve(),
                Priority::Reconciliation => {
                    self.yield_to_polling().await;
                    // Reconciliation books only a slot that is free now, so it can never queue
                    // ahead of polling requests that arrive while it waits.
                    match self.reserve_if_free() {
                        Ok(slot) => slot,
                        Err(free_at) => {
                            tokio::time::sleep_until(free_at).await;
                            continue;
                        }
                    }
                }
            };
            // Tokio's timer rounds a deadline up to its next millisecond tick, so sleeping
            // until a slot that is already due would park the thread for up to a millisecond.
            if slot > Instant::now() {
                tokio::time::sleep_until(slot).await;
            }
            // A 429 that arrived while this request slept holds it too.
            if self.slots.lock().expect("budget lock").held_until <= Instant::now() {
                break;
            }
        }
        let waited = started.elapsed();
        self.waited_micros.fetch_add(waited.as_micros() as u64, Ordering::Relaxed);
        waited
    }

    /// Holds every request on the token until `until`, as a 429's `Retry-After` demands.
    pub fn hold_until(&self, until: Instant) {
        let mut slots = self.slots.lock().expect("budget lock");
        slots.held_until = slots.held_until.max(until);
    }

    /// Total time requests waited on this budget.
    pub fn waited(&self) -> Duration {
        Duration::from_micros(self.waited_micros.load(Ordering::Relaxed))
    }

    fn reserve(&self) -> Instant {
        let mut slots = self.slots.lock().expect("budget lock");
        let slot = Instant::now().max(slots.next_free).max(slots.held_until);
        if let Some(interval) = self.interval {
            slots.next_free = slot + interval;
        }
        slot
    }

    /// Books the slot if it is free now; otherwise says when it will be.
    fn reserve_if_free(&self) -> Result<Instant, Instant> {
        let mut slots = self.slots.lock().expect("budget lock");
        let now = Instant::now();
        let free_at = slots.next_free.max(slots.held_until);
        if free_at > now {
            return Err(free_at);
        }
        if let Some(interval) = self.interval {
            slots.next_free = now + interval;
        }
        Ok(now)
    }

    async fn yield_to_polling(&self) {
        loop {
            let reserved = self.poll_reserved.notified();
            if self.polls_waiting.load(Ordering::Acquire) == 0 {
                return;
            }
            // The timeout guards against a wake-up lost between the check and the wait.
            let recheck = self.interval.unwrap_or(Duration::from_millis(10));
            let _ = tokio::time::timeout(recheck, reserved).await;
        }
    }
}

/// Counts a polling request as waiting for as long as it lives.
struct PollWaiting<'a>(&'a RateBudget);

impl<'a> PollWaiting<'a> {
    fn new(budget: &'a RateBudget) -> Self {
        budget.polls_waiting.fetch_add(1, Ordering::AcqRel);
        PollWaiting(budget)
    }
}

impl Drop for PollWaiting<'_> {
    fn drop(&mut self) {
        self.0.polls_waiting.fetch_sub(1, Ordering::AcqRel);
        self.0.poll_reserved.notify_waiters();
    }
}

/// One budget per token, so every task using a token draws from the same budget.
#[derive(Debug, Default)]
pub struct Budgets {
    by_token: Mutex<HashMap<blake3::Hash, Arc<RateBudget>>>,
}

impl Budgets {
    /// The budget of `token`, made with `make` the first time the token is seen. Tokens are
    /// keyed by digest so they are not kept in memory longer than their users keep them.
    pub fn for_token(&self, token: &str, make: impl FnOnce() -> RateBudget) -> Arc<RateBudget> {
        let key = blake3::hash(token.as_bytes());
        let mut map = self.by_token.lock().expect("budgets lock");
        map.entry(key).or_insert_with(|| Arc::new(make())).clone()
    }
}

/// The global cap on customers served at once.
#[derive(Debug, Clone)]
pub struct CustomerCap(Arc<Semaphore>);

impl CustomerCap {
    pub fn new(customers: usize) -> Self {
        CustomerCap(Arc::new(Semaphore::new(customers.max(1))))
    }

    /// Waits for a free place; the place is held until the permit is dropped.
    pub async fn enter(&self) -> OwnedSemaphorePermit {
        self.0.clone().acquire_owned().await.expect("the customer cap is never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_by_the_rate() {
        let budget = RateBudget::per_second(3.0);
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..4 {
            budget.acquire(Priority::Polling).await;
            at.push(start.elapsed().as_millis());
        }
        // The paused clock advances in whole milliseconds, so each gap is 333 or 334.
        assert_eq!(at[0], 0);
        for gap in at.windows(2).map(|w| w[1] - w[0]) {
            assert!((333..=334).contains(&gap), "{at:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_every_request() {
        let budget = RateBudget::per_second(3.0);
        budget.acquire(Priority::Polling).await;
        let start = Instant::now();
        budget.hold_until(start + Duration::from_secs(5));
        budget.acquire(Priority::Reconciliation).await;
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hold_arriving_during_a_wait_is_respected() {
        let budget = Arc::new(RateBudget::per_second(1.0));
        budget.acquire(Priority::Polling).await;
        let start = Instant::now();
        let waiter = tokio::spawn({
            let budget = budget.clone();
            async move { budget.acquire(Priority::Polling).await }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        budget.hold_until(start + Duration::from_secs(4));
        waiter.await.expect("the waiter finishes");
        assert!(start.elapsed() >= Duration::from_secs(4), "{:?}", start.elapsed());
    }

    /// Starts a request that records its name in `order` once it got its slot.
    fn spawn_recorded(
        budget: &Arc<RateBudget>,
        order: &Arc<Mutex<Vec<&'static str>>>,
        priority: Priority,
        name: &'static str,
    ) -> tokio::task::JoinHandle<()> {
        let (budget, order) = (budget.clone(), order.clone());
        tokio::spawn(async move {
            budget.acquire(priority).await;
            order.lock().expect("order").push(name);
        })
    }

    #[tokio::test(start_paused = true)]
    async fn polling_goes_before_waiting_reconciliation() {
        let budget = Arc::new(RateBudget::per_second(1.0));
        budget.acquire(Priority::Polling).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let spawn = |priority, name| spawn_recorded(&budget, &order, priority, name);
        let polls: Vec<_> = (0..3).map(|_| spawn(Priority::Polling, "poll")).collect();
        tokio::task::yield_now().await;
        let reconcile = spawn(Priority::Reconciliation, "reconcile");
        for task in polls {
            task.await.expect("poll");
        }
        reconcile.await.expect("reconcile");
        assert_eq!(*order.lock().expect("order"), ["poll", "poll", "poll", "reconcile"]);
    }

    #[tokio::test(start_paused = true)]
    async fn reconciliation_never_books_ahead_of_later_polling() {
        let budget = Arc::new(RateBudget::per_second(1.0));
        let order = Arc::new(Mutex::new(Vec::new()));
        let spawn = |priority, name| spawn_recorded(&budget, &order, priority, name);
        let reconciling: Vec<_> = (0..5).map(|_| spawn(Priority::Reconciliation, "r")).collect();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let poll = spawn(Priority::Polling, "poll");
        poll.await.expect("poll");
        for task in reconciling {
            task.await.expect("reconcile");
        }
        let order = order.lock().expect("order");
        let position = order.iter().position(|n| *n == "poll").expect("the poll ran");
        assert!(position <= 2, "the poll waited behind {position} bookings: {order:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_budget_does_not_wait() {
        let budget = RateBudget::unlimited();
        let start = Instant::now();
        for _ in 0..100 {
            budget.acquire(Priority::Reconciliation).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_due_slot_is_granted_without_yielding_to_the_timer() {
        let budget = RateBudget::per_second(1_000_000.0);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for priority in [Priority::Polling, Priority::Reconciliation] {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let mut acquire = std::pin::pin!(budget.acquire(priority));
            let polled = acquire.as_mut().poll(&mut context);
            assert!(polled.is_ready(), "{priority:?} waited for a timer tick");
        }
    }

    #[test]
    fn one_budget_per_token() {
        let budgets = Budgets::default();
        let a = budgets.for_token("t1", || RateBudget::per_second(3.0));
        let b = budgets.for_token("t1", RateBudget::unlimited);
        let c = budgets.for_token("t2", RateBudget::unlimited);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[tokio::test(start_paused = true)]
    async fn the_customer_cap_admits_that_many() {
        let cap = CustomerCap::new(2);
        let _a = cap.enter().await;
        let _b = cap.enter().await;
        let third = tokio::time::timeout(Duration::from_secs(1), cap.enter()).await;
        assert!(third.is_err(), "a third customer waits");
    }
}
