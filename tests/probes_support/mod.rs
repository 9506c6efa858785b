//! Shared helpers of the probe tests: a tiny HTTP server thread, bundle directories written from
//! (path, content) pairs, and running the windoctor binary for a JSON report.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// An HTTP server on a thread, answering `200 OK` to every connection until dropped (at most 60 s).
pub struct HttpServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(bind: &str) -> HttpServer {
        let listener = TcpListener::bind(bind).expect("bind test server");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < until {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                        let mut buf = [0u8; 1024];
                        let _ = stream.read(&mut buf);
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        HttpServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    port
}

/// Writes a bundle directory from (relative path, content) pairs.
pub fn write_bundle(dir: &Path, files: &[(&str, String)]) {
    for (path, content) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write bundle file");
    }
}

/// Runs windoctor with `args` and `--report json`; gives the exit code, the report and stderr.
pub fn run_json(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = assert_cmd::Command::cargo_bin("windoctor")
        .expect("windoctor binary")
        .args(args)
        .args(["--report", "json"])
        .env("WINDOCTOR_NOW", "2026-11-20T09:15:00Z")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run windoctor");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "report is not JSON ({e}): stdout={} stderr={stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), report, stderr)
}

/// One finding of a report, as the tests look at it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub status: String,
    /// The subject's name (e.g. the Service name, the target).
    pub subject: String,
    pub message: String,
    /// `"source" "ref": "excerpt"` of each piece of evidence.
    pub evidence: Vec<String>,
}

/// One check's findings in a JSON report.
pub fn findings(report: &serde_json::Value, check: &str) -> Vec<Seen> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["check"] == check)
        .map(|f| Seen {
            status: f["status"].as_str().unwrap_or("").to_string(),
            subject: f["subject"]["name"].as_str().unwrap_or("").to_string(),
            message: f["message"].as_str().unwrap_or("").to_string(),
            evidence: f["evidence"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .map(|x| format!("{} {}: {}", x["source"], x["ref"], x["excerpt"]))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The statuses of one check's findings, for assertions.
pub fn statuses(report: &serde_json::Value, check: &str) -> Vec<String> {
    findings(report, check)
        .into_iter()
        .map(|f| f.status)
        .collect()
}

/// True when this process can send ICMP echoes: a ping program, an ICMP datagram socket the kernel
/// allows, or a raw ICMP socket (root or CAP_NET_RAW).
pub fn icmp_available() -> bool {
    let ping = std::process::Command::new("ping")
        .arg("-V")
        .output()
        .is_ok();
    let socket = |kind| {
        socket2::Socket::new(socket2::Domain::IPV4, kind, Some(socket2::Protocol::ICMPV4)).is_ok()
    };
    ping || socket(socket2::Type::DGRAM) || socket(socket2::Type::RAW)
}

/// Whether a test that needs `tool` must run rather than skip: `.ci/run` installs the extra tools
/// and sets `WINDOCTOR_REQUIRE_EXTRA_TOOLS=1` (or the older `WINDOCTOR_REQUIRE_NETNS_TESTS=1`).
pub fn extras_required() -> bool {
    [
        "WINDOCTOR_REQUIRE_EXTRA_TOOLS",
        "WINDOCTOR_REQUIRE_NETNS_TESTS",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty() && x != "0"))
}

/// Skips (returns true, saying why) when this process cannot send ICMP echoes, unless the extras
/// are required (then it fails).
pub fn skip_without_icmp(test: &str) -> bool {
    if icmp_available() {
        return false;
    }
    let why = "no ping program, no unprivileged ICMP socket (net.ipv4.ping_group_range) and no raw ICMP socket (root or CAP_NET_RAW)";
    if extras_required() {
        panic!(
            "{test}: ICMP is required here (WINDOCTOR_REQUIRE_EXTRA_TOOLS) but unavailable: {why}"
        );
    }
    eprintln!(
        "skipping {test}: {why}; install iputils-ping (scripts/probe-test-deps.sh) to run it"
    );
    true
}

/// A nodes.json with one Windows node at `ip` (and a Linux node), as kubectl writes it.
pub fn nodes_json(windows_name: &str, ip: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[
 {{"metadata":{{"name":"{windows_name}","labels":{{"kubernetes.io/os":"windows"}}}},
  "status":{{"addresses":[{{"type":"InternalIP","address":"{ip}"}}],"conditions":[{{"type":"Ready","status":"True"}}],
   "nodeInfo":{{"kernelVersion":"10.0.20348.2700","operatingSystem":"windows","kubeletVersion":"v1.30.4"}}}}}},
 {{"metadata":{{"name":"linux-cp-1","labels":{{"kubernetes.io/os":"linux"}}}},
  "status":{{"addresses":[{{"type":"InternalIP","address":"10.0.0.4"}}],"conditions":[{{"type":"Ready","status":"True"}}],
   "nodeInfo":{{"operatingSystem":"linux","kubeletVersion":"v1.30.4"}}}}}}]}}"#
    )
}
