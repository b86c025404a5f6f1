//! Alerts leave the host: each one as a log line, and, with a webhook configured, as a POST
//! signed with HMAC-SHA256 like VOMO's own webhooks. Also the alerts only a view over many runs
//! can raise: a day's gap rate above its threshold, a customer far above the others.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::config::Thresholds;
use crate::health::sync_health;
use crate::store::{Alert, RunId, Store, StoreError, now_micros};

/// The header carrying a delivery's signature: `sha256=` and the hex HMAC of the body.
pub const SIGNATURE_HEADER: &str = "x-reconciler-signature";

/// How long to wait before each retry of a delivery that failed: three attempts in all, as VOMO
/// makes for its own webhooks.
const RETRIES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(5)];

/// A customer is far above the others when its 30-day gap rate is this many times their median.
const OUTLIER_FACTOR: f64 = 5.0;

/// Where alerts are posted, and the secret they are signed with.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: reqwest::Url,
    secret: String,
    http: reqwest::Client,
}

impl Webhook {
    pub fn new(url: &str, secret: String) -> Result<Webhook, String> {
        let url =
            reqwest::Url::parse(url).map_err(|e| format!("alerts.webhook_url `{url}`: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Webhook { url, secret, http })
    }

    /// Posts `alert`, retrying twice; says why when every attempt failed.
    pub async fn deliver(&self, alert: &Alert) -> Result<(), String> {
        let body = body(alert);
        let signature = format!("sha256={}", sign(self.secret.as_bytes(), body.as_bytes()));
        let mut waits = RETRIES.iter();
        loop {
            let sent = self
                .http
                .post(self.url.clone())
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .body(body.clone())
                .send()
                .await;
            let failure = match sent {
                Ok(answer) if answer.status().is_success() => return Ok(()),
                Ok(answer) => format!("the webhook answered {}", answer.status()),
                Err(error) => format!("the webhook could not be reached: {error}"),
            };
            match waits.next() {
                Some(wait) => tokio::time::sleep(*wait).await,
                None => return Err(failure),
            }
        }
    }
}

/// The hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

fn body(alert: &Alert) -> String {
    let at = chrono::DateTime::from_timestamp_micros(alert.created_at).unwrap_or_default();
    json!({
        "type": "alert",
        "customer": alert.customer,
        "run_id": alert.run_id,
        "severity": alert.severity,
        "kind": alert.kind,
        "message": alert.message,
        "created_at": at.to_rfc3339(),
    })
    .to_string()
}

/// Logs each alert and posts it to `webhook`; a delivery that fails is logged, never fatal.
pub async fn send(webhook: Option<&Webhook>, alerts: &[Alert]) {
    for alert in alerts {
        tracing::warn!(customer = %alert.customer, run_id = alert.run_id,
            severity = %alert.severity, kind = %alert.kind, message = %alert.message, "alert");
        if let Some(webhook) = webhook
            && let Err(error) = webhook.deliver(alert).await
        {
            tracing::error!(customer = %alert.customer, kind = %alert.kind, %error,
                "alert not delivered");
        }
    }
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
    let today = now.date_naive();
    let recent = store.alerts(customer, 200).await?;
    let raised_today = |kind: &str| {
        recent.iter().any(|a| {
            a.kind == kind
                && chrono::DateTime::from_timestamp_micros(a.created_at)
                    .is_some_and(|at| at.date_naive() == today)
        })
    };
    raised.retain(|alert| !raised_today(&alert.kind));
    for alert in &raised {
        store.add_alert(alert).await?;
    }
    Ok(raised)
}

fn median(rates: &mut [f64]) -> Option<f64> {
    if rates.is_empty() {
        return None;
    }
    rates.sort_by(f64::total_cmp);
    Some(rates[rates.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let signed = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(signed, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
