//! `windoctor fleet` against the testkit API server: a collector pod that runs and returns its
//! node part, one refused by Pod Security admission, one that never starts, a windoctor killed
//! mid-collection followed by a rerun that deletes what it left, Ctrl-C deleting the pods, and
//! `--dry-run`. Each mode's verbs come from the server's request log: no write without fleet
//! mode, and fleet mode writes only collector pods in its namespace.

mod helpers;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use windoctor_testkit::{
    BackgroundServer, ClusterData, CollectorBehaviour, FakeApiServer, ResourceKind, ServerOptions,
};

fn node(name: &str) -> Value {
    json!({"metadata": {"name": name, "labels": {"kubernetes.io/os": "windows"}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
            "addresses": [{"type": "InternalIP", "address": "172.16.0.10"}],
            "nodeInfo": {"kernelVersion": "10.0.20348.2700", "kubeletVersion": "v1.31.2", "operatingSystem": "windows",
                "osImage": "Windows Server 2022 Datacenter", "containerRuntimeVersion": "containerd://1.7.20"}}})
}

fn cluster() -> ClusterData {
    let mut data = ClusterData::new();
    for n in ["win-a", "win-b"] {
        data.add(ResourceKind::Nodes, node(n)).expect("node");
    }
    data.add(
        ResourceKind::Nodes,
        json!({"metadata": {"name": "linux-1", "labels": {"kubernetes.io/os": "linux"}},
        "status": {"nodeInfo": {"operatingSystem": "linux"}}}),
    )
    .expect("node");
    for ns in ["default", "kube-system", "windoctor"] {
        data.add(ResourceKind::Namespaces, json!({"metadata": {"name": ns}}))
            .expect("ns");
    }
    data
}

/// A node part as a collector pod would return it.
fn payload(hostname: &str) -> String {
    let mut store = windoctor::sources::files::MemoryStore::default();
    store.files.insert(
        "node/node.json".into(),
        json!({"hostname": hostname, "collector": "windoctor", "os": {"caption": "Microsoft Windows Server 2022 Datacenter", "build": "20348"}})
            .to_string()
            .into_bytes(),
    );
    store.files.insert(
        "node/processes.json".into(),
        br#"[{"name":"kubelet.exe","pid":1,"command_line":["C:\\k\\kubelet.exe"]},{"name":"kube-proxy.exe","pid":2,"command_line":["C:\\k\\kube-proxy.exe","--hostname-override=win-a"]}]"#.to_vec(),
    );
    store
        .files
        .insert("node/services.json".into(), b"[]".to_vec());
    windoctor::fleet::payload::encode("store", &windoctor::fleet::payload::store_json(&store))
}

fn start(options: ServerOptions) -> (BackgroundServer, tempfile::TempDir, std::path::PathBuf) {
    let server = FakeApiServer::start_background(cluster(), options).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    (server, dir, kubeconfig)
}

fn windoctor(kubeconfig: &Path) -> Command {
    let mut c = Command::cargo_bin("windoctor").expect("binary");
    c.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir())
        .args(["--kubeconfig", kubeconfig.to_str().expect("path")]);
    c
}

fn pods_in(server: &BackgroundServer, ns: &str) -> Vec<String> {
    let mut names = Vec::new();
    server.update(|data| {
        names = data
            .keys(ResourceKind::Pods)
            .into_iter()
            .filter(|(n, _)| n == ns)
            .map(|(_, name)| name)
            .collect();
    });
    names
}

fn report(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn read_only_runs_send_no_write_and_fleet_runs_write_only_collector_pods() {
    let (server, _dir, kubeconfig) = start(
        ServerOptions::new()
            .collector("win-a", CollectorBehaviour::runs(payload("WIN-A")))
            .collector("win-b", CollectorBehaviour::runs(payload("WIN-B"))),
    );
    let out = windoctor(&kubeconfig)
        .args(["--report", "json"])
        .output()
        .expect("runs");
    assert!(
        !out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        server.write_requests().is_empty(),
        "read-only run wrote: {:?}",
        server.write_requests()
    );
    let out = windoctor(&kubeconfig)
        .args(["capture", _dir.path().join("b").to_str().expect("p")])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        server.write_requests().is_empty(),
        "capture wrote: {:?}",
        server.write_requests()
    );
    let out = windoctor(&kubeconfig)
        .args(["fleet", "--namespace", "windoctor", "--dry-run"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = report(&out);
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "one pod per Windows node");
    assert_eq!(items[0]["spec"]["nodeName"], "win-a");
    assert!(
        server.write_requests().is_empty(),
        "--dry-run wrote: {:?}",
        server.write_requests()
    );

    server.clear_request_log();
    let out = windoctor(&kubeconfig)
        .args(["fleet", "--namespace", "windoctor", "--report", "json"])
        .output()
        .expect("runs");
    let r = report(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for node in ["win-a", "win-b"] {
        assert!(
            stderr.contains(&format!("{node}: created collector pod")),
            "{stderr}"
        );
        assert!(stderr.contains(&format!("{node}: collected")), "{stderr}");
        assert!(
            stderr.contains(&format!("{node}: deleted collector pod")),
            "{stderr}"
        );
    }
    let fleet = &r["fleet"];
    let origins: Vec<&str> = fleet["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["origin"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(origins, ["node", "node"], "{fleet:#}");
    let writes = server.write_requests();
    assert_eq!(
        writes.iter().filter(|w| w.method == "POST").count(),
        2,
        "{writes:?}"
    );
    assert_eq!(
        writes.iter().filter(|w| w.method == "DELETE").count(),
        2,
        "{writes:?}"
    );
    for w in &writes {
        assert!(
            w.path.starts_with("/api/v1/namespaces/windoctor/pods"),
            "{w}"
        );
    }
    assert!(
        pods_in(&server, "windoctor").is_empty(),
        "every collector pod deleted"
    );
}

#[test]
fn pod_security_rejection_and_a_pod_that_never_starts_are_errors_of_their_node() {
    let (server, _dir, kubeconfig) = start(
        ServerOptions::new()
            .collector("win-a", CollectorBehaviour::rejected_by_pod_security())
            .collector("win-b", CollectorBehaviour::image_pull_backoff("mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0")),
    );
    let out = windoctor(&kubeconfig)
        .args([
            "fleet",
            "--namespace",
            "windoctor",
            "--node-timeout",
            "30",
            "--report",
            "json",
        ])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("runs");
    let r = report(&out);
    let findings = r["findings"].as_array().expect("findings");
    let error_about = |node: &str, needle: &str| {
        findings.iter().any(|f| {
            f["node"] == node
                && f["status"] == "error"
                && f["message"].as_str().is_some_and(|m| m.contains(needle))
        })
    };
    assert!(
        error_about("win-a", "violates PodSecurity \"baseline:latest\""),
        "win-a: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        error_about("win-b", "never started within 30 s: ImagePullBackOff"),
        "win-b"
    );
    // Neither node passes a check that needed what the fleet would have collected.
    for f in findings {
        if f["check"] == "proxy-env" || f["check"] == "mac-spoofing" {
            assert_ne!(f["status"], "pass", "{f:#}");
        }
    }
    assert!(
        pods_in(&server, "windoctor").is_empty(),
        "the pod that never started was deleted"
    );
}

/// Waits until the server has seen a pod created.
fn wait_for_create(server: &BackgroundServer) {
    let started = Instant::now();
    while !server.write_requests().iter().any(|w| w.method == "POST") {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no collector pod created"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn spawn_fleet(kubeconfig: &Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("windoctor"))
        .env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir())
        .args([
            "--kubeconfig",
            kubeconfig.to_str().expect("path"),
            "fleet",
            "--namespace",
            "windoctor",
            "--nodes",
            "win-a",
            "--node-timeout",
            "120",
            "--report",
            "json",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawns")
}

#[test]
fn a_killed_run_leaves_pods_that_the_next_run_deletes() {
    let (server, _dir, kubeconfig) =
        start(ServerOptions::new().collector("win-a", CollectorBehaviour::container_creating()));
    let mut child = spawn_fleet(&kubeconfig);
    wait_for_create(&server);
    child.kill().expect("kill -9");
    let _ = child.wait();
    let left = pods_in(&server, "windoctor");
    assert_eq!(left.len(), 1, "SIGKILL cannot be handled: the pod stays");
    server.set_collector("win-a", CollectorBehaviour::runs(payload("WIN-A")));
    server.clear_request_log();
    let out = windoctor(&kubeconfig)
        .args([
            "fleet",
            "--namespace",
            "windoctor",
            "--nodes",
            "win-a",
            "--report",
            "json",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "deleted leftover collector pod windoctor/{}",
            left[0]
        )),
        "{stderr}"
    );
    let deletes: Vec<String> = server
        .write_requests()
        .iter()
        .filter(|w| w.method == "DELETE")
        .map(|w| w.path.clone())
        .collect();
    assert!(deletes.iter().any(|p| p.ends_with(&left[0])), "{deletes:?}");
    assert!(pods_in(&server, "windoctor").is_empty());
}

#[cfg(unix)]
#[test]
fn ctrl_c_deletes_the_collector_pods() {
    let (server, _dir, kubeconfig) =
        start(ServerOptions::new().collector("win-a", CollectorBehaviour::container_creating()));
    let mut child = spawn_fleet(&kubeconfig);
    wait_for_create(&server);
    helpers::send_signal(child.id(), rustix::process::Signal::INT).expect("SIGINT sent");
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "windoctor did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(130));
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(
        stderr.contains("interrupted: 1 collector pod(s) deleted"),
        "{stderr}"
    );
    assert!(pods_in(&server, "windoctor").is_empty(), "{stderr}");
}
