//! What capture writes of the values it builds itself: other pods of the Windows share
//! (`facts::share`) as the few fields the run keeps of them, and `/version`, every string through
//! the same redaction as the reports (`redact::redact_json`). Objects written as the API sent them
//! are sanitized by `super::streamed` while their text is read.

use crate::facts::k8s::Pod;
use crate::facts::share::other_pod;
use crate::redact::{is_secret_key, redact_cow, REDACTED};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::Value;

/// Runs every string of `v` through the report redaction.
pub fn sanitize_value(v: Value) -> Value {
    crate::redact::redact_json(v)
}

/// Appends an other pod of the Windows share, as it is written, to `out`: what the run keeps of
/// it (namespace, name, node, phase; containers' names, images and running states when it is the
/// first to run one of its images on Linux) and `labels` (those of the Services selecting it),
/// every string redacted as [`sanitize_value`] redacts it and a secret-named label's value hidden.
/// Serialized from borrowed types whose fields are declared in sorted order, so the bytes are
/// those of the `serde_json::Value` the tests build as the reference, without building it.
pub fn write_other_pod(
    out: &mut Vec<u8>,
    pod: Pod,
    contributes: bool,
    labels: crate::facts::k8s::Labels,
) {
    let pod = other_pod(pod, contributes, labels);
    let written = OtherPodOut {
        api_version: "v1",
        kind: "Pod",
        metadata: MetaOut {
            labels: LabelsOut(&pod.metadata.labels),
            name: Redacted(&pod.metadata.name),
            namespace: pod.metadata.namespace.as_deref().map(Redacted),
        },
        spec: SpecOut {
            containers: pod
                .spec
                .containers
                .iter()
                .map(|c| ContainerOut {
                    image: Redacted(&c.image),
                    name: Redacted(&c.name),
                })
                .collect(),
            node_name: pod.spec.node_name.as_deref().map(Redacted),
        },
        status: StatusOut {
            container_statuses: pod
                .status
                .container_statuses
                .iter()
                .map(|s| StatusEntryOut {
                    name: Redacted(&s.name),
                    state: StateOut {
                        running: s.state.running.as_ref().map(|_| Empty {}),
                    },
                })
                .collect(),
            phase: pod.status.phase.as_deref().map(Redacted),
        },
    };
    // Writing into a Vec cannot fail, and these types always serialize.
    let _ = serde_json::to_writer(out, &written);
}

// What `write_other_pod` writes; fields in sorted order (see there).

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtherPodOut<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: MetaOut<'a>,
    spec: SpecOut<'a>,
    status: StatusOut<'a>,
}

#[derive(Serialize)]
struct MetaOut<'a> {
    #[serde(skip_serializing_if = "LabelsOut::is_empty")]
    labels: LabelsOut<'a>,
    name: Redacted<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<Redacted<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpecOut<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    containers: Vec<ContainerOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_name: Option<Redacted<'a>>,
}

#[derive(Serialize)]
struct ContainerOut<'a> {
    image: Redacted<'a>,
    name: Redacted<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusOut<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    container_statuses: Vec<StatusEntryOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<Redacted<'a>>,
}

#[derive(Serialize)]
struct StatusEntryOut<'a> {
    name: Redacted<'a>,
    state: StateOut,
}

#[derive(Serialize)]
struct StateOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    running: Option<Empty>,
}

/// `{}`.
#[derive(Serialize)]
struct Empty {}

/// A string written redacted (`redact::redact_cow`).
struct Redacted<'a>(&'a str);

impl Serialize for Redacted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&redact_cow(self.0))
    }
}

/// Labels as `redact_json` leaves them: a secret-named key's value hidden, the others redacted.
struct LabelsOut<'a>(&'a crate::facts::k8s::Labels);

impl LabelsOut<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for LabelsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0.iter() {
            if is_secret_key(key) {
                map.serialize_entry(key, REDACTED)?;
            } else {
                map.serialize_entry(key, &Redacted(value))?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    /// The other pod as a `Value`, redacted by `sanitize_value`: how capture built it before
    /// [`write_other_pod`], kept as the reference the writer is held to.
    fn other_pod_item(pod: Pod, contributes: bool, labels: crate::facts::k8s::Labels) -> Value {
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

    /// What [`write_other_pod`] writes.
    fn write(pod: Pod, contributes: bool, labels: crate::facts::k8s::Labels) -> Vec<u8> {
        let mut out = Vec::new();
        write_other_pod(&mut out, pod, contributes, labels);
        out
    }

    #[test]
    fn the_writer_writes_the_bytes_of_the_reference() {
        let secret = "Authorization: Bearer abcdefghijklmnop123";
        let pods = [
            json!({"metadata": {"name": "web-1", "namespace": "shop"},
                   "spec": {"nodeName": "lin-1", "containers": [{"name": "c", "image": "nginx"}]},
                   "status": {"phase": "Running",
                              "containerStatuses": [{"name": "c", "state": {"running": {"startedAt": "t"}}}]}}),
            json!({"metadata": {"name": "job-\u{e9}\"q\"", "labels": {"a": "b"}},
                   "spec": {"containers": [{"name": "x", "image": "img:1"}, {"name": "y", "image": secret}]},
                   "status": {"containerStatuses": [{"name": "x", "state": {"waiting": {}}}, {"name": "y", "state": {"running": {}}}]}}),
            json!({"metadata": {"name": "bare"}, "spec": {}, "status": {}}),
            json!({"metadata": {"name": "p", "namespace": secret}, "spec": {"nodeName": "n"}, "status": {"phase": secret}}),
        ];
        let label_sets: [&[(&str, &str)]; 4] = [
            &[],
            &[("app", "web"), ("tier", "front")],
            &[
                ("password", "hunter2"),
                ("api-token", "x"),
                ("note", secret),
            ],
            &[("zz", "1"), ("aa", "2"), ("\u{1F600}", "e\"scaped")],
        ];
        let mut compared = 0;
        for pod in &pods {
            let pod: Pod = serde_json::from_value(pod.clone()).expect("pod");
            for labels in label_sets {
                for contributes in [false, true] {
                    let labels: crate::facts::k8s::Labels = labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    let bytes = write(pod.clone(), contributes, labels.clone());
                    let reference =
                        serde_json::to_vec(&other_pod_item(pod.clone(), contributes, labels))
                            .expect("reference");
                    assert_eq!(
                        String::from_utf8_lossy(&bytes),
                        String::from_utf8_lossy(&reference)
                    );
                    assert!(!String::from_utf8_lossy(&bytes).contains("abcdefghijklmnop123"));
                    assert!(!String::from_utf8_lossy(&bytes).contains("hunter2"));
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 32);
    }

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
        let written: Value =
            serde_json::from_slice(&write(pod.clone(), true, labels)).expect("valid JSON");
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
        let bare: Value =
            serde_json::from_slice(&write(pod, false, Default::default())).expect("valid JSON");
        assert_eq!(
            bare,
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "web-1", "namespace": "shop"},
                   "spec": {"nodeName": "lin-1"}, "status": {"phase": "Running"}})
        );
    }
}
