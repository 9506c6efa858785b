//! What a fleet collector pod prints and how windoctor turns it into a node part.
//!
//! The payload is framed in the pod's log: a header line `WINDOCTOR-PAYLOAD v1 KIND`, the gzip
//! of a JSON document in base64 lines, and an end line `WINDOCTOR-PAYLOAD-END bytes=N`. A log cut
//! by the kubelet's rotation or by `limitBytes` lacks the end line or the byte count, and is
//! reported as such instead of being half-read.
//!
//! Two kinds: `raw`, what the PowerShell collector gathered (record command outputs, processes,
//! files by Windows path), which is replayed through windoctor's own node collector so the node
//! part is built exactly as on the node; and `store`, a node part windoctor.exe already built
//! (`windoctor node-payload`, for `--collector-image`).

use crate::facts::node::records::Process;
use crate::sources::files::MemoryStore;
use crate::sources::node::live::{collect, CollectOptions, FixedProcesses};
use crate::sources::node::runner::{CommandRunner, NodeCommand};
use base64::Engine;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{Read, Write};

pub const HEADER: &str = "WINDOCTOR-PAYLOAD v1";
pub const FOOTER: &str = "WINDOCTOR-PAYLOAD-END";

/// Largest inflated payload accepted (a gzip bomb in a pod log stops here).
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// Frames `json` as a payload of `kind`.
pub fn encode(kind: &str, json: &[u8]) -> String {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = gz.write_all(json);
    let packed = gz.finish().unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&packed);
    let mut out = format!("{HEADER} {kind}\n");
    for chunk in b64.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("{FOOTER} bytes={}\n", packed.len()));
    out
}

/// Finds the payload in a pod log and returns its kind and inflated JSON. Lines may carry a
/// timestamp prefix (`--timestamps`).
pub fn decode(log: &str) -> Result<(String, Vec<u8>), String> {
    let mut kind: Option<String> = None;
    let mut b64 = String::new();
    let mut expected: Option<usize> = None;
    for line in log.lines() {
        let line = strip_timestamp(line.trim_end());
        if let Some(rest) = line.strip_prefix(HEADER) {
            kind = Some(rest.trim().to_string());
            b64.clear();
            expected = None;
            continue;
        }
        if kind.is_none() {
            continue;
        }
        if let Some(rest) = line.strip_prefix(FOOTER) {
            expected = rest
                .trim()
                .strip_prefix("bytes=")
                .and_then(|n| n.trim().parse().ok());
            break;
        }
        b64.push_str(line.trim());
    }
    let kind = kind.ok_or(
        "the collector pod's log holds no windoctor payload (the collector did not run to its output; see its log)",
    )?;
    let expected = expected.ok_or(
        "the collector's output was cut before its end line (the pod log was rotated or truncated): collect fewer or smaller logs",
    )?;
    let packed = base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| format!("the collector's output is not valid base64: {e}"))?;
    if packed.len() != expected {
        return Err(format!(
            "the collector's output is {} bytes, its end line says {expected}: the pod log was cut",
            packed.len()
        ));
    }
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&packed[..])
        .take(MAX_INFLATED)
        .read_to_end(&mut json)
        .map_err(|e| format!("the collector's output does not inflate: {e}"))?;
    Ok((kind, json))
}

fn strip_timestamp(line: &str) -> &str {
    // `2026-11-20T09:00:00.123456789Z ` as `kubectl logs --timestamps` prefixes it.
    match line.split_once(' ') {
        Some((ts, rest))
            if ts.len() >= 20 && ts.as_bytes().get(4) == Some(&b'-') && ts.ends_with('Z') =>
        {
            rest
        }
        _ => line,
    }
}

/// A node part as `store` payload JSON: `{"files": {"node/...": "<base64>"}}`.
pub fn store_json(store: &MemoryStore) -> Vec<u8> {
    let files: BTreeMap<&str, String> = store
        .files
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                base64::engine::general_purpose::STANDARD.encode(v),
            )
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "files": files })).unwrap_or_default()
}

/// What the PowerShell collector gathered.
#[derive(Debug, Default, Deserialize)]
struct Raw {
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    collected_at: Option<String>,
    #[serde(default, deserialize_with = "map_or_null")]
    outputs: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "map_or_null")]
    errors: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "map_or_null")]
    files: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "map_or_null")]
    unreadable: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "one_or_many")]
    processes: Vec<RawProcess>,
}

#[derive(Debug, Default, Deserialize)]
struct RawProcess {
    #[serde(default)]
    name: String,
    #[serde(default)]
    pid: u32,
    #[serde(default)]
    command_line: Option<String>,
}

fn map_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let v: Option<BTreeMap<String, serde_json::Value>> = Option::deserialize(d)?;
    Ok(v.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            (k, s)
        })
        .collect())
}

/// PowerShell's ConvertTo-Json writes a one-element array as the element itself.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<RawProcess>, D::Error> {
    let v: Option<serde_json::Value> = Option::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Array(a)) => a
            .into_iter()
            .filter_map(|x| serde_json::from_value(x).ok())
            .collect(),
        Some(x @ serde_json::Value::Object(_)) => serde_json::from_value(x).into_iter().collect(),
        _ => Vec::new(),
    })
}

/// Answers the record commands from what the collector pod ran.
struct Replay {
    outputs: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
}

impl CommandRunner for Replay {
    fn run(&self, cmd: &NodeCommand) -> Result<Vec<u8>, String> {
        if let Some(out) = self.outputs.get(&cmd.id) {
            return Ok(out.clone().into_bytes());
        }
        Err(self.errors.get(&cmd.id).cloned().unwrap_or_else(|| {
            format!("cannot run {}: not run by the fleet collector", cmd.program)
        }))
    }
}

/// The node part of `node` from a decoded payload, as windoctor's collector builds it. `label`
/// names the collector pod in node.json (`windoctor fleet (pod NS/NAME)`).
pub fn node_part(kind: &str, json: &[u8], node: &str, label: &str) -> Result<MemoryStore, String> {
    let mut store = match kind {
        "store" => from_store(json)?,
        "raw" => replay(json, node)?,
        other => return Err(format!("unknown collector payload kind {other:?}")),
    };
    let meta = store
        .files
        .get("node/node.json")
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    let mut meta = meta;
    meta["node_name"] = serde_json::json!(node);
    meta["node_root"] = serde_json::Value::Null;
    meta["collector"] = serde_json::json!(label);
    meta["sources"] = serde_json::json!({
        "fleet": {"state": "read", "detail": format!("collected on the node by {label}")}
    });
    store.files.insert(
        "node/node.json".to_string(),
        serde_json::to_vec_pretty(&meta).unwrap_or_default(),
    );
    Ok(store)
}

fn from_store(json: &[u8]) -> Result<MemoryStore, String> {
    #[derive(Deserialize)]
    struct Doc {
        files: BTreeMap<String, String>,
    }
    let doc: Doc = serde_json::from_slice(json)
        .map_err(|e| format!("the collector's node part is not valid: {e}"))?;
    let mut store = MemoryStore::default();
    for (path, b64) in doc.files {
        let clean = path.replace('\\', "/");
        if !clean.starts_with("node/") || clean.split('/').any(|s| s == "..") {
            continue;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| format!("{path} in the collector's node part is not base64: {e}"))?;
        store.files.insert(clean, bytes);
    }
    if !store.files.contains_key("node/node.json") {
        return Err("the collector's node part has no node/node.json".to_string());
    }
    Ok(store)
}

/// Replays a raw collection through the node collector: the files go into a scratch directory
/// standing for `C:\`, the command outputs answer the record commands, the process list is the
/// collector pod's.
fn replay(json: &[u8], node: &str) -> Result<MemoryStore, String> {
    let raw: Raw = serde_json::from_slice(json)
        .map_err(|e| format!("the collector's output is not the expected JSON: {e}"))?;
    let scratch = Scratch::new()?;
    for (win, b64) in &raw.files {
        let Some(rel) = relative_to_c(win) else {
            continue;
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| format!("{win} in the collector's output is not base64: {e}"))?;
        let target = scratch.path.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot write the collected files: {e}"))?;
        }
        std::fs::write(&target, bytes)
            .map_err(|e| format!("cannot write the collected files: {e}"))?;
    }
    let processes: Vec<Process> = raw
        .processes
        .iter()
        .map(|p| Process {
            name: p.name.clone(),
            pid: p.pid,
            command_line: p
                .command_line
                .as_deref()
                .map(crate::facts::node::cmdline::split_windows)
                .unwrap_or_default(),
        })
        .collect();
    let process_list = match raw.errors.get("processes") {
        Some(e) => FixedProcesses(Err(e.clone())),
        None => FixedProcesses(Ok(processes)),
    };
    let opts = CollectOptions {
        root: scratch.path.clone(),
        other_drives: false,
        query_system: true,
        not_queried_because: String::new(),
        hostname: raw.hostname.clone(),
        node_name: Some(node.to_string()),
        collected_at: raw
            .collected_at
            .clone()
            .unwrap_or_else(crate::clock::now_rfc3339),
    };
    let runner = Replay {
        outputs: raw.outputs,
        errors: raw.errors,
    };
    let mut store = collect(&opts, &runner, &process_list);
    if !raw.unreadable.is_empty() {
        if let Some(mut meta) = store
            .files
            .get("node/node.json")
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        {
            let entry = meta
                .as_object_mut()
                .map(|o| o.entry("unreadable_files").or_insert(serde_json::json!({})));
            if let Some(serde_json::Value::Object(m)) = entry {
                for (k, v) in raw.unreadable {
                    m.insert(k, serde_json::json!(crate::redact::redact(&v)));
                }
            }
            store.files.insert(
                "node/node.json".to_string(),
                serde_json::to_vec_pretty(&meta).unwrap_or_default(),
            );
        }
    }
    Ok(store)
}

/// `C:\k\x.json` -> `k/x.json`; other drives and odd paths give `None`.
fn relative_to_c(win: &str) -> Option<std::path::PathBuf> {
    let shown = crate::facts::node::display_win_path(win);
    let rest = shown.strip_prefix("C:\\")?;
    let parts: Vec<&str> = rest.split('\\').filter(|s| !s.is_empty()).collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| *p == ".." || *p == "." || p.contains(':'))
    {
        return None;
    }
    Some(parts.iter().collect())
}

/// A scratch directory removed when dropped.
struct Scratch {
    path: std::path::PathBuf,
}

impl Scratch {
    fn new() -> Result<Scratch, String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "windoctor-fleet-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create a scratch directory {}: {e}", path.display()))?;
        Ok(Scratch { path })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_detects_cut_logs() {
        let framed = encode("store", br#"{"files":{}}"#);
        let (kind, json) = decode(&framed).expect("decodes");
        assert_eq!(kind, "store");
        assert_eq!(json, br#"{"files":{}}"#);
        let cut: String = framed.lines().take(2).collect::<Vec<_>>().join("\n");
        assert!(decode(&cut)
            .unwrap_err()
            .contains("cut before its end line"));
        assert!(decode("hello\n")
            .unwrap_err()
            .contains("no windoctor payload"));
        let stamped: String = framed
            .lines()
            .map(|l| format!("2026-11-20T09:00:00.123456789Z {l}\n"))
            .collect();
        assert!(decode(&stamped).is_ok());
    }

    #[test]
    fn raw_collection_is_replayed_through_the_collector() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let raw = serde_json::json!({
            "format": "windoctor-fleet-raw/1",
            "hostname": "WIN-1",
            "outputs": {
                "services": "[{\"Name\":\"kubelet\",\"State\":\"Running\",\"StartMode\":\"Auto\",\"PathName\":\"C:\\\\k\\\\kubelet.exe --windows-service\",\"nssm\":null}]",
                "net-adapters": "[]", "ip-addresses": "[]", "env": "{}",
                "system": "{\"os\":{\"caption\":\"Microsoft Windows Server 2022 Datacenter\",\"build\":\"20348\",\"ubr\":2700}}"
            },
            "errors": {"hns-networks": "Get-HnsNetwork is not available"},
            "files": {"C:\\k\\SourceVip.json": b64("{\"ip4\":{\"ip\":\"10.244.1.2/32\"}}")},
            "processes": {"name": "kubelet.exe", "pid": 42, "command_line": "C:\\k\\kubelet.exe --hostname-override=win-1"}
        });
        let store = node_part(
            "raw",
            raw.to_string().as_bytes(),
            "win-1",
            "windoctor fleet (pod ns/p)",
        )
        .expect("replays");
        let mut facts = crate::facts::Facts::default();
        crate::sources::node::read_node_part(&store, &mut facts);
        let n = &facts.node;
        assert!(n.present);
        assert_eq!(n.processes.ready().map(Vec::len), Some(1));
        assert_eq!(n.services.ready().map(Vec::len), Some(1));
        assert!(
            matches!(&n.hns_networks, crate::facts::Input::Failed(e) if e.contains("Get-HnsNetwork"))
        );
        assert_eq!(n.info.ready().and_then(|i| i.build), Some(20348));
        let files = n.files.ready().expect("files");
        assert!(matches!(
            files.state(r"C:\k\SourceVip.json"),
            crate::facts::node::FileState::Present(_)
        ));
        assert_eq!(facts.local_node_name.as_deref(), Some("win-1"));
    }
}
