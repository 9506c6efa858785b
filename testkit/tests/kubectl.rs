//! Drives the real `kubectl` against the fake API server: discovery,
//! chunked lists of every kind with `-A -o json`, single gets, logs and a
//! Forbidden error. Skipped (with a note on stderr) when `kubectl` is not on
//! PATH.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::Context;
use common::bundle_dir;
use serde_json::Value;
use windoctor_testkit::{BackgroundServer, ClusterData, FakeApiServer, ServerOptions};

/// `kubectl` from PATH, if any.
fn kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
}

fn start(options: ServerOptions) -> anyhow::Result<BackgroundServer> {
    FakeApiServer::start_background(ClusterData::from_bundle_dir(bundle_dir())?, options)
}

/// Runs kubectl with the server's kubeconfig and a private cache directory.
fn run(kubectl: &Path, dir: &Path, kubeconfig: &Path, args: &[&str]) -> anyhow::Result<Output> {
    let cache = dir.join("cache");
    Command::new(kubectl)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(&cache)
        .args(args)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .output()
        .context("running kubectl")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn kubectl_lists_every_kind() -> anyhow::Result<()> {
    let Some(kubectl) = kubectl() else {
        eprintln!("SKIPPED kubectl_lists_every_kind: kubectl is not on PATH");
        return Ok(());
    };
    let server = start(ServerOptions::new())?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = server.write_kubeconfig(dir.path())?;
    let output = run(
        &kubectl,
        dir.path(),
        &kubeconfig,
        &[
            "get",
            "nodes,pods,events,services,daemonsets,configmaps",
            "-A",
            "-o",
            "json",
        ],
    )?;
    assert!(
        output.status.success(),
        "kubectl failed: {}",
        stderr(&output)
    );
    assert_eq!(stderr(&output), "", "kubectl complained");
    let list: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(list["kind"], "List");
    let mut counts = std::collections::BTreeMap::new();
    for item in list["items"].as_array().into_iter().flatten() {
        *counts
            .entry(item["kind"].as_str().unwrap_or("?").to_string())
            .or_insert(0) += 1;
    }
    let expected: std::collections::BTreeMap<String, i32> = [
        ("ConfigMap", 3),
        ("DaemonSet", 2),
        ("Event", 4),
        ("Node", 3),
        ("Pod", 7),
        ("Service", 1),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(counts, expected);

    // Each kind was listed exactly once, chunked with kubectl's default.
    let log = server.request_log();
    for path in [
        "/api/v1/nodes",
        "/api/v1/pods",
        "/api/v1/events",
        "/api/v1/services",
        "/apis/apps/v1/daemonsets",
        "/api/v1/configmaps",
    ] {
        let lists: Vec<_> = log.iter().filter(|r| r.path == path).collect();
        assert_eq!(
            lists.len(),
            1,
            "{path} listed {} times: {log:?}",
            lists.len()
        );
        assert_eq!(lists[0].param("limit").as_deref(), Some("500"));
    }
    Ok(())
}

#[test]
fn kubectl_follows_continue_tokens() -> anyhow::Result<()> {
    let Some(kubectl) = kubectl() else {
        eprintln!("SKIPPED kubectl_follows_continue_tokens: kubectl is not on PATH");
        return Ok(());
    };
    let server = start(ServerOptions::new())?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = server.write_kubeconfig(dir.path())?;
    let output = run(
        &kubectl,
        dir.path(),
        &kubeconfig,
        &["get", "pods", "-A", "-o", "name", "--chunk-size=2"],
    )?;
    assert!(
        output.status.success(),
        "kubectl failed: {}",
        stderr(&output)
    );
    let names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");
    let pages = server
        .request_log()
        .iter()
        .filter(|r| r.path == "/api/v1/pods")
        .count();
    assert_eq!(pages, 4);
    Ok(())
}

#[test]
fn kubectl_gets_objects_and_logs() -> anyhow::Result<()> {
    let Some(kubectl) = kubectl() else {
        eprintln!("SKIPPED kubectl_gets_objects_and_logs: kubectl is not on PATH");
        return Ok(());
    };
    let server = start(ServerOptions::new())?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = server.write_kubeconfig(dir.path())?;

    let output = run(
        &kubectl,
        dir.path(),
        &kubeconfig,
        &["get", "node", "win-node-1", "-o", "json"],
    )?;
    assert!(output.status.success(), "{}", stderr(&output));
    let node: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(node["metadata"]["name"], "win-node-1");

    let output = run(
        &kubectl,
        dir.path(),
        &kubeconfig,
        &["get", "runtimeclasses"],
    )?;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("windows-2022"));

    let output = run(
        &kubectl,
        dir.path(),
        &kubeconfig,
        &["logs", "-n", "kube-system", "calico-node-x7k2p"],
    )?;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Failed to create HNS network"));

    let output = run(&kubectl, dir.path(), &kubeconfig, &["get", "pod", "ghost"])?;
    assert!(!output.status.success());
    assert!(stderr(&output).contains("Error from server (NotFound): pods \"ghost\" not found"));
    Ok(())
}

#[test]
fn kubectl_reports_forbidden() -> anyhow::Result<()> {
    let Some(kubectl) = kubectl() else {
        eprintln!("SKIPPED kubectl_reports_forbidden: kubectl is not on PATH");
        return Ok(());
    };
    // No require_token here: kubectl (client-go) never sends credentials to
    // an http:// server.
    let server = start(ServerOptions::new().forbid("events"))?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = server.write_kubeconfig(dir.path())?;
    let output = run(
        &kubectl,
        dir.path(),
        &kubeconfig,
        &["get", "events", "-A", "-o", "json"],
    )?;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains(
            "Error from server (Forbidden): events is forbidden: User \"system:serviceaccount:default:windoctor\" cannot list resource \"events\" in API group \"\" at the cluster scope"
        ),
        "{}",
        stderr(&output)
    );
    // The token from the kubeconfig got kubectl through authentication.
    let output = run(
        &kubectl,
        dir.path(),
        &kubeconfig,
        &["get", "nodes", "-o", "name"],
    )?;
    assert!(output.status.success(), "{}", stderr(&output));
    Ok(())
}
