//! The collector mappings as data: `checks/data/collectors/<id>.toml`, compiled in. Each file names
//! a collector, how its output is recognised, where each of its files goes in windoctor's bundle
//! layout and with which parser, what it never gathers, and which nested archives are left closed,
//! with the script and commit each row was read from (see that folder's README.md).

use include_dir::{include_dir, Dir};
use serde::Deserialize;
use std::sync::OnceLock;

static DATA: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/checks/data/collectors");

/// How a file's content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Parser {
    /// The bytes as they are (node files).
    Raw,
    /// Decoded text (logs).
    Text,
    /// `oc adm node-logs` output: every line starts with `<nodename> `.
    NodePrefixed,
    /// Pod logs with an RFC 3339 timestamp starting each line.
    Timestamped,
    /// Kubernetes objects as YAML (single objects or lists), joined as YAML documents.
    Yaml,
    /// `Get-HnsNetwork | ConvertTo-Json`, after a table or alone.
    HnsJson,
    /// `hnsdiag list all`.
    Hnsdiag,
    GetProcessTable,
    GetServiceTable,
    GetServiceList,
    ScQueryex,
    NetadapterTable,
    NetadapterList,
    Ipconfig,
    Winver,
    Systeminfo,
    /// `Export-Csv` of events -> `eventlog/NAME.json`.
    CsvEvents,
    /// `Export-Csv` of events -> their messages as a log, oldest first.
    CsvMessages,
    /// A binary Windows event log: windoctor has no parser for it.
    Evtx,
    /// Not read (the row documents why).
    None,
}

/// One way a folder is recognised as a collector's output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detect {
    /// Every group needs one pattern matching a path below the folder.
    #[serde(default)]
    pub all: Vec<Vec<String>>,
    /// No pattern may match.
    #[serde(default)]
    pub none: Vec<String>,
    /// The folder's own name must be this (any case).
    #[serde(default)]
    pub folder: Option<String>,
    /// Where, below the folder, the data of the delegate collector lies.
    #[serde(default)]
    pub node_data: Option<String>,
    #[serde(default)]
    pub notes: String,
    pub cite: String,
}

/// One file pattern and where it goes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapRow {
    pub pattern: String,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub to: String,
    pub parser: Parser,
    /// What the record lacks compared with windoctor's own capture (checks that need the rest
    /// report `skip` with this).
    #[serde(default)]
    pub partial: Option<String>,
    #[serde(default)]
    pub notes: String,
    pub cite: String,
}

/// An input the collector never gathers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lack {
    /// `node/<record>` (`node/processes`, `node/services`, `node/hns-networks`, `node/net-adapters`,
    /// `node/ip-addresses`, `node/env`, `node/info`), `node/files`, `node/logs`, `cluster` (every
    /// cluster input) or `cluster/<input>` (`cluster/version`...).
    pub input: String,
    pub reason: String,
    pub cite: String,
}

/// A nested archive left closed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipArchive {
    pub pattern: String,
    pub reason: String,
    pub cite: String,
}

/// One collector's mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collector {
    pub id: String,
    pub name: String,
    /// The script or tool as messages name it (`collectlogs.ps1 does not gather processes`).
    pub script: String,
    /// The script and commit the mapping was read from.
    pub source: String,
    /// A collector whose node data is another's output (aks-periscope holds the AKS zip).
    #[serde(default)]
    pub delegate: Option<String>,
    pub detect: Vec<Detect>,
    #[serde(default, rename = "map")]
    pub maps: Vec<MapRow>,
    #[serde(default, rename = "lack")]
    pub lacks: Vec<Lack>,
    #[serde(default, rename = "skip_archive")]
    pub skip_archives: Vec<SkipArchive>,
}

/// The order collectors are tried in: those whose output contains another's first.
const ORDER: [&str; 5] = [
    "openshift-must-gather",
    "aks-periscope",
    "eks-log-collector",
    "aks-collect-windows-logs",
    "sdn-collectlogs",
];

/// Every collector mapping, in detection order, or the first error in the data.
pub fn load() -> Result<&'static [Collector], String> {
    static TABLE: OnceLock<Result<Vec<Collector>, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let mut out = Vec::new();
            for file in DATA.files() {
                let path = file.path().display().to_string();
                if !path.ends_with(".toml") {
                    continue;
                }
                let text = file
                    .contents_utf8()
                    .ok_or_else(|| format!("checks/data/collectors/{path} is not UTF-8"))?;
                let c: Collector = toml::from_str(text)
                    .map_err(|e| format!("checks/data/collectors/{path}: {e}"))?;
                out.push(c);
            }
            out.sort_by_key(|c| {
                ORDER
                    .iter()
                    .position(|id| *id == c.id)
                    .unwrap_or(ORDER.len())
            });
            Ok(out)
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The collectors, or none when the compiled-in data is broken (a test catches that).
pub fn all() -> &'static [Collector] {
    load().unwrap_or(&[])
}

/// The collector with id `id`.
pub fn by_id(id: &str) -> Option<&'static Collector> {
    all().iter().find(|c| c.id == id)
}

/// Why a nested archive at `path` is left closed, when a collector says so.
pub fn skip_archive(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    all()
        .iter()
        .flat_map(|c| c.skip_archives.iter())
        .find(|s| super::pattern::matches_name(&s.pattern, name))
        .map(|s| s.reason.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every data file loads, every row cites a script at a commit (owner/repo@commit:path) or an
    /// issue, and every `to` is one the translator knows.
    #[test]
    fn collector_data_is_complete_and_cited() {
        let all = load().expect("collector data loads");
        assert_eq!(all.len(), ORDER.len(), "one file per collector");
        let cited = |c: &str| c.contains('@') || c.contains('#');
        for c in all {
            assert!(c.source.contains('@'), "{}: source needs a commit", c.id);
            assert!(!c.detect.is_empty(), "{}: no [[detect]]", c.id);
            for d in &c.detect {
                assert!(cited(&d.cite), "{}: detect cite {}", c.id, d.cite);
            }
            for m in &c.maps {
                assert!(cited(&m.cite), "{} {}: cite {}", c.id, m.pattern, m.cite);
                assert!(
                    super::super::translate::target_is_known(&m.to),
                    "{} {}: unknown target {}",
                    c.id,
                    m.pattern,
                    m.to
                );
                assert!(super::super::pattern::Pattern::parse(&m.pattern).is_some());
            }
            for l in &c.lacks {
                assert!(cited(&l.cite), "{} lack {}: cite", c.id, l.input);
                let known = l.input == "cluster"
                    || l.input.strip_prefix("cluster/").is_some_and(|i| {
                        crate::facts::inputs::CLUSTER_INPUTS
                            .iter()
                            .any(|x| x.name == i)
                    })
                    || matches!(
                        l.input.as_str(),
                        "node/processes"
                            | "node/services"
                            | "node/hns-networks"
                            | "node/net-adapters"
                            | "node/ip-addresses"
                            | "node/env"
                            | "node/info"
                            | "node/files"
                            | "node/logs"
                    );
                assert!(known, "{}: unknown lack input {}", c.id, l.input);
            }
            if let Some(d) = &c.delegate {
                assert!(by_id(d).is_some(), "{}: unknown delegate {d}", c.id);
            }
        }
        assert_eq!(
            skip_archive("x/WER-20240607-102133.zip"),
            Some("Windows Error Reporting files (crash dumps), not read")
        );
        assert_eq!(
            skip_archive("x/AKSWIN000000-20240607-102133_logs.zip"),
            None
        );
    }
}
