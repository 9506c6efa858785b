//! `windoctor capture DIR`: writes a bundle (docs/bundle.md) that `windoctor --snapshot DIR` replays
//! with the same findings.
//!
//! The cluster part is listed again from the API as raw JSON (the facts are too slim to write back)
//! and written as kubectl writes it, a `List` whose items carry `apiVersion` and `kind`, after
//! dropping what must not leave the cluster: managed fields, the last-applied-configuration
//! annotation, ConfigMap keys windoctor does not read, and environment variable values (only the
//! service-like host names windoctor reads from them are kept); every string then goes through the
//! same redaction as the reports. The node part is the live node collector's output (on a Windows
//! node, or from `--node-root DIR`), written byte for byte, so a replay parses exactly what the live
//! run parsed. With `--probe`, the probe phase runs on the bundle just written (as a live run would
//! run it on the same objects) and its results become `probes/results.json`, so a replay judges the
//! same probe outcomes without sending anything.

use crate::exit::{EXIT_NOTHING_EVALUATED, EXIT_OK, EXIT_USAGE};
use crate::facts::cluster::same_host;
use crate::facts::inputs::{Fetch, CLUSTER_INPUTS};
use crate::plan::RunPlan;
use crate::sources::files::{FileStore, MemoryStore};
use crate::sources::live::{self, Connection, LiveOptions};
use serde_json::{json, Value};
use std::path::Path;

/// What a capture wrote and what it could not.
#[derive(Debug, Default)]
pub struct Summary {
    pub written: Vec<String>,
    pub problems: Vec<String>,
}

pub async fn run(plan: &RunPlan, dir: &Path) -> i32 {
    if let Err(e) = std::fs::create_dir_all(dir) {
        crate::safe_eprintln!("windoctor capture: cannot create {}: {e}", dir.display());
        return EXIT_USAGE;
    }
    let mut probe_request = plan.probe.clone();
    let mut summary = Summary::default();
    let opts = plan.live.clone();
    let mut node_names: Vec<String> = Vec::new();
    match live::connect(&opts).await {
        Ok(conn) => {
            crate::safe_eprintln!(
                "windoctor capture: listing the cluster ({})",
                conn.source.describe()
            );
            if let (Some(request), crate::sources::SourceKind::Live { server, .. }) =
                (probe_request.as_mut(), &conn.source)
            {
                request.suggested_target = server.as_deref().and_then(crate::probes::server_target);
            }
            node_names = capture_cluster(
                &conn,
                &opts,
                &plan.node_data,
                plan.fleet.as_ref(),
                dir,
                &mut summary,
            )
            .await;
        }
        Err(e) => summary
            .problems
            .push(format!("cluster part not captured: {e}")),
    }
    let node_root = plan.node_root.clone();
    let cli_node = plan.node_name.clone();
    let collected = tokio::task::spawn_blocking(move || {
        crate::sources::node::live::collect_this_machine(node_root.as_deref(), cli_node.as_deref())
    })
    .await
    .ok()
    .flatten();
    match collected {
        Some(mut store) => {
            if plan.node_name.is_none() {
                name_local_node(&mut store, &node_names);
            }
            match write_store(dir, &store) {
                Ok(paths) => summary.written.extend(paths),
                Err(e) => summary.problems.push(e),
            }
        }
        None => summary.problems.push(
            "node part not captured: not running on a Windows node and no --node-root DIR given"
                .to_string(),
        ),
    }
    if let Some(request) = probe_request {
        capture_probes(&request, dir, &mut summary).await;
    }
    for p in &summary.problems {
        crate::safe_eprintln!("windoctor capture: {p}");
    }
    crate::safe_eprintln!(
        "windoctor capture: wrote {} file(s) to {}; replay with: windoctor --snapshot {}",
        summary.written.len(),
        dir.display(),
        dir.display()
    );
    if summary.written.is_empty() {
        EXIT_NOTHING_EVALUATED
    } else {
        EXIT_OK
    }
}

/// Runs the probe phase on the facts of the bundle written so far (the NodePort and ClusterIP plans
/// come from its Services and Nodes) and writes `probes/results.json`. A phase that fails is reported
/// as a capture problem and no file is written: the replay then says the probes were not run, and
/// never passes them.
async fn capture_probes(request: &crate::probes::ProbeRequest, dir: &Path, summary: &mut Summary) {
    use crate::facts::probes::BUNDLE_FILE;
    let facts = match crate::sources::files::DirStore::open(dir) {
        Ok(store) => crate::sources::bundle::read_bundle(&store),
        Err(e) => {
            summary.problems.push(format!("{BUNDLE_FILE}: {e}"));
            return;
        }
    };
    crate::safe_eprintln!("windoctor capture: running the probes you asked for (--probe)");
    let config = crate::probes::ProbeConfig::default();
    let probes = crate::probes::run_phase(request, &facts, &config).await;
    match probes.results {
        crate::facts::Input::Ready(results) => {
            let json =
                crate::redact::redact(&crate::sources::probe_results::to_bundle_json(&results));
            write_bytes(dir, BUNDLE_FILE, json.as_bytes(), summary);
        }
        crate::facts::Input::Failed(e) | crate::facts::Input::Missing(e) => {
            summary
                .problems
                .push(format!("{BUNDLE_FILE} not written: {e}"));
        }
    }
}

/// Lists every kind and writes `cluster/*.json`, then each Windows node's data read through the
/// API (`nodes/NAME/`, system pod log tails under `cluster/logs/`; see commands::node_data).
/// Returns the Node names, for matching the local host name.
async fn capture_cluster(
    conn: &Connection,
    opts: &LiveOptions,
    plan_node_data: &crate::sources::nodeapi::NodeDataOptions,
    fleet: Option<&crate::fleet::FleetRequest>,
    dir: &Path,
    summary: &mut Summary,
) -> Vec<String> {
    let mut node_names = Vec::new();
    let mut pods_raw: Vec<Value> = Vec::new();
    let mut nodes_raw: Vec<Value> = Vec::new();
    for spec in CLUSTER_INPUTS {
        let file = format!("{}.json", spec.bundle);
        if spec.fetch == Fetch::Version {
            match version(conn, opts).await {
                Ok(v) => write_json(dir, &file, &sanitize_value(v), summary),
                Err(e) => summary.problems.push(format!("{file}: {e}")),
            }
            continue;
        }
        match live::read_list::<Value>(&conn.client, spec, opts).await {
            Ok(items) => {
                if spec.name == "nodes" {
                    for n in &items {
                        if let Some(name) = n.pointer("/metadata/name").and_then(Value::as_str) {
                            node_names.push(name.to_string());
                        }
                    }
                    nodes_raw = items.clone();
                }
                if spec.name == "pods" {
                    pods_raw = items.clone();
                }
                let list = as_list(items, spec.kind, spec.api_version);
                write_json(dir, &file, &list, summary);
            }
            Err(e) => summary.problems.push(format!("{file}: {e}")),
        }
    }
    if plan_node_data.enabled || fleet.is_some() {
        let written =
            super::node_data::capture(conn, &nodes_raw, &pods_raw, plan_node_data, fleet, dir)
                .await;
        summary.written.extend(written.written);
        summary.problems.extend(written.problems);
    }
    node_names
}

async fn version(conn: &Connection, opts: &LiveOptions) -> Result<Value, String> {
    let req = http::Request::get("/version")
        .body(Vec::new())
        .map_err(|e| format!("cannot build the /version request: {e}"))?;
    match tokio::time::timeout(opts.request_timeout, conn.client.request::<Value>(req)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!(
            "cannot read /version: {}",
            crate::sources::kube_error::describe(&e)
        )),
        Err(_) => Err(format!(
            "cannot read /version: timed out after {}s",
            opts.request_timeout.as_secs()
        )),
    }
}

/// `{"apiVersion":"v1","kind":"List","items":[...]}` with each item completed and sanitized.
pub fn as_list(items: Vec<Value>, kind: &str, api_version: &str) -> Value {
    let items: Vec<Value> = items
        .into_iter()
        .map(|mut item| {
            if let Some(obj) = item.as_object_mut() {
                obj.entry("apiVersion")
                    .or_insert_with(|| json!(api_version));
                obj.entry("kind").or_insert_with(|| json!(kind));
            }
            sanitize_object(&mut item, kind);
            sanitize_value(item)
        })
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

/// Records which Node the host is (host name matched against the captured Node names) in
/// node.json, so that a replay knows it without `--node`.
fn name_local_node(store: &mut MemoryStore, node_names: &[String]) {
    let Some(bytes) = store.files.get("node/node.json") else {
        return;
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    let Some(host) = v
        .get("hostname")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    if let Some(n) = node_names.iter().find(|n| same_host(n, &host)) {
        v["node_name"] = json!(n);
        if let Ok(text) = serde_json::to_string_pretty(&v) {
            store
                .files
                .insert("node/node.json".into(), text.into_bytes());
        }
    }
}

/// Writes every file of `store` under `dir`. Returns the paths written.
pub fn write_store(dir: &Path, store: &MemoryStore) -> Result<Vec<String>, String> {
    let mut written = Vec::new();
    for path in store.paths() {
        let bytes = store.read_exact(&path, None)?;
        let target = dir.join(path.replace('\\', "/"));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn write_json(dir: &Path, path: &str, v: &Value, summary: &mut Summary) {
    match serde_json::to_vec_pretty(v) {
        Ok(bytes) => write_bytes(dir, path, &bytes, summary),
        Err(e) => summary.problems.push(format!("{path}: {e}")),
    }
}

fn write_bytes(dir: &Path, path: &str, bytes: &[u8], summary: &mut Summary) {
    let target = dir.join(path);
    let result = target
        .parent()
        .map(std::fs::create_dir_all)
        .unwrap_or(Ok(()))
        .and_then(|_| std::fs::write(&target, bytes));
    match result {
        Ok(()) => summary.written.push(path.to_string()),
        Err(e) => summary
            .problems
            .push(format!("cannot write {}: {e}", target.display())),
    }
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
    fn local_node_is_named_from_the_node_list() {
        let mut store = MemoryStore::default();
        store
            .files
            .insert("node/node.json".into(), br#"{"hostname":"WIN-1"}"#.to_vec());
        name_local_node(
            &mut store,
            &["linux-1".into(), "win-1.corp.example.com".into()],
        );
        let v: Value = serde_json::from_slice(&store.files["node/node.json"]).expect("json");
        assert_eq!(v["node_name"], "win-1.corp.example.com");
    }
}
