//! The limits every plugin call runs under, with the defaults the service ships.

use std::time::Duration;

/// Limits of the plugin sandbox; every field can be overridden in configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeLimits {
    /// How long one call may run before it is stopped.
    pub call_deadline: Duration,
    /// How often the epoch ticks; a stopped call overshoots its deadline by at most one tick.
    pub epoch_tick: Duration,
    /// The most linear memory one plugin instance may hold.
    pub memory_cap: usize,
    /// Traps within [`Self::quarantine_window`] that quarantine a plugin.
    pub quarantine_traps: usize,
    /// The window in which traps are counted.
    pub quarantine_window: Duration,
    /// Log lines a plugin may write in one call; the rest are dropped.
    pub log_lines_per_call: usize,
}

impl Default for RuntimeLimits {
    fn default() -> Self {
        RuntimeLimits {
            call_deadline: Duration::from_millis(10),
            epoch_tick: Duration::from_millis(1),
            memory_cap: 64 << 20,
            quarantine_traps: 5,
            quarantine_window: Duration::from_secs(60),
            log_lines_per_call: 20,
        }
    }
}

impl RuntimeLimits {
    /// The deadline in epoch ticks, rounded up, and never zero.
    pub fn deadline_ticks(&self) -> u64 {
        let tick = self.epoch_tick.as_nanos().max(1);
        self.call_deadline.as_nanos().div_ceil(tick).max(1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_rounds_up_to_whole_ticks() {
        let mut limits = RuntimeLimits::default();
        assert_eq!(limits.deadline_ticks(), 10);
        limits.call_deadline = Duration::from_micros(10_500);
        assert_eq!(limits.deadline_ticks(), 11);
        limits.call_deadline = Duration::ZERO;
        assert_eq!(limits.deadline_ticks(), 1);
    }
}
