//! Alerts leave the host: each one as a log line, and, with a webhook configured, as a POST
//! signed with HMAC-SHA256 like VOMO's own webhooks. The alerts the service raises beyond a
//! run's own are in `raise`.

mod raise;

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::http::{self, Trust};
use crate::store::Alert;

pub use raise::{health_alerts, plugin_quarantined, run_failed};

/// The header carrying a delivery's signature: `sha256=` and the hex HMAC of the body.
pub const SIGNATURE_HEADER: &str = "x-reconciler-signature";

/// How long to wait before each retry of a delivery that failed: three attempts in all, as VOMO
/// makes for its own webhooks.
const RETRIES: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(5)];

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
        let http = http::builder(&Trust::system())
            .timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Webhook { url, secret, http })
    }

    /// Posts `alert`, raised `count` times, retrying twice; says why when every attempt failed.
    pub async fn deliver(&self, alert: &Alert, count: usize) -> Result<(), String> {
        let body = body(alert, count);
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
                Err(error) => {
                    format!("the webhook could not be reached: {}", http::failure(&error))
                }
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

fn body(alert: &Alert, count: usize) -> String {
    let at = chrono::DateTime::from_timestamp_micros(alert.created_at).unwrap_or_default();
    json!({
        "type": "alert",
        "customer": alert.customer,
        "run_id": alert.run_id,
        "severity": alert.severity,
        "kind": alert.kind,
        "message": alert.message,
        "count": count,
        "created_at": at.to_rfc3339(),
    })
    .to_string()
}

/// Logs each distinct alert once and posts it to `webhook` with how many times it was raised: a
/// run whose plugin alerts on every record it repairs sends one post, not thousands. A delivery
/// that fails is logged, never fatal.
pub async fn send(webhook: Option<&Webhook>, alerts: &[Alert]) {
    for (alert, count) in distinct(alerts) {
        tracing::warn!(customer = %alert.customer, run_id = alert.run_id,
            severity = %alert.severity, kind = %alert.kind, count, message = %alert.message,
            "alert");
        if let Some(webhook) = webhook
            && let Err(error) = webhook.deliver(alert, count).await
        {
            tracing::error!(customer = %alert.customer, kind = %alert.kind, %error,
                "alert not delivered");
        }
    }
}

/// The alerts that differ in customer, run, severity, kind or message, in the order first
/// raised, each with how many times it was.
fn distinct(alerts: &[Alert]) -> Vec<(&Alert, usize)> {
    let mut distinct: Vec<(&Alert, usize)> = Vec::new();
    let mut index: HashMap<_, usize> = HashMap::new();
    for alert in alerts {
        let key = (&alert.customer, alert.run_id, &alert.severity, &alert.kind, &alert.message);
        match index.get(&key) {
            Some(&at) => distinct[at].1 += 1,
            None => {
                index.insert(key, distinct.len());
                distinct.push((alert, 1));
            }
        }
    }
    distinct
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_alerts_are_delivered_once_with_their_count() {
        let alert = |message: &str| Alert::now("acme", Some(7), "low", "plugin", message.into());
        let alerts = [alert("group re-parented"), alert("renamed"), alert("group re-parented")];
        let distinct = distinct(&alerts);
        let seen: Vec<(&str, usize)> =
            distinct.iter().map(|(alert, count)| (alert.message.as_str(), *count)).collect();
        assert_eq!(seen, [("group re-parented", 2), ("renamed", 1)]);
        assert!(body(distinct[0].0, 2).contains("\"count\":2"));
    }

    #[test]
    fn signatures_are_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let signed = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(signed, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
