//! Tasks: one kind of pass over one resource, named as in the configuration and the CLI.

use std::fmt;
use std::str::FromStr;

/// The kind of pass a task makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pass {
    /// Re-reads a past window of `updated_at` and reprocesses every change not processed.
    Incremental,
    /// Reads every record: missed creates, silent changes and, by a detail fetch, deletions.
    Full,
    /// Checks a random sample VOMO against partner state against the external system.
    Audit,
}

impl Pass {
    pub fn as_str(self) -> &'static str {
        match self {
            Pass::Incremental => "incremental",
            Pass::Full => "full",
            Pass::Audit => "audit",
        }
    }
}

impl From<crate::bindings::TaskKind> for Pass {
    fn from(kind: crate::bindings::TaskKind) -> Self {
        match kind {
            crate::bindings::TaskKind::Incremental => Pass::Incremental,
            crate::bindings::TaskKind::Full => Pass::Full,
            crate::bindings::TaskKind::Audit => Pass::Audit,
        }
    }
}

/// One pass over one resource, such as `users_full`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Task {
    pub resource: String,
    pub pass: Pass,
}

impl Task {
    pub fn new(resource: &str, pass: Pass) -> Self {
        Task { resource: resource.to_owned(), pass }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.resource, self.pass.as_str())
    }
}

impl FromStr for Task {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        let bad = || {
            format!("`{name}` is not a task: RESOURCE_incremental, RESOURCE_full or RESOURCE_audit")
        };
        let (resource, pass) = name.rsplit_once('_').ok_or_else(bad)?;
        let pass = match pass {
            "incremental" => Pass::Incremental,
            "full" => Pass::Full,
            "audit" => Pass::Audit,
            _ => return Err(bad()),
        };
        let plain = resource.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if resource.is_empty() || !plain {
            return Err(bad());
        }
        Ok(Task::new(resource, pass))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_round_trip_and_typos_are_named() {
        let task: Task = "users_full".parse().expect("parses");
        assert_eq!(task, Task::new("users", Pass::Full));
        assert_eq!(task.to_string(), "users_full");
        assert_eq!(
            "form_completions_incremental".parse::<Task>().expect("parses").resource,
            "form_completions"
        );
        assert!("users_ful".parse::<Task>().expect_err("typo").contains("`users_ful`"));
        assert!("_audit".parse::<Task>().is_err());
    }
}
