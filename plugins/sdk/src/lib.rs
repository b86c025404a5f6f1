//! Bindings and helpers that keep a VOMO rule plugin short.
//!
//! A plugin implements [`Guest`] for a unit struct, declares its compared fields as [`FieldRule`]s
//! and calls [`export_rule_plugin!`] once. [`compare::compare_sides`] turns the rules into findings,
//! [`normalize`] holds the value normalisations, and [`host`] wraps the host imports so the same
//! rules also run natively in unit tests.

extern crate self as vomo_plugin_sdk;

pub mod classify;
pub mod compare;
pub mod host;
pub mod normalize;
pub mod plan;
pub mod record;

/// The generated bindings for the `rule-plugin` world; plugins rarely need them directly.
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "rule-plugin",
        pub_export_macro: true,
        export_macro_name: "export_rule_plugin",
        default_bindings_module: "vomo_plugin_sdk::bindings",
        runtime_path: "vomo_plugin_sdk::wit_bindgen_rt",
        additional_derives: [PartialEq],
    });
}

#[doc(hidden)]
pub use wit_bindgen::rt as wit_bindgen_rt;

pub use bindings::export_rule_plugin;
pub use bindings::exports::vomo::reconcile::rules::{Comparison, ExternalSide, Guest};
pub use bindings::vomo::reconcile::types::{
    Action, Alert, Cadence, ComparedField, Datetime, Description, DetailOutcome, Entity,
    FieldDrift, FieldKind, Finding, FindingKind, Item, MissingVerdict, PartnerEntry, RuleError,
    ScopeReason, Severity, TaskKind, Value,
};
pub use compare::{FieldRule, ItemChanges, Rule};
