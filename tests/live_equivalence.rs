//! The live path and the offline path must agree: `windoctor --report json` against the fake API
//! server serving a generated cluster gives the same report as `windoctor --snapshot` on a bundle of
//! the same cluster written as kubectl writes it (all events, not only warnings; managedFields
//! dropped), apart from `generated_at` and `source`. This guards every live-path optimisation
//! (paging, warning-only events, configmap selection, slim parsing) against changing a finding.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use windoctor_testkit::{ClusterData, FakeApiServer, GenerateSpec, ServerOptions};

fn windoctor(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("windoctor").expect("binary built");
    cmd.env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("WINDOCTOR_NOW", "2026-11-21T00:00:00Z");
    cmd
}

/// The report minus what legitimately differs between sources: `generated_at`, `source`, and the
/// wording of the skip for the active probes input (a bundle may carry probe results, so its skip
/// message says this one has none).
fn comparable(stdout: &[u8]) -> Value {
    let mut report: Value = serde_json::from_slice(stdout).expect("stdout is a JSON report");
    let map = report.as_object_mut().expect("report is an object");
    map.remove("generated_at");
    map.remove("source");
    if let Some(Value::Array(findings)) = map.get_mut("findings") {
        for f in findings.iter_mut() {
            if f["subject"]["kind"] == "Input" && f["subject"]["name"] == "probes" {
                f["message"] = Value::String("(probes input skipped)".into());
            }
        }
    }
    report
}

fn report(home: &Path, args: &[&str]) -> (Value, Option<i32>) {
    let out = windoctor(home)
        .args(["--report", "json"])
        .args(args)
        .output()
        .expect("windoctor runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "windoctor {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (comparable(&out.stdout), out.status.code())
}

fn count(report: &Value, status: &str) -> u64 {
    report["summary"][status].as_u64().unwrap_or(0)
}

#[test]
fn live_report_equals_bundle_report_on_a_generated_cluster() {
    let spec = GenerateSpec::new(60, 1_800, 11);
    let mut data = ClusterData::generate(&spec).expect("generates");
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = dir.path().join("bundle");
    data.write_kubectl_bundle(&bundle).expect("bundle written");
    // A small server-side page cap makes the live path follow many continue tokens.
    let server = FakeApiServer::start_background(data, ServerOptions::new().max_page(97))
        .expect("server starts");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");

    // The kubectl-made bundle holds the cluster lists only: the live run's node data through the
    // API is left out here (tests/remote_nodes.rs compares capture and replay with it).
    let (live, live_code) = report(
        dir.path(),
        &[
            "--kubeconfig",
            &kubeconfig.display().to_string(),
            "--no-node-data",
        ],
    );
    let (offline, offline_code) =
        report(dir.path(), &["--snapshot", &bundle.display().to_string()]);

    assert_eq!(live["environment"]["nodes"]["total"], 60);
    assert_eq!(live["environment"]["nodes"]["windows"], 6);
    assert!(
        count(&live, "pass") > 0,
        "the generated cluster gives passes"
    );
    assert!(
        count(&live, "fail") > 0,
        "the generated cluster has a NotReady Windows node"
    );
    assert_eq!(live_code, offline_code);
    if live != offline {
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
        let (a, b) = (pretty(&live), pretty(&offline));
        let first = a
            .lines()
            .zip(b.lines())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        let context = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(5))
                .take(12)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "live and bundle reports differ at line {first}:\n--- live\n{}\n--- bundle\n{}",
            context(&a),
            context(&b)
        );
    }

    // The live path asked only for warning events and for the configmaps the checks read.
    let requests = server.request_log();
    let events: Vec<_> = requests
        .iter()
        .filter(|r| r.path == "/api/v1/events")
        .collect();
    assert!(!events.is_empty());
    assert!(events
        .iter()
        .all(|r| r.param("fieldSelector").as_deref() == Some("type!=Normal")));
    assert!(
        requests.iter().filter(|r| r.path == "/api/v1/pods").count() > 1800 / 97,
        "pods were paged"
    );
}

/// Stronger than comparing reports while most checks are still placeholders: the facts themselves.
/// Every kind the live path reads equals the bundle's, except events, where the live path holds
/// exactly the bundle's non-Normal events.
#[test]
fn live_facts_equal_bundle_facts() {
    use windoctor::facts::Input;
    use windoctor::sources::{bundle, files::DirStore, live};

    let spec = GenerateSpec::new(30, 900, 5);
    let mut data = ClusterData::generate(&spec).expect("generates");
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle_dir = dir.path().join("bundle");
    data.write_kubectl_bundle(&bundle_dir)
        .expect("bundle written");
    let server = FakeApiServer::start_background(data, ServerOptions::new().max_page(64))
        .expect("server starts");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");

    let offline = bundle::read_bundle(&DirStore::open(&bundle_dir).expect("bundle opens")).cluster;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let opts = live::LiveOptions {
        kubeconfig: Some(kubeconfig),
        ..Default::default()
    };
    // The engine's own live path, as `windoctor --report json` runs it.
    let plan = windoctor::plan::RunPlan {
        source: windoctor::plan::SourceChoice::Live,
        live: opts,
        node_name: None,
        node_root: None,
        selection: Default::default(),
        probe: None,
        refresh: None,
        namespace: None,
        node_data: Default::default(),
        fleet: None,
    };
    let (_, gathered) = runtime
        .block_on(windoctor::engine::run_to_end(&plan))
        .expect("the live run finishes");
    let live = gathered.world.facts.cluster;

    assert!(live.pods.ready().is_some_and(|p| p.len() == 900));
    assert_eq!(live.version, offline.version);
    assert!(live.nodes == offline.nodes, "nodes differ");
    assert!(live.pods == offline.pods, "pods differ");
    assert!(live.services == offline.services, "services differ");
    assert!(live.daemonsets == offline.daemonsets, "daemonsets differ");
    assert!(live.configmaps == offline.configmaps, "configmaps differ");
    assert!(
        live.runtimeclasses == offline.runtimeclasses,
        "runtimeclasses differ"
    );
    let (Input::Ready(live_events), Input::Ready(all_events)) = (&live.events, &offline.events)
    else {
        panic!("events not read");
    };
    let warnings: Vec<_> = all_events
        .iter()
        .filter(|e| e.type_ != "Normal")
        .cloned()
        .collect();
    assert!(!warnings.is_empty() && warnings.len() < all_events.len());
    assert!(
        *live_events == warnings,
        "live events are the bundle's warnings"
    );
}
