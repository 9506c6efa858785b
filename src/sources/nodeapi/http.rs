//! One bounded GET through the API server: a request slot, a timeout, and a body read up to a
//! byte limit (keeping the head, or the tail for logs whose server ignored `Range`), with the
//! status code and content type, and errors worded with the API's own message. It asks for gzip and
//! inflates each frame as it comes, so that the limits hold for the inflated bytes.

use super::Shared;
use crate::sources::live::request::FrameDecoder;
use http_body_util::BodyExt;
use std::sync::atomic::Ordering;

/// Adds `data` to `buf`, holding at most `limit` bytes: the first ones (and then true: read no
/// more) or the last ones.
fn keep_within(buf: &mut Vec<u8>, data: &[u8], limit: u64, keep: Keep) -> bool {
    buf.extend_from_slice(data);
    if buf.len() as u64 <= limit {
        return false;
    }
    match keep {
        Keep::Head => {
            buf.truncate(limit as usize);
            true
        }
        Keep::Tail => {
            let cut = buf.len() - limit as usize;
            buf.drain(..cut);
            false
        }
    }
}

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Answer {
    /// The message of a Kubernetes `Status` body, else the first line of the body.
    pub fn message(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(m) = v.get("message").and_then(|m| m.as_str()) {
                return m.to_string();
            }
        }
        crate::facts::node::logs::shorten(text.lines().next().unwrap_or("").trim(), 300)
    }

    pub fn is_html(&self) -> bool {
        let head =
            String::from_utf8_lossy(&self.body[..self.body.len().min(64)]).to_ascii_lowercase();
        self.content_type
            .to_ascii_lowercase()
            .starts_with("text/html")
            || head.trim_start().starts_with("<!doctype")
            || head.trim_start().starts_with("<pre>")
    }
}

/// How a body longer than the limit is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Head,
    Tail,
}

/// GETs `url` (path and query) holding one request slot. `range` asks for the last bytes
/// (`Range: bytes=-N`, honoured by the kubelet's file server). Errors: a timeout or a transport
/// failure, worded for messages.
pub async fn get(
    shared: &Shared,
    url: &str,
    limit: u64,
    keep: Keep,
    range: Option<u64>,
) -> Result<Answer, String> {
    let _slot = shared
        .slots
        .acquire()
        .await
        .map_err(|e| format!("cannot read {url}: {e}"))?;
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let (accept, gzip) = crate::sources::live::request::ACCEPT_GZIP;
    let mut builder = ::http::Request::get(url).header(accept, gzip);
    if let Some(n) = range {
        builder = builder.header(::http::header::RANGE, format!("bytes=-{n}"));
    }
    let req = builder
        .body(kube::client::Body::from(Vec::new()))
        .map_err(|e| format!("cannot build the request {url}: {e}"))?;
    let timeout = shared.opts.request_timeout;
    let read = async {
        let res = shared.client.send(req).await.map_err(|e| format!("{e}"))?;
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get(::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut decoder = FrameDecoder::for_headers(res.headers())?;
        let mut body = res.into_body();
        let mut buf: Vec<u8> = Vec::new();
        // A server that ignores limits cannot make the phase read forever: past 16 times the
        // limit (inflated), the read stops.
        let hard_stop = limit.saturating_mul(16).max(1024 * 1024);
        let mut seen: u64 = 0;
        let mut read_to_the_end = true;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("{e}"))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let data = decoder.decode(&data)?;
            seen += data.len() as u64;
            if keep_within(&mut buf, &data, limit, keep) || seen > hard_stop {
                read_to_the_end = false;
                break;
            }
        }
        if read_to_the_end {
            let rest = decoder.finish()?;
            keep_within(&mut buf, &rest, limit, keep);
        }
        Ok::<Answer, String>(Answer {
            status,
            content_type,
            body: buf,
        })
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(r) => r.map_err(|e| format!("GET {url}: {e}")),
        Err(_) => Err(format!("GET {url} timed out after {} s", timeout.as_secs())),
    }
}
