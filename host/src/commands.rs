//! What each `reconciler` command does; `main` only parses and dispatches.

pub mod demo;
pub mod plugins;
pub mod progress;
pub mod review;
pub mod run;
pub mod serve;
pub mod usage;
