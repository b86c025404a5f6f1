//! The state one plugin instance lives in: no files, network, environment or clock, a memory cap,
//! and the two host imports, logging and read-only settings.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use crate::bindings::vomo::reconcile::{host, types};

/// A customer's override settings for one resource, read by plugins through the host import.
pub type Settings = Arc<BTreeMap<String, String>>;

/// Longest log line a plugin may write; longer ones are cut.
const MAX_LOG_LINE: usize = 1024;

/// Most table elements an instance may hold.
const MAX_TABLE_ELEMENTS: usize = 10_000;

/// Per-instance state of the sandbox.
pub struct PluginState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: MemoryCap,
    settings: Settings,
    plugin: Arc<str>,
    log_lines_left: usize,
    log_lines_per_call: usize,
}

impl PluginState {
    pub fn new(plugin: Arc<str>, settings: Settings, memory_cap: usize, log_lines: usize) -> Self {
        PluginState {
            wasi: locked_down_wasi(),
            table: ResourceTable::new(),
            limiter: MemoryCap::new(memory_cap),
            settings,
            plugin,
            log_lines_left: log_lines,
            log_lines_per_call: log_lines,
        }
    }

    /// Resets the per-call allowances before a call.
    pub fn begin_call(&mut self) {
        self.log_lines_left = self.log_lines_per_call;
        self.limiter.refused = false;
    }
}

/// WASI as the standard library needs it to link, with nothing behind it: no preopened
/// directories, no environment or arguments, no network, empty stdin, output discarded, and
/// clocks frozen at the epoch so rules cannot depend on the time.
fn locked_down_wasi() -> WasiCtx {
    // The builder's defaults already close stdin, discard output and preopen nothing; the
    // network switches are set anyway so a change of default upstream cannot open them.
    WasiCtx::builder()
        .allow_ip_name_lookup(false)
        .allow_tcp(false)
        .allow_udp(false)
        .wall_clock(FrozenClock)
        .monotonic_clock(FrozenClock)
        .build()
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl host::Host for PluginState {
    fn log(&mut self, level: host::Level, message: String) {
        if self.log_lines_left == 0 {
            return;
        }
        self.log_lines_left -= 1;
        let message = truncate(&message, MAX_LOG_LINE);
        let plugin = &*self.plugin;
        match level {
            host::Level::Debug => tracing::debug!(plugin, message, "plugin log"),
            host::Level::Info => tracing::info!(plugin, message, "plugin log"),
            host::Level::Warn => tracing::warn!(plugin, message, "plugin log"),
        }
    }

    fn setting(&mut self, key: String) -> Option<String> {
        self.settings.get(&key).cloned()
    }
}

impl types::Host for PluginState {}

fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Most linear memories, tables and core instances one plugin instance may create. A Rust
/// component needs one memory and a handful of instances; the cap is on their sum, and these
/// counts keep a component from spreading itself over many.
const MAX_MEMORIES: usize = 4;
const MAX_TABLES: usize = 16;
const MAX_CORE_INSTANCES: usize = 32;

/// Refuses memory growth that would take the instance's memories, together, past the cap, and
/// remembers that it did, so the trap that follows (Rust guests abort when an allocation fails)
/// is reported as the cap rather than a fault.
pub struct MemoryCap {
    cap: usize,
    used: usize,
    pub(super) refused: bool,
}

impl MemoryCap {
    pub fn new(cap: usize) -> Self {
        MemoryCap { cap, used: 0, refused: false }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.used - current.min(self.used)).saturating_add(desired);
        let allowed = total <= self.cap;
        if allowed {
            self.used = total;
        }
        self.refused |= !allowed;
        Ok(allowed)
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn instances(&self) -> usize {
        MAX_CORE_INSTANCES
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// A clock that always reads zero.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_character_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("hello", 10), "hello");
    }

    #[test]
    fn memory_cap_refuses_and_remembers() {
        let mut cap = MemoryCap::new(100);
        assert!(cap.memory_growing(0, 100, None).expect("no error"));
        assert!(!cap.refused);
        assert!(!cap.memory_growing(100, 101, None).expect("no error"));
        assert!(cap.refused);
    }

    #[test]
    fn memory_cap_counts_every_memory_together() {
        let mut cap = MemoryCap::new(100);
        assert!(cap.memory_growing(0, 60, None).expect("first memory"));
        assert!(!cap.memory_growing(0, 60, None).expect("second memory"), "120 in all");
        assert!(cap.memory_growing(0, 40, None).expect("second memory, smaller"));
        assert!(cap.memory_growing(60, 60, None).expect("no growth"));
    }
}
