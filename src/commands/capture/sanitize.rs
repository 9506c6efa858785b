//! What capture writes of the values it builds itself: other pods of the Windows share
//! (`facts::share`) as the few fields the run keeps of them, and `/version`, every string through
//! the same redaction as the reports (`redact::redact_json`). Objects written as the API sent them
//! are sanitized by `super::streamed` while their text is read.

use crate::facts::k8s::Pod;
use crate::facts::share::other_pod;
use serde_json::{json, Map, Value};

/// Runs every string of `v` through the report redaction.
pub fn sanitize_value(v: Value) -> Value {
    crate::redact::redact_json(v)
}

/// An other pod of the Windows share as it is written: what the run keeps of it (namespace, name,
/// node, phase; containers' names, images and running states when it is the first to run one of
/// its images on Linux) and `labels` (those of the Services selecting it), redacted.
pub fn other_pod_item(pod: Pod, contributes: bool, labels: crate::facts::k8s::Labels) -> Value {
    let pod = other_pod(pod, contributes, labels);
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(pod.metadata.name));
    if let Some(ns) = &pod.metadata.namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    if !pod.metadata.labels.is_empty() {
        metadata.insert("labels".into(), json!(pod.metadata.labels));
    }
    let mut spec = Map::new();
    if let Some(node) = &pod.spec.node_name {
        spec.insert("nodeName".into(), json!(node));
    }
    if !pod.spec.containers.is_empty() {
        let containers: Vec<Value> = pod
            .spec
            .containers
            .iter()
            .map(|c| json!({"name": c.name, "image": c.image}))
            .collect();
        spec.insert("containers".into(), Value::Array(containers));
    }
    let mut status = Map::new();
    if let Some(phase) = &pod.status.phase {
        status.insert("phase".into(), json!(phase));
    }
    if !pod.status.container_statuses.is_empty() {
        let statuses: Vec<Value> = pod
            .status
            .container_statuses
            .iter()
            .map(|s| {
                let state = if s.state.running.is_some() {
                    json!({"running": {}})
                } else {
                    json!({})
                };
                json!({"name": s.name, "state": state})
            })
            .collect();
        status.insert("containerStatuses".into(), Value::Array(statuses));
    }
    sanitize_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_reaches_values_built_here() {
        let ev = sanitize_value(json!({"message": "Authorization: Bearer abcdefghijklmnop123"}));
        assert!(!ev.to_string().contains("abcdefghijklmnop123"));
    }

    #[test]
    fn other_pods_are_written_as_what_the_run_keeps() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web", "x": "y"}},
            "spec": {"nodeName": "lin-1", "containers": [{"name": "c", "image": "nginx", "args": ["--token=abc"]}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                       "containerStatuses": [{"name": "c", "state": {"running": {"startedAt": "t"}}}]}
        }))
        .expect("pod");
        let labels = [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect();
        let written = other_pod_item(pod.clone(), true, labels);
        assert_eq!(written["metadata"]["labels"], json!({"app": "web"}));
        assert_eq!(
            written["spec"]["containers"],
            json!([{"name": "c", "image": "nginx"}])
        );
        assert_eq!(
            written["status"]["containerStatuses"][0]["state"],
            json!({"running": {}})
        );
        assert!(written["status"].get("podIP").is_none());
        let bare = other_pod_item(pod, false, Default::default());
        assert_eq!(
            bare,
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "web-1", "namespace": "shop"},
                   "spec": {"nodeName": "lin-1"}, "status": {"phase": "Running"}})
        );
    }
}
