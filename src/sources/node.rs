//! The node parts of a bundle: `node/` (what was captured on the Windows node windoctor ran on)
//! and `nodes/NAME/` (node parts of other nodes, each with its own `node.json`).
//!
//! `node.json` marks a node part as present; from then on a file absent under `files/` means the
//! file does not exist on the node (docs/bundle.md) — unless `node.json` has `coverage`, which a
//! collection translated from another tool's output has: then only the paths it covers are known
//! absent, and the others are not captured (`FileState::NotCaptured`). The live collector (`live`)
//! writes the same layout into memory and hands it to `read_node_part`, so live runs, captures and
//! replays share this one reader. A record file that is absent is `Missing` (or `Failed` with the
//! reason the collector recorded in node.json); one that does not parse is `Failed` saying what is
//! wrong; one node.json lists under `partial` is read but marked as gathered only in part. Logs are
//! read from `files/`, `logs/`, `node-logs/` (served from C:\var\log) and `eventlog/NAME.json`.

pub mod live;
pub mod runner;

use super::files::FileStore;
use crate::facts::node::{
    is_allowed_env_key, log_component, records, strip_url_credentials, win_path_of_bundle,
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

pub fn read_node_part(store: &dyn FileStore, facts: &mut Facts) {
    match read_part(store, "node") {
        Some((node, node_name)) => {
            facts.node = node;
            if facts.local_node_name.is_none() {
                facts.local_node_name = node_name;
            }
        }
        None => facts.node = NodeFacts::absent(),
    }
    facts.node_parts = read_node_parts(store);
}

/// The node parts of other nodes: every `nodes/NAME/` holding a `node.json`, each named NAME.
pub fn read_node_parts(store: &dyn FileStore) -> Vec<NodeFacts> {
    let mut names: Vec<String> = Vec::new();
    for path in store.list("nodes") {
        let parts: Vec<&str> = path.split('/').collect();
        if let [_, name, file] = parts.as_slice() {
            if file.eq_ignore_ascii_case("node.json") && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let (mut node, _) = read_part(store, &format!("nodes/{name}"))?;
            node.part = Some(name);
            Some(node)
        })
        .collect()
}

/// Reads the node part under `prefix` (`node` or `nodes/NAME`): its facts and the Node name its
/// node.json records. `None` when it has no node.json.
fn read_part(store: &dyn FileStore, prefix: &str) -> Option<(NodeFacts, Option<String>)> {
    let meta_path = format!("{prefix}/node.json");
    let bytes = match store.read(&meta_path) {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => {
            let mut node = NodeFacts::absent();
            node.present = true;
            node.hostname = Input::Failed(e);
            return Some((node, None));
        }
    };
    let mut node = NodeFacts::absent();
    node.present = true;
    let text = super::text::decode(&bytes);
    let meta = match serde_json::from_str::<Value>(text.trim()) {
        Ok(v) if v.is_object() => v,
        Ok(_) => {
            node.hostname = Input::Failed(format!("{meta_path} is not a JSON object"));
            Value::Null
        }
        Err(e) => {
            node.hostname = Input::Failed(format!("{meta_path} is not valid JSON: {e}"));
            Value::Null
        }
    };
    let mut node_name = None;
    let note = |kind: &str, part: &str| -> Option<String> {
        meta.get(kind)
            .and_then(|m| m.get(part))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if meta.is_object() {
        node.hostname = match meta.get("hostname") {
            Some(Value::String(h)) if !h.trim().is_empty() => Input::Ready(h.trim().to_string()),
            Some(Value::Null) | None => Input::Missing(format!(
                "{meta_path} records no hostname (captured off the node: pass --node NAME)"
            )),
            Some(_) => Input::Failed(format!("{meta_path} \"hostname\" is not a string")),
        };
        node.info = match note("not_collected", "info") {
            Some(why) if meta.get("os").is_none() => {
                Input::Missing(format!("the node's OS details were not collected: {why}"))
            }
            _ => Input::Ready(records::NodeInfo::from_json(&meta)),
        };
        node_name = meta
            .get("node_name")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
            .map(str::to_string);
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
    } else {
        node.info = Input::Failed(format!("{meta_path} could not be read"));
    }
    let record = |part: &str, file: &str| -> Input<String> {
        let path = format!("{prefix}/{file}");
        match store.read(&path) {
            Ok(Some(b)) => Input::Ready(super::text::decode(&b)),
            Ok(None) => match (note("errors", part), note("not_collected", part)) {
                (Some(e), _) => Input::Failed(format!("{path} could not be collected: {e}")),
                (None, Some(m)) => Input::Missing(format!("{path} was not collected: {m}")),
                (None, None) => Input::Missing(format!("{path} was not captured")),
            },
            Err(e) => Input::Failed(e),
        }
    };
    let [processes, services, hns, adapters, ips, env] =
        RECORD_FILES.map(|(part, path)| record(part, path.strip_prefix("node/").unwrap_or(path)));
    node.processes = parse_with(processes, records::parse_processes);
    node.services = parse_with(services, records::parse_services);
    node.hns_networks = parse_with(hns, records::parse_hns);
    node.adapters = parse_with(adapters, records::parse_adapters);
    node.ip_addresses = parse_with(ips, records::parse_ip_addresses);
    node.env = parse_with(env, parse_env);
    let (mut files, mut logs) = read_files(store, prefix);
    // A translated collection names the collector's file each log was made from: use it as the
    // log's reference, so evidence points at what the user has.
    if let Some(Value::Object(sources)) = meta.get("sources") {
        for log in &mut logs {
            let rel = log
                .path
                .strip_prefix(&format!("{prefix}/"))
                .unwrap_or(&log.path)
                .to_string();
            if let Some(from) = sources.get(&rel).and_then(Value::as_str) {
                log.path = from.to_string();
            }
        }
    }
    if let Some(Value::Object(unreadable)) = meta.get("unreadable_files") {
        for (path, why) in unreadable {
            files.unreadable.push((
                path.clone(),
                why.as_str().unwrap_or("unreadable").to_string(),
            ));
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
    node.files = Input::Ready(files);
    node.logs = Input::Ready(logs);
    Some((node, node_name))
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

fn is_log_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".log") || n.contains(".log.") || n.ends_with(".err") || n.ends_with(".out")
}

fn read_files(store: &dyn FileStore, prefix: &str) -> (NodeFiles, Vec<NodeLog>) {
    let mut files = NodeFiles::default();
    let mut logs = Vec::new();
    let files_dir = format!("{prefix}/files/");
    for path in store.list(&format!("{prefix}/files")) {
        let Some(rest) = path.get(files_dir.len()..) else {
            continue;
        };
        let Some(win) = win_path_of_bundle(&format!("node/files/{rest}")) else {
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
                if log {
                    logs.push(NodeLog {
                        component: log_component(&name),
                        path: win.clone(),
                        text: text.clone(),
                    });
                }
                files.files.push(NodeFile {
                    path: win,
                    encoding: super::text::encoding_name(&bytes),
                    text,
                    size: bytes.len(),
                });
            }
            Ok(None) => {}
            Err(e) => files.unreadable.push((win, e)),
        }
    }
    for path in store.list(&format!("{prefix}/logs")) {
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        if let Ok(Some(bytes)) = store.read_tail(&path) {
            logs.push(NodeLog {
                component: log_component(&name),
                path: path.clone(),
                text: super::text::decode(&bytes),
            });
        }
    }
    // Files the kubelet serves from C:\var\log (`nodes/NAME/node-logs/PATH`).
    let served = format!("{prefix}/node-logs/");
    for path in store.list(&format!("{prefix}/node-logs")) {
        let Some(rest) = path.get(served.len()..) else {
            continue;
        };
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        if let Ok(Some(bytes)) = store.read_tail(&path) {
            logs.push(NodeLog {
                component: log_component(&name),
                path: format!("C:\\var\\log\\{}", rest.replace('/', "\\")),
                text: super::text::decode(&bytes),
            });
        }
    }
    // Windows Event Log tails (`eventlog/NAME.json`) are read as logs of `eventlog:NAME`, one
    // line per event, so checks that look for a wording in logs see event messages too.
    let events = format!("{prefix}/eventlog/");
    for path in store.list(&format!("{prefix}/eventlog")) {
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
    (files, logs)
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
