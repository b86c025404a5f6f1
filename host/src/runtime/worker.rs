//! A plugin instance on a thread of its own, for async callers.
//!
//! Plugin calls are synchronous, and the WASI streams a guest may write to block on a runtime
//! handle, which panics inside an async task. A worker owns one warm instance on its own thread;
//! async code sends it batches of calls and awaits the answers.

use std::sync::mpsc;
use std::time::Instant;

use tokio::sync::oneshot;

use super::error::PluginError;
use super::instance::PluginInstance;
use super::meter::CallMeter;
use crate::bindings::{Action, Comparison, DetailOutcome, Finding, MissingVerdict};

/// One call for the worker.
pub enum Call {
    /// Compare each record, then plan for the records with findings.
    CompareAndPlan(Vec<Comparison>),
    ClassifyMissing(u64, DetailOutcome),
}

/// What compare-and-plan gives for one record: its findings, and the actions planned for them. A
/// plan that fails keeps the findings.
pub type Planned = Result<(Vec<Finding>, Result<Vec<Action>, PluginError>), PluginError>;

enum Answer {
    Planned(Vec<Planned>),
    Verdict(Result<MissingVerdict, PluginError>),
}

type Request = (Call, oneshot::Sender<Answer>);

/// A handle on a worker thread; the thread ends when the handle is dropped.
#[derive(Debug, Clone)]
pub struct PluginWorker {
    requests: mpsc::Sender<Request>,
    plugin: String,
}

impl PluginWorker {
    /// Moves `instance` onto a thread of its own.
    pub fn spawn(instance: PluginInstance) -> std::io::Result<Self> {
        Self::spawn_metered(instance, CallMeter::default())
    }

    /// Moves `instance` onto a thread of its own, adding each batch's calls, their time and
    /// their traps to `meter`.
    pub fn spawn_metered(mut instance: PluginInstance, meter: CallMeter) -> std::io::Result<Self> {
        let plugin = instance.plugin().name().to_owned();
        let (requests, inbox) = mpsc::channel::<Request>();
        std::thread::Builder::new().name("plugin-worker".to_owned()).spawn(move || {
            for (call, reply) in inbox {
                // One clock read on each side of the batch, not of each call.
                let started = Instant::now();
                let (answer, calls) = match call {
                    Call::CompareAndPlan(sides) => {
                        let planned = sides.iter().map(|s| compare_and_plan(&mut instance, s));
                        (Answer::Planned(planned.collect()), sides.len())
                    }
                    Call::ClassifyMissing(id, outcome) => {
                        (Answer::Verdict(instance.classify_missing(id, &outcome)), 1)
                    }
                };
                meter.record(calls as u64, started.elapsed(), instance.take_traps());
                let _ = reply.send(answer);
            }
        })?;
        Ok(PluginWorker { requests, plugin })
    }

    /// Compares each record and plans actions for those with findings, one answer per record in
    /// order. Fails only when the worker itself is gone.
    pub async fn compare_and_plan(
        &self,
        sides: Vec<Comparison>,
    ) -> Result<Vec<Planned>, PluginError> {
        match self.ask(Call::CompareAndPlan(sides)).await {
            Some(Answer::Planned(planned)) => Ok(planned),
            _ => Err(self.gone()),
        }
    }

    /// Asks what a record missing from a listing means.
    pub async fn classify_missing(
        &self,
        id: u64,
        outcome: DetailOutcome,
    ) -> Result<MissingVerdict, PluginError> {
        match self.ask(Call::ClassifyMissing(id, outcome)).await {
            Some(Answer::Verdict(verdict)) => verdict,
            _ => Err(self.gone()),
        }
    }

    fn gone(&self) -> PluginError {
        PluginError::WorkerGone { plugin: self.plugin.clone() }
    }

    async fn ask(&self, call: Call) -> Option<Answer> {
        let (reply, answer) = oneshot::channel();
        self.requests.send((call, reply)).ok()?;
        answer.await.ok()
    }
}

fn compare_and_plan(instance: &mut PluginInstance, sides: &Comparison) -> Planned {
    let findings = instance.compare(sides)?;
    if findings.is_empty() {
        return Ok((findings, Ok(Vec::new())));
    }
    let actions = instance.plan(&findings);
    Ok((findings, actions))
}
