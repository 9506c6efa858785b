//! The live node collector with a fake command runner and a node root on disk, and capture ->
//! replay: what the live run sees, written by `capture`, read back by `--snapshot`, gives the same
//! findings.

use std::path::{Path, PathBuf};
use windoctor::catalogue::{ids_in_scope, Scope};
use windoctor::checks;
use windoctor::facts::node::records;
use windoctor::facts::Input;
use windoctor::findings::Finding;
use windoctor::model::World;
use windoctor::sources::bundle;
use windoctor::sources::files::{DirStore, FileStore, MemoryStore};
use windoctor::sources::node::live::{collect, CollectOptions, FixedProcesses};
use windoctor::sources::node::runner::FakeRunner;

fn healthy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles/node-overlay-healthy")
}

fn copy_tree(from: &Path, to: &Path, rename: &dyn Fn(&str) -> String) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let name = rename(&e.file_name().to_string_lossy());
        let target = to.join(name);
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &target, rename);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fake node: the healthy bundle's files as a disk (names in other case, as scripts write them),
/// and PowerShell answering with the bundle's JSON as Get-* | ConvertTo-Json would.
fn fake_node(root: &Path) -> (CollectOptions, FakeRunner, FixedProcesses) {
    let b = healthy();
    copy_tree(&b.join("node/files/C"), root, &|n| match n {
        "SourceVip.json" => "sourceVip.json".to_string(),
        "cni" => "CNI".to_string(),
        other => other.to_string(),
    });
    // A kubeconfig whose only line windoctor reads is `server:`.
    std::fs::write(
        root.join("k/config"),
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n    server: https://10.0.0.5:6443\n  name: kubernetes\nusers:\n- name: node\n  user:\n    token: abcdef.0123456789abcdef\n",
    )
    .expect("kubeconfig");
    let node_json: serde_json::Value =
        serde_json::from_slice(&read(&b.join("node/node.json"))).expect("json");
    let system = serde_json::json!({"os": node_json["os"], "computer": node_json["computer"]});
    // nssm's AppEnvironmentExtra with a secret that must not be kept.
    let mut services: serde_json::Value =
        serde_json::from_slice(&read(&b.join("node/services.json"))).expect("json");
    services[0]["nssm"]["AppEnvironmentExtra"] = serde_json::json!([
        "NODE_NAME=win-2019-a.corp.example.com",
        "AZURE_CLIENT_SECRET=s3cr3t-value"
    ]);
    let mut env: serde_json::Value =
        serde_json::from_slice(&read(&b.join("node/env.json"))).expect("json");
    env["AWS_SECRET_ACCESS_KEY"] = serde_json::json!("very-secret");
    env["Path"] = serde_json::json!("C:\\Windows\\system32");
    let runner = FakeRunner::default()
        .answer("services", services.to_string())
        .answer("hns-networks", read(&b.join("node/hns-networks.json")))
        .answer("net-adapters", read(&b.join("node/net-adapters.json")))
        .answer("ip-addresses", read(&b.join("node/ip-addresses.json")))
        .answer("env", env.to_string())
        .answer("system", system.to_string());
    let mut processes = records::parse_processes(&String::from_utf8_lossy(&read(
        &b.join("node/processes.json"),
    )))
    .expect("processes");
    processes.push(records::Process {
        name: "notepad.exe".into(),
        pid: 9999,
        command_line: vec![
            "notepad.exe".into(),
            "C:\\Users\\admin\\passwords.txt".into(),
        ],
    });
    processes.push(records::Process {
        name: "kubeadm.exe".into(),
        pid: 9998,
        command_line: vec![
            "kubeadm.exe".into(),
            "join".into(),
            "--token=abcdef.0123456789abcdef".into(),
        ],
    });
    let opts = CollectOptions {
        root: root.to_path_buf(),
        other_drives: false,
        query_system: true,
        not_queried_because: String::new(),
        hostname: Some("WIN-2019-A".into()),
        node_name: None,
        collected_at: "2026-11-20T09:30:00Z".into(),
    };
    (opts, runner, FixedProcesses(Ok(processes)))
}

fn cluster_store(into: &mut MemoryStore) {
    let dir = healthy().join("cluster");
    for e in std::fs::read_dir(&dir).expect("cluster dir").flatten() {
        into.files.insert(
            format!("cluster/{}", e.file_name().to_string_lossy()),
            read(&e.path()),
        );
    }
}

fn findings(world: &World) -> Vec<Finding> {
    ids_in_scope(Scope::Node)
        .into_iter()
        .flat_map(|id| checks::run_on(id, world).findings)
        .collect()
}

fn facts_of(store: &dyn FileStore) -> World {
    let mut facts = bundle::read_bundle(store);
    windoctor::model::resolve_local_node(&mut facts, None);
    World::new(facts)
}

#[test]
fn collector_writes_the_bundle_layout_and_keeps_no_secrets() {
    let dir = tempfile::tempdir().expect("tmp");
    let (opts, runner, processes) = fake_node(dir.path());
    let store = collect(&opts, &runner, &processes);
    let paths = store.paths();
    for p in [
        "node/node.json",
        "node/processes.json",
        "node/services.json",
        "node/hns-networks.json",
        "node/net-adapters.json",
        "node/ip-addresses.json",
        "node/env.json",
        "node/files/C/k/sourceVip.json",
        "node/files/C/k/SourceVipRequest.json",
        "node/files/C/run/flannel/subnet.env",
        "node/files/C/k/CNI/config/cni.conf",
        "node/files/C/Program Files/containerd/config.toml",
        "node/files/C/etc/kube-flannel/net-conf.json",
        "node/files/C/k/flanneld.log",
    ] {
        assert!(paths.iter().any(|x| x == p), "{p} missing from {paths:?}");
    }
    // Files keep their bytes: the UTF-16LE SourceVip.json is still UTF-16LE with its BOM.
    let vip = &store.files["node/files/C/k/sourceVip.json"];
    assert_eq!(&vip[..2], &[0xFF, 0xFE]);
    assert_eq!(vip, &read(&healthy().join("node/files/C/k/SourceVip.json")));
    // The kubeconfig itself is not copied; only its server line is recorded.
    assert!(!paths.iter().any(|p| p.ends_with("k/config")));
    let node_json: serde_json::Value =
        serde_json::from_slice(&store.files["node/node.json"]).expect("json");
    assert_eq!(node_json["api_server"], "https://10.0.0.5:6443");
    assert_eq!(node_json["os"]["build"], "17763");
    let all: String = store
        .files
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    for secret in [
        "s3cr3t-value",
        "very-secret",
        "0123456789abcdef",
        "passwords.txt",
        "LS0tLS1CRUdJTi",
    ] {
        assert!(!all.contains(secret), "{secret} leaked into the node part");
    }
    assert!(all.contains("NODE_NAME=win-2019-a.corp.example.com"));
    assert!(
        !all.contains("C:\\\\Windows\\\\system32"),
        "non-allow-listed env kept"
    );
}

#[test]
fn live_facts_equal_the_bundle_they_were_made_from() {
    let dir = tempfile::tempdir().expect("tmp");
    let (opts, runner, processes) = fake_node(dir.path());
    let mut store = collect(&opts, &runner, &processes);
    cluster_store(&mut store);
    let live = findings(&facts_of(&store));
    let original = findings(&facts_of(&DirStore::open(&healthy()).expect("bundle")));
    let strip = |fs: &[Finding]| -> Vec<(String, String, String)> {
        fs.iter()
            .map(|f| {
                (
                    f.check.clone(),
                    f.status.to_string(),
                    f.message.to_lowercase(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&live), strip(&original));
}

#[test]
fn capture_then_replay_gives_the_same_findings() {
    let root = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let (opts, runner, processes) = fake_node(root.path());
    let mut store = collect(&opts, &runner, &processes);
    cluster_store(&mut store);
    let live = findings(&facts_of(&store));
    let written = windoctor::commands::capture::write_store(out.path(), &store).expect("written");
    assert!(written.len() >= store.files.len());
    let replay = findings(&facts_of(&DirStore::open(out.path()).expect("bundle")));
    assert_eq!(live, replay);
    assert!(live
        .iter()
        .any(|f| f.check == "flannel-sourcevip" && f.message.contains("UTF-16LE")));
}

#[test]
fn services_fall_back_to_sc_exe_and_failures_are_recorded() {
    let dir = tempfile::tempdir().expect("tmp");
    let (opts, _, processes) = fake_node(dir.path());
    let qc = |path: &str| {
        format!("[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: x\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        START_TYPE         : 2   AUTO_START\r\n        BINARY_PATH_NAME   : {path}\r\n")
    };
    let running = "SERVICE_NAME: x\r\n        STATE              : 4  RUNNING\r\n";
    let missing = "[SC] OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n";
    let runner = FakeRunner::default()
        .fail("services", "cannot run powershell.exe: program not found")
        .fail("hns-networks", "powershell.exe exited with code 1: Get-HnsNetwork is not available")
        .answer("sc-qc:kubelet", qc(r"C:\k\kubelet.exe --windows-service --hostname-override=win-2019-a.corp.example.com"))
        .answer("sc-query:kubelet", running)
        .answer("sc-qc:kube-proxy", qc(r"C:\k\kube-proxy.exe --windows-service --hostname-override=win-2019-a.corp.example.com"))
        .answer("sc-query:kube-proxy", running)
        .fail("sc-qc:flanneld", missing)
        .fail("sc-query:flanneld", missing)
        .fail("sc-qc:containerd", missing)
        .fail("sc-query:containerd", missing)
        .fail("sc-qc:docker", missing)
        .fail("sc-query:docker", missing);
    let store = collect(&opts, &runner, &processes);
    let world = facts_of(&store);
    let facts = &world.facts;
    let services = facts.node.services.ready().expect("services from sc.exe");
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["kubelet", "kube-proxy"]);
    assert!(services.iter().all(|s| s.is_automatic() && s.is_running()));
    assert!(
        matches!(&facts.node.hns_networks, Input::Failed(e) if e.contains("Get-HnsNetwork is not available"))
    );
    assert!(matches!(&facts.node.adapters, Input::Failed(e) if e.contains("no fake answer")));
    let r = checks::run_on("hns-network", &world);
    assert!(r
        .findings
        .iter()
        .any(|f| f.status == windoctor::findings::Status::Error
            && f.message.contains("Get-HnsNetwork")));
}

#[test]
fn off_the_node_only_files_are_read_and_the_rest_is_marked_not_collected() {
    let dir = tempfile::tempdir().expect("tmp");
    let (mut opts, runner, processes) = fake_node(dir.path());
    opts.query_system = false;
    opts.not_queried_because = "windoctor ran on linux (not on the Windows node)".into();
    opts.hostname = None;
    opts.node_name = Some("win-2019-a.corp.example.com".into());
    let mut store = collect(&opts, &runner, &processes);
    cluster_store(&mut store);
    assert!(!store.paths().iter().any(|p| p == "node/processes.json"));
    let world = facts_of(&store);
    let facts = &world.facts;
    assert_eq!(
        facts.local_node_name.as_deref(),
        Some("win-2019-a.corp.example.com")
    );
    assert!(
        matches!(&facts.node.processes, Input::Missing(m) if m.contains("not on the Windows node"))
    );
    assert!(matches!(&facts.node.hostname, Input::Missing(_)));
    // File checks still judge the node's files.
    let r = checks::run_on("flannel-sourcevip", &world);
    assert!(
        r.findings
            .iter()
            .any(|f| f.status == windoctor::findings::Status::Pass),
        "{:?}",
        r.findings
    );
}

#[test]
fn cli_capture_with_node_root_replays_to_the_same_node_findings() {
    let root = tempfile::tempdir().expect("tmp");
    copy_tree(&healthy().join("node/files/C"), root.path(), &|n| {
        n.to_string()
    });
    let out = tempfile::tempdir().expect("tmp");
    let bundle = out.path().join("bundle");
    let only = ids_in_scope(Scope::Node).join(",");
    let windoctor = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_windoctor"));
        cmd.stdin(std::process::Stdio::null());
        cmd
    };
    let common = |cmd: &mut std::process::Command| {
        cmd.arg("--node-root")
            .arg(root.path())
            .args(["--node", "win-2019-a.corp.example.com", "--kubeconfig"])
            .arg(out.path().join("no-such-kubeconfig"));
    };
    let mut capture = windoctor();
    capture.arg("capture").arg(&bundle);
    common(&mut capture);
    let o = capture.output().expect("capture runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(bundle.join("node/node.json").is_file());
    assert!(bundle.join("node/files/C/k/SourceVip.json").is_file());

    let report = |cmd: &mut std::process::Command| -> Vec<serde_json::Value> {
        let o = cmd
            .args(["--report", "json", "--only", &only, "--fail-on", "never"])
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            // Cluster inputs are "unreachable" live and "not captured" in the bundle.
            .filter(|f| f["subject"]["kind"] != "Input")
            .cloned()
            .collect()
    };
    let mut live = windoctor();
    common(&mut live);
    let live = report(&mut live);
    let mut replay = windoctor();
    replay
        .arg("--snapshot")
        .arg(&bundle)
        .args(["--node", "win-2019-a.corp.example.com"]);
    let replay = report(&mut replay);
    assert!(!live.is_empty());
    assert_eq!(live, replay);
}

/// The Event Log command's answer (one JSON object, tail name -> events, as the Windows PowerShell
/// 5.1 script prints it) becomes `node/eventlog/NAME.json` files, read back as typed Event Log
/// facts whose entries are matched against the failure signatures; names the plan did not ask for
/// are dropped.
#[test]
fn the_event_log_tails_are_collected_and_become_evidence() {
    let dir = tempfile::tempdir().expect("tmp");
    let (opts, runner, processes) = fake_node(dir.path());
    let answer = r#"{
    "kubelet":  [],
    "System":  [
        {
            "TimeCreated":  "\/Date(1765018800000)\/",
            "ProviderName":  "Service Control Manager",
            "Id":  7023,
            "LevelDisplayName":  "Error",
            "Message":  "The kubelet service terminated with the following error: \r\nThe service did not respond to the start or control request in a timely fashion."
        }
    ],
    "..\\evil":  []
}"#;
    let runner = runner.answer("eventlog", answer);
    let mut store = collect(&opts, &runner, &processes);
    let paths = store.paths();
    assert!(
        paths.iter().any(|p| p == "node/eventlog/System.json"),
        "{paths:?}"
    );
    assert!(paths.iter().any(|p| p == "node/eventlog/kubelet.json"));
    assert!(!paths.iter().any(|p| p.contains("evil")), "{paths:?}");
    cluster_store(&mut store);
    let world = facts_of(&store);
    let Input::Ready(tails) = &world.facts.node.eventlogs else {
        panic!("{:?}", world.facts.node.eventlogs)
    };
    assert_eq!(tails.len(), 2);
    let found = findings(&world);
    assert!(
        found
            .iter()
            .any(|f| f.code == "node-services/service-stopped"
                && f.evidence
                    .iter()
                    .any(|e| e.reference.starts_with("eventlog/System"))),
        "{found:#?}"
    );
}

/// The Event Log script is plain Windows PowerShell 5.1: Get-WinEvent with a filter hashtable per
/// tail, bounded by -MaxEvents, never failing the whole command for a provider that is absent.
#[test]
fn the_event_log_script_is_bounded_and_asks_for_each_tail() {
    let script = windoctor::sources::node::live::eventlog_command();
    for want in [
        "$tails = [ordered]@{}",
        "ProviderName = 'kubelet'",
        "ProviderName = 'kube-proxy'",
        "ProviderName = 'containerd'",
        "ProviderName = 'docker'",
        "ProviderName = 'rke2'",
        "LogName = 'Microsoft-Windows-Host-Network-Service-Admin'",
        "LogName = 'System'; ProviderName = 'Service Control Manager'; Id = 7023,7024,7031,7034",
        "-MaxEvents 200 -ErrorAction SilentlyContinue",
        "Select-Object TimeCreated, ProviderName, Id, LevelDisplayName, Message",
        "ConvertTo-Json -InputObject $tails -Depth 3",
    ] {
        assert!(script.contains(want), "{want:?} not in\n{script}");
    }
    assert_eq!(script.matches("Get-WinEvent").count(), 7);
}
