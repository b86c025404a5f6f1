//! When to try a failed request again: full-jitter exponential backoff within a retry budget.

use std::time::Duration;

/// How transient failures (connection errors, timeouts, 5xx) are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The backoff ceiling of the first retry; it doubles each retry.
    pub base_delay: Duration,
    /// The most any one backoff may be.
    pub max_delay: Duration,
    /// Retries one client may spend in all, so a failing API cannot keep a run busy forever.
    pub budget: u32,
    /// 429 answers one request may receive before the client gives up on it.
    pub max_rate_limited: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            budget: 200,
            max_rate_limited: 100,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first): uniformly random up to a ceiling
    /// that doubles each time, so clients that failed together do not retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1 << retry.saturating_sub(1).min(20));
        ceiling.min(self.max_delay).mul_f64(rand::random::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_a_doubling_ceiling() {
        let policy = RetryPolicy::default();
        for retry in 1..=10 {
            let ceiling = (policy.base_delay * (1 << (retry - 1))).min(policy.max_delay);
            for _ in 0..50 {
                assert!(policy.backoff(retry) <= ceiling);
            }
        }
    }
}
