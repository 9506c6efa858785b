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
    let mut stream = TcpStream::connect(addr).context("connecting")?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut request =
        format!("GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
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
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
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
