//! The simulator clock: settable and advanceable, so tests control every `updated_at`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A clock that either stands still or ticks from a settable instant.
#[derive(Debug)]
pub struct SimClock {
    inner: Mutex<ClockState>,
}

#[derive(Debug)]
struct ClockState {
    at: DateTime<Utc>,
    since: Instant,
    frozen: bool,
}

impl SimClock {
    /// A clock reading `start`, frozen or ticking with real time.
    pub fn new(start: DateTime<Utc>, frozen: bool) -> Self {
        let state = ClockState { at: start, since: Instant::now(), frozen };
        Self { inner: Mutex::new(state) }
    }

    /// The current simulated instant.
    pub fn now(&self) -> DateTime<Utc> {
        let state = self.lock();
        if state.frozen {
            return state.at;
        }
        let elapsed = chrono::Duration::from_std(state.since.elapsed()).unwrap_or_default();
        state.at + elapsed
    }

    /// The current simulated instant in whole seconds since the epoch.
    pub fn now_secs(&self) -> i64 {
        self.now().timestamp()
    }

    /// Jumps the clock to `at`; a ticking clock keeps ticking from there.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut state = self.lock();
        state.at = at;
        state.since = Instant::now();
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let now = self.now();
        let by = chrono::Duration::from_std(by).unwrap_or_default();
        self.set(now + by);
    }

    /// Stops or restarts the clock at its current reading.
    pub fn set_frozen(&self, frozen: bool) {
        let now = self.now();
        let mut state = self.lock();
        state.at = now;
        state.since = Instant::now();
        state.frozen = frozen;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
