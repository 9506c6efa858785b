//! The environment of a run as reports and the TUI header show it: the server version, how many
//! Linux and Windows nodes, each Windows node's OS, build, runtime, kubelet and readiness, the local
//! node's host name, OS and network mode, the distribution layout and CNI detected on each node part,
//! and the pod network as the cluster configures it. Plain
//! data derived from the model; the report turns it into its own serde type.

use super::Model;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvironmentSummary {
    pub server_version: Option<String>,
    pub linux_nodes: usize,
    pub windows_node_count: usize,
    pub total_nodes: usize,
    pub windows_nodes: Vec<WindowsNodeSummary>,
    pub local_node: Option<LocalNodeSummary>,
    /// Pod network as far as the cluster shows it, e.g. "flannel vxlan, network 10.244.0.0/16".
    pub networking: Option<String>,
    /// Which collector made the snapshot, when it is another tool's output, and what it lacks.
    pub collection: Option<crate::facts::collection::CollectionInfo>,
    /// The node parts of the run (local first, then the other Windows nodes'), with who made each
    /// and how each source read through the API went.
    pub node_parts: Vec<NodePartSummary>,
    /// The distribution layout detected on each node part (local first), when one is.
    pub layouts: Vec<NodeLayoutSummary>,
}

/// The distribution layout and CNI plugin detected on one node part.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeLayoutSummary {
    pub node: String,
    /// The layout id of checks/data/layouts.toml, e.g. `rke2`.
    pub id: String,
    pub name: String,
    /// What was found that chose it ("service rke2", "file C:\k\kubeclusterconfig.json").
    pub marks: Vec<String>,
    /// The CNI plugin in use, e.g. "Calico (VXLAN or BGP) (C:\...\10-calico.conf)".
    pub cni: Option<String>,
}

/// One node part: which Node, made on the node or from the API, and its sources' outcomes.
#[derive(Debug, Clone, PartialEq)]
pub struct NodePartSummary {
    pub name: String,
    /// Whether it is the part of the node windoctor ran on (`node/`), not `nodes/NAME/`.
    pub local: bool,
    /// `node` (collected on the node: locally or by a fleet collector pod) or `api`.
    pub origin: &'static str,
    /// `(source, state, detail)` for each source read through the API.
    pub sources: Vec<(&'static str, &'static str, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WindowsNodeSummary {
    pub name: String,
    pub os_image: String,
    pub kernel_version: String,
    pub build: Option<u32>,
    pub container_runtime: String,
    pub kubelet_version: String,
    pub ready: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocalNodeSummary {
    pub hostname: Option<String>,
    pub node_name: Option<String>,
    pub os: Option<String>,
    pub network_mode: Option<String>,
}

impl Model<'_> {
    pub fn environment(&self) -> EnvironmentSummary {
        let facts = self.facts();
        let mut env = EnvironmentSummary {
            server_version: facts.cluster.version.ready().map(|v| v.git_version.clone()),
            ..Default::default()
        };
        if let Some(nodes) = self.ready_nodes() {
            env.total_nodes = nodes.len();
            for n in nodes {
                if n.is_windows() {
                    env.windows_node_count += 1;
                    let info = &n.status.node_info;
                    env.windows_nodes.push(WindowsNodeSummary {
                        name: n.name().to_string(),
                        os_image: info.os_image.clone(),
                        kernel_version: info.kernel_version.clone(),
                        build: n.windows_build(),
                        container_runtime: info.container_runtime_version.clone(),
                        kubelet_version: info.kubelet_version.clone(),
                        ready: n.condition("Ready").is_some_and(|c| c.status == "True"),
                    });
                } else {
                    env.linux_nodes += 1;
                }
            }
        }
        env.networking = self.networking_summary();
        env.collection = facts.collection.clone();
        for view in self.node_views() {
            if let Some(l) = view.layout() {
                env.layouts.push(NodeLayoutSummary {
                    node: view.name(),
                    id: l.id.clone(),
                    name: l.layout().map(|x| x.name.clone()).unwrap_or_default(),
                    marks: l.marks.clone(),
                    cni: view.cni().map(|c| c.describe()),
                });
            }
        }
        for view in self.node_views() {
            use crate::facts::node::remote::{PartOrigin, SourceState};
            env.node_parts.push(NodePartSummary {
                name: view.name(),
                local: std::ptr::eq(view.raw, &facts.node),
                origin: match view.raw.origin {
                    PartOrigin::Api => "api",
                    PartOrigin::Node => "node",
                },
                sources: view
                    .raw
                    .sources
                    .iter()
                    .map(|(s, n)| {
                        let state = match n.state {
                            SourceState::Read => "read",
                            SourceState::Missing => "missing",
                            SourceState::Failed => "failed",
                        };
                        (s.name(), state, n.detail.clone())
                    })
                    .collect(),
            });
        }
        if facts.node.present {
            env.local_node = Some(LocalNodeSummary {
                hostname: facts.node.hostname.ready().cloned(),
                node_name: facts.local_node_name.clone(),
                os: self.local_os(),
                network_mode: self.local_network_mode(),
            });
        }
        env
    }

    /// "Microsoft Windows Server 2019 Datacenter (10.0.17763.6054)" from the node part.
    fn local_os(&self) -> Option<String> {
        let info = self.facts().node.info.ready()?;
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

    /// The HNS networks the container networking uses, e.g. "Overlay (vxlan0)"; the host's NAT
    /// network is left out.
    fn local_network_mode(&self) -> Option<String> {
        let networks = self.facts().node.hns_networks.ready()?;
        let modes: Vec<String> = networks
            .iter()
            .filter(|n| !n.type_.eq_ignore_ascii_case("nat"))
            .map(|n| format!("{} ({})", n.type_, n.name))
            .collect();
        (!modes.is_empty()).then(|| modes.join(", "))
    }

    /// "flannel vxlan, network 10.244.0.0/16, VNI 4096, port 4789" from the first ConfigMap that
    /// holds a flannel net-conf.json.
    fn networking_summary(&self) -> Option<String> {
        let cms = self.ready_configmaps()?;
        let cm = cms.iter().find(|c| c.data.contains_key("net-conf.json"))?;
        let text = cm.data.get("net-conf.json")?;
        let conf = crate::facts::network::parse_net_conf(text).ok()?;
        let mut s = format!(
            "flannel {}",
            conf.backend_type.as_deref().unwrap_or("unknown backend")
        );
        if let Some(net) = &conf.network {
            s.push_str(&format!(", network {net}"));
        }
        if let Some(vni) = conf.vni {
            s.push_str(&format!(", VNI {vni}"));
        }
        if let Some(port) = conf.port {
            s.push_str(&format!(", port {port}"));
        }
        Some(s)
    }
}
