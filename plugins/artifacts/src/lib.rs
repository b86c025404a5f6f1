//! The rule plugins of this repository, built as WebAssembly components at compile time.
//!
//! The host embeds [`USERS`] as its default users plugin; tests load the fixtures by path.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
