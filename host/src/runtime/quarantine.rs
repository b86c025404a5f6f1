//! Counts a plugin's traps in a sliding window and quarantines it when they pile up.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The recent traps of one plugin.
#[derive(Debug, Default)]
pub struct TrapWindow {
    traps: VecDeque<Instant>,
    quarantined: bool,
    /// Whether someone was already told of the quarantine.
    announced: bool,
}

impl TrapWindow {
    /// Records a trap at `now`; returns whether the plugin is now quarantined.
    pub fn record(&mut self, now: Instant, limit: usize, window: Duration) -> bool {
        self.traps.push_back(now);
        while self.traps.front().is_some_and(|t| now.duration_since(*t) > window) {
            self.traps.pop_front();
        }
        self.quarantined |= self.traps.len() >= limit;
        self.quarantined
    }

    /// Whether calls are refused. Quarantine lasts until the plugin is loaded again.
    pub fn is_quarantined(&self) -> bool {
        self.quarantined
    }

    /// Whether the plugin is quarantined and nobody was told yet; true once per quarantine.
    pub fn announce(&mut self) -> bool {
        let news = self.quarantined && !self.announced;
        self.announced |= news;
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traps_within_the_window_quarantine() {
        let start = Instant::now();
        let mut window = TrapWindow::default();
        let second = Duration::from_secs(1);
        assert!(!window.record(start, 3, Duration::from_secs(10)));
        assert!(!window.record(start + second, 3, Duration::from_secs(10)));
        assert!(window.record(start + 2 * second, 3, Duration::from_secs(10)));
        assert!(window.is_quarantined());
    }

    #[test]
    fn a_quarantine_is_announced_once() {
        let start = Instant::now();
        let mut window = TrapWindow::default();
        assert!(!window.record(start, 2, Duration::from_secs(10)));
        assert!(!window.announce(), "not quarantined yet");
        assert!(window.record(start, 2, Duration::from_secs(10)));
        assert!(window.announce());
        assert!(!window.announce(), "told already");
    }

    #[test]
    fn traps_spread_beyond_the_window_do_not() {
        let start = Instant::now();
        let mut window = TrapWindow::default();
        for minute in 0..10 {
            let at = start + Duration::from_secs(60 * minute);
            assert!(!window.record(at, 3, Duration::from_secs(90)));
        }
    }
}
