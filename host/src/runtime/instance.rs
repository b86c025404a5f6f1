//! A warm plugin instance and the guarded calls the host makes on it.

use std::sync::Arc;

use wasmtime::Store;
use wasmtime::component::Func;

use super::error::{PluginError, TrapKind};
use super::lift::{self, Oversized};
use super::plugin::Plugin;
use super::sandbox::{PluginState, Settings};
use super::validate;
use crate::bindings::{Action, Comparison, Description, DetailOutcome, Finding, MissingVerdict};
use crate::bindings::{RuleError, RulePlugin};

/// An instance kept alive across calls, rebuilt from the pre-instantiated component after a trap
/// (a store whose call trapped cannot be entered again).
///
/// Never call it from an async task: a guest writing to stdout makes WASI block on the runtime,
/// which panics there. Async code goes through a [`super::PluginWorker`].
pub struct PluginInstance {
    plugin: Plugin,
    customer: Arc<str>,
    settings: Settings,
    live: Option<Live>,
    /// Calls that trapped (or whose result was refused while lifted) since last taken.
    traps: u64,
}

struct Live {
    store: Store<PluginState>,
    bindings: RulePlugin,
    /// `compare` and `plan`, called through the bounded result types of [`lift`] rather than
    /// the bindings, whose results are copied whole before anything can look at them.
    compare: Func,
    plan: Func,
}

impl PluginInstance {
    pub(super) fn new(plugin: Plugin, customer: Arc<str>, settings: Settings) -> Self {
        PluginInstance { plugin, customer, settings, live: None, traps: 0 }
    }

    /// How many calls trapped since the last time this was asked, for the metrics.
    pub fn take_traps(&mut self) -> u64 {
        std::mem::take(&mut self.traps)
    }

    /// The plugin this instance runs.
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }

    /// Calls `describe`; the host validates the result when it loads the plugin.
    pub fn describe(&mut self) -> Result<Description, PluginError> {
        self.call("describe", |live| {
            live.bindings.vomo_reconcile_rules().call_describe(&mut live.store)
        })
    }

    /// Compares the sides of one record and returns validated findings.
    pub fn compare(&mut self, sides: &Comparison) -> Result<Vec<Finding>, PluginError> {
        let result =
            self.call("compare", |live| lift::compare(live.compare, &mut live.store, sides))?;
        let findings = self.rule("compare", lift::owned(result))?;
        validate::findings(self.plugin.description(), &findings)
            .map_err(|reason| self.plugin.invalid("compare", reason))?;
        Ok(findings)
    }

    /// Asks for the corrective actions of one record's findings, validated.
    pub fn plan(&mut self, findings: &[Finding]) -> Result<Vec<Action>, PluginError> {
        let result = self.call("plan", |live| lift::plan(live.plan, &mut live.store, findings))?;
        let actions = self.rule("plan", lift::owned(result))?;
        validate::actions(findings, &actions)
            .map_err(|reason| self.plugin.invalid("plan", reason))?;
        Ok(actions)
    }

    /// Asks what a record missing from a listing means; a deletion verdict is accepted only for
    /// a record VOMO no longer returns.
    pub fn classify_missing(
        &mut self,
        id: u64,
        outcome: &DetailOutcome,
    ) -> Result<MissingVerdict, PluginError> {
        let function = "classify-missing";
        let result = self.call(function, |live| {
            let rules = live.bindings.vomo_reconcile_rules();
            rules.call_classify_missing(&mut live.store, id, outcome)
        })?;
        let verdict = self.rule(function, result)?;
        validate::verdict(outcome, &verdict)
            .map_err(|reason| self.plugin.invalid(function, reason))?;
        Ok(verdict)
    }

    fn rule<T>(
        &self,
        function: &'static str,
        result: Result<T, RuleError>,
    ) -> Result<T, PluginError> {
        result.map_err(|error| PluginError::Rule {
            plugin: self.plugin.name().to_owned(),
            function,
            error,
        })
    }

    /// Runs one export under the deadline and the memory cap. A trap discards the instance and
    /// counts towards quarantine; the next call starts from a fresh one. A result refused while
    /// it was lifted discards the instance too (its call never finished) and counts the same.
    fn call<T>(
        &mut self,
        function: &'static str,
        run: impl FnOnce(&mut Live) -> wasmtime::Result<T>,
    ) -> Result<T, PluginError> {
        if self.plugin.is_quarantined(&self.customer) {
            return Err(self.quarantined());
        }
        let ticks = self.plugin.inner.engine.limits.deadline_ticks();
        let _busy = self.plugin.inner.engine.ticker.busy();
        let live = self.live()?;
        live.store.data_mut().begin_call();
        live.store.set_epoch_deadline(ticks);

        match run(live) {
            Ok(value) => Ok(value),
            Err(error) if error.downcast_ref::<Oversized>().is_some() => {
                // Counted like a trap: otherwise a plugin could cost a fresh instance per call.
                self.live = None;
                self.traps += 1;
                self.plugin.record_trap(&self.customer);
                Err(self.plugin.invalid(function, error.to_string()))
            }
            Err(error) => {
                let kind = trap_kind(&error, live.store.data().limiter.refused);
                self.live = None;
                self.traps += 1;
                let quarantined = self.plugin.record_trap(&self.customer);
                let (plugin, customer) = (self.plugin.name(), &*self.customer);
                tracing::info!(plugin, customer, function, %kind, quarantined, "plugin trapped");
                Err(PluginError::Trapped { plugin: plugin.to_owned(), function, kind })
            }
        }
    }

    fn live(&mut self) -> Result<&mut Live, PluginError> {
        if self.live.is_none() {
            self.live = Some(self.instantiate()?);
        }
        Ok(self.live.as_mut().expect("the instance was just made"))
    }

    fn instantiate(&self) -> Result<Live, PluginError> {
        let inner = &self.plugin.inner;
        let limits = &inner.engine.limits;
        let state = PluginState::new(
            inner.name.clone(),
            self.settings.clone(),
            limits.memory_cap,
            limits.log_lines_per_call,
        );
        let mut store = Store::new(&inner.engine.engine, state);
        store.limiter(|state| &mut state.limiter);
        // With epoch interruption on, a store without a deadline traps even while instantiating.
        store.set_epoch_deadline(limits.deadline_ticks());

        let sandbox = |error: wasmtime::Error| PluginError::Sandbox {
            plugin: inner.name.to_string(),
            reason: format!("{error:#}"),
        };
        let instance = inner.pre.instance_pre().instantiate(&mut store).map_err(sandbox)?;
        let bindings = RulePlugin::new(&mut store, &instance).map_err(sandbox)?;

        let wrong_world = |error: wasmtime::Error| PluginError::WrongWorld {
            plugin: inner.name.to_string(),
            reason: format!("{error:#}"),
        };
        let mut export = |index| instance.get_func(&mut store, index).expect("the world has it");
        let (compare, plan) = (export(&inner.exports.compare), export(&inner.exports.plan));
        lift::check(&mut store, compare, plan).map_err(wrong_world)?;
        Ok(Live { store, bindings, compare, plan })
    }

    fn quarantined(&self) -> PluginError {
        let limits = &self.plugin.inner.engine.limits;
        PluginError::Quarantined {
            plugin: self.plugin.name().to_owned(),
            customer: self.customer.to_string(),
            traps: limits.quarantine_traps,
            window_secs: limits.quarantine_window.as_secs(),
        }
    }
}

fn trap_kind(error: &wasmtime::Error, memory_refused: bool) -> TrapKind {
    if error.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
        return TrapKind::Deadline;
    }
    if memory_refused {
        return TrapKind::MemoryCap;
    }
    let message = format!("{error:#}");
    TrapKind::Fault(message.lines().next().unwrap_or("unknown trap").to_owned())
}
