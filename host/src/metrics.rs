//! Prometheus metrics in the text exposition format: what the recorded runs add up to, per
//! customer and task, and the process's own counters ([`Meters`]).

mod meters;

use std::fmt::Write as _;

use crate::store::{Review, RunOutcome, RunTotals};

pub use meters::Meters;

/// The metrics text for the runs' totals and the reviews waiting. Runs still going are a gauge
/// of their own: a counter never goes down, and a running run soon ends.
pub fn render(totals: &[RunTotals], pending: &[Review]) -> String {
    let mut out = String::new();
    let labels = |t: &RunTotals| {
        format!("customer=\"{}\",task=\"{}\"", escape(&t.customer), escape(&t.task))
    };
    let running = RunOutcome::Running.as_str();
    family(&mut out, "reconciler_runs_total", "Runs recorded, by outcome.");
    for t in totals.iter().filter(|t| t.outcome != running) {
        let outcome = escape(&t.outcome);
        let _ = writeln!(
            out,
            "reconciler_runs_total{{{},outcome=\"{outcome}\"}} {}",
            labels(t),
            t.runs
        );
    }
    let sums: [Sum; 5] = [
        ("reconciler_records_checked_total", "Records the runs checked.", |t| t.checked),
        ("reconciler_gaps_total", "Records the runs found needing correction.", |t| t.gaps),
        ("reconciler_vomo_requests_total", "Requests the runs made to VOMO.", |t| t.requests),
        ("reconciler_actions_taken_total", "Actions carried out.", |t| t.actions_taken),
        ("reconciler_actions_failed_total", "Actions that failed.", |t| t.actions_failed),
    ];
    for (name, help, value) in sums {
        family(&mut out, name, help);
        for (key, sum) in by_task(totals, value) {
            let _ = writeln!(out, "{name}{{{key}}} {sum}");
        }
    }
    gauge(&mut out, "reconciler_runs_running", "Runs recorded as going now.");
    for t in totals.iter().filter(|t| t.outcome == running) {
        let _ = writeln!(out, "reconciler_runs_running{{{}}} {}", labels(t), t.runs);
    }
    gauge(&mut out, "reconciler_reviews_pending", "Runs whose actions wait for a person.");
    let mut customers: Vec<&str> = pending.iter().map(|r| r.customer.as_str()).collect();
    customers.sort_unstable();
    customers.dedup();
    for customer in customers {
        let count = pending.iter().filter(|r| r.customer == customer).count();
        let _ = writeln!(
            out,
            "reconciler_reviews_pending{{customer=\"{}\"}} {count}",
            escape(customer)
        );
    }
    out
}

/// A counter summed over runs: its name, its help and the total it adds up.
type Sum = (&'static str, &'static str, fn(&RunTotals) -> i64);

/// Opens a counter's family with its help and type.
fn family(out: &mut String, name: &str, help: &str) {
    header(out, name, help, "counter");
}

fn gauge(out: &mut String, name: &str, help: &str) {
    header(out, name, help, "gauge");
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `value` summed over outcomes, per customer and task, with their labels.
fn by_task(totals: &[RunTotals], value: fn(&RunTotals) -> i64) -> Vec<(String, i64)> {
    let mut sums: Vec<(String, i64)> = Vec::new();
    for t in totals {
        let key = format!("customer=\"{}\",task=\"{}\"", escape(&t.customer), escape(&t.task));
        match sums.iter_mut().find(|(k, _)| *k == key) {
            Some((_, sum)) => *sum += value(t),
            None => sums.push((key, value(t))),
        }
    }
    sums
}

/// A label value as the exposition format wants it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(outcome: &str, runs: i64, gaps: i64) -> RunTotals {
        RunTotals {
            customer: "ac\"me".into(),
            task: "users_full".into(),
            outcome: outcome.into(),
            runs,
            checked: 100,
            gaps,
            actions_taken: gaps,
            actions_failed: 0,
            requests: 7,
        }
    }

    #[test]
    fn runs_count_by_outcome_and_sums_add_outcomes_up() {
        let text = render(&[totals("failed", 1, 0), totals("succeeded", 3, 4)], &[]);
        let runs = "reconciler_runs_total{customer=\"ac\\\"me\",task=\"users_full\",\
                    outcome=\"succeeded\"} 3";
        assert!(text.contains(runs), "{text}");
        assert!(
            text.contains(
                "reconciler_records_checked_total{customer=\"ac\\\"me\",task=\"users_full\"} 200"
            ),
            "{text}"
        );
        assert!(text.contains("# TYPE reconciler_gaps_total counter"));
        assert!(
            text.contains("reconciler_gaps_total{customer=\"ac\\\"me\",task=\"users_full\"} 4")
        );
    }

    #[test]
    fn running_runs_are_a_gauge_and_never_a_runs_total_outcome() {
        let text = render(&[totals("running", 2, 0), totals("succeeded", 3, 4)], &[]);
        assert!(!text.contains("outcome=\"running\""), "{text}");
        assert!(text.contains("# TYPE reconciler_runs_running gauge"), "{text}");
        let gauge = "reconciler_runs_running{customer=\"ac\\\"me\",task=\"users_full\"} 2";
        assert!(text.contains(gauge), "{text}");
    }
}
