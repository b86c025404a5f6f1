//! Pages of a listing asked for before `links.next` names them, so a scan's wait for one answer
//! overlaps the judging of the page before it.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::stream::{FuturesOrdered, StreamExt};
use reqwest::{StatusCode, Url};

use super::client::VomoClient;
use super::error::VomoError;
use crate::throttle::Priority;

/// Requests in flight at most, the page being read included.
const DEPTH: usize = 8;

type Answer = Result<(StatusCode, Bytes), VomoError>;
type Asking<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

/// Requests in flight, oldest first, each with the URL it asked for.
#[derive(Default)]
pub(super) struct ReadAhead<'a> {
    urls: VecDeque<Url>,
    answers: FuturesOrdered<Asking<'a>>,
}

impl std::fmt::Debug for ReadAhead<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.urls.iter().map(Url::as_str)).finish()
    }
}

impl<'a> ReadAhead<'a> {
    /// Whether the oldest request in flight asks for what `url` names.
    pub fn asked_for(&self, url: &Url) -> bool {
        // VOMO's links are usually the very text asked for; only others need taking apart.
        self.urls.front().is_some_and(|asked| asked == url || same_request(asked, url))
    }

    /// Asks for page `number` at `url`.
    pub fn push(
        &mut self,
        client: &'a VomoClient,
        url: Url,
        priority: Priority,
        resource: &'a str,
        number: u32,
    ) {
        self.urls.push_back(url.clone());
        let asking = async move { client.send(&url, priority, resource, number).await };
        self.answers.push_back(Box::pin(asking));
    }

    /// Asks for the pages after page `number`, whose URL is `url`, up to page `last`, until
    /// [`DEPTH`] requests are in flight. The oldest request in flight must be page `number`.
    pub fn fill(
        &mut self,
        client: &'a VomoClient,
        url: &Url,
        number: u32,
        last: u32,
        priority: Priority,
        resource: &'a str,
    ) {
        let mut page = number + self.urls.len() as u32;
        while self.urls.len() < DEPTH && page <= last {
            self.push(client, with_page(url, page), priority, resource, page);
            page += 1;
        }
    }

    /// The answer to the oldest request in flight; one must be.
    pub async fn next(&mut self) -> Answer {
        let answer = self.answers.next().await.expect("a request is in flight");
        self.urls.pop_front();
        answer
    }

    /// Drops every request in flight.
    pub fn clear(&mut self) {
        self.urls.clear();
        self.answers = FuturesOrdered::new();
    }
}

/// `url` with its `page` parameter set to `page`.
fn with_page(url: &Url, page: u32) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "page")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut paged = url.clone();
    paged.query_pairs_mut().clear().extend_pairs(kept).append_pair("page", &page.to_string());
    paged
}

/// Whether two URLs ask for the same thing: the same place and the same parameters, in any
/// order and however they were escaped.
fn same_request(a: &Url, b: &Url) -> bool {
    fn parameters(url: &Url) -> Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> {
        let mut pairs: Vec<_> = url.query_pairs().collect();
        pairs.sort();
        pairs
    }
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
        && parameters(a) == parameters(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    #[test]
    fn a_page_is_set_and_the_filters_kept() {
        let first =
            url("https://api.vomo.org/v1/users?updated_after=2025-11-05T10%3A00%3A00%2B00%3A00");
        let third = with_page(&first, 3);
        let vomo =
            url("https://api.vomo.org/v1/users?page=3&updated_after=2025-11-05T10:00:00%2B00:00");
        assert!(same_request(&third, &vomo), "{third}");
        assert!(!same_request(&with_page(&third, 4), &vomo));
    }

    #[test]
    fn another_place_or_filter_is_another_request() {
        let page = url("http://127.0.0.1:8080/v1/users?page=2");
        assert!(!same_request(&page, &url("http://127.0.0.1:8081/v1/users?page=2")));
        assert!(!same_request(&page, &url("http://127.0.0.1:8080/v1/groups?page=2")));
        assert!(!same_request(&page, &url("http://127.0.0.1:8080/v1/users?page=2&name_like=a")));
        assert!(same_request(&page, &url("http://127.0.0.1:8080/v1/users?page=2")));
    }
}
