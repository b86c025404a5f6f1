//! The host's integration tests, in one binary.

mod support;

mod alerts;
mod api;
mod cli;
mod external;
mod layers;
mod polling;
mod reconcile;
mod resources;
mod sandbox;
mod serve;
mod shutdown;
mod store;
mod tls;
mod users_plugin;
mod vomo_client;
