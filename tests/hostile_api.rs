//! A hostile or broken API server cannot crash windoctor, exhaust its memory or time, or pass for
//! a healthy cluster, and every failure says what happened (issue 15, classes 6 and 7). Each run
//! is a child process under an address-space cap (`ulimit -v`, so unbounded growth kills it
//! instead of the machine) and a time limit; the tests assert its exit code, its report and the
//! wording of the errors.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use windoctor_testkit::kubeconfig::ExecPlugin;
use windoctor_testkit::{ClusterData, FakeApiServer, ServerOptions, WrongKind};

/// Address space allowed to a windoctor child: far below what the unbounded cases grow to (GBs),
/// far above what a bounded run needs (the runtime's threads reserve much address space).
const ADDRESS_SPACE_KIB: u64 = 3 * 1024 * 1024;

fn demo() -> ClusterData {
    ClusterData::from_bundle_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo"))
        .expect("demo loads")
}

/// Runs windoctor with `args` under the address-space cap, killed after `limit`. Returns the
/// output and how long it took.
fn windoctor_capped(home: &Path, args: &[&str], limit: Duration) -> (Output, Duration) {
    let bin = env!("CARGO_BIN_EXE_windoctor");
    let mut script = format!("ulimit -v {ADDRESS_SPACE_KIB}; exec '{bin}'");
    for a in args {
        script.push_str(&format!(" '{}'", a.replace('\'', "'\\''")));
    }
    let started = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env_remove("KUBECONFIG")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh runs");
    // Drain both pipes while waiting: a report larger than a pipe's buffer would otherwise
    // block the child forever.
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    let deadline = started + limit;
    let status = loop {
        match child.try_wait().expect("wait") {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = err_reader.join().unwrap_or_default();
                panic!(
                    "windoctor {args:?} did not finish within {limit:?}; stderr: {}",
                    String::from_utf8_lossy(&stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let out = Output {
        status,
        stdout: out_reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    };
    (out, started.elapsed())
}

struct Served {
    _server: windoctor_testkit::BackgroundServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

fn serve(data: ClusterData, options: ServerOptions) -> Served {
    let server = FakeApiServer::start_background(data, options).expect("server starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    Served {
        _server: server,
        dir,
        kubeconfig,
    }
}

/// The JSON report of a live run against `served`, and its exit code; the run must end by itself
/// (no signal) within `limit`.
fn live_report(served: &Served, extra: &[&str], limit: Duration) -> (Value, i32, String) {
    let kc = served.kubeconfig.display().to_string();
    let mut args = vec!["--report", "json", "--kubeconfig", &kc];
    if !extra.contains(&"--request-timeout") {
        args.extend_from_slice(&["--request-timeout", "5"]);
    }
    args.extend_from_slice(extra);
    let (out, _) = windoctor_capped(served.dir.path(), &args, limit);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or_else(|| {
        panic!(
            "windoctor was killed by a signal ({:?}): {stderr}",
            out.status
        )
    });
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}), exit {code}: {stderr}"));
    (report, code, stderr)
}

/// The `error` findings about input `name`, with their messages.
fn input_errors(report: &Value, name: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["status"] == "error"
                && f["subject"]["kind"] == "Input"
                && f["subject"]["name"] == name
        })
        .map(|f| f["message"].as_str().unwrap_or("").to_string())
        .collect()
}

fn no_pass_reads(report: &Value, input: &str) {
    assert!(
        !input_errors(report, input).is_empty(),
        "{input} is reported as an error: {report:#}"
    );
}

#[test]
fn a_lying_remaining_item_count_is_never_used_to_size_memory() {
    let served = serve(
        demo(),
        ServerOptions::new()
            .remaining_item_count(100_000_000)
            .max_page(7),
    );
    let (report, code, stderr) = live_report(&served, &[], Duration::from_secs(120));
    assert!(matches!(code, 0 | 1), "{stderr}");
    assert!(input_errors(&report, "pods").is_empty(), "{report:#}");
    assert_eq!(report["environment"]["nodes"]["total"], 5);
}

#[test]
fn endless_pages_end_in_an_error_within_bounded_memory_and_time() {
    let served = serve(
        demo(),
        ServerOptions::new()
            .endless_pages()
            .hostile_only_for(&["pods"]),
    );
    let (report, _, stderr) = live_report(&served, &[], Duration::from_secs(120));
    no_pass_reads(&report, "pods");
    let why = input_errors(&report, "pods").join(" ");
    assert!(why.contains("twice while paging"), "{why}; {stderr}");
    assert!(
        input_errors(&report, "nodes").is_empty(),
        "other lists are read: {report:#}"
    );
}

#[test]
fn huge_bodies_and_gzip_bombs_are_cut_off() {
    // A bomb is cut off in a list whose sink reads at once (events) and in the pod list, whose
    // first page comes while its sink waits for the Nodes and Services.
    for (options, list, other) in [
        (ServerOptions::new().huge_body(3 << 30), "events", "pods"),
        (ServerOptions::new().gzip_bomb(2 << 30), "events", "pods"),
        (ServerOptions::new().gzip_bomb(2 << 30), "pods", "events"),
    ] {
        let served = serve(demo(), options.hostile_only_for(&[list]));
        // A generous request timeout: this test is about the size bound, and a debug build on a
        // busy machine may need more than 5 s to move 64 MiB.
        let (report, _, stderr) = live_report(
            &served,
            &["--request-timeout", "120"],
            Duration::from_secs(240),
        );
        let why = input_errors(&report, list).join(" ");
        assert!(
            why.contains("larger than 64 MiB"),
            "{list}: {why}; {stderr}"
        );
        assert!(input_errors(&report, other).is_empty(), "{report:#}");
    }
}

#[test]
fn answers_that_are_not_the_list_asked_for_are_errors_not_an_empty_cluster() {
    for (wrong, want) in [
        (WrongKind::OtherList, "the server sent a ConfigMapList"),
        (WrongKind::NotAList, "sent a Pod"),
        (WrongKind::StatusOk, "Status instead of the PodList"),
        (WrongKind::NullItems, "`items: null`"),
        (WrongKind::Html, "an HTML page, not the PodList"),
        (
            WrongKind::Redirect,
            "redirect (HTTP 302) to https://login.example.com/oauth2/start",
        ),
    ] {
        let served = serve(
            demo(),
            ServerOptions::new()
                .wrong_kind(wrong)
                .hostile_only_for(&["pods"]),
        );
        let (report, _, _) = live_report(&served, &[], Duration::from_secs(120));
        let why = input_errors(&report, "pods").join(" ");
        assert!(why.contains(want), "{wrong:?}: {why}");
        // No check that reads pods passes on them.
        for f in report["findings"].as_array().into_iter().flatten() {
            if f["check"] == "pod-spec-compat" {
                assert_ne!(f["status"], "pass", "{wrong:?}: {f:#}");
            }
        }
    }
}

#[test]
fn status_errors_name_the_code_and_the_apis_message() {
    let served = serve(
        demo(),
        ServerOptions::new().status("pods", 500).forbid("events"),
    );
    let (report, _, _) = live_report(&served, &[], Duration::from_secs(120));
    let pods = input_errors(&report, "pods").join(" ");
    assert!(pods.contains("cannot list pods: HTTP 500"), "{pods}");
    let events = input_errors(&report, "events").join(" ");
    assert!(events.contains("forbidden"), "{events}");
    assert!(input_errors(&report, "nodes").is_empty(), "{report:#}");
}

#[test]
fn a_huge_node_name_cannot_make_a_huge_report() {
    let mut data = demo();
    data.add_node_with_huge_name(100 << 20);
    let served = serve(data, ServerOptions::new());
    let kc = served.kubeconfig.display().to_string();
    let (out, _) = windoctor_capped(
        served.dir.path(),
        &["--report", "json", "--kubeconfig", &kc],
        Duration::from_secs(180),
    );
    assert!(out.status.code().is_some(), "{:?}", out.status);
    assert!(
        out.stdout.len() < 2 << 20,
        "the report is {} bytes",
        out.stdout.len()
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    no_pass_reads(&report, "nodes");
}

#[test]
fn throttling_is_waited_out_within_the_deadline_and_named_beyond_it() {
    let served = serve(
        demo(),
        ServerOptions::new()
            .too_many_requests(1, 3)
            .hostile_only_for(&["pods"]),
    );
    let (report, _, stderr) = live_report(&served, &[], Duration::from_secs(120));
    assert!(
        input_errors(&report, "pods").is_empty(),
        "429s with Retry-After: 1 are waited out: {stderr}"
    );

    let served = serve(
        demo(),
        ServerOptions::new()
            .too_many_requests(3600, 100)
            .hostile_only_for(&["pods"]),
    );
    let started = Instant::now();
    let (report, _, _) = live_report(&served, &[], Duration::from_secs(120));
    let why = input_errors(&report, "pods").join(" ");
    assert!(
        why.contains("throttling") && why.contains("429") && why.contains("Retry-After"),
        "{why}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "no hour-long wait"
    );
}

#[test]
fn hung_and_trickling_servers_time_out_and_say_so() {
    let served = serve(
        demo(),
        ServerOptions::new().hang().hostile_only_for(&["pods"]),
    );
    let (report, _, _) = live_report(&served, &[], Duration::from_secs(60));
    let why = input_errors(&report, "pods").join(" ");
    assert!(why.contains("timed out after 5s"), "{why}");

    let served = serve(
        demo(),
        ServerOptions::new()
            .trickle(200)
            .hostile_only_for(&["pods"]),
    );
    let started = Instant::now();
    let (report, _, _) = live_report(&served, &[], Duration::from_secs(60));
    let why = input_errors(&report, "pods").join(" ");
    assert!(why.contains("timed out"), "{why}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

fn unreachable_report(server: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        windoctor_testkit::kubeconfig::kubeconfig_yaml(server, "t"),
    )
    .expect("kubeconfig");
    let kc = kc.display().to_string();
    let (out, _) = windoctor_capped(
        dir.path(),
        &[
            "--report",
            "json",
            "--kubeconfig",
            &kc,
            "--request-timeout",
            "5",
        ],
        Duration::from_secs(60),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    format!(
        "{} {}",
        input_errors(&report, "nodes").join(" "),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn refused_and_dns_failures_are_told_apart() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let refused = unreachable_report(&format!("http://127.0.0.1:{port}"));
    assert!(refused.contains("connection refused"), "{refused}");
    let dns = unreachable_report("http://no-such-host.invalid:6443");
    assert!(dns.contains("does not resolve (DNS)"), "{dns}");
    assert!(!dns.contains("connection refused"), "{dns}");
}

#[test]
fn a_hanging_credential_plugin_obeys_the_request_timeout() {
    let served = serve(demo(), ServerOptions::new());
    let plugin = ExecPlugin::new("/bin/sh").arg("-c").arg("sleep 600");
    let kc = served
        ._server
        .write_kubeconfig_exec(served.dir.path().join("exec"), &plugin)
        .expect("kubeconfig");
    let kc = kc.display().to_string();
    let (out, took) = windoctor_capped(
        served.dir.path(),
        &[
            "--report",
            "json",
            "--kubeconfig",
            &kc,
            "--request-timeout",
            "3",
        ],
        Duration::from_secs(60),
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    let why = input_errors(&report, "nodes").join(" ");
    assert!(why.contains("exec credential plugin"), "{why}");
}
