//! The chain of one list's page requests (`?limit=500`, then `&continue=...`), followed as fast as
//! the API server answers, apart from the parsing of the pages.
//!
//! One request of a list is in flight at a time. When a page comes, its head (`kind`,
//! `apiVersion`, `metadata`, written before `items`) is read from its first inflated bytes
//! ([`request::RawBody::head`]) and the page after it is asked for at once: the server is never
//! left waiting for a page to be inflated or parsed, nor, for the pod list, for the sieve that
//! waits for the Nodes and Services. Pages that came wait in list order, as they came (gzip, about
//! an eighth of their text): at most [`MAX_HELD_BYTES`] of them, and once the sink is ready at
//! least [`HELD_PAGES`] whatever their size ([`Holding`]). Past that the chain pauses until the
//! parser takes one. So when the sink gets ready, each page it takes of those that waited for it
//! makes room for the next one at once, and the server goes on with the list meanwhile (it used to
//! wait until all but two were taken: about 60 ms of a scan of 150,000 pods); a slow sink, as
//! capture's writer, holds no more than a sink that is not ready yet. When the parser takes a page
//! and the next one is already waiting, that one is inflated on a blocking thread meanwhile; a
//! page that comes while none waits is inflated by the parser when it takes it. A parser that
//! keeps up with the server so leaves the cores to the reading (inflating every page ahead made a
//! scan of 150,000 pods with 1% Windows nodes 6-8% slower, the benchmark's fake API server sharing
//! the two cores), and one that falls behind has the next page inflated while it parses. Pages
//! held are inflated only when their turn comes, so that holding costs little memory.

use super::paging::{self, Head};
use super::request::{self, Bounds, GetError, RawBody};
use super::LiveOptions;
use kube::Client;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::mpsc::{sync_channel, Receiver};
use std::time::Instant;
use tokio::task::{JoinError, JoinHandle};

/// Bytes of pages (as they came, counted with their buffers' spare room) held at most, unless the
/// sink is ready and fewer than [`HELD_PAGES`] are held.
pub const MAX_HELD_BYTES: usize = 4 << 20;

/// Pages a ready sink may have held however big they are (besides the one being parsed): the
/// next page is asked for while one is parsed even when pages are bigger than [`MAX_HELD_BYTES`].
pub const HELD_PAGES: usize = 2;

/// A page that came, in list order.
pub enum Came {
    /// A page: its head, and its text (being) inflated; `asked_with` is the continue token it was
    /// asked for with.
    Page {
        head: Head,
        text: Text,
        asked_with: Option<String>,
    },
    /// The request failed: `asked_with` as above.
    Failed {
        error: GetError,
        asked_with: Option<String>,
    },
    /// The request task itself failed (a panic or the runtime shutting down).
    Lost(String),
}

/// A page's text: not inflated yet, or being inflated on a blocking thread.
pub enum Text {
    NotYet {
        body: RawBody,
        expected_bytes: usize,
    },
    Inflating(Receiver<Result<Vec<u8>, GetError>>),
}

impl Text {
    /// Starts inflating on a blocking thread, if not yet started.
    fn start(&mut self) {
        let Text::NotYet {
            body,
            expected_bytes,
        } = self
        else {
            return;
        };
        let body = std::mem::replace(body, RawBody::plain(Vec::new()));
        let expected_bytes = *expected_bytes;
        let (done, text) = sync_channel(1);
        tokio::task::spawn_blocking(move || {
            // The pager may have stopped listening (the list failed): nothing to say then.
            let _ = done.send(body.inflate(paging::MAX_PAGE_BYTES, expected_bytes));
        });
        *self = Text::Inflating(text);
    }

    /// The inflated text (blocking until it is, when it is being inflated elsewhere): what
    /// [`RawBody::inflate`] gives.
    pub fn inflated(self) -> Result<Vec<u8>, GetError> {
        match self {
            Text::NotYet {
                body,
                expected_bytes,
            } => body.inflate(paging::MAX_PAGE_BYTES, expected_bytes),
            Text::Inflating(text) => text.recv().unwrap_or_else(|_| {
                Err(GetError::Failed(
                    "internal error: the page's inflation stopped".to_string(),
                ))
            }),
        }
    }
}

/// One page request under way.
type PageRequest = JoinHandle<Result<RawBody, GetError>>;

/// The requests of one list and the pages that came; see the module documentation.
pub struct Chain<'a> {
    client: &'a Client,
    list: &'a paging::ListRequest,
    opts: &'a LiveOptions,
    deadline: Instant,
    /// Items asked for per page.
    pub limit: u32,
    /// The request in flight, with the continue token it asks with.
    in_flight: Option<(PageRequest, Option<String>)>,
    came: VecDeque<(Came, usize)>,
    /// The bytes of the pages in `came` (as they came), and whether more may be held.
    holding: Holding,
    /// The continue token of the last page that came, not asked for while the chain holds all it
    /// may ([`Holding::room`]).
    paused: Option<String>,
    /// The inflated size of the last page parsed, which the next pages' buffers are sized for.
    pub page_bytes: usize,
}

/// The bytes the chain holds, and whether it may ask for another page (see the module
/// documentation). How many pages it holds is the length of [`Chain`]'s `came`.
#[derive(Debug, Default)]
struct Holding {
    /// Bytes of the pages held, as they came.
    bytes: usize,
    /// Whether the sink is ready ([`Chain::sink_ready`]).
    sink_ready: bool,
}

impl Holding {
    /// Whether another page may be asked for while `pages` are held.
    fn room(&self, pages: usize) -> bool {
        self.bytes < MAX_HELD_BYTES || (self.sink_ready && pages < HELD_PAGES)
    }
}

impl<'a> Chain<'a> {
    /// The chain of `list`, its first page asked for at once.
    pub fn start(
        client: &'a Client,
        list: &'a paging::ListRequest,
        opts: &'a LiveOptions,
        deadline: Instant,
    ) -> Chain<'a> {
        let mut chain = Chain {
            client,
            list,
            opts,
            deadline,
            limit: opts.page_size.max(1),
            in_flight: None,
            came: VecDeque::new(),
            holding: Holding::default(),
            paused: None,
            page_bytes: 0,
        };
        chain.ask(None);
        chain
    }

    /// The sink takes pages from now on.
    pub fn sink_ready(&mut self) {
        self.holding.sink_ready = true;
    }

    /// Whether pages are still to come (in flight or held).
    pub fn has_more(&self) -> bool {
        self.in_flight.is_some() || !self.came.is_empty() || self.paused.is_some()
    }

    fn ask(&mut self, token: Option<String>) {
        let url = paging::page_url(self.list, token.as_deref(), self.limit);
        let client = self.client.clone();
        let bounds = Bounds {
            timeout: self.opts.request_timeout,
            max_bytes: paging::MAX_PAGE_BYTES,
            deadline: self.deadline,
        };
        let request = tokio::spawn(async move {
            let _slot = paging::request_slot()
                .await
                .map_err(|e| GetError::Failed(format!("the request slots are closed: {e}")))?;
            request::get_raw(&client, &url, bounds).await
        });
        self.in_flight = Some((request, token));
    }

    /// Takes what the request in flight gave: reads the page's head and asks for the next page at
    /// once (or pauses, when the held pages are at the cap).
    fn receive(&mut self, got: Result<Result<RawBody, GetError>, JoinError>) {
        let asked_with = self.in_flight.take().and_then(|(_, token)| token);
        let (came, bytes, next) = match got {
            Ok(Ok(mut body)) => {
                let head = paging::page_head(&body.head());
                // A repeated token is not followed; the pager says so when it takes the page.
                let next = head
                    .continue_token
                    .clone()
                    .filter(|next| asked_with.as_deref() != Some(next.as_str()));
                let front = self.came.is_empty();
                if !front {
                    // Held behind others for a while: without the spare room its buffer grew.
                    body.shrink_to_fit();
                }
                let bytes = body.held_bytes();
                let text = Text::NotYet {
                    body,
                    expected_bytes: expected(self.page_bytes),
                };
                let page = Came::Page {
                    head,
                    text,
                    asked_with,
                };
                (page, bytes, next)
            }
            Ok(Err(error)) => (Came::Failed { error, asked_with }, 0, None),
            Err(e) => (Came::Lost(format!("the request task failed: {e}")), 0, None),
        };
        self.holding.bytes += bytes;
        self.came.push_back((came, bytes));
        if let Some(next) = next {
            if self.holding.room(self.came.len()) {
                self.ask(Some(next));
            } else {
                self.paused = Some(next);
            }
        }
    }

    /// The next page in list order (held, or awaited); `None` once the list has no more.
    pub async fn next(&mut self) -> Option<Came> {
        if self.came.is_empty() {
            let (request, _) = self.in_flight.as_mut()?;
            let got = request.await;
            self.receive(got);
        }
        let (came, bytes) = self.came.pop_front()?;
        self.holding.bytes = self.holding.bytes.saturating_sub(bytes);
        // The page after it already waits: inflated while this one is parsed.
        if let Some((Came::Page { text, .. }, _)) = self.came.front_mut() {
            text.start();
        }
        self.resume();
        Some(came)
    }

    /// Asks for the page the chain paused at, when there is room again.
    fn resume(&mut self) {
        if self.in_flight.is_none() && self.holding.room(self.came.len()) {
            if let Some(next) = self.paused.take() {
                self.ask(Some(next));
            }
        }
    }

    /// Waits for `other` (a parse, the sink getting ready) while taking the pages that come
    /// meanwhile.
    pub async fn receive_while<T>(&mut self, other: impl Future<Output = T>) -> T {
        let mut other = std::pin::pin!(other);
        loop {
            let Some((request, _)) = self.in_flight.as_mut() else {
                return other.await;
            };
            tokio::select! {
                biased;
                done = &mut other => return done,
                got = request => self.receive(got),
            }
        }
    }

    /// Asks again for the page asked with `asked_with`, in pieces of `limit`: what came after it
    /// followed the page being too big, so it is dropped.
    pub fn restart(&mut self, asked_with: Option<String>, limit: u32) {
        self.stop();
        self.came.clear();
        self.holding.bytes = 0;
        self.paused = None;
        self.limit = limit;
        self.ask(asked_with);
    }

    /// Asks for the page after one whose head did not name it (the parse found its continue
    /// token), unless a page is already asked for.
    pub fn ask_after(&mut self, token: String) {
        if self.in_flight.is_none() && self.came.is_empty() && self.paused.is_none() {
            self.ask(Some(token));
        }
    }

    /// Stops the request in flight.
    pub fn stop(&mut self) {
        if let Some((request, _)) = self.in_flight.take() {
            request.abort();
        }
    }
}

/// The buffer for a page after one of `page_bytes`: a little over, so that a slightly bigger page
/// still fits.
fn expected(page_bytes: usize) -> usize {
    page_bytes.saturating_add(page_bytes / 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gzip pages of a big pod list are about 250 KB.
    const PAGE: usize = 250 << 10;

    /// The chain's holding of pages of one size, with the pages it holds counted as `came` would.
    #[derive(Debug, Default)]
    struct Held {
        holding: Holding,
        pages: usize,
    }

    impl Held {
        fn room(&self) -> bool {
            self.holding.room(self.pages)
        }
        fn came(&mut self, bytes: usize) {
            self.pages += 1;
            self.holding.bytes += bytes;
        }
        fn taken(&mut self, bytes: usize) {
            self.pages -= 1;
            self.holding.bytes -= bytes;
        }
    }

    /// A holding that took pages of `page` bytes until it had no room, while the sink was not
    /// ready.
    fn full_before_ready(page: usize) -> Held {
        let mut held = Held::default();
        while held.room() {
            held.came(page);
        }
        held
    }

    #[test]
    fn before_the_sink_is_ready_pages_are_held_up_to_the_byte_cap() {
        let held = full_before_ready(PAGE);
        assert_eq!(held.pages, MAX_HELD_BYTES.div_ceil(PAGE));
        assert!(held.holding.bytes >= MAX_HELD_BYTES);
    }

    #[test]
    fn the_sink_taking_the_pages_that_waited_makes_room_page_by_page() {
        let mut held = full_before_ready(PAGE);
        let waited = held.pages;
        held.holding.sink_ready = true;
        assert!(!held.room(), "nothing taken yet: no more than before");
        // A sink slower than the server (capture's writer; a scan's sieve while the pages that
        // waited for it are taken): each page it takes is replaced by one that comes, at once, and
        // the chain never holds more than before the sink was ready.
        for _ in 0..waited * 3 {
            held.taken(PAGE);
            assert!(
                held.room(),
                "a page taken: the next is asked for at once (the chain used to pause until all \
                 but {HELD_PAGES} of the {waited} that waited were taken, and the server idled)"
            );
            held.came(PAGE);
            assert!(!held.room(), "{held:?}");
            assert_eq!(held.pages, waited);
        }
    }

    #[test]
    fn a_ready_sink_has_two_pages_held_however_big_they_are() {
        // Pages sent without gzip, of 5 MB each: one is over the byte cap.
        let big = 5 << 20;
        let mut held = full_before_ready(big);
        assert_eq!(held.pages, 1, "before the sink is ready, by bytes alone");
        held.taken(big);
        held.holding.sink_ready = true;
        for n in 0..HELD_PAGES {
            assert!(held.room(), "{n} held");
            held.came(big);
        }
        assert!(!held.room(), "{HELD_PAGES} held, over the byte cap");
        held.taken(big);
        assert!(held.room());
    }
}
