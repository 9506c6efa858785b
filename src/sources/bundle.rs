//! The offline source: reads a bundle (SPEC section 3) from any `FileStore` into `Facts`.
//!
//! Every file is optional. An absent cluster file makes its input `Missing` (checks `skip` and name
//! it); a file that cannot be parsed makes it `Failed` with what is wrong (checks report `error`).
//! Each file is read once.

use super::files::FileStore;
use super::kubeobj::{parse_objects, parse_version};
use crate::facts::k8s::PodLog;
use crate::facts::{Facts, Input};
use serde::de::DeserializeOwned;

/// Reads the cluster part and the node part of a bundle.
pub fn read_bundle(store: &dyn FileStore) -> Facts {
    let mut facts = Facts::default();
    read_cluster_part(store, &mut facts);
    super::node::read_node_part(store, &mut facts);
    facts.probes = crate::probes::record::read_from_bundle(store);
    facts
}

fn read_cluster_part(store: &dyn FileStore, facts: &mut Facts) {
    let c = &mut facts.cluster;
    c.origin = Some(store.describe());
    c.version = match find_first(store, "cluster/version") {
        None => Input::Missing("cluster/version.json was not captured".to_string()),
        Some(path) => match store.read(&path) {
            Ok(Some(bytes)) => match parse_version(&bytes, &path) {
                Ok(v) => Input::Ready(v),
                Err(e) => Input::Failed(e),
            },
            Ok(None) => Input::Missing(format!("{path} was not captured")),
            Err(e) => Input::Failed(e),
        },
    };
    c.nodes = read_kind(store, "nodes", "kubectl get nodes -o json");
    c.pods = read_kind(store, "pods", "kubectl get pods -A -o json");
    c.events = read_kind(store, "events", "kubectl get events -A -o json");
    c.services = read_kind(store, "services", "kubectl get services -A -o json");
    c.daemonsets = read_kind(store, "daemonsets", "kubectl get daemonsets -A -o json");
    c.configmaps = read_kind(store, "configmaps", "kubectl get configmaps -A -o json");
    c.runtimeclasses = read_kind(
        store,
        "runtimeclasses",
        "kubectl get runtimeclasses -o json",
    );
    c.logs = read_pod_logs(store);
}

/// `cluster/<stem>.json`, `.yaml` or `.yml`, whichever exists.
fn find_first(store: &dyn FileStore, stem: &str) -> Option<String> {
    ["json", "yaml", "yml"]
        .iter()
        .find_map(|ext| store.find(&format!("{stem}.{ext}")))
}

fn read_kind<T: DeserializeOwned>(store: &dyn FileStore, kind: &str, how: &str) -> Input<Vec<T>> {
    let Some(path) = find_first(store, &format!("cluster/{kind}")) else {
        return Input::Missing(format!(
            "cluster/{kind}.json was not captured (make it with `{how} > cluster/{kind}.json`)"
        ));
    };
    match store.read(&path) {
        Ok(Some(bytes)) => match parse_objects(&bytes, &path) {
            Ok(items) => Input::Ready(items),
            Err(e) => Input::Failed(e),
        },
        Ok(None) => Input::Missing(format!("{path} was not captured")),
        Err(e) => Input::Failed(e),
    }
}

fn read_pod_logs(store: &dyn FileStore) -> Vec<PodLog> {
    let mut logs = Vec::new();
    for path in store.list("cluster/logs") {
        let parts: Vec<&str> = path.split('/').collect();
        if let [_, _, namespace, pod, file] = parts.as_slice() {
            let container = file.strip_suffix(".log").unwrap_or(file);
            if let Ok(Some(bytes)) = store.read_tail(&path) {
                logs.push(PodLog {
                    namespace: namespace.to_string(),
                    pod: pod.to_string(),
                    container: container.to_string(),
                    text: super::text::decode(&bytes),
                });
            }
        }
    }
    logs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::files::MemoryStore;

    #[test]
    fn absent_files_are_missing_and_broken_files_failed() {
        let mut m = MemoryStore::default();
        m.files.insert(
            "cluster/nodes.json".into(),
            br#"{"kind":"List","items":[{"metadata":{"name":"n1"}}]}"#.to_vec(),
        );
        m.files.insert(
            "cluster/Pods.YAML".into(),
            b"items: [ {metadata: {name: p}} ]".to_vec(),
        );
        m.files
            .insert("cluster/events.json".into(), b"{ this is not json".to_vec());
        let facts = read_bundle(&m);
        assert_eq!(facts.cluster.nodes.ready().map(Vec::len), Some(1));
        assert_eq!(facts.cluster.pods.ready().map(Vec::len), Some(1));
        assert!(matches!(&facts.cluster.events, Input::Failed(e) if e.contains("events.json")));
        assert!(
            matches!(&facts.cluster.services, Input::Missing(m) if m.contains("services.json"))
        );
        assert!(!facts.node.present);
    }
}
