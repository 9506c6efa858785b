//! Facts read from the cluster API (or a bundle's `cluster/` part), and the small derivations many
//! checks share: which nodes run Windows, matching node names in FQDN or short form, which pods target
//! Windows, and the cluster's IP plan as far as the API shows it.

use super::k8s::{
    ConfigMap, DaemonSet, Event, Node, Pod, PodLog, PodSpec, RuntimeClass, ServerVersion, Service,
};
use super::versions::Semver;
use super::windows;
use super::Input;
use std::collections::{HashMap, HashSet};

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
///
/// Allocation-free: checks call it per pod and node, millions of times on a big cluster.
pub fn same_host(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    fn short(s: &str) -> &str {
        s.split('.').next().unwrap_or("")
    }
    (a.contains('.') != b.contains('.')) && short(a).eq_ignore_ascii_case(short(b))
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

/// The object that holds a pod's template, named as `kubectl` addresses it (`deployment/iis`,
/// `daemonset/node-exporter`, `pod/debug`): where a fix to the pod spec has to be made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Workload {
    /// Lower-case kubectl resource name: deployment, daemonset, statefulset, replicaset, job,
    /// replicationcontroller, or pod for pods no controller owns (and static mirror pods).
    pub kind: String,
    pub name: String,
}

impl Workload {
    /// `kind/name`, as `kubectl -n NS patch KIND/NAME` takes it.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// The API kind, as subjects name it: `Deployment`, `DaemonSet`, ..., `Pod`.
    pub fn kind_title(&self) -> &'static str {
        match self.kind.as_str() {
            "deployment" => "Deployment",
            "daemonset" => "DaemonSet",
            "statefulset" => "StatefulSet",
            "replicaset" => "ReplicaSet",
            "job" => "Job",
            "replicationcontroller" => "ReplicationController",
            _ => "Pod",
        }
    }

    /// True when the workload has a mutable pod template at `/spec/template/spec` (a patch there rolls
    /// out new pods); false for bare pods and Jobs, which must be recreated.
    pub fn has_mutable_template(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "deployment" | "daemonset" | "statefulset" | "replicaset" | "replicationcontroller"
        )
    }
}

impl Pod {
    /// The workload whose template made this pod. A ReplicaSet whose name ends in the pod's
    /// `pod-template-hash` belongs to the Deployment of the same name without that suffix.
    pub fn workload(&self) -> Workload {
        let Some(owner) = self.metadata.owner_references.first() else {
            return Workload {
                kind: "pod".into(),
                name: self.name().to_string(),
            };
        };
        let kind = match owner.kind.as_str() {
            "ReplicaSet" => {
                if let Some(deployment) = self
                    .metadata
                    .labels
                    .get("pod-template-hash")
                    .and_then(|hash| owner.name.strip_suffix(&format!("-{hash}")))
                {
                    return Workload {
                        kind: "deployment".into(),
                        name: deployment.to_string(),
                    };
                }
                "replicaset"
            }
            "DaemonSet" => "daemonset",
            "StatefulSet" => "statefulset",
            "Job" => "job",
            "ReplicationController" => "replicationcontroller",
            _ => {
                return Workload {
                    kind: "pod".into(),
                    name: self.name().to_string(),
                }
            }
        };
        Workload {
            kind: kind.into(),
            name: owner.name.clone(),
        }
    }

    /// Running with every container ready.
    pub fn is_running_ready(&self) -> bool {
        self.status.phase.as_deref() == Some("Running")
            && !self.status.container_statuses.is_empty()
            && self.status.container_statuses.iter().all(|c| c.ready)
    }

    /// No container of the pod ever started: it is Pending without container states, or every
    /// container waits (other than in CrashLoopBackOff) without a restart. A container that started
    /// ran on its node, so its image suits that node's OS.
    pub fn never_started(&self) -> bool {
        let statuses: Vec<&super::k8s::ContainerStatus> = self
            .status
            .init_container_statuses
            .iter()
            .chain(self.status.container_statuses.iter())
            .collect();
        if statuses.is_empty() {
            return self.status.phase.as_deref() == Some("Pending");
        }
        statuses.iter().all(|s| {
            s.restart_count == 0
                && s.state.running.is_none()
                && s.state.terminated.is_none()
                && s.state
                    .waiting
                    .as_ref()
                    .is_none_or(|w| w.reason.as_deref() != Some("CrashLoopBackOff"))
        })
    }

    /// Containers (init containers first) that wait, with the reason and message kubelet gave.
    pub fn waiting_containers(
        &self,
    ) -> impl Iterator<Item = (&super::k8s::ContainerStatus, &super::k8s::StateDetail)> {
        self.status
            .init_container_statuses
            .iter()
            .chain(self.status.container_statuses.iter())
            .filter_map(|c| c.state.waiting.as_ref().map(|w| (c, w)))
    }

    /// A one-line summary of the pod's state for evidence: phase, reason, waiting containers.
    pub fn state_summary(&self) -> String {
        let mut s = format!(
            "phase={}",
            self.status.phase.as_deref().unwrap_or("unknown")
        );
        if let Some(r) = &self.status.reason {
            s.push_str(&format!(" reason={r}"));
        }
        for (c, w) in self.waiting_containers() {
            s.push_str(&format!(
                " container {} waiting: {}",
                c.name,
                w.reason.as_deref().unwrap_or("unknown")
            ));
            if let Some(m) = &w.message {
                s.push_str(&format!(" ({})", clip(m, 300)));
            }
        }
        s
    }
}

impl Event {
    pub fn is_warning(&self) -> bool {
        self.type_.eq_ignore_ascii_case("warning")
    }

    /// `(namespace, name)` of the pod the event is about, if it is about a pod.
    pub fn pod_key(&self) -> Option<(&str, &str)> {
        let o = &self.involved_object;
        (o.kind == "Pod").then(|| (o.namespace.as_deref().unwrap_or("default"), o.name.as_str()))
    }

    /// The event as evidence shows it: reason, repeat count, time, source host and message (long
    /// runtime messages are clipped).
    pub fn excerpt(&self) -> String {
        let mut s = self.reason.clone();
        if let Some(n) = self.count.filter(|n| *n > 1) {
            s.push_str(&format!(" (x{n})"));
        }
        if let Some(t) = self.when() {
            s.push_str(&format!(" at {t}"));
        }
        if let Some(h) = self.host() {
            s.push_str(&format!(" on {h}"));
        }
        s.push_str(": ");
        s.push_str(&clip(&self.message, 600));
        s
    }
}

/// Pods by `(namespace, name)`, for finding the pod (and so the node) an event is about.
pub struct PodIndex<'a> {
    by_key: std::collections::HashMap<(&'a str, &'a str), &'a Pod>,
}

impl<'a> PodIndex<'a> {
    pub fn new(pods: &'a [Pod]) -> Self {
        PodIndex {
            by_key: pods
                .iter()
                .map(|p| ((p.namespace(), p.name()), p))
                .collect(),
        }
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&'a Pod> {
        self.by_key.get(&(namespace, name)).copied()
    }

    /// The pod an event is about, if it is about a pod that still exists.
    pub fn of_event(&self, event: &Event) -> Option<&'a Pod> {
        let (namespace, name) = event.pod_key()?;
        self.get(namespace, name)
    }

    /// The node an event happened on: the node of the pod it is about, else the host that reported it
    /// (by name, else the first `same_host`).
    pub fn event_node<'n>(&self, event: &Event, nodes: &NodeIndex<'n>) -> Option<&'n Node> {
        let host = self
            .of_event(event)
            .and_then(|p| p.node_name())
            .or_else(|| event.host())?;
        nodes.named(host)
    }
}

/// Groups `events` by the nodes among `nodes` that each happened on: the host that reported it, and
/// (with `pods`) the node of the pod it is about, both compared with `same_host`. One pass over the
/// events with a short-name index of the nodes, so it stays linear on big clusters (a per-node scan
/// of all events costs nodes x events). Nodes come in the order given, each with its events in the
/// order given; nodes without events are left out.
pub fn events_by_node<'n, 'e>(
    nodes: &[&'n Node],
    events: impl IntoIterator<Item = &'e Event>,
    pods: Option<&PodIndex<'_>>,
) -> Vec<(&'n Node, Vec<&'e Event>)> {
    fn short_lower(name: &str) -> String {
        name.trim()
            .split('.')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    }
    let mut by_short: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        by_short
            .entry(short_lower(node.name()))
            .or_default()
            .push(i);
    }
    let mut grouped: Vec<Vec<&'e Event>> = vec![Vec::new(); nodes.len()];
    let mut hits: Vec<usize> = Vec::new();
    for event in events {
        hits.clear();
        let pod_node = pods
            .and_then(|index| index.of_event(event))
            .and_then(Pod::node_name);
        for host in event.host().into_iter().chain(pod_node) {
            for &i in by_short.get(&short_lower(host)).into_iter().flatten() {
                if same_host(host, nodes[i].name()) && !hits.contains(&i) {
                    hits.push(i);
                }
            }
        }
        for &i in &hits {
            grouped[i].push(event);
        }
    }
    nodes
        .iter()
        .zip(grouped)
        .filter(|(_, events)| !events.is_empty())
        .map(|(node, events)| (*node, events))
        .collect()
}

/// `text` cut to at most `max` characters (on a character boundary), marked with `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
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
pub struct PodLookup<'a> {
    pods: &'a [Pod],
    by_namespace: HashMap<&'a str, Vec<u32>>,
    by_node: HashMap<&'a str, Vec<u32>>,
    by_label: HashMap<(&'a str, &'a str, &'a str), Vec<u32>>,
}

impl<'a> PodLookup<'a> {
    pub fn new(pods: &'a [Pod]) -> Self {
        let mut index = PodLookup {
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

    /// The same pods as `service.windows_backends(pods, windows_nodes)`, in the same order, without
    /// scanning every pod per Service or every Windows node per pod.
    pub fn windows_backends(&self, service: &Service, windows_nodes: &HostSet) -> Vec<&'a Pod> {
        self.backends(service)
            .into_iter()
            .filter(|p| match p.node_name() {
                Some(n) => windows_nodes.contains(n),
                None => p.spec.targets_windows(),
            })
            .collect()
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

/// Service helpers for the checks about reaching Services from a Windows node itself.
impl Service {
    /// The type, `ClusterIP` when unset.
    pub fn service_type(&self) -> &str {
        self.spec.type_.as_deref().unwrap_or("ClusterIP")
    }

    /// Ports with an allocated nodePort (Services of type NodePort or LoadBalancer).
    pub fn node_ports(&self) -> Vec<&super::k8s::ServicePort> {
        self.spec
            .ports
            .iter()
            .filter(|p| p.node_port.is_some_and(|n| n > 0))
            .collect()
    }

    /// The ClusterIP, unless the Service is headless (`None`) or has none (ExternalName).
    pub fn cluster_ip_address(&self) -> Option<&str> {
        self.spec
            .cluster_ip
            .as_deref()
            .map(str::trim)
            .filter(|ip| !ip.is_empty() && !ip.eq_ignore_ascii_case("none"))
    }

    /// Backends that run Windows: scheduled on one of `windows_nodes`, or not yet scheduled and
    /// selecting Windows.
    pub fn windows_backends<'a>(&'a self, pods: &'a [Pod], windows_nodes: &[&str]) -> Vec<&'a Pod> {
        self.backends(pods)
            .filter(|p| match p.node_name() {
                Some(n) => windows_nodes.iter().any(|w| same_host(w, n)),
                None => p.spec.targets_windows(),
            })
            .collect()
    }
}

/// A set of node names answering `same_host` membership in constant time: exact names (any case),
/// and a short name against an FQDN either way round.
#[derive(Debug, Default)]
pub struct HostSet {
    full: HashSet<String>,
    short_of_fqdn: HashSet<String>,
    short_names: HashSet<String>,
}

impl HostSet {
    pub fn new<'n>(names: impl IntoIterator<Item = &'n str>) -> Self {
        let mut set = HostSet::default();
        for name in names {
            let lower = name.trim().to_ascii_lowercase();
            match lower.split_once('.') {
                Some((short, _)) => {
                    set.short_of_fqdn.insert(short.to_string());
                }
                None => {
                    set.short_names.insert(lower.clone());
                }
            }
            set.full.insert(lower);
        }
        set
    }

    /// True when some name in the set is the `same_host` as `name`.
    pub fn contains(&self, name: &str) -> bool {
        let lower = name.trim().to_ascii_lowercase();
        if self.full.contains(&lower) {
            return true;
        }
        match lower.split_once('.') {
            Some((short, _)) => self.short_names.contains(short),
            None => self.short_of_fqdn.contains(&lower),
        }
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

impl super::k8s::ServicePort {
    /// TCP unless another protocol is named.
    pub fn is_tcp(&self) -> bool {
        self.protocol
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case("TCP"))
    }

    /// `80/TCP`, `53/UDP`.
    pub fn display(&self) -> String {
        format!(
            "{}/{}",
            self.port,
            self.protocol.as_deref().unwrap_or("TCP")
        )
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn events_are_grouped_by_the_nodes_they_happened_on() {
        let nodes: Vec<Node> = serde_json::from_str(
            r#"[{"metadata":{"name":"WIN-1.corp.example.com"}},{"metadata":{"name":"win-2"}},
                {"metadata":{"name":"win-1.lab.example.com"}},{"metadata":{"name":"win-3"}}]"#,
        )
        .expect("nodes");
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"namespace":"a","name":"p"},"spec":{"nodeName":"win-2"}}]"#,
        )
        .expect("pods");
        let events: Vec<Event> = serde_json::from_str(
            r#"[{"message":"1","involvedObject":{"kind":"Pod","namespace":"a","name":"p"}},
                {"message":"2","involvedObject":{"kind":"Node","name":"x"},"source":{"host":"win-1"}},
                {"message":"3","involvedObject":{"kind":"Node","name":"x"},"source":{"host":"linux-1"}},
                {"message":"4","involvedObject":{"kind":"Pod","namespace":"a","name":"p"},"source":{"host":"WIN-2"}},
                {"message":"5","involvedObject":{"kind":"Node","name":"x"},"reportingInstance":"win-2.corp"}]"#,
        )
        .expect("events");
        let refs: Vec<&Node> = nodes.iter().collect();
        let messages = |groups: Vec<(&Node, Vec<&Event>)>| -> Vec<(String, Vec<String>)> {
            groups
                .into_iter()
                .map(|(n, es)| {
                    let ms = es.iter().map(|e| e.message.clone()).collect();
                    (n.name().to_string(), ms)
                })
                .collect()
        };
        let pod_index = PodIndex::new(&pods);
        let with_pods = messages(events_by_node(&refs, &events, Some(&pod_index)));
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            with_pods,
            vec![
                // A short host name matches every FQDN of that name, each once.
                ("WIN-1.corp.example.com".to_string(), s(&["2"])),
                // By the pod's node, by host (case-insensitive) once although both match, and by
                // the reporting instance's FQDN.
                ("win-2".to_string(), s(&["1", "4", "5"])),
                ("win-1.lab.example.com".to_string(), s(&["2"])),
            ]
        );
        let hosts_only = messages(events_by_node(&refs, &events, None));
        assert_eq!(hosts_only[1], ("win-2".to_string(), s(&["4", "5"])));
        assert!(events_by_node(&refs, &events[2..3], None).is_empty());
    }

    #[test]
    fn host_set_agrees_with_same_host() {
        let nodes = ["win-1", "WIN-2.corp.example.com", "linux-1", "win-10"];
        let set = HostSet::new(nodes);
        for probe in [
            "win-1",
            "WIN-1",
            "win-1.corp.example.com",
            "win-2",
            "win-2.other.com",
            "win-2.corp.example.com",
            "win-3",
            "win-10",
            "win",
            "linux-1.x",
        ] {
            let expected = nodes.iter().any(|n| same_host(n, probe));
            assert_eq!(set.contains(probe), expected, "{probe}");
        }
    }

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
    fn same_host_matches_its_allocating_definition() {
        fn reference(a: &str, b: &str) -> bool {
            let (a, b) = (a.trim().to_ascii_lowercase(), b.trim().to_ascii_lowercase());
            if a == b {
                return true;
            }
            let short = |s: &str| s.split('.').next().unwrap_or("").to_string();
            (a.contains('.') != b.contains('.')) && short(&a) == short(&b)
        }
        let names = [
            "",
            " ",
            ".",
            "win-1",
            "WIN-1",
            " win-1 ",
            "win-1.",
            "win-1.corp",
            "WIN-1.Corp.example.com",
            "win-10",
            "win",
            "Ünï-1",
            "ünï-1.x",
            "a.b",
            "A.B",
            "a.c",
            ".a",
            "a..b",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_host(a, b), reference(a, b), "{a:?} ~ {b:?}");
            }
        }
    }

    #[test]
    fn pod_lookup_agrees_with_the_linear_helpers() {
        let pods = vec![
            pod("a", "web-1", "n1", &[("app", "web"), ("tier", "front")]),
            pod("a", "web-2", "n2", &[("app", "web")]),
            pod("b", "web-3", "n1", &[("app", "web"), ("tier", "front")]),
            pod("a", "db-1", "n1", &[("app", "db"), ("tier", "front")]),
            pod("a", "web-4", "n2", &[("app", "web"), ("tier", "front")]),
        ];
        let index = PodLookup::new(&pods);
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

    #[test]
    fn workloads_of_pods_name_the_object_that_holds_the_template() {
        let pod = |meta: &str| -> Pod {
            serde_json::from_str(&format!(r#"{{"metadata":{meta}}}"#)).expect("pod")
        };
        let w = pod(
            r#"{"name":"web-5f7b8c9d6-zzzzz","labels":{"pod-template-hash":"5f7b8c9d6"},
            "ownerReferences":[{"kind":"ReplicaSet","name":"web-5f7b8c9d6"}]}"#,
        )
        .workload();
        assert_eq!(w.reference(), "deployment/web");
        assert!(w.has_mutable_template());
        let w = pod(r#"{"name":"x-abc","ownerReferences":[{"kind":"ReplicaSet","name":"x"}]}"#)
            .workload();
        assert_eq!(w.reference(), "replicaset/x");
        let w = pod(
            r#"{"name":"kube-proxy-win-1","ownerReferences":[{"kind":"Node","name":"win-1"}]}"#,
        )
        .workload();
        assert_eq!(w.reference(), "pod/kube-proxy-win-1");
        assert_eq!(w.kind_title(), "Pod");
        assert!(!w.has_mutable_template());
        let w = pod(r#"{"name":"j-1","ownerReferences":[{"kind":"Job","name":"j"}]}"#).workload();
        assert!(!w.has_mutable_template());
    }

    #[test]
    fn events_are_placed_on_the_pod_node_or_their_source_host() {
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"name":"p","namespace":"a"},"spec":{"nodeName":"win-1.corp.example.com"}}]"#,
        )
        .expect("pods");
        let nodes: Vec<Node> = serde_json::from_str(
            r#"[{"metadata":{"name":"win-1.corp.example.com"}},{"metadata":{"name":"win-2"}}]"#,
        )
        .expect("nodes");
        let index = PodIndex::new(&pods);
        let node_index = NodeIndex::new(&nodes);
        let on_pod: Event = serde_json::from_str(
            r#"{"involvedObject":{"kind":"Pod","namespace":"a","name":"p"},"source":{"host":"elsewhere"}}"#,
        )
        .expect("event");
        assert_eq!(
            index.event_node(&on_pod, &node_index).map(|n| n.name()),
            Some("win-1.corp.example.com")
        );
        let gone: Event = serde_json::from_str(
            r#"{"involvedObject":{"kind":"Pod","namespace":"a","name":"deleted"},"source":{"host":"WIN-2"}}"#,
        )
        .expect("event");
        assert_eq!(
            index.event_node(&gone, &node_index).map(|n| n.name()),
            Some("win-2")
        );
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip(" ab ", 3), "ab");
    }
}
