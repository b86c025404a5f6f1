//! The connector to a customer's external system: push a record, delete it, read it back.
//!
//! The contract is a small REST one (`PUT`, `GET`, `DELETE` on `/records/{resource}/{id}`); the
//! fake CRM of the simulator implements it, and a team adapts it to their system.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};
use serde_json::Value as Json;

use crate::http::{self, Trust};
use crate::vomo::Token;

/// How the external system answered a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The write was applied (2xx other than 202). Whether it really landed only an audit shows.
    Applied,
    /// The write was accepted for later (202); `push_id` tells how it ended.
    Pending { push_id: String },
}

/// A failed call to the external system, naming the record.
#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    #[error("invalid external system URL `{url}`: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("the external system did not answer for `{resource}/{id}`: {reason}")]
    Unreachable { resource: String, id: String, reason: String },
    #[error("the external system refused `{resource}/{id}` with {status}: {message}")]
    Refused { resource: String, id: String, status: u16, message: String },
}

/// A client of one external system.
#[derive(Debug, Clone)]
pub struct ExternalClient {
    http: reqwest::Client,
    base: Url,
    authorization: Option<HeaderValue>,
}

impl ExternalClient {
    /// A client trusting the system's roots.
    pub fn new(base_url: &str, token: Option<&Token>) -> Result<Self, ExternalError> {
        Self::with_trust(base_url, token, &Trust::system())
    }

    /// A client verifying the external system's certificate as `trust` says.
    pub fn with_trust(
        base_url: &str,
        token: Option<&Token>,
        trust: &Trust,
    ) -> Result<Self, ExternalError> {
        let bad = |reason: String| ExternalError::BadUrl { url: base_url.to_owned(), reason };
        let base = Url::parse(base_url.trim_end_matches('/')).map_err(|e| bad(e.to_string()))?;
        let authorization = match token {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| bad("the token cannot be sent in a header".to_owned()))?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let http = http::builder(trust)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(ExternalClient { http, base, authorization })
    }

    /// Pushes a record: creates or replaces it.
    pub async fn upsert(
        &self,
        resource: &str,
        id: u64,
        record: &(impl serde::Serialize + ?Sized),
    ) -> Result<PushOutcome, ExternalError> {
        self.upsert_once(resource, id, record, None).await
    }

    /// Pushes a record under an idempotency key: the system applies a key at most once, so a
    /// push repeated after a crash is answered without being applied twice.
    pub async fn upsert_once(
        &self,
        resource: &str,
        id: u64,
        record: &(impl serde::Serialize + ?Sized),
        key: Option<&str>,
    ) -> Result<PushOutcome, ExternalError> {
        let request = with_key(self.http.put(self.url(resource, id)).json(record), key);
        let (status, body) = self.send(request, resource, id).await?;
        outcome(resource, id, status, &body)
    }

    /// Deletes a record; deleting one that is not there is applied, so retries are harmless.
    pub async fn delete(&self, resource: &str, id: u64) -> Result<PushOutcome, ExternalError> {
        self.delete_once(resource, id, None).await
    }

    /// Deletes a record under an idempotency key.
    pub async fn delete_once(
        &self,
        resource: &str,
        id: u64,
        key: Option<&str>,
    ) -> Result<PushOutcome, ExternalError> {
        let request = with_key(self.http.delete(self.url(resource, id)), key);
        let (status, body) = self.send(request, resource, id).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(PushOutcome::Applied),
            _ => outcome(resource, id, status, &body),
        }
    }

    /// Reads a record back: its stored document, or none when the system does not hold it.
    pub async fn get(&self, resource: &str, id: u64) -> Result<Option<Json>, ExternalError> {
        let request = self.http.get(self.url(resource, id));
        match self.send(request, resource, id).await? {
            (StatusCode::NOT_FOUND, _) => Ok(None),
            (status, body) if status.is_success() => {
                Ok(Some(body.get("data").cloned().unwrap_or(body)))
            }
            (status, body) => Err(refused(resource, id, status, &body)),
        }
    }

    fn url(&self, resource: &str, id: u64) -> Url {
        let mut url = self.base.clone();
        let path = format!("{}/records/{resource}/{id}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    async fn send(
        &self,
        mut request: reqwest::RequestBuilder,
        resource: &str,
        id: u64,
    ) -> Result<(StatusCode, Json), ExternalError> {
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let unreachable = |e: reqwest::Error| ExternalError::Unreachable {
            resource: resource.to_owned(),
            id: id.to_string(),
            reason: http::failure(&e),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok((status, body))
    }
}

fn with_key(request: reqwest::RequestBuilder, key: Option<&str>) -> reqwest::RequestBuilder {
    match key {
        Some(key) => request.header("Idempotency-Key", key),
        None => request,
    }
}

/// Reads a write's answer: 202 is queued, any other 2xx applied, the rest refused.
fn outcome(
    resource: &str,
    id: u64,
    status: StatusCode,
    body: &Json,
) -> Result<PushOutcome, ExternalError> {
    match status {
        StatusCode::ACCEPTED => {
            let push_id = match body.get("push_id") {
                Some(Json::String(id)) => id.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            Ok(PushOutcome::Pending { push_id })
        }
        status if status.is_success() => Ok(PushOutcome::Applied),
        status => Err(refused(resource, id, status, body)),
    }
}

fn refused(resource: &str, id: u64, status: StatusCode, body: &Json) -> ExternalError {
    let message = match body.get("message").and_then(Json::as_str) {
        Some(message) => message.to_owned(),
        None => body.to_string().chars().take(300).collect(),
    };
    ExternalError::Refused {
        resource: resource.to_owned(),
        id: id.to_string(),
        status: status.as_u16(),
        message,
    }
}
