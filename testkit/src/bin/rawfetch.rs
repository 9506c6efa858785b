//! `rawfetch`: the raw-fetch floor for benchmarks. Reads what windoctor's
//! live scan reads (`/version` and eight lists) from the server of a
//! kubeconfig written by `fakeapi`, with the same page size (`limit=500`),
//! at most four requests in flight and `Accept-Encoding: gzip`, over a hyper
//! client as a real client would; it inflates every body and looks only for
//! the continue token in the head before `items`, parsing nothing else.
//! Prints `lists=.. pages=.. inflated_bytes=.. wire_bytes=.. wall_s=..`.
//!
//! fakeapi serves plain HTTP, so only `http://` servers are supported.
//!
//! usage: rawfetch --kubeconfig PATH

use std::io::Read;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use windoctor_testkit::kubeconfig::read_client_config;

/// The lists windoctor's live scan reads.
const LISTS: [&str; 8] = [
    "/api/v1/nodes",
    "/api/v1/pods",
    "/api/v1/events?fieldSelector=type%21%3DNormal",
    "/api/v1/services",
    "/apis/apps/v1/daemonsets",
    "/api/v1/namespaces/kube-system/configmaps",
    "/api/v1/configmaps?fieldSelector=metadata.name%3Dkube-flannel-cfg",
    "/apis/node.k8s.io/v1/runtimeclasses",
];

/// Page size, as windoctor asks.
const PAGE: usize = 500;
/// Requests in flight at most.
const IN_FLIGHT: usize = 4;
/// How much of an inflated body is kept to find the continue token.
const HEAD_LIMIT: usize = 1 << 20;

const USAGE: &str = "usage: rawfetch --kubeconfig PATH";

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

/// Counters over every request.
#[derive(Default)]
struct Totals {
    pages: AtomicU64,
    inflated: AtomicU64,
    wire: AtomicU64,
}

/// Where and how to ask.
struct Target {
    client: HttpClient,
    server: String,
    bearer: Option<String>,
    slots: Semaphore,
    totals: Totals,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [flag, path] if flag == "--kubeconfig" => path.clone(),
        [help] if help == "-h" || help == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [arg] if arg.starts_with("--kubeconfig=") => {
            arg.trim_start_matches("--kubeconfig=").to_string()
        }
        _ => {
            eprintln!("rawfetch: {USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&path) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rawfetch: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(kubeconfig: &str) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(kubeconfig).with_context(|| format!("reading {kubeconfig}"))?;
    let config = read_client_config(&text)?;
    if !config.server.starts_with("http://") {
        bail!(
            "{} is not plain http: rawfetch speaks what fakeapi serves",
            config.server
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let target = Arc::new(Target {
            client: Client::builder(TokioExecutor::new()).build_http(),
            server: config.server.trim_end_matches('/').to_string(),
            bearer: config.token.map(|t| format!("Bearer {t}")),
            slots: Semaphore::new(IN_FLIGHT),
            totals: Totals::default(),
        });
        let started = Instant::now();
        fetch(&target, "/version").await?;
        let mut lists = JoinSet::new();
        for path in LISTS {
            let target = Arc::clone(&target);
            lists.spawn(async move { fetch_list(&target, path).await });
        }
        while let Some(done) = lists.join_next().await {
            done.context("a list task panicked")??;
        }
        let wall = started.elapsed().as_secs_f64();
        let t = &target.totals;
        Ok(format!(
            "lists={} pages={} inflated_bytes={} wire_bytes={} wall_s={wall:.3}",
            LISTS.len(),
            t.pages.load(Ordering::SeqCst),
            t.inflated.load(Ordering::SeqCst),
            t.wire.load(Ordering::SeqCst),
        ))
    })
}

/// Follows one list's continue tokens to its end.
async fn fetch_list(target: &Target, path: &str) -> anyhow::Result<()> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let first = format!("{path}{separator}limit={PAGE}");
    let mut url = first.clone();
    loop {
        match fetch(target, &url).await? {
            Some(token) => url = format!("{first}&continue={}", escape(&token)),
            None => return Ok(()),
        }
    }
}

/// One GET in a free slot: counts its bytes, returns the continue token.
async fn fetch(target: &Target, path_and_query: &str) -> anyhow::Result<Option<String>> {
    let mut request = Request::get(format!("{}{path_and_query}", target.server))
        .header(ACCEPT, "application/json")
        .header(ACCEPT_ENCODING, "gzip");
    if let Some(bearer) = &target.bearer {
        request = request.header(AUTHORIZATION, bearer);
    }
    let request = request.body(Empty::new())?;
    let (status, gzipped, body) = {
        let _slot = target.slots.acquire().await?;
        let response = target
            .client
            .request(request)
            .await
            .with_context(|| format!("GET {path_and_query}"))?;
        let status = response.status();
        let gzipped = response
            .headers()
            .get(CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let body = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("reading GET {path_and_query}"))?
            .to_bytes();
        (status, gzipped, body)
    };
    let (inflated, head) = if gzipped {
        inflate(&body).with_context(|| format!("inflating GET {path_and_query}"))?
    } else {
        let head = body[..body.len().min(HEAD_LIMIT)].to_vec();
        (body.len() as u64, head)
    };
    if !status.is_success() {
        bail!(
            "GET {path_and_query}: {status}: {}",
            String::from_utf8_lossy(&head[..head.len().min(300)])
        );
    }
    let totals = &target.totals;
    totals.pages.fetch_add(1, Ordering::SeqCst);
    totals.wire.fetch_add(body.len() as u64, Ordering::SeqCst);
    totals.inflated.fetch_add(inflated, Ordering::SeqCst);
    Ok(continue_token(&head))
}

/// Inflates `body` in pieces: the inflated size and its head.
fn inflate(body: &[u8]) -> anyhow::Result<(u64, Vec<u8>)> {
    let mut decoder = flate2::read::GzDecoder::new(body);
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = Vec::new();
    let mut total = 0u64;
    loop {
        let n = decoder.read(&mut buf)?;
        if n == 0 {
            return Ok((total, head));
        }
        total += n as u64;
        if head.len() < HEAD_LIMIT && !contains(&head, b"\"items\"") {
            head.extend_from_slice(&buf[..n.min(HEAD_LIMIT - head.len())]);
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `metadata.continue` value in the part of `head` before `"items"`;
/// `None` when absent or empty.
fn continue_token(head: &[u8]) -> Option<String> {
    let before_items = &head[..find(head, b"\"items\"").unwrap_or(head.len())];
    let key = b"\"continue\":\"";
    let start = find(before_items, key)? + key.len();
    let len = before_items[start..].iter().position(|&b| b == b'"')?;
    let token = String::from_utf8_lossy(&before_items[start..start + len]).into_owned();
    (!token.is_empty()).then_some(token)
}

/// Percent-encodes a query value (everything but unreserved characters).
fn escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_before_items_only() {
        let page = br#"{"kind":"PodList","metadata":{"resourceVersion":"5","continue":"eyJ2Ijo","remainingItemCount":3},"items":[{"continue":"no"}]}"#;
        assert_eq!(continue_token(page).as_deref(), Some("eyJ2Ijo"));
        let last = br#"{"kind":"PodList","metadata":{"resourceVersion":"5"},"items":[{"metadata":{"continue":"x"}}]}"#;
        assert_eq!(continue_token(last), None);
        let empty = br#"{"metadata":{"continue":""},"items":[]}"#;
        assert_eq!(continue_token(empty), None);
    }

    #[test]
    fn escapes_tokens() {
        assert_eq!(escape("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(escape("eyJ2-_x"), "eyJ2-_x");
    }

    #[test]
    fn inflates_in_pieces() -> anyhow::Result<()> {
        use std::io::Write;
        let page = format!(
            "{{\"metadata\":{{\"continue\":\"tok\"}},\"items\":[\"{}\"]}}",
            "x".repeat(300_000)
        );
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(page.as_bytes())?;
        let (total, head) = inflate(&encoder.finish()?)?;
        assert_eq!(total, page.len() as u64);
        assert!(head.len() < page.len());
        assert_eq!(continue_token(&head).as_deref(), Some("tok"));
        Ok(())
    }
}
