//! A per-token rate limiter (GCRA, a token bucket without a refill task).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// The outcome of asking for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Served; `remaining` more requests would pass right now.
    Allow { remaining: u32 },
    /// Refused; the caller may retry after `retry_after` whole seconds.
    Deny { retry_after: u64 },
}

/// Theoretical arrival times per caller, under a replaceable limit.
#[derive(Debug)]
pub struct RateLimiter {
    inner: Mutex<LimiterState>,
}

#[derive(Debug)]
struct LimiterState {
    limit: Option<RateLimit>,
    next_free: HashMap<u32, Instant>,
}

impl RateLimiter {
    pub fn new(limit: Option<RateLimit>) -> Self {
        let state = LimiterState { limit, next_free: HashMap::new() };
        Self { inner: Mutex::new(state) }
    }

    /// The limit in force, if any.
    pub fn limit(&self) -> Option<RateLimit> {
        self.lock().limit
    }

    /// Replaces the limit and forgets every caller's history.
    pub fn set_limit(&self, limit: Option<RateLimit>) {
        let mut state = self.lock();
        state.limit = limit;
        state.next_free.clear();
    }

    /// Decides whether `caller` may make one request at `now`.
    pub fn check(&self, caller: u32, now: Instant) -> Decision {
        let mut state = self.lock();
        let Some(limit) = state.limit else {
            return Decision::Allow { remaining: u32::MAX };
        };
        let interval = limit.interval();
        let tolerance = interval * limit.burst.saturating_sub(1);

        // A request conforms when the caller's theoretical arrival time is no further ahead
        // of now than the burst tolerance; refusals leave the schedule untouched.
        let tat = state.next_free.get(&caller).copied().unwrap_or(now).max(now);
        let ahead = tat - now;
        if ahead > tolerance {
            let wait = ahead - tolerance;
            return Decision::Deny { retry_after: whole_seconds(wait) };
        }
        state.next_free.insert(caller, tat + interval);
        let room = tolerance.saturating_sub(ahead).as_secs_f64() / interval.as_secs_f64();
        Decision::Allow { remaining: room as u32 }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Rounds a wait up to whole seconds, at least one, so obeying `Retry-After` always suffices.
fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter::new(Some(RateLimit { per_second: 3.0, burst: 3 }))
    }

    #[test]
    fn evenly_spaced_requests_are_never_refused() {
        let limiter = limiter();
        let start = Instant::now();
        for n in 0..300 {
            let at = start + Duration::from_secs_f64(n as f64 / 3.0);
            assert!(matches!(limiter.check(1, at), Decision::Allow { .. }), "request {n}");
        }
    }

    #[test]
    fn a_burst_past_the_limit_is_refused_and_retry_after_is_enough() {
        let limiter = limiter();
        let now = Instant::now();
        for _ in 0..3 {
            assert!(matches!(limiter.check(1, now), Decision::Allow { .. }));
        }
        let Decision::Deny { retry_after } = limiter.check(1, now) else {
            panic!("fourth request in the same instant must be refused");
        };
        assert_eq!(retry_after, 1);
        let later = now + Duration::from_secs(retry_after);
        assert!(matches!(limiter.check(1, later), Decision::Allow { .. }));
        assert!(matches!(limiter.check(2, now), Decision::Allow { .. }));
    }

    #[test]
    fn no_limit_allows_everything() {
        let limiter = RateLimiter::new(None);
        let now = Instant::now();
        assert!((0..1000).all(|_| matches!(limiter.check(1, now), Decision::Allow { .. })));
    }
}
