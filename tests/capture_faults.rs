//! Capture never loses data silently and never writes outside its target (issue 15, classes 2 and
//! 3): what could not be read is recorded so the replay reports the live run's errors; a write
//! error or an interrupt leaves nothing that replays as healthy; a second capture never mixes with
//! the first; names from the API cannot steer a path; symlinks are never followed. Also: the
//! default archive replays to the live findings, and 20,000 pod logs in a bundle read in linear
//! time.

mod helpers;
use helpers::judged;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use windoctor_testkit::{ClusterData, FakeApiServer, GenerateSpec, ResourceKind, ServerOptions};

fn demo() -> ClusterData {
    ClusterData::from_bundle_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo"))
        .expect("demo loads")
}

fn windoctor(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_windoctor"));
    cmd.env_remove("KUBECONFIG")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("WINDOCTOR_NOW", "2026-11-21T00:00:00Z")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("windoctor runs")
}

fn capture(home: &Path, kubeconfig: &Path, target: &Path, extra: &[&str]) -> Output {
    run(windoctor(home)
        .arg("capture")
        .arg(target)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(extra))
}

fn json_report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn live_report(home: &Path, kubeconfig: &Path) -> Value {
    json_report(&run(windoctor(home)
        .args(["--report", "json", "--skip", "icmp-vs-tcp", "--kubeconfig"])
        .arg(kubeconfig)))
}

fn replay_report(home: &Path, bundle: &Path) -> Value {
    json_report(&run(windoctor(home)
        .args(["--report", "json", "--skip", "icmp-vs-tcp", "--snapshot"])
        .arg(bundle)))
}

/// Every path under `dir`, relative.
fn tree(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            out.insert(p.strip_prefix(root).unwrap_or(&p).display().to_string());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &p, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

/// Extracts a capture archive and returns the bundle folder inside it (one top folder, so that an
/// archive unpacked by hand does not spill its files around).
fn extract(archive: &Path, into: &Path) -> PathBuf {
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(archive).expect("archive")).expect("zip");
    zip.extract(into).expect("extracts");
    let tops: Vec<PathBuf> = std::fs::read_dir(into)
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(tops.len(), 1, "one top folder: {tops:?}");
    tops.into_iter().next().expect("top")
}

#[test]
fn unreadable_lists_are_recorded_and_replay_as_the_live_errors() {
    let server = FakeApiServer::start_background(
        demo(),
        ServerOptions::new().forbid("pods").forbid("events"),
    )
    .expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kc = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let live = live_report(tmp.path(), &kc);
    let bundle = tmp.path().join("bundle");
    let out = capture(tmp.path(), &kc, &bundle, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("INCOMPLETE: 2 input(s) could not be read"),
        "{stderr}"
    );
    let record: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("capture.json")).expect("capture.json"))
            .expect("json");
    assert_eq!(record["complete"], false);
    let paths: BTreeSet<&str> = record["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["cluster/events.json", "cluster/pods.json"])
    );
    assert!(
        !bundle.join("cluster/pods.json").exists(),
        "no partial list is kept"
    );
    let replay = replay_report(tmp.path(), &bundle);
    let errors = |r: &Value| -> Vec<String> {
        judged(r)
            .into_iter()
            .filter(|l| l.contains("\"error\""))
            .collect()
    };
    assert!(errors(&live).len() >= 4, "{:#?}", errors(&live));
    assert_eq!(errors(&live), errors(&replay));
    assert_eq!(judged(&live), judged(&replay));
}

/// A Node the API serves with an image entry of the wrong shape (`names` a number, as a proxy that
/// rewrites a field might send it): the live run cannot list the Nodes, and the replay of a capture
/// says so in the same words, item position included, with the same evidence and fix.
#[test]
fn an_invalid_item_replays_as_the_live_error_with_its_fix() {
    let mut data = demo();
    let mut node = data
        .remove(ResourceKind::Nodes, "", "win-2019-a")
        .expect("the demo has win-2019-a");
    node["status"]["images"][0]["names"] = serde_json::json!(7);
    data.add(ResourceKind::Nodes, node).expect("added back");
    let server = FakeApiServer::start_background(data, ServerOptions::new()).expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kc = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let live = live_report(tmp.path(), &kc);
    for target in ["bundle", "share.zip"] {
        let target = tmp.path().join(target);
        let out = capture(tmp.path(), &kc, &target, &["--no-node-data"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("INCOMPLETE: 1 input(s)"), "{stderr}");
        let replay = replay_report(tmp.path(), &target);
        let errors = |r: &Value| -> Vec<Value> {
            r["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["status"] == "error")
                .map(|f| {
                    serde_json::json!({
                        "code": f["code"],
                        "message": f["message"],
                        "evidence": f["evidence"],
                        "fix": f["fix"],
                    })
                })
                .collect()
        };
        let live_errors = errors(&live);
        assert!(
            !live_errors.is_empty(),
            "the live run reports the Nodes' error"
        );
        let first = &live_errors[0];
        assert!(
            first["message"]
                .as_str()
                .is_some_and(|m| m.contains("cannot list nodes: item ")
                    && m.contains("of the list is not a valid object")),
            "{first}"
        );
        assert!(first["fix"].is_object(), "{first}");
        assert_eq!(live_errors, errors(&replay), "{}", target.display());
    }
}

#[test]
fn a_second_capture_never_mixes_with_the_first_and_symlinks_are_never_followed() {
    let server = FakeApiServer::start_background(demo(), ServerOptions::new()).expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kc = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let bundle = tmp.path().join("bundle");
    assert_eq!(
        capture(tmp.path(), &kc, &bundle, &[]).status.code(),
        Some(0)
    );
    std::fs::write(bundle.join("notes.txt"), "mine").expect("user file");
    let before = tree(&bundle);
    let again = capture(tmp.path(), &kc, &bundle, &[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never mixes two captures"));
    assert_eq!(tree(&bundle), before);
    assert_eq!(
        std::fs::read_to_string(bundle.join("notes.txt"))
            .ok()
            .as_deref(),
        Some("mine")
    );

    #[cfg(unix)]
    {
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).expect("mkdir");
        std::fs::write(elsewhere.join("precious"), "keep").expect("write");
        for (link, to) in [
            ("link-to-dir", elsewhere.clone()),
            ("link-to-file.zip", elsewhere.join("precious")),
            ("dangling.zip", elsewhere.join("created-through-link")),
        ] {
            let link = tmp.path().join(link);
            std::os::unix::fs::symlink(&to, &link).expect("symlink");
            let out = capture(tmp.path(), &kc, &link, &[]);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(tree(&elsewhere), BTreeSet::from(["precious".to_string()]));
        assert_eq!(
            std::fs::read_to_string(elsewhere.join("precious"))
                .ok()
                .as_deref(),
            Some("keep")
        );
    }
    let left: Vec<String> = tree(tmp.path())
        .into_iter()
        .filter(|p| p.contains("windoctor-partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn names_from_the_api_cannot_steer_a_path() {
    let mut data = demo();
    windoctor_testkit::hostile_data::plant_path_tricks(&mut data).expect("planted");
    for (ns, name, container) in [
        ("../../escape-ns", "kube-proxy-x", "kube-proxy"),
        (
            "kube-system",
            "kube-proxy-../../../../escape-pod",
            "kube-proxy",
        ),
        ("kube-system", "kube-proxy-y", "../../../escape-container"),
    ] {
        data.add(
            ResourceKind::Pods,
            serde_json::json!({"metadata": {"name": name, "namespace": ns},
                "spec": {"nodeName": "win-2019-a", "containers": [{"name": container, "image": "sigwindowstools/kube-proxy:v1.32.4-nanoserver"}]},
                "status": {"phase": "Running"}}),
        )
        .expect("pod");
        data.add_log(ns, name, container, "escaped?\n".to_string());
    }
    let server = FakeApiServer::start_background(data, ServerOptions::new()).expect("server");
    let outer = tempfile::tempdir().expect("tempdir");
    let tmp = outer.path().join("a").join("b");
    std::fs::create_dir_all(&tmp).expect("mkdir");
    let kc = server.write_kubeconfig(outer.path()).expect("kubeconfig");
    let before = tree(outer.path());
    let bundle = tmp.join("bundle");
    let out = capture(outer.path(), &kc, &bundle, &["--full"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let after = tree(outer.path());
    let added: Vec<&String> = after.difference(&before).collect();
    assert!(
        added.iter().all(|p| p.starts_with("a/b/bundle")),
        "written outside the bundle: {added:?}"
    );
    assert!(!added.iter().any(|p| p.contains("escape")), "{added:?}");
    let record = std::fs::read_to_string(bundle.join("capture.json")).expect("capture.json");
    assert!(record.contains("not a valid Kubernetes name"), "{record}");
    // The tricks are still in the pod list, as data.
    let pods = std::fs::read_to_string(bundle.join("cluster/pods.json")).expect("pods");
    assert!(pods.contains("../../../../etc/passwd"));
}

#[test]
fn the_default_archive_replays_to_the_live_findings() {
    let mut data = ClusterData::generate(&GenerateSpec::new(60, 1_800, 7)).expect("generates");
    let dir = tempfile::tempdir().expect("tempdir");
    let full_bundle = dir.path().join("kubectl");
    data.write_kubectl_bundle(&full_bundle).expect("bundle");
    let server =
        FakeApiServer::start_background(data, ServerOptions::new().max_page(97)).expect("server");
    let kc = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    let live = live_report(dir.path(), &kc);

    let archive = dir.path().join("report.zip");
    let out = capture(dir.path(), &kc, &archive, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let extracted = extract(&archive, &dir.path().join("x"));
    assert_eq!(
        extracted.file_name().and_then(|n| n.to_str()),
        Some("report")
    );
    // --snapshot reads the archive itself, and so does it unpacked.
    let replay = replay_report(dir.path(), &archive);
    assert_eq!(live["environment"], replay["environment"]);
    assert_eq!(judged(&live), judged(&replay));
    assert_eq!(
        judged(&live),
        judged(&replay_report(dir.path(), &extracted))
    );

    // The Windows share is a fraction of the full capture.
    let full = dir.path().join("full.zip");
    assert_eq!(
        capture(dir.path(), &kc, &full, &["--full"]).status.code(),
        Some(0)
    );
    let (share, whole) = (
        std::fs::metadata(&archive).expect("size").len(),
        std::fs::metadata(&full).expect("size").len(),
    );
    assert!(share * 2 < whole, "share {share} B, full {whole} B");
    let full_replay = replay_report(dir.path(), &full);
    assert_eq!(judged(&live), judged(&full_replay));
}

/// A small file system for the full-disk test: a tmpfs when this process may mount one.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<SmallDisk> {
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "windoctor-test",
            ])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_fails_loudly_and_leaves_nothing_that_replays() {
    let server = FakeApiServer::start_background(
        ClusterData::generate(&GenerateSpec::new(60, 1_800, 3)).expect("generates"),
        ServerOptions::new(),
    )
    .expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kc = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let disk = tmp.path().join("disk");
    std::fs::create_dir(&disk).expect("mkdir");
    let Some(_mounted) = SmallDisk::mount(&disk, "600k") else {
        let required = std::env::var_os("WINDOCTOR_REQUIRE_ROOT_TESTS").is_some();
        assert!(
            !required,
            "WINDOCTOR_REQUIRE_ROOT_TESTS is set but a tmpfs cannot be mounted"
        );
        eprintln!("skipped: mounting a small tmpfs needs root (CAP_SYS_ADMIN), which this run does not have");
        return;
    };
    for target in ["bundle", "bundle.zip"] {
        let out = capture(tmp.path(), &kc, &disk.join(target), &["--full"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains("No space left on device"), "{stderr}");
        assert!(stderr.contains("nothing was kept"), "{stderr}");
        assert!(tree(&disk).is_empty(), "left behind: {:?}", tree(&disk));
    }
}

#[cfg(unix)]
#[test]
fn an_interrupted_capture_leaves_nothing_behind() {
    let server = FakeApiServer::start_background(
        demo(),
        ServerOptions::new().delay("pods", Duration::from_secs(20)),
    )
    .expect("server");
    let tmp = tempfile::tempdir().expect("tempdir");
    let kc = server.write_kubeconfig(tmp.path()).expect("kubeconfig");
    let bundle = tmp.path().join("bundle");
    let child = windoctor(tmp.path())
        .arg("capture")
        .arg(&bundle)
        .arg("--kubeconfig")
        .arg(&kc)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_secs(2));
    helpers::send_signal(child.id(), rustix::process::Signal::TERM).expect("SIGTERM sent");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tree(tmp.path())
        .iter()
        .all(|p| !p.starts_with("bundle") && !p.contains("partial")));
}

#[test]
fn twenty_thousand_pod_logs_read_in_linear_time() {
    let time_for = |n: usize| -> Duration {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..n {
            let pod = dir
                .path()
                .join(format!("cluster/logs/ns-{}/pod-{i}", i % 50));
            std::fs::create_dir_all(&pod).expect("mkdir");
            std::fs::write(pod.join("c.log"), "line\n").expect("write");
        }
        let started = Instant::now();
        let store = windoctor::sources::files::DirStore::open(dir.path()).expect("open");
        let facts = windoctor::sources::bundle::read_bundle(&store);
        assert_eq!(facts.cluster.logs.len(), n);
        started.elapsed()
    };
    let small = time_for(2_000);
    let large = time_for(20_000);
    // Linear: about 10x; the quadratic reader took about 100x.
    assert!(
        large < small * 40 + Duration::from_secs(1),
        "2,000 logs {small:?}, 20,000 logs {large:?}"
    );
}
