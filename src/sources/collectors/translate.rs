//! Turns a detected collection into a bundle in windoctor's own layout, held in memory, so the
//! bundle reader and every check run on it unchanged.
//!
//! Each node becomes a node part `nodes/NAME/` whose `node.json` says which collector made it, which
//! node paths the collector covers (`coverage`: a covered file that is absent does not exist on the
//! node; an uncovered one was not looked at), which records it never gathers (`not_collected`, with
//! the reason) and which it gathers only in part (`partial`). Cluster objects become
//! `cluster/NAME.yaml`, pod logs `cluster/logs/...`, and `collection.json` records the collectors,
//! what is missing and why, and what was skipped.

use super::formats::{events, text, windows};
use super::pattern::{fill, Captures, Pattern};
use super::table::{Collector, MapRow, Parser};
use crate::facts::collection::{CollectedPart, CollectionInfo, NotGathered};
use crate::sources::files::FileStore;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The record files of a node part the rows can fill.
const RECORDS: [&str; 5] = [
    "processes",
    "services",
    "hns-networks",
    "net-adapters",
    "ip-addresses",
];

/// The cluster inputs a collection may hold (the bundle's `cluster/NAME`).
fn cluster_inputs() -> impl Iterator<Item = &'static str> {
    crate::facts::inputs::CLUSTER_INPUTS.iter().map(|i| i.name)
}

/// True when `to` is a target the translator knows (the data test uses it).
pub fn target_is_known(to: &str) -> bool {
    let (kind, rest) = to.split_once(':').unwrap_or((to, ""));
    match kind {
        "skip" | "info" => rest.is_empty(),
        "file" => rest.len() > 3 && rest.as_bytes()[1] == b':',
        "log" | "node-log" | "eventlog" | "pod-log" => !rest.is_empty(),
        "record" => RECORDS.contains(&rest),
        "cluster" => cluster_inputs().any(|c| c == rest),
        _ => false,
    }
}

/// A bundle held in memory, named after what it was translated from.
pub struct TranslatedStore {
    pub files: BTreeMap<String, Vec<u8>>,
    name: String,
}

impl FileStore for TranslatedStore {
    fn paths(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        let bytes = self
            .files
            .get(path)
            .ok_or_else(|| format!("{path} is not in {}", self.name))?;
        Ok(match tail {
            Some(n) if bytes.len() as u64 > n => bytes[bytes.len() - n as usize..].to_vec(),
            _ => bytes.clone(),
        })
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// One collection found in a snapshot: the collector named in the report, the folder it is in,
/// the node it is about (when known before reading), and the mappings to apply with their roots.
#[derive(Debug, Clone)]
pub struct Found {
    pub collector: &'static Collector,
    pub root: String,
    pub node: Option<String>,
    pub hostname: Option<String>,
    pub data: Vec<(&'static Collector, String)>,
    /// Notes from detection (collections found twice).
    pub notes: Vec<String>,
}

/// Everything written for one node part.
#[derive(Debug, Default)]
struct NodeOut {
    hostname: Option<String>,
    node_name: Option<String>,
    collector: Option<&'static Collector>,
    os: Map<String, Value>,
    computer: Map<String, Value>,
    records: BTreeMap<&'static str, Vec<Value>>,
    done: BTreeSet<&'static str>,
    /// Record -> the row patterns that could have filled it.
    wanted: BTreeMap<&'static str, Vec<String>>,
    partial: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    not_collected: BTreeMap<String, String>,
    coverage: Vec<String>,
    files_reason: Option<String>,
    gathered_files: usize,
    logs: BTreeMap<String, String>,
    /// Bundle path (relative to the node part) -> the collector's file(s) it was made from, for
    /// evidence.
    sources: BTreeMap<String, String>,
}

impl NodeOut {
    fn source(&mut self, rel: String, from: &str) {
        let entry = self.sources.entry(rel).or_default();
        if !entry.split(" + ").any(|x| x == from) {
            if !entry.is_empty() {
                entry.push_str(" + ");
            }
            entry.push_str(from);
        }
    }
}

/// The translation in progress.
struct Out {
    files: BTreeMap<String, Vec<u8>>,
    cluster_docs: BTreeMap<String, Vec<String>>,
    cluster_partial: BTreeMap<String, String>,
    cluster_errors: BTreeMap<String, String>,
    nodes: BTreeMap<String, NodeOut>,
    info: CollectionInfo,
}

/// Reads `path` whole, or its tail when it is too large and a tail is useful.
fn read_text(store: &dyn FileStore, path: &str, notes: &mut Vec<String>) -> Result<String, String> {
    match store.read(path) {
        Ok(Some(bytes)) => Ok(crate::sources::text::decode(&bytes)),
        Ok(None) => Err(format!("{path} is not in the snapshot")),
        Err(e) => match store.read_tail(path) {
            Ok(Some(bytes)) => {
                notes.push(format!("only the end of {path} was read: {e}"));
                Ok(crate::sources::text::decode(&bytes))
            }
            _ => Err(e),
        },
    }
}

fn is_log_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".log") || n.contains(".log.") || n.ends_with(".err") || n.ends_with(".out")
}

/// A file name that is safe as one folder name of a bundle.
fn safe_part_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let t = cleaned.trim_matches('.');
    if t.is_empty() {
        "node".to_string()
    } else {
        t.to_string()
    }
}

impl Out {
    fn node(&mut self, name: &str) -> &mut NodeOut {
        self.nodes.entry(name.to_string()).or_default()
    }
}

/// Translates the collections `found` in `store` into a bundle. `origin` names the snapshot in
/// messages.
pub fn translate(
    store: &dyn FileStore,
    found: &[Found],
    origin: &str,
    mut notes: Vec<String>,
) -> (TranslatedStore, CollectionInfo) {
    let paths = store.paths();
    let mut out = Out {
        files: BTreeMap::new(),
        cluster_docs: BTreeMap::new(),
        cluster_partial: BTreeMap::new(),
        cluster_errors: BTreeMap::new(),
        nodes: BTreeMap::new(),
        info: CollectionInfo::default(),
    };
    let mut cluster_lacks: Vec<(String, String)> = Vec::new();
    for f in found {
        let part_name = f.node.as_deref().map(safe_part_name);
        if let Some(name) = &part_name {
            let n = out.node(name);
            n.collector = Some(f.collector);
            n.node_name = f.node.clone();
            n.hostname = f.hostname.clone();
        }
        let mut node_names: Vec<String> = part_name.iter().cloned().collect();
        for (mapping, root) in &f.data {
            let under: Vec<(String, String)> = paths
                .iter()
                .filter_map(|p| {
                    let rel = if root.is_empty() {
                        Some(p.as_str())
                    } else {
                        p.strip_prefix(root.as_str())
                            .and_then(|r| r.strip_prefix('/'))
                    }?;
                    Some((p.clone(), rel.to_string()))
                })
                .collect();
            for row in &mapping.maps {
                let seen = apply_row(
                    &mut out,
                    store,
                    row,
                    &under,
                    part_name.as_deref(),
                    &mut notes,
                );
                for n in seen {
                    if !node_names.contains(&n) {
                        let node = out.node(&n);
                        node.collector = Some(f.collector);
                        node.node_name = Some(n.clone());
                        node_names.push(n);
                    }
                }
            }
            for lack in &mapping.lacks {
                let input = lack.input.as_str();
                if input == "cluster" {
                    for c in cluster_inputs() {
                        cluster_lacks.push((c.to_string(), lack.reason.clone()));
                    }
                    cluster_lacks.push(("logs".to_string(), lack.reason.clone()));
                } else if let Some(c) = input.strip_prefix("cluster/") {
                    cluster_lacks.push((c.to_string(), lack.reason.clone()));
                } else if let Some(record) = input.strip_prefix("node/") {
                    for n in &node_names {
                        let node = out.node(n);
                        match record {
                            "files" => node.files_reason = Some(lack.reason.clone()),
                            _ => {
                                node.not_collected
                                    .entry(record.to_string())
                                    .or_insert_with(|| lack.reason.clone());
                            }
                        }
                    }
                }
            }
        }
        if node_names.is_empty() {
            out.info.parts.push(CollectedPart {
                collector: f.collector.id.clone(),
                name: f.collector.name.clone(),
                source: f.collector.source.clone(),
                root: f.root.clone(),
                node: None,
            });
        }
        for n in &node_names {
            out.info.parts.push(CollectedPart {
                collector: f.collector.id.clone(),
                name: f.collector.name.clone(),
                source: f.collector.source.clone(),
                root: f.root.clone(),
                node: Some(n.clone()),
            });
        }
    }
    finish(out, cluster_lacks, notes, origin)
}

/// Applies one row to the files under a root; returns the node names the row found (node-prefixed
/// logs name their nodes).
fn apply_row(
    out: &mut Out,
    store: &dyn FileStore,
    row: &MapRow,
    under: &[(String, String)],
    node: Option<&str>,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let Some(pattern) = Pattern::parse(&row.pattern) else {
        return Vec::new();
    };
    let excludes: Vec<Pattern> = row
        .exclude
        .iter()
        .filter_map(|e| Pattern::parse(e))
        .collect();
    let (kind, target) = row.to.split_once(':').unwrap_or((row.to.as_str(), ""));
    // Coverage and wanted records are known from the row alone, matched or not.
    if let Some(n) = node {
        let n = out.node(n);
        match kind {
            "file" => {
                let mut caps = Captures::new();
                for var in ["file", "stem"] {
                    caps.insert(var.to_string(), "*".to_string());
                }
                let mut glob = fill(target, &caps);
                while let (Some(a), Some(b)) = (glob.find('{'), glob.find('}')) {
                    if b < a {
                        break;
                    }
                    glob.replace_range(a..=b, "*");
                }
                n.coverage.push(glob);
            }
            "record" => {
                if let Some(r) = RECORDS.iter().find(|r| **r == target) {
                    n.wanted.entry(r).or_default().push(row.pattern.clone());
                }
            }
            _ => {}
        }
    }
    let matched: Vec<(&String, Captures)> = under
        .iter()
        .filter(|(_, rel)| !excludes.iter().any(|e| e.matches(rel)))
        .filter_map(|(full, rel)| pattern.captures(rel).map(|c| (full, c)))
        .collect();
    if matched.is_empty() {
        return Vec::new();
    }
    let mut named = Vec::new();
    // A record already filled by an earlier row stays as it is (adapters are merged instead: the
    // table lists them all, the per-adapter lists give the names the table cut).
    if kind == "record" && target != "net-adapters" {
        if let Some(n) = node {
            if out.nodes.get(n).is_some_and(|x| x.done.contains(target)) {
                return named;
            }
        }
    }
    let mut produced = false;
    for (path, caps) in matched {
        let to = fill(&row.to, &caps);
        let (kind, target) = to.split_once(':').unwrap_or((to.as_str(), ""));
        match (kind, row.parser) {
            ("skip", _) | (_, Parser::None) => {}
            (_, Parser::Evtx) => {
                let reason = format!("{path} was skipped: windoctor has no evtx parser");
                notes.push(reason.clone());
                if let Some(n) = node {
                    out.node(n)
                        .not_collected
                        .entry(format!("eventlog/{target}"))
                        .or_insert(reason);
                }
            }
            ("cluster", _) => match read_text(store, path, notes) {
                Ok(t) => {
                    out.cluster_docs
                        .entry(target.to_string())
                        .or_default()
                        .push(t);
                    if let Some(p) = &row.partial {
                        out.cluster_partial.insert(target.to_string(), p.clone());
                    }
                }
                Err(e) => {
                    out.cluster_errors.insert(target.to_string(), e);
                }
            },
            ("pod-log", _) => {
                let parts: Vec<&str> = target.split('/').collect();
                if parts.len() == 3 && parts.iter().all(|p| !p.is_empty()) {
                    if let Ok(Some(bytes)) = store.read_tail(path) {
                        let t = crate::sources::text::decode(&bytes);
                        let t = if row.parser == Parser::Timestamped {
                            text::strip_timestamps(&t)
                        } else {
                            t
                        };
                        out.files.insert(
                            format!("cluster/logs/{}/{}/{}.log", parts[0], parts[1], parts[2]),
                            t.into_bytes(),
                        );
                    }
                }
            }
            ("node-log", Parser::NodePrefixed) => match read_text(store, path, notes) {
                Ok(t) => {
                    for (name, body) in text::split_by_node_prefix(&t) {
                        let part = safe_part_name(&name);
                        out.files.insert(
                            format!("nodes/{part}/node-logs/{target}"),
                            body.into_bytes(),
                        );
                        if !named.contains(&part) {
                            named.push(part);
                        }
                    }
                }
                Err(e) => notes.push(format!("{path} could not be read: {e}")),
            },
            _ => {
                let Some(n) = node else { continue };
                if apply_node(out, store, row, kind, target, path, n, notes) {
                    produced = true;
                }
            }
        }
    }
    if produced && kind == "record" {
        if let (Some(n), Some(r)) = (node, RECORDS.iter().find(|r| **r == target)) {
            let node = out.node(n);
            node.done.insert(r);
            if let Some(p) = &row.partial {
                node.partial.insert(r.to_string(), p.clone());
            }
        }
    }
    named
}

/// Applies a row's parser to one file of a node part. True when something was produced.
#[allow(clippy::too_many_arguments)]
fn apply_node(
    out: &mut Out,
    store: &dyn FileStore,
    row: &MapRow,
    kind: &str,
    target: &str,
    path: &str,
    node: &str,
    notes: &mut Vec<String>,
) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match kind {
        "file" => {
            let Some(bundle) = crate::facts::node::bundle_path(target) else {
                notes.push(format!("{path}: {target} is not a Windows path"));
                return false;
            };
            let read = if is_log_name(name) {
                store.read_tail(path)
            } else {
                store.read(path)
            };
            let rel = bundle.trim_start_matches("node/");
            match read {
                Ok(Some(bytes)) => {
                    out.files.insert(format!("nodes/{node}/{rel}"), bytes);
                    out.node(node).gathered_files += 1;
                    true
                }
                Ok(None) => false,
                Err(e) => {
                    notes.push(format!("{path} could not be read: {e}"));
                    false
                }
            }
        }
        "log" => {
            let text = match read_text(store, path, notes) {
                Ok(t) => t,
                Err(e) => {
                    notes.push(e);
                    return false;
                }
            };
            let body = match row.parser {
                Parser::CsvMessages => match events::parse_csv(&text, path) {
                    Ok(ev) => events::messages_as_log(&ev),
                    Err(e) => {
                        notes.push(e);
                        return false;
                    }
                },
                _ => text,
            };
            let n = out.node(node);
            n.logs
                .entry(target.to_string())
                .or_default()
                .push_str(&body);
            n.source(format!("logs/{}.log", safe_part_name(target)), path);
            true
        }
        "eventlog" => {
            let text = match read_text(store, path, notes) {
                Ok(t) => t,
                Err(e) => {
                    notes.push(e);
                    return false;
                }
            };
            match events::parse_csv(&text, path) {
                Ok(ev) => {
                    let json = events::to_eventlog_json(&ev, None);
                    let rel = format!("eventlog/{}.json", safe_part_name(target));
                    out.files
                        .insert(format!("nodes/{node}/{rel}"), json.to_string().into_bytes());
                    out.node(node).source(rel, path);
                    true
                }
                Err(e) => {
                    out.node(node)
                        .not_collected
                        .insert(format!("eventlog/{target}"), e);
                    false
                }
            }
        }
        "info" => {
            let Ok(text) = read_text(store, path, notes) else {
                return false;
            };
            let n = out.node(node);
            match row.parser {
                Parser::Winver => match windows::os_from_winver(&text) {
                    Some(Value::Object(os)) => {
                        for (k, v) in os {
                            n.os.entry(k).or_insert(v);
                        }
                        true
                    }
                    _ => false,
                },
                Parser::Systeminfo => {
                    let (host, os, computer) = windows::systeminfo(&text);
                    if n.hostname.is_none() {
                        n.hostname = host;
                    }
                    if let Some(Value::Object(os)) = os {
                        for (k, v) in os {
                            n.os.insert(k, v);
                        }
                    }
                    if let Some(Value::Object(c)) = computer {
                        n.computer.extend(c);
                    }
                    true
                }
                _ => false,
            }
        }
        "record" => {
            let Some(record) = RECORDS.iter().copied().find(|r| *r == target) else {
                return false;
            };
            let text = match read_text(store, path, notes) {
                Ok(t) => t,
                Err(e) => {
                    out.node(node).errors.insert(record.to_string(), e);
                    return false;
                }
            };
            let parsed: Result<Option<Value>, String> = match row.parser {
                Parser::HnsJson => {
                    if text.trim().is_empty() {
                        Ok(Some(Value::Array(Vec::new())))
                    } else {
                        windows::hns_networks(&text, path).and_then(|v| {
                            v.map(Some).ok_or_else(|| {
                                format!("{path} has a table but no Get-HnsNetwork JSON after it")
                            })
                        })
                    }
                }
                Parser::Hnsdiag => Ok(Some(windows::hnsdiag_networks(&text))),
                Parser::GetProcessTable => windows::processes_from_table(&text, path).map(Some),
                Parser::GetServiceTable => windows::services_from_table(&text, path).map(Some),
                Parser::GetServiceList => windows::services_from_list(&text, path).map(Some),
                Parser::ScQueryex => Ok(Some(windows::services_from_sc(&text))),
                Parser::NetadapterTable => windows::adapters_from_table(&text, path).map(Some),
                Parser::NetadapterList => {
                    let items = windows::adapters_from_list(&text);
                    Ok((!items.is_empty()).then_some(Value::Array(items)))
                }
                Parser::Ipconfig => {
                    let (host, ips) = windows::ipconfig(&text);
                    let n = out.node(node);
                    if n.hostname.is_none() {
                        n.hostname = host;
                    }
                    Ok(Some(ips))
                }
                other => Err(format!("{path}: parser {other:?} does not make a record")),
            };
            match parsed {
                Ok(Some(v)) => {
                    let items = match v {
                        Value::Array(a) => a,
                        other => vec![other],
                    };
                    if row.parser == Parser::HnsJson {
                        if let Some(why) = hns_v2_gap(&items, path) {
                            out.node(node).partial.insert(record.to_string(), why);
                        }
                    }
                    out.node(node)
                        .records
                        .entry(record)
                        .or_default()
                        .extend(items);
                    true
                }
                Ok(None) => false,
                Err(e) => {
                    out.node(node).errors.insert(record.to_string(), e);
                    false
                }
            }
        }
        _ => false,
    }
}

/// Why HNS v2 (HCN) networks are partial: that schema has no ManagementIP, and a pod network
/// without one would read as "no management IP yet".
fn hns_v2_gap(items: &[Value], path: &str) -> Option<String> {
    let gap = items.iter().any(|n| {
        n.get("Ipams").is_some()
            && n.get("ManagementIP").is_none()
            && n.get("Type")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.eq_ignore_ascii_case("nat"))
    });
    gap.then(|| {
        format!(
            "{path} holds the HNS v2 (HCN) schema, which has no ManagementIP for the pod network"
        )
    })
}

/// Writes the node parts, the cluster files and `collection.json`.
fn finish(
    mut out: Out,
    cluster_lacks: Vec<(String, String)>,
    notes: Vec<String>,
    origin: &str,
) -> (TranslatedStore, CollectionInfo) {
    for (input, docs) in std::mem::take(&mut out.cluster_docs) {
        if out.cluster_errors.contains_key(&input) {
            continue;
        }
        let mut text = String::new();
        for d in docs {
            if !text.is_empty() {
                text.push_str("\n---\n");
            }
            text.push_str(&d);
        }
        out.files
            .insert(format!("cluster/{input}.yaml"), text.into_bytes());
    }
    for (input, reason) in &out.cluster_partial {
        out.info.partial.push(NotGathered {
            input: format!("cluster/{input}"),
            reason: reason.clone(),
            node: None,
        });
    }
    for (input, reason) in &out.cluster_errors {
        out.info.errors.push(NotGathered {
            input: format!("cluster/{input}"),
            reason: reason.clone(),
            node: None,
        });
    }
    let has_logs = out.files.keys().any(|k| k.starts_with("cluster/logs/"));
    for (input, reason) in cluster_lacks {
        let present = if input == "logs" {
            has_logs
        } else {
            out.files.contains_key(&format!("cluster/{input}.yaml"))
        };
        let key = format!("cluster/{input}");
        if !present && !out.info.not_gathered.iter().any(|n| n.input == key) {
            out.info.not_gathered.push(NotGathered {
                input: key,
                reason,
                node: None,
            });
        }
    }
    let nodes = std::mem::take(&mut out.nodes);
    for (name, n) in nodes {
        write_node(&mut out, &name, n);
    }
    out.info.notes = notes;
    out.info.notes.dedup();
    let json = serde_json::to_vec_pretty(&out.info).unwrap_or_default();
    out.files.insert("collection.json".to_string(), json);
    let names: Vec<String> = out
        .info
        .collectors()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let store = TranslatedStore {
        files: out.files,
        name: format!("{origin} ({} output)", names.join(", ")),
    };
    (store, out.info)
}

/// Adapters from a table and from per-adapter lists as one list: a later entry replaces an
/// earlier one of the same name, or one whose name the table cut with `...`.
fn merge_adapters(items: Vec<Value>) -> Vec<Value> {
    let name = |v: &Value| {
        v.get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        let full = name(&item);
        out.retain(|old| {
            let n = name(old);
            let cut = n.strip_suffix("...").unwrap_or(&n);
            !(n.eq_ignore_ascii_case(&full)
                || (n.ends_with("...") && full.to_lowercase().starts_with(&cut.to_lowercase())))
        });
        out.push(item);
    }
    out
}

fn write_node(out: &mut Out, name: &str, mut n: NodeOut) {
    let script = n
        .collector
        .map(|c| c.script.clone())
        .unwrap_or_else(|| "the collector".to_string());
    for (record, patterns) in &n.wanted {
        if !n.done.contains(record) && !n.errors.contains_key(*record) {
            n.not_collected
                .entry(record.to_string())
                .or_insert_with(|| {
                    format!(
                        "{script} writes it to {}, which is not in this collection",
                        patterns.join(" or ")
                    )
                });
        }
    }
    for record in RECORDS {
        if !n.done.contains(record)
            && !n.errors.contains_key(record)
            && !n.not_collected.contains_key(record)
        {
            n.not_collected
                .insert(record.to_string(), format!("{script} does not gather it"));
        }
    }
    for (record, mut items) in std::mem::take(&mut n.records) {
        if !n.done.contains(record) {
            continue;
        }
        if record == "net-adapters" {
            items = merge_adapters(items);
        }
        out.files.insert(
            format!("nodes/{name}/{record}.json"),
            Value::Array(items).to_string().into_bytes(),
        );
    }
    for (component, body) in std::mem::take(&mut n.logs) {
        out.files.insert(
            format!("nodes/{name}/logs/{}.log", safe_part_name(&component)),
            body.into_bytes(),
        );
    }
    let mut meta = Map::new();
    meta.insert("hostname".into(), json!(n.hostname));
    meta.insert("node_name".into(), json!(n.node_name));
    if !n.os.is_empty() {
        meta.insert("os".into(), Value::Object(n.os.clone()));
    }
    if !n.computer.is_empty() {
        meta.insert("computer".into(), Value::Object(n.computer.clone()));
    }
    if let Some(c) = n.collector {
        meta.insert(
            "collected_by".into(),
            json!({"collector": c.id, "name": c.name, "source": c.source}),
        );
    }
    let files_reason = n
        .files_reason
        .clone()
        .unwrap_or_else(|| format!("{script} does not collect it"));
    // The paths the collector copies whenever they exist (docs/bundle.md `coverage`), and who
    // it is, for the messages about what it does not cover.
    meta.insert("coverage".into(), json!(n.coverage));
    meta.insert("collector".into(), json!(script));
    if !n.not_collected.is_empty() {
        meta.insert("not_collected".into(), json!(n.not_collected));
    }
    if !n.partial.is_empty() {
        meta.insert("partial".into(), json!(n.partial));
    }
    if !n.errors.is_empty() {
        meta.insert("errors".into(), json!(n.errors));
    }
    if !n.sources.is_empty() {
        meta.insert("log_sources".into(), json!(n.sources));
    }
    out.files.insert(
        format!("nodes/{name}/node.json"),
        serde_json::to_vec_pretty(&Value::Object(meta)).unwrap_or_default(),
    );
    for (input, reason) in &n.not_collected {
        out.info.not_gathered.push(NotGathered {
            input: format!("node/{input}"),
            reason: reason.clone(),
            node: Some(name.to_string()),
        });
    }
    if n.gathered_files == 0 {
        out.info.not_gathered.push(NotGathered {
            input: "node/files".to_string(),
            reason: files_reason,
            node: Some(name.to_string()),
        });
    }
    for (input, reason) in &n.partial {
        out.info.partial.push(NotGathered {
            input: format!("node/{input}"),
            reason: reason.clone(),
            node: Some(name.to_string()),
        });
    }
}
