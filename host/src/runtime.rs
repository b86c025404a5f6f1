//! The sandboxed plugin runtime: loads rule plugins once, runs each call under a deadline and a
//! memory cap, and treats everything a plugin returns as untrusted.
//!
//! [`PluginEngine`] is built once per process. [`PluginEngine::load`] turns a file into a
//! validated [`Plugin`]; [`Plugin::instance`] gives a warm [`PluginInstance`] for one customer's
//! settings, on which the host calls the rules once per record; [`PluginWorker`] puts one on a
//! thread of its own for async callers.

mod cache;
mod engine;
mod error;
mod imports;
mod instance;
mod lift;
mod limits;
mod meter;
mod plugin;
mod quarantine;
mod sandbox;
mod validate;
mod worker;

pub use engine::PluginEngine;
pub use error::{PluginError, TrapKind};
pub use instance::PluginInstance;
pub use limits::RuntimeLimits;
pub use meter::{CallLatency, CallMeter, LATENCY_BUCKETS, LatencyTotals};
pub use plugin::Plugin;
pub use sandbox::Settings;
pub use worker::{Planned, PluginWorker};
