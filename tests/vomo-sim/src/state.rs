//! The shared state of one running simulator, owned jointly by its servers and control handle.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::SimClock;
use crate::config::SimConfig;
use crate::faults::FaultBook;
use crate::listing::ListCache;
use crate::rate_limit::RateLimiter;
use crate::render::Ctx;
use crate::request_log::RequestLog;
use crate::store::Store;

/// Store, clock, limiter, faults and traffic log of one simulator.
#[derive(Debug)]
pub struct SimState {
    pub config: SimConfig,
    pub clock: SimClock,
    pub lists: ListCache,
    pub limiter: RateLimiter,
    pub faults: FaultBook,
    pub log: RequestLog,
    /// Absolute base of the customer API, ending in `/v1`.
    pub base_url: String,
    store: RwLock<Store>,
}

impl SimState {
    pub fn new(config: SimConfig, store: Store, base_url: String) -> Self {
        Self {
            clock: SimClock::new(config.start_time, config.frozen_clock),
            lists: ListCache::default(),
            limiter: RateLimiter::new(config.rate_limit),
            faults: FaultBook::default(),
            log: RequestLog::new(config.request_log_capacity),
            base_url,
            store: RwLock::new(store),
            config,
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A render context over `store` at the current simulator time.
    pub fn ctx<'a>(&self, store: &'a Store) -> Ctx<'a> {
        Ctx { store, quirks: self.config.quirks, now: self.clock.now_secs() }
    }
}
