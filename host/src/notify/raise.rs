//! The alerts the service raises beyond a run's own: a run that failed, a plugin quarantined for
//! a customer, and what a day of a customer's runs adds up to (a gap rate above its threshold, a
//! rate far above the other customers'). Each is recorded before it is sent.

use crate::config::Thresholds;
use crate::health::sync_health;
use crate::store::{Alert, Micros, RunId, Store, StoreError, now_micros};

/// A customer is far above the others when its 30-day gap rate is this many times their median.
const OUTLIER_FACTOR: f64 = 5.0;

/// Records and returns the alert of `customer`'s run of `task` failing with `error`: at most
/// one a day per customer, since a revoked token fails every run until someone acts, and the
/// runs themselves record each failure.
pub async fn run_failed(
    store: &Store,
    customer: &str,
    run: Option<RunId>,
    task: &str,
    error: &str,
) -> Result<Option<Alert>, StoreError> {
    let message = format!("{task} failed: {error}");
    let alert = Alert::now(customer, run, "high", "run_failed", message);
    record_once_a_day(store, vec![alert]).await.map(|mut kept| kept.pop())
}

/// Records and returns the alert of `plugin`, `customer`'s plugin for `resource`, quarantined
/// after repeated traps. The plugin says so once per quarantine, so this is raised once.
pub async fn plugin_quarantined(
    store: &Store,
    customer: &str,
    run: Option<RunId>,
    resource: &str,
    plugin: &str,
) -> Result<Alert, StoreError> {
    let message = format!(
        "plugin `{plugin}` trapped repeatedly on customer `{customer}`'s `{resource}` records \
         and is quarantined for them: its calls are refused until the plugin is loaded again"
    );
    let alert = Alert::now(customer, run, "high", "plugin_quarantined", message);
    store.add_alert(&alert).await?;
    Ok(alert)
}

/// The alerts the customer's runs add up to after `run`: today's gap rate above the threshold,
/// and a 30-day gap rate far above the other customers' (once a day each). They are recorded
/// and returned.
pub async fn health_alerts(
    store: &Store,
    thresholds: &Thresholds,
    customers: &[String],
    customer: &str,
    run: RunId,
) -> Result<Vec<Alert>, StoreError> {
    let now = chrono::Utc::now();
    let since = now_micros() - crate::health::DAYS * 24 * 3_600 * 1_000_000;
    let threshold = thresholds.daily_gap_rate;
    let health = sync_health(&store.runs_since(customer, since).await?, now, threshold);
    let mut raised = Vec::new();
    if let Some(rate) = health.days.last().and_then(|day| day.gap_rate).filter(|r| *r > threshold) {
        let message =
            format!("today's gap rate is {:.1} %, above {:.1} %", rate * 100.0, threshold * 100.0);
        raised.push(Alert::now(customer, Some(run), "high", "daily_gap_rate", message));
    }
    // One query for the whole fleet, not one per customer: runs end often, fleets are large.
    let totals = store.gap_totals_since(since).await?;
    let configured = |name: &String| customers.contains(name) && name != customer;
    let mut others: Vec<f64> = totals
        .iter()
        .filter(|(name, _, checked)| configured(name) && *checked > 0)
        .map(|(_, gaps, checked)| *gaps as f64 / *checked as f64)
        .collect();
    if let (Some(rate), Some(median)) = (health.gap_rate, median(&mut others))
        && others.len() >= 2
        && rate > threshold
        && rate > median * OUTLIER_FACTOR
    {
        let message = format!(
            "30-day gap rate {:.1} % is far above the other customers' median of {:.1} %: \
             look at this customer's token, rate limits and data",
            rate * 100.0,
            median * 100.0
        );
        raised.push(Alert::now(customer, Some(run), "high", "gap_rate_outlier", message));
    }
    record_once_a_day(store, raised).await
}

/// Records the alerts whose customer has none of their kind yet today (UTC), and returns them.
async fn record_once_a_day(store: &Store, alerts: Vec<Alert>) -> Result<Vec<Alert>, StoreError> {
    let mut kept = Vec::new();
    for alert in alerts {
        if store.alert_raised_since(&alert.customer, &alert.kind, start_of_today()).await? {
            continue;
        }
        store.add_alert(&alert).await?;
        kept.push(alert);
    }
    Ok(kept)
}

fn start_of_today() -> Micros {
    let midnight = chrono::Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap_or_default();
    midnight.and_utc().timestamp_micros()
}

fn median(rates: &mut [f64]) -> Option<f64> {
    if rates.is_empty() {
        return None;
    }
    rates.sort_by(f64::total_cmp);
    Some(rates[rates.len() / 2])
}
