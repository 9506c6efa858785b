//! `windoctor capture DIR` end to end against the loopback API server: the cluster part it writes
//! replays (`--snapshot DIR`) to the same findings as the live run on the same server, and with
//! `--probe` the probe results it records are what the replay judges, without sending anything.

mod helpers;
use assert_cmd::Command;
use helpers::judged;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use windoctor_testkit::{ClusterData, FakeApiServer, ServerOptions};

mod probes_support;

/// The demo's cluster part: every cluster-side check has something to say about it.
fn demo_bundle() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

fn windoctor(kubeconfig: &Path) -> Command {
    let mut cmd = Command::cargo_bin("windoctor").expect("binary");
    cmd.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir())
        .args(["--kubeconfig", kubeconfig.to_str().expect("path")]);
    cmd
}

fn report_of(cmd: &mut Command) -> Value {
    let out = cmd.args(["--report", "json"]).output().expect("runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn captured_cluster_replays_to_the_live_findings() {
    let data = ClusterData::from_bundle_dir(demo_bundle()).expect("demo loads");
    let server =
        FakeApiServer::start_background(data, ServerOptions::new().max_page(7)).expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let bundle = tmp.path().join("bundle");

    let live = report_of(windoctor(&kubeconfig).args(["--skip", "icmp-vs-tcp"]));
    let capture = windoctor(&kubeconfig)
        .arg("capture")
        .arg(&bundle)
        .output()
        .expect("capture runs");
    let stderr = String::from_utf8_lossy(&capture.stderr);
    assert_eq!(capture.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("replay with: windoctor --snapshot"),
        "{stderr}"
    );
    for file in [
        "nodes",
        "pods",
        "events",
        "services",
        "daemonsets",
        "runtimeclasses",
        "configmaps",
        "version",
    ] {
        let path = bundle.join(format!("cluster/{file}.json"));
        assert!(path.is_file(), "{} written: {stderr}", path.display());
    }
    assert!(!bundle.join("probes").exists(), "no probes without --probe");

    let replay = report_of(
        Command::cargo_bin("windoctor")
            .expect("binary")
            .arg("--snapshot")
            .arg(&bundle)
            .args(["--skip", "icmp-vs-tcp"]),
    );
    assert_eq!(live["environment"], replay["environment"]);
    let (live, replay) = (judged(&live), judged(&replay));
    assert!(
        live.iter().filter(|l| l.contains("\"fail\"")).count() >= 5,
        "the demo cluster has failures to compare: {live:#?}"
    );
    assert_eq!(live, replay, "capture -> replay changes no finding");
}

/// A loopback TCP server that answers every connection with a small HTTP 200 until dropped.
fn http_target() -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (port, handle)
}

#[test]
fn capture_with_probe_records_results_that_the_replay_judges() {
    // The replay judges ICMP too: it needs ping or an ICMP socket (skips without, unless required).
    if probes_support::skip_without_icmp(
        "capture_with_probe_records_results_that_the_replay_judges",
    ) {
        return;
    }
    let data = ClusterData::from_bundle_dir(demo_bundle()).expect("demo loads");
    let server = FakeApiServer::start_background(data, ServerOptions::new()).expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let bundle = tmp.path().join("bundle");
    let (port, _target) = http_target();
    let target = format!("127.0.0.1:{port}");

    let capture = windoctor(&kubeconfig)
        .args(["capture", bundle.to_str().expect("path"), "--probe"])
        .args(["--probe-target", &target])
        .output()
        .expect("capture runs");
    let stderr = String::from_utf8_lossy(&capture.stderr);
    assert_eq!(capture.status.code(), Some(0), "{stderr}");
    let recorded: Value = serde_json::from_slice(
        &std::fs::read(bundle.join("probes/results.json")).expect("probes/results.json written"),
    )
    .expect("probe results are JSON");
    assert_eq!(recorded["target"]["host"], "127.0.0.1", "{recorded:#}");
    let text = recorded.to_string();
    assert!(text.contains(&port.to_string()), "{recorded:#}");

    let replay = report_of(
        Command::cargo_bin("windoctor")
            .expect("binary")
            .arg("--snapshot")
            .arg(&bundle)
            .args(["--only", "icmp-vs-tcp"]),
    );
    let findings = replay["findings"].as_array().expect("findings");
    assert!(!findings.is_empty(), "{replay:#}");
    for f in findings {
        assert_ne!(f["status"], "skip", "recorded probes are judged: {f:#}");
        assert_ne!(f["status"], "error", "{f:#}");
        assert!(
            f.to_string().contains(&target),
            "the finding names the probed target: {f:#}"
        );
    }
}

#[test]
fn capture_probe_target_without_probe_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = windoctor(&tmp.path().join("no-kubeconfig"))
        .args(["capture", tmp.path().join("b").to_str().expect("path")])
        .args(["--probe-target", "127.0.0.1:9"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs --probe"), "{stderr}");
    assert!(!tmp.path().join("b/cluster").exists(), "nothing captured");
}
