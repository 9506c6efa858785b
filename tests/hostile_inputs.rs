//! Issue 15, the classes "never `pass` on what was not read" (1), "`--node-root` never follows links
//! out of the root" (8) and "a run that evaluated nothing is never green" (11), end to end through
//! the binary.
//!
//! Each test starts from a bundle that is healthy (tests/bundles/node-overlay-healthy: its node and
//! flannel checks pass), breaks one kind of input (empty, unreadable, a directory, a link out, a
//! missing root), and asserts that the checks reading it say `error` (never `pass`), that nothing
//! from outside a root reaches the output, and the exit code.
//!
//! Unreadable-input tests need a process that file permissions apply to. Root with
//! CAP_DAC_OVERRIDE ignores them, and CI runs as root: there the binary is run as `nobody` through
//! `setpriv` (util-linux), or `runuser`. Any other user (or root without those capabilities) runs it
//! directly. Where neither works, those tests say so and skip, unless
//! WINDOCTOR_REQUIRE_EXTRA_TOOLS=1 (set by `.ci/run`) requires them.

mod helpers;
use helpers::copy_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use windoctor_testkit::{ClusterData, FakeApiServer, ServerOptions};

const HEALTHY: &str = "tests/bundles/node-overlay-healthy";
/// The Windows Node of that bundle.
const NODE: &str = "win-2019-a.corp.example.com";

fn healthy_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(HEALTHY)
}

/// A writable copy of the healthy bundle, readable by every user (for the unprivileged runs).
fn healthy_bundle() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bundle = tmp.path().join("bundle");
    copy_dir(&healthy_source(), &bundle);
    open_to_all(tmp.path());
    (tmp, bundle)
}

#[cfg(unix)]
fn open_to_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let walk = walkdir(dir);
    for p in walk {
        let mode = if p.is_dir() { 0o755 } else { 0o644 };
        let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode));
    }
}

#[cfg(not(unix))]
fn open_to_all(_dir: &Path) {}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(walkdir(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn windoctor() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_windoctor"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", std::env::temp_dir())
        .env("WINDOCTOR_NOW", "2026-11-20T09:15:00Z");
    cmd
}

struct Run {
    code: i32,
    report: Value,
    stdout: String,
    stderr: String,
}

fn run(mut cmd: Command) -> Run {
    let out = cmd.output().expect("windoctor runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    Run {
        code: out.status.code().unwrap_or(-1),
        report,
        stdout,
        stderr,
    }
}

fn snapshot_json(bundle: &Path) -> Command {
    let mut cmd = windoctor();
    cmd.arg("--snapshot").arg(bundle).args(["--report", "json"]);
    cmd
}

/// (check, status, subject name, message) of every finding.
fn findings(report: &Value) -> Vec<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {report:#}"))
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap_or("").to_string(),
                f["status"].as_str().unwrap_or("").to_string(),
                f["subject"]["name"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn statuses_of(report: &Value, check: &str) -> Vec<String> {
    findings(report)
        .into_iter()
        .filter(|f| f.0 == check)
        .map(|f| f.1)
        .collect()
}

/// The check passes on the healthy bundle (so a later `error` is the change under test).
fn assert_passes(report: &Value, check: &str) {
    let s = statuses_of(report, check);
    assert!(
        s.iter().any(|s| s == "pass") && !s.iter().any(|s| s == "error" || s == "fail"),
        "{check} passes on the healthy bundle: {s:?}"
    );
}

/// The node part of the check says `error` and never `pass` (its cluster part, about the events it
/// did read, may pass), and some error names `needle`.
fn assert_node_part_error(report: &Value, check: &str, needle: &str) {
    assert_error_where(report, check, needle, |f| f.2 != "cluster")
}

type Row = (String, String, String, String);

fn assert_error_where(report: &Value, check: &str, needle: &str, judged: fn(&Row) -> bool) {
    let f: Vec<_> = findings(report)
        .into_iter()
        .filter(|f| f.0 == check)
        .collect();
    assert!(
        !f.iter().any(|f| f.1 == "pass" && judged(f)),
        "{check} must not pass on what it could not read: {f:#?}"
    );
    assert!(
        f.iter().any(|f| f.1 == "error" && f.3.contains(needle)),
        "{check} reports an error naming {needle:?}: {f:#?}"
    );
}

// ------------------------------------------------------------------------------- unprivileged runs

/// Whether file permissions bind this process: false for root with CAP_DAC_OVERRIDE or
/// CAP_DAC_READ_SEARCH (which read anything), true otherwise (any other user, or root without those
/// capabilities).
#[cfg(unix)]
fn permissions_apply() -> bool {
    const DAC_OVERRIDE: u64 = 1 << 1;
    const DAC_READ_SEARCH: u64 = 1 << 2;
    let effective = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("CapEff:"))
                .and_then(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        });
    match effective {
        Some(caps) => caps & (DAC_OVERRIDE | DAC_READ_SEARCH) == 0,
        // No /proc: judge by the user id.
        None => !Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0"),
    }
}

/// A command that file permissions apply to, and the temporary folder of the binary copy it runs
/// (removed when dropped: keep it until the command has run).
#[cfg(unix)]
type Unprivileged = (Command, Option<tempfile::TempDir>);

/// How to run a command so that file permissions apply to it: as it is when they already do, else
/// as `nobody` through `setpriv` or `runuser`.
#[cfg(unix)]
fn unprivileged(cmd: Command) -> Result<Unprivileged, String> {
    if permissions_apply() {
        return Ok((cmd, None));
    }
    // The build's binary may sit below a folder `nobody` cannot enter (a clone under /root): run
    // a world-executable copy in a temporary folder instead.
    let (binary, copy_folder) = copy_for_nobody(Path::new(cmd.get_program()))?;
    let wrap = |program: &str, prefix: &[&str]| -> Command {
        let mut c = Command::new(program);
        c.args(prefix).arg(&binary).args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    };
    let probe = |c: &mut Command| c.output().is_ok_and(|o| o.status.success());
    let setpriv = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"];
    if probe(Command::new("setpriv").args(setpriv).arg("true")) {
        return Ok((wrap("setpriv", &setpriv), Some(copy_folder)));
    }
    if probe(Command::new("runuser").args(["-u", "nobody", "--", "true"])) {
        return Ok((wrap("runuser", &["-u", "nobody", "--"]), Some(copy_folder)));
    }
    Err(
        "this process reads any file (root) and neither setpriv nor runuser can drop to nobody"
            .to_string(),
    )
}

/// A copy of `binary` that any user can run, `windoctor` (mode 755) in a new temporary folder
/// (mode 755) that is removed when the returned `TempDir` is dropped.
#[cfg(unix)]
fn copy_for_nobody(binary: &Path) -> Result<(PathBuf, tempfile::TempDir), String> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: std::io::Error| format!("cannot copy {} for nobody: {e}", binary.display());
    let dir = tempfile::Builder::new()
        .prefix("windoctor-as-nobody-")
        .tempdir()
        .map_err(fail)?;
    let copy = dir.path().join("windoctor");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .and_then(|()| std::fs::copy(binary, &copy))
        .and_then(|_| std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)))
        .map_err(fail)?;
    Ok((copy, dir))
}

fn extras_required() -> bool {
    [
        "WINDOCTOR_REQUIRE_EXTRA_TOOLS",
        "WINDOCTOR_REQUIRE_NETNS_TESTS",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty() && x != "0"))
}

/// The command as an unprivileged user, or `None` (after saying why) when that is impossible here.
#[cfg(unix)]
fn as_unprivileged(test: &str, cmd: Command) -> Option<Unprivileged> {
    match unprivileged(cmd) {
        Ok(c) => Some(c),
        Err(why) if extras_required() => panic!("{test}: required but cannot run: {why}"),
        Err(why) => {
            eprintln!("skipping {test}: {why}");
            None
        }
    }
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

// ---------------------------------------------------------------------------------------- tests

/// The healthy bundle is the baseline: the checks the other tests break pass on it.
fn baseline() -> Value {
    let (_tmp, bundle) = healthy_bundle();
    let r = run(snapshot_json(&bundle));
    for check in [
        "flannel-subnet-env",
        "cni-exception-list",
        "flannel-sourcevip",
    ] {
        assert_passes(&r.report, check);
    }
    r.report
}

#[test]
fn missing_node_root_and_kubeconfig_never_read_as_healthy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cmd = windoctor();
    cmd.arg("--node-root")
        .arg(tmp.path().join("no/such/dir"))
        .arg("--kubeconfig")
        .arg(tmp.path().join("no-kc"))
        .args(["--report", "text"]);
    let r = run(cmd);
    assert!(
        !r.stdout.contains("PASS"),
        "nothing was read, nothing passes:\n{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("does not exist"),
        "the node checks say why:\n{}",
        r.stdout
    );
    assert_eq!(r.code, 3, "nothing could be evaluated\n{}", r.stderr);
    // A node root that is a file, not a folder, is the same.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let mut cmd = windoctor();
    cmd.arg("--node-root")
        .arg(&file)
        .arg("--kubeconfig")
        .arg(tmp.path().join("no-kc"))
        .args(["--report", "json"]);
    let r = run(cmd);
    assert!(
        !findings(&r.report).iter().any(|f| f.1 == "pass"),
        "{:#}",
        r.report
    );
    assert_eq!(r.code, 3);
}

#[test]
fn empty_cluster_and_node_files_are_errors_never_passes() {
    let base = baseline();
    let wincat = findings(&base)
        .into_iter()
        .find(|f| f.0 == "port-forward-wincat" && f.1 == "pass" && f.3.contains("Warning event"))
        .expect("the healthy bundle passes port-forward-wincat on its events");
    assert!(wincat.3.contains("Warning event"), "{wincat:?}");
    for content in ["", "  \r\n\t\n"] {
        let (_tmp, bundle) = healthy_bundle();
        std::fs::write(bundle.join("cluster/events.json"), content).expect("truncate");
        std::fs::write(bundle.join("node/files/C/run/flannel/subnet.env"), content)
            .expect("truncate");
        std::fs::write(bundle.join("node/hns-networks.json"), content).expect("truncate");
        let r = run(snapshot_json(&bundle));
        let all = findings(&r.report);
        assert!(
            !all.iter()
                .any(|f| f.1 == "pass" && f.3.contains("among 0 Warning")),
            "an empty events.json is not 0 events: {all:#?}"
        );
        assert!(
            all.iter()
                .any(|f| f.1 == "error" && f.2 == "events" && f.3.contains("events.json is empty")),
            "{all:#?}"
        );
        assert_node_part_error(&r.report, "flannel-subnet-env", "subnet.env");
        assert_node_part_error(&r.report, "hns-network", "hns-networks.json is empty");
        assert_eq!(r.code, 1, "errors fail the run by default\n{}", r.stderr);
    }
}

#[test]
fn directories_where_files_belong_are_errors() {
    let (_tmp, bundle) = healthy_bundle();
    for file in [
        "cluster/events.json",
        "node/files/C/run/flannel/subnet.env",
        "node/services.json",
    ] {
        let p = bundle.join(file);
        std::fs::remove_file(&p).expect("rm");
        std::fs::create_dir_all(p.join("inside")).expect("mkdir");
    }
    let r = run(snapshot_json(&bundle));
    let all = findings(&r.report);
    assert!(
        all.iter()
            .any(|f| f.1 == "error" && f.2 == "events" && f.3.contains("is a directory")),
        "{all:#?}"
    );
    assert_node_part_error(&r.report, "flannel-subnet-env", "is a directory");
    assert_node_part_error(&r.report, "node-services", "is a directory");
}

/// A FIFO where a file belongs would block a read forever; a link loop cannot be opened even by
/// root. Both are refused with the reason, whoever runs the test.
#[cfg(unix)]
#[test]
fn special_files_and_link_loops_are_errors_even_for_root() {
    let (_tmp, bundle) = healthy_bundle();
    let events = bundle.join("cluster/events.json");
    std::fs::remove_file(&events).expect("rm");
    let status = Command::new("mkfifo").arg(&events).status();
    if !status.is_ok_and(|s| s.success()) {
        eprintln!("skipping the FIFO part: mkfifo is not available");
        std::fs::create_dir(&events).expect("mkdir instead");
    }
    let subnet = bundle.join("node/files/C/run/flannel/subnet.env");
    std::fs::remove_file(&subnet).expect("rm");
    std::os::unix::fs::symlink("loop-b", &subnet).expect("link");
    std::os::unix::fs::symlink("subnet.env", subnet.with_file_name("loop-b")).expect("link");
    let started = std::time::Instant::now();
    let r = run(snapshot_json(&bundle));
    assert!(
        started.elapsed().as_secs() < 30,
        "a FIFO never blocks the run"
    );
    assert!(
        findings(&r.report)
            .iter()
            .any(|f| f.1 == "error" && f.2 == "events"),
        "{:#}",
        r.report
    );
    assert_node_part_error(&r.report, "flannel-subnet-env", "subnet.env");
}

/// Permissions: files and folders that exist but cannot be read, run as an unprivileged user.
#[cfg(unix)]
#[test]
fn unreadable_files_and_folders_are_errors_never_passes() {
    let test = "unreadable_files_and_folders_are_errors_never_passes";
    let base = baseline();
    assert_passes(&base, "flanneld-waiting");
    let (_tmp, bundle) = healthy_bundle();
    chmod(&bundle.join("cluster/events.json"), 0o000);
    chmod(&bundle.join("node/files/C/run/flannel/subnet.env"), 0o000);
    chmod(&bundle.join("node/files/C/k/cni/config"), 0o000);
    chmod(&bundle.join("node/files/C/k/flanneld.log"), 0o000);
    let Some((cmd, _copy)) = as_unprivileged(test, snapshot_json(&bundle)) else {
        return;
    };
    let r = run(cmd);
    let all = findings(&r.report);
    assert!(
        all.iter()
            .any(|f| f.1 == "error" && f.2 == "events" && f.3.contains("Permission denied")),
        "{all:#?}\n{}",
        r.stderr
    );
    assert_node_part_error(&r.report, "flannel-subnet-env", "Permission denied");
    assert_node_part_error(&r.report, "cni-exception-list", "config");
    assert_node_part_error(&r.report, "flanneld-waiting", "flanneld.log");
    assert_ne!(r.code, 0);
    // A node part whose folder cannot be listed at all: every node check errors.
    let (_tmp2, bundle) = healthy_bundle();
    chmod(&bundle.join("node"), 0o000);
    let Some((cmd, _copy)) = as_unprivileged(test, snapshot_json(&bundle)) else {
        return;
    };
    let r = run(cmd);
    for check in ["flannel-subnet-env", "node-services", "hns-network"] {
        assert_node_part_error(&r.report, check, "node");
    }
}

/// The loopback API server serving the healthy bundle's cluster part, and a kubeconfig for it.
fn cluster_of(bundle: &Path) -> (PathBuf, windoctor_testkit::BackgroundServer) {
    let data = ClusterData::from_bundle_dir(bundle).expect("cluster part loads");
    let server = FakeApiServer::start_background(data, ServerOptions::new()).expect("server");
    let dir = bundle.parent().expect("tmp");
    let kubeconfig = server.write_kubeconfig(dir).expect("kubeconfig");
    open_to_all(dir);
    (kubeconfig, server)
}

/// A live run against `kubeconfig` with `root` as the node's `C:\`.
fn live_node_root(kubeconfig: &Path, root: &Path) -> Command {
    let mut cmd = windoctor();
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--node-root")
        .arg(root)
        .args(["--node", NODE, "--report", "json"]);
    cmd
}

#[cfg(unix)]
#[test]
fn node_root_never_follows_links_out_of_the_root() {
    let (tmp, bundle) = healthy_bundle();
    let root = bundle.join("node/files/C");
    // Baseline: the same root passes, with a link that stays inside the root followed.
    let vip = root.join("k/SourceVip.json");
    std::fs::rename(&vip, root.join("k/SourceVip.real.json")).expect("mv");
    std::os::unix::fs::symlink("SourceVip.real.json", &vip).expect("link inside");
    let (kubeconfig, _server) = cluster_of(&bundle);
    let r = run(live_node_root(&kubeconfig, &root));
    assert_passes(&r.report, "flannel-subnet-env");
    assert_passes(&r.report, "cni-exception-list");
    assert_passes(&r.report, "flannel-sourcevip");

    // Outside the root: a secret file and a folder with a CNI configuration.
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(outside.join("cni")).expect("mkdir");
    let marker = "OUTSIDE-THE-ROOT-7f3a";
    std::fs::write(
        outside.join("secret.env"),
        format!("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.4.1/24\n# {marker}\n"),
    )
    .expect("write");
    std::fs::write(
        outside.join("cni/evil.conf"),
        format!(r#"{{"cniVersion":"0.2.0","name":"{marker}","type":"flannel"}}"#),
    )
    .expect("write");
    let subnet = root.join("run/flannel/subnet.env");
    std::fs::remove_file(&subnet).expect("rm");
    std::os::unix::fs::symlink(outside.join("secret.env"), &subnet).expect("link");
    let cni = root.join("k/cni/config");
    std::fs::remove_dir_all(&cni).expect("rm");
    std::os::unix::fs::symlink("../../../../outside/cni", &cni).expect("relative link out");

    let r = run(live_node_root(&kubeconfig, &root));
    assert!(
        !r.stdout.contains(marker) && !r.stderr.contains(marker),
        "nothing from outside the root is read:\n{}",
        r.stdout
    );
    assert_node_part_error(&r.report, "flannel-subnet-env", "outside");
    assert_node_part_error(&r.report, "cni-exception-list", "outside");

    // Capture records the same, and its replay says the same.
    let captured = tmp.path().join("captured");
    let mut cmd = windoctor();
    cmd.arg("capture")
        .arg(&captured)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--node-root")
        .arg(&root)
        .args(["--node", NODE]);
    let c = run(cmd);
    assert!(!c.stderr.contains(marker), "{}", c.stderr);
    for p in walkdir(&captured) {
        if p.is_file() {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            assert!(
                !text.contains(marker),
                "{} holds what is outside",
                p.display()
            );
        }
    }
    let replay = run(snapshot_json(&captured));
    assert_node_part_error(&replay.report, "flannel-subnet-env", "outside");
}

#[cfg(unix)]
#[test]
fn unreadable_node_root_files_are_errors_for_an_unprivileged_user() {
    let test = "unreadable_node_root_files_are_errors_for_an_unprivileged_user";
    let (_tmp, bundle) = healthy_bundle();
    let root = bundle.join("node/files/C");
    let (kubeconfig, _server) = cluster_of(&bundle);
    chmod(&root.join("run/flannel"), 0o000);
    chmod(&root.join("k/cni/config/cni.conf"), 0o000);
    let Some((cmd, _copy)) = as_unprivileged(test, live_node_root(&kubeconfig, &root)) else {
        return;
    };
    let r = run(cmd);
    assert_node_part_error(&r.report, "flannel-subnet-env", "Permission denied");
    assert_node_part_error(&r.report, "cni-exception-list", "cni.conf");
    assert_ne!(r.code, 0, "{}", r.stderr);
}

/// Every list hangs (and times out) while /version answers: no check reaches a verdict, the run
/// exits 3, whatever --fail-on says. One forbidden list among healthy ones exits 1 by default and
/// 0 with --fail-on fail.
#[test]
fn a_run_that_evaluated_nothing_is_never_green() {
    let data = ClusterData::from_bundle_dir(healthy_source()).expect("loads");
    let lists = [
        "nodes",
        "pods",
        "events",
        "services",
        "daemonsets",
        "configmaps",
        "runtimeclasses",
    ];
    let server =
        FakeApiServer::start_background(data, ServerOptions::new().hang().hostile_only_for(&lists))
            .expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    for fail_on in ["error", "fail", "never"] {
        let mut cmd = windoctor();
        cmd.arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--request-timeout", "1", "--report", "json"])
            .args(["--fail-on", fail_on]);
        let r = run(cmd);
        assert!(
            r.report["environment"]["server_version"].is_string(),
            "/version answered: {:#}",
            r.report["environment"]
        );
        assert_eq!(r.code, 3, "--fail-on {fail_on}: {}", r.stderr);
        assert!(
            r.stderr
                .contains("answered /version but no list could be read"),
            "{}",
            r.stderr
        );
    }

    let data = ClusterData::from_bundle_dir(healthy_source()).expect("loads");
    let server = FakeApiServer::start_background(data, ServerOptions::new().forbid("events"))
        .expect("server");
    let kubeconfig = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let code = |fail_on: Option<&str>| {
        let mut cmd = windoctor();
        cmd.arg("--kubeconfig").arg(&kubeconfig).args([
            "--report",
            "json",
            "--skip",
            "icmp-vs-tcp,nodeport-self-access,service-ip-from-node",
        ]);
        if let Some(f) = fail_on {
            cmd.args(["--fail-on", f]);
        }
        let r = run(cmd);
        assert!(findings(&r.report).iter().any(|f| f.1 == "error"));
        r.code
    };
    assert_eq!(code(None), 1, "an error fails the run by default");
    assert_eq!(code(Some("fail")), 0, "--fail-on fail accepts errors");
}
