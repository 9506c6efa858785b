//! Facts read from the cluster API (or a bundle's `cluster/` part), and the small derivations many
//! checks share: which nodes run Windows, matching node names in FQDN or short form, which pods target
//! Windows, and the cluster's IP plan as far as the API shows it.

use super::k8s::{
    ConfigMap, DaemonSet, Event, Node, Pod, PodLog, PodSpec, RuntimeClass, ServerVersion, Service,
};
use super::versions::Semver;
use super::windows;
use super::Input;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct ClusterFacts {
    /// Where the cluster facts came from, for the report header: `context (server)` or a path.
    pub origin: Option<String>,
    pub version: Input<ServerVersion>,
    pub nodes: Input<Vec<Node>>,
    pub pods: Input<Vec<Pod>>,
    /// Events; live runs list only `type!=Normal` events (the checks read warnings only).
    pub events: Input<Vec<Event>>,
    pub services: Input<Vec<Service>>,
    pub daemonsets: Input<Vec<DaemonSet>>,
    pub configmaps: Input<Vec<ConfigMap>>,
    pub runtimeclasses: Input<Vec<RuntimeClass>>,
    /// Pod logs captured in a bundle (optional; empty when none).
    pub logs: Vec<PodLog>,
}

impl ClusterFacts {
    /// True when at least one cluster input could be read.
    pub fn any_ready(&self) -> bool {
        self.version.is_ready()
            || self.nodes.is_ready()
            || self.pods.is_ready()
            || self.events.is_ready()
            || self.services.is_ready()
            || self.daemonsets.is_ready()
            || self.configmaps.is_ready()
            || self.runtimeclasses.is_ready()
    }

    pub fn server_semver(&self) -> Option<Semver> {
        let v = self.version.ready()?;
        Semver::parse(&v.git_version).or_else(|| {
            let minor: String = v.minor.chars().take_while(|c| c.is_ascii_digit()).collect();
            Some(Semver::new(v.major.parse().ok()?, minor.parse().ok()?, 0))
        })
    }

    pub fn node_named(&self, name: &str) -> Option<&Node> {
        let nodes = self.nodes.ready()?;
        nodes
            .iter()
            .find(|n| n.metadata.name == name)
            .or_else(|| nodes.iter().find(|n| same_host(&n.metadata.name, name)))
    }
}

/// Node and host names compare without regard to case, and a short name matches its FQDN
/// (`win-2022-b` ~ `WIN-2022-B.corp.example.com`).
pub fn same_host(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim().to_ascii_lowercase(), b.trim().to_ascii_lowercase());
    if a == b {
        return true;
    }
    let short = |s: &str| s.split('.').next().unwrap_or("").to_string();
    (a.contains('.') != b.contains('.')) && short(&a) == short(&b)
}

pub const OS_LABEL: &str = "kubernetes.io/os";
pub const OS_LABEL_BETA: &str = "beta.kubernetes.io/os";
pub const BUILD_LABEL: &str = "node.kubernetes.io/windows-build";

impl Node {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn is_windows(&self) -> bool {
        let label = self
            .metadata
            .labels
            .get(OS_LABEL)
            .or_else(|| self.metadata.labels.get(OS_LABEL_BETA));
        match label {
            Some(os) => os.eq_ignore_ascii_case("windows"),
            None => self
                .status
                .node_info
                .operating_system
                .eq_ignore_ascii_case("windows"),
        }
    }

    /// The Windows build from the kernel version (`10.0.17763.6054` -> 17763).
    pub fn windows_build(&self) -> Option<u32> {
        windows::build_of(&self.status.node_info.kernel_version)
    }

    pub fn condition(&self, type_: &str) -> Option<&super::k8s::Condition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }

    pub fn internal_ip(&self) -> Option<&str> {
        self.status
            .addresses
            .iter()
            .find(|a| a.type_ == "InternalIP")
            .map(|a| a.address.as_str())
    }

    /// podCIDRs, falling back to the single podCIDR field.
    pub fn pod_cidrs(&self) -> Vec<&str> {
        if !self.spec.pod_cidrs.is_empty() {
            self.spec.pod_cidrs.iter().map(String::as_str).collect()
        } else {
            self.spec.pod_cidr.iter().map(String::as_str).collect()
        }
    }

    pub fn kubelet_semver(&self) -> Option<Semver> {
        Semver::parse(&self.status.node_info.kubelet_version)
    }
}

/// How a pod (or a pod template) says which OS it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsTarget {
    /// `.spec.os.name`, a `kubernetes.io/os` node selector or required node affinity names it.
    Windows,
    Linux,
    /// Nothing restricts it: it can land on either OS.
    Unrestricted,
}

impl PodSpec {
    /// The OS the spec restricts scheduling to (node selector or required affinity), ignoring
    /// `.spec.os.name`, which only declares it.
    pub fn os_selector(&self) -> OsTarget {
        for key in [OS_LABEL, OS_LABEL_BETA] {
            if let Some(v) = self.node_selector.get(key) {
                return os_of(v);
            }
        }
        if let Some(required) = self
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
        {
            let mut seen = Vec::new();
            for term in &required.node_selector_terms {
                let mut term_os = None;
                for e in &term.match_expressions {
                    if e.key == OS_LABEL || e.key == OS_LABEL_BETA {
                        match e.operator.as_str() {
                            "In" if e.values.len() == 1 => term_os = Some(os_of(&e.values[0])),
                            "NotIn" if e.values.iter().any(|v| v == "windows") => {
                                term_os = Some(OsTarget::Linux)
                            }
                            "NotIn" if e.values.iter().any(|v| v == "linux") => {
                                term_os = Some(OsTarget::Windows)
                            }
                            _ => {}
                        }
                    }
                }
                seen.push(term_os);
            }
            // Terms are ORed: the pod is restricted only if every term restricts it to the same OS.
            if let Some(Some(first)) = seen.first() {
                if seen.iter().all(|t| t.as_ref() == Some(first)) {
                    return first.clone();
                }
            }
        }
        OsTarget::Unrestricted
    }

    pub fn declared_os(&self) -> Option<&str> {
        self.os.as_ref().map(|o| o.name.as_str())
    }

    /// The spec is meant for Windows: declared, selected, or it runs a Windows image.
    pub fn targets_windows(&self) -> bool {
        self.declared_os()
            .is_some_and(|o| o.eq_ignore_ascii_case("windows"))
            || self.os_selector() == OsTarget::Windows
            || self.containers.iter().any(|c| {
                windows::image_release(&c.image).is_some() || is_windows_image_name(&c.image)
            })
    }

    pub fn all_containers(&self) -> impl Iterator<Item = &super::k8s::Container> {
        self.init_containers.iter().chain(self.containers.iter())
    }

    /// True for HostProcess pods (pod- or container-level `windowsOptions.hostProcess`).
    pub fn host_process(&self) -> bool {
        let pod_level = self
            .security_context
            .as_ref()
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process)
            .unwrap_or(false);
        pod_level
            || self.all_containers().any(|c| {
                c.security_context
                    .as_ref()
                    .and_then(|s| s.windows_options.as_ref())
                    .and_then(|w| w.host_process)
                    .unwrap_or(false)
            })
    }
}

fn os_of(value: &str) -> OsTarget {
    if value.eq_ignore_ascii_case("windows") {
        OsTarget::Windows
    } else if value.eq_ignore_ascii_case("linux") {
        OsTarget::Linux
    } else {
        OsTarget::Unrestricted
    }
}

/// Image repositories that only ever hold Windows images.
pub fn is_windows_image_name(image: &str) -> bool {
    let i = image.to_ascii_lowercase();
    i.contains("mcr.microsoft.com/windows/")
        || i.contains("/windows/servercore")
        || i.contains("/windows/nanoserver")
        || i.contains("windowsservercore")
        || i.contains("nanoserver")
        || i.contains("mcr.microsoft.com/dotnet/framework/")
}

impl Pod {
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("default")
    }
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace(), self.name())
    }
    pub fn node_name(&self) -> Option<&str> {
        self.spec.node_name.as_deref()
    }
    /// The controller that owns the pod, e.g. `DaemonSet/kube-flannel-ds`.
    pub fn owner(&self) -> Option<String> {
        self.metadata
            .owner_references
            .first()
            .map(|o| format!("{}/{}", o.kind, o.name))
    }
}

impl Service {
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("default")
    }
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
    /// Pods the service selects (same namespace, selector matches labels). Empty selector: none.
    pub fn backends<'a>(&'a self, pods: &'a [Pod]) -> impl Iterator<Item = &'a Pod> + 'a {
        pods.iter().filter(move |p| {
            !self.spec.selector.is_empty()
                && p.namespace() == self.namespace()
                && self
                    .spec
                    .selector
                    .iter()
                    .all(|(k, v)| p.metadata.labels.get(k) == Some(v))
        })
    }
}

/// Pods indexed for the lookups checks repeat per Service, Node or namespace: building it is one
/// pass over the pods, and each lookup then costs what it returns instead of a scan of all pods
/// (`Service::backends` for every Service of a 150,000-pod cluster is quadratic; this is not).
/// Lookups give pods in the order of the pod list, like the linear helpers.
#[derive(Debug, Default)]
pub struct PodIndex<'a> {
    pods: &'a [Pod],
    by_namespace: HashMap<&'a str, Vec<u32>>,
    by_node: HashMap<&'a str, Vec<u32>>,
    by_label: HashMap<(&'a str, &'a str, &'a str), Vec<u32>>,
}

impl<'a> PodIndex<'a> {
    pub fn new(pods: &'a [Pod]) -> Self {
        let mut index = PodIndex {
            pods,
            ..Default::default()
        };
        for (i, pod) in pods.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            let ns = pod.namespace();
            index.by_namespace.entry(ns).or_default().push(i);
            if let Some(node) = pod.node_name() {
                index.by_node.entry(node).or_default().push(i);
            }
            for (k, v) in &pod.metadata.labels {
                index
                    .by_label
                    .entry((ns, k.as_str(), v.as_str()))
                    .or_default()
                    .push(i);
            }
        }
        index
    }

    pub fn in_namespace<'s>(&'s self, namespace: &str) -> impl Iterator<Item = &'a Pod> + 's {
        resolve(self.pods, self.by_namespace.get(namespace))
    }

    /// Pods whose `spec.nodeName` is exactly `node`.
    pub fn on_node<'s>(&'s self, node: &str) -> impl Iterator<Item = &'a Pod> + 's {
        resolve(self.pods, self.by_node.get(node))
    }

    /// The same pods as `service.backends(pods)`, in the same order.
    pub fn backends(&self, service: &Service) -> Vec<&'a Pod> {
        let ns = service.namespace();
        let selector = &service.spec.selector;
        // Start from the rarest selector pair, then check the others.
        let Some(smallest) = selector
            .iter()
            .map(|(k, v)| self.by_label.get(&(ns, k.as_str(), v.as_str())))
            .min_by_key(|ids| ids.map_or(0, Vec::len))
        else {
            return Vec::new();
        };
        resolve(self.pods, smallest)
            .filter(|p| {
                selector
                    .iter()
                    .all(|(k, v)| p.metadata.labels.get(k) == Some(v))
            })
            .collect()
    }
}

fn resolve<'s, 'a: 's>(
    pods: &'a [Pod],
    ids: Option<&'s Vec<u32>>,
) -> impl Iterator<Item = &'a Pod> + 's {
    ids.into_iter()
        .flatten()
        .filter_map(move |&i| pods.get(i as usize))
}

/// Nodes indexed by name for per-pod lookups: `named` gives what `ClusterFacts::node_named` gives
/// (exact name first, else the first node that is the `same_host`) without scanning every node.
#[derive(Debug, Default)]
pub struct NodeIndex<'a> {
    nodes: &'a [Node],
    exact: HashMap<&'a str, u32>,
    /// Lowercased full name -> nodes, in list order.
    by_lower: HashMap<String, Vec<u32>>,
    /// Lowercased short name (before the first dot) -> (node, whether its name has a dot).
    by_short: HashMap<String, Vec<(u32, bool)>>,
}

impl<'a> NodeIndex<'a> {
    pub fn new(nodes: &'a [Node]) -> Self {
        let mut index = NodeIndex {
            nodes,
            ..Default::default()
        };
        for (i, node) in nodes.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            let name = node.name();
            index.exact.entry(name).or_insert(i);
            let lower = name.trim().to_ascii_lowercase();
            let short = lower.split('.').next().unwrap_or("").to_string();
            index
                .by_short
                .entry(short)
                .or_default()
                .push((i, lower.contains('.')));
            index.by_lower.entry(lower).or_default().push(i);
        }
        index
    }

    pub fn named(&self, name: &str) -> Option<&'a Node> {
        if let Some(&i) = self.exact.get(name) {
            return self.nodes.get(i as usize);
        }
        let lower = name.trim().to_ascii_lowercase();
        let dotted = lower.contains('.');
        let short = lower.split('.').next().unwrap_or("");
        let same_name = self
            .by_lower
            .get(&lower)
            .and_then(|ids| ids.first().copied());
        let same_short = self
            .by_short
            .get(short)
            .and_then(|ids| ids.iter().find(|(_, d)| *d != dotted).map(|(i, _)| *i));
        let first = match (same_name, same_short) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        self.nodes.get(first as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ns: &str, name: &str, node: &str, labels: &[(&str, &str)]) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = Some(ns.into());
        p.spec.node_name = Some(node.into());
        p.metadata.labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p
    }

    #[test]
    fn pod_index_agrees_with_the_linear_helpers() {
        let pods = vec![
            pod("a", "web-1", "n1", &[("app", "web"), ("tier", "front")]),
            pod("a", "web-2", "n2", &[("app", "web")]),
            pod("b", "web-3", "n1", &[("app", "web"), ("tier", "front")]),
            pod("a", "db-1", "n1", &[("app", "db"), ("tier", "front")]),
            pod("a", "web-4", "n2", &[("app", "web"), ("tier", "front")]),
        ];
        let index = PodIndex::new(&pods);
        let mut svc = Service::default();
        svc.metadata.namespace = Some("a".into());
        for selector in [
            vec![("app", "web"), ("tier", "front")],
            vec![("app", "web")],
            vec![("tier", "front")],
            vec![("app", "none")],
            vec![],
        ] {
            svc.spec.selector = selector
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let linear: Vec<&str> = svc.backends(&pods).map(|p| p.name()).collect();
            let indexed: Vec<&str> = index.backends(&svc).iter().map(|p| p.name()).collect();
            assert_eq!(indexed, linear, "selector {selector:?}");
        }
        let on_n1: Vec<&str> = index.on_node("n1").map(|p| p.name()).collect();
        assert_eq!(on_n1, ["web-1", "web-3", "db-1"]);
        assert_eq!(index.in_namespace("b").count(), 1);
        assert_eq!(index.in_namespace("zzz").count(), 0);
    }

    #[test]
    fn node_index_agrees_with_node_named() {
        let names = [
            "win-1",
            "WIN-2.corp.example.com",
            "win-2",
            "lnx-1.corp.example.com",
            "Win-3",
        ];
        let nodes: Vec<Node> = names
            .iter()
            .map(|n| {
                let mut node = Node::default();
                node.metadata.name = n.to_string();
                node
            })
            .collect();
        let facts = ClusterFacts {
            nodes: Input::Ready(nodes.clone()),
            ..Default::default()
        };
        let index = NodeIndex::new(&nodes);
        for query in [
            "win-1",
            "WIN-1",
            "win-2",
            "win-2.corp.example.com",
            "Win-2.CORP.example.com",
            "lnx-1",
            "LNX-1.corp.example.com",
            "win-3.x.com",
            "win-3",
            "nope",
            "",
        ] {
            assert_eq!(
                index.named(query).map(Node::name),
                facts.node_named(query).map(Node::name),
                "{query}"
            );
        }
    }

    #[test]
    fn host_names_match_fqdn_and_short_form_without_case() {
        assert!(same_host("win-2022-b.corp.example.com", "WIN-2022-B"));
        assert!(same_host("WIN-1", "win-1"));
        assert!(!same_host("win-1", "win-10"));
        assert!(!same_host("a.x.com", "a.y.com"));
    }

    #[test]
    fn os_selection_from_selector_and_affinity() {
        let spec: PodSpec =
            serde_json::from_str(r#"{"nodeSelector":{"kubernetes.io/os":"windows"}}"#)
                .expect("json");
        assert_eq!(spec.os_selector(), OsTarget::Windows);
        let spec: PodSpec = serde_json::from_str(
            r#"{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
                {"matchExpressions":[{"key":"kubernetes.io/os","operator":"NotIn","values":["windows"]}]}]}}}}"#,
        )
        .expect("json");
        assert_eq!(spec.os_selector(), OsTarget::Linux);
        let spec: PodSpec =
            serde_json::from_str(r#"{"containers":[{"name":"a","image":"nginx"}]}"#).expect("json");
        assert_eq!(spec.os_selector(), OsTarget::Unrestricted);
        assert!(!spec.targets_windows());
    }
}
