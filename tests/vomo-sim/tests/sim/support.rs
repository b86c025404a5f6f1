//! Starting a simulator for a test and talking to it.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use vomo_sim::{SimConfig, SimHandle, Simulator};

/// A started simulator plus an HTTP client.
pub struct Harness {
    pub sim: SimHandle,
    pub http: reqwest::Client,
}

/// An answer: status, headers and the JSON body (`Null` when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A client to talk to the servers with. Built with the workspace, reqwest has the host's rustls
/// without a crypto provider, and panics building a client before one is installed.
pub fn http() -> reqwest::Client {
    // Any test may come first; a second installation is refused, harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A simulator with the small data set and no rate limit.
pub async fn start() -> Harness {
    start_with(SimConfig { rate_limit: None, ..SimConfig::default() }).await
}

pub async fn start_with(config: SimConfig) -> Harness {
    let sim = Simulator::start(config).await.expect("simulator starts");
    Harness { sim, http: http() }
}

impl Harness {
    /// The token of customer `id`.
    pub fn token(&self, id: u32) -> String {
        self.sim
            .customers()
            .into_iter()
            .find(|c| c.id == id)
            .map(|c| c.token)
            .expect("customer exists")
    }

    /// An absolute URL below the base for a path such as `/users?page=2`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    /// GET as customer `customer`.
    pub async fn get(&self, customer: u32, path: &str) -> Answer {
        self.get_as(Some(&format!("Bearer {}", self.token(customer))), path).await
    }

    /// GET with an arbitrary `Authorization` header, or none.
    pub async fn get_as(&self, authorization: Option<&str>, path: &str) -> Answer {
        let mut request = self.http.get(self.url(path));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        answer(request.send().await.expect("request is answered")).await
    }

    /// A request with a JSON body as customer `customer`.
    pub async fn send(
        &self,
        customer: u32,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request =
            self.http.request(method, self.url(path)).bearer_auth(self.token(customer));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        answer(request.send().await.expect("request is answered")).await
    }

    /// Ids in `data` of a list answer.
    pub async fn ids(&self, customer: u32, path: &str) -> Vec<u64> {
        let answer = self.get(customer, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
        ids(&answer.body)
    }

    /// Every id of a listing, following `links.next`.
    pub async fn all_ids(&self, customer: u32, path: &str) -> Vec<u64> {
        let mut url = self.url(path);
        let mut all = Vec::new();
        loop {
            let response = self
                .http
                .get(&url)
                .bearer_auth(self.token(customer))
                .send()
                .await
                .expect("page is answered");
            let body: Value = response.json().await.expect("page is JSON");
            all.extend(ids(&body));
            match body["links"]["next"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return all,
            }
        }
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body arrives");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, headers, body }
}

/// The `id`s of a list body's `data`, numeric or string.
pub fn ids(body: &Value) -> Vec<u64> {
    body["data"].as_array().expect("data is a list").iter().map(|item| id_of(&item["id"])).collect()
}

/// A numeric or string id as a number.
pub fn id_of(value: &Value) -> u64 {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .expect("id is a number or a numeric string")
}
