//! The chain of one list's page requests (`?limit=500`, then `&continue=...`), followed as fast as
//! the API server answers, apart from the parsing of the pages.
//!
//! One request of a list is in flight at a time. When a page comes, its head (`kind`,
//! `apiVersion`, `metadata`, written before `items`) is read from its first inflated bytes
//! ([`request::RawBody::head`]) and the page after it is asked for at once: the server is never
//! left waiting for a page to be inflated or parsed, nor, for the pod list, for the sieve that
//! waits for the Nodes and Services. Pages that came wait in list order, as they came (gzip, about
//! an eighth of their text): until the sink is ready, at most [`MAX_HELD_BYTES`] of them; once it
//! is, at most [`HELD_PAGES`] (a slow sink, as capture's writer, then holds no more than before
//! the chain). Past that the chain pauses until the parser takes one. The page the parser will
//! take next is inflated on a blocking thread while the one before it is parsed; the others only
//! when their turn comes, so that holding pages costs little memory.

use super::paging::{self, Head};
use super::request::{self, Bounds, GetError, RawBody};
use super::LiveOptions;
use kube::Client;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::mpsc::{sync_channel, Receiver};
use std::time::Instant;
use tokio::task::{JoinError, JoinHandle};

/// Bytes of pages (as they came, counted with their buffers' spare room) held at most while the
/// sink is not ready.
pub const MAX_HELD_BYTES: usize = 4 << 20;

/// Pages held at most once the sink is ready (besides the one being parsed).
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
    /// Bytes (as they came) of the pages in `came`.
    held_bytes: usize,
    /// The continue token of the last page that came, not asked for while the held pages are at
    /// [`MAX_HELD_BYTES`].
    paused: Option<String>,
    /// The inflated size of the last page parsed, which the next pages' buffers are sized for.
    pub page_bytes: usize,
    /// Whether the sink is ready ([`Chain::sink_ready`]).
    sink_ready: bool,
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
            held_bytes: 0,
            paused: None,
            page_bytes: 0,
            sink_ready: false,
        };
        chain.ask(None);
        chain
    }

    /// The sink takes pages from now on: fewer are held.
    pub fn sink_ready(&mut self) {
        self.sink_ready = true;
    }

    /// Whether another page may be asked for, given the pages held.
    fn room(&self) -> bool {
        if self.sink_ready {
            self.came.len() < HELD_PAGES
        } else {
            self.held_bytes < MAX_HELD_BYTES
        }
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
                let mut text = Text::NotYet {
                    body,
                    expected_bytes: expected(self.page_bytes),
                };
                if front {
                    // The parser takes this one next: inflated while the page before is parsed.
                    text.start();
                }
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
        self.held_bytes += bytes;
        self.came.push_back((came, bytes));
        if let Some(next) = next {
            if self.room() {
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
        self.held_bytes -= bytes;
        if let Some((Came::Page { text, .. }, _)) = self.came.front_mut() {
            text.start();
        }
        self.resume();
        Some(came)
    }

    /// Asks for the page the chain paused at, when there is room again.
    fn resume(&mut self) {
        if self.in_flight.is_none() && self.room() {
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
        self.held_bytes = 0;
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
