//! The VOMO API client: listings followed through `links.next`, detail fetches, and the retry
//! loop every request goes through.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use tokio::time::Instant;

use super::ahead::ReadAhead;
use super::catalog::{Elsewhere, Nesting, detail_path, nesting};
use super::error::VomoError;
use super::page::{Page, RecordSchema, VomoRecord, parse_detail, parse_embedded, parse_page};
use super::quirks::coerce_field;
use super::retry::RetryPolicy;
use super::token::Token;
use crate::http::{self, Trust};
use crate::throttle::{Priority, RateBudget};

/// The longest `Retry-After` honoured; a longer one is capped, so one odd answer cannot hold a
/// token for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// What a client needs to reach one customer's data.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The API base, such as `https://api.vomo.org/v1`.
    pub base_url: String,
    /// The customer's name in logs and errors.
    pub customer: String,
    pub token: Token,
    /// The token's shared budget.
    pub budget: Arc<RateBudget>,
    pub retry: RetryPolicy,
    /// The most one request may take, body included.
    pub timeout: Duration,
}

/// A listing's filters. `updated_after` and `updated_before` are inclusive on VOMO's side.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub updated_after: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Any other documented filter, passed as is.
    pub params: Vec<(String, String)>,
}

/// What a detail fetch found.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// 200: the record exists and this token may see it.
    Found(VomoRecord),
    /// 404: deleted, never existed, or foreign to the token.
    Gone,
    /// 403: the token may not see it.
    Forbidden,
}

/// A client for one customer.
#[derive(Debug)]
pub struct VomoClient {
    http: reqwest::Client,
    base: Url,
    customer: String,
    authorization: HeaderValue,
    budget: Arc<RateBudget>,
    retry: RetryPolicy,
    requests: AtomicU64,
    retries_spent: AtomicU32,
}

impl VomoClient {
    /// A client trusting the system's roots.
    pub fn new(config: ClientConfig) -> Result<Self, VomoError> {
        Self::with_trust(config, &Trust::system())
    }

    /// A client verifying VOMO's certificate as `trust` says.
    pub fn with_trust(config: ClientConfig, trust: &Trust) -> Result<Self, VomoError> {
        let bad_url =
            |reason: String| VomoError::BadBaseUrl { url: config.base_url.clone(), reason };
        let mut base = Url::parse(config.base_url.trim_end_matches('/'))
            .map_err(|e| bad_url(e.to_string()))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(bad_url("not an http(s) URL".to_owned()));
        }
        base.set_query(None);

        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token.expose()))
            .map_err(|_| bad_url("the token holds characters a header cannot carry".to_owned()))?;
        authorization.set_sensitive(true);
        let http = http::builder(trust)
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| bad_url(e.to_string()))?;

        Ok(VomoClient {
            http,
            base,
            customer: config.customer,
            authorization,
            budget: config.budget,
            retry: config.retry,
            requests: AtomicU64::new(0),
            retries_spent: AtomicU32::new(0),
        })
    }

    /// The customer this client serves.
    pub fn customer(&self) -> &str {
        &self.customer
    }

    /// Requests sent so far, retries and 429s included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Starts a listing of `resource`; pages are read one at a time with [`Lister::next_page`].
    /// A resource VOMO lists only below another (a form's completions) is listed parent by
    /// parent, each record carrying its parent.
    pub fn list<'a>(
        &'a self,
        resource: &'a str,
        query: &ListQuery,
        priority: Priority,
        schema: &'a RecordSchema,
    ) -> Lister<'a> {
        let elsewhere = Elsewhere::of(resource, schema);
        let mut lister = Lister::new(self, resource, schema, priority, elsewhere);
        match nesting(resource) {
            Some(Nesting::Listed { parent, below }) => {
                let parents = self.list(parent, &ListQuery::default(), priority, &IDS_ONLY);
                lister.nested = Some(Box::new(Nested {
                    parents,
                    below,
                    query: query.clone(),
                    pending: VecDeque::new(),
                    current: None,
                    gone: Vec::new(),
                }));
            }
            _ => lister.next = Some(self.list_url(resource, query)),
        }
        lister
    }

    /// Starts a listing of the records of nested `resource` below one `parent` alone.
    pub fn list_below<'a>(
        &'a self,
        resource: &'a str,
        parent: u64,
        priority: Priority,
        schema: &'a RecordSchema,
    ) -> Lister<'a> {
        let mut lister = self.list(resource, &ListQuery::default(), priority, schema);
        if let Some(nested) = lister.nested.as_mut() {
            nested.parents.next = None;
            nested.pending.push_back(parent);
        }
        lister
    }

    /// The URL of the first page of a listing at `path`.
    fn list_url(&self, path: &str, query: &ListQuery) -> Url {
        let mut url = self.resource_url(path);
        {
            let mut pairs = url.query_pairs_mut();
            let stamp = |at: &DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
            if let Some(after) = &query.updated_after {
                pairs.append_pair("updated_after", &stamp(after));
            }
            if let Some(before) = &query.updated_before {
                pairs.append_pair("updated_before", &stamp(before));
            }
            for (key, value) in &query.params {
                pairs.append_pair(key, value);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }

    /// Reads the records VOMO embeds in the detail of `parent` (a project date's participants),
    /// each carrying its parent; none when the parent is gone (404).
    pub async fn embedded(
        &self,
        resource: &str,
        parent: u64,
        priority: Priority,
        schema: &RecordSchema,
    ) -> Result<Option<Vec<VomoRecord>>, VomoError> {
        let Some(Nesting::Embedded { path, field }) = nesting(resource) else {
            return Err(VomoError::Invalid {
                customer: self.customer.clone(),
                resource: resource.to_owned(),
                message: "it is not embedded in another record's detail".to_owned(),
            });
        };
        let path = format!("{path}/{parent}");
        let url = self.resource_url(&path);
        let (status, body) = self.send(&url, priority, &path, 0).await?;
        match status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            status => return Err(self.refusal(&path, status, &body)),
        }
        let records = parse_embedded(&body, field, schema).map_err(self.malformed(&path, 0))?;
        let below = |mut record: VomoRecord| {
            record.parent = Some(parent);
            record
        };
        Ok(Some(records.into_iter().map(below).collect()))
    }

    /// Fetches one record's detail, with the fields VOMO lists below it.
    pub async fn detail(
        &self,
        resource: &str,
        id: u64,
        priority: Priority,
        schema: &RecordSchema,
    ) -> Result<Detail, VomoError> {
        self.detail_below(resource, id, None, priority, schema).await
    }

    /// Fetches the detail of record `id`, listed below `parent` when its resource is nested.
    pub async fn detail_below(
        &self,
        resource: &str,
        id: u64,
        parent: Option<u64>,
        priority: Priority,
        schema: &RecordSchema,
    ) -> Result<Detail, VomoError> {
        let detail = self.bare_detail(resource, id, parent, priority, schema).await?;
        let listed = Elsewhere::of(resource, schema).listed;
        match detail {
            Detail::Found(mut record) if !listed.is_empty() => {
                self.read_listed(resource, &mut record, &listed, priority, schema).await?;
                Ok(Detail::Found(record))
            }
            other => Ok(other),
        }
    }

    /// Reads what a page's listing left out of its records: each record's detail, the fields
    /// listed below it. A record whose detail is gone or refused by now is left out of the page:
    /// it changed after the listing was read, and the next read sees it as it is then.
    async fn complete(
        &self,
        resource: &str,
        records: Vec<VomoRecord>,
        elsewhere: &Elsewhere,
        priority: Priority,
        schema: &RecordSchema,
    ) -> Result<Vec<VomoRecord>, VomoError> {
        let mut complete = Vec::with_capacity(records.len());
        for mut record in records {
            if elsewhere.detail {
                let parent = record.parent;
                match self.bare_detail(resource, record.id, parent, priority, schema).await? {
                    Detail::Found(detail) => record = detail,
                    Detail::Gone | Detail::Forbidden => {
                        tracing::info!(customer = %self.customer, resource, id = record.id,
                            "listed record no longer shown in detail; left for the next read");
                        continue;
                    }
                }
            }
            self.read_listed(resource, &mut record, &elsewhere.listed, priority, schema).await?;
            complete.push(record);
        }
        Ok(complete)
    }

    /// Lists each field VOMO keeps below `record` (`/groups/{id}/members`) and sets it, in its
    /// value and in the raw record pushed downstream, as the list of the listed ids.
    async fn read_listed(
        &self,
        resource: &str,
        record: &mut VomoRecord,
        listed: &[(usize, &'static str)],
        priority: Priority,
        schema: &RecordSchema,
    ) -> Result<(), VomoError> {
        for &(position, field) in listed {
            let path = format!("{resource}/{}/{field}", record.id);
            let mut listing = self.list(&path, &ListQuery::default(), priority, &IDS_ONLY);
            let mut ids = Vec::new();
            while let Some(page) = listing.read_page().await? {
                ids.extend(page.records.iter().map(|member| serde_json::Value::from(member.id)));
            }
            let ids = serde_json::Value::Array(ids);
            let malformed = self.malformed(&path, 0);
            let (kind, parts) = schema.field(position);
            record.values[position] = coerce_field(kind, parts, &ids).map_err(&malformed)?;
            record.set_raw_field(field, ids).map_err(malformed)?;
        }
        Ok(())
    }

    /// Fetches one record's detail as VOMO answers it.
    async fn bare_detail(
        &self,
        resource: &str,
        id: u64,
        parent: Option<u64>,
        priority: Priority,
        schema: &RecordSchema,
    ) -> Result<Detail, VomoError> {
        let url = self.resource_url(&detail_path(resource, id, parent));
        let (status, body) = self.send(&url, priority, resource, 0).await?;
        match status {
            StatusCode::OK => parse_detail(&body, schema)
                .map(|mut record| {
                    record.parent = parent;
                    Detail::Found(record)
                })
                .map_err(self.malformed(&detail_path(resource, id, parent), 0)),
            StatusCode::NOT_FOUND => Ok(Detail::Gone),
            StatusCode::FORBIDDEN => Ok(Detail::Forbidden),
            status => Err(self.refusal(resource, status, &body)),
        }
    }

    fn resource_url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}/{}", url.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// Sends a GET until it gets an answer worth acting on: transient failures and 5xx are
    /// retried with backoff, 429s wait out `Retry-After` on the whole token's budget.
    pub(super) async fn send(
        &self,
        url: &Url,
        priority: Priority,
        resource: &str,
        page: u32,
    ) -> Result<(StatusCode, Bytes), VomoError> {
        let mut failures = 0;
        let mut rate_limited = 0;
        loop {
            self.budget.acquire(priority).await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let request = self.http.get(url.clone()).header(AUTHORIZATION, &self.authorization);
            let failure = match request.send().await {
                Err(error) => match http::untrusted(&error) {
                    // Retries meet the same certificate: only the configuration can mend it.
                    Some(reason) => return Err(self.untrusted(url, reason)),
                    None => format!("request failed: {error}"),
                },
                Ok(response) if response.status() == StatusCode::TOO_MANY_REQUESTS => {
                    rate_limited += 1;
                    let wait = retry_after(response.headers()).unwrap_or(Duration::from_secs(1));
                    let wait = wait.min(MAX_RETRY_AFTER);
                    self.budget.hold_until(Instant::now() + wait);
                    tracing::debug!(customer = %self.customer, resource, page, ?wait,
                        "rate limited");
                    if rate_limited > self.retry.max_rate_limited {
                        return Err(self.gave_up(
                            resource,
                            page,
                            failures + rate_limited,
                            "429 after 429",
                        ));
                    }
                    continue;
                }
                Ok(response) if response.status().is_server_error() => {
                    format!("VOMO answered {}", response.status())
                }
                Ok(response) => {
                    let status = response.status();
                    match response.bytes().await {
                        Ok(body) => return Ok((status, body)),
                        Err(error) => format!("the response body broke off: {error}"),
                    }
                }
            };

            failures += 1;
            let budget_left =
                self.retries_spent.fetch_add(1, Ordering::Relaxed) < self.retry.budget;
            if failures >= self.retry.attempts || !budget_left {
                return Err(self.gave_up(resource, page, failures + rate_limited, &failure));
            }
            let wait = self.retry.backoff(failures);
            tracing::info!(customer = %self.customer, resource, page, failures, ?wait, failure,
                "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// The error for an answer from `resource` (page `page`, 0 for a detail) that cannot be read.
    fn malformed(&self, resource: &str, page: u32) -> impl Fn(String) -> VomoError + use<> {
        let (customer, resource) = (self.customer.clone(), resource.to_owned());
        move |reason| VomoError::MalformedPage {
            customer: customer.clone(),
            resource: resource.clone(),
            page,
            reason,
        }
    }

    fn untrusted(&self, url: &Url, reason: String) -> VomoError {
        let host = url.host_str().unwrap_or_default().to_owned();
        VomoError::Untrusted { customer: self.customer.clone(), host, reason }
    }

    fn gave_up(&self, resource: &str, page: u32, attempts: u32, reason: &str) -> VomoError {
        VomoError::GaveUp {
            customer: self.customer.clone(),
            resource: resource.to_owned(),
            page,
            attempts,
            reason: reason.to_owned(),
        }
    }

    /// The error for an answer that is final and not a success.
    fn refusal(&self, resource: &str, status: StatusCode, body: &[u8]) -> VomoError {
        let customer = self.customer.clone();
        let resource = resource.to_owned();
        let message = message_of(body);
        match status {
            StatusCode::UNAUTHORIZED => VomoError::Unauthorized { customer },
            StatusCode::FORBIDDEN => VomoError::Forbidden { customer, resource },
            StatusCode::UNPROCESSABLE_ENTITY => VomoError::Invalid { customer, resource, message },
            status => {
                VomoError::Unexpected { customer, resource, status: status.as_u16(), message }
            }
        }
    }

    /// Only links on the API's own origin are followed: the token goes nowhere else.
    fn same_origin(&self, link: &str) -> Result<Url, String> {
        let url =
            Url::parse(link).map_err(|e| format!("`links.next` `{link}` is not a URL: {e}"))?;
        if url.origin() != self.base.origin() {
            return Err(format!("`links.next` `{link}` leaves the API's origin"));
        }
        Ok(url)
    }
}

/// A listing in progress.
#[derive(Debug)]
pub struct Lister<'a> {
    client: &'a VomoClient,
    resource: &'a str,
    schema: &'a RecordSchema,
    priority: Priority,
    next: Option<Url>,
    page: u32,
    /// What the schema needs that this listing does not carry.
    elsewhere: Elsewhere,
    /// For a resource listed below another, the walk over the parents.
    nested: Option<Box<Nested<'a>>>,
    /// Pages asked for ahead of `links.next`, in page order.
    ahead: ReadAhead<'a>,
    /// How many pages the listing held when its last page was read, if VOMO said.
    last_page: Option<u32>,
}

/// A listing walked parent by parent: each parent's own listing in turn.
#[derive(Debug)]
struct Nested<'a> {
    parents: Lister<'a>,
    below: &'static str,
    query: ListQuery,
    /// Parents listed and not read yet.
    pending: VecDeque<u64>,
    /// The parent being read, with its listing.
    current: Option<(u64, Lister<'a>)>,
    /// Parents that answered 404 when their records were read.
    gone: Vec<u64>,
}

/// A schema of no fields, for listings read for their ids alone.
static IDS_ONLY: RecordSchema = RecordSchema::ids_only();

impl<'a> Lister<'a> {
    /// A listing of `resource` that has read nothing yet and knows no URL yet.
    fn new(
        client: &'a VomoClient,
        resource: &'a str,
        schema: &'a RecordSchema,
        priority: Priority,
        elsewhere: Elsewhere,
    ) -> Self {
        Lister {
            client,
            resource,
            schema,
            priority,
            next: None,
            page: 0,
            elsewhere,
            nested: None,
            ahead: ReadAhead::default(),
            last_page: None,
        }
    }

    /// The next page, or none after the last, its records read whole: fields the listing leaves
    /// out are fetched (see [`Elsewhere`]). A page that fails is retried, never skipped: an
    /// error here means the listing cannot be completed.
    pub async fn next_page(&mut self) -> Result<Option<Page>, VomoError> {
        let Some(mut page) = self.read_page().await? else { return Ok(None) };
        if !self.elsewhere.is_empty() {
            let records = std::mem::take(&mut page.records);
            page.records = self
                .client
                .complete(self.resource, records, &self.elsewhere, self.priority, self.schema)
                .await?;
        }
        Ok(Some(page))
    }

    /// The parents that answered 404 when this listing read their records, in the order read.
    pub fn gone(&self) -> &[u64] {
        self.nested.as_ref().map_or(&[], |nested| nested.gone.as_slice())
    }

    /// The next page as the listing shows it; for a nested resource, the next page of the next
    /// parent that has one. A parent deleted since its listing (404) has nothing left to list.
    async fn read_page(&mut self) -> Result<Option<Page>, VomoError> {
        let Some(nested) = self.nested.as_mut() else { return self.read_own_page().await };
        loop {
            if let Some((parent, listing)) = nested.current.as_mut() {
                let parent = *parent;
                match listing.read_own_page().await {
                    Ok(Some(mut page)) => {
                        page.records.iter_mut().for_each(|record| record.parent = Some(parent));
                        self.page += 1;
                        return Ok(Some(page));
                    }
                    Ok(None) => nested.current = None,
                    Err(VomoError::Unexpected { status: 404, .. }) => {
                        tracing::info!(customer = %self.client.customer, resource = self.resource,
                            parent, "parent gone since it was listed; nothing below it to read");
                        nested.current = None;
                        nested.gone.push(parent);
                    }
                    Err(error) => return Err(error),
                }
                continue;
            }
            if let Some(parent) = nested.pending.pop_front() {
                let owner = nested.parents.resource;
                let path = format!("{owner}/{parent}/{}", nested.below);
                let (client, resource) = (self.client, self.resource);
                let mut listing =
                    Lister::new(client, resource, self.schema, self.priority, Elsewhere::default());
                listing.next = Some(client.list_url(&path, &nested.query));
                nested.current = Some((parent, listing));
                continue;
            }
            match nested.parents.read_own_page().await? {
                Some(page) => nested.pending.extend(page.records.iter().map(|parent| parent.id)),
                None => return Ok(None),
            }
        }
    }

    /// The next page of this listing's own URL. While the listing says how many pages it holds,
    /// the pages after this one are asked for before `links.next` names them, so their answers
    /// arrive while this page is judged; each is used only if `links.next` then names it.
    async fn read_own_page(&mut self) -> Result<Option<Page>, VomoError> {
        let Some(url) = self.next.clone() else { return Ok(None) };
        let number = self.page + 1;
        let client = self.client;
        if !self.ahead.asked_for(&url) {
            self.ahead.clear();
            self.ahead.push(client, url.clone(), self.priority, self.resource, number);
        }
        if let Some(last) = self.last_page {
            self.ahead.fill(client, &url, number, last, self.priority, self.resource);
        }
        let (status, body) = match self.ahead.next().await {
            Ok(answer) => answer,
            Err(error) => {
                // The page is asked for again from scratch, and so are the ones after it.
                self.ahead.clear();
                return Err(error);
            }
        };
        if status != StatusCode::OK {
            self.ahead.clear();
            return Err(client.refusal(self.resource, status, &body));
        }

        let malformed = client.malformed(self.resource, number);
        let page = parse_page(&body, self.schema).map_err(&malformed)?;
        let next = match &page.next {
            Some(link) => Some(client.same_origin(link).map_err(malformed)?),
            None => None,
        };
        // Only a page that was read whole moves the listing on: after an error, the same page is
        // asked for again, so a failed listing can never look finished.
        self.next = next;
        self.page = number;
        self.last_page = page.last_page;
        Ok(Some(page))
    }

    /// Pages read so far.
    pub fn pages_read(&self) -> u32 {
        self.page
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

fn message_of(body: &[u8]) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = json.as_ref().and_then(|j| j.get("message")).and_then(|m| m.as_str());
    let text =
        message.map(str::to_owned).unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    text.chars().take(300).collect()
}
