//! The serde types of the `windoctor.report/v1` JSON report (assets/report.schema.json). They are
//! the report's own: built from findings and the environment summary, so the internal types can
//! change without changing what tools that read reports see.

use crate::facts::SourceKind;
use crate::findings::{Finding, Status};
use crate::model::environment::EnvironmentSummary;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    /// The version of the schema within v1: `1.1` adds the fleet report, evidence origins and
    /// finding sources (docs/report.md). Additive: v1 readers ignore the new fields.
    pub schema_version: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub source: Source,
    pub environment: Environment,
    pub summary: BTreeMap<&'static str, usize>,
    pub findings: Vec<ReportFinding>,
    /// Findings per Windows node and aggregated per check, when the run holds node data of
    /// Windows nodes (read through the API, collected by the fleet, or on the node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<super::fleet::FleetReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Source {
    pub fn from_kind(kind: &SourceKind) -> Source {
        match kind {
            SourceKind::Live { context, server } => Source {
                kind: "live",
                context: context.clone(),
                server: server.clone(),
                path: None,
            },
            SourceKind::Snapshot { path } => Source {
                kind: "snapshot",
                context: None,
                server: None,
                path: Some(path.clone()),
            },
            SourceKind::Demo => Source {
                kind: "demo",
                context: None,
                server: None,
                path: None,
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Environment {
    pub server_version: Option<String>,
    pub nodes: NodeCounts,
    pub windows_nodes: Vec<WindowsNode>,
    pub local_node: Option<LocalNode>,
    /// Pod network as far as the cluster shows it, e.g. "flannel vxlan (VNI 4096, port 4789)".
    pub networking: Option<String>,
    /// Node parts of other nodes the snapshot holds (`nodes/NAME/`), by name. Absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub node_parts: Vec<String>,
    /// The collector that made the snapshot and what its collection lacks, when the snapshot is
    /// another tool's output (must-gather, collect-windows-logs.ps1, ...). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<Collection>,
    /// The distribution layout detected on each node part (docs/distributions.md). Absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layouts: Vec<NodeLayout>,
}

/// The distribution layout and CNI detected on one node part.
#[derive(Debug, Clone, Serialize)]
pub struct NodeLayout {
    pub node: String,
    pub id: String,
    pub name: String,
    pub marks: Vec<String>,
    pub cni: Option<String>,
}

/// Where a snapshot taken by another tool came from, and what it lacks.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Collection {
    /// The collectors that made it (their mapping ids, e.g. `aks-collect-windows-logs`).
    pub collectors: Vec<String>,
    /// One entry per part found: collector, its name and the script/commit the mapping was read
    /// from, the folder of the snapshot it is in, and the node part it became.
    pub parts: Vec<CollectionPart>,
    /// Inputs the collection does not have, and why.
    pub not_gathered: Vec<Lacked>,
    /// Inputs it has only in part, and what is missing.
    pub partial: Vec<Lacked>,
    /// Per check, the inputs it lacked (its `skip` findings about inputs).
    pub checks: Vec<CheckLacked>,
    /// What was skipped while reading the snapshot (nested archives, evtx files, refused entries).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CollectionPart {
    pub collector: String,
    pub name: String,
    pub source: String,
    pub root: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lacked {
    pub input: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckLacked {
    pub check: String,
    pub lacked: Vec<Lacked>,
}

impl Collection {
    fn from_info(info: &crate::facts::collection::CollectionInfo) -> Collection {
        let lacked = |n: &crate::facts::collection::NotGathered| Lacked {
            input: n.input.clone(),
            reason: n.reason.clone(),
            node: n.node.clone(),
        };
        Collection {
            collectors: info.collectors().iter().map(|c| c.to_string()).collect(),
            parts: info
                .parts
                .iter()
                .map(|p| CollectionPart {
                    collector: p.collector.clone(),
                    name: p.name.clone(),
                    source: p.source.clone(),
                    root: p.root.clone(),
                    node: p.node.clone(),
                })
                .collect(),
            not_gathered: info.not_gathered.iter().map(lacked).collect(),
            partial: info.partial.iter().map(lacked).collect(),
            checks: Vec::new(),
            notes: info.notes.clone(),
        }
    }

    /// Fills `checks` from the findings: every `skip` about an input, grouped by check.
    pub fn add_check_lacks(&mut self, findings: &[Finding]) {
        for f in findings {
            if f.status != Status::Skip || !f.code.ends_with("/input") {
                continue;
            }
            let entry = Lacked {
                input: f.subject.name.clone(),
                reason: f.message.clone(),
                node: f.node.clone(),
            };
            match self.checks.iter_mut().find(|c| c.check == f.check) {
                Some(c) => c.lacked.push(entry),
                None => self.checks.push(CheckLacked {
                    check: f.check.clone(),
                    lacked: vec![entry],
                }),
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct NodeCounts {
    pub linux: usize,
    pub windows: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowsNode {
    pub name: String,
    pub os_image: String,
    pub kernel_version: String,
    pub build: Option<u32>,
    pub container_runtime: String,
    pub kubelet_version: String,
    pub ready: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocalNode {
    pub hostname: Option<String>,
    pub node_name: Option<String>,
    pub os: Option<String>,
    pub network_mode: Option<String>,
}

impl Environment {
    pub fn from_summary(env: &EnvironmentSummary) -> Environment {
        Environment {
            server_version: env.server_version.clone(),
            nodes: NodeCounts {
                linux: env.linux_nodes,
                windows: env.windows_node_count,
                total: env.total_nodes,
            },
            windows_nodes: env
                .windows_nodes
                .iter()
                .map(|w| WindowsNode {
                    name: w.name.clone(),
                    os_image: w.os_image.clone(),
                    kernel_version: w.kernel_version.clone(),
                    build: w.build,
                    container_runtime: w.container_runtime.clone(),
                    kubelet_version: w.kubelet_version.clone(),
                    ready: w.ready,
                })
                .collect(),
            local_node: env.local_node.as_ref().map(|l| LocalNode {
                hostname: l.hostname.clone(),
                node_name: l.node_name.clone(),
                os: l.os.clone(),
                network_mode: l.network_mode.clone(),
            }),
            networking: env.networking.clone(),
            node_parts: env
                .node_parts
                .iter()
                .filter(|p| !p.local)
                .map(|p| p.name.clone())
                .collect(),
            collection: env.collection.as_ref().map(Collection::from_info),
            layouts: env
                .layouts
                .iter()
                .map(|l| NodeLayout {
                    node: l.node.clone(),
                    id: l.id.clone(),
                    name: l.name.clone(),
                    marks: l.marks.clone(),
                    cni: l.cni.clone(),
                })
                .collect(),
        }
    }
}

/// One finding as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportFinding {
    /// Stable across runs: a fingerprint of the code, the subject and the node.
    pub id: String,
    pub check: String,
    /// `<check>/<part>`: the part of the check the finding is about.
    pub code: String,
    /// The Windows node the finding is about, when it is about one node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    pub title: String,
    pub status: Status,
    pub subject: ReportSubject,
    pub message: String,
    pub evidence: Vec<ReportEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<ReportFix>,
    pub docs: Vec<String>,
    /// The sources of node data the finding's evidence came through (`node`, `pod-log`,
    /// `configz`, `node-log`, `api`), each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<&'static str>,
    /// Present when the finding was accepted (silencing file or annotation): it does not change
    /// the exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<ReportMuted>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportMuted {
    pub reason: String,
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSubject {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ReportSubject {
    /// `kind/name` or `kind/namespace/name`, for text output.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportEvidence {
    /// api, event, file, process, service, log, probe.
    pub source: &'static str,
    #[serde(rename = "ref")]
    pub reference: String,
    pub excerpt: String,
    /// Which source of node data it came through: node, pod-log, configz, node-log, api.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportFix {
    pub text: String,
    pub commands: Vec<String>,
}

impl ReportFinding {
    pub fn from_finding(f: &Finding) -> ReportFinding {
        ReportFinding {
            id: f.id(),
            check: f.check.clone(),
            code: f.code.clone(),
            node: f.node.clone(),
            title: f.title.clone(),
            status: f.status,
            subject: ReportSubject {
                kind: f.subject.kind.clone(),
                namespace: f.subject.namespace.clone(),
                name: f.subject.name.clone(),
            },
            message: f.message.clone(),
            evidence: f
                .evidence
                .iter()
                .map(|e| ReportEvidence {
                    source: e.source.as_str(),
                    reference: e.reference.clone(),
                    excerpt: e.excerpt.clone(),
                    origin: e.origin.map(|o| o.as_str()),
                })
                .collect(),
            fix: f.fix.as_ref().map(|x| ReportFix {
                text: x.text.clone(),
                commands: x.commands.clone(),
            }),
            docs: f.docs.clone(),
            muted: f.muted.as_ref().map(|m| ReportMuted {
                reason: m.reason.clone(),
                by: m.by.clone(),
                expires: m.expires.clone(),
            }),
            sources: {
                let mut origins: Vec<crate::findings::Origin> =
                    f.evidence.iter().filter_map(|e| e.origin).collect();
                origins.sort();
                origins.dedup();
                origins.into_iter().map(|o| o.as_str()).collect()
            },
        }
    }
}
