//! Scale check for benchmarks: 150,000 generated pods served in pages of
//! 500. Ignored by default (it takes seconds in debug builds); run with
//! `cargo test -p windoctor-testkit --release --test scale -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::all_pages;
use serde_json::json;
use windoctor_testkit::{ClusterData, FakeApiServer, ResourceKind, ServerOptions};

#[test]
#[ignore = "scale check; run explicitly"]
fn serves_150k_pods_in_pages() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut data = ClusterData::new();
    for i in 0..150_000u32 {
        data.add(
            ResourceKind::Pods,
            json!({
                "metadata": {
                    "name": format!("pod-{i:06}"),
                    "namespace": format!("ns-{:03}", i % 200),
                    "labels": {"app": format!("app-{}", i % 50), "kubernetes.io/os": "windows"}
                },
                "spec": {"nodeName": format!("win-node-{:04}", i % 1000),
                         "containers": [{"name": "app", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}]},
                "status": {"phase": "Running"}
            }),
        )?;
    }
    eprintln!("built 150k pods in {:?}", started.elapsed());
    let started = Instant::now();
    let server = FakeApiServer::start_background(data, ServerOptions::new())?;
    eprintln!("prepared and started in {:?}", started.elapsed());
    let started = Instant::now();
    let pages = all_pages(server.addr(), "/api/v1/pods?limit=500")?;
    let items: usize = pages
        .iter()
        .map(|p| p["items"].as_array().map_or(0, Vec::len))
        .sum();
    eprintln!(
        "listed {items} pods in {} pages in {:?}",
        pages.len(),
        started.elapsed()
    );
    assert_eq!(items, 150_000);
    assert_eq!(pages.len(), 300);
    let started = Instant::now();
    let pages = all_pages(
        server.addr(),
        "/api/v1/pods?limit=500&fieldSelector=spec.nodeName%3Dwin-node-0007",
    )?;
    let items: usize = pages
        .iter()
        .map(|p| p["items"].as_array().map_or(0, Vec::len))
        .sum();
    eprintln!("field-selected {items} pods in {:?}", started.elapsed());
    assert_eq!(items, 150);
    Ok(())
}
