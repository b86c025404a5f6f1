//! What each `reconciler` command does; `main` only parses and dispatches.

pub mod plugins;
