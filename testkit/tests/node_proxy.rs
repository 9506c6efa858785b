//! The kubelet proxy routes (`/api/v1/nodes/NAME/proxy/...`) against the
//! sample bundle's `nodes/` directory: configz, the log directory as Go's
//! file server shows it, the node log query (and a kubelet without it), and
//! injected 403/404/delays on `nodes/proxy`. Driven with plain HTTP and
//! with kube-rs.

mod common;

use std::time::{Duration, Instant};

use common::{bundle_dir, get};
use serde_json::json;
use windoctor_testkit::{BackgroundServer, ClusterData, FakeApiServer, ServerOptions};

fn start(options: ServerOptions) -> anyhow::Result<BackgroundServer> {
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    FakeApiServer::start_background(data, options)
}

const PROXY: &str = "/api/v1/nodes/win-node-1/proxy";

#[test]
fn configz_is_wrapped_kubelet_configuration() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let response = get(server.addr(), &format!("{PROXY}/configz"))?;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let config = response.json()?;
    let kubelet = &config["kubeletconfig"];
    assert_eq!(kubelet["systemReserved"], json!({"memory": "2Gi"}));
    assert!(kubelet.get("cgroupDriver").is_none());
    assert_eq!(kubelet["enforceNodeAllocatable"], json!([]));
    // A bare configuration in the bundle is served wrapped too.
    let linux = get(server.addr(), "/api/v1/nodes/linux-cp-1/proxy/configz")?.json()?;
    assert_eq!(linux["kubeletconfig"]["cgroupDriver"], "systemd");
    // A node without kubelet data: the API server cannot reach its kubelet.
    let unreachable = get(server.addr(), "/api/v1/nodes/win-node-2/proxy/configz")?;
    assert_eq!(unreachable.status, 503);
    let body = unreachable.json()?;
    assert_eq!(body["reason"], "ServiceUnavailable");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("error trying to reach service: dial tcp ")));
    // An unknown node.
    let missing = get(server.addr(), "/api/v1/nodes/ghost/proxy/configz")?;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()?["message"], "nodes \"ghost\" not found");
    // Data set in code.
    server.update(|data| data.set_configz("win-node-2", json!({"maxPods": 7})));
    let set = get(server.addr(), "/api/v1/nodes/win-node-2/proxy/configz")?.json()?;
    assert_eq!(set, json!({"kubeletconfig": {"maxPods": 7}}));
    Ok(())
}

#[test]
fn log_directory_as_go_file_server() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let root = get(server.addr(), &format!("{PROXY}/logs/"))?;
    assert_eq!(root.status, 200);
    assert_eq!(
        root.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        root.text(),
        "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n\
         <a href=\"containerd/\">containerd/</a>\n<a href=\"kubelet/\">kubelet/</a>\n</pre>\n"
    );
    let folder = get(server.addr(), &format!("{PROXY}/logs/kubelet/"))?;
    assert_eq!(
        folder.text(),
        "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n\
         <a href=\"kubelet.err.log\">kubelet.err.log</a>\n<a href=\"kubelet.log\">kubelet.log</a>\n</pre>\n"
    );
    // Whole files; unknown parameters change nothing.
    let file = get(
        server.addr(),
        &format!("{PROXY}/logs/kubelet/kubelet.log?verbose=1"),
    )?;
    assert_eq!(file.status, 200);
    assert!(file
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain")));
    assert_eq!(file.text().lines().count(), 3);
    assert!(file.text().contains("Successfully registered node"));
    // Canonical paths: directories end with a slash, files do not.
    let redirect = get(server.addr(), &format!("{PROXY}/logs/kubelet"))?;
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("kubelet/"));
    let redirect = get(server.addr(), &format!("{PROXY}/logs/kubelet/kubelet.log/"))?;
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some("../kubelet.log"));
    // Missing files and other kubelet paths.
    let missing = get(server.addr(), &format!("{PROXY}/logs/kubelet/nope.log"))?;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), "404 page not found\n");
    assert_eq!(get(server.addr(), &format!("{PROXY}/pods"))?.status, 404);
    // `..` cannot leave the log directory.
    let escaped = get(
        server.addr(),
        &format!("{PROXY}/logs/kubelet/..%2F..%2Fkubelet%2Fkubelet.log"),
    )?;
    assert_eq!(escaped.status, 200);
    assert!(escaped.text().contains("Kubelet version"));
    Ok(())
}

#[test]
fn node_log_query() -> anyhow::Result<()> {
    let server = start(ServerOptions::new())?;
    let all = get(server.addr(), &format!("{PROXY}/logs/?query=kubelet"))?;
    assert_eq!(all.status, 200);
    assert_eq!(all.text().lines().count(), 3);
    let tail = get(
        server.addr(),
        &format!("{PROXY}/logs/?query=kubelet&tailLines=1"),
    )?;
    assert_eq!(tail.text().lines().count(), 1);
    assert!(tail.text().contains("Successfully registered node"));
    let pattern = get(
        server.addr(),
        &format!("{PROXY}/logs/?query=kubelet&query=containerd&pattern=%5EE%7Cerror"),
    )?;
    let lines: Vec<String> = pattern.text().lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("E1205"));
    assert!(lines[1].contains("failed to load cni config"));
    let since = get(
        server.addr(),
        &format!("{PROXY}/logs/?query=kubelet&sinceTime=2026-12-05T10:00:00Z"),
    )?;
    assert_eq!(since.status, 200);
    // A file by path.
    let file = get(
        server.addr(),
        &format!("{PROXY}/logs/?query=containerd%5Ccontainerd.log"),
    )?;
    assert!(file.text().contains("starting containerd"));
    // Errors, as the kubelet answers them.
    let bad = get(
        server.addr(),
        &format!("{PROXY}/logs/?query=kubelet&tailLines=x"),
    )?;
    assert_eq!(bad.status, 400);
    let bad = get(
        server.addr(),
        &format!("{PROXY}/logs/?query=kubelet&sinceTime=yesterday"),
    )?;
    assert_eq!(bad.status, 400);
    let path = get(
        server.addr(),
        &format!("{PROXY}/logs/kubelet/?query=kubelet"),
    )?;
    assert_eq!(path.status, 406);
    assert_eq!(path.text(), "path not allowed in query mode\n");
    // Any query parameter on a file path means query mode on such a kubelet.
    let file = get(
        server.addr(),
        &format!("{PROXY}/logs/kubelet/kubelet.log?tailLines=1"),
    )?;
    assert_eq!(file.status, 406);
    let regex = get(
        server.addr(),
        &format!("{PROXY}/logs/?query=kubelet&pattern=%28"),
    )?;
    assert_eq!(regex.status, 406);
    Ok(())
}

#[test]
fn kubelet_without_node_log_query_lists_the_directory() -> anyhow::Result<()> {
    let listing = |server: &BackgroundServer, node: &str| -> anyhow::Result<(u16, String)> {
        let response = get(
            server.addr(),
            &format!("/api/v1/nodes/{node}/proxy/logs/?query=kubelet&tailLines=5"),
        )?;
        Ok((response.status, response.text()))
    };
    let server = start(ServerOptions::new().disable_node_log_query())?;
    let (status, body) = listing(&server, "win-node-1")?;
    assert_eq!(status, 200);
    assert!(body.starts_with("<!doctype html>"));
    assert!(body.contains("<a href=\"kubelet/\">kubelet/</a>"));
    // Files come whole, parameters or not.
    let file = get(
        server.addr(),
        &format!("{PROXY}/logs/kubelet/kubelet.log?tailLines=1"),
    )?;
    assert_eq!(file.status, 200);
    assert_eq!(file.text().lines().count(), 3);
    drop(server);

    let mut data = ClusterData::from_bundle_dir(bundle_dir())?;
    data.add_node_log_query(
        "win-node-2",
        "kubelet",
        "I1205 10:00:00.000000 1 a.go:1] hi\n",
    );
    let server = FakeApiServer::start_background(
        data,
        ServerOptions::new().disable_node_log_query_on("win-node-1"),
    )?;
    let (_, body) = listing(&server, "win-node-1")?;
    assert!(body.contains("<pre>"));
    let (status, body) = listing(&server, "win-node-2")?;
    assert_eq!(status, 200);
    assert_eq!(body, "I1205 10:00:00.000000 1 a.go:1] hi\n");
    Ok(())
}

#[test]
fn injected_failures_on_node_proxy() -> anyhow::Result<()> {
    let server = start(ServerOptions::new().forbid("nodes/proxy"))?;
    let forbidden = get(server.addr(), &format!("{PROXY}/configz"))?;
    assert_eq!(forbidden.status, 403);
    assert_eq!(
        forbidden.json()?["message"],
        "nodes \"win-node-1\" is forbidden: User \"system:serviceaccount:default:windoctor\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"
    );
    assert_eq!(get(server.addr(), &format!("{PROXY}/logs/"))?.status, 403);
    // Other node routes are unaffected.
    assert_eq!(get(server.addr(), "/api/v1/nodes/win-node-1")?.status, 200);
    drop(server);

    let server = start(
        ServerOptions::new()
            .not_found("nodes/proxy")
            .delay("pods/log", Duration::from_millis(10)),
    )?;
    assert_eq!(get(server.addr(), &format!("{PROXY}/configz"))?.status, 404);
    drop(server);

    let server = start(ServerOptions::new().delay("nodes/proxy", Duration::from_millis(300)))?;
    let started = Instant::now();
    assert_eq!(get(server.addr(), &format!("{PROXY}/configz"))?.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(get(server.addr(), "/api/v1/nodes")?.status, 200);
    assert!(started.elapsed() < Duration::from_millis(300));
    Ok(())
}

#[tokio::test]
async fn kube_rs_reads_node_proxy() -> anyhow::Result<()> {
    use kube::config::{KubeConfigOptions, Kubeconfig};
    let data = ClusterData::from_bundle_dir(bundle_dir())?;
    let server = FakeApiServer::start(data, ServerOptions::new().require_token(true)).await?;
    let dir = tempfile::tempdir()?;
    let path = server.write_kubeconfig(dir.path())?;
    let config = kube::Config::from_custom_kubeconfig(
        Kubeconfig::read_from(&path)?,
        &KubeConfigOptions::default(),
    )
    .await?;
    let client = kube::Client::try_from(config)?;
    let request = http::Request::get(format!("{PROXY}/configz")).body(Vec::new())?;
    let config: serde_json::Value = client.request(request).await?;
    assert_eq!(config["kubeletconfig"]["maxPods"], 30);
    let request =
        http::Request::get(format!("{PROXY}/logs/kubelet/kubelet.log")).body(Vec::new())?;
    let text = client.request_text(request).await?;
    assert!(text.contains("Kubelet version"));
    server.shutdown().await;
    Ok(())
}
