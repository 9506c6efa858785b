//! The serde types of the `windoctor.report/v1` JSON report (assets/report.schema.json). They are
//! the report's own: built from findings and the environment summary, so the internal types can
//! change without changing what tools that read reports see.

use crate::facts::SourceKind;
use crate::findings::{Finding, Status};
use crate::model::environment::EnvironmentSummary;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields, transform = super::schema::report_fields_since_1_0)]
pub struct Report {
    #[schemars(extend("const" = "windoctor.report/v1"))]
    pub schema: &'static str,
    /// The version of the schema within v1: `1.1` adds the fleet report, evidence origins and
    /// finding sources (docs/report.md). Additive: v1 readers ignore the new fields.
    #[schemars(pattern(r"^1\.[0-9]+$"))]
    pub schema_version: &'static str,
    pub tool: Tool,
    /// RFC 3339 UTC time the report was made.
    pub generated_at: String,
    pub source: Source,
    pub environment: Environment,
    #[schemars(schema_with = "super::schema::summary")]
    pub summary: BTreeMap<&'static str, usize>,
    pub findings: Vec<ReportFinding>,
    /// Findings per Windows node and aggregated per check, when the run holds node data of
    /// Windows nodes (read through the API, collected by the fleet, or on the node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet: Option<super::fleet::FleetReport>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Tool {
    #[schemars(extend("const" = "windoctor"))]
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Source {
    /// live (the cluster API), snapshot (a bundle or another tool's collection) or demo.
    #[schemars(extend("enum" = ["live", "snapshot", "demo"]))]
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

#[derive(Debug, Clone, Serialize, JsonSchema, Default)]
#[schemars(deny_unknown_fields)]
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
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct NodeLayout {
    pub node: String,
    pub id: String,
    pub name: String,
    pub marks: Vec<String>,
    pub cni: Option<String>,
}

/// Where a snapshot taken by another tool came from, and what it lacks.
#[derive(Debug, Clone, Serialize, JsonSchema, Default)]
#[schemars(deny_unknown_fields)]
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

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CollectionPart {
    pub collector: String,
    pub name: String,
    pub source: String,
    pub root: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Lacked {
    pub input: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CheckLacked {
    #[schemars(schema_with = "super::schema::check_id")]
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

#[derive(Debug, Clone, Serialize, JsonSchema, Default)]
#[schemars(deny_unknown_fields)]
pub struct NodeCounts {
    pub linux: usize,
    pub windows: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct WindowsNode {
    pub name: String,
    pub os_image: String,
    pub kernel_version: String,
    pub build: Option<u32>,
    pub container_runtime: String,
    pub kubelet_version: String,
    pub ready: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
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
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields, transform = super::schema::finding_fields_since_1_0)]
pub struct ReportFinding {
    /// Stable across runs: a fingerprint of the code, the subject and the node.
    #[schemars(pattern(r"^[0-9a-f]{16}(-[0-9]+)?$"))]
    pub id: String,
    #[schemars(schema_with = "super::schema::check_id")]
    pub check: String,
    /// `<check>/<part>`: the part of the check the finding is about (`<check>/input` for an
    /// input that could not be read). Stable: `--only`, `--skip` and silencing rules use it.
    #[schemars(pattern(r"^[a-z0-9-]+(/[a-z0-9-]+)?$"))]
    pub code: String,
    /// The Windows node the finding is about, when it is about one node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[schemars(length(min = 1))]
    pub title: String,
    pub status: Status,
    pub subject: ReportSubject,
    #[schemars(length(min = 1))]
    pub message: String,
    pub evidence: Vec<ReportEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<ReportFix>,
    pub docs: Vec<String>,
    /// The sources of node data the finding's evidence came through (`node`, `pod-log`,
    /// `configz`, `node-log`, `api`), each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::names_of::<crate::findings::Origin>")]
    pub sources: Vec<&'static str>,
    /// Present when the finding was accepted (silencing file or annotation): it does not change
    /// the exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<ReportMuted>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReportMuted {
    #[schemars(length(min = 1))]
    pub reason: String,
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReportSubject {
    #[schemars(length(min = 1))]
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

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReportEvidence {
    /// api, event, file, process, service, log, probe.
    #[schemars(schema_with = "super::schema::name_of::<crate::findings::EvidenceSource>")]
    pub source: &'static str,
    #[serde(rename = "ref")]
    pub reference: String,
    pub excerpt: String,
    /// Which source of node data it came through: node, pod-log, configz, node-log, api.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::optional_name_of::<crate::findings::Origin>")]
    pub origin: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReportFix {
    pub text: String,
    pub commands: Vec<String>,
    /// `steps[i]` is `commands[i]` with where it runs, its shell, whether it changes something
    /// and its alternative group (schema 1.1; absent when the fix carries no step data).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<ReportStep>,
}

/// One fix command with where and how it runs.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReportStep {
    pub command: String,
    /// workstation, windows-node, linux-node, pod, hypervisor.
    #[serde(rename = "where")]
    #[schemars(schema_with = "super::schema::name_of::<crate::findings::Place>")]
    pub place: &'static str,
    /// any (bash and PowerShell alike), powershell (5.1 and 7), windows-powershell (5.1 only),
    /// pwsh (7 only), bash, cmd.
    #[schemars(schema_with = "super::schema::name_of::<crate::findings::Shell>")]
    pub shell: &'static str,
    /// True when it changes something; false when it only looks.
    pub changes: bool,
    /// Steps of one fix with the same name are alternatives: run one of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
}

impl ReportFix {
    /// The commands grouped by where they run (consecutive commands at one place, in order). A
    /// group's heading names the place, and its shell when all its commands share one; each command
    /// carries its remaining marks (`crate::findings::step_marks`). One "Run" group when the fix
    /// has no step data.
    pub fn by_place(&self) -> Vec<(String, Vec<(&str, String)>)> {
        if self.steps.is_empty() {
            return vec![(
                "Run".to_string(),
                self.commands
                    .iter()
                    .map(|c| (c.as_str(), String::new()))
                    .collect(),
            )];
        }
        let mut runs: Vec<Vec<&ReportStep>> = Vec::new();
        for step in &self.steps {
            match runs.last_mut() {
                Some(run) if run[0].place == step.place => run.push(step),
                _ => runs.push(vec![step]),
            }
        }
        runs.into_iter()
            .map(|run| {
                let place = crate::findings::place_heading(run[0].place);
                let shell_of =
                    |s: &ReportStep| crate::findings::Shell::from_str_or_any(s.shell).label();
                let shared = run.iter().all(|s| s.shell == run[0].shell);
                let heading = match shell_of(run[0]) {
                    label if shared && !label.is_empty() => format!("{place}, {label}"),
                    _ => place.to_string(),
                };
                let commands = run
                    .iter()
                    .map(|s| {
                        let shell = if shared { "" } else { shell_of(s) };
                        let marks =
                            crate::findings::step_marks(shell, s.changes, s.alternative.as_deref());
                        (s.command.as_str(), marks)
                    })
                    .collect();
                (heading, commands)
            })
            .collect()
    }
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
                steps: if x.steps.is_empty() {
                    Vec::new()
                } else {
                    x.described()
                        .into_iter()
                        .map(|(command, meta)| ReportStep {
                            command: command.to_string(),
                            place: meta.place.as_str(),
                            shell: meta.shell.as_str(),
                            changes: meta.changes,
                            alternative: meta.alternative,
                        })
                        .collect()
                },
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
