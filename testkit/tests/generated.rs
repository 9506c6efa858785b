//! The Windows system pods of generated clusters, read over HTTP: one
//! HostProcess kube-proxy and one flannel pod per Windows node, a few
//! crash-looping with real failure wordings in their previous logs, klog
//! log tails, and a configz for every node.

mod common;

use common::{all_pages, get, item_keys};
use serde_json::Value;
use windoctor_testkit::{ClusterData, FakeApiServer, GenerateSpec, ServerOptions};

/// `I1120 09:00:00.000000    4321 file.go:123] message`.
fn is_klog(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 30
        && matches!(b[0], b'I' | b'W' | b'E' | b'F')
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5] == b' '
        && b[8] == b':'
        && b[14] == b'.'
        && line[29..].contains("] ")
}

fn items(server: &windoctor_testkit::BackgroundServer, path: &str) -> anyhow::Result<Vec<Value>> {
    Ok(all_pages(server.addr(), path)?
        .into_iter()
        .flat_map(|p| p["items"].as_array().cloned().unwrap_or_default())
        .collect())
}

#[test]
fn windows_system_pods_logs_and_configz() -> anyhow::Result<()> {
    let spec = GenerateSpec::new(300, 3_000, 4);
    let data = ClusterData::generate(&spec)?;
    let server = FakeApiServer::start_background(data, ServerOptions::new())?;
    let windows: Vec<String> = items(
        &server,
        "/api/v1/nodes?labelSelector=kubernetes.io%2Fos%3Dwindows&limit=100",
    )?
    .iter()
    .filter_map(|n| n["metadata"]["name"].as_str().map(str::to_string))
    .collect();
    assert_eq!(windows.len(), 30);
    assert_eq!(items(&server, "/api/v1/pods?limit=500")?.len(), 3_000);

    let proxies = items(
        &server,
        "/api/v1/pods?labelSelector=k8s-app%3Dkube-proxy-windows&limit=100",
    )?;
    let flannels = items(
        &server,
        "/api/v1/pods?labelSelector=k8s-app%3Dkube-flannel-ds-windows-amd64&limit=100",
    )?;
    for (pods, image) in [
        (
            &proxies,
            "sigwindowstools/kube-proxy:v1.32.4-flannel-hostprocess",
        ),
        (
            &flannels,
            "docker.io/sigwindowstools/flannel:v0.22.1-hostprocess",
        ),
    ] {
        let mut nodes: Vec<String> = pods
            .iter()
            .filter_map(|p| p["spec"]["nodeName"].as_str().map(str::to_string))
            .collect();
        nodes.sort();
        let mut expected = windows.clone();
        expected.sort();
        assert_eq!(nodes, expected, "one per Windows node");
        for pod in pods.iter() {
            assert_eq!(
                pod["spec"]["securityContext"]["windowsOptions"]["hostProcess"],
                true
            );
            assert_eq!(pod["spec"]["containers"][0]["image"], image);
            assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "DaemonSet");
        }
    }
    let crashing: Vec<&Value> = proxies
        .iter()
        .chain(&flannels)
        .filter(|p| {
            p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        })
        .collect();
    assert!(
        crashing.len() >= 3 && crashing.len() <= 10,
        "{}",
        crashing.len()
    );
    let mut wordings = Vec::new();
    for pod in &crashing {
        let status = &pod["status"]["containerStatuses"][0];
        assert_eq!(status["lastState"]["terminated"]["reason"], "Error");
        assert!(status["restartCount"].as_i64().is_some_and(|n| n > 0));
        let base = format!(
            "/api/v1/namespaces/{}/pods/{}/log",
            pod["metadata"]["namespace"].as_str().unwrap_or(""),
            pod["metadata"]["name"].as_str().unwrap_or("")
        );
        let previous = get(server.addr(), &format!("{base}?previous=true"))?;
        assert_eq!(previous.status, 200, "{}", previous.text());
        wordings.push(previous.text());
        let current = get(server.addr(), &base)?.text();
        assert!(current.lines().all(is_klog), "{current}");
    }
    let all = wordings.join("");
    assert!(all.contains("Waiting for the Network to be created"));
    assert!(all.contains(
        "hcnCreateLoadBalancer failed in Win32: The specified port already exists. (0x803b0013)"
    ));
    // Healthy ones have a current log only.
    let healthy = proxies
        .iter()
        .find(|p| {
            p["status"]["phase"] == "Running"
                && p["status"]["containerStatuses"][0]["ready"] == true
        })
        .ok_or_else(|| anyhow::anyhow!("a healthy kube-proxy"))?;
    let base = format!(
        "/api/v1/namespaces/kube-system/pods/{}/log",
        healthy["metadata"]["name"].as_str().unwrap_or("")
    );
    assert!(get(server.addr(), &base)?.text().lines().all(is_klog));
    assert_eq!(
        get(server.addr(), &format!("{base}?previous=true"))?.status,
        400
    );

    // configz: every node; Windows ones without cgroupDriver, most with 2Gi
    // reserved for the system.
    let mut reserved = 0;
    for node in &windows {
        let config = get(
            server.addr(),
            &format!("/api/v1/nodes/{node}/proxy/configz"),
        )?
        .json()?;
        let kubelet = &config["kubeletconfig"];
        assert!(kubelet.get("cgroupDriver").is_none());
        assert_eq!(kubelet["clusterDNS"][0], "10.96.0.10");
        assert_eq!(kubelet["enforceNodeAllocatable"], serde_json::json!([]));
        assert!(kubelet["evictionHard"].is_object());
        if kubelet["systemReserved"]["memory"] == "2Gi" {
            reserved += 1;
        }
    }
    assert!(reserved > 20 && reserved < 30, "{reserved}");
    let linux = item_keys(&get(server.addr(), "/api/v1/nodes?limit=1")?.json()?);
    let config = get(
        server.addr(),
        &format!("/api/v1/nodes/{}/proxy/configz", linux[0]),
    )?
    .json()?;
    assert_eq!(config["kubeletconfig"]["cgroupDriver"], "systemd");
    Ok(())
}

#[test]
fn small_clusters_keep_the_pod_count() -> anyhow::Result<()> {
    for (nodes, pods) in [(5_000, 100), (20, 30), (1, 1), (40, 900)] {
        let data = ClusterData::generate(&GenerateSpec::new(nodes, pods, 2))?;
        assert_eq!(
            data.len(windoctor_testkit::ResourceKind::Pods),
            pods,
            "{nodes}/{pods}"
        );
    }
    Ok(())
}
