//! Helpers shared by the integration tests: the path of the sample bundle
//! and a minimal blocking HTTP/1.1 client, so the tests see exactly the
//! bytes and headers the server sends.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde_json::Value;

/// `tests/data/bundle`.
pub fn bundle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/bundle")
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("body is not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET path_and_query` with extra `headers`, one request per connection.
pub fn get_with(
    addr: SocketAddr,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<HttpResponse> {
    request(addr, "GET", path_and_query, headers, &[])
}

/// `POST path` with a JSON `body`.
pub fn post(addr: SocketAddr, path: &str, body: &Value) -> anyhow::Result<HttpResponse> {
    let bytes = body.to_string().into_bytes();
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &bytes,
    )
}

/// `DELETE path`.
pub fn delete(addr: SocketAddr, path: &str) -> anyhow::Result<HttpResponse> {
    request(addr, "DELETE", path, &[], &[])
}

/// One request with `method`, `headers` and `body`, one per connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<HttpResponse> {
    let mut stream = TcpStream::connect(addr).context("connecting")?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut request = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("no end of headers in response"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked { dechunk(&body)? } else { body };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// Decodes a chunked transfer encoding.
pub fn dechunk(mut raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("chunk size line not terminated"))?;
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        anyhow::ensure!(raw.len() >= size + 2, "truncated chunk");
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// `GET path_and_query`.
pub fn get(addr: SocketAddr, path_and_query: &str) -> anyhow::Result<HttpResponse> {
    get_with(addr, path_and_query, &[])
}

/// `metadata.namespace/metadata.name` of each item of a list body.
pub fn item_keys(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            let ns = item["metadata"]["namespace"].as_str().unwrap_or("");
            let name = item["metadata"]["name"].as_str().unwrap_or("");
            if ns.is_empty() {
                name.to_string()
            } else {
                format!("{ns}/{name}")
            }
        })
        .collect()
}

/// Follows `continue` tokens from `path` (which must already have a `?`),
/// returning every page.
pub fn all_pages(addr: SocketAddr, path: &str) -> anyhow::Result<Vec<Value>> {
    let mut pages = Vec::new();
    let mut url = path.to_string();
    for _ in 0..10_000 {
        let response = get(addr, &url)?;
        anyhow::ensure!(
            response.status == 200,
            "{url}: {} {}",
            response.status,
            response.text()
        );
        let page = response.json()?;
        let token = page["metadata"]["continue"].as_str().map(str::to_string);
        pages.push(page);
        match token {
            Some(token) => url = format!("{path}&continue={token}"),
            None => return Ok(pages),
        }
    }
    Err(anyhow!("pagination of {path} did not end"))
}
