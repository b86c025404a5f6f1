//! The rule plugins of this repository, built as WebAssembly components at compile time.
//!
//! The host embeds [`USERS`], [`PROJECTS`] and [`GROUPS`] as its built-in plugins; tests load the
//! fixtures by path.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
