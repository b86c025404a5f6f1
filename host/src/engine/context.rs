//! What a run works with: the customer's target, VOMO, the plugin, the limits and the clock.

use chrono::{DateTime, Utc};

use crate::config::{PassSettings, Thresholds};
use crate::runtime::{PluginError, PluginWorker};
use crate::store::StoreError;
use crate::vomo::{VomoClient, VomoError};

use super::process::Target;

/// Everything one run of one task for one customer needs.
#[derive(Clone, Copy)]
pub struct RunContext<'a> {
    pub target: Target<'a>,
    pub vomo: &'a VomoClient,
    pub plugin: &'a PluginWorker,
    pub thresholds: &'a Thresholds,
    pub passes: &'a PassSettings,
    /// The customer's time zone, for "yesterday".
    pub time_zone: chrono_tz::Tz,
    /// The run's notion of now: the wall clock, or the simulator's in the demo.
    pub now: DateTime<Utc>,
    /// Detect and plan, record the run, change nothing.
    pub dry_run: bool,
    pub progress: &'a dyn Progress,
}

/// Why a run stopped before its end. What it stored until then stays stored.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Vomo(#[from] VomoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error(
        "the {resource} listing of customer `{customer}` is not in ascending id order: {detail}"
    )]
    Unordered { customer: String, resource: String, detail: String },
    #[error("task `{task}` cannot run: {reason}")]
    Unsupported { task: String, reason: String },
    /// The service stopped and the run outlived its grace period.
    #[error("interrupted: the service stopped before the run finished")]
    Interrupted,
}

/// Hears how a run is going, for a progress bar. Every method does nothing by default.
pub trait Progress: Send + Sync {
    /// A listing page of `records` records was read.
    fn page(&self, _records: usize) {}
    /// One detail fetch was made.
    fn detail(&self) {}
    /// The run moved on to `stage` (listing, confirming deletions, executing actions).
    fn stage(&self, _stage: &str) {}
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {}
