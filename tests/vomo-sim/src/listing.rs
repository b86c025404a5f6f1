//! Paginated listings: cached id lists per caller and filter, and the list envelope of §3.1.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::query::Query;

/// The platform's fixed page size.
pub const PER_PAGE: usize = 15;

/// Cached listings hold at most this many entries before the cache starts over: enough for a
/// fleet of a few thousand customers, each listing its users at once.
const CACHE_ENTRIES: usize = 8_192;

/// Identifies one listing: which endpoint, for which caller, under which filter.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ListKey {
    pub endpoint: &'static str,
    pub caller: u32,
    pub scope: u32,
    pub filter: String,
}

type Entries = HashMap<ListKey, (u64, Arc<Vec<u32>>)>;

/// Ids of filtered listings, rebuilt when the store has changed since they were made, so a
/// page costs a slice instead of a scan.
#[derive(Debug, Default)]
pub struct ListCache {
    entries: Mutex<Entries>,
    /// Each organisation's user ids, ascending, at the store generation they were read at: a
    /// customer's listing is built from its family's users, not from a scan of every user.
    users_by_org: Mutex<Option<(u64, UsersByOrg)>>,
}

/// User ids per organisation, indexed by org id.
type UsersByOrg = Arc<Vec<Vec<u32>>>;

impl ListCache {
    /// The ids for `key` at store `generation`, building them with `build` when stale.
    pub fn ids(
        &self,
        key: ListKey,
        generation: u64,
        build: impl FnOnce() -> Vec<u32>,
    ) -> Arc<Vec<u32>> {
        if let Some((made_at, ids)) = self.lock().get(&key)
            && *made_at == generation
        {
            return Arc::clone(ids);
        }

        let ids = Arc::new(build());
        let mut entries = self.lock();
        if entries.len() >= CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (generation, Arc::clone(&ids)));
        ids
    }

    /// Each organisation's user ids at store `generation`, indexed by org id, made with `build`
    /// when stale.
    pub fn users_by_org(
        &self,
        generation: u64,
        build: impl FnOnce() -> Vec<Vec<u32>>,
    ) -> UsersByOrg {
        let mut index = self.users_by_org.lock().unwrap_or_else(|e| e.into_inner());
        match index.as_ref() {
            Some((made_at, by_org)) if *made_at == generation => Arc::clone(by_org),
            _ => {
                let by_org = Arc::new(build());
                *index = Some((generation, Arc::clone(&by_org)));
                by_org
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The `links` and `meta` of one page; `data` is written separately.
#[derive(Serialize)]
pub struct Frame {
    pub links: Links,
    pub meta: Meta,
}

#[derive(Serialize)]
pub struct Links {
    pub first: String,
    pub last: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

#[derive(Serialize)]
pub struct Meta {
    pub current_page: u32,
    pub from: Option<usize>,
    pub last_page: u32,
    pub to: Option<usize>,
    pub path: String,
    pub per_page: usize,
    pub total: usize,
}

/// The ids on 1-based `page` of `ids`; empty past the end.
pub fn page_slice(ids: &[u32], page: u32) -> &[u32] {
    let start = (page as usize - 1).saturating_mul(PER_PAGE);
    let end = start.saturating_add(PER_PAGE).min(ids.len());
    ids.get(start..end).unwrap_or(&[])
}

/// Links and meta for `page` holding `shown` of `total` records at absolute `path`.
pub fn frame(shown: usize, total: usize, page: u32, path: &str, query: &Query) -> Frame {
    let last_page = total.div_ceil(PER_PAGE).max(1) as u32;
    let filter = query.without_page();
    let link = |n: u32| {
        if filter.is_empty() {
            format!("{path}?page={n}")
        } else {
            format!("{path}?{filter}&page={n}")
        }
    };
    let start = (page as usize - 1).saturating_mul(PER_PAGE);
    let (from, to) = if shown == 0 { (None, None) } else { (Some(start + 1), Some(start + shown)) };
    Frame {
        links: Links {
            first: link(1),
            last: link(last_page),
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < last_page).then(|| link(page + 1)),
        },
        meta: Meta {
            current_page: page,
            from,
            last_page,
            to,
            path: path.to_owned(),
            per_page: PER_PAGE,
            total,
        },
    }
}

/// Writes `{"data":[...],"links":...,"meta":...}`, each item written by `item`, which
/// returns false for a record it skipped.
pub fn write_page(
    ids: &[u32],
    frame_of: impl FnOnce(usize) -> Frame,
    mut item: impl FnMut(&mut Vec<u8>, u32) -> bool,
) -> Result<Vec<u8>, serde_json::Error> {
    // A page of users is about 7 KiB; starting there avoids repeated regrowth.
    let mut out = Vec::with_capacity(8 * 1024);
    out.extend_from_slice(b"{\"data\":[");
    let mut shown = 0;
    for &id in ids {
        if shown > 0 {
            out.push(b',');
        }
        if item(&mut out, id) {
            shown += 1;
        } else if shown > 0 {
            out.pop();
        }
    }
    let frame = frame_of(shown);
    out.extend_from_slice(b"],\"links\":");
    serde_json::to_writer(&mut out, &frame.links)?;
    out.extend_from_slice(b",\"meta\":");
    serde_json::to_writer(&mut out, &frame.meta)?;
    out.push(b'}');
    Ok(out)
}

/// A 200 response with a JSON body already serialised.
pub fn raw_json(body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A 200 JSON response from any serialisable value.
pub fn json_response<T: Serialize>(value: &T) -> Response {
    json_with_status(axum::http::StatusCode::OK, value)
}

/// A JSON response with `status`.
pub fn json_with_status<T: Serialize>(status: axum::http::StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = (status, body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "response serialisation failed");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counts_and_links_follow_laravel() {
        let query = Query::parse(Some("page=2&name_like=a"));
        let frame = frame(15, 40, 2, "http://h/v1/users", &query);
        assert_eq!(frame.meta.from, Some(16));
        assert_eq!(frame.meta.to, Some(30));
        assert_eq!(frame.meta.last_page, 3);
        assert_eq!(frame.links.first, "http://h/v1/users?name_like=a&page=1");
        assert_eq!(frame.links.prev.as_deref(), Some("http://h/v1/users?name_like=a&page=1"));
        assert_eq!(frame.links.next.as_deref(), Some("http://h/v1/users?name_like=a&page=3"));
    }

    #[test]
    fn page_past_the_end_is_empty_with_null_bounds() {
        let ids: Vec<u32> = (1..=20).collect();
        assert_eq!(page_slice(&ids, 2), &ids[15..]);
        assert!(page_slice(&ids, 3).is_empty());
        let frame = frame(0, 20, 3, "p", &Query::default());
        assert_eq!((frame.meta.from, frame.meta.to), (None, None));
        assert!(frame.links.next.is_none());
    }

    #[test]
    fn written_pages_are_valid_json_and_skip_missing_items() {
        let body = write_page(
            &[1, 2, 3],
            |shown| frame(shown, 3, 1, "p", &Query::default()),
            |out, id| {
                if id == 2 {
                    return false;
                }
                out.extend_from_slice(id.to_string().as_bytes());
                true
            },
        )
        .unwrap_or_default();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value["data"], serde_json::json!([1, 3]));
        assert_eq!(value["meta"]["to"], 2);
    }
}
