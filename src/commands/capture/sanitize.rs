//! What capture writes of each object: kubectl's shape (`apiVersion` and `kind` on every item of a
//! `List`), without what must not leave the cluster (managed fields, the annotations windoctor does
//! not read (`facts::k8s::is_allowed_annotation`), ConfigMap keys windoctor does not read,
//! environment variable values: only the service-like host names windoctor reads from them are
//! kept), every string through the same redaction as the reports (`redact::redact_json`). Other
//! pods of the Windows share (`facts::share`) are written as the few fields the run keeps of them.

use crate::facts::k8s::Pod;
use crate::facts::share::other_pod;
use serde_json::{json, Map, Value};

/// An item of a list, completed and sanitized, as it is written.
pub fn item(mut item: Value, kind: &str, api_version: &str) -> Value {
    if let Some(obj) = item.as_object_mut() {
        obj.entry("apiVersion")
            .or_insert_with(|| json!(api_version));
        obj.entry("kind").or_insert_with(|| json!(kind));
    }
    sanitize_object(&mut item, kind);
    sanitize_value(item)
}

/// `{"apiVersion":"v1","kind":"List","items":[...]}` with each item completed and sanitized.
pub fn as_list(items: Vec<Value>, kind: &str, api_version: &str) -> Value {
    let items: Vec<Value> = items
        .into_iter()
        .map(|i| item(i, kind, api_version))
        .collect();
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

/// Drops the parts of an object windoctor never reads and that may hold secrets.
pub fn sanitize_object(item: &mut Value, kind: &str) {
    if let Some(meta) = item.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.retain(|k, _| crate::facts::k8s::is_allowed_annotation(k));
        }
    }
    match kind {
        "Pod" => strip_env(item.get_mut("spec")),
        "DaemonSet" => strip_env(item.pointer_mut("/spec/template/spec")),
        "ConfigMap" => {
            if let Some(obj) = item.as_object_mut() {
                obj.remove("binaryData");
                if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
                    data.retain(|k, _| crate::facts::k8s::is_allowed_configmap_key(k));
                }
            }
        }
        _ => {}
    }
}

/// Environment values are replaced by the service-like host names windoctor reads from them.
fn strip_env(spec: Option<&mut Value>) {
    let Some(spec) = spec else { return };
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in containers {
            let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) else {
                continue;
            };
            for var in env {
                let Some(obj) = var.as_object_mut() else {
                    continue;
                };
                if let Some(Value::String(v)) = obj.remove("value") {
                    let kept = crate::facts::k8s::dns_candidates(&v);
                    if !kept.is_empty() {
                        obj.insert("value".into(), Value::String(kept.join(" ")));
                    }
                }
            }
        }
    }
}

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
    fn lists_are_written_as_kubectl_does_without_secrets() {
        let pod = json!({
            "metadata": {"name": "web", "namespace": "default",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"secret\":1}", "team": "a"}},
            "spec": {"containers": [{"name": "c", "image": "i", "env": [
                {"name": "DB_PASSWORD", "value": "hunter2"},
                {"name": "CACHE", "value": "redis.cache:6379"},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]}]}
        });
        let list = as_list(vec![pod], "Pod", "v1");
        let text = list.to_string();
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("managedFields"));
        assert!(!text.contains("last-applied"));
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"][0]["kind"], "Pod");
        assert_eq!(
            list["items"][0]["spec"]["containers"][0]["env"][1]["value"],
            "redis.cache"
        );
        let cm = json!({"metadata": {"name": "kubeadm-config"},
            "data": {"ClusterConfiguration": "networking: {}", "token": "abcdef.0123456789abcdef"},
            "binaryData": {"x": "AAAA"}});
        let list = as_list(vec![cm], "ConfigMap", "v1");
        assert!(list["items"][0]["data"].get("token").is_none());
        assert!(list["items"][0].get("binaryData").is_none());
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
