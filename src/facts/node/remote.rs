//! What the Kubernetes API serves about a Windows node, as plain data: the system pods that run on
//! it (kube-proxy, flannel, calico-node, azure-cns, csi-proxy, antrea-agent, any HostProcess pod)
//! with their container statuses and log tails, the kubelet's running configuration (`configz`),
//! and how reading each source went (`SourceNote`), so that a check can say which source was
//! missing and what permission or setting would provide it.
//!
//! These records are stored in a node part (`nodes/NAME/system-pods.json`, `configz.json`, the
//! `sources` of `node.json`; the layout is in docs/bundle.md) and parsed here, so a live run,
//! a capture and a replay read them the same way.

use serde::{Deserialize, Serialize};

/// Who made a node part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartOrigin {
    /// windoctor's node collector ran on the node (this machine, or a fleet collector pod): what it
    /// does not hold does not exist on the node (unless `coverage` says otherwise).
    #[default]
    Node,
    /// Made from what the Kubernetes API serves about the node (pods, pod logs, the kubelet's
    /// configz and log directory): partial by nature, its `coverage` names what it holds.
    Api,
}

/// `node.json` `"origin"` value of a part made from the API.
pub const API_ORIGIN: &str = "api";

/// A source of node data read through the API (or the fleet collection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RemoteSource {
    /// `GET /api/v1/namespaces/NS/pods/POD/log` of the system pods on the node.
    PodLog,
    /// `GET /api/v1/nodes/NAME/proxy/configz`.
    Configz,
    /// `GET /api/v1/nodes/NAME/proxy/logs/`: the kubelet's log directory (`C:\var\log`).
    NodeLog,
    /// `GET /api/v1/nodes/NAME/proxy/logs/?query=SERVICE`: the node log query (KEP-2258).
    NodeLogQuery,
    /// A HostProcess collector pod (`windoctor fleet`) ran windoctor's node collection.
    Fleet,
}

impl RemoteSource {
    pub const ALL: [RemoteSource; 5] = [
        RemoteSource::PodLog,
        RemoteSource::Configz,
        RemoteSource::NodeLog,
        RemoteSource::NodeLogQuery,
        RemoteSource::Fleet,
    ];

    /// The name used in node.json, evidence origins and messages.
    pub fn name(self) -> &'static str {
        match self {
            RemoteSource::PodLog => "pod-log",
            RemoteSource::Configz => "configz",
            RemoteSource::NodeLog => "node-log",
            RemoteSource::NodeLogQuery => "node-log-query",
            RemoteSource::Fleet => "fleet",
        }
    }

    pub fn parse(name: &str) -> Option<RemoteSource> {
        RemoteSource::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What grants the source, for messages when it could not be read (docs/remote-nodes.md).
    pub fn provided_by(self) -> &'static str {
        match self {
            RemoteSource::PodLog => "RBAC `get` on `pods/log` (assets/rbac/read-only.yaml)",
            RemoteSource::Configz => {
                "RBAC `get` on `nodes/proxy` (assets/rbac/read-only.yaml) and the kubelet's enableDebuggingHandlers (default true)"
            }
            RemoteSource::NodeLog => {
                "RBAC `get` on `nodes/proxy` and the kubelet's enableSystemLogHandler (default true); the kubelet serves only C:\\var\\log"
            }
            RemoteSource::NodeLogQuery => {
                "RBAC `get` on `nodes/proxy`, the kubelet feature gate NodeLogQuery and enableSystemLogQuery: true"
            }
            RemoteSource::Fleet => {
                "`windoctor fleet --namespace NS` (a HostProcess collector pod per node; assets/rbac/fleet.yaml)"
            }
        }
    }
}

/// How reading one source went for one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceState {
    /// Read (possibly empty: the message says what it held).
    Read,
    /// Not there: nothing to read (no system pod, 404, feature off).
    Missing,
    /// Could not be read: 403, timeout, unreachable kubelet, budget exhausted.
    Failed,
}

/// One source's outcome for one node, as node.json records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceNote {
    pub state: SourceState,
    /// One sentence: what was read, or why not (the API's own words included).
    pub detail: String,
}

/// The running state of one container, from the pod's status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub name: String,
    #[serde(default)]
    pub image: String,
    /// The command line the container runs (command, then args), with `$(VAR)` references to
    /// `spec.nodeName` expanded as the kubelet expands them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i64,
    /// `running`, `waiting` or `terminated`, with the reason and message.
    #[serde(default)]
    pub state: StateRecord,
    /// The previous instance, when it terminated (`lastState.terminated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_terminated: Option<StateRecord>,
    /// Bundle paths of the log tails taken: `cluster/logs/NS/POD/CONTAINER.log` and
    /// `CONTAINER.previous.log`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_log: Option<String>,
    /// Why a log was not taken (e.g. `forbidden`), when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_error: Option<String>,
}

/// A container state: `kind` is running, waiting or terminated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRecord {
    #[serde(default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

impl StateRecord {
    /// `waiting (CrashLoopBackOff: back-off 5m0s restarting failed container)`.
    pub fn describe(&self) -> String {
        let mut s = self.kind.clone();
        let mut inner = Vec::new();
        if let Some(r) = &self.reason {
            inner.push(r.clone());
        }
        if let Some(c) = self.exit_code {
            inner.push(format!("exit code {c}"));
        }
        if !inner.is_empty() {
            s.push_str(&format!(" ({})", inner.join(", ")));
        }
        if let Some(m) = self.message.as_deref().filter(|m| !m.trim().is_empty()) {
            s.push_str(&format!(": {}", super::logs::shorten(m.trim(), 300)));
        }
        s
    }
}

/// A system pod on a Windows node (a DaemonSet pod of a node component, or any HostProcess pod).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemPod {
    pub namespace: String,
    pub name: String,
    /// kube-proxy, flanneld, calico-node, azure-cns, csi-proxy, antrea-agent, or `hostprocess`.
    pub component: String,
    #[serde(default)]
    pub host_process: bool,
    /// `DaemonSet/NAME`, when a DaemonSet owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default)]
    pub containers: Vec<ContainerRecord>,
}

impl SystemPod {
    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Whether the pod runs the node component `kind` (a name of `model::node::Kind`).
    pub fn runs(&self, component: &str) -> bool {
        self.component == component
    }
}

/// The directory the kubelet serves at `nodes/NAME/proxy/logs/`: `/var/log/` on the kubelet's
/// drive (pkg/kubelet/kubelet.go `Run`, nodeLogDir; KEP-2258 names `C:\var\log` for Windows).
pub const KUBELET_LOG_DIR: &str = r"C:\var\log";

/// How evidence names a pod log tail: `pod log NS/POD/CONTAINER` (`... (previous)`).
pub fn pod_log_reference(namespace: &str, pod: &str, container: &str, previous: bool) -> String {
    if previous {
        format!("pod log {namespace}/{pod}/{container} (previous)")
    } else {
        format!("pod log {namespace}/{pod}/{container}")
    }
}

/// How evidence names a node log query answer: `node log query ?query=kubelet`.
pub fn node_log_query_reference(query: &str) -> String {
    format!("node log query ?query={query}")
}

/// Parses `system-pods.json`.
pub fn parse_system_pods(text: &str) -> Result<Vec<SystemPod>, String> {
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("system-pods.json is not a list of system pods: {e}"))
}

/// The kubelet's running configuration as `configz` served it.
#[derive(Debug, Clone, PartialEq)]
pub struct Configz {
    /// Where it was read, for evidence: `GET /api/v1/nodes/NAME/proxy/configz`.
    pub reference: String,
    pub config: super::kubelet::KubeletConfigFile,
}

/// The reference of a node's configz, as evidence names it.
pub fn configz_reference(node: &str) -> String {
    format!("GET /api/v1/nodes/{node}/proxy/configz")
}

/// Parses a configz body: `{"kubeletconfig": {...}}` (`componentconfig` on very old kubelets),
/// or the bare KubeletConfiguration (kubernetes/component-base configz/configz.go; the kubelet
/// registers its entry as `kubeletconfig` in cmd/kubelet/app/server.go).
pub fn parse_configz(text: &str, node: &str) -> Result<Configz, String> {
    let v: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}').trim())
        .map_err(|e| format!("configz of {node} is not JSON: {e}"))?;
    let inner = v
        .get("kubeletconfig")
        .or_else(|| v.get("componentconfig"))
        .cloned()
        .unwrap_or(v);
    if !inner.is_object() {
        return Err(format!("configz of {node} holds no KubeletConfiguration"));
    }
    let config = super::kubelet::parse_config_value(&inner)?;
    Ok(Configz {
        reference: configz_reference(node),
        config,
    })
}

/// The components a pod can run on a Windows node: (component, needles in names and commands,
/// needles in images), all lowercase.
const KNOWN_COMPONENTS: [(&str, &[&str], &[&str]); 6] = [
    (
        "calico-node",
        &["calico-node", "calico-felix", "felix"],
        &["calico/node", "calico/windows"],
    ),
    ("antrea-agent", &["antrea-agent", "antrea"], &["antrea"]),
    ("azure-cns", &["azure-cns", "azure-cni"], &["azure-cns"]),
    ("csi-proxy", &["csi-proxy"], &["csi-proxy"]),
    ("flanneld", &["flanneld", "flannel"], &["flannel"]),
    ("kube-proxy", &["kube-proxy", "kubeproxy"], &["kube-proxy"]),
];

/// Whether the JSON text of a pod may name a component ([`component_of`]) or HostProcess at all:
/// `false` only when none of the components' needles nor `hostprocess` occurs anywhere in it (in
/// any case) and it has no `\u` escape that could spell one. A pod of which this is `false` is
/// neither a system pod nor one whose logs capture fetches, so capture need not read it whole.
pub fn may_name_a_component(json: &str) -> bool {
    static NEEDLES: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let needles = NEEDLES.get_or_init(|| {
        let words = KNOWN_COMPONENTS
            .iter()
            .flat_map(|(_, names, images)| names.iter().chain(images.iter()))
            .copied()
            .chain(["hostprocess", "\\u"]);
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words)
            .ok()
    });
    // Without the automaton (it cannot fail to build), every pod is read whole, as before.
    needles.as_ref().is_none_or(|n| n.is_match(json))
}

/// Component a pod runs, judged from what it is: container names, images and commands (the
/// executables and start scripts of each component). `None` when it is none of them.
pub fn component_of(names: &[&str], images: &[&str], commands: &[&str]) -> Option<&'static str> {
    let lower = |v: &[&str]| -> Vec<String> { v.iter().map(|s| s.to_ascii_lowercase()).collect() };
    let (names, images, commands) = (lower(names), lower(images), lower(commands));
    // kube-proxy first by name and command: sig-windows-tools tags its kube-proxy images
    // "...-flannel-hostprocess", so an image naming flannel does not make a kube-proxy pod flannel.
    let by_name = |needles: &[&str]| {
        names
            .iter()
            .chain(commands.iter())
            .any(|n| needles.iter().any(|x| n.contains(x)))
    };
    if by_name(KNOWN_COMPONENTS[5].1) {
        return Some("kube-proxy");
    }
    for (component, name_needles, _) in KNOWN_COMPONENTS {
        if by_name(name_needles) {
            return Some(component);
        }
    }
    for (component, _, image_needles) in KNOWN_COMPONENTS.iter().rev() {
        if images
            .iter()
            .any(|i| image_needles.iter().any(|x| i.contains(x)))
        {
            return Some(component);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configz_wrapper_and_bare_config() {
        let wrapped = r#"{"kubeletconfig":{"systemReserved":{"memory":"2Gi"},"clusterDNS":["10.96.0.10"],"cgroupsPerQOS":false,"enforceNodeAllocatable":["none"]}}"#;
        let c = parse_configz(wrapped, "win-1").expect("configz");
        assert_eq!(c.reference, "GET /api/v1/nodes/win-1/proxy/configz");
        assert_eq!(
            c.config.system_reserved.get("memory").map(String::as_str),
            Some("2Gi")
        );
        assert_eq!(c.config.cluster_dns, ["10.96.0.10"]);
        assert_eq!(c.config.cgroups_per_qos, Some(false));
        let old = r#"{"componentconfig":{"clusterDNS":["10.0.0.10"]}}"#;
        assert_eq!(
            parse_configz(old, "n").expect("old").config.cluster_dns,
            ["10.0.0.10"]
        );
        assert!(parse_configz("<html>", "n").is_err());
        assert!(parse_configz("[1]", "n").is_err());
    }

    #[test]
    fn components_by_what_they_run() {
        assert_eq!(
            component_of(
                &["kube-proxy"],
                &["sigwindowstools/kube-proxy:v1.32.4-flannel-hostprocess"],
                &[]
            ),
            Some("kube-proxy")
        );
        assert_eq!(
            component_of(
                &["kube-flannel"],
                &["docker.io/sigwindowstools/flannel:v0.22.1-hostprocess"],
                &[]
            ),
            Some("flanneld")
        );
        assert_eq!(
            component_of(
                &["node"],
                &["mcr.microsoft.com/containernetworking/azure-cns:v1.6"],
                &[]
            ),
            Some("azure-cns")
        );
        assert_eq!(
            component_of(&["main"], &["x"], &[r"C:\hpc\calico-node.exe"]),
            Some("calico-node")
        );
        assert_eq!(component_of(&["app"], &["nginx"], &[]), None);
    }

    #[test]
    fn system_pods_round_trip() {
        let pods = vec![SystemPod {
            namespace: "kube-system".into(),
            name: "kube-proxy-windows-abcde".into(),
            component: "kube-proxy".into(),
            host_process: true,
            owner: Some("DaemonSet/kube-proxy-windows".into()),
            phase: Some("Running".into()),
            containers: vec![ContainerRecord {
                name: "kube-proxy".into(),
                restart_count: 4,
                state: StateRecord {
                    kind: "waiting".into(),
                    reason: Some("CrashLoopBackOff".into()),
                    ..Default::default()
                },
                ..Default::default()
            }],
        }];
        let text = serde_json::to_string(&pods).expect("json");
        assert_eq!(parse_system_pods(&text).expect("parse"), pods);
        assert_eq!(
            pods[0].containers[0].state.describe(),
            "waiting (CrashLoopBackOff)"
        );
        assert!(parse_system_pods("{}").is_err());
    }
}
