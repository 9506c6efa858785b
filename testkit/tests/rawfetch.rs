//! The `rawfetch` benchmark floor against a generated cluster: it reads
//! `/version` and the eight lists windoctor reads, 500 items a page with
//! gzip, follows every continue token, and reports pages and bytes.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use anyhow::Context;
use windoctor_testkit::{ClusterData, FakeApiServer, GenerateSpec, ResourceKind, ServerOptions};

fn fields(line: &str) -> BTreeMap<String, String> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn rawfetch_reads_what_windoctor_reads() -> anyhow::Result<()> {
    let spec = GenerateSpec::new(60, 2_400, 3);
    let data = ClusterData::generate(&spec)?;
    let pods = data.len(ResourceKind::Pods);
    let server = FakeApiServer::start_background(data, ServerOptions::new().require_token(true))?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = server.write_kubeconfig(dir.path())?;
    let output = Command::new(env!("CARGO_BIN_EXE_rawfetch"))
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .output()
        .context("running rawfetch")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = fields(&stdout);
    assert_eq!(report.get("lists").map(String::as_str), Some("8"));

    let log = server.request_log();
    assert_eq!(
        log.len().to_string(),
        report["pages"],
        "one page per request"
    );
    assert_eq!(log.iter().filter(|r| r.path == "/version").count(), 1);
    let lists: Vec<_> = log.iter().filter(|r| r.path != "/version").collect();
    assert!(lists
        .iter()
        .all(|r| r.param("limit").as_deref() == Some("500")));
    assert!(log.iter().all(|r| r.accepts_gzip && r.method == "GET"));
    let pod_pages = lists.iter().filter(|r| r.path == "/api/v1/pods").count();
    assert_eq!(pod_pages, pods.div_ceil(500));
    assert_eq!(
        lists
            .iter()
            .filter(|r| r.param("continue").is_some())
            .count(),
        lists.len() - 8,
        "every list but its first page followed a token"
    );
    assert!(lists
        .iter()
        .any(|r| r.param("fieldSelector").as_deref() == Some("type!=Normal")));
    let inflated: u64 = report["inflated_bytes"].parse()?;
    let wire: u64 = report["wire_bytes"].parse()?;
    assert!(inflated > 5 * wire, "{inflated} vs {wire}");
    assert!(report["wall_s"].parse::<f64>()? > 0.0);
    Ok(())
}

#[test]
fn rawfetch_reports_failures() -> anyhow::Result<()> {
    let data = ClusterData::from_bundle_dir(common::bundle_dir())?;
    let server = FakeApiServer::start_background(data, ServerOptions::new().forbid("events"))?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = server.write_kubeconfig(dir.path())?;
    let output = Command::new(env!("CARGO_BIN_EXE_rawfetch"))
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .output()?;
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("403"));
    let usage = Command::new(env!("CARGO_BIN_EXE_rawfetch")).output()?;
    assert_eq!(usage.status.code(), Some(2));
    Ok(())
}
