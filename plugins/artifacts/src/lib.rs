//! The rule plugins of this repository, built as WebAssembly components at compile time.
//!
//! The host embeds every resource's plugin ([`USERS`], [`PROJECTS`], [`GROUPS`], [`FORMS`],
//! [`FORM_COMPLETIONS`], [`PARTICIPATIONS`]) as its built-in rules; tests load the fixtures by
//! path.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
