//! The one place that generates host bindings for the `rule-plugin` world; the rest of the host
//! imports the types from here.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "rule-plugin",
    additional_derives: [PartialEq],
});

pub use exports::vomo::reconcile::rules::{Comparison, ExternalSide};
pub use vomo::reconcile::host::Level;
pub use vomo::reconcile::types::{
    Action, Alert, Cadence, ComparedField, Datetime, Description, DetailOutcome, Entity,
    FieldDrift, FieldKind, Finding, FindingKind, Item, MissingVerdict, PartnerEntry, RuleError,
    ScopeReason, Severity, TaskKind, Value,
};
