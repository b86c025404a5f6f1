//! Counters per customer and a bounded log of recent requests, for tests to assert on.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Request counts of one customer's token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenStats {
    /// Requests that carried this customer's token.
    pub requests: u64,
    /// Requests answered without a 429.
    pub served: u64,
    /// 429 answers, from the limiter or an injected burst.
    pub throttled: u64,
}

/// One request as the simulator saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The customer whose token was used; `None` for unauthenticated requests.
    pub customer: Option<u32>,
    pub method: String,
    /// Path below the base URL, e.g. `/users`.
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    /// Wall-clock time the request arrived.
    pub at: DateTime<Utc>,
    /// Simulator-clock time the request arrived.
    pub sim_at: DateTime<Utc>,
    /// The injected fault that shaped the answer, if any.
    pub fault: Option<String>,
}

/// Everything the control interface can tell about traffic.
#[derive(Debug)]
pub struct RequestLog {
    inner: Mutex<LogState>,
}

#[derive(Debug, Default)]
struct LogState {
    stats: BTreeMap<u32, TokenStats>,
    unauthenticated: u64,
    recent: VecDeque<RequestRecord>,
    capacity: usize,
}

impl RequestLog {
    /// A log keeping the last `capacity` requests (0 keeps counters only).
    pub fn new(capacity: usize) -> Self {
        let state = LogState { capacity, ..LogState::default() };
        Self { inner: Mutex::new(state) }
    }

    /// Counts and remembers one answered request.
    pub fn record(&self, record: RequestRecord) {
        let mut state = self.lock();
        match record.customer {
            Some(customer) => {
                let stats = state.stats.entry(customer).or_default();
                stats.requests += 1;
                if record.status == 429 {
                    stats.throttled += 1;
                } else {
                    stats.served += 1;
                }
            }
            None => state.unauthenticated += 1,
        }
        if state.capacity == 0 {
            return;
        }
        if state.recent.len() >= state.capacity {
            state.recent.pop_front();
        }
        state.recent.push_back(record);
    }

    /// The counters of `customer`.
    pub fn stats(&self, customer: u32) -> TokenStats {
        self.lock().stats.get(&customer).copied().unwrap_or_default()
    }

    /// The counters of every customer that made a request.
    pub fn all_stats(&self) -> BTreeMap<u32, TokenStats> {
        self.lock().stats.clone()
    }

    /// Requests without a valid token.
    pub fn unauthenticated(&self) -> u64 {
        self.lock().unauthenticated
    }

    /// The remembered requests, oldest first.
    pub fn recent(&self) -> Vec<RequestRecord> {
        self.lock().recent.iter().cloned().collect()
    }

    /// Forgets all counters and records.
    pub fn reset(&self) {
        let mut state = self.lock();
        state.stats.clear();
        state.unauthenticated = 0;
        state.recent.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
