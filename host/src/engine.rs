//! The engine: what a run does with VOMO's records.
//!
//! Polling and the reconciliation passes share one processing path. A pass detects (the
//! plugin judges each record), the breaker decides whether its actions may go ahead, the journal
//! records them under idempotency keys, and the executor carries them out.

mod audit;
mod breaker;
mod by_parent;
mod context;
mod detect;
mod execute;
mod findings;
mod full;
mod incremental;
mod interrupt;
mod journal;
mod parents;
mod poll;
mod process;
mod run;
mod sink;
mod snapshot;
mod task;

pub use audit::AuditSummary;
pub use breaker::{Tally, Trip};
pub use context::{Progress, Quiet, RunContext, RunError};
pub use execute::{Executed, Executor};
pub use incremental::window as incremental_window;
pub use interrupt::Interrupt;
pub use journal::{PlannedAction, idempotency_key};
pub use parents::ParticipationWindow;
pub use poll::{PollError, PollReport, poll};
pub use process::{ProcessReport, Target, process};
pub use run::{FAILPOINT_ENV, RunEnd, RunSummary, run_task, run_task_until};
pub use snapshot::{fingerprint, snapshot_json, values_from_snapshot};
pub use task::{Pass, Task};
