//! The live node collector on a real Windows machine (or Wine, via scripts/windows-tests.sh): real
//! `C:\`-style paths and case-insensitive lookups, sysinfo's process list with full command lines,
//! real sc.exe and cmd.exe subprocesses. Compiled only for Windows.
//!
//! With WINDOCTOR_WINE=1 (set by the script) the test also registers a `kube-proxy` service in the
//! Wine prefix, which it must never do on a real node.
#![cfg(windows)]

use std::io::Write;
use std::process::{Command, Stdio};
use windoctor::facts::node::FileState;
use windoctor::facts::Facts;
use windoctor::sources::node::live::{collect_this_machine, NodeRoot};
use windoctor::sources::node::runner::{CommandRunner, NodeCommand, SystemRunner};

fn utf16le_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in s.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

/// A process named kube-proxy.exe with a realistic command line: a copy of cmd.exe kept waiting on
/// its standard input.
struct FakeKubeProxy {
    child: std::process::Child,
}

impl FakeKubeProxy {
    fn start(dir: &std::path::Path) -> FakeKubeProxy {
        let system = std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\windows".to_string());
        let exe = dir.join("kube-proxy.exe");
        std::fs::copy(format!(r"{system}\system32\cmd.exe"), &exe).expect("copy cmd.exe");
        let child = Command::new(&exe)
            .args([
                "/k",
                "--hostname-override=win-test.corp.example.com",
                "--proxy-mode=kernelspace",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the fake kube-proxy");
        std::thread::sleep(std::time::Duration::from_millis(500));
        FakeKubeProxy { child }
    }
}

impl Drop for FakeKubeProxy {
    fn drop(&mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(b"exit\r\n");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn windows_paths_resolve_without_regard_to_case() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join(r"k\cni\config")).expect("mkdir");
    std::fs::write(dir.path().join(r"k\sourceVip.json"), b"{}").expect("write");
    let root = NodeRoot {
        root: dir.path().to_path_buf(),
        other_drives: false,
    };
    let (host, real) = root.resolve(r"C:\K\SourceVip.json").expect("found");
    assert!(host.is_file(), "{}", host.display());
    assert!(real.eq_ignore_ascii_case(r"C:\k\sourceVip.json"), "{real}");
    assert!(root.resolve(r"C:\k\..\Windows\win.ini").is_none());
    assert!(root.resolve(r"D:\k\x").is_none());
    assert!(root.list(r"c:/k/CNI/config", &[".conf"], 8).is_empty());
}

#[test]
fn cmd_and_sc_exe_run_as_subprocesses() {
    let r = SystemRunner::default();
    let out = r
        .run(&NodeCommand::new(
            "echo",
            "cmd.exe",
            &["/C", "echo windoctor"],
        ))
        .expect("cmd.exe runs");
    assert!(String::from_utf8_lossy(&out).contains("windoctor"));
    // A service that does not exist: sc.exe fails, and the failure says so instead of panicking.
    let missing = r.run(&NodeCommand::new(
        "sc",
        "sc.exe",
        &["query", "windoctor-no-such-service"],
    ));
    assert!(missing.is_err());
}

#[test]
fn live_collector_reads_this_machine() {
    let root = tempfile::tempdir().expect("tmp");
    let bin = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(root.path().join(r"k")).expect("mkdir");
    std::fs::create_dir_all(root.path().join(r"run\flannel")).expect("mkdir");
    std::fs::write(
        root.path().join(r"k\SourceVip.json"),
        utf16le_bom("{\r\n  \"ip4\": {\"ip\": \"10.244.4.2/24\"}\r\n}\r\n"),
    )
    .expect("write");
    std::fs::write(
        root.path().join(r"run\flannel\subnet.env"),
        "FLANNEL_NETWORK=10.244.0.0/16\r\nFLANNEL_SUBNET=10.244.4.1/24\r\n",
    )
    .expect("write");
    let wine = std::env::var("WINDOCTOR_WINE").is_ok();
    if wine {
        let _ = Command::new("sc.exe")
            .args([
                "create",
                "kube-proxy",
                "binPath=",
                r"C:\k\kube-proxy.exe --windows-service",
                "start=",
                "auto",
            ])
            .output();
        // In a fresh Wine prefix the service manager registers the new service with a delay:
        // wait (bounded) until a query sees it, so the collector below does too.
        for _ in 0..50 {
            let seen = Command::new("sc.exe")
                .args(["query", "kube-proxy"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("kube-proxy"))
                .unwrap_or(false);
            if seen {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let _proxy = FakeKubeProxy::start(bin.path());

    // A fresh Wine prefix's service manager can take a while to list a just-created service:
    // collect again (bounded) until it shows up there; on real Windows the first pass is used.
    let mut facts = Facts::default();
    for attempt in 0..20 {
        let store = collect_this_machine(Some(root.path()), Some("win-test.corp.example.com"))
            .expect("on Windows the node part is always collected");
        facts = Facts::default();
        windoctor::sources::node::read_node_part(&store, &mut facts);
        let listed = facts
            .node
            .services
            .ready()
            .is_some_and(|s| s.iter().any(|s| s.name == "kube-proxy"));
        if !wine || listed || attempt == 19 {
            break;
        }
        // Register it again in case the first `sc.exe create` raced the prefix's start-up (it
        // fails harmlessly when the service already exists).
        let _ = Command::new("sc.exe")
            .args([
                "create",
                "kube-proxy",
                "binPath=",
                r"C:\k\kube-proxy.exe --windows-service",
                "start=",
                "auto",
            ])
            .output();
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(facts.node.present);
    assert!(facts.node.hostname.is_ready(), "{:?}", facts.node.hostname);
    assert_eq!(
        facts.local_node_name.as_deref(),
        Some("win-test.corp.example.com")
    );

    // sysinfo: our kube-proxy.exe with its full command line.
    let processes = facts.node.processes.ready().expect("processes listed");
    let proxy = processes
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case("kube-proxy.exe"))
        .unwrap_or_else(|| panic!("kube-proxy.exe not listed: {processes:?}"));
    assert!(
        proxy
            .command_line
            .iter()
            .any(|a| a == "--hostname-override=win-test.corp.example.com"),
        "{proxy:?}"
    );

    // Services: PowerShell's answer on Windows, sc.exe's under Wine (whose PowerShell is a stub).
    match &facts.node.services {
        windoctor::facts::Input::Ready(services) => {
            if wine {
                assert!(
                    services.iter().any(|s| s.name == "kube-proxy"),
                    "sc.exe fallback did not find the registered service: {services:?}"
                );
            }
        }
        other => panic!("services not collected: {other:?}"),
    }

    // Files at their C:\ paths, encodings kept.
    let files = facts.node.files.ready().expect("files");
    match files.state(r"C:\k\SourceVip.json") {
        FileState::Present(f) => assert_eq!(f.encoding, "UTF-16LE with BOM"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        files.state(r"C:\run\flannel\subnet.env"),
        FileState::Present(_)
    ));
    assert_eq!(
        files.state(r"C:\k\SourceVipRequest.json"),
        FileState::Absent
    );

    // The checks run on what was collected.
    let world = windoctor::model::World::new(facts);
    let r = windoctor::checks::run_on("kube-proxy-hostname-override", &world);
    assert!(
        r.findings.iter().any(|f| f
            .message
            .contains("--hostname-override=win-test.corp.example.com")),
        "{:?}",
        r.findings
    );
    if wine {
        let _ = Command::new("sc.exe")
            .args(["delete", "kube-proxy"])
            .output();
    }
}
