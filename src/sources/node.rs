//! The node parts of a bundle: `node/` (what was captured on the Windows node windoctor ran on)
//! and `nodes/NAME/` (node parts of other nodes: from the API, a fleet collection or another tool's
//! collection, each with its own `node.json`).
//!
//! `node.json` marks a node part as present; from then on a file absent under `files/` means the
//! file does not exist on the node (docs/bundle.md) — unless `node.json` has `coverage`, which a
//! collection translated from another tool's output has: then only the paths it covers are known
//! absent, and the others are not captured (`FileState::NotCaptured`). The live collector (`live`)
//! writes the same layout into memory and hands it to `read_node_part`, so live runs, captures and
//! replays share this one reader. A record file that is absent is `Missing` (or `Failed` with the
//! reason the collector recorded in node.json); one that does not parse is `Failed` saying what is
//! wrong; one node.json lists under `partial` is read but marked as gathered only in part. Logs are
//! read from `files/`, `logs/`, `node-logs/` (served from C:\var\log), `eventlog/NAME.json` and
//! the pod log tails `system-pods.json` names. Files and folders that exist but cannot be read
//! (recorded by the collector in node.json, or refused by the bundle's store) are kept as
//! unreadable, never as absent; a node part that cannot be read at all (its folder, `node.json`, a
//! missing `--node-root`) fails every node input.

pub mod live;
pub mod runner;

use super::files::FileStore;
use crate::facts::node::{
    is_allowed_env_key, log_component, records, remote, strip_url_credentials, win_path_of_bundle,
    NodeFacts, NodeFile, NodeFiles, NodeLog,
};
use crate::facts::{Facts, Input};
use serde_json::Value;
use std::collections::BTreeMap;

/// The record files of a node part: input name in node.json notes, bundle path.
pub const RECORD_FILES: [(&str, &str); 6] = [
    ("processes", "node/processes.json"),
    ("services", "node/services.json"),
    ("hns-networks", "node/hns-networks.json"),
    ("net-adapters", "node/net-adapters.json"),
    ("ip-addresses", "node/ip-addresses.json"),
    ("env", "node/env.json"),
];

/// Reads the bundle's node parts: the local one (`node/`) into `facts.node` (and the Node name it
/// records), and every other Windows node's (`nodes/NAME/`) into `facts.remote_nodes`.
pub fn read_node_part(store: &dyn FileStore, facts: &mut Facts) {
    let read_log = |path: &str| store.read_tail(path).ok().flatten();
    let (node, recorded) = read_part(store, &read_log, "node/", None);
    if facts.local_node_name.is_none() {
        facts.local_node_name = recorded;
    }
    facts.node = node;
    facts.remote_nodes = read_remote_parts(store);
}

/// Reads every `nodes/NAME/` part of `store`, in name order. The store's paths are grouped once,
/// so reading a thousand parts costs one pass over them.
pub fn read_remote_parts(store: &dyn FileStore) -> Vec<NodeFacts> {
    let mut parts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut logs: BTreeMap<String, String> = BTreeMap::new();
    for path in store.paths() {
        let norm = path.replace('\\', "/");
        let lower = norm.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("nodes/") {
            if let Some((name, _)) = rest.split_once('/') {
                // The Node name as written in the path (node names are lower case).
                let real = &norm["nodes/".len().."nodes/".len() + name.len()];
                parts.entry(real.to_string()).or_default().push(path);
            }
        } else if lower.starts_with("cluster/logs/") {
            logs.insert(lower, path);
        }
    }
    let read_log = |path: &str| {
        let real = logs.get(&path.replace('\\', "/").to_ascii_lowercase())?;
        store
            .read_exact(real, Some(super::files::LOG_TAIL_BYTES))
            .ok()
    };
    parts
        .into_iter()
        .filter_map(|(name, paths)| {
            let part = PartStore::new(store, &format!("nodes/{name}/"), paths);
            if !part.exists("node/node.json") {
                return None;
            }
            let label = format!("nodes/{name}/");
            let (mut node, _) = read_part(&part, &read_log, &label, Some(&name));
            node.node_name = Some(name);
            Some(node)
        })
        .collect()
}

/// Reads the node part of Node `name` from a store laid out as one part (`node/...`, with the pod
/// log tails it names under `cluster/logs/...`), as the node-data phase and the fleet make them.
pub fn read_part_store(store: &dyn FileStore, name: &str) -> NodeFacts {
    let read_log = |path: &str| store.read_tail(path).ok().flatten();
    let (mut node, _) = read_part(store, &read_log, &format!("nodes/{name}/"), Some(name));
    node.node_name = Some(name.to_string());
    node
}

/// One `nodes/NAME/` directory of a bundle seen as a node part (`node/...`).
struct PartStore<'a> {
    inner: &'a dyn FileStore,
    base: String,
    /// Real paths in `inner`, each under `base`.
    real: Vec<String>,
}

impl<'a> PartStore<'a> {
    fn new(inner: &'a dyn FileStore, base: &str, real: Vec<String>) -> Self {
        PartStore {
            inner,
            base: base.to_string(),
            real,
        }
    }
}

impl FileStore for PartStore<'_> {
    fn paths(&self) -> Vec<String> {
        self.real
            .iter()
            .map(|p| format!("node/{}", &p[self.base.len().min(p.len())..]))
            .collect()
    }

    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        let rest = path.strip_prefix("node/").unwrap_or(path);
        self.inner
            .read_exact(&format!("{}{rest}", &self.base), tail)
    }

    fn describe(&self) -> String {
        format!("{} {}", self.inner.describe(), self.base)
    }
}

/// Reads one node part laid out under `node/` of `store`. `read_log` reads the pod log tails
/// its `system-pods.json` names (`cluster/logs/...`); `label` is how messages name the part's
/// directory (`node/`, `nodes/win-1/`); `node` the Node it is about, when the layout says.
/// Returns the part and the Node name its node.json records.
fn read_part(
    store: &dyn FileStore,
    read_log: &dyn Fn(&str) -> Option<Vec<u8>>,
    label: &str,
    node_hint: Option<&str>,
) -> (NodeFacts, Option<String>) {
    let shown = |p: &str| p.replacen("node/", label, 1);
    let bytes = match store.read("node/node.json") {
        Ok(Some(b)) => b,
        Ok(None) => return (NodeFacts::absent(), None),
        Err(e) => {
            return (
                NodeFacts::failed(&format!("the node part could not be read: {e}")),
                None,
            );
        }
    };
    let text = super::text::decode(&bytes);
    if text.trim().is_empty() {
        let shown_path = shown("node/node.json");
        return (
            NodeFacts::failed(&super::kubeobj::empty_file(&shown_path, bytes.len())),
            None,
        );
    }
    let mut node = NodeFacts::absent();
    node.present = true;
    let mut recorded = None;
    let meta = match serde_json::from_str::<Value>(text.trim()) {
        Ok(v) if v.is_object() => v,
        Ok(_) => {
            node.hostname =
                Input::Failed(format!("{} is not a JSON object", shown("node/node.json")));
            Value::Null
        }
        Err(e) => {
            node.hostname = Input::Failed(format!(
                "{} is not valid JSON: {e}",
                shown("node/node.json")
            ));
            Value::Null
        }
    };
    if meta.is_object() {
        node.hostname = match meta.get("hostname") {
            Some(Value::String(h)) if !h.trim().is_empty() => Input::Ready(h.trim().to_string()),
            Some(Value::Null) | None => Input::Missing(format!(
                "{} records no hostname (captured off the node: pass --node NAME)",
                shown("node/node.json")
            )),
            Some(_) => Input::Failed(format!(
                "{} \"hostname\" is not a string",
                shown("node/node.json")
            )),
        };
        node.info = Input::Ready(records::NodeInfo::from_json(&meta));
        recorded = meta
            .get("node_name")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
            .map(str::to_string);
        if let Some(why) = meta
            .pointer("/not_collected/info")
            .and_then(Value::as_str)
            .filter(|_| meta.get("os").is_none())
        {
            node.info = Input::Missing(format!("the node's OS details were not collected: {why}"));
        }
        node.collector = meta
            .get("collected_by")
            .and_then(|c| c.get("collector"))
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(Value::Object(partial)) = meta.get("partial") {
            for (k, v) in partial {
                node.partial
                    .insert(k.clone(), v.as_str().unwrap_or("partial").to_string());
            }
        }
        if meta.get("origin").and_then(Value::as_str) == Some(remote::API_ORIGIN) {
            node.origin = remote::PartOrigin::Api;
            // The OS details come from the node's own collector only.
            let who = node_hint.or(recorded.as_deref()).unwrap_or("this node");
            node.info = match meta.pointer("/errors/system").and_then(Value::as_str) {
                Some(e) => Input::Failed(format!(
                    "the OS details of {who} could not be collected: {e}"
                )),
                None => {
                    let why = meta
                        .pointer("/not_collected/system")
                        .and_then(Value::as_str)
                        .unwrap_or("not served by the Kubernetes API");
                    Input::Missing(format!("the OS details of {who} were not collected: {why}"))
                }
            };
        }
        if let Some(Value::Object(sources)) = meta.get("sources") {
            for (name, note) in sources {
                let (Some(source), Ok(note)) = (
                    remote::RemoteSource::parse(name),
                    serde_json::from_value::<remote::SourceNote>(note.clone()),
                ) else {
                    continue;
                };
                node.sources.insert(source, note);
            }
        }
    } else {
        node.info = Input::Failed(format!("{} could not be read", shown("node/node.json")));
    }
    let note = |kind: &str, part: &str| -> Option<String> {
        meta.get(kind)
            .and_then(|m| m.get(part))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let record = |part: &str, path: &str| -> Input<String> {
        let path_shown = shown(path);
        match store.read(path) {
            Ok(Some(b)) if super::text::decode(&b).trim().is_empty() => {
                Input::Failed(super::kubeobj::empty_file(path, b.len()))
            }
            Ok(Some(b)) => Input::Ready(super::text::decode(&b)),
            Ok(None) => match (note("errors", part), note("not_collected", part)) {
                (Some(e), _) => Input::Failed(format!("{path_shown} could not be collected: {e}")),
                (None, Some(m)) => Input::Missing(format!("{path_shown} was not collected: {m}")),
                (None, None) => Input::Missing(format!("{path_shown} was not captured")),
            },
            Err(e) => Input::Failed(e),
        }
    };
    let [processes, services, hns, adapters, ips, env] =
        RECORD_FILES.map(|(part, path)| record(part, path));
    node.processes = parse_with(processes, records::parse_processes);
    node.services = parse_with(services, records::parse_services);
    node.hns_networks = parse_with(hns, records::parse_hns);
    node.adapters = parse_with(adapters, records::parse_adapters);
    node.ip_addresses = parse_with(ips, records::parse_ip_addresses);
    node.env = parse_with(env, parse_env);
    let (mut files, mut logs, mut unreadable_logs) = read_files(store);
    // A translated collection names the collector's file each log was made from: use it as the
    // log's reference, so evidence points at what the user has.
    if let Some(Value::Object(sources)) = meta.get("log_sources") {
        for log in &mut logs {
            let rel = log
                .path
                .strip_prefix("node/")
                .unwrap_or(&log.path)
                .to_string();
            if let Some(from) = sources.get(&rel).and_then(Value::as_str) {
                log.path = from.to_string();
            }
        }
    }
    if let Some(Value::Object(unreadable)) = meta.get("unreadable_files") {
        for (path, why) in unreadable {
            let why = why.as_str().unwrap_or("unreadable").to_string();
            if may_hold_logs(path) {
                unreadable_logs.push((path.clone(), why.clone()));
            }
            files.unreadable.push((path.clone(), why));
        }
    }
    // A partial node part (another tool's collection, or what the API serves) names what it
    // covers; without `coverage`, a file it does not hold does not exist on the node.
    if let Some(Value::Array(coverage)) = meta.get("coverage") {
        files.coverage = Some(
            coverage
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        );
        files.captured_by = meta
            .get("collector")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    let name = node_hint.map(str::to_string).or_else(|| recorded.clone());
    node.system_pods = match record("system-pods", "node/system-pods.json") {
        Input::Ready(text) => match remote::parse_system_pods(&text) {
            Ok(pods) => {
                logs.extend(system_pod_logs(&pods, read_log));
                Input::Ready(pods)
            }
            Err(e) => Input::Failed(e),
        },
        Input::Missing(m) => Input::Missing(m),
        Input::Failed(e) => Input::Failed(e),
    };
    node.configz = match record("configz", "node/configz.json") {
        Input::Ready(text) => {
            match remote::parse_configz(&text, name.as_deref().unwrap_or("this node")) {
                Ok(c) => Input::Ready(c),
                Err(e) => Input::Failed(e),
            }
        }
        Input::Missing(m) => Input::Missing(m),
        Input::Failed(e) => Input::Failed(e),
    };
    read_served_logs(store, &mut files, &mut logs);
    // The collector could not read the node's files at all (e.g. `--node-root` does not exist).
    match note("errors", "files") {
        Some(why) => {
            node.files = Input::Failed(format!("node files could not be read: {why}"));
            node.logs = Input::Failed(format!("node logs could not be read: {why}"));
        }
        None => match files_part_refused(store) {
            Some(why) => {
                node.files = Input::Failed(format!("node files could not be read: {why}"));
                node.logs = Input::Failed(format!("node logs could not be read: {why}"));
            }
            None => {
                node.files = Input::Ready(files);
                node.logs = match unreadable_logs.first() {
                    None => Input::Ready(logs),
                    Some((path, why)) => Input::Failed(format!(
                        "log {path} exists but could not be read ({why}){}",
                        match unreadable_logs.len() {
                            1 => String::new(),
                            n => format!(", and {} more", n - 1),
                        }
                    )),
                };
            }
        },
    }
    node.eventlogs = read_eventlogs(store, label, &meta);
    (node, recorded)
}

/// The log tails of the system pods' containers, as node logs named `pod log NS/POD/CONTAINER`
/// (`... (previous)` for the terminated instance).
fn system_pod_logs(
    pods: &[remote::SystemPod],
    read_log: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Vec<NodeLog> {
    let mut out = Vec::new();
    for pod in pods {
        for c in &pod.containers {
            for (path, previous) in [(&c.previous_log, true), (&c.log, false)] {
                let Some(bytes) = path.as_deref().and_then(read_log) else {
                    continue;
                };
                out.push(NodeLog {
                    component: pod.component.clone(),
                    path: remote::pod_log_reference(&pod.namespace, &pod.name, &c.name, previous),
                    text: super::text::decode(&bytes),
                });
            }
        }
    }
    out
}

/// What the kubelet served from its log directory (`node/node-logs/PATH`, the file
/// `C:\var\log\PATH`) and node log query answers (`node/node-logs/query/QUERY.log`).
fn read_served_logs(store: &dyn FileStore, files: &mut NodeFiles, logs: &mut Vec<NodeLog>) {
    for path in store.list("node/node-logs") {
        let rel = &path["node/node-logs/".len().min(path.len())..];
        let name = rel.rsplit('/').next().unwrap_or(rel).to_string();
        let Ok(Some(bytes)) = store.read_tail(&path) else {
            continue;
        };
        let text = super::text::decode(&bytes);
        if let Some(query) = rel
            .strip_prefix("query/")
            .and_then(|q| q.strip_suffix(".log"))
        {
            logs.push(NodeLog {
                component: log_component(query),
                path: remote::node_log_query_reference(query),
                text,
            });
            continue;
        }
        let win = format!(r"{}\{}", remote::KUBELET_LOG_DIR, rel.replace('/', "\\"));
        keep_file(files, logs, win, &name, &bytes, text, is_log_name(&name));
    }
}

/// The typed Event Log tails of a node part (`eventlog/NAME.json`). None gathered is `Missing`
/// (with the collector's reason from node.json `not_collected`/`errors` `eventlog`, when it gave
/// one); files that do not parse are skipped, and `Failed` names them when none parsed.
fn read_eventlogs(
    store: &dyn FileStore,
    label: &str,
    meta: &Value,
) -> Input<Vec<crate::facts::node::eventlog::EventLogTail>> {
    use crate::facts::node::eventlog::{self, EventLogTail};
    let dir = "node/eventlog/";
    let mut tails = Vec::new();
    let mut broken = Vec::new();
    for path in store.list("node/eventlog") {
        let Some(name) = path
            .get(dir.len()..)
            .and_then(|rest| rest.strip_suffix(".json"))
            .filter(|n| !n.contains('/'))
        else {
            continue;
        };
        let shown = path.replacen("node/", label, 1);
        match store.read(&path) {
            Ok(Some(bytes)) if bytes.len() > eventlog::MAX_FILE_BYTES => broken.push(format!(
                "{shown} is {} bytes, more than the {} an Event Log tail may have",
                bytes.len(),
                eventlog::MAX_FILE_BYTES
            )),
            Ok(Some(bytes)) => match eventlog::parse(&super::text::decode(&bytes), &shown) {
                Ok(events) => tails.push(EventLogTail {
                    name: name.to_string(),
                    path: shown,
                    events,
                }),
                Err(e) => broken.push(e),
            },
            Ok(None) => {}
            Err(e) => broken.push(format!("{shown}: {e}")),
        }
    }
    if tails.is_empty() && !broken.is_empty() {
        return Input::Failed(broken.join("; "));
    }
    if tails.is_empty() {
        let note = |kind: &str| meta.get(kind)?.get("eventlog")?.as_str();
        if let Some(why) = note("errors") {
            return Input::Failed(format!("the Windows Event Log could not be read: {why}"));
        }
        return Input::Missing(match note("not_collected") {
            Some(why) => format!("the Windows Event Log was not gathered: {why}"),
            None => format!(
                "the Windows Event Log was not gathered ({label}eventlog/*.json holds nothing)"
            ),
        });
    }
    Input::Ready(tails)
}

/// Why the whole `node/files` folder (or a drive in it) cannot be read, if it cannot.
fn files_part_refused(store: &dyn FileStore) -> Option<String> {
    store
        .refused_under("node/files")
        .into_iter()
        .find(|(path, _)| {
            let depth = path.trim_end_matches('/').split('/').count();
            depth <= 3
        })
        .map(|(_, why)| why)
}

fn parse_with<T>(text: Input<String>, parse: fn(&str) -> Result<T, String>) -> Input<T> {
    match text {
        Input::Ready(t) => match parse(&t) {
            Ok(v) => Input::Ready(v),
            Err(e) => Input::Failed(e),
        },
        Input::Missing(m) => Input::Missing(m),
        Input::Failed(e) => Input::Failed(e),
    }
}

/// env.json: an object of NAME -> value. Only allow-listed names are kept, credentials in proxy
/// URLs are stripped, and names are upper-cased (Windows environment names ignore case).
pub fn parse_env(text: &str) -> Result<BTreeMap<String, String>, String> {
    let v = records::parse_json(text, "node/env.json")?;
    let obj = match &v {
        Value::Object(o) => o.clone(),
        Value::Array(a) if a.is_empty() => Default::default(),
        Value::Array(a) => {
            // [{"Name":..., "Value":...}] as Get-ChildItem Env: | ConvertTo-Json writes it.
            let mut o = serde_json::Map::new();
            for item in a {
                if let (Some(k), Some(val)) = (
                    records::text(item, &["Name", "Key"]),
                    records::text(item, &["Value"]),
                ) {
                    o.insert(k, Value::String(val));
                }
            }
            o
        }
        _ => return Err("node/env.json is not an object of NAME: value".to_string()),
    };
    Ok(obj
        .into_iter()
        .filter(|(k, _)| is_allowed_env_key(k))
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k.to_ascii_uppercase(), strip_url_credentials(&value))
        })
        .collect())
}

/// Whether what is at Windows path `path` is, or may hold, a log the collector reads: a log file,
/// one of the log folders, or a folder above one.
fn may_hold_logs(path: &str) -> bool {
    use crate::facts::node::normalise_win_path;
    if is_log_name(path.rsplit(['\\', '/']).next().unwrap_or(path)) {
        return true;
    }
    let p = normalise_win_path(path);
    let p = p.trim_end_matches('\\');
    crate::catalogue::data::node_paths()
        .log_dirs
        .iter()
        .any(|d| {
            let d = normalise_win_path(d);
            d == p || d.starts_with(&format!("{p}\\"))
        })
}

fn is_log_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".log") || n.contains(".log.") || n.ends_with(".err") || n.ends_with(".out")
}

/// Keeps a node file named `name` at Windows path `win`, read as `bytes` and decoded as `text`; a
/// log (`log`) is kept as a log of its component too.
fn keep_file(
    files: &mut NodeFiles,
    logs: &mut Vec<NodeLog>,
    win: String,
    name: &str,
    bytes: &[u8],
    text: String,
    log: bool,
) {
    if log {
        logs.push(NodeLog {
            component: log_component(name),
            path: win.clone(),
            text: text.clone(),
        });
    }
    files.files.push(NodeFile {
        path: win,
        encoding: super::text::encoding_name(bytes),
        text,
        size: bytes.len(),
    });
}

/// The node files and logs of the bundle, what exists but could not be read (with why) among the
/// files, and the logs that could not be read. An empty file (other than a log) is unreadable: a
/// capture never writes one unless the copy went wrong.
fn read_files(store: &dyn FileStore) -> (NodeFiles, Vec<NodeLog>, Vec<(String, String)>) {
    let mut files = NodeFiles::default();
    let mut logs = Vec::new();
    let mut unreadable_logs = Vec::new();
    for (path, why) in store.refused_under("node/files") {
        if let Some(win) = win_path_of_bundle(&path) {
            if may_hold_logs(&win) {
                unreadable_logs.push((win.clone(), why.clone()));
            }
            files.unreadable.push((win, why));
        }
    }
    for path in store.list("node/files") {
        let Some(win) = win_path_of_bundle(&path) else {
            continue;
        };
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        let log = is_log_name(&name);
        let read = if log {
            store.read_tail(&path)
        } else {
            store.read(&path)
        };
        match read {
            Ok(Some(bytes)) => {
                let text = super::text::decode(&bytes);
                if !log && text.trim().is_empty() {
                    files
                        .unreadable
                        .push((win, super::kubeobj::empty_file(&path, bytes.len())));
                    continue;
                }
                keep_file(&mut files, &mut logs, win, &name, &bytes, text, log);
            }
            Ok(None) => {}
            Err(e) => {
                if log {
                    unreadable_logs.push((win.clone(), e.clone()));
                }
                files.unreadable.push((win, e));
            }
        }
    }
    unreadable_logs.extend(store.refused_under("node/logs"));
    for path in store.list("node/logs") {
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        match store.read_tail(&path) {
            Ok(Some(bytes)) => logs.push(NodeLog {
                component: log_component(&name),
                path: path.clone(),
                text: super::text::decode(&bytes),
            }),
            Ok(None) => {}
            Err(e) => unreadable_logs.push((path.clone(), e)),
        }
    }
    // Windows Event Log tails (`eventlog/NAME.json`) are read as logs of `eventlog:NAME`, one
    // line per event, so checks that look for a wording in logs see event messages too.
    let events = "node/eventlog/";
    for path in store.list("node/eventlog") {
        let Some(rest) = path.get(events.len()..) else {
            continue;
        };
        let Some(log_name) = rest.strip_suffix(".json").filter(|n| !n.contains('/')) else {
            continue;
        };
        if let Ok(Some(bytes)) = store.read_tail(&path) {
            if let Some(text) = eventlog_text(&super::text::decode(&bytes)) {
                logs.push(NodeLog {
                    component: format!("eventlog:{log_name}"),
                    path: path.clone(),
                    text,
                });
            }
        }
    }
    (files, logs, unreadable_logs)
}

/// `eventlog/NAME.json` (Get-WinEvent | Select TimeCreated, ProviderName, Id, LevelDisplayName,
/// Message | ConvertTo-Json) as log lines: `TimeCreated Level Provider Id: Message`.
fn eventlog_text(json: &str) -> Option<String> {
    let v = records::parse_json(json, "eventlog").ok()?;
    let mut out = String::new();
    for e in records::items(&v) {
        let field = |k: &str| records::text(e, &[k]).unwrap_or_default();
        let message = field("Message").replace("\r\n", " ").replace('\n', " ");
        out.push_str(&format!(
            "{} {} {} {}: {}\n",
            field("TimeCreated"),
            field("LevelDisplayName"),
            field("ProviderName"),
            field("Id"),
            message
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::node::FileState;
    use crate::sources::files::MemoryStore;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn no_node_json_means_no_node_part() {
        let mut facts = Facts::default();
        read_node_part(&MemoryStore::default(), &mut facts);
        assert!(!facts.node.present);
        assert!(
            matches!(&facts.node.files, Input::Missing(m) if m.contains("node data not captured"))
        );
    }

    #[test]
    fn reads_every_part_and_encoding() {
        let mut m = MemoryStore::default();
        m.files.insert(
            "node/node.json".into(),
            br#"{"hostname":"WIN-1","node_name":"win-1.corp.example.com","errors":{"hns-networks":"Get-HnsNetwork is not recognized"},"not_collected":{"processes":"not on Windows"}}"#.to_vec(),
        );
        m.files.insert(
            "node/services.json".into(),
            br#"[{"name":"kubelet","state":"Running","start_mode":"Auto","path_name":"C:\\k\\kubelet.exe"}]"#.to_vec(),
        );
        m.files.insert(
            "node/env.json".into(),
            br#"{"https_proxy":"http://u:p@proxy:3128","PATH":"C:\\secret","NODE_NAME":"win-1"}"#
                .to_vec(),
        );
        m.files
            .insert("node/net-adapters.json".into(), b"{ broken".to_vec());
        m.files.insert(
            "node/files/C/k/SourceVip.json".into(),
            utf16le_bom("{\"ip4\":{\"ip\":\"10.244.4.2/24\"}}\r\n"),
        );
        m.files.insert(
            "node/files/C/k/flanneld.log".into(),
            b"I1120 Waiting for the Network to be created\n".to_vec(),
        );
        m.files
            .insert("node/logs/kube-proxy.log".into(), b"E1120 x\n".to_vec());
        let mut facts = Facts::default();
        read_node_part(&m, &mut facts);
        let n = &facts.node;
        assert!(n.present);
        assert_eq!(n.hostname.ready().map(String::as_str), Some("WIN-1"));
        assert_eq!(
            facts.local_node_name.as_deref(),
            Some("win-1.corp.example.com")
        );
        assert!(matches!(&n.processes, Input::Missing(m) if m.contains("not on Windows")));
        assert!(matches!(&n.hns_networks, Input::Failed(e) if e.contains("Get-HnsNetwork")));
        assert!(matches!(&n.adapters, Input::Failed(e) if e.contains("not valid JSON")));
        assert!(matches!(&n.ip_addresses, Input::Missing(_)));
        assert_eq!(n.services.ready().map(Vec::len), Some(1));
        let env = n.env.ready().expect("env");
        assert_eq!(
            env.get("HTTPS_PROXY").map(String::as_str),
            Some("http://<redacted>@proxy:3128")
        );
        assert!(!env.contains_key("PATH"));
        let files = n.files.ready().expect("files");
        match files.state(r"C:\k\sourcevip.json") {
            FileState::Present(f) => {
                assert_eq!(f.encoding, "UTF-16LE with BOM");
                assert!(f.text.starts_with("{\"ip4\""));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(files.state(r"C:\run\flannel\subnet.env"), FileState::Absent);
        let logs = n.logs.ready().expect("logs");
        assert!(logs.iter().any(|l| l.component == "flanneld"));
        assert!(logs.iter().any(|l| l.component == "kube-proxy"));
    }
}
