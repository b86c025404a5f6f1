//! The engine: what a run does with VOMO's records. So far the processing path that polling and
//! reprocessing share, and polling itself; the reconciliation passes build on both.

mod poll;
mod process;
mod snapshot;

pub use poll::{PollError, PollReport, poll};
pub use process::{ProcessReport, Target, process};
pub use snapshot::{fingerprint, snapshot_json, values_from_snapshot};
