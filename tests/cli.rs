//! End-to-end tests of the `windoctor` binary on bundles: report content, schema validity, exit
//! codes, stdout hygiene, redaction of planted secrets, and behaviour without a terminal.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn bundle(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bundles")
        .join(name)
}

fn windoctor() -> Command {
    let mut cmd = Command::cargo_bin("windoctor").expect("binary built");
    cmd.env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .env("HOME", std::env::temp_dir());
    cmd
}

fn schema() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/report.schema.json"),
    )
    .expect("schema file");
    serde_json::from_str(&text).expect("schema is JSON")
}

fn assert_valid(report: &Value) {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match assets/report.schema.json:\n{}",
        errors.join("\n")
    );
}

fn json_report(args: &[&str]) -> (Value, i32) {
    let out = windoctor()
        .args(args)
        .args(["--report", "json"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8(out.stdout).expect("utf8 stdout");
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not only JSON ({e}):\n{stdout}"));
    (report, out.status.code().unwrap_or(-1))
}

fn findings<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

#[test]
fn kubectl_made_bundle_is_analysed_and_validates() {
    let dir = bundle("kubectl-basic");
    let (report, code) = json_report(&["--snapshot", dir.to_str().expect("path")]);
    assert_valid(&report);
    assert_eq!(report["schema"], "windoctor.report/v1");
    assert_eq!(report["source"]["kind"], "snapshot");
    assert_eq!(report["environment"]["server_version"], "v1.29.2");
    assert_eq!(report["environment"]["nodes"]["windows"], 1);
    assert_eq!(report["environment"]["windows_nodes"][0]["build"], 17763);
    let ready = findings(&report, "node-ready");
    assert!(
        ready
            .iter()
            .any(|f| f["status"] == "fail" && f["subject"]["name"] == "winworker1"),
        "{ready:?}"
    );
    assert_eq!(
        code, 1,
        "a fail finding exits 1 with the default --fail-on fail"
    );
    let total: u64 = report["summary"]
        .as_object()
        .expect("summary")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(
        total as usize,
        report["findings"].as_array().expect("array").len()
    );
}

#[test]
fn planted_secrets_never_reach_any_report_format() {
    let dir = bundle("kubectl-basic");
    for format in ["json", "markdown", "text"] {
        let out = windoctor()
            .args([
                "--snapshot",
                dir.to_str().expect("path"),
                "--report",
                format,
            ])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for secret in ["PLANTED", "s3cr3t", "MIIPLANTED"] {
            assert!(
                !stdout.contains(secret),
                "{format} report leaks {secret}:\n{stdout}"
            );
            assert!(!stderr.contains(secret), "{format} stderr leaks {secret}");
        }
        assert!(!stdout.is_empty());
    }
}

#[test]
fn markdown_is_a_bug_report_with_the_sig_line() {
    let dir = bundle("kubectl-basic");
    let out = windoctor()
        .args([
            "--snapshot",
            dir.to_str().expect("path"),
            "--report",
            "markdown",
        ])
        .output()
        .expect("runs");
    let md = String::from_utf8(out.stdout).expect("utf8");
    assert!(md.contains("Kubernetes version"), "{md}");
    assert!(md.contains("v1.29.2"));
    assert!(md.contains("containerd://1.6.28"));
    assert!(md.contains("flannel vxlan"));
    assert!(md.contains("winworker1 is not Ready"));
    assert!(md.trim_end().ends_with("/sig windows"));
}

#[test]
fn exit_codes_follow_the_spec() {
    let dir = bundle("kubectl-basic");
    let d = dir.to_str().expect("path");
    // --fail-on never: findings do not change the exit code.
    windoctor()
        .args(["--snapshot", d, "--report", "json", "--fail-on", "never"])
        .assert()
        .code(0);
    // Only a check that passes or skips here: exit 0.
    windoctor()
        .args([
            "--snapshot",
            d,
            "--report",
            "json",
            "--only",
            "version-skew",
            "--fail-on",
            "fail",
        ])
        .assert()
        .code(0);
    // Unknown check id: usage error 2, naming it.
    windoctor()
        .args([
            "--snapshot",
            d,
            "--report",
            "json",
            "--only",
            "no-such-check",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no-such-check"));
    // Bad flag: usage error 2.
    windoctor().args(["--report", "yaml"]).assert().code(2);
    // A snapshot path that is not a directory: configuration error 2 with what to do.
    windoctor()
        .args(["--snapshot", "/nonexistent/bundle", "--report", "json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a directory"));
    // An empty bundle: nothing could be evaluated, exit 3.
    let empty = tempfile::tempdir().expect("tempdir");
    windoctor()
        .args([
            "--snapshot",
            empty.path().to_str().expect("path"),
            "--report",
            "json",
        ])
        .assert()
        .code(3);
}

#[test]
fn missing_inputs_are_skips_that_name_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join("cluster")).expect("mkdir");
    std::fs::copy(
        bundle("kubectl-basic").join("cluster/version.json"),
        tmp.path().join("cluster/version.json"),
    )
    .expect("copy");
    let (report, _) = json_report(&[
        "--snapshot",
        tmp.path().to_str().expect("path"),
        "--only",
        "node-ready",
    ]);
    let f = findings(&report, "node-ready");
    assert!(!f.is_empty());
    assert!(f.iter().all(|f| f["status"] == "skip"), "{f:?}");
    assert!(
        f.iter().any(|f| f["message"]
            .as_str()
            .expect("message")
            .contains("cluster/nodes.json")),
        "{f:?}"
    );
    assert!(
        f.iter().any(|f| f["subject"]["name"] == "node"),
        "the node part names its missing input too: {f:?}"
    );
}

#[test]
fn unreadable_inputs_are_errors_not_passes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join("cluster")).expect("mkdir");
    std::fs::write(
        tmp.path().join("cluster/nodes.json"),
        "{\"items\": [ {\"metadata\": ",
    )
    .expect("write");
    std::fs::copy(
        bundle("kubectl-basic").join("cluster/version.json"),
        tmp.path().join("cluster/version.json"),
    )
    .expect("copy");
    let (report, _) = json_report(&[
        "--snapshot",
        tmp.path().to_str().expect("path"),
        "--only",
        "node-ready",
    ]);
    let f = findings(&report, "node-ready");
    assert_eq!(f[0]["status"], "error", "{f:?}");
    assert!(f[0]["message"]
        .as_str()
        .expect("message")
        .contains("nodes.json"));
}

#[test]
fn without_a_terminal_it_prints_text_and_says_so() {
    let dir = bundle("kubectl-basic");
    let out = windoctor()
        .args([
            "--snapshot",
            dir.to_str().expect("path"),
            "--only",
            "node-ready",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("✗ FAIL"), "{stdout}");
    assert!(stderr.contains("not a terminal"), "{stderr}");
    assert!(!stdout.contains("\u{1b}["), "no escape sequences on a pipe");
}

#[test]
fn demo_report_validates_and_covers_every_cluster_check() {
    let (report, code) = json_report(&["--demo"]);
    assert_valid(&report);
    assert_eq!(report["source"]["kind"], "demo");
    assert_eq!(code, 1, "the demo cluster is broken");
    let cluster_checks = windoctor::catalogue::ids_in_scope(windoctor::catalogue::Scope::Cluster);
    assert!(cluster_checks.len() >= 15, "{cluster_checks:?}");
    for id in cluster_checks {
        let f = findings(&report, id);
        assert!(!f.is_empty(), "demo has no finding for {id}");
        assert!(
            f.iter()
                .any(|f| f["status"] != "skip" && f["status"] != "error"),
            "demo finding for {id} is only skip/error: {f:?}"
        );
    }
    for status in ["fail", "warn", "info", "pass"] {
        assert!(
            report["summary"][status].as_u64().unwrap_or(0) > 0,
            "demo shows no {status} finding"
        );
    }
}

#[test]
fn only_and_skip_take_the_code_of_a_part() {
    let code = "os-scheduling/linux-daemonset-on-windows";
    let (all, _) = json_report(&["--demo"]);
    let of_part = |r: &Value| {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["code"] == code)
            .count()
    };
    let total = |r: &Value| r["findings"].as_array().expect("findings").len();
    assert!(of_part(&all) > 0, "the demo has {code} findings");

    let (skipped, _) = json_report(&["--demo", "--skip", code]);
    assert_valid(&skipped);
    assert_eq!(of_part(&skipped), 0);
    assert_eq!(total(&skipped), total(&all) - of_part(&all));

    let (only, _) = json_report(&["--demo", "--only", code]);
    assert_valid(&only);
    let codes: Vec<&str> = only["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| *c == code),
        "{codes:?}"
    );

    // A typo names the valid codes of that check.
    windoctor()
        .args([
            "--demo",
            "--report",
            "json",
            "--skip",
            "os-scheduling/linux-daemonset-on-window",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(code));
}
