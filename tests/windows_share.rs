//! The sieve that keeps only the Windows share of the pods whole (`facts::share`) must not change a
//! finding: every check runs on the whole pod list and on the sieved one, over generated clusters
//! at several Windows shares and seeds (with planted Services selecting Linux and Windows pods
//! alike, Linux pods with OS selectors, RuntimeClasses and annotations), the embedded demo and the
//! kubectl-made test bundle, and the findings must be the same.

use std::path::Path;
use windoctor::checks::{self, Selection};
use windoctor::facts::k8s::Pod;
use windoctor::facts::{share, Facts, Input};
use windoctor::model::World;
use windoctor::sources::{bundle, files::DirStore, kubeobj::parse_objects};
use windoctor_testkit::{ClusterData, GenerateSpec, ResourceKind};

/// Findings of every check, as JSON text (one finding a line) for readable diffs.
fn findings(facts: Facts) -> Vec<String> {
    checks::run_all(&World::new(facts), &Selection::default())
        .iter()
        .map(|f| serde_json::to_string(f).expect("finding serializes"))
        .collect()
}

/// The facts of a bundle directory with the pod list as parsed (whole) and as sieved.
fn whole_and_sieved(dir: &Path) -> (Facts, Facts) {
    let read = || bundle::read_bundle(&DirStore::open(dir).expect("bundle opens"));
    let bytes = std::fs::read(dir.join("cluster/pods.json")).expect("pods.json");
    let pods: Vec<Pod> = parse_objects(&bytes, "pods.json").expect("pods parse");
    let mut whole = read();
    whole.cluster.pods = Input::Ready(pods.clone());
    let mut sieved = read();
    let nodes = whole.cluster.nodes.ready().cloned().unwrap_or_default();
    let services = whole.cluster.services.ready().cloned();
    sieved.cluster.pods = Input::Ready(share::sift_all(pods, &nodes, services.as_deref()));
    (whole, sieved)
}

fn assert_same_findings(what: &str, whole: Facts, sieved: Facts) -> usize {
    let kept = sieved.cluster.pods.ready().map_or(0, |p| {
        p.iter()
            .filter(|p| !p.spec.containers.is_empty() || !p.metadata.labels.is_empty())
            .count()
    });
    let total = whole.cluster.pods.ready().map_or(0, Vec::len);
    let (a, b) = (findings(whole), findings(sieved));
    assert!(!a.is_empty(), "{what}: no findings");
    for (x, y) in a.iter().zip(b.iter()) {
        assert_eq!(x, y, "{what}: a finding differs");
    }
    assert_eq!(a.len(), b.len(), "{what}: finding counts differ");
    eprintln!(
        "{what}: {} findings identical; {kept} of {total} pods keep containers or labels",
        a.len()
    );
    a.len()
}

/// Services and pods that make the sieve's harder cases: Services selecting Linux and Windows pods
/// of a namespace alike, Linux pods (on Linux nodes) with a RuntimeClass, a Windows-build selector,
/// a read annotation, and the control plane's static pods.
fn plant(data: &mut ClusterData, linux_node: &str, namespaces: &[&str]) {
    for ns in namespaces {
        data.add(
            ResourceKind::Services,
            serde_json::json!({"metadata": {"name": "whole-namespace", "namespace": ns},
                "spec": {"type": "ClusterIP", "clusterIP": "10.0.250.1", "ports": [{"port": 80}],
                         "selector": {"app.kubernetes.io/part-of": ns}}}),
        )
        .expect("service added");
    }
    let pods = [
        serde_json::json!({"metadata": {"name": "rc-user", "namespace": "default"},
            "spec": {"nodeName": linux_node, "runtimeClassName": "windows-2022", "containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Running"}}),
        serde_json::json!({"metadata": {"name": "build-selector", "namespace": "default"},
            "spec": {"nodeName": linux_node, "nodeSelector": {"node.kubernetes.io/windows-build": "10.0.20348"}, "containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Pending"}}),
        serde_json::json!({"metadata": {"name": "isolated", "namespace": "default",
                "annotations": {"experimental.windows.kubernetes.io/isolation-type": "hyperv"}},
            "spec": {"nodeName": linux_node, "containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Running"}}),
        serde_json::json!({"metadata": {"name": format!("kube-apiserver-{linux_node}"), "namespace": "kube-system"},
            "spec": {"nodeName": linux_node, "containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.32.4",
                "command": ["kube-apiserver", "--advertise-address=172.16.0.4", "--service-cluster-ip-range=10.0.0.0/16"]}]},
            "status": {"phase": "Running", "hostIP": "172.16.0.4"}}),
        serde_json::json!({"metadata": {"name": format!("kube-controller-manager-{linux_node}"), "namespace": "kube-system"},
            "spec": {"nodeName": linux_node, "containers": [{"name": "kube-controller-manager", "image": "registry.k8s.io/kube-controller-manager:v1.32.4",
                "command": ["kube-controller-manager", "--cluster-cidr=10.244.0.0/16", "--node-cidr-mask-size=24"]}]},
            "status": {"phase": "Running"}}),
    ];
    for pod in pods {
        data.add(ResourceKind::Pods, pod).expect("pod added");
    }
}

#[test]
fn sieved_pods_give_the_same_findings_on_generated_clusters() {
    for (percent, seed) in [(10, 1), (1, 2), (50, 3), (10, 4)] {
        let spec = GenerateSpec::new(120, 3_600, seed).windows_percent(percent);
        let mut data = ClusterData::generate(&spec).expect("generates");
        let dir = tempfile::tempdir().expect("temp dir");
        data.write_kubectl_bundle(dir.path()).expect("bundle");
        let (whole, _) = whole_and_sieved(dir.path());
        let linux_node = whole
            .cluster
            .nodes
            .ready()
            .and_then(|n| n.iter().find(|n| !n.is_windows()))
            .map(|n| n.name().to_string())
            .expect("a Linux node");
        let mut namespaces: Vec<String> = whole
            .cluster
            .pods
            .ready()
            .into_iter()
            .flatten()
            .filter_map(|p| p.metadata.labels.get("app.kubernetes.io/part-of").cloned())
            .collect();
        namespaces.sort();
        namespaces.dedup();
        namespaces.truncate(4);
        let ns: Vec<&str> = namespaces.iter().map(String::as_str).collect();
        plant(&mut data, &linux_node, &ns);
        let planted = tempfile::tempdir().expect("temp dir");
        data.write_kubectl_bundle(planted.path()).expect("bundle");
        let (whole, sieved) = whole_and_sieved(planted.path());
        assert_same_findings(&format!("{spec}"), whole, sieved);
    }
}

#[test]
fn sieved_pods_give_the_same_findings_on_the_demo_and_test_bundles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [
        root.join("assets/demo"),
        root.join("tests/bundles/kubectl-basic"),
    ] {
        if !dir.join("cluster/pods.json").exists() {
            continue;
        }
        let (whole, sieved) = whole_and_sieved(&dir);
        assert_same_findings(&dir.display().to_string(), whole, sieved);
    }
}
