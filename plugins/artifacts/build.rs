//! Builds every rule plugin as a `wasm32-wasip2` component, so a fresh clone needs no setup.
//!
//! The plugins are members of this workspace, built by a nested cargo into a target directory of
//! their own (a nested cargo sharing the outer one's directory would wait on its lock forever).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// Each plugin: the constant prefix this crate exposes, and the cargo package that builds it.
const PLUGINS: &[(&str, &str)] = &[
    ("USERS", "users-rules"),
    ("PROJECTS", "projects-rules"),
    ("GROUPS", "groups-rules"),
    ("FORMS", "forms-rules"),
    ("FORM_COMPLETIONS", "form-completions-rules"),
    ("PARTICIPATIONS", "participations-rules"),
    ("MISBEHAVING", "fixture-misbehaving"),
    ("ESCAPE", "fixture-escape"),
    ("SLEEPER", "fixture-sleeper"),
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets the manifest"));
    let root = manifest.join("../..").canonicalize().expect("the workspace root exists");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (_, package) in PLUGINS {
        let dir = package.trim_end_matches("-rules").replace('-', "_");
        if !package.starts_with("fixture-") {
            println!("cargo:rerun-if-changed={}", root.join("plugins").join(dir).display());
        }
    }
    for watched in ["wit", "plugins/sdk", "plugins/fixtures", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    ensure_target_installed();
    let target_dir = outer_target_dir(&out).join("plugins");
    build_plugins(&root, &target_dir);

    let release = target_dir.join(TARGET).join("release");
    let mut source = String::new();
    for (name, package) in PLUGINS {
        let file = release.join(format!("{}.wasm", package.replace('-', "_")));
        assert!(file.exists(), "plugin `{package}` was built but `{}` is missing", file.display());
        source.push_str(&format!(
            "/// Path of the built `{package}` component.\npub const {name}_PATH: &str = {path:?};\n\
             /// Bytes of the built `{package}` component.\n\
             pub const {name}: &[u8] = include_bytes!({path:?});\n",
            path = file.display().to_string(),
        ));
    }
    fs::write(out.join("artifacts.rs"), source).expect("OUT_DIR is writable");
}

/// Installs the wasm target through rustup when the toolchain lacks it.
fn ensure_target_installed() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output();
    let sysroot = sysroot.expect("rustc runs").stdout;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot).trim());
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    let status = Command::new("rustup").args(["target", "add", TARGET]).status();
    if !matches!(status, Ok(s) if s.success()) {
        panic!("the `{TARGET}` target is missing and `rustup target add {TARGET}` failed");
    }
}

/// The outer build's target directory, which cargo marks with `CACHEDIR.TAG`.
fn outer_target_dir(out: &Path) -> PathBuf {
    out.ancestors().find(|dir| dir.join("CACHEDIR.TAG").exists()).unwrap_or(out).to_path_buf()
}

fn build_plugins(root: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(target_dir);
    for (_, package) in PLUGINS {
        command.args(["-p", package]);
    }
    // The outer build's flags and jobserver are meant for the host target, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        command.env_remove(var);
    }
    let status = command.status().expect("cargo runs for the plugins");
    assert!(status.success(), "building the rule plugins for `{TARGET}` failed: {status}");
}
