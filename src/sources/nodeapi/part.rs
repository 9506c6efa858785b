//! One Windows node's data read through the API, laid out as a bundle's node part in memory:
//! `node/node.json` (origin `api`, the coverage, each source's outcome, what the API cannot
//! serve), `node/system-pods.json`, `node/configz.json`, `node/node-logs/...`, and the pod log
//! tails at `cluster/logs/NS/POD/CONTAINER.log` (`CONTAINER.previous.log`). `capture` writes the
//! `node/` files under `nodes/NAME/`.

use super::http::{self, Keep};
use super::kubelet::{self, Read};
use super::plan::NodePlan;
use super::Shared;
use crate::facts::node::remote::{RemoteSource, SourceNote, SourceState, SystemPod, API_ORIGIN};
use crate::facts::node::NodeFacts;
use crate::sources::files::MemoryStore;
use crate::sources::live::paging::encode_component;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// What the API gave for one node.
pub struct NodePart {
    pub node: String,
    /// `node/...` and `cluster/logs/...` files.
    pub store: MemoryStore,
}

impl NodePart {
    /// The files as `capture` writes them: `node/x` under `nodes/NODE/x`, pod logs as they are.
    pub fn bundle_files(&self) -> Vec<(String, &[u8])> {
        self.store
            .files
            .iter()
            .map(|(path, bytes)| {
                let target = match path.strip_prefix("node/") {
                    Some(rest) => format!("nodes/{}/{rest}", self.node),
                    None => path.clone(),
                };
                (target, bytes.as_slice())
            })
            .collect()
    }
}

/// What the Kubernetes API cannot serve, and what would collect it.
pub const NOT_SERVED: &str = "not served by the Kubernetes API (run windoctor on the node, or `windoctor fleet --namespace NS` to collect it with a HostProcess pod)";

/// How node.json names who made a part from the API.
pub const COLLECTOR: &str = "the Kubernetes API (pods/log, nodes/proxy)";

/// Reads one node: configz, the log directory and the node log query through the node proxy,
/// and the system pods' log tails, at the same time.
pub async fn read_node(shared: &Shared, plan: NodePlan) -> NodePart {
    let node = plan.node.clone();
    let (configz, logs, pods) = tokio::join!(
        async {
            let (read, query) = kubelet::configz(shared, &node).await;
            let q = kubelet::log_query(shared, &node, query).await;
            (read, q)
        },
        kubelet::node_logs(shared, &node),
        pod_logs(shared, plan.pods),
    );
    let ((configz, query), (pods, pod_note, pod_files)) = (configz, pods);
    let mut store = MemoryStore::default();
    let mut sources: BTreeMap<RemoteSource, SourceNote> = BTreeMap::new();
    let mut coverage: Vec<String> = Vec::new();
    for (source, read) in [
        (RemoteSource::Configz, configz),
        (RemoteSource::NodeLog, logs),
        (RemoteSource::NodeLogQuery, query),
    ] {
        let Read {
            note,
            files,
            coverage: covered,
        } = read;
        sources.insert(source, note);
        for (path, bytes) in files {
            store.files.insert(path, bytes);
        }
        coverage.extend(covered);
    }
    sources.insert(RemoteSource::PodLog, pod_note);
    for (path, bytes) in pod_files {
        store.files.insert(path, bytes);
    }
    if let Ok(text) = serde_json::to_vec_pretty(&pods) {
        store
            .files
            .insert("node/system-pods.json".to_string(), text);
    }
    store.files.insert(
        "node/node.json".to_string(),
        node_json(&node, &sources, &coverage),
    );
    NodePart { node, store }
}

/// The part of a node the phase did not get to before its deadline.
pub fn deadline_passed(node: &str, deadline: Duration) -> NodePart {
    let why = format!(
        "not read: the node-data phase's deadline ({} s) passed first",
        deadline.as_secs()
    );
    let sources: BTreeMap<RemoteSource, SourceNote> = [
        RemoteSource::PodLog,
        RemoteSource::Configz,
        RemoteSource::NodeLog,
        RemoteSource::NodeLogQuery,
    ]
    .into_iter()
    .map(|s| {
        (
            s,
            SourceNote {
                state: SourceState::Failed,
                detail: why.clone(),
            },
        )
    })
    .collect();
    let mut store = MemoryStore::default();
    store
        .files
        .insert("node/node.json".to_string(), node_json(node, &sources, &[]));
    NodePart {
        node: node.to_string(),
        store,
    }
}

fn node_json(
    node: &str,
    sources: &BTreeMap<RemoteSource, SourceNote>,
    coverage: &[String],
) -> Vec<u8> {
    let not_collected: serde_json::Map<String, Value> = crate::sources::node::RECORD_FILES
        .iter()
        .map(|(part, _)| (part.to_string(), json!(NOT_SERVED)))
        .chain(std::iter::once(("system".to_string(), json!(NOT_SERVED))))
        .collect();
    let sources: serde_json::Map<String, Value> = sources
        .iter()
        .map(|(s, n)| (s.name().to_string(), json!(n)))
        .collect();
    let v = json!({
        "node_name": node,
        "origin": API_ORIGIN,
        "collector": COLLECTOR,
        "collected_at": crate::clock::now_rfc3339(),
        "coverage": coverage,
        "sources": sources,
        "not_collected": not_collected,
    });
    serde_json::to_vec_pretty(&v).unwrap_or_default()
}

/// The system pods with their log tails: current, and previous when the container restarted.
/// Returns the records (log paths filled in), the pod-log note and the files.
async fn pod_logs(
    shared: &Shared,
    mut pods: Vec<SystemPod>,
) -> (Vec<SystemPod>, SourceNote, Vec<(String, Vec<u8>)>) {
    let mut files = Vec::new();
    if pods.is_empty() {
        return (
            pods,
            SourceNote {
                state: SourceState::Missing,
                detail: "no system pod (kube-proxy, flannel, calico, azure-cns, csi-proxy, antrea, HostProcess) runs on this node".to_string(),
            },
            files,
        );
    }
    let mut taken = 0usize;
    let mut failures: Vec<String> = Vec::new();
    for pod in &mut pods {
        for c in &mut pod.containers {
            let want_previous = c.restart_count > 0 || c.last_terminated.is_some();
            for previous in [false, true] {
                if previous && !want_previous {
                    continue;
                }
                if let Some(f) = shared.pod_log_forbidden.lock().ok().and_then(|f| f.clone()) {
                    c.log_error = Some(f.clone());
                    failures.push(format!("{}/{}: {f}", pod.name, c.name));
                    continue;
                }
                let url = format!(
                    "/api/v1/namespaces/{}/pods/{}/log?container={}&tailLines={}&limitBytes={}&timestamps=true{}",
                    encode_component(&pod.namespace),
                    encode_component(&pod.name),
                    encode_component(&c.name),
                    shared.opts.tail_lines,
                    shared.opts.log_bytes,
                    if previous { "&previous=true" } else { "" }
                );
                let answer =
                    match http::get(shared, &url, shared.opts.log_bytes + 4096, Keep::Tail, None)
                        .await
                    {
                        Ok(a) => a,
                        Err(e) => {
                            c.log_error = Some(e.clone());
                            failures.push(format!("{}/{}: {e}", pod.name, c.name));
                            continue;
                        }
                    };
                match answer.status {
                    200 => {
                        if !shared.take_bytes(answer.body.len() as u64) {
                            failures.push(format!("{}/{}: byte budget spent", pod.name, c.name));
                            continue;
                        }
                        let suffix = if previous { ".previous.log" } else { ".log" };
                        let path = format!(
                            "cluster/logs/{}/{}/{}{suffix}",
                            pod.namespace, pod.name, c.name
                        );
                        let text =
                            crate::redact::redact(&crate::sources::text::decode(&answer.body));
                        files.push((path.clone(), text.into_bytes()));
                        if previous {
                            c.previous_log = Some(path);
                        } else {
                            c.log = Some(path);
                        }
                        taken += 1;
                    }
                    403 => {
                        let f = format!("forbidden ({})", answer.message());
                        if let Ok(mut slot) = shared.pod_log_forbidden.lock() {
                            slot.get_or_insert_with(|| f.clone());
                        }
                        c.log_error = Some(f.clone());
                        failures.push(format!("{}/{}: {f}", pod.name, c.name));
                    }
                    // "previous terminated container ... not found": there is no previous instance.
                    400 if previous => {}
                    code => {
                        let why = format!("HTTP {code}: {}", answer.message());
                        c.log_error = Some(why.clone());
                        if !previous {
                            failures.push(format!("{}/{}: {why}", pod.name, c.name));
                        }
                    }
                }
            }
        }
    }
    let state = if taken > 0 {
        SourceState::Read
    } else {
        SourceState::Failed
    };
    let mut detail = format!("read {taken} log tail(s) of {} system pod(s)", pods.len());
    if !failures.is_empty() {
        failures.truncate(4);
        detail.push_str(&format!("; not read: {}", failures.join("; ")));
    }
    (pods, SourceNote { state, detail }, files)
}

/// Reads a node part the phase made into node facts (the same reader as a bundle's).
pub fn read_api_part(part: &NodePart) -> NodeFacts {
    crate::sources::node::read_part_store(&part.store, &part.node)
}
