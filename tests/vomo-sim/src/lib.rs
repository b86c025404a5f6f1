//! A VOMO API simulator with fault injection, and a fake external system, for tests, demos,
//! benchmarks and plugin sandboxes. The contract is in `docs/simulator.md`.

/// The customer API router and its endpoints.
mod api;
/// The settable simulator clock.
mod clock;
/// Settings: data size, seed, rate limit, quirks.
pub mod config;
/// The control interface: in-process handle and HTTP routes.
pub mod control;
/// Profile values derived from the seed.
mod derive;
/// Error types at the boundaries.
pub mod error;
/// The fake external system.
pub mod external;
/// Injected faults of the customer API.
pub mod faults;
/// Parsing of list filters.
mod filters;
/// Authentication, rate limiting and fault gate.
mod gate;
/// The seeded data generator.
mod generate;
/// Pagination, list cache and envelope.
mod listing;
/// Stored record types.
mod model;
/// Query-string handling.
mod query;
/// The per-token rate limiter.
mod rate_limit;
/// JSON shapes with quirks.
mod render;
/// Traffic counters and log.
pub mod request_log;
/// Starting and stopping a simulator.
mod server;
/// Shared state of a running simulator.
mod state;
/// The record store.
mod store;
/// Timestamp formatting and parsing.
mod timefmt;

/// Settings of a simulator.
pub use config::{DataSize, GroupDeleteStatus, RateLimit, SimConfig};
/// The in-process control handle, the resources it addresses and the customers it lists.
pub use control::{Control, Customer, Resource};
/// Errors a caller can meet.
pub use error::{ControlError, StartError};
/// The external system and its faults.
pub use external::book::{ExternalFault, Push, PushState, StoredRecord};
/// Starting an external system.
pub use external::{ExternalConfig, ExternalHandle, ExternalSystem};
/// Faults of the customer API.
pub use faults::Fault;
/// What the request log records.
pub use request_log::{RequestRecord, TokenStats};
/// Starting a simulator.
pub use server::{SimHandle, Simulator};
