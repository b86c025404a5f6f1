//! A one-line progress display on a terminal: pages, records, detail fetches and the time spent
//! waiting on the rate budget. Off the terminal it stays silent.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::Progress;
use crate::throttle::RateBudget;

/// Draws progress on standard error, when standard error is a terminal.
pub struct ProgressLine {
    label: String,
    budget: Arc<RateBudget>,
    pages: AtomicU64,
    records: AtomicU64,
    details: AtomicU64,
    stage: Mutex<String>,
    enabled: bool,
}

impl ProgressLine {
    pub fn new(label: String, budget: Arc<RateBudget>) -> Self {
        ProgressLine {
            label,
            budget,
            pages: AtomicU64::new(0),
            records: AtomicU64::new(0),
            details: AtomicU64::new(0),
            stage: Mutex::new(String::new()),
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Clears the line, so what follows starts on a clean one.
    pub fn finish(&self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }

    fn draw(&self) {
        if !self.enabled {
            return;
        }
        let stage = self.stage.lock().map(|s| s.clone()).unwrap_or_default();
        let line = format!(
            "{}: {stage}: {} pages, {} records, {} detail fetches, {:.1} s waiting on the rate budget",
            self.label,
            self.pages.load(Ordering::Relaxed),
            self.records.load(Ordering::Relaxed),
            self.details.load(Ordering::Relaxed),
            self.budget.waited().as_secs_f64(),
        );
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }
}

impl Progress for ProgressLine {
    fn page(&self, records: usize) {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.records.fetch_add(records as u64, Ordering::Relaxed);
        self.draw();
    }

    fn detail(&self) {
        let details = self.details.fetch_add(1, Ordering::Relaxed) + 1;
        if details.is_multiple_of(10) {
            self.draw();
        }
    }

    fn stage(&self, stage: &str) {
        if let Ok(mut current) = self.stage.lock() {
            *current = stage.to_owned();
        }
        self.draw();
    }
}
