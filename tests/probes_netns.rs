//! The three probe checks on hosts these tests build themselves: network namespaces joined to the
//! test's own namespace by veth pairs, each with a private /30 (10.213.K.status/30) that exists only
//! inside them, an HTTP listener, and nftables (or iptables) rules that drop ICMP or everything.
//! The test process probes them from the root namespace through the veth, so no packet leaves
//! the machine. Three kinds of target: answers TCP and ICMP (pass), answers TCP but drops ICMP
//! (info), answers neither (fail); plus ClusterIPs that answer or not from "the node", and the
//! unprivileged ICMP socket where a namespace's ping_group_range allows it.
//!
//! Needs root, iproute2, nftables or iptables, and python3 (for the listener); `scripts/probe-test-deps.sh`
//! installs them. Without them each test prints why and passes without running, unless
//! WINDOCTOR_REQUIRE_NETNS_TESTS=1 is set (CI), which turns a skip into a failure.

mod probes_support;

use probes_support::*;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const LISTEN_PORT: u16 = 8080;
static NEXT: AtomicUsize = AtomicUsize::new(0);
static CREATE: Mutex<()> = Mutex::new(());

/// Returns why namespace tests cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        });
    if uid.as_deref() != Some("0") {
        return Some("not running as root (network namespaces need it)".to_string());
    }
    for (tool, args) in [("ip", vec!["-V"]), ("python3", vec!["--version"])] {
        if Command::new(tool).args(&args).output().is_err() {
            return Some(format!(
                "{tool} is not installed (run scripts/probe-test-deps.sh)"
            ));
        }
    }
    if firewall().is_none() {
        return Some(
            "neither nft nor iptables is installed (run scripts/probe-test-deps.sh)".to_string(),
        );
    }
    None
}

/// Skips (or, with WINDOCTOR_REQUIRE_NETNS_TESTS=1, fails) when namespaces are not usable.
fn skip_unless_usable(test: &str) -> bool {
    match unavailable() {
        None => false,
        Some(why) => {
            if std::env::var_os("WINDOCTOR_REQUIRE_NETNS_TESTS").is_some() {
                panic!("{test}: namespace test required but cannot run: {why}");
            }
            eprintln!("skipping {test}: {why}");
            true
        }
    }
}

#[derive(Clone, Copy)]
enum Firewall {
    Nft,
    Iptables,
}

fn firewall() -> Option<Firewall> {
    if Command::new("nft")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some(Firewall::Nft)
    } else if Command::new("iptables")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        Some(Firewall::Iptables)
    } else {
        None
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A test host: a namespace with a veth peer at `ns_ip`, reached from `host_ip` in the root
/// namespace. Dropping it kills its processes and deletes the namespace (and with it the veth).
struct TestHost {
    name: String,
    host_if: String,
    host_ip: String,
    ns_ip: String,
    children: Vec<Child>,
    /// What the listener serves: an index.html.
    docroot: tempfile::TempDir,
}

impl TestHost {
    fn create() -> Result<TestHost, String> {
        let _guard = CREATE.lock().unwrap_or_else(|e| e.into_inner());
        let idx = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id() % 100_000;
        let name = format!("wdprobe-{pid}-{idx}");
        let (host_if, ns_if) = (format!("wdp{pid}h{idx}"), format!("wdp{pid}n{idx}"));
        // A /30 in 10.213.0.0/16 that no interface of this machine uses yet.
        let k = (0..256)
            .map(|i| (pid as usize * 7 + idx * 13 + i) % 256)
            .find(|k| {
                Command::new("ip")
                    .args([
                        "-4",
                        "-o",
                        "addr",
                        "show",
                        "to",
                        &format!("10.213.{k}.0/30"),
                    ])
                    .output()
                    .is_ok_and(|o| o.status.success() && o.stdout.is_empty())
            })
            .ok_or("no free /30 in 10.213.0.0/16")?;
        let (host_ip, ns_ip) = (format!("10.213.{k}.1"), format!("10.213.{k}.2"));
        run(Command::new("ip").args(["netns", "add", &name]))?;
        let host = TestHost {
            name: name.clone(),
            host_if: host_if.clone(),
            host_ip: host_ip.clone(),
            ns_ip: ns_ip.clone(),
            children: Vec::new(),
            docroot: tempfile::tempdir().map_err(|e| format!("docroot: {e}"))?,
        };
        run(Command::new("ip").args([
            "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
        ]))?;
        run(Command::new("ip").args(["link", "set", &ns_if, "netns", &name]))?;
        run(Command::new("ip").args(["addr", "add", &format!("{host_ip}/30"), "dev", &host_if]))?;
        run(Command::new("ip").args(["link", "set", &host_if, "up"]))?;
        host.exec(&["ip", "addr", "add", &format!("{ns_ip}/30"), "dev", &ns_if])?;
        host.exec(&["ip", "link", "set", &ns_if, "up"])?;
        host.exec(&["ip", "link", "set", "lo", "up"])?;
        Ok(host)
    }

    fn exec(&self, args: &[&str]) -> Result<(), String> {
        run(Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args))
    }

    /// Starts an HTTP listener on every address of the namespace and waits until it answers.
    fn serve_http(&mut self) -> Result<(), String> {
        std::fs::write(
            self.docroot.path().join("index.html"),
            "windoctor test host\n",
        )
        .map_err(|e| format!("index.html: {e}"))?;
        let child = Command::new("ip")
            .args(["netns", "exec", &self.name, "python3", "-m", "http.server"])
            .arg(LISTEN_PORT.to_string())
            .args(["--bind", "0.0.0.0", "--directory"])
            .arg(self.docroot.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the listener: {e}"))?;
        self.children.push(child);
        let addr: SocketAddr = format!("{}:{LISTEN_PORT}", self.ns_ip)
            .parse()
            .map_err(|e| format!("{e}"))?;
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("the listener at {addr} did not come up"))
    }

    /// Drops ICMP (`all` = false) or every packet (`all` = true) arriving in the namespace.
    fn drop_incoming(&self, all: bool) -> Result<(), String> {
        match firewall().ok_or("no firewall tool")? {
            Firewall::Nft => {
                self.exec(&["nft", "add table inet wdprobe"])?;
                self.exec(&[
                    "nft",
                    "add chain inet wdprobe input { type filter hook input priority 0; policy accept; }",
                ])?;
                if all {
                    self.exec(&["nft", "add rule inet wdprobe input drop"])
                } else {
                    self.exec(&["nft", "add rule inet wdprobe input meta l4proto icmp drop"])
                }
            }
            Firewall::Iptables => {
                if all {
                    self.exec(&["iptables", "-P", "INPUT", "DROP"])
                } else {
                    self.exec(&["iptables", "-A", "INPUT", "-p", "icmp", "-j", "DROP"])
                }
            }
        }
    }

    fn target(&self) -> String {
        format!("{}:{LISTEN_PORT}", self.ns_ip)
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        // Gone with the namespace when the peer moved in; deleted here if setup stopped earlier.
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .output();
    }
}

/// A bundle with a Windows node elsewhere (so only the target probe runs).
fn plain_bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    write_bundle(
        dir.path(),
        &[(
            "cluster/nodes.json",
            nodes_json("win-2022-b.corp.example.com", "10.0.0.12"),
        )],
    );
    dir
}

fn icmp_vs_tcp(target: &str) -> (i32, Vec<Seen>, Duration) {
    let dir = plain_bundle();
    let path = dir.path().to_string_lossy().into_owned();
    let started = Instant::now();
    let (code, report, stderr) = run_json(&[
        "--snapshot",
        &path,
        "--probe",
        "--probe-target",
        target,
        "--only",
        "icmp-vs-tcp",
    ]);
    let f = findings(&report, "icmp-vs-tcp");
    eprintln!("{target}: exit {code}, {f:#?}\n{stderr}");
    (code, f, started.elapsed())
}

fn icmp_ready(test: &str) -> bool {
    if icmp_available() {
        return true;
    }
    if std::env::var_os("WINDOCTOR_REQUIRE_NETNS_TESTS").is_some() {
        panic!("{test}: no ping program and no ICMP socket on this machine");
    }
    eprintln!(
        "skipping {test}: no ping program and no ICMP socket (run scripts/probe-test-deps.sh)"
    );
    false
}

#[test]
fn target_answering_tcp_and_icmp_is_pass() {
    if skip_unless_usable("target_answering_tcp_and_icmp_is_pass") || !icmp_ready("pass") {
        return;
    }
    let mut host = TestHost::create().expect("create namespace");
    host.serve_http().expect("listener");
    let (code, f, _) = icmp_vs_tcp(&host.target());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].status, "pass", "{f:?}");
    assert!(f[0].message.contains(&format!(
        "ping and TCP port {LISTEN_PORT} both reach {}",
        host.ns_ip
    )));
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.contains("HTTP GET") && e.contains("200 OK")),
        "{:?}",
        f[0].evidence
    );
    assert_eq!(code, 0);
}

#[test]
fn target_dropping_icmp_is_the_documented_limitation() {
    if skip_unless_usable("target_dropping_icmp_is_the_documented_limitation")
        || !icmp_ready("info")
    {
        return;
    }
    let mut host = TestHost::create().expect("create namespace");
    host.serve_http().expect("listener");
    host.drop_incoming(false).expect("drop icmp");
    let (code, f, took) = icmp_vs_tcp(&host.target());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].status, "info", "{f:?}");
    assert!(
        f[0].message.contains("documented ICMP limitation"),
        "{}",
        f[0].message
    );
    assert!(f[0]
        .evidence
        .iter()
        .any(|e| e.contains("ICMP echo") && e.contains("no reply") && e.contains("2 attempts")));
    assert!(f[0]
        .evidence
        .iter()
        .any(|e| e.contains("TCP connect") && e.contains("ok: connected")));
    assert_eq!(code, 0, "info does not fail the run");
    assert!(took < Duration::from_secs(15), "bounded: {took:?}");
}

#[test]
fn target_answering_neither_is_a_real_problem() {
    if skip_unless_usable("target_answering_neither_is_a_real_problem") || !icmp_ready("fail") {
        return;
    }
    let mut host = TestHost::create().expect("create namespace");
    host.serve_http().expect("listener");
    host.drop_incoming(true).expect("drop all");
    let (code, f, took) = icmp_vs_tcp(&host.target());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].status, "fail", "{f:?}");
    assert!(
        f[0].message
            .contains("neither ping (no reply) nor TCP port 8080 (no reply)"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.contains("no answer to the SYN within 2 s")),
        "{:?}",
        f[0].evidence
    );
    assert_eq!(code, 1, "fail is at the default --fail-on");
    assert!(took < Duration::from_secs(15), "bounded: {took:?}");
}

#[test]
fn cluster_ips_from_the_node_answer_or_are_the_known_limitation() {
    if skip_unless_usable("cluster_ips_from_the_node_answer_or_are_the_known_limitation") {
        return;
    }
    let mut open = TestHost::create().expect("create namespace");
    open.serve_http().expect("listener");
    let mut silent = TestHost::create().expect("create namespace");
    silent.serve_http().expect("listener");
    silent.drop_incoming(true).expect("drop all");
    // The Windows node "is" this machine: its InternalIP is the root side of the first veth.
    let services = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[
 {{"metadata":{{"name":"iis-web","namespace":"shop"}},"spec":{{"type":"ClusterIP","clusterIP":"{}","selector":{{"app":"iis-web"}},"ports":[{{"port":{LISTEN_PORT},"protocol":"TCP"}}]}}}},
 {{"metadata":{{"name":"dotnet-api","namespace":"shop"}},"spec":{{"type":"ClusterIP","clusterIP":"{}","selector":{{"app":"dotnet-api"}},"ports":[{{"port":{LISTEN_PORT},"protocol":"TCP"}}]}}}}]}}"#,
        open.ns_ip, silent.ns_ip
    );
    let pods = r#"{"apiVersion":"v1","kind":"List","items":[
 {"metadata":{"name":"iis-web-7d9f8c-x2k4p","namespace":"shop","labels":{"app":"iis-web"}},"spec":{"nodeName":"win-ns-1","containers":[{"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022"}]},"status":{"phase":"Running"}},
 {"metadata":{"name":"dotnet-api-5b6c7-qq8rz","namespace":"shop","labels":{"app":"dotnet-api"}},"spec":{"nodeName":"win-ns-1","containers":[{"name":"api","image":"mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"}]},"status":{"phase":"Running"}}]}"#;
    let dir = tempfile::tempdir().expect("tmp");
    write_bundle(
        dir.path(),
        &[
            ("cluster/nodes.json", nodes_json("win-ns-1", &open.host_ip)),
            ("cluster/services.json", services),
            ("cluster/pods.json", pods.to_string()),
        ],
    );
    let path = dir.path().to_string_lossy().into_owned();
    let (_, report, stderr) = run_json(&[
        "--snapshot",
        &path,
        "--node",
        "win-ns-1",
        "--probe",
        "--only",
        "service-ip-from-node",
    ]);
    let f = findings(&report, "service-ip-from-node");
    eprintln!("{f:#?}\n{stderr}");
    let answered = f.iter().find(|x| x.subject == "iis-web").expect("iis-web");
    assert_eq!(answered.status, "pass");
    assert!(answered
        .message
        .contains(&format!("ClusterIP {}:{LISTEN_PORT}", open.ns_ip)));
    let limited = f
        .iter()
        .find(|x| x.subject == "dotnet-api")
        .expect("dotnet-api");
    assert_eq!(limited.status, "info");
    assert!(
        limited
            .message
            .contains("gets no reply from Windows node win-ns-1 itself"),
        "{}",
        limited.message
    );
    assert!(
        limited.message.contains("Windows pods can"),
        "{}",
        limited.message
    );
    assert!(limited
        .evidence
        .iter()
        .any(|e| e.contains(&silent.ns_ip) && e.contains("no reply")));
}

#[test]
fn the_unprivileged_icmp_socket_is_used_where_the_kernel_allows_it() {
    if skip_unless_usable("the_unprivileged_icmp_socket_is_used_where_the_kernel_allows_it") {
        return;
    }
    let mut host = TestHost::create().expect("create namespace");
    host.serve_http().expect("listener");
    // ping_group_range is per network namespace: allow ICMP sockets for every group, in there only.
    host.exec(&[
        "sh",
        "-c",
        "echo 0 2147483647 > /proc/sys/net/ipv4/ping_group_range",
    ])
    .expect("ping_group_range");
    let dir = plain_bundle();
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &host.name,
            "/usr/bin/env",
            "PATH=/nonexistent-windoctor-test",
        ])
        .arg(env!("CARGO_BIN_EXE_windoctor"))
        .arg("--snapshot")
        .arg(dir.path())
        .args([
            "--probe",
            "--probe-target",
            &format!("127.0.0.1:{LISTEN_PORT}"),
        ])
        .args(["--only", "icmp-vs-tcp", "--report", "json"])
        .output()
        .expect("run windoctor in the namespace");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let f = findings(&report, "icmp-vs-tcp");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].status, "pass", "{f:?}");
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.contains("unprivileged ICMP socket")
                && e.contains("echo reply from 127.0.0.1")),
        "{:?}",
        f[0].evidence
    );
}
