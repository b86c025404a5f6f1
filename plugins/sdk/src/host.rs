//! The host imports, with native stand-ins so rules run in plain unit tests.
//!
//! Inside the sandbox these call the host. Compiled natively (for `cargo test`), settings come
//! from a thread-local map that tests fill with [`set_setting`], and log lines are kept in memory.

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::vomo::reconcile::host;

    pub fn setting(key: &str) -> Option<String> {
        host::setting(key)
    }

    pub fn log(level: super::Level, message: &str) {
        let level = match level {
            super::Level::Debug => host::Level::Debug,
            super::Level::Info => host::Level::Info,
            super::Level::Warn => host::Level::Warn,
        };
        host::log(level, message);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::HashMap;

    thread_local! {
        pub static SETTINGS: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
        pub static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    pub fn setting(key: &str) -> Option<String> {
        SETTINGS.with(|s| s.borrow().get(key).cloned())
    }

    pub fn log(level: super::Level, message: &str) {
        LOG.with(|l| l.borrow_mut().push(format!("{level:?}: {message}")));
    }
}

/// How loud a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
}

/// Reads one of the customer's override settings for this resource.
pub fn setting(key: &str) -> Option<String> {
    imp::setting(key)
}

/// Writes a line to the host's log.
pub fn log(level: Level, message: &str) {
    imp::log(level, message);
}

/// Sets a setting for the rules under test on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub fn set_setting(key: &str, value: &str) {
    imp::SETTINGS.with(|s| s.borrow_mut().insert(key.to_owned(), value.to_owned()));
}

/// Clears every setting on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub fn clear_settings() {
    imp::SETTINGS.with(|s| s.borrow_mut().clear());
}

/// Takes the lines logged on this thread so far.
#[cfg(not(target_arch = "wasm32"))]
pub fn take_log() -> Vec<String> {
    imp::LOG.with(|l| std::mem::take(&mut *l.borrow_mut()))
}
