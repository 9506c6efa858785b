//! Probe runners and the three probe checks against loopback only: no root, no namespaces, and no
//! packet leaves the machine. Targets are servers these tests start on 127.0.0.1 and ports they
//! know to be closed; a Windows node whose InternalIP is 127.0.0.1 stands for "this machine is the
//! node" so the NodePort and ClusterIP probes run end to end.

mod probes_support;

use probes_support::*;
use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};
use windoctor::facts::probes::{Outcome, ProbeResults};
use windoctor::facts::{Facts, Input};
use windoctor::probes::{self, ProbeConfig, TargetSpec};

fn quick() -> ProbeConfig {
    ProbeConfig {
        timeout: Duration::from_millis(800),
        ..ProbeConfig::default()
    }
}

#[tokio::test]
async fn tcp_connect_and_http_get_reach_a_loopback_server() {
    let server = HttpServer::start("127.0.0.1:0");
    let spec = TargetSpec::parse(&server.addr.to_string()).expect("spec");
    let t = probes::probe_target(&spec, &quick()).await;
    assert_eq!(t.address.as_deref(), Some("127.0.0.1"));
    assert_eq!(t.tcp.outcome, Outcome::Ok, "{:?}", t.tcp);
    assert_eq!(t.tcp.attempts, 1);
    assert_eq!(t.http.outcome, Outcome::Ok, "{:?}", t.http);
    assert_eq!(t.http.reply, "HTTP/1.1 200 OK");
    assert!(t
        .http
        .sent
        .contains(&format!("Host: 127.0.0.1:{}", server.addr.port())));
}

#[tokio::test]
async fn a_closed_port_is_refused_at_once() {
    let port = closed_port();
    let started = Instant::now();
    let (record, stream) =
        probes::tcp::connect(format!("127.0.0.1:{port}").parse().expect("addr"), &quick()).await;
    assert!(stream.is_none());
    assert_eq!(record.outcome, Outcome::Refused, "{record:?}");
    assert_eq!(record.attempts, 1, "a reset is final, no second attempt");
    assert!(started.elapsed() < Duration::from_millis(700));
}

#[tokio::test]
async fn a_silent_server_gives_no_http_reply_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let holder = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        std::thread::sleep(Duration::from_millis(1500));
        drop(stream);
    });
    let spec = TargetSpec::parse(&addr.to_string()).expect("spec");
    let started = Instant::now();
    let t = probes::probe_target(&spec, &quick()).await;
    assert_eq!(t.tcp.outcome, Outcome::Ok);
    assert_eq!(t.http.outcome, Outcome::NoReply, "{:?}", t.http);
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "bounded by the timeout"
    );
    holder.join().expect("holder");
}

#[tokio::test]
async fn an_https_target_gets_the_tcp_connect_only() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        buf
    });
    let spec = TargetSpec::parse(&format!("https://127.0.0.1:{port}/")).expect("spec");
    let t = probes::probe_target(&spec, &quick()).await;
    assert_eq!(t.tcp.outcome, Outcome::Ok);
    assert_eq!(t.http.outcome, Outcome::NotAttempted);
    assert!(t.http.reply.contains("no TLS stack"), "{}", t.http.reply);
    let received = reader.join().expect("reader");
    assert!(received.is_empty(), "nothing is sent to an https target");
}

#[tokio::test]
async fn icmp_to_loopback_answers_when_this_machine_can_send_icmp() {
    let r = probes::icmp::echo("127.0.0.1".parse().expect("ip"), &quick()).await;
    if icmp_available() {
        assert_eq!(r.outcome, Outcome::Ok, "{r:?}");
        assert!(r.attempts >= 1);
    } else {
        eprintln!("note: no ping program and no ICMP socket here; expecting `unavailable`");
        assert_eq!(r.outcome, Outcome::Unavailable, "{r:?}");
    }
}

#[tokio::test]
async fn no_ping_and_no_icmp_socket_is_an_error_with_the_reason() {
    let cfg = ProbeConfig {
        ping_program: "/nonexistent/windoctor-test-ping".to_string(),
        icmp_socket: false,
        ..quick()
    };
    let server = HttpServer::start("127.0.0.1:0");
    let spec = TargetSpec::parse(&server.addr.to_string()).expect("spec");
    let t = probes::probe_target(&spec, &cfg).await;
    assert_eq!(t.icmp.outcome, Outcome::Unavailable);
    assert!(t.icmp.reply.contains("was not found"), "{}", t.icmp.reply);

    let mut facts = Facts::default();
    facts.probes.requested = true;
    facts.probes.results = Input::Ready(ProbeResults {
        target: Some(t),
        ..Default::default()
    });
    let result = windoctor::checks::run_on("icmp-vs-tcp", &windoctor::model::World::new(facts));
    let error = result
        .findings
        .iter()
        .find(|f| f.status == windoctor::findings::Status::Error)
        .expect("an error finding");
    assert!(
        error.message.contains("ICMP could not be tested"),
        "{}",
        error.message
    );
    assert!(result
        .findings
        .iter()
        .any(|f| f.status == windoctor::findings::Status::Pass && f.message.contains("connects")));
}

#[test]
fn probe_target_without_probe_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tmp");
    write_bundle(
        dir.path(),
        &[("cluster/nodes.json", nodes_json("win-1", "10.0.0.12"))],
    );
    let out = assert_cmd::Command::cargo_bin("windoctor")
        .expect("bin")
        .args(["--snapshot"])
        .arg(dir.path())
        .args(["--probe-target", "127.0.0.1:80", "--report", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --probe"));
    let out = assert_cmd::Command::cargo_bin("windoctor")
        .expect("bin")
        .args(["--snapshot"])
        .arg(dir.path())
        .args([
            "--probe",
            "--probe-target",
            "127.0.0.1:0",
            "--report",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected HOST[:PORT]"));
}

#[test]
fn without_probe_the_probe_check_skips_and_says_how_to_ask() {
    let dir = tempfile::tempdir().expect("tmp");
    write_bundle(
        dir.path(),
        &[("cluster/nodes.json", nodes_json("win-1", "10.0.0.12"))],
    );
    let path = dir.path().to_string_lossy().into_owned();
    let (code, report, _) = run_json(&["--snapshot", &path, "--only", "icmp-vs-tcp"]);
    assert_eq!(code, 0);
    let f = findings(&report, "icmp-vs-tcp");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, "skip");
    assert!(
        f[0].message.contains("--probe --probe-target HOST[:PORT]"),
        "{}",
        f[0].message
    );
}

#[test]
fn loopback_target_end_to_end() {
    let server = HttpServer::start("127.0.0.1:0");
    let dir = tempfile::tempdir().expect("tmp");
    write_bundle(
        dir.path(),
        &[("cluster/nodes.json", nodes_json("win-1", "10.0.0.12"))],
    );
    let path = dir.path().to_string_lossy().into_owned();
    let target = server.addr.to_string();
    let started = Instant::now();
    let (code, report, stderr) = run_json(&[
        "--snapshot",
        &path,
        "--probe",
        "--probe-target",
        &target,
        "--only",
        "icmp-vs-tcp",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "probe phase is bounded"
    );
    let f = findings(&report, "icmp-vs-tcp");
    let want = if icmp_available() { "pass" } else { "error" };
    assert!(f.iter().any(|x| x.status == want), "{f:?}\n{stderr}");
    if want == "pass" {
        // Root without a ping program still sends ICMP (a raw socket): no `error` then.
        assert!(!f.iter().any(|x| x.status == "error"), "{f:?}\n{stderr}");
    }
    let pass = f
        .iter()
        .find(|x| x.status == "pass")
        .expect("a pass for TCP");
    assert!(
        pass.evidence
            .iter()
            .any(|e| e.contains("\"probe\"") && e.contains("HTTP/1.1 200 OK")),
        "{:?}",
        pass.evidence
    );
    assert_eq!(code, if want == "pass" { 0 } else { 1 }, "{stderr}");
}

/// A bundle where the Windows node's InternalIP is `node_ip`, with NodePort Services on `open` and
/// `closed` ports and a Windows-backed ClusterIP Service at `cluster_ip:open`.
fn cluster_bundle(dir: &std::path::Path, node_ip: &str, cluster_ip: &str, open: u16, closed: u16) {
    let services = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[
 {{"metadata":{{"name":"web-open","namespace":"shop"}},"spec":{{"type":"NodePort","clusterIP":"10.101.0.1",
   "ports":[{{"port":80,"protocol":"TCP","nodePort":{open}}}]}}}},
 {{"metadata":{{"name":"web-closed","namespace":"shop"}},"spec":{{"type":"NodePort","clusterIP":"10.101.0.2",
   "ports":[{{"port":80,"protocol":"TCP","nodePort":{closed}}}]}}}},
 {{"metadata":{{"name":"iis","namespace":"shop"}},"spec":{{"type":"ClusterIP","clusterIP":"{cluster_ip}","selector":{{"app":"iis"}},
   "ports":[{{"port":{open},"protocol":"TCP"}}]}}}}]}}"#
    );
    let pods = r#"{"apiVersion":"v1","kind":"List","items":[
 {"metadata":{"name":"iis-6b7d-4mzqp","namespace":"shop","labels":{"app":"iis"}},
  "spec":{"nodeName":"win-loop-1","containers":[{"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022"}]},
  "status":{"phase":"Running"}}]}"#;
    write_bundle(
        dir,
        &[
            ("cluster/nodes.json", nodes_json("win-loop-1", node_ip)),
            ("cluster/services.json", services),
            ("cluster/pods.json", pods.to_string()),
        ],
    );
}

#[test]
fn nodeport_and_cluster_ip_are_probed_from_the_node_itself() {
    let server = HttpServer::start("127.0.0.1:0");
    let closed = closed_port();
    let dir = tempfile::tempdir().expect("tmp");
    cluster_bundle(
        dir.path(),
        "127.0.0.1",
        "127.0.0.1",
        server.addr.port(),
        closed,
    );
    let path = dir.path().to_string_lossy().into_owned();
    let (_, report, stderr) = run_json(&[
        "--snapshot",
        &path,
        "--node",
        "win-loop-1",
        "--probe",
        "--only",
        "nodeport-self-access,service-ip-from-node",
    ]);
    let np = findings(&report, "nodeport-self-access");
    let open = np
        .iter()
        .find(|f| f.subject == "web-open")
        .expect("web-open finding");
    assert_eq!(open.status, "pass", "{open:?}\n{stderr}");
    assert!(open
        .evidence
        .iter()
        .any(|e| e.contains(&format!("127.0.0.1:{}", server.addr.port()))));
    let shut = np
        .iter()
        .find(|f| f.subject == "web-closed")
        .expect("web-closed finding");
    assert_eq!(shut.status, "info", "{shut:?}");
    assert!(
        shut.message.contains("documented limitation"),
        "{}",
        shut.message
    );
    assert!(
        shut.evidence.iter().any(|e| e.contains("refused")),
        "{:?}",
        shut.evidence
    );

    let svc = findings(&report, "service-ip-from-node");
    let iis = svc
        .iter()
        .find(|f| f.subject == "iis")
        .expect("iis finding");
    assert_eq!(iis.status, "pass", "{svc:?}");
    assert!(iis
        .message
        .contains("answered from Windows node win-loop-1 itself"));
}

#[test]
fn a_machine_that_is_not_the_node_sends_nothing_to_cluster_addresses() {
    let dir = tempfile::tempdir().expect("tmp");
    // 10.0.0.12 is not an address of this machine: the probes must not run (binding to it fails
    // without sending anything), and the findings say why.
    cluster_bundle(dir.path(), "10.0.0.12", "10.101.0.3", 30080, 30081);
    let path = dir.path().to_string_lossy().into_owned();
    let (_, report, _) = run_json(&[
        "--snapshot",
        &path,
        "--node",
        "win-loop-1",
        "--probe",
        "--only",
        "nodeport-self-access,service-ip-from-node",
    ]);
    for check in ["nodeport-self-access", "service-ip-from-node"] {
        let f = findings(&report, check);
        assert!(!f.is_empty());
        assert!(f.iter().all(|x| x.status == "info"), "{check}: {f:?}");
        assert!(
            f.iter().all(|x| x
                .evidence
                .iter()
                .any(|e| e.contains("does not hold any address of Node win-loop-1"))),
            "{check}: {f:?}"
        );
        assert!(
            !f.iter()
                .any(|x| x.evidence.iter().any(|e| e.contains("TCP connect"))),
            "{check}: nothing sent"
        );
    }
}

#[tokio::test]
async fn the_engine_runs_probe_checks_after_the_probe_phase() {
    use clap::Parser;
    use windoctor::engine::Update;
    use windoctor::facts::InputOutcome;
    let server = HttpServer::start("127.0.0.1:0");
    let dir = tempfile::tempdir().expect("tmp");
    write_bundle(
        dir.path(),
        &[("cluster/nodes.json", nodes_json("win-1", "10.0.0.12"))],
    );
    let target = server.addr.to_string();
    let cli = windoctor::cli::Cli::parse_from([
        "windoctor",
        "--snapshot",
        &dir.path().to_string_lossy(),
        "--probe",
        "--probe-target",
        &target,
        "--only",
        "icmp-vs-tcp,node-ready",
    ]);
    let plan = windoctor::plan::RunPlan::from_cli(&cli).expect("plan");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    windoctor::engine::run(&plan, tx).await;
    let mut order = Vec::new();
    while let Ok(u) = rx.try_recv() {
        match u {
            Update::InputStarted("probes") => order.push("probes started".to_string()),
            Update::InputDone {
                input: "probes",
                outcome,
                ..
            } => {
                assert!(
                    matches!(outcome, InputOutcome::Ready(n) if n >= 2),
                    "{outcome:?}"
                );
                order.push("probes done".to_string());
            }
            Update::Check(r) => order.push(format!("check {}", r.id)),
            _ => {}
        }
    }
    let done = order
        .iter()
        .position(|s| s == "probes done")
        .expect("probe phase ran");
    let check = order
        .iter()
        .position(|s| s == "check icmp-vs-tcp")
        .expect("probe check ran");
    assert_eq!(order.first().map(String::as_str), Some("probes started"));
    assert!(done < check, "{order:?}");
}
