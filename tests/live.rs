//! The live path against the loopback Kubernetes-API-compatible server of `windoctor-testkit`:
//! pagination, each kind listed once, Status errors turning into `error` findings (never `pass`),
//! timeouts, an unreachable server, and agreement with the offline run on the same objects.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use windoctor_testkit::{ClusterData, FakeApiServer, ServerOptions};

fn bundle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles/kubectl-basic")
}

fn run_json(kubeconfig: &Path, extra: &[&str]) -> (Value, i32, String) {
    let out = Command::cargo_bin("windoctor")
        .expect("binary")
        .env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir())
        .args([
            "--kubeconfig",
            kubeconfig.to_str().expect("path"),
            "--report",
            "json",
        ])
        .args(extra)
        .output()
        .expect("runs");
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"));
    (
        report,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn findings(report: &Value) -> Vec<Value> {
    report["findings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn live_run_lists_each_kind_once_with_pagination() {
    let data = ClusterData::from_bundle_dir(bundle()).expect("bundle loads");
    let server =
        FakeApiServer::start_background(data, ServerOptions::new().max_page(1)).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    let (report, _, stderr) = run_json(&kubeconfig, &[]);
    assert_eq!(report["source"]["kind"], "live", "{stderr}");
    assert_eq!(
        report["environment"]["nodes"]["total"], 2,
        "both nodes read across pages: {stderr}"
    );
    assert_eq!(report["environment"]["server_version"], "v1.29.2");
    let log = server.request_log();
    let node_pages: Vec<_> = log.iter().filter(|r| r.path == "/api/v1/nodes").collect();
    assert_eq!(node_pages.len(), 2, "two pages of one node each: {log:?}");
    assert!(node_pages[0].query.contains("limit=500"));
    assert!(
        node_pages[1].query.contains("continue="),
        "second page follows the continue token"
    );
    for path in [
        "/api/v1/pods",
        "/api/v1/services",
        "/apis/apps/v1/daemonsets",
        "/apis/node.k8s.io/v1/runtimeclasses",
    ] {
        let first_pages = log
            .iter()
            .filter(|r| r.path == path && !r.query.contains("continue="))
            .count();
        assert_eq!(first_pages, 1, "{path} listed once: {log:?}");
    }
    assert!(
        log.iter()
            .any(|r| r.path == "/api/v1/events" && r.query.contains("fieldSelector")),
        "events are filtered to warnings"
    );
    // The server gzips every reply the client accepts gzip for (its threshold is 0 bytes), so the
    // report above was read from compressed pages: lists are a fraction of their size on the wire.
    let plain: Vec<_> = log.iter().filter(|r| !r.accepts_gzip).collect();
    assert!(plain.is_empty(), "every request accepts gzip: {plain:?}");
}

#[test]
fn forbidden_events_give_errors_not_passes() {
    let data = ClusterData::from_bundle_dir(bundle()).expect("bundle loads");
    let server = FakeApiServer::start_background(data, ServerOptions::new().forbid("events"))
        .expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    let (report, _, _) = run_json(&kubeconfig, &[]);
    let all = findings(&report);
    let readers: Vec<&str> = windoctor::catalogue::catalogue()
        .iter()
        .filter(|m| {
            // Cluster-side readers of events; node-only checks never read them without node data.
            m.inputs.iter().any(|i| i == "events")
                && m.has_scope(windoctor::catalogue::Scope::Cluster)
        })
        .map(|m| m.id.as_str())
        .collect();
    assert!(!readers.is_empty(), "some checks read events");
    for id in readers {
        let mine: Vec<&Value> = all.iter().filter(|f| f["check"] == id).collect();
        let error = mine.iter().find(|f| f["status"] == "error");
        let error = error.unwrap_or_else(|| {
            panic!("{id} reads events but reports no error when they are forbidden: {mine:?}")
        });
        let msg = error["message"].as_str().unwrap_or("");
        assert!(msg.contains("cannot list events: forbidden"), "{id}: {msg}");
        let row = windoctor::findings::row_status(
            &mine
                .iter()
                .map(|f| {
                    serde_json::from_value::<windoctor::findings::Finding>((*f).clone())
                        .expect("finding")
                })
                .collect::<Vec<_>>(),
        );
        assert_ne!(
            row,
            Some(windoctor::findings::Status::Pass),
            "{id} must not pass with events forbidden"
        );
    }
    // Checks that do not read events still ran on the other inputs.
    assert!(all
        .iter()
        .any(|f| f["check"] == "node-ready" && f["status"] == "fail"));
}

#[test]
fn live_and_offline_runs_agree_on_the_same_objects() {
    let data = ClusterData::from_bundle_dir(bundle()).expect("bundle loads");
    let server = FakeApiServer::start_background(data, ServerOptions::new()).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    // icmp-vs-tcp's skip names the bundle's missing probes file, which a live run has no use for.
    // The node data the live run reads through the API is not in this kubectl bundle: compared
    // here are the cluster lists (tests/remote_nodes.rs compares capture and replay with it).
    let (live, live_code, _) = run_json(&kubeconfig, &["--skip", "icmp-vs-tcp", "--no-node-data"]);
    let out = Command::cargo_bin("windoctor")
        .expect("binary")
        .args([
            "--snapshot",
            bundle().to_str().expect("path"),
            "--report",
            "json",
            "--skip",
            "icmp-vs-tcp",
        ])
        .output()
        .expect("runs");
    let offline: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(live["environment"], offline["environment"]);
    // The bundle holds only kube-system and kube-flannel ConfigMaps, which is what the live source lists.
    let (live, offline) = (findings(&live), findings(&offline));
    let only_live: Vec<String> = live
        .iter()
        .filter(|f| !offline.contains(f))
        .map(|f| format!("{} {} {}", f["check"], f["status"], f["message"]))
        .collect();
    let only_offline: Vec<String> = offline
        .iter()
        .filter(|f| !live.contains(f))
        .map(|f| format!("{} {} {}", f["check"], f["status"], f["message"]))
        .collect();
    assert!(
        only_live.is_empty() && only_offline.is_empty(),
        "live only: {only_live:#?}\noffline only: {only_offline:#?}"
    );
    assert_eq!(live.len(), offline.len());
    assert_eq!(Some(live_code), out.status.code());
}

#[test]
fn slow_lists_time_out_into_errors() {
    let data = ClusterData::from_bundle_dir(bundle()).expect("bundle loads");
    let server = FakeApiServer::start_background(
        data,
        ServerOptions::new().delay("nodes", Duration::from_secs(5)),
    )
    .expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    let started = std::time::Instant::now();
    let (report, _, _) = run_json(
        &kubeconfig,
        &["--request-timeout", "1", "--only", "node-ready"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout bounds the run"
    );
    let f = findings(&report);
    assert_eq!(f[0]["status"], "error", "{f:?}");
    assert!(
        f[0]["message"].as_str().unwrap_or("").contains("nodes"),
        "{f:?}"
    );
}

#[test]
fn unreachable_cluster_exits_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let path = dir.path().join("kubeconfig");
    windoctor_testkit::kubeconfig::write_kubeconfig_file(
        &path,
        &format!("http://127.0.0.1:{port}"),
        "token",
    )
    .expect("write");
    let (report, code, _) = run_json(&path, &["--request-timeout", "2"]);
    assert_eq!(code, 3);
    assert!(findings(&report)
        .iter()
        .all(|f| f["status"] == "error" || f["status"] == "skip"));
}

#[test]
fn missing_configuration_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::cargo_bin("windoctor")
        .expect("binary")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", dir.path())
        .args(["--report", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--kubeconfig") && stderr.contains("--demo"),
        "{stderr}"
    );
}

/// What the pager asks for while a page is parsed, or while the sink is not ready yet (the pod
/// list waiting for its sieve): each page that comes has the page after it asked for at once,
/// parse or no parse, so the server is never left waiting for windoctor; one request of a list
/// in flight at a time. The pages that came are held (as they came) within a cap of bytes, the
/// same before and after the sink is ready (`page_chain::Holding`'s tests hold the cap).
mod pipelined_pages {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use windoctor::sources::json_cursor::JsonCursor;
    use windoctor::sources::live::{self, paging};
    use windoctor_testkit::{
        BackgroundServer, ClusterData, FakeApiServer, GenerateSpec, ServerOptions,
    };

    /// Takes pods; on the first, waits (at most 5 s) until `wanted` pod pages were asked for.
    struct SlowFirstPage {
        server: Arc<BackgroundServer>,
        asked_while_parsing: usize,
        items: usize,
        wanted: usize,
    }

    impl SlowFirstPage {
        fn pod_pages_asked(&self) -> usize {
            self.server
                .request_log()
                .iter()
                .filter(|r| r.path == "/api/v1/pods")
                .count()
        }
    }

    impl paging::ListSink for SlowFirstPage {
        fn take_next(
            &mut self,
            item: &mut JsonCursor<'_>,
            _written: &mut live::written_ahead::WrittenAhead,
        ) -> Result<u64, paging::ItemError> {
            let pod: serde_json::Value = item.value().map_err(paging::ItemError::Invalid)?;
            if self.items == 0 {
                let deadline = Instant::now() + Duration::from_secs(5);
                while self.pod_pages_asked() < self.wanted && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                // Long enough for a page asked beyond the two held to show.
                std::thread::sleep(Duration::from_millis(100));
                self.asked_while_parsing = self.pod_pages_asked();
            }
            self.items += 1;
            Ok(paging::item_key(
                pod["metadata"]["namespace"].as_str(),
                pod["metadata"]["name"].as_str().unwrap_or(""),
            ))
        }
    }

    /// Lists 300 pods, served by a fake API server and paged 50 at a time, with `read` (given the
    /// client, the options, the pod list and a sink waiting for `wanted` pages on its first pod),
    /// once connected and the server's request log cleared: what `read` gives.
    fn list_paged_pods<T, F: std::future::Future<Output = T>>(
        wanted: usize,
        read: impl FnOnce(kube::Client, live::LiveOptions, paging::ListRequest, SlowFirstPage) -> F,
    ) -> T {
        let data = ClusterData::generate(&GenerateSpec::new(10, 300, 3)).expect("generates");
        let server = Arc::new(
            FakeApiServer::start_background(data, ServerOptions::new()).expect("server starts"),
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = live::LiveOptions {
            kubeconfig: Some(server.write_kubeconfig(dir.path()).expect("kubeconfig")),
            page_size: 50,
            ..Default::default()
        };
        let list = paging::ListRequest {
            path: "/api/v1/pods".into(),
            query: String::new(),
            kind: "Pod".into(),
            resource: "pods".into(),
        };
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let conn = live::connect(&opts).await.expect("connects");
            server.clear_request_log();
            let sink = SlowFirstPage {
                server: server.clone(),
                asked_while_parsing: 0,
                items: 0,
                wanted,
            };
            read(conn.client, opts, list, sink).await
        })
    }

    #[test]
    fn the_pages_after_are_asked_for_while_a_page_is_parsed() {
        let sink = list_paged_pods(6, |client, opts, list, sink| async move {
            paging::list_each(&client, &list, &opts, async { sink })
                .await
                .expect("the list is read")
        });
        assert_eq!(sink.items, 300, "every pod, once");
        assert_eq!(
            sink.asked_while_parsing, 6,
            "while the first page was parsed, the five after it were asked for (50 pods each, far \
             below the cap of bytes held)"
        );
        assert_eq!(
            sink.pod_pages_asked(),
            6,
            "six pages of 50, each asked for once"
        );
    }

    #[test]
    fn pages_keep_coming_while_the_sink_gets_ready() {
        let (sink, asked_before_ready) =
            list_paged_pods(6, |client, opts, list, waiting| async move {
                // The sink is ready once every page was asked for (at most 5 s), as the pod list's
                // sink is once the Nodes and Services are in.
                let (tx, rx) = tokio::sync::oneshot::channel();
                let sink = async move {
                    let deadline = Instant::now() + Duration::from_secs(5);
                    while waiting.pod_pages_asked() < 6 && Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    let _ = tx.send(waiting.pod_pages_asked());
                    waiting
                };
                let sink = paging::list_each(&client, &list, &opts, sink)
                    .await
                    .expect("the list is read");
                (sink, rx.await.expect("the sink was made ready"))
            });
        assert_eq!(
            asked_before_ready, 6,
            "every page was asked for before the sink was ready"
        );
        assert_eq!(sink.items, 300, "every pod, once, in the sink");
        assert_eq!(sink.pod_pages_asked(), 6, "each page asked for once");
    }
}
