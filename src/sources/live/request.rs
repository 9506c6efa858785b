//! One bounded GET against the API server, as every live read and capture's log requests make it.
//!
//! Each request asks for gzip and inflates each frame as it arrives straight into one buffer
//! (zlib's own gzip framing, through flate2), so that a body is not copied out of a decoder's
//! buffer; a list's pages ([`get_raw`]) are kept as they came and inflated the same way by the
//! thread that parses them, into a buffer sized for the page before. Each request has the
//! `--request-timeout` for all of it (headers and body: a server that trickles its answer cannot
//! stretch it), a cap on the body's bytes after gzip inflation (checked as it inflates, so a huge,
//! endless or bomb body is cut off, never held), and a deadline of the whole list or log it
//! belongs to. A 429 TooManyRequests (or a 503 with `Retry-After`) is retried after the
//! `Retry-After` the server asks for, as long as that fits before the deadline; any other failure
//! says what happened: refused, unreachable, DNS, TLS, timed out, too large, or the API's own
//! Status (forbidden, not found, ...).

use http_body_util::BodyExt;
use kube::Client;
use std::time::{Duration, Instant};

/// How a request is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The whole request, headers and body.
    pub timeout: Duration,
    /// Bytes of the body after inflation.
    pub max_bytes: usize,
    /// When the list or log this request belongs to must be done.
    pub deadline: Instant,
}

/// Why a request gave no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetError {
    /// The body was larger than `max_bytes` after inflation.
    TooLarge(usize),
    /// The API server answered with an HTTP error: its code and (the start of) its body.
    Status { code: u16, body: Vec<u8> },
    /// The answer was a redirect (3xx), which is never followed: its code and `Location`.
    Redirect { code: u16, location: String },
    /// Anything else, worded for the operator ("connection refused: ...", "timed out ...").
    Failed(String),
}

impl GetError {
    pub fn message(&self) -> String {
        match self {
            GetError::TooLarge(max) => format!(
                "the answer was larger than {} after gzip inflation (the limit of one response)",
                bytes_text(*max)
            ),
            GetError::Status { code, body } => describe_status(*code, body),
            GetError::Redirect { code, location } => format!(
                "the server answered with a redirect (HTTP {code}) to {}, which windoctor does not follow: a proxy in front of the API server may want a browser sign-in; point the kubeconfig's server at the API server itself",
                if location.is_empty() { "nowhere".to_string() } else { clip(location, 200) }
            ),
            GetError::Failed(why) => why.clone(),
        }
    }

    /// The message for a list request: a 404 there means the API group is not served.
    pub fn list_message(&self) -> String {
        match self {
            GetError::Status { code: 404, body } => {
                let text = describe_status(404, body);
                text.replacen(
                    "not found",
                    "not found (the API server does not serve this resource)",
                    1,
                )
            }
            other => other.message(),
        }
    }
}

/// `64 MiB`, `512 KiB`, `300 B`.
pub fn bytes_text(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} B")
    }
}

/// How many times one request is retried after a 429 at most (each wait is the server's
/// `Retry-After`, within the deadline).
const MAX_RETRIES: usize = 8;

/// GETs `url` (path and query) and returns the body of a 2xx answer.
pub async fn get(client: &Client, url: &str, bounds: Bounds) -> Result<Vec<u8>, GetError> {
    let answer = get_answer(client, url, bounds, Inflate::AsItArrives).await?;
    Ok(answer.body)
}

/// A 2xx answer's body as it came: gzip is inflated when [`RawBody::inflate`] is called, not as
/// the bytes arrive, so that a list's next page can be requested as soon as this one is in (its
/// continue token is in the first bytes, [`RawBody::head`]) and the inflating is done on the
/// thread that parses the page. The bytes as they came are held to the same cap as inflated
/// ones.
#[derive(Debug)]
pub struct RawBody {
    gzip: bool,
    bytes: Vec<u8>,
}

/// Bytes of the start of a page inflated to read its head (the API server writes `kind`,
/// `apiVersion` and `metadata`, with the continue token, before `items`).
pub const HEAD_BYTES: usize = 16 << 10;

impl RawBody {
    /// A body that came as it is (tests, and servers that do not gzip).
    pub fn plain(bytes: Vec<u8>) -> RawBody {
        RawBody { gzip: false, bytes }
    }

    /// The memory the body holds: its bytes and its buffer's spare room.
    pub fn held_bytes(&self) -> usize {
        self.bytes.capacity()
    }

    /// Gives back the buffer's spare room.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// At most the first [`HEAD_BYTES`] of the body, inflated; less, or nothing, when the gzip
    /// stream breaks before (the full inflation then says why).
    pub fn head(&self) -> std::borrow::Cow<'_, [u8]> {
        if !self.gzip {
            let end = self.bytes.len().min(HEAD_BYTES);
            return std::borrow::Cow::Borrowed(self.bytes.get(..end).unwrap_or_default());
        }
        let mut head = Vec::with_capacity(HEAD_BYTES);
        let mut member = flate2::Decompress::new_gzip(15);
        // Fills at most the capacity; an error leaves what was inflated before it.
        let _ = member.decompress_vec(&self.bytes, &mut head, flate2::FlushDecompress::None);
        std::borrow::Cow::Owned(head)
    }

    /// The whole body, inflated with the cap and the errors of an inflation as the bytes arrive:
    /// `TooLarge(max_bytes)` past `max_bytes`, a failure naming a broken gzip stream.
    /// `expected_bytes` sizes the buffer up front (the page before's size). A body that came
    /// without gzip was held to its request's cap as it came, and is given as it is.
    pub fn inflate(self, max_bytes: usize, expected_bytes: usize) -> Result<Vec<u8>, GetError> {
        if !self.gzip {
            return Ok(self.bytes);
        }
        let mut buffer = BodyBuffer::new(Encoding::Gzip, max_bytes, expected_bytes);
        buffer.push(&self.bytes);
        buffer.finish(true, max_bytes)
    }
}

/// GETs `url` as [`get`] does, and returns the body of a 2xx answer as it came
/// ([`RawBody`]); an error answer's body is read as [`get`] reads it.
pub async fn get_raw(client: &Client, url: &str, bounds: Bounds) -> Result<RawBody, GetError> {
    let answer = get_answer(client, url, bounds, Inflate::Later).await?;
    Ok(RawBody {
        gzip: answer.gzip_kept,
        bytes: answer.body,
    })
}

/// When a 2xx answer's gzip body is inflated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inflate {
    AsItArrives,
    /// By the caller ([`RawBody::inflate`]).
    Later,
}

/// The retrying loop of [`get`] and [`get_raw`]: the 2xx answer.
async fn get_answer(
    client: &Client,
    url: &str,
    bounds: Bounds,
    inflate: Inflate,
) -> Result<Answer, GetError> {
    let mut retries = 0;
    loop {
        let now = Instant::now();
        if now >= bounds.deadline {
            return Err(GetError::Failed(
                "the time allowed for this read ran out".to_string(),
            ));
        }
        let budget = bounds.timeout.min(bounds.deadline - now);
        let attempt = tokio::time::timeout(budget, once(client, url, bounds, inflate)).await;
        let answer = match attempt {
            Err(_) if budget < bounds.timeout => {
                return Err(GetError::Failed(
                    "the time allowed for this read ran out".to_string(),
                ))
            }
            Err(_) => {
                return Err(GetError::Failed(format!(
                    "timed out after {} waiting for the API server to answer (--request-timeout)",
                    seconds_text(bounds.timeout)
                )))
            }
            Ok(answer) => answer?,
        };
        if answer.status.is_success() {
            return Ok(answer);
        }
        let retryable = answer.status.as_u16() == 429
            || (answer.status.as_u16() == 503 && answer.retry_after.is_some());
        if retryable {
            let wait = answer.retry_after.unwrap_or(Duration::from_secs(1));
            let left = bounds.deadline.saturating_duration_since(Instant::now());
            if retries < MAX_RETRIES && wait < left {
                retries += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
            let why = if retries >= MAX_RETRIES {
                format!("still after {MAX_RETRIES} retries")
            } else {
                format!(
                    "it asked to retry after {} (Retry-After), beyond the time left for this read ({})",
                    seconds_text(wait),
                    seconds_text(left)
                )
            };
            return Err(GetError::Failed(format!(
                "the API server is throttling requests ({} {}): {why}",
                answer.status.as_u16(),
                answer.status.canonical_reason().unwrap_or("")
            )));
        }
        if answer.status.is_redirection() {
            return Err(GetError::Redirect {
                code: answer.status.as_u16(),
                location: answer.location.unwrap_or_default(),
            });
        }
        return Err(GetError::Status {
            code: answer.status.as_u16(),
            body: answer.body,
        });
    }
}

fn seconds_text(d: Duration) -> String {
    if d.subsec_millis() == 0 || d >= Duration::from_secs(10) {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

struct Answer {
    status: http::StatusCode,
    retry_after: Option<Duration>,
    location: Option<String>,
    body: Vec<u8>,
    /// The body is gzip as it came ([`Inflate::Later`]).
    gzip_kept: bool,
}

/// One attempt: the status, `Retry-After` and the body (at most `max_bytes`; error bodies are cut
/// at 64 KiB, enough for any Status). With [`Inflate::Later`], a 2xx gzip body is kept as it
/// came, held to `max_bytes` too.
async fn once(
    client: &Client,
    url: &str,
    bounds: Bounds,
    inflate: Inflate,
) -> Result<Answer, GetError> {
    let max_bytes = bounds.max_bytes;
    let request = http::Request::get(url)
        .header(ACCEPT_GZIP.0, ACCEPT_GZIP.1)
        .body(kube::client::Body::empty())
        .map_err(|e| GetError::Failed(format!("cannot build the request {url}: {e}")))?;
    let response = client
        .send(request)
        .await
        .map_err(|e| GetError::Failed(describe_client_error(&e)))?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let limit = if status.is_success() {
        max_bytes
    } else {
        max_bytes.min(64 * 1024)
    };
    let encoding = body_encoding(response.headers())?;
    let gzip_kept = inflate == Inflate::Later && status.is_success() && encoding == Encoding::Gzip;
    // A gzip body kept for later is read as it is: its bytes, to the same cap.
    let read_as = if gzip_kept {
        Encoding::Identity
    } else {
        encoding
    };
    let mut buffer = BodyBuffer::new(read_as, limit, 0);
    let mut body = response.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            GetError::Failed(format!(
                "the answer broke off while it was read: {}",
                describe_chain(&e)
            ))
        })?;
        if let Ok(data) = frame.into_data() {
            if !buffer.push(&data) {
                break;
            }
        }
    }
    Ok(Answer {
        status,
        retry_after,
        location,
        body: buffer.finish(status.is_success(), max_bytes)?,
        gzip_kept,
    })
}

/// How an answer's body is encoded: as it is, or gzip (the only encoding windoctor asks for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
}

/// The body's `Content-Encoding`: none, `identity` or `gzip`; any other is an error that names it.
fn body_encoding(headers: &http::HeaderMap) -> Result<Encoding, GetError> {
    let Some(value) = headers.get(http::header::CONTENT_ENCODING) else {
        return Ok(Encoding::Identity);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(Encoding::Identity),
        "gzip" | "x-gzip" => Ok(Encoding::Gzip),
        other => Err(GetError::Failed(format!(
            "the API server answered with Content-Encoding {}, which windoctor did not ask for (it asks for gzip only): a proxy in between may recode answers",
            clip(other, 60)
        ))),
    }
}

/// A body decoded frame by frame for readers that cut it themselves (node files and logs through
/// the API server, a fleet's calls): each frame gives the bytes it inflates to. They ask for gzip
/// with [`ACCEPT_GZIP`], as the list reads do.
pub struct FrameDecoder(BodyBuffer);

/// The `Accept-Encoding` every request of windoctor sends.
pub const ACCEPT_GZIP: (http::header::HeaderName, &str) = (http::header::ACCEPT_ENCODING, "gzip");

impl FrameDecoder {
    /// The decoder for an answer with these headers; an encoding windoctor did not ask for is an
    /// error that names it.
    pub fn for_headers(headers: &http::HeaderMap) -> Result<FrameDecoder, String> {
        let encoding = body_encoding(headers).map_err(|e| e.message())?;
        // The readers cut the bytes themselves: no limit here.
        Ok(FrameDecoder(BodyBuffer::new(encoding, usize::MAX - 1, 0)))
    }

    /// The bytes `frame` gives.
    pub fn decode(&mut self, frame: &[u8]) -> Result<Vec<u8>, String> {
        self.0.push(frame);
        self.take()
    }

    /// What is left once the body has ended; an error when its gzip stream ended early.
    pub fn finish(&mut self) -> Result<Vec<u8>, String> {
        self.0.end();
        self.take()
    }

    fn take(&mut self) -> Result<Vec<u8>, String> {
        match &self.0.broken {
            Some(why) => Err(gzip_broken(why)),
            None => Ok(std::mem::take(&mut self.0.bytes)),
        }
    }
}

fn gzip_broken(why: &str) -> String {
    format!("the answer's gzip encoding is broken ({why}): it may have been cut off in transit; run again")
}

/// A body read piece by piece into one buffer, inflated on the way when it is gzip (zlib's own
/// gzip framing, member after member, straight into the buffer), sized up front for the expected
/// size (the previous page's: no regrowing and copying of a page as it arrives), holding at most
/// `limit` bytes.
struct BodyBuffer {
    encoding: Encoding,
    /// The gzip member being inflated; `None` between members.
    member: Option<flate2::Decompress>,
    bytes: Vec<u8>,
    limit: usize,
    over: bool,
    broken: Option<String>,
    /// Whether any byte of the body came.
    received: bool,
}

/// The buffer grows by at least this much when a body is bigger than expected.
const MIN_GROWTH: usize = 64 * 1024;

impl BodyBuffer {
    fn new(encoding: Encoding, limit: usize, expected_bytes: usize) -> Self {
        BodyBuffer {
            encoding,
            member: None,
            bytes: Vec::with_capacity(expected_bytes.min(limit)),
            limit,
            over: false,
            broken: None,
            received: false,
        }
    }

    /// Takes the next piece; false once the body is broken or over the limit (read no more).
    fn push(&mut self, piece: &[u8]) -> bool {
        self.received |= !piece.is_empty();
        match self.encoding {
            Encoding::Identity => {
                let room = self.limit - self.bytes.len();
                self.over = piece.len() > room;
                self.bytes
                    .extend_from_slice(piece.get(..room).unwrap_or(piece));
            }
            Encoding::Gzip => self.inflate(piece),
        }
        self.broken.is_none() && !self.over
    }

    fn inflate(&mut self, mut gzipped: &[u8]) {
        while !gzipped.is_empty() && self.broken.is_none() && !self.over {
            let member = self
                .member
                .get_or_insert_with(|| flate2::Decompress::new_gzip(15));
            if self.bytes.len() == self.bytes.capacity() {
                // Never room for more than one byte past the limit: a bomb stops there.
                let room = self
                    .limit
                    .saturating_add(1)
                    .saturating_sub(self.bytes.len());
                if room == 0 {
                    self.over = true;
                    break;
                }
                self.bytes
                    .reserve_exact(room.min(self.bytes.len().max(MIN_GROWTH)));
            }
            let read_before = member.total_in();
            let written_before = self.bytes.len();
            let status =
                member.decompress_vec(gzipped, &mut self.bytes, flate2::FlushDecompress::None);
            let read = usize::try_from(member.total_in() - read_before).unwrap_or(gzipped.len());
            gzipped = gzipped.get(read..).unwrap_or_default();
            self.over = self.bytes.len() > self.limit;
            match status {
                Ok(flate2::Status::StreamEnd) => self.member = None,
                Ok(_) if read == 0 && self.bytes.len() == written_before => {
                    // No progress with input to read and room to write: zlib never does that
                    // on a sound stream; stop rather than lose the input.
                    if self.bytes.len() < self.bytes.capacity() {
                        self.broken = Some("the gzip stream made no progress".to_string());
                    }
                }
                Ok(_) => {}
                Err(e) => self.broken = Some(e.to_string()),
            }
        }
    }

    /// The body has ended: a gzip stream still inside a member was cut off. An empty body (as a
    /// 204 has) is empty whatever its encoding says.
    fn end(&mut self) {
        if self.received && self.broken.is_none() && !self.over && self.member.is_some() {
            self.broken = Some("incomplete gzip stream".to_string());
        }
    }

    /// The body: a success body over the limit is `TooLarge(max_bytes)`, an error body over it is
    /// cut; a body that is not gzip though it says so, or whose gzip stream ends early, is an
    /// error.
    fn finish(mut self, success: bool, max_bytes: usize) -> Result<Vec<u8>, GetError> {
        self.end();
        let mut bytes = std::mem::take(&mut self.bytes);
        match (self.over, self.broken) {
            (false, None) => Ok(bytes),
            (true, _) if success => Err(GetError::TooLarge(max_bytes)),
            // An error body cut at its limit, or cut off in transit, still says what it can.
            (_, _) if !success && !bytes.is_empty() => {
                bytes.truncate(self.limit);
                Ok(bytes)
            }
            (_, broken) => Err(GetError::Failed(gzip_broken(&broken.unwrap_or_default()))),
        }
    }
}

/// "forbidden (pods is forbidden: User ... cannot list ...)" from a non-2xx answer, using its
/// Status body when it has one.
pub fn describe_status(code: u16, body: &[u8]) -> String {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Status {
        message: String,
        reason: String,
    }
    let status: Status = serde_json::from_slice(body).unwrap_or_default();
    let reason = match code {
        401 => "unauthorized: the credentials were rejected".to_string(),
        403 => "forbidden".to_string(),
        404 => "not found".to_string(),
        410 => "the list expired while paging (resourceVersion too old; run again)".to_string(),
        code => {
            let canonical = http::StatusCode::from_u16(code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let named = if status.reason.is_empty() {
                canonical.to_string()
            } else {
                status.reason.clone()
            };
            format!("HTTP {code} {named}").trim_end().to_string()
        }
    };
    let message = clip(status.message.trim(), 500);
    if message.is_empty() {
        reason
    } else {
        format!("{reason} ({message})")
    }
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// Says what went wrong below HTTP: refused, unreachable, DNS, TLS, connect timeout, or the
/// kubeconfig's credential plugin, from the error and its sources. Credentials never appear: an
/// authentication error (an exec plugin's output may be the token) is described by
/// `kube_error::describe`, and every other text is redacted.
pub fn describe_client_error(e: &kube::Error) -> String {
    if let Some(safe) = crate::sources::kube_error::describe_auth_in(e) {
        return safe;
    }
    let text = match e {
        kube::Error::Api(status) => describe_status(
            status.code,
            &serde_json::to_vec(
                &serde_json::json!({"message": status.message, "reason": status.reason}),
            )
            .unwrap_or_default(),
        ),
        other => describe_chain(other),
    };
    crate::redact::redact(&text)
}

/// Classifies an error by walking its sources.
pub fn describe_chain(e: &(dyn std::error::Error + 'static)) -> String {
    use std::io::ErrorKind;
    let mut texts: Vec<String> = Vec::new();
    let mut io_kind: Option<ErrorKind> = None;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        let text = err.to_string();
        if !texts.iter().any(|t| t.contains(&text)) {
            texts.push(text);
        }
        current = err.source();
    }
    let all = texts.join(": ");
    let lower = all.to_ascii_lowercase();
    let what = if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("temporary failure in name resolution")
        || lower.contains("no such host")
    {
        "the API server's host name does not resolve (DNS): check the server address in the kubeconfig and this machine's DNS"
    } else {
        match io_kind {
            Some(ErrorKind::ConnectionRefused) => {
                "connection refused: nothing listens at the API server's address and port (is the API server up, is the port right?)"
            }
            Some(ErrorKind::HostUnreachable) | Some(ErrorKind::NetworkUnreachable) => {
                "the API server is unreachable from this machine (no route to it: check the network, VPN or proxy)"
            }
            Some(ErrorKind::TimedOut) => {
                "timed out connecting to the API server (a firewall may drop the packets, or the address is wrong)"
            }
            Some(ErrorKind::ConnectionReset) | Some(ErrorKind::ConnectionAborted) => {
                "the connection was reset by the API server or a proxy in between"
            }
            Some(ErrorKind::UnexpectedEof) => "the API server closed the connection early",
            _ if lower.contains("certificate") || lower.contains("tls") => {
                "the TLS handshake with the API server failed (certificate or CA mismatch)"
            }
            _ if lower.contains("connection refused") => {
                "connection refused: nothing listens at the API server's address and port (is the API server up, is the port right?)"
            }
            _ => "",
        }
    };
    if what.is_empty() {
        all
    } else {
        format!("{what} [{}]", clip(&all, 300))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_name_the_reason_and_the_message() {
        let body = br#"{"kind":"Status","message":"pods is forbidden: User \"x\" cannot list resource \"pods\"","reason":"Forbidden","code":403}"#;
        assert_eq!(
            describe_status(403, body),
            "forbidden (pods is forbidden: User \"x\" cannot list resource \"pods\")"
        );
        assert_eq!(
            describe_status(500, b"<html>"),
            "HTTP 500 Internal Server Error"
        );
        assert_eq!(
            describe_status(500, br#"{"reason":"InternalError","message":"etcd"}"#),
            "HTTP 500 InternalError (etcd)"
        );
    }

    #[test]
    fn transport_errors_are_classified() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(describe_chain(&refused).starts_with("connection refused"));
        let dns = std::io::Error::other("dns error: failed to lookup address information");
        assert!(describe_chain(&dns).contains("(DNS)"));
        let unreachable = std::io::Error::new(
            std::io::ErrorKind::NetworkUnreachable,
            "Network is unreachable",
        );
        assert!(describe_chain(&unreachable).contains("unreachable"));
        let timeout = std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out");
        assert!(describe_chain(&timeout).starts_with("timed out connecting"));
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).expect("writes to a Vec");
        encoder.finish().expect("finishes")
    }

    #[test]
    fn only_gzip_and_identity_bodies_are_read() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(body_encoding(&headers), Ok(Encoding::Identity));
        for (value, expected) in [
            ("gzip", Encoding::Gzip),
            ("GZIP ", Encoding::Gzip),
            ("identity", Encoding::Identity),
        ] {
            headers.insert(
                http::header::CONTENT_ENCODING,
                http::HeaderValue::from_static(value),
            );
            assert_eq!(body_encoding(&headers), Ok(expected), "{value}");
        }
        headers.insert(
            http::header::CONTENT_ENCODING,
            http::HeaderValue::from_static("br"),
        );
        let Err(GetError::Failed(why)) = body_encoding(&headers) else {
            panic!("br is not read as it is");
        };
        assert!(why.contains("Content-Encoding br"), "{why}");
    }

    /// A gzip [`BodyBuffer`] fed `gzipped` in pieces of `frame` bytes, as frames arrive.
    fn inflate(
        gzipped: &[u8],
        frame: usize,
        limit: usize,
        success: bool,
    ) -> Result<Vec<u8>, GetError> {
        read_in_frames(Encoding::Gzip, gzipped, frame, limit, success)
    }

    fn read_in_frames(
        encoding: Encoding,
        body: &[u8],
        frame: usize,
        limit: usize,
        success: bool,
    ) -> Result<Vec<u8>, GetError> {
        let mut buffer = BodyBuffer::new(encoding, limit, 1000);
        for piece in body.chunks(frame.max(1)) {
            if !buffer.push(piece) {
                break;
            }
        }
        buffer.finish(success, 99)
    }

    #[test]
    fn plain_bodies_are_read_within_the_limit() {
        let page = br#"{"kind":"PodList","items":[]}"#.repeat(100);
        for frame in [1, 7, 4096] {
            let read =
                |limit, success| read_in_frames(Encoding::Identity, &page, frame, limit, success);
            assert_eq!(read(page.len(), true), Ok(page.clone()));
            assert_eq!(read(page.len() - 1, true), Err(GetError::TooLarge(99)));
            assert_eq!(read(10, false), Ok(page[..10].to_vec()));
        }
        assert_eq!(
            read_in_frames(Encoding::Identity, b"", 5, 10, true),
            Ok(Vec::new())
        );
    }

    #[test]
    fn gzip_bodies_inflate_as_they_arrive_within_the_limit() {
        let page = br#"{"kind":"PodList","items":[]}"#.repeat(1000);
        for frame in [1, 7, 4096, 1 << 20] {
            assert_eq!(
                inflate(&gzip(&page), frame, page.len(), true),
                Ok(page.clone())
            );
            // One byte over: a success body is too large (with the limit the caller names), an
            // error body is cut.
            assert_eq!(
                inflate(&gzip(&page), frame, page.len() - 1, true),
                Err(GetError::TooLarge(99))
            );
            assert_eq!(
                inflate(&gzip(&page), frame, 10, false),
                Ok(page[..10].to_vec())
            );
        }
        // Two members, as `cat a.gz b.gz` makes them: both are read.
        let mut two = gzip(b"{\"kind\":");
        two.extend(gzip(b"\"PodList\"}"));
        assert_eq!(
            inflate(&two, 5, 1000, true),
            Ok(br#"{"kind":"PodList"}"#.to_vec())
        );
        assert_eq!(inflate(b"", 5, 1000, true), Ok(Vec::new()));
    }

    #[test]
    fn frames_decode_to_the_body_they_carry() {
        let page = br#"{"kind":"Status","message":"node not found"}"#.repeat(100);
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_ENCODING,
            http::HeaderValue::from_static("gzip"),
        );
        let gzipped = gzip(&page);
        let mut decoder = FrameDecoder::for_headers(&headers).expect("gzip is read");
        let mut body = Vec::new();
        for piece in gzipped.chunks(9) {
            body.extend_from_slice(&decoder.decode(piece).expect("inflates"));
        }
        body.extend(decoder.finish().expect("ends well"));
        assert_eq!(body, page);
        // Cut off in transit: the end says so.
        let mut decoder = FrameDecoder::for_headers(&headers).expect("gzip is read");
        let _ = decoder
            .decode(&gzipped[..gzipped.len() / 2])
            .expect("inflates");
        let why = decoder.finish().expect_err("a cut stream is an error");
        assert!(
            why.starts_with("the answer's gzip encoding is broken"),
            "{why}"
        );
        // Not encoded: the frames as they are.
        let mut plain = FrameDecoder::for_headers(&http::HeaderMap::new()).expect("plain");
        assert_eq!(plain.decode(b"abc"), Ok(b"abc".to_vec()));
        assert_eq!(plain.finish(), Ok(Vec::new()));
    }

    #[test]
    fn gzip_bombs_are_cut_off_as_they_inflate() {
        // 64 MiB of spaces in about 64 KiB: never held whole.
        let bomb = gzip(&vec![b' '; 64 << 20]);
        assert!(bomb.len() < 1 << 20, "{}", bomb.len());
        assert_eq!(
            inflate(&bomb, 16 << 10, 1 << 20, true),
            Err(GetError::TooLarge(99))
        );
    }

    #[test]
    fn broken_gzip_bodies_say_so() {
        let page = br#"{"kind":"PodList","items":[]}"#.repeat(1000);
        let whole = gzip(&page);
        for broken in [&whole[..whole.len() / 2], b"not gzip at all".as_slice()] {
            let Err(GetError::Failed(why)) = inflate(broken, 100, 1 << 20, true) else {
                panic!("a broken body was read");
            };
            assert!(
                why.starts_with("the answer's gzip encoding is broken"),
                "{why}"
            );
        }
    }

    /// A list page kept as it came: its head is the start of its text, and inflated later it gives
    /// what inflating it as it arrived gives, with the same cap and the same words when broken.
    #[test]
    fn raw_bodies_give_their_head_at_once_and_inflate_as_arriving_ones_do() {
        let page =
            br#"{"kind":"PodList","metadata":{"continue":"abc"},"items":[{"x":1}]}"#.repeat(2000);
        let raw = |bytes: Vec<u8>| RawBody { gzip: true, bytes };
        let body = raw(gzip(&page));
        assert_eq!(body.head().as_ref(), &page[..HEAD_BYTES]);
        assert_eq!(body.inflate(page.len(), 0), Ok(page.clone()));
        // One byte over: too large, with the limit it was given (as a body inflated on arrival).
        assert_eq!(
            raw(gzip(&page)).inflate(page.len() - 1, 0),
            Err(GetError::TooLarge(page.len() - 1))
        );
        let whole = gzip(&page);
        let cut = raw(whole[..whole.len() / 2].to_vec());
        assert_eq!(
            cut.head().as_ref(),
            &page[..HEAD_BYTES],
            "the head comes first"
        );
        let Err(GetError::Failed(why)) = cut.inflate(1 << 20, 0) else {
            panic!("a cut body was read");
        };
        assert!(
            why.starts_with("the answer's gzip encoding is broken"),
            "{why}"
        );
        assert!(raw(b"not gzip".to_vec()).head().is_empty());
        let plain = RawBody::plain(page[..100].to_vec());
        assert_eq!(plain.head().as_ref(), &page[..100]);
        assert_eq!(plain.inflate(10, 0), Ok(page[..100].to_vec()));
    }

    #[test]
    fn sizes_read_as_operators_write_them() {
        assert_eq!(bytes_text(64 << 20), "64 MiB");
        assert_eq!(bytes_text(2048), "2 KiB");
        assert_eq!(seconds_text(Duration::from_millis(1500)), "1.5s");
        assert_eq!(seconds_text(Duration::from_secs(15)), "15s");
    }
}
