//! The hostile server modes and hostile data, each driven with plain HTTP
//! (and kube-rs where a client's reaction is the point): lying
//! `remainingItemCount`, endless pages, huge streamed bodies, gzip bombs,
//! lists of the wrong kind, trickled bodies, 429 with `Retry-After`, hung
//! requests, exec credential plugins, and path tricks, secrets, terminal
//! escapes and a huge node name in the data.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{bundle_dir, get, get_with, item_keys};
use serde_json::Value;
use windoctor_testkit::hostile_data::{self, PATH_TRICKS, SECRETS, TERMINAL_ESCAPE};
use windoctor_testkit::kubeconfig::{exec_credential_json, ExecPlugin};
use windoctor_testkit::{BackgroundServer, ClusterData, FakeApiServer, ServerOptions, WrongKind};

fn start(options: ServerOptions) -> anyhow::Result<BackgroundServer> {
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    FakeApiServer::start_background(data, options)
}

fn inflate(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Sends `GET path` and counts the body bytes as they arrive (chunk framing
/// included), without keeping them; returns the status line, the headers'
/// text and the count.
fn stream_count(addr: SocketAddr, path: &str) -> anyhow::Result<(String, String, u64)> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    (&stream).write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let count = std::io::copy(&mut reader, &mut std::io::sink())?;
    Ok((status, head, count))
}

#[test]
fn remaining_item_count_lies() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().remaining_item_count(100_000_000))?;
    let page = get(server.addr(), "/api/v1/pods?limit=2")?.json()?;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["metadata"]["remainingItemCount"], 100_000_000);
    let all = get(server.addr(), "/api/v1/nodes")?.json()?;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(all["metadata"]["remainingItemCount"], 100_000_000);
    assert!(all["metadata"].get("continue").is_none());
    Ok(())
}

#[test]
fn endless_pages_never_repeat_a_token() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().endless_pages())?;
    let mut tokens = BTreeSet::new();
    let mut url = "/api/v1/pods?limit=3".to_string();
    for _ in 0..40 {
        let page = get(server.addr(), &url)?.json()?;
        assert_eq!(page["items"].as_array().map(Vec::len), Some(3));
        let token = page["metadata"]["continue"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no continue token"))?;
        assert!(tokens.insert(token.clone()), "token repeated");
        url = format!("/api/v1/pods?limit=3&continue={token}");
    }
    // Without a limit, pages of 500.
    let page = get(server.addr(), "/api/v1/nodes")?.json()?;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(500));
    Ok(())
}

#[test]
fn huge_body_is_streamed_plain_and_gzipped() -> anyhow::Result<()> {
    const SIZE: u64 = 24 * 1024 * 1024;
    let server = start(ServerOptions::new().huge_body(SIZE))?;
    let (status, head, count) = stream_count(server.addr(), "/api/v1/pods")?;
    assert!(status.contains(" 200 "), "{status}");
    assert!(head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked"));
    assert!(count > SIZE, "{count}");
    let zipped = get_with(
        server.addr(),
        "/api/v1/pods",
        &[("Accept-Encoding", "gzip")],
    )?;
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert!(
        (zipped.body.len() as u64) < SIZE / 100,
        "{}",
        zipped.body.len()
    );
    let list: Value = serde_json::from_slice(&inflate(&zipped.body)?)?;
    assert_eq!(list["kind"], "PodList");
    assert_eq!(item_keys(&list).len(), 7);
    assert_eq!(
        list["windoctorTestkitPadding"].as_str().map(str::len),
        Some(SIZE as usize)
    );
    // Errors and single objects are not padded.
    assert!(get(server.addr(), "/api/v1/nodes/win-node-1")?.body.len() < 100_000);
    Ok(())
}

#[test]
fn gzip_bomb_inflates_far_beyond_its_size() -> anyhow::Result<()> {
    const SIZE: u64 = 64 * 1024 * 1024;
    let server = start(
        ServerOptions::new()
            .gzip_bomb(SIZE)
            .hostile_only_for(&["pods"]),
    )?;
    // Sent gzipped even to a client that did not ask for it.
    let bomb = get(server.addr(), "/api/v1/pods?limit=500")?;
    assert_eq!(bomb.status, 200);
    assert_eq!(bomb.header("content-encoding"), Some("gzip"));
    assert!(bomb.body.len() < 200_000, "{}", bomb.body.len());
    let inflated = inflate(&bomb.body)?;
    assert_eq!(inflated.len() as u64, SIZE);
    assert!(inflated.starts_with(b"{\"kind\":\"PodList\""));
    // Other resources are untouched.
    let nodes = get(server.addr(), "/api/v1/nodes")?;
    assert_eq!(nodes.header("content-encoding"), None);
    assert_eq!(item_keys(&nodes.json()?).len(), 3);
    Ok(())
}

#[test]
fn wrong_kinds() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().wrong_kind(WrongKind::OtherList))?;
    let list = get(server.addr(), "/api/v1/pods")?.json()?;
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(
        get(server.addr(), "/api/v1/configmaps")?.json()?["kind"],
        "PodList"
    );
    drop(server);

    let server = start(ServerOptions::new().wrong_kind(WrongKind::NotAList))?;
    let object = get(server.addr(), "/api/v1/pods")?.json()?;
    assert_eq!(object["kind"], "Pod");
    assert!(object.get("items").is_none());
    drop(server);

    let server = start(ServerOptions::new().wrong_kind(WrongKind::StatusOk))?;
    let status = get(server.addr(), "/api/v1/pods")?;
    assert_eq!(status.status, 200);
    assert_eq!(status.json()?["kind"], "Status");
    drop(server);

    let server = start(ServerOptions::new().wrong_kind(WrongKind::NullItems))?;
    let first = get(server.addr(), "/api/v1/pods?limit=2")?.json()?;
    assert_eq!(first["items"], Value::Null);
    let token = first["metadata"]["continue"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!token.is_empty());
    let second = get(
        server.addr(),
        &format!("/api/v1/pods?limit=2&continue={token}"),
    )?
    .json()?;
    assert_eq!(second["items"], Value::Null);
    assert_ne!(
        second["metadata"]["continue"].as_str(),
        Some(token.as_str())
    );
    Ok(())
}

#[test]
fn trickle_sends_headers_first_then_slowly() -> anyhow::Result<()> {
    let server = start(
        ServerOptions::new()
            .trickle(2_000)
            .hostile_only_for(&["nodes"]),
    )?;
    let started = Instant::now();
    let stream = TcpStream::connect(server.addr())?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    (&stream).write_all(b"GET /api/v1/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    let first_byte = started.elapsed();
    assert!(status.contains(" 200 "));
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    let total = started.elapsed();
    assert!(first_byte < Duration::from_millis(500), "{first_byte:?}");
    // About 2.8 KB of nodes at 2 KB/s.
    assert!(rest.len() > 2_000, "{}", rest.len());
    assert!(total > Duration::from_millis(900), "{total:?}");
    // Out of scope: fast.
    let started = Instant::now();
    assert_eq!(get(server.addr(), "/api/v1/pods")?.status, 200);
    assert!(started.elapsed() < Duration::from_millis(500));
    Ok(())
}

#[test]
fn too_many_requests_then_served() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().too_many_requests(7, 2))?;
    for _ in 0..2 {
        let throttled = get(server.addr(), "/api/v1/pods")?;
        assert_eq!(throttled.status, 429);
        assert_eq!(throttled.header("retry-after"), Some("7"));
        assert_eq!(
            throttled.text(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server has received too many requests and has asked us to try again later","reason":"TooManyRequests","details":{"retryAfterSeconds":7},"code":429}"#
        );
    }
    assert_eq!(get(server.addr(), "/api/v1/pods")?.status, 200);
    // Health checks are never throttled.
    assert_eq!(get(server.addr(), "/healthz")?.status, 200);
    Ok(())
}

#[test]
fn hang_never_answers() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().hang().hostile_only_for(&["events"]))?;
    let stream = TcpStream::connect(server.addr())?;
    stream.set_read_timeout(Some(Duration::from_millis(800)))?;
    (&stream).write_all(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")?;
    let mut buf = [0u8; 16];
    let read = (&stream).read(&mut buf);
    assert!(
        matches!(&read, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
        "{read:?}"
    );
    assert_eq!(get(server.addr(), "/api/v1/nodes")?.status, 200);
    // Shutting down drops the hung connection.
    server.shutdown();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_meets_hostile_servers() -> anyhow::Result<()> {
    use k8s_openapi::api::core::v1::{Event, Pod};
    use kube::api::{Api, ListParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};

    let options = ServerOptions::new()
        .too_many_requests(1, 1)
        .hostile_only_for(&["events"]);
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    let server = FakeApiServer::start(data, options).await?;
    let dir = tempfile::tempdir()?;
    let path = server.write_kubeconfig(dir.path())?;
    let mut config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::read_from(&path)?,
        &KubeConfigOptions::default(),
    )
    .await?;
    config.read_timeout = Some(Duration::from_secs(1));
    let client = kube::Client::try_from(config)?;
    // A 429 is either retried after Retry-After or surfaces as one.
    let throttled = Api::<Event>::all(client.clone())
        .list(&ListParams::default())
        .await;
    let event_requests = server
        .request_log()
        .iter()
        .filter(|r| r.path == "/api/v1/events")
        .count();
    match throttled {
        Ok(list) => {
            assert_eq!(list.items.len(), 4);
            assert_eq!(event_requests, 2, "retried once");
        }
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 429),
        Err(other) => anyhow::bail!("unexpected {other:?}"),
    }
    server.shutdown().await;

    // A hung list: the client's read timeout ends the wait.
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    let server = FakeApiServer::start(
        data,
        ServerOptions::new().hang().hostile_only_for(&["pods"]),
    )
    .await?;
    let path = server.write_kubeconfig(dir.path())?;
    let config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::read_from(&path)?,
        &KubeConfigOptions::default(),
    )
    .await?;
    let mut config = config;
    config.read_timeout = Some(Duration::from_secs(1));
    let client = kube::Client::try_from(config)?;
    let started = Instant::now();
    let hung = Api::<Pod>::all(client.clone())
        .list(&ListParams::default())
        .await;
    assert!(hung.is_err());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        Api::<Event>::all(client)
            .list(&ListParams::default())
            .await?
            .items
            .len(),
        4
    );
    server.shutdown().await;

    // kube-rs reads `items: null` as no items: a page that is empty yet
    // promises more, forever.
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    let server =
        FakeApiServer::start(data, ServerOptions::new().wrong_kind(WrongKind::NullItems)).await?;
    let path = server.write_kubeconfig(dir.path())?;
    let config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::read_from(&path)?,
        &KubeConfigOptions::default(),
    )
    .await?;
    let client = kube::Client::try_from(config)?;
    let page = Api::<Pod>::all(client)
        .list(&ListParams::default().limit(2))
        .await?;
    assert!(page.items.is_empty());
    assert!(page.metadata.continue_.is_some_and(|t| !t.is_empty()));
    server.shutdown().await;
    Ok(())
}

/// Writes an executable shell script `dir/name` with `body`.
fn script(dir: &std::path::Path, name: &str, body: &str) -> anyhow::Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path.display().to_string())
}

/// Lists nodes with kube-rs through the kubeconfig at `path`, in a thread of
/// its own so a hung plugin cannot block the test; `None` when no answer
/// came within `wait`.
fn list_nodes_via(path: std::path::PathBuf, wait: Duration) -> Option<Result<usize, String>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = (|| -> anyhow::Result<usize> {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                use kube::config::{KubeConfigOptions, Kubeconfig};
                let config = kube::Config::from_custom_kubeconfig(
                    Kubeconfig::read_from(&path)?,
                    &KubeConfigOptions::default(),
                )
                .await?;
                let client = kube::Client::try_from(config)?;
                let nodes = kube::Api::<k8s_openapi::api::core::v1::Node>::all(client)
                    .list(&kube::api::ListParams::default())
                    .await?;
                Ok(nodes.items.len())
            })
        })();
        let _ = tx.send(outcome.map_err(|e| format!("{e:#}")));
    });
    rx.recv_timeout(wait).ok()
}

#[test]
fn exec_credential_plugins() -> anyhow::Result<()> {
    let server = start(
        ServerOptions::new()
            .require_token(true)
            .token("from-plugin"),
    )?;
    let dir = tempfile::tempdir()?;
    let credential = exec_credential_json("from-plugin");

    let good = script(dir.path(), "good.sh", &format!("echo '{credential}'"))?;
    let path = server.write_kubeconfig_exec(dir.path().join("good"), &ExecPlugin::new(good))?;
    assert!(std::fs::read_to_string(&path)?.contains("exec:"));
    let outcome = list_nodes_via(path, Duration::from_secs(20));
    assert_eq!(outcome, Some(Ok(3)));

    let failing = script(
        dir.path(),
        "fail.sh",
        &format!("echo '{credential}'\nexit 3"),
    )?;
    let path = server.write_kubeconfig_exec(dir.path().join("fail"), &ExecPlugin::new(failing))?;
    let outcome = list_nodes_via(path, Duration::from_secs(20));
    assert!(matches!(outcome, Some(Err(_))), "{outcome:?}");

    let hanging = script(dir.path(), "hang.sh", "exec sleep 4")?;
    let path = server.write_kubeconfig_exec(
        dir.path().join("hang"),
        &ExecPlugin::new(hanging).arg("--wait").env("MODE", "hang"),
    )?;
    let outcome = list_nodes_via(path, Duration::from_secs(2));
    assert_eq!(outcome, None, "a hung plugin gives no answer");
    Ok(())
}

#[test]
fn hostile_data_is_served() -> anyhow::Result<()> {
    let mut data = ClusterData::from_bundle_dir(bundle_dir())?;
    let tricks = hostile_data::plant_path_tricks(&mut data)?;
    hostile_data::plant_secrets(&mut data)?;
    let escape = hostile_data::plant_terminal_escape(&mut data)?;
    let server = FakeApiServer::start_background(data, ServerOptions::new())?;
    let pods = get(server.addr(), "/api/v1/pods")?.json()?;
    let keys: BTreeSet<String> = item_keys(&pods).into_iter().collect();
    for (namespace, name) in &tricks {
        assert!(
            keys.contains(&format!("{namespace}/{name}")),
            "{namespace}/{name}"
        );
    }
    // Reachable by an escaped path, logs included.
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let log = get(
        server.addr(),
        &format!(
            "/api/v1/namespaces/{}/pods/{}/log",
            encode("../../tmp"),
            encode(PATH_TRICKS[1])
        ),
    )?;
    assert_eq!(log.status, 200);
    assert_eq!(log.text(), format!("log of ../../tmp/{}\n", PATH_TRICKS[1]));
    let everything = format!(
        "{}{}",
        get(server.addr(), "/api/v1/pods")?.text(),
        get(server.addr(), "/api/v1/events")?.text()
    );
    for secret in SECRETS {
        assert!(everything.contains(secret), "{secret} is served");
    }
    let events = get(
        server.addr(),
        "/api/v1/events?fieldSelector=type%21%3DNormal",
    )?
    .json()?;
    assert!(events["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|e| e["message"] == escape.as_str())));
    assert!(escape.contains(TERMINAL_ESCAPE));
    Ok(())
}

#[test]
fn node_with_a_100_mb_name() -> anyhow::Result<()> {
    const NAME: u64 = 100 * 1024 * 1024;
    let mut data = ClusterData::from_bundle_dir(bundle_dir())?;
    data.add_node_with_huge_name(NAME);
    let server = FakeApiServer::start_background(data, ServerOptions::new())?;
    let (status, _, count) = stream_count(server.addr(), "/api/v1/nodes")?;
    assert!(status.contains(" 200 "));
    assert!(count > NAME, "{count}");
    // Paged: the huge node comes last, after the stored ones.
    let first = get(server.addr(), "/api/v1/nodes?limit=2")?.json()?;
    assert_eq!(item_keys(&first), ["linux-cp-1", "win-node-1"]);
    // Filtered lists leave it out.
    let filtered = get(
        server.addr(),
        "/api/v1/nodes?labelSelector=kubernetes.io%2Fos%3Dwindows",
    )?;
    assert!(filtered.body.len() < 1_000_000);
    // Gzipped, it is small (the server's fastest level: about 1% of it with zlib-rs) and whole.
    let zipped = get_with(
        server.addr(),
        "/api/v1/nodes",
        &[("Accept-Encoding", "gzip")],
    )?;
    assert!(zipped.body.len() < 2_000_000, "{}", zipped.body.len());
    let list: Value = serde_json::from_slice(&inflate(&zipped.body)?)?;
    let names: Vec<usize> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["metadata"]["name"].as_str().map(str::len))
        .collect();
    assert_eq!(names.len(), 4);
    assert_eq!(names[3] as u64, NAME);
    Ok(())
}
