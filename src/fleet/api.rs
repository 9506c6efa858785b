//! The API calls of a fleet collection: create, read, log and delete collector pods, and list
//! leftovers by label. Each call has a timeout and gives the status code with the body (or the
//! `Status` message), so admission refusals reach the report in the API server's own words.

use crate::sources::live::request::FrameDecoder;
use http_body_util::BodyExt;
use kube::Client;
use std::time::Duration;

/// Largest body read (a collector's pod log is a few MiB at most).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A status code and body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `message` of a `Status` body, else the body's first line.
    pub fn message(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| text.lines().next().unwrap_or("").trim().to_string())
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

pub async fn call(
    client: &Client,
    method: &str,
    url: &str,
    body: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<Reply, String> {
    let (accept, gzip) = crate::sources::live::request::ACCEPT_GZIP;
    let mut builder = ::http::Request::builder()
        .method(method)
        .uri(url)
        .header(accept, gzip);
    if body.is_some() {
        builder = builder.header(::http::header::CONTENT_TYPE, "application/json");
    }
    let req = builder
        .body(kube::client::Body::from(body.unwrap_or_default()))
        .map_err(|e| format!("cannot build {method} {url}: {e}"))?;
    let exchange = async {
        let res = client.send(req).await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let mut decoder = FrameDecoder::for_headers(res.headers())?;
        let mut body = res.into_body();
        let mut buf = Vec::new();
        let mut read_to_the_end = true;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| e.to_string())?;
            if let Ok(data) = frame.into_data() {
                buf.extend_from_slice(&decoder.decode(&data)?);
                if buf.len() > MAX_BODY {
                    read_to_the_end = false;
                    break;
                }
            }
        }
        if read_to_the_end {
            buf.extend_from_slice(&decoder.finish()?);
        }
        Ok::<Reply, String>(Reply { status, body: buf })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(r) => r.map_err(|e| format!("{method} {url}: {e}")),
        Err(_) => Err(format!(
            "{method} {url} timed out after {} s",
            timeout.as_secs()
        )),
    }
}

/// Percent-encodes a query value.
pub fn query_value(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
