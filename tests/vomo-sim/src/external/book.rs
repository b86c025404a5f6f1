//! What the fake external system holds: records, the push log and its own faults.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One record as the external system stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    pub resource: String,
    pub id: String,
    pub data: Value,
    /// Starts at 1 and grows with every applied upsert of the same record.
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

/// The status the external system reports for a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushState {
    /// Reported as written (a silently dropped push reports this too).
    Applied,
    /// Accepted with 202, outcome not known yet.
    Pending,
    /// Accepted with 202, then lost.
    Failed,
}

/// One upsert or delete received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Push {
    pub push_id: u64,
    pub method: String,
    pub resource: String,
    pub id: String,
    pub status: PushState,
    pub error: Option<String>,
    /// The `Idempotency-Key` the push carried, if any.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    pub at: DateTime<Utc>,
}

/// A fault of the external system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExternalFault {
    /// The next `count` pushes answer 2xx and are silently discarded.
    Drop { count: u32 },
    /// Every push of this record answers 2xx and is silently discarded.
    DropId { resource: String, id: String },
    /// The next `count` pushes answer 202, then fail after `delay_ms` and are lost.
    FailAsync {
        count: u32,
        #[serde(default)]
        delay_ms: u64,
    },
}

/// What to do with one push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Apply,
    /// A key seen before: answered as the first push was, applied again never.
    Replay,
    Drop,
    FailAsync {
        delay_ms: u64,
    },
}

/// Records, pushes and faults of one external system.
#[derive(Debug, Default)]
pub struct Book {
    inner: Mutex<BookState>,
}

#[derive(Debug, Default)]
struct BookState {
    records: BTreeMap<(String, RecordKey), StoredRecord>,
    pushes: VecDeque<Push>,
    dropped: Vec<Push>,
    faults: Vec<ExternalFault>,
    next_push: u64,
    /// Idempotency keys seen, with the push that first carried each.
    keys: std::collections::HashMap<String, u64>,
}

/// Orders numeric ids numerically and the rest as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RecordKey(bool, u64, String);

impl RecordKey {
    fn new(id: &str) -> Self {
        let number = id.parse::<u64>().ok();
        Self(number.is_none(), number.unwrap_or(0), id.to_owned())
    }
}

/// The push log keeps this many entries.
const PUSH_LOG: usize = 100_000;

impl Book {
    /// Registers a push and decides its fate from the faults in force. A push whose idempotency
    /// key was seen before is a replay: it gets the first push's id and changes nothing.
    pub fn receive(&self, method: &str, resource: &str, id: &str) -> (u64, Fate) {
        self.receive_keyed(method, resource, id, None)
    }

    /// [`Book::receive`] for a push that may carry an `Idempotency-Key`.
    pub fn receive_keyed(
        &self,
        method: &str,
        resource: &str,
        id: &str,
        key: Option<&str>,
    ) -> (u64, Fate) {
        let mut state = self.lock();
        if let Some(first) = key.and_then(|key| state.keys.get(key)) {
            return (*first, Fate::Replay);
        }
        state.next_push += 1;
        let push_id = state.next_push;
        let fate = decide(&mut state.faults, resource, id);
        let push = Push {
            push_id,
            method: method.to_owned(),
            resource: resource.to_owned(),
            id: id.to_owned(),
            status: match fate {
                Fate::FailAsync { delay_ms: 0 } => PushState::Failed,
                Fate::FailAsync { .. } => PushState::Pending,
                Fate::Apply | Fate::Drop | Fate::Replay => PushState::Applied,
            },
            error: matches!(fate, Fate::FailAsync { delay_ms: 0 }).then(failure_text),
            idempotency_key: key.map(str::to_owned),
            at: Utc::now(),
        };
        if let Some(key) = key {
            state.keys.insert(key.to_owned(), push_id);
        }
        if fate == Fate::Drop {
            state.dropped.push(push.clone());
        }
        if state.pushes.len() >= PUSH_LOG {
            state.pushes.pop_front();
        }
        state.pushes.push_back(push);
        (push_id, fate)
    }

    /// Marks a pending push as failed.
    pub fn fail(&self, push_id: u64) {
        let mut state = self.lock();
        if let Some(push) = state.pushes.iter_mut().find(|p| p.push_id == push_id) {
            push.status = PushState::Failed;
            push.error = Some(failure_text());
        }
    }

    /// Writes a record; returns it and whether it is new.
    pub fn upsert(&self, resource: &str, id: &str, data: Value) -> (StoredRecord, bool) {
        let mut state = self.lock();
        let key = (resource.to_owned(), RecordKey::new(id));
        let version = state.records.get(&key).map_or(1, |r| r.version + 1);
        let record = StoredRecord {
            resource: resource.to_owned(),
            id: id.to_owned(),
            data,
            version,
            updated_at: Utc::now(),
        };
        let created = state.records.insert(key, record.clone()).is_none();
        (record, created)
    }

    /// What an upsert would produce, without writing it (for dropped pushes).
    pub fn preview(&self, resource: &str, id: &str, data: Value) -> (StoredRecord, bool) {
        let state = self.lock();
        let existing = state.records.get(&(resource.to_owned(), RecordKey::new(id)));
        let record = StoredRecord {
            resource: resource.to_owned(),
            id: id.to_owned(),
            data,
            version: existing.map_or(1, |r| r.version + 1),
            updated_at: Utc::now(),
        };
        (record, existing.is_none())
    }

    /// Deletes a record; whether it existed.
    pub fn remove(&self, resource: &str, id: &str) -> bool {
        let key = (resource.to_owned(), RecordKey::new(id));
        self.lock().records.remove(&key).is_some()
    }

    pub fn contains(&self, resource: &str, id: &str) -> bool {
        let key = (resource.to_owned(), RecordKey::new(id));
        self.lock().records.contains_key(&key)
    }

    pub fn get(&self, resource: &str, id: &str) -> Option<StoredRecord> {
        let key = (resource.to_owned(), RecordKey::new(id));
        self.lock().records.get(&key).cloned()
    }

    /// Records of `resource` in id order.
    pub fn list(&self, resource: &str) -> Vec<StoredRecord> {
        let state = self.lock();
        let records = state.records.iter().filter(|((r, _), _)| r == resource);
        records.map(|(_, record)| record.clone()).collect()
    }

    pub fn pushes(&self) -> Vec<Push> {
        self.lock().pushes.iter().cloned().collect()
    }

    pub fn push(&self, push_id: u64) -> Option<Push> {
        self.lock().pushes.iter().find(|p| p.push_id == push_id).cloned()
    }

    /// The pushes that were silently discarded: the truth the push log hides.
    pub fn dropped(&self) -> Vec<Push> {
        self.lock().dropped.clone()
    }

    pub fn inject(&self, fault: ExternalFault) {
        self.lock().faults.push(fault);
    }

    pub fn faults(&self) -> Vec<ExternalFault> {
        self.lock().faults.clone()
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BookState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn decide(faults: &mut Vec<ExternalFault>, resource: &str, id: &str) -> Fate {
    let mut fate = Fate::Apply;
    for fault in faults.iter_mut() {
        match fault {
            ExternalFault::DropId { resource: r, id: i } if r == resource && i == id => {
                fate = Fate::Drop;
                break;
            }
            ExternalFault::Drop { count } if *count > 0 => {
                *count -= 1;
                fate = Fate::Drop;
                break;
            }
            ExternalFault::FailAsync { count, delay_ms } if *count > 0 => {
                *count -= 1;
                fate = Fate::FailAsync { delay_ms: *delay_ms };
                break;
            }
            _ => {}
        }
    }
    faults.retain(|fault| match fault {
        ExternalFault::Drop { count } | ExternalFault::FailAsync { count, .. } => *count > 0,
        ExternalFault::DropId { .. } => true,
    });
    fate
}

fn failure_text() -> String {
    "downstream write failed after acceptance".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_sort_numerically() {
        let book = Book::default();
        for id in ["10", "9", "abc", "100"] {
            book.upsert("users", id, Value::Null);
        }
        let ids: Vec<String> = book.list("users").into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["9", "10", "100", "abc"]);
    }

    #[test]
    fn drop_count_is_consumed() {
        let book = Book::default();
        book.inject(ExternalFault::Drop { count: 1 });
        assert_eq!(book.receive("PUT", "users", "1").1, Fate::Drop);
        assert_eq!(book.receive("PUT", "users", "1").1, Fate::Apply);
        assert!(book.faults().is_empty());
    }

    #[test]
    fn a_repeated_idempotency_key_is_a_replay() {
        let book = Book::default();
        let (first, fate) = book.receive_keyed("PUT", "users", "1", Some("k1"));
        assert_eq!(fate, Fate::Apply);
        assert_eq!(book.receive_keyed("PUT", "users", "1", Some("k1")), (first, Fate::Replay));
        assert_eq!(book.receive_keyed("PUT", "users", "1", Some("k2")).1, Fate::Apply);
        assert_eq!(book.pushes().len(), 2, "a replay is not a new push");
    }
}
