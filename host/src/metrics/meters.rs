//! The process's own counters, which the recorded runs cannot give: time waited on the rate
//! budget per customer, plugin call latency per resource, plugin traps per customer and resource.
//! They start at zero with the process, as Prometheus counters may.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::runtime::{CallLatency, CallMeter};
use crate::throttle::RateBudget;

use super::{escape, family, header};

/// Counters the runs add to as they go; registering takes a lock once per run, counting none.
#[derive(Default)]
pub struct Meters {
    budgets: Mutex<BTreeMap<String, Arc<RateBudget>>>,
    latency: Mutex<BTreeMap<String, Arc<CallLatency>>>,
    traps: Mutex<BTreeMap<(String, String), Arc<AtomicU64>>>,
}

impl std::fmt::Debug for Meters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meters").finish_non_exhaustive()
    }
}

impl Meters {
    /// Shows the waits on `budget`, the rate budget of `customer`'s token.
    pub fn watch_budget(&self, customer: &str, budget: &Arc<RateBudget>) {
        let mut budgets = self.budgets.lock().expect("the meters lock");
        budgets.insert(customer.to_owned(), Arc::clone(budget));
    }

    /// The meter a worker running `customer`'s plugin for `resource` adds its calls to.
    pub fn call_meter(&self, customer: &str, resource: &str) -> CallMeter {
        let mut latency = self.latency.lock().expect("the meters lock");
        let latency = latency.entry(resource.to_owned()).or_default();
        let mut traps = self.traps.lock().expect("the meters lock");
        let traps = traps.entry((customer.to_owned(), resource.to_owned())).or_default();
        CallMeter { latency: Arc::clone(latency), traps: Arc::clone(traps) }
    }

    /// The counters in the text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let name = "reconciler_rate_budget_wait_seconds_total";
        family(&mut out, name, "Time requests waited for their token's rate budget.");
        for (customer, budget) in self.budgets.lock().expect("the meters lock").iter() {
            let waited = budget.waited().as_secs_f64();
            let _ = writeln!(out, "{name}{{customer=\"{}\"}} {waited}", escape(customer));
        }

        let name = "reconciler_plugin_call_seconds";
        let help = "Time the plugin took per record judged, each batch of records timed together.";
        header(&mut out, name, help, "histogram");
        for (resource, latency) in self.latency.lock().expect("the meters lock").iter() {
            let labels = format!("resource=\"{}\"", escape(resource));
            let totals = latency.totals();
            let bounds = totals.cumulative.iter().map(|(bound, calls)| (bound.to_string(), *calls));
            for (bound, calls) in bounds.chain([("+Inf".to_owned(), totals.calls)]) {
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {calls}");
            }
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", totals.seconds);
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", totals.calls);
        }

        let name = "reconciler_plugin_traps_total";
        family(&mut out, name, "Plugin calls that trapped or returned more than the caps allow.");
        for ((customer, resource), traps) in self.traps.lock().expect("the meters lock").iter() {
            let (customer, resource) = (escape(customer), escape(resource));
            let traps = traps.load(Ordering::Relaxed);
            let labels = format!("customer=\"{customer}\",resource=\"{resource}\"");
            let _ = writeln!(out, "{name}{{{labels}}} {traps}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::throttle::Priority;

    #[tokio::test(start_paused = true)]
    async fn a_customers_waits_on_its_budget_are_counted_in_seconds() {
        let meters = Meters::default();
        let budget = Arc::new(RateBudget::per_second(1.0));
        meters.watch_budget("acme", &budget);
        for _ in 0..3 {
            budget.acquire(Priority::Reconciliation).await;
        }
        let text = meters.render();
        let waited = "reconciler_rate_budget_wait_seconds_total{customer=\"acme\"} 2";
        assert!(text.contains(waited), "the first request waits nothing, the next two 1 s: {text}");
    }

    #[test]
    fn call_latency_is_a_histogram_per_resource_and_traps_count_per_customer() {
        let meters = Meters::default();
        let acme = meters.call_meter("acme", "users");
        let globex = meters.call_meter("globex", "users");
        assert!(Arc::ptr_eq(&acme.latency, &globex.latency), "one histogram per resource");
        acme.latency.observe(10, Duration::from_micros(20));
        acme.traps.fetch_add(2, Ordering::Relaxed);
        let text = meters.render();
        assert!(text.contains("# TYPE reconciler_plugin_call_seconds histogram"), "{text}");
        let bucket =
            "reconciler_plugin_call_seconds_bucket{resource=\"users\",le=\"0.0000025\"} 10";
        assert!(text.contains(bucket), "{text}");
        assert!(text.contains("reconciler_plugin_call_seconds_count{resource=\"users\"} 10"));
        let traps = "reconciler_plugin_traps_total{customer=\"acme\",resource=\"users\"} 2";
        assert!(text.contains(traps), "{text}");
        let none = "reconciler_plugin_traps_total{customer=\"globex\",resource=\"users\"} 0";
        assert!(text.contains(none), "{text}");
    }
}
