//! Paging through one list (`GET /api/v1/pods?limit=500`, then `&continue=...`), with every answer
//! checked and every resource bounded.
//!
//! - **Pipelined.** The API server writes `kind`, `apiVersion` and `metadata` before `items`, so the
//!   next page is requested as soon as a page has come and its head names it
//!   (`sources::live::page_chain`), before the page is inflated and parsed (on a blocking thread),
//!   and whether or not the sink is ready (the pod list waits for its sieve). One request of a
//!   list is in flight at a time; pages that came wait, as they came (gzip), up to a cap.
//! - **Checked.** Each answer must be the list asked for: a `Status` (even with 200), another kind
//!   of list (a `ConfigMapList` for `/api/v1/pods`), an object without `items`, or `items: null`
//!   with a continue token is an error naming what came, never an empty, healthy list.
//! - **Bounded.** Every request has the `--request-timeout` and a cap on its inflated bytes; a page
//!   over the cap is asked again with a smaller `limit` (down to one item, in case the objects are
//!   big), and fails beyond that. A list stops with an error after [`MAX_PAGES`] pages, after
//!   [`max_items`] items, when a continue token repeats, when an object comes twice (a list that
//!   cycles), or when its deadline (`LiveOptions::list_timeout`) passes. Nothing is sized from
//!   server-provided numbers (`remainingItemCount` is never read).
//! - **Streamed into a sink.** The page's top level is walked with a cursor
//!   (`sources::json_cursor`), and each item is read by the [`ListSink`] (the fact list, the pod
//!   sieve, capture's file writer) where the cursor stands, in one pass: never collected as raw
//!   JSON, never split first and parsed again.

use super::page_chain::{Came, Chain};
use super::request::GetError;
use super::written_ahead::{with_written_ahead, ItemWriter, WrittenAhead};
use super::LiveOptions;
use crate::sources::json_cursor::{JsonCursor, ReadError};
use foldhash::fast::RandomState;
use kube::Client;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use std::fmt;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::time::Instant;

/// At most this many list requests are in flight at once, whatever the number of kinds: the scan
/// stays a polite client of a busy API server (priority and fairness counts each request).
pub const MAX_CONCURRENT_REQUESTS: usize = 4;

/// Upper bound of pages followed for one list: 100,000 pages.
pub const MAX_PAGES: usize = 100_000;

/// Largest answer to one page request, after gzip inflation. A page of 500 typical objects is a
/// few MiB; when a page is larger, the same page is asked again with a smaller `limit`.
pub const MAX_PAGE_BYTES: usize = 64 << 20;

static REQUEST_SLOTS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(MAX_CONCURRENT_REQUESTS);

/// The most items a list may have: ten times the largest clusters the Kubernetes scalability
/// thresholds describe (5,000 nodes, 150,000 pods, 10,000 Services).
pub fn max_items(kind: &str) -> usize {
    match kind {
        "Node" => 100_000,
        "Service" => 200_000,
        "Pod" | "Event" => 1_500_000,
        _ => 500_000,
    }
}

/// One list to read.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// API path, e.g. `/api/v1/pods`.
    pub path: String,
    /// Extra query text, e.g. a field selector.
    pub query: String,
    /// Kind of the items (`Pod`): the answer must be a `PodList`.
    pub kind: String,
    /// What to call the list in messages (`pods`).
    pub resource: String,
}

/// Where the items of a list go, one by one, as they are parsed.
pub trait ListSink: Send + 'static {
    /// Reads the next item of the page, the one JSON value at `item` (`JsonCursor::value` for a
    /// typed item; a sink that also wants the item's text takes it from the cursor, so the item
    /// is read once). Returns its key ([`item_key`] of namespace and name) so that the pager
    /// notices an object listed twice, or why the list stops.
    /// `written` holds the items a helper thread wrote ahead on the page, when the sink
    /// [`ListSink::writes_ahead`].
    fn take_next(
        &mut self,
        item: &mut JsonCursor<'_>,
        written: &mut WrittenAhead,
    ) -> Result<u64, ItemError>;

    /// The writer of a sink that writes every item of the list: every second run of a big
    /// page's items is then written ahead with it on a second thread (`written_ahead`), and the
    /// sink takes those through `written`.
    fn writes_ahead(&self) -> Option<Box<dyn ItemWriter>> {
        None
    }
}

/// Why a sink did not take an item.
#[derive(Debug)]
pub enum ItemError {
    /// The item is not a valid object of its kind: the pager words it with the item's position.
    Invalid(serde_json::Error),
    /// The list stops for this reason, worded for the operator.
    Stop(String),
}

/// The key of an object for noticing duplicates: a hash of its namespace and name.
pub fn item_key(namespace: Option<&str>, name: &str) -> u64 {
    static HASHER: OnceLock<RandomState> = OnceLock::new();
    HASHER
        .get_or_init(RandomState::default)
        .hash_one((namespace.unwrap_or(""), name))
}

/// What paging keeps between pages.
struct Progress {
    /// The keys seen: already seeded hashes ([`item_key`]), so foldhash's few multiplications
    /// place them as well as std's SipHash would, at a fraction of its cost per item.
    keys: foldhash::HashSet<u64>,
    items: usize,
    max_items: usize,
}

/// Reads every page of `list` into `sink` (awaited while the first pages come, so a sink that
/// waits for other lists does not delay them), and gives the sink back.
pub async fn list_each<S, F>(
    client: &Client,
    list: &ListRequest,
    opts: &LiveOptions,
    sink: F,
) -> Result<S, String>
where
    S: ListSink,
    F: Future<Output = S>,
{
    let resource = list.resource.clone();
    let fail = |why: String| format!("cannot list {resource}: {why}");
    let deadline = Instant::now() + opts.list_timeout;
    let mut chain = Chain::start(client, list, opts, deadline);
    let mut sink = Some(chain.receive_while(sink).await);
    chain.sink_ready();
    let mut progress = Some(Progress {
        keys: foldhash::HashSet::default(),
        items: 0,
        max_items: max_items(&list.kind),
    });
    let list_kind = format!("{}List", list.kind);
    let mut pages = 0usize;
    let outcome: Result<(), String> = loop {
        let Some(came) = chain.next().await else {
            break Ok(());
        };
        let (head, text, asked_with) = match came {
            Came::Page {
                head,
                text,
                asked_with,
            } => (head, text, asked_with),
            Came::Failed {
                error: GetError::TooLarge(_),
                asked_with,
            } if chain.limit > 1 => {
                // Big objects: ask for the same page in smaller pieces.
                chain.restart(asked_with, (chain.limit / 8).max(1));
                continue;
            }
            Came::Failed { error, .. } => break Err(fail(error.list_message())),
            Came::Lost(why) => break Err(fail(why)),
        };
        pages += 1;
        if pages > MAX_PAGES {
            break Err(fail(format!(
                "the server kept paging after {MAX_PAGES} pages"
            )));
        }
        let repeats = |next: &str| asked_with.as_deref() == Some(next);
        if head.continue_token.as_deref().is_some_and(repeats) {
            break Err(fail("the server repeated a continue token".to_string()));
        }
        let (Some(mut s), Some(mut p)) = (sink.take(), progress.take()) else {
            break Err(fail("internal error: the list sink is gone".to_string()));
        };
        let kind = list_kind.clone();
        let parsing = tokio::task::spawn_blocking(move || {
            let page = text
                .inflated()
                .map(|text| (parse_page(&text, &kind, &mut s, &mut p), text.len()));
            (page, s, p)
        });
        // While this page is parsed, the next ones come (their next asked for at once).
        let (page, s, p) = match chain.receive_while(parsing).await {
            Ok(done) => done,
            Err(e) => break Err(fail(format!("parsing a page failed: {e}"))),
        };
        sink = Some(s);
        progress = Some(p);
        let page = match page {
            Ok((Ok(page), inflated)) => {
                chain.page_bytes = inflated;
                page
            }
            Ok((Err(e), _)) => break Err(fail(e)),
            Err(GetError::TooLarge(_)) if chain.limit > 1 => {
                // As above; what came after it followed the big page.
                chain.restart(asked_with, (chain.limit / 8).max(1));
                continue;
            }
            Err(e) => break Err(fail(e.list_message())),
        };
        if head.continue_token.is_none() {
            // The head named no next page (not written before `items`): the parse may have.
            if let Some(next) = page.continue_token {
                if repeats(&next) {
                    break Err(fail("the server repeated a continue token".to_string()));
                }
                chain.ask_after(next);
            }
        }
        if Instant::now() >= deadline && chain.has_more() {
            break Err(fail(format!(
                "the list was not done after {} s (the time allowed for one list)",
                opts.list_timeout.as_secs()
            )));
        }
    };
    chain.stop();
    outcome?;
    sink.ok_or_else(|| fail("internal error: the list sink is gone".to_string()))
}

/// A slot among the [`MAX_CONCURRENT_REQUESTS`] list requests in flight.
pub(super) async fn request_slot(
) -> Result<tokio::sync::SemaphorePermit<'static>, tokio::sync::AcquireError> {
    REQUEST_SLOTS.acquire().await
}

pub(super) fn page_url(list: &ListRequest, token: Option<&str>, limit: u32) -> String {
    let mut url = format!("{}?limit={limit}", list.path);
    if !list.query.is_empty() {
        url.push('&');
        url.push_str(&list.query);
    }
    if let Some(t) = token {
        url.push_str("&continue=");
        url.push_str(&encode_component(t));
    }
    url
}

/// Bytes a URL component keeps as they are: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `text` percent-encoded for one URL component: a query value (a continue token) or a path
/// segment (a node, pod or log name).
pub fn encode_component(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// What the head of a page (the members before `items`) says.
#[derive(Debug, Default, PartialEq)]
pub struct Head {
    pub continue_token: Option<String>,
}

/// Reads only the head of a list body: the continue token, when `metadata` comes before `items` as
/// the API server writes it. Anything else (or a broken body) says nothing; the full parse decides.
pub(super) fn page_head(body: &[u8]) -> Head {
    struct HeadVisitor<'a>(&'a mut Head);
    impl<'de> Visitor<'de> for HeadVisitor<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "metadata" => {
                        let meta: ListMeta = map.next_value()?;
                        self.0.continue_token = meta.continue_token.filter(|t| !t.is_empty());
                        return Ok(());
                    }
                    "items" => return Ok(()),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    let mut head = Head::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    // Stopping at `metadata` leaves the rest unread, which the deserializer reports as an error:
    // only what the visitor recorded matters.
    let _ = serde::Deserializer::deserialize_map(&mut de, HeadVisitor(&mut head));
    head
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ListMeta {
    #[serde(rename = "continue")]
    continue_token: Option<String>,
}

/// What a parsed page says about the list.
#[derive(Debug, Default)]
struct Page {
    continue_token: Option<String>,
}

/// Parses one page, handing each item to `sink`, and checks that it is the list asked for.
fn parse_page<S: ListSink>(
    body: &[u8],
    list_kind: &str,
    sink: &mut S,
    progress: &mut Progress,
) -> Result<Page, String> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(_) if looks_like_html(body) => return Err(html_answer(list_kind)),
        Err(e) => {
            return Err(format!(
                "the answer is not UTF-8 text, so not JSON from the API server (invalid byte at offset {})",
                e.valid_up_to()
            ))
        }
    };
    let mut shape = Shape::default();
    let parsed = read_page(text, list_kind, &mut shape, sink, progress);
    if let Some(kind) = shape.kind.as_deref() {
        if kind == "Status" {
            let what = [shape.reason.as_str(), shape.message.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(": ");
            return Err(format!(
                "the server answered with a Status instead of the {list_kind}{}",
                if what.is_empty() {
                    String::new()
                } else {
                    format!(" ({what})")
                }
            ));
        }
        if kind != list_kind && kind != "List" {
            return Err(format!(
                "asked for a {list_kind}, the server sent a {}",
                clip(kind, 80)
            ));
        }
    }
    if let Err(e) = parsed {
        return Err(match shape.item_error.take() {
            Some(why) => why,
            None if looks_like_html(body) => html_answer(list_kind),
            None => format!("invalid list response: {e}"),
        });
    }
    let continue_token = shape.continue_token.filter(|t| !t.is_empty());
    match shape.items {
        ItemsSeen::Absent => Err(format!(
            "the answer is not a list (no `items`): expected a {list_kind}"
        )),
        ItemsSeen::Null if continue_token.is_some() => Err(format!(
            "the server sent no items (`items: null`) but a continue token: not a valid {list_kind}"
        )),
        _ => Ok(Page { continue_token }),
    }
}

fn html_answer(list_kind: &str) -> String {
    format!(
        "the answer is an HTML page, not the {list_kind} (a proxy or a sign-in page answered instead of the API server: point the kubeconfig's server at the API server itself, or sign in to the proxy first)"
    )
}

/// Walks the page's top level (`json_cursor`), recording its shape, and hands each item to the
/// sink; checks that nothing follows the list.
fn read_page<S: ListSink>(
    text: &str,
    list_kind: &str,
    shape: &mut Shape,
    sink: &mut S,
    progress: &mut Progress,
) -> Result<(), ReadError> {
    let mut page = JsonCursor::new(text);
    let inside = "the list object";
    page.expect(b'{', inside)?;
    let mut first = true;
    while let Some(key) = page.next_key(first, inside)? {
        first = false;
        match key.as_ref() {
            "kind" => shape.kind = page.value::<Option<String>>()?,
            "metadata" => {
                let meta: Option<ListMeta> = page.value()?;
                shape.continue_token = meta.and_then(|m| m.continue_token);
            }
            "message" => {
                shape.message = clip(&page.value::<Option<String>>()?.unwrap_or_default(), 500)
            }
            "reason" => {
                shape.reason = clip(&page.value::<Option<String>>()?.unwrap_or_default(), 100)
            }
            "items" => {
                let wrong_kind = shape
                    .kind
                    .as_deref()
                    .is_some_and(|k| k != list_kind && k != "List");
                if wrong_kind {
                    page.skip_value()?;
                    shape.items = ItemsSeen::List;
                } else if page.eat_null() {
                    shape.items = ItemsSeen::Null;
                } else {
                    read_items(&mut page, shape, sink, progress)?;
                    shape.items = ItemsSeen::List;
                }
            }
            _ => {
                page.skip_value()?;
            }
        }
    }
    page.end()?;
    Ok(())
}

/// What errors inside the `items` array call it.
const INSIDE_ITEMS: &str = "the items";

/// The `items` array, each item handed to the sink. An item the sink stops at records why.
fn read_items<S: ListSink>(
    page: &mut JsonCursor<'_>,
    shape: &mut Shape,
    sink: &mut S,
    progress: &mut Progress,
) -> Result<(), ReadError> {
    if page.peek() != Some(b'[') {
        // Not an array: serde_json words what came instead.
        page.value::<Vec<IgnoredAny>>()?;
        return Err(page
            .error_here(format!("expected `[` for {INSIDE_ITEMS}"))
            .into());
    }
    page.expect(b'[', INSIDE_ITEMS)?;
    let writer = sink.writes_ahead();
    let (text, items_start) = (page.text(), page.offset());
    // The helper stops at the end of the items or at an error, when `with_written_ahead` returns.
    with_written_ahead(text, items_start, writer.as_deref(), |written| {
        take_items(page, shape, sink, progress, written)
    })
}

/// Hands each item of the list (the cursor just past `[`) to the sink, in order.
fn take_items<S: ListSink>(
    page: &mut JsonCursor<'_>,
    shape: &mut Shape,
    sink: &mut S,
    progress: &mut Progress,
    written: &mut WrittenAhead,
) -> Result<(), ReadError> {
    let mut first = true;
    while page.next_element(first, INSIDE_ITEMS)? {
        first = false;
        let index = progress.items;
        progress.items += 1;
        if progress.items > progress.max_items {
            let why = format!(
                "the list has more than {} items, more than any cluster Kubernetes supports",
                progress.max_items
            );
            return Err(stop(page, shape, why));
        }
        match sink.take_next(page, written) {
            Ok(key) => {
                if !progress.keys.insert(key) {
                    let why = "the server listed the same object twice while paging (the list does not end)";
                    return Err(stop(page, shape, why.to_string()));
                }
            }
            Err(ItemError::Invalid(e)) => {
                let why = format!("item {index} of the list is not a valid object: {e}");
                return Err(stop(page, shape, why));
            }
            Err(ItemError::Stop(why)) => return Err(stop(page, shape, why)),
        }
    }
    Ok(())
}

/// Records why the items stopped, worded for the operator, and stops the page.
fn stop(page: &JsonCursor<'_>, shape: &mut Shape, why: String) -> ReadError {
    let error = page.error_here(why.clone());
    shape.item_error = Some(why);
    error.into()
}

/// Whether a body that is not JSON starts like an HTML page.
fn looks_like_html(body: &[u8]) -> bool {
    let start: Vec<u8> = body
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take(15)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    start.starts_with(b"<!doctype html")
        || start.starts_with(b"<html")
        || start.starts_with(b"<head")
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

#[derive(Debug, Default, PartialEq)]
enum ItemsSeen {
    #[default]
    Absent,
    Null,
    List,
}

/// The top-level fields of a page.
#[derive(Debug, Default)]
struct Shape {
    kind: Option<String>,
    continue_token: Option<String>,
    items: ItemsSeen,
    message: String,
    reason: String,
    /// Why the items stopped (a sink error, a duplicate, too many), worded for the operator.
    item_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects names.
    struct Names(Vec<String>);
    impl ListSink for Names {
        fn take_next(
            &mut self,
            item: &mut JsonCursor<'_>,
            _written: &mut WrittenAhead,
        ) -> Result<u64, ItemError> {
            let item: serde_json::Value = item.value().map_err(ItemError::Invalid)?;
            let name = item["metadata"]["name"].as_str().unwrap_or("").to_string();
            let key = item_key(item["metadata"]["namespace"].as_str(), &name);
            self.0.push(name);
            Ok(key)
        }
    }

    fn parse(body: &str) -> Result<(Vec<String>, Option<String>), String> {
        let mut names = Names(Vec::new());
        let mut progress = Progress {
            keys: foldhash::HashSet::default(),
            items: 0,
            max_items: 3,
        };
        let page = parse_page(body.as_bytes(), "PodList", &mut names, &mut progress)?;
        Ok((names.0, page.continue_token))
    }

    #[test]
    fn pages_of_the_kind_asked_for_are_read() {
        let (names, token) = parse(
            r#"{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"abc","remainingItemCount":100000000},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}"#,
        )
        .expect("valid");
        assert_eq!(names, ["a", "b"]);
        assert_eq!(token.as_deref(), Some("abc"));
        let (names, token) =
            parse(r#"{"kind":"List","items":[],"metadata":{"continue":""}}"#).expect("valid");
        assert!(names.is_empty() && token.is_none());
        assert!(parse(r#"{"kind":"PodList","items":null,"metadata":{}}"#).is_ok());
    }

    #[test]
    fn answers_that_are_not_the_list_asked_for_are_errors() {
        let cases = [
            (
                r#"{"kind":"ConfigMapList","items":[{"metadata":{"name":"a"}}]}"#,
                "sent a ConfigMapList",
            ),
            (
                r#"{"kind":"Status","status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500}"#,
                "Status instead of the PodList (InternalError: etcdserver",
            ),
            (r#"{"kind":"Pod","metadata":{"name":"x"}}"#, "sent a Pod"),
            (r#"{"metadata":{"name":"x"}}"#, "no `items`"),
            (
                r#"{"kind":"PodList","metadata":{"continue":"t"},"items":null}"#,
                "`items: null`",
            ),
            (r#"[1,2]"#, "invalid list response"),
            (
                r#"{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"a"}}]}"#,
                "same object twice",
            ),
            (
                r#"{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}},{"metadata":{"name":"c"}},{"metadata":{"name":"d"}}]}"#,
                "more than 3 items",
            ),
            (
                r#"{"kind":"PodList","items":[{"metadata":{"name":"a"}}"#,
                "EOF while parsing",
            ),
            (
                r#"{"kind":"PodList","items":"none"}"#,
                "invalid list response: invalid type: string",
            ),
            (
                r#"{"kind":"PodList","items":[{"metadata":{"name":"a"}} {"metadata":{"name":"b"}}]}"#,
                "invalid list response: expected `,`",
            ),
            (
                r#"{"kind":"PodList","items":[{"metadata":{"name":"a"}},{"metadata":{"name":tru}}]}"#,
                "item 1 of the list is not a valid object: expected ident",
            ),
            (r#"{"kind":"PodList","items":[]} []"#, "trailing characters"),
        ];
        for (body, want) in cases {
            let got = parse(body).expect_err(body);
            assert!(got.contains(want), "{body}: {got}");
        }
    }

    #[test]
    fn bodies_that_are_not_utf8_text_are_errors_that_say_so() {
        let mut names = Names(Vec::new());
        let mut progress = Progress {
            keys: foldhash::HashSet::default(),
            items: 0,
            max_items: 3,
        };
        let latin1 = b"{\"kind\":\"PodList\",\"items\":[{\"metadata\":{\"name\":\"caf\xe9\"}}]}";
        let err = parse_page(latin1, "PodList", &mut names, &mut progress).expect_err("latin-1");
        assert!(
            err.contains("not UTF-8 text") && err.contains("offset 51"),
            "{err}"
        );
        let html = b"<!DOCTYPE html><html><body>Sign in \xa9</body></html>";
        let err = parse_page(html, "PodList", &mut names, &mut progress).expect_err("html");
        assert!(err.contains("HTML page"), "{err}");
        assert!(names.0.is_empty());
    }

    #[test]
    fn heads_name_the_next_page_before_the_items() {
        assert_eq!(
            page_head(br#"{"kind":"PodList","metadata":{"continue":"abc"},"items":[{"x":1}]}"#)
                .continue_token
                .as_deref(),
            Some("abc")
        );
        assert_eq!(
            page_head(br#"{"items":[],"metadata":{"continue":"abc"}}"#),
            Head::default()
        );
        assert_eq!(page_head(b"not json"), Head::default());
    }

    #[test]
    fn continue_tokens_are_escaped() {
        assert_eq!(encode_component("eyJ2Ijoi+/="), "eyJ2Ijoi%2B%2F%3D");
    }
}
