//! Reports: the serde types of `windoctor.report/v1` (kept apart from the internal fact types), the
//! environment summary built from facts, and one writer module per format. Every writer receives an
//! already-redacted `Report`.

pub mod json;
pub mod markdown;
pub mod text;

use crate::facts::Facts;
use crate::findings::{Finding, Status};
use crate::sources::SourceKind;
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA: &str = "windoctor.report/v1";

/// The output formats of `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Json,
    Markdown,
    Text,
}

impl ReportFormat {
    pub fn render(self, report: &Report) -> String {
        match self {
            ReportFormat::Json => json::render(report),
            ReportFormat::Markdown => markdown::render(report),
            ReportFormat::Text => text::render(report),
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "md",
            ReportFormat::Text => "txt",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub tool: Tool,
    pub generated_at: String,
    pub source: Source,
    pub environment: Environment,
    pub summary: BTreeMap<&'static str, usize>,
    pub findings: Vec<Finding>,
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
    pub fn from_facts(facts: &Facts) -> Environment {
        let mut env = Environment {
            server_version: facts.cluster.version.ready().map(|v| v.git_version.clone()),
            ..Default::default()
        };
        if let Some(nodes) = facts.cluster.nodes.ready() {
            env.nodes.total = nodes.len();
            for n in nodes {
                if n.is_windows() {
                    env.nodes.windows += 1;
                    let info = &n.status.node_info;
                    env.windows_nodes.push(WindowsNode {
                        name: n.name().to_string(),
                        os_image: info.os_image.clone(),
                        kernel_version: info.kernel_version.clone(),
                        build: n.windows_build(),
                        container_runtime: info.container_runtime_version.clone(),
                        kubelet_version: info.kubelet_version.clone(),
                        ready: n.condition("Ready").is_some_and(|c| c.status == "True"),
                    });
                } else {
                    env.nodes.linux += 1;
                }
            }
        }
        env.networking = networking_summary(facts);
        if facts.node.present {
            env.local_node = Some(LocalNode {
                hostname: facts.node.hostname.ready().cloned(),
                node_name: facts.local_node_name.clone(),
                os: local_os(facts),
                network_mode: local_network_mode(facts),
            });
        }
        env
    }
}

/// "Microsoft Windows Server 2019 Datacenter (10.0.17763.6054)" from the node part.
fn local_os(facts: &Facts) -> Option<String> {
    let info = facts.node.info.ready()?;
    let caption = info.os_caption.clone();
    let version = match (&info.os_version, info.ubr) {
        (Some(v), Some(ubr)) => Some(format!("{v}.{ubr}")),
        (Some(v), None) => Some(v.clone()),
        (None, _) => info.build.map(|b| format!("build {b}")),
    };
    match (caption, version) {
        (Some(c), Some(v)) => Some(format!("{c} ({v})")),
        (Some(c), None) => Some(c),
        (None, v) => v,
    }
}

/// The HNS networks the container networking uses, e.g. "Overlay (vxlan0)"; the host's NAT network is
/// left out.
fn local_network_mode(facts: &Facts) -> Option<String> {
    let networks = facts.node.hns_networks.ready()?;
    let modes: Vec<String> = networks
        .iter()
        .filter(|n| !n.type_.eq_ignore_ascii_case("nat"))
        .map(|n| format!("{} ({})", n.type_, n.name))
        .collect();
    (!modes.is_empty()).then(|| modes.join(", "))
}

fn networking_summary(facts: &Facts) -> Option<String> {
    let cms = facts.cluster.configmaps.ready()?;
    let cm = cms.iter().find(|c| c.data.contains_key("net-conf.json"))?;
    let conf: serde_json::Value = serde_json::from_str(cm.data.get("net-conf.json")?).ok()?;
    let backend = conf.get("Backend");
    let kind = backend
        .and_then(|b| b.get("Type"))
        .and_then(|t| t.as_str())
        .unwrap_or("unknown backend");
    let mut s = format!("flannel {kind}");
    if let Some(net) = conf.get("Network").and_then(|n| n.as_str()) {
        s.push_str(&format!(", network {net}"));
    }
    if let Some(vni) = backend.and_then(|b| b.get("VNI")) {
        s.push_str(&format!(", VNI {vni}"));
    }
    if let Some(port) = backend.and_then(|b| b.get("Port")) {
        s.push_str(&format!(", port {port}"));
    }
    Some(s)
}

/// Assembles the report, redacting every string that could carry a secret.
pub fn build(
    facts: &Facts,
    source: &SourceKind,
    findings: Vec<Finding>,
    generated_at: String,
) -> Report {
    let mut summary = BTreeMap::new();
    for s in Status::ALL {
        summary.insert(
            s.as_str(),
            findings.iter().filter(|f| f.status == s).count(),
        );
    }
    let mut report = Report {
        schema: SCHEMA,
        tool: Tool {
            name: "windoctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at,
        source: Source::from_kind(source),
        environment: Environment::from_facts(facts),
        summary,
        findings,
    };
    crate::redact::redact_report(&mut report);
    report
}

/// Current UTC time in RFC 3339, or the value of `WINDOCTOR_NOW` (for reproducible output).
pub fn now_rfc3339() -> String {
    if let Ok(fixed) = std::env::var("WINDOCTOR_NOW") {
        return fixed;
    }
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}
