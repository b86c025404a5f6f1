//! Injected faults of the customer API: server errors, cut connections, slowness, throttling,
//! and a project date answering without its participants.

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One fault to inject; counts are consumed by matching requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// A 500 for the next `count` requests of `page` of the listing at `path` (e.g. `/users`).
    ServerError {
        path: String,
        #[serde(default = "first_page")]
        page: u32,
        #[serde(default = "one")]
        count: u32,
        #[serde(default)]
        customer: Option<u32>,
    },
    /// The response starts, then the connection is cut before the body is complete.
    DropConnection {
        path: String,
        #[serde(default = "first_page")]
        page: u32,
        #[serde(default = "one")]
        count: u32,
        #[serde(default)]
        customer: Option<u32>,
    },
    /// Every matching request waits `delay_ms` first; `count` absent means until cleared.
    Slow {
        delay_ms: u64,
        #[serde(default)]
        count: Option<u32>,
        #[serde(default)]
        customer: Option<u32>,
    },
    /// The next `count` answers at `path` (a project date, `/projects/date/{id}`) list no
    /// participants, as a passing fault of VOMO's embedding would.
    EmptyParticipants {
        path: String,
        #[serde(default = "one")]
        count: u32,
        #[serde(default)]
        customer: Option<u32>,
    },
    /// The next `count` requests of `customer` get a 429 with `Retry-After: retry_after`.
    Throttle {
        customer: u32,
        #[serde(default = "one")]
        count: u32,
        #[serde(default = "one_second")]
        retry_after: u64,
    },
}

fn first_page() -> u32 {
    1
}

fn one() -> u32 {
    1
}

fn one_second() -> u64 {
    1
}

/// What the gate must do to one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub delay: Option<Duration>,
    pub throttle: Option<u64>,
    pub server_error: bool,
    pub drop_connection: bool,
    pub empty_participants: bool,
}

/// The faults in force, consumed as requests match them.
#[derive(Debug, Default)]
pub struct FaultBook {
    any: AtomicBool,
    faults: Mutex<Vec<Fault>>,
}

impl FaultBook {
    /// Adds a fault.
    pub fn inject(&self, fault: Fault) {
        let mut faults = self.lock();
        faults.push(fault);
        self.any.store(true, Ordering::Release);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.lock().clear();
        self.any.store(false, Ordering::Release);
    }

    /// The faults still in force.
    pub fn list(&self) -> Vec<Fault> {
        self.lock().clone()
    }

    /// Whether any fault is waiting.
    pub fn armed(&self) -> bool {
        self.any.load(Ordering::Acquire)
    }

    /// Consumes the faults that match a request of `customer` to `path` asking for `page`.
    pub fn effects(&self, customer: u32, path: &str, page: u32) -> Effects {
        // The common case of no faults costs one atomic load.
        if !self.any.load(Ordering::Acquire) {
            return Effects::default();
        }
        let mut faults = self.lock();
        let mut effects = Effects::default();
        for fault in faults.iter_mut() {
            apply(fault, customer, path, page, &mut effects);
        }
        faults.retain(|fault| !spent(fault));
        self.any.store(!faults.is_empty(), Ordering::Release);
        effects
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.faults.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn apply(fault: &mut Fault, caller: u32, req_path: &str, req_page: u32, effects: &mut Effects) {
    let for_caller = |customer: &Option<u32>| customer.is_none_or(|c| c == caller);
    match fault {
        Fault::Throttle { customer, count, retry_after }
            if *customer == caller && *count > 0 && effects.throttle.is_none() =>
        {
            *count -= 1;
            effects.throttle = Some(*retry_after);
        }
        Fault::Slow { delay_ms, count, customer }
            if for_caller(customer) && count.is_none_or(|c| c > 0) =>
        {
            if let Some(left) = count {
                *left -= 1;
            }
            let delay = effects.delay.unwrap_or_default() + Duration::from_millis(*delay_ms);
            effects.delay = Some(delay);
        }
        Fault::ServerError { path, page, count, customer }
            if for_caller(customer) && *count > 0 && path == req_path && *page == req_page =>
        {
            *count -= 1;
            effects.server_error = true;
        }
        Fault::DropConnection { path, page, count, customer }
            if for_caller(customer) && *count > 0 && path == req_path && *page == req_page =>
        {
            *count -= 1;
            effects.drop_connection = true;
        }
        Fault::EmptyParticipants { path, count, customer }
            if for_caller(customer) && *count > 0 && path == req_path =>
        {
            *count -= 1;
            effects.empty_participants = true;
        }
        _ => {}
    }
}

fn spent(fault: &Fault) -> bool {
    match fault {
        Fault::ServerError { count, .. }
        | Fault::DropConnection { count, .. }
        | Fault::EmptyParticipants { count, .. }
        | Fault::Throttle { count, .. } => *count == 0,
        Fault::Slow { count, .. } => *count == Some(0),
    }
}

/// Parses the command-line form of a fault:
/// `500:PATH:PAGE[:COUNT]`, `drop:PATH:PAGE[:COUNT]`, `slow:MS[:COUNT]`,
/// `429:CUSTOMER:COUNT[:RETRY_AFTER]`, `empty:PATH[:COUNT]`.
impl FromStr for Fault {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = spec.split(':').collect();
        let number = |index: usize, name: &str| -> Result<Option<u64>, String> {
            parts
                .get(index)
                .map(|text| {
                    text.parse::<u64>()
                        .map_err(|_| format!("invalid {name} `{text}` in fault `{spec}`"))
                })
                .transpose()
        };
        let small = |value: Option<u64>, default: u32| {
            value.map_or(default, |v| u32::try_from(v).unwrap_or(u32::MAX))
        };
        let path = || parts.get(1).map(|p| p.to_string()).filter(|p| p.starts_with('/'));

        match parts.first().copied() {
            Some("500") | Some("drop") => {
                let path =
                    path().ok_or_else(|| format!("fault `{spec}` needs a path like /users"))?;
                let page = small(number(2, "page")?, 1);
                let count = small(number(3, "count")?, 1);
                Ok(if parts[0] == "500" {
                    Fault::ServerError { path, page, count, customer: None }
                } else {
                    Fault::DropConnection { path, page, count, customer: None }
                })
            }
            Some("slow") => {
                let delay_ms =
                    number(1, "delay")?.ok_or_else(|| format!("fault `{spec}` needs a delay"))?;
                let count = number(2, "count")?.map(|c| small(Some(c), 1));
                Ok(Fault::Slow { delay_ms, count, customer: None })
            }
            Some("429") => {
                let customer = small(number(1, "customer")?, 0);
                let count = small(number(2, "count")?, 1);
                let retry_after = number(3, "retry after")?.unwrap_or(1);
                Ok(Fault::Throttle { customer, count, retry_after })
            }
            Some("empty") => {
                let path = path()
                    .ok_or_else(|| format!("fault `{spec}` needs a path like /projects/date/7"))?;
                let count = small(number(2, "count")?, 1);
                Ok(Fault::EmptyParticipants { path, count, customer: None })
            }
            _ => Err(format!("unknown fault `{spec}`: expected 500, drop, slow, 429 or empty")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_error_hits_only_its_page_and_runs_out() {
        let book = FaultBook::default();
        book.inject("500:/users:3:2".parse().unwrap_or_else(|e: String| panic!("{e}")));
        assert!(!book.effects(1, "/users", 2).server_error);
        assert!(book.effects(1, "/users", 3).server_error);
        assert!(book.effects(2, "/users", 3).server_error);
        assert!(!book.effects(1, "/users", 3).server_error);
        assert!(book.list().is_empty());
    }

    #[test]
    fn throttle_is_per_customer() {
        let book = FaultBook::default();
        book.inject(Fault::Throttle { customer: 4, count: 2, retry_after: 3 });
        assert_eq!(book.effects(1, "/users", 1).throttle, None);
        assert_eq!(book.effects(4, "/users", 1).throttle, Some(3));
        assert_eq!(book.effects(4, "/users", 1).throttle, Some(3));
        assert_eq!(book.effects(4, "/users", 1).throttle, None);
    }

    #[test]
    fn empty_participants_hits_only_its_date_and_runs_out() {
        let book = FaultBook::default();
        book.inject("empty:/projects/date/7:2".parse().unwrap_or_else(|e: String| panic!("{e}")));
        assert!(!book.effects(1, "/projects/date/8", 1).empty_participants);
        assert!(book.effects(1, "/projects/date/7", 1).empty_participants);
        assert!(book.effects(1, "/projects/date/7", 1).empty_participants);
        assert!(!book.effects(1, "/projects/date/7", 1).empty_participants);
        assert!(book.list().is_empty());
    }

    #[test]
    fn command_line_specs_parse() {
        assert_eq!(
            "slow:250".parse::<Fault>(),
            Ok(Fault::Slow { delay_ms: 250, count: None, customer: None })
        );
        assert!("drop:/users:2".parse::<Fault>().is_ok());
        assert!("explode".parse::<Fault>().is_err());
        assert!("500:users:1".parse::<Fault>().is_err());
    }
}
