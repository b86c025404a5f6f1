//! Settings for one simulator: data size, seed, rate limit, quirks and response choices.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Everything that shapes one simulator instance.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seed of the data generator; the same seed yields the same data and tokens.
    pub seed: u64,
    /// How much data to generate.
    pub size: DataSize,
    /// Per-token rate limit; `None` turns limiting off (benchmarks).
    pub rate_limit: Option<RateLimit>,
    /// The documented v1 quirks (string ids, 0/1 booleans, string hours, mixed timestamps).
    pub quirks: bool,
    /// The simulator clock's start; generated data lies before it.
    pub start_time: DateTime<Utc>,
    /// Whether the simulator clock stands still until a test moves it.
    pub frozen_clock: bool,
    /// Status of a successful `DELETE /groups/{id}`.
    pub group_delete: GroupDeleteStatus,
    /// Port of the customer API; 0 picks an ephemeral one.
    pub port: u16,
    /// Port of the control interface; 0 picks an ephemeral one.
    pub control_port: u16,
    /// How many recent requests the request log keeps.
    pub request_log_capacity: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            size: DataSize::small(),
            rate_limit: Some(RateLimit::default()),
            quirks: true,
            start_time: default_start_time(),
            frozen_clock: true,
            group_delete: GroupDeleteStatus::NoContent,
            port: 0,
            control_port: 0,
            request_log_capacity: 10_000,
        }
    }
}

/// The fixed instant the clock starts at unless configured: `2025-11-05T10:00:00+00:00`.
pub fn default_start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 5, 10, 0, 0).single().unwrap_or(DateTime::UNIX_EPOCH)
}

/// How many records of each kind the generator makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSize {
    /// Top-level organisations, each a customer with its own token.
    pub customers: u32,
    /// Child organisations under each top-level one (also customers with tokens).
    pub children_per_customer: u32,
    /// Users across all organisations.
    pub users: u32,
    pub projects_per_org: u32,
    pub dates_per_project: u32,
    pub participants_per_date: u32,
    pub groups_per_org: u32,
    pub members_per_group: u32,
    pub forms_per_org: u32,
    pub completions_per_form: u32,
    pub campaigns_per_org: u32,
    pub certificates_per_org: u32,
}

impl DataSize {
    /// A data set small enough to read by eye: a few hundred users over six organisations.
    pub fn small() -> Self {
        Self {
            customers: 3,
            children_per_customer: 1,
            users: 300,
            projects_per_org: 4,
            dates_per_project: 3,
            participants_per_date: 4,
            groups_per_org: 3,
            members_per_group: 5,
            forms_per_org: 2,
            completions_per_form: 12,
            campaigns_per_org: 2,
            certificates_per_org: 2,
        }
    }

    /// A small data set scaled to `users` users, with the other counts kept modest.
    pub fn with_users(users: u32) -> Self {
        Self { users, ..Self::small() }
    }
}

/// A token bucket per token: `per_second` sustained, `burst` requests back to back.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { per_second: 3.0, burst: 3 }
    }
}

impl RateLimit {
    /// Time between two requests at the sustained rate.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second.max(0.001))
    }
}

/// What `DELETE /groups/{id}` answers; the reference leaves it open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupDeleteStatus {
    /// 204 with an empty body.
    #[default]
    NoContent,
    /// 200 with `{}`.
    OkEmptyObject,
}
