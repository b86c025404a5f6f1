//! What a worker's plugin calls cost and how often they trapped, added up a batch at a time: a
//! call takes about a microsecond, so the per-record path reads no clock and takes no lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the call-latency buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 12] =
    [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2, 1e-1, 1.0];

/// A histogram of the time plugin calls took. A batch's calls are timed together and each is
/// counted at the batch's mean: the sum is exact, the buckets say where batches' means fell.
#[derive(Debug, Default)]
pub struct CallLatency {
    /// Calls per bucket, not cumulative; the last holds the calls above every bound.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    nanos: AtomicU64,
    calls: AtomicU64,
}

/// A histogram as the exposition format shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyTotals {
    /// Each bound with the calls at or below it.
    pub cumulative: Vec<(f64, u64)>,
    pub seconds: f64,
    pub calls: u64,
}

impl CallLatency {
    /// Adds `calls` calls that took `took` together.
    pub fn observe(&self, calls: u64, took: Duration) {
        if calls == 0 {
            return;
        }
        let mean = took.as_secs_f64() / calls as f64;
        let bucket = LATENCY_BUCKETS.iter().position(|bound| mean <= *bound);
        let bucket = bucket.unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[bucket].fetch_add(calls, Ordering::Relaxed);
        self.nanos.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
        self.calls.fetch_add(calls, Ordering::Relaxed);
    }

    /// The totals so far.
    pub fn totals(&self) -> LatencyTotals {
        let mut below = 0;
        let cumulative = LATENCY_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(bound, calls)| {
                below += calls.load(Ordering::Relaxed);
                (*bound, below)
            })
            .collect();
        LatencyTotals {
            cumulative,
            seconds: self.nanos.load(Ordering::Relaxed) as f64 / 1e9,
            calls: self.calls.load(Ordering::Relaxed),
        }
    }
}

/// Where one worker adds up its calls: the latency of the plugin's resource, shared by every
/// worker of it, and the traps of one customer's runs of it.
#[derive(Debug, Clone, Default)]
pub struct CallMeter {
    pub latency: Arc<CallLatency>,
    pub traps: Arc<AtomicU64>,
}

impl CallMeter {
    /// Adds a batch: `calls` calls that took `took` together, `traps` of them trapped.
    pub(super) fn record(&self, calls: u64, took: Duration, traps: u64) {
        self.latency.observe(calls, took);
        if traps > 0 {
            self.traps.fetch_add(traps, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_counts_each_call_at_its_mean_and_sums_exactly() {
        let latency = CallLatency::default();
        latency.observe(4, Duration::from_micros(8));
        latency.observe(1, Duration::from_secs(2));
        latency.observe(0, Duration::from_secs(9));
        let totals = latency.totals();
        assert_eq!(totals.calls, 5);
        assert!((totals.seconds - 2.000_008).abs() < 1e-9, "{totals:?}");
        let at = |bound: f64| totals.cumulative.iter().find(|(b, _)| *b == bound).map(|c| c.1);
        assert_eq!(at(1e-6), Some(0), "a mean of 2 µs is above 1 µs");
        assert_eq!(at(2.5e-6), Some(4), "and at or below 2.5 µs");
        assert_eq!(at(1.0), Some(4), "two seconds is above every bound");
    }
}
