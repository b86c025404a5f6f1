//! Reconciliation host for VOMO partner integrations.
//!
//! The host owns scheduling, pagination, throttling and storage; the rules of each resource live
//! in sandboxed WebAssembly rule plugins that implement the `rule-plugin` world in `wit/`.
//!
//! - [`api`]: the service's HTTP API.
//! - [`bindings`]: the generated types of the plugin contract.
//! - [`metrics`]: Prometheus metrics from the recorded runs and the process's own counters.
//! - [`notify`]: alerts to the log and a signed webhook; the alerts the service raises: a failed
//!   run, a quarantined plugin, gap rates over many runs.
//! - [`page`]: the health page for people.
//! - [`runtime`]: loads plugins and runs them under a deadline and a memory cap.
//! - [`sides`]: builds the sides of a comparison as the contract wants them.
//! - [`builtin`]: the rule plugins built into the host.
//! - [`store`]: partner state, checkpoints, runs, the journal and the other tables, on SQLite or
//!   PostgreSQL.
//! - [`config`]: the configuration file: VOMO, the store, customers, tokens, thresholds.
//! - [`health`]: sync health: gap rates per day over 30 days, healthy under 1 %.
//! - [`layers`]: which plugin and settings each customer's runs use, and plugin reloading.
//! - [`gate`]: how the service starts a run: a cap on runs at once, one run of a customer's task
//!   at a time, and a stop with a grace period.
//! - [`engine`]: what a run does with records: polling, the incremental, full and audit passes,
//!   the circuit breaker, the action journal and its executor.
//! - [`external`]: the connector to a customer's external system.
//! - [`http`]: every outgoing HTTP client: TLS through rustls, the roots each one trusts.
//! - [`service`]: the host as a long-lived service: one run of a customer's task, shared by the
//!   scheduler and the API.
//! - [`schedule`]: when each customer's tasks run: cadences, staggering, a cap on runs at once.
//! - [`throttle`]: the shared rate budget per token and the cap on customers served at once.
//! - [`vomo`]: the VOMO API client, with retries and quirk-proof parsing.
//! - [`wiring`]: builds the store, plugins, clients and workers a run needs from the configuration.
//! - [`cli`] and [`commands`]: the `reconciler` command line.

pub mod api;
pub mod bindings;
pub mod builtin;
pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod external;
pub mod gate;
pub mod health;
pub mod http;
pub mod layers;
pub mod metrics;
pub mod notify;
pub mod page;
pub mod runtime;
pub mod schedule;
pub mod service;
pub mod sides;
pub mod store;
pub mod throttle;
pub mod vomo;
pub mod wiring;
