//! Which task caught each injected failure, what was done, and whether the records now agree.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;
use vomo_sim::{Control, ExternalHandle, Resource};

use crate::engine::{RunSummary, Task};
use crate::store::{Store, StoreError};

use super::faults::Injected;

/// One failure as the demo reports it.
#[derive(Debug, Clone, Serialize)]
pub struct FaultReport {
    pub fault: String,
    pub resource: String,
    pub customer: String,
    pub records: Vec<u64>,
    /// The first task whose findings name every record of the failure; none if missed.
    pub caught_by: Option<String>,
    /// What that task did about it.
    pub action: Option<String>,
    /// Whether VOMO and the external system agree on the records afterwards.
    pub repaired: bool,
}

/// The whole demo's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub faults: Vec<FaultReport>,
    /// Failures no task caught.
    pub missed: usize,
    pub runs: Vec<RunSummary>,
}

/// Finds, for each failure, the first run that found all its records.
pub async fn attribute(
    store: &Store,
    injected: &[Injected],
    runs: &[RunSummary],
    control: &Control,
    crm: &ExternalHandle,
) -> Result<DemoReport, StoreError> {
    let mut faults = Vec::new();
    for fault in injected {
        let mut report = FaultReport {
            fault: fault.fault.to_owned(),
            resource: fault.resource.clone(),
            customer: fault.customer.clone(),
            records: fault.ids.clone(),
            caught_by: None,
            action: None,
            repaired: repaired(fault, control, crm),
        };
        let of_fault = |run: &&RunSummary| {
            let resource = run.task.parse::<Task>().map(|task| task.resource);
            run.customer == fault.customer && resource.as_deref() == Ok(fault.resource.as_str())
        };
        for run in runs.iter().filter(of_fault) {
            let found: BTreeSet<u64> =
                store.findings(run.run_id).await?.into_iter().map(|f| f.record_id).collect();
            if fault.ids.iter().all(|id| found.contains(id)) {
                let actions = store.run_actions(run.run_id).await?;
                let done: BTreeSet<String> = actions
                    .into_iter()
                    .filter(|a| fault.ids.contains(&a.record_id))
                    .map(|a| format!("{} ({})", a.action, a.state.as_str()))
                    .collect();
                report.caught_by = Some(run.task.clone());
                report.action = Some(done.into_iter().collect::<Vec<_>>().join(", "));
                break;
            }
        }
        faults.push(report);
    }
    let missed = faults.iter().filter(|f| f.caught_by.is_none()).count();
    Ok(DemoReport { faults, missed, runs: runs.to_vec() })
}

/// Whether the external system now holds what VOMO holds for each record (nothing, for a
/// deleted one; VOMO's copy, for one moved out of scope, is not the integration's to delete),
/// judged on the fields the demo's failures change.
fn repaired(fault: &Injected, control: &Control, crm: &ExternalHandle) -> bool {
    let (resource, fields): (Resource, &[&str]) = match fault.resource.as_str() {
        "projects" => (Resource::Projects, &["all_dates"]),
        "groups" => (Resource::Groups, &["members"]),
        "form_completions" => (Resource::FormCompletions, &["field_responses"]),
        // A cancelled participation has no record of its own left in VOMO.
        "participations" => {
            return fault.ids.iter().all(|id| crm.get("participations", &id.to_string()).is_none());
        }
        _ => (Resource::Users, &["first_name", "phone"]),
    };
    fault.ids.iter().all(|id| {
        let mut vomo = control.record(resource, *id as u32);
        if let (Some(vomo), Resource::Groups) = (vomo.as_mut(), resource) {
            // A group's detail does not carry its members; VOMO lists them on their own.
            let members = control.members(*id as u32).unwrap_or_default();
            vomo["members"] = serde_json::json!(members);
        }
        let external = crm.get(&fault.resource, &id.to_string());
        match (vomo, external) {
            (None, None) => true,
            (Some(vomo), Some(external)) => {
                fields.iter().all(|field| vomo.get(field) == external.data.get(field))
            }
            _ => false,
        }
    })
}

fn caught_by(fault: &FaultReport) -> &str {
    fault.caught_by.as_deref().unwrap_or("MISSED")
}

/// The report as a table for people, each column as wide as its longest entry.
pub fn render(report: &DemoReport) -> String {
    let mut out = String::new();
    let fault_width = report.faults.iter().map(|f| f.fault.len()).max().unwrap_or(0).max(7);
    let caught_width = report.faults.iter().map(|f| caught_by(f).len()).max().unwrap_or(0);
    let caught_width = caught_width.max(9);
    let _ = writeln!(
        out,
        "{:<fault_width$} {:<9} {:<caught_width$} action",
        "failure", "customer", "caught by"
    );
    for fault in &report.faults {
        let action = fault.action.as_deref().unwrap_or("-");
        let repaired = if fault.repaired { "" } else { " [not repaired]" };
        let _ = writeln!(
            out,
            "{:<fault_width$} {:<9} {:<caught_width$} {action}{repaired}",
            fault.fault,
            fault.customer,
            caught_by(fault)
        );
    }
    let _ = writeln!(out);
    let task_width = report.runs.iter().map(|run| run.task.len()).max().unwrap_or(0).max(4);
    let _ = writeln!(
        out,
        "{:<task_width$} {:<9} {:>7} {:>5} {:>8} {:>7} {:>8}",
        "task", "customer", "checked", "gaps", "actions", "breaker", "requests"
    );
    for run in &report.runs {
        let breaker = if run.breaker.is_some() { "open" } else { "closed" };
        let _ = writeln!(
            out,
            "{:<task_width$} {:<9} {:>7} {:>5} {:>8} {:>7} {:>8}",
            run.task,
            run.customer,
            run.checked,
            run.gaps,
            run.executed.taken,
            breaker,
            run.requests
        );
    }
    let caught = report.faults.len() - report.missed;
    let _ = writeln!(
        out,
        "\n{caught} of {} failures caught, {} missed",
        report.faults.len(),
        report.missed
    );
    out
}
