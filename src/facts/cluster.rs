//! Facts read from the cluster API (or a bundle's `cluster/` part), one slot per row of the input
//! table, and the Kubernetes semantics of those objects that checks share: which nodes run Windows,
//! matching node names in FQDN or short form, which pods target Windows, workloads, events.

use super::k8s::{Event, Node, Pod, PodLog, PodSpec, Service, WindowsOptions};
use super::versions::Version;
use super::windows;
use super::{Input, InputOutcome};
use foldhash::HashSet;
use std::borrow::Cow;

macro_rules! define_cluster_facts {
    ($($name:ident: $ty:ty, $fetch:expr, $bundle:literal, $kubectl:literal, $kind:literal, $api:literal;)*) => {
        /// The cluster inputs, one slot per row of the input table (`crate::inputs`).
        #[derive(Debug, Default)]
        pub struct ClusterFacts {
            /// Where the cluster facts came from, for the report header: `context (server)` or a path.
            pub origin: Option<String>,
            $(pub $name: Input<$ty>,)*
            /// Pod logs captured in a bundle (optional; empty when none).
            pub logs: Vec<PodLog>,
            /// Pod logs that are in the bundle but could not be read: (path, why).
            pub unreadable_logs: Vec<(String, String)>,
        }

        /// One cluster input as a source delivers it.
        #[allow(non_camel_case_types)]
        #[derive(Debug)]
        pub enum ClusterInput {
            $($name(Input<$ty>),)*
        }

        impl ClusterFacts {
            /// True when at least one cluster input could be read.
            pub fn any_ready(&self) -> bool {
                false $(|| self.$name.is_ready())*
            }

            /// True when at least one cluster list could be read (`/version` alone answers that a
            /// server is there, not what is in the cluster).
            pub fn any_list_ready(&self) -> bool {
                false $(|| (!matches!($fetch, crate::facts::inputs::Fetch::Version) && self.$name.is_ready()))*
            }

            /// Marks every cluster input as failed for the same reason (no connection).
            pub fn fail_all(&mut self, why: &str) {
                $(self.$name = Input::Failed(why.to_string());)*
            }

            /// Puts an arrived input into its slot and says how it went.
            pub fn store(&mut self, arrived: ClusterInput) -> (&'static str, InputOutcome) {
                match arrived {
                    $(ClusterInput::$name(v) => {
                        let out = v.outcome();
                        self.$name = v;
                        (stringify!($name), out)
                    })*
                }
            }

            /// How the input `name` stands, if it is a cluster input.
            pub fn outcome_of(&self, name: &str) -> Option<InputOutcome> {
                match name {
                    $(stringify!($name) => Some(self.$name.outcome()),)*
                    _ => None,
                }
            }
        }
    };
}
crate::cluster_inputs!(define_cluster_facts);

impl ClusterFacts {
    pub fn server_semver(&self) -> Option<Version> {
        let v = self.version.ready()?;
        // `/version` without gitVersion still has major and minor (`"1"`, `"28+"`).
        super::versions::parse(&v.git_version)
            .or_else(|| super::versions::parse(&format!("{}.{}", v.major, v.minor)))
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

/// `nodes` by their exact name, the first of a name (in list order) winning, as a linear
/// `find(|n| n.name() == name)` answers: a lookup per pod instead of a pass over the nodes.
pub fn nodes_by_exact_name<'a>(nodes: &[&'a Node]) -> foldhash::HashMap<&'a str, &'a Node> {
    // Inserted last to first, so that the first node of a name is the one kept.
    nodes.iter().rev().map(|n| (n.name(), *n)).collect()
}

/// `name.trim()`, answered without decoding characters when the name starts and ends with a
/// printable ASCII byte (as node names do): checks ask this of every pod's node name.
fn trim_name(name: &str) -> &str {
    let printable = |b: Option<&u8>| b.is_some_and(|&b| (0x21..0x7f).contains(&b));
    let bytes = name.as_bytes();
    if printable(bytes.first()) && printable(bytes.last()) {
        name
    } else {
        name.trim()
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
        let trimmed = trim_name(name);
        let lower: Cow<str> = if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(trimmed.to_ascii_lowercase())
        } else {
            Cow::Borrowed(trimmed)
        };
        if self.full.contains(lower.as_ref()) {
            return true;
        }
        match lower.split_once('.') {
            Some((short, _)) => self.short_names.contains(short),
            None => self.short_of_fqdn.contains(lower.as_ref()),
        }
    }
}

pub const OS_LABEL: &str = "kubernetes.io/os";
pub const OS_LABEL_BETA: &str = "beta.kubernetes.io/os";
pub const BUILD_LABEL: &str = "node.kubernetes.io/windows-build";

impl Node {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn is_windows(&self) -> bool {
        self.windows.get_or(|| {
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
        })
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

    pub fn kubelet_semver(&self) -> Option<Version> {
        super::versions::parse(&self.status.node_info.kubelet_version)
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
        self.os_selector_given(|key| self.node_selector.get(key).map(String::as_str))
    }

    /// [`PodSpec::os_selector`] for a spec whose node selector gives `selected(key)` (the pod
    /// sieve reads it from the pod's head, `facts::pod_head::HeadParts`).
    pub fn os_selector_given<'s>(&self, selected: impl Fn(&str) -> Option<&'s str>) -> OsTarget {
        for key in [OS_LABEL, OS_LABEL_BETA] {
            if let Some(v) = selected(key) {
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
        self.targets_windows_with(is_windows_image)
    }

    /// [`PodSpec::targets_windows`], asking `windows_image` whether an image is a Windows one
    /// (the pod sieve remembers the answer per image).
    pub fn targets_windows_with(&self, windows_image: impl FnMut(&str) -> bool) -> bool {
        self.targets_windows_given(
            |key| self.node_selector.get(key).map(String::as_str),
            self.containers.iter().map(|c| c.image.as_str()),
            windows_image,
        )
    }

    /// [`PodSpec::targets_windows_with`] for a spec whose node selector gives `selected(key)` and
    /// whose containers' images are `images` (the pod sieve reads both from the pod's head,
    /// `facts::pod_head::HeadParts`).
    pub fn targets_windows_given<'s, 'i>(
        &self,
        selected: impl Fn(&str) -> Option<&'s str>,
        images: impl IntoIterator<Item = &'i str>,
        mut windows_image: impl FnMut(&str) -> bool,
    ) -> bool {
        self.declared_os()
            .is_some_and(|o| o.eq_ignore_ascii_case("windows"))
            || self.os_selector_given(selected) == OsTarget::Windows
            || images.into_iter().any(&mut windows_image)
    }

    pub fn all_containers(&self) -> impl Iterator<Item = &super::k8s::Container> {
        self.init_containers.iter().chain(self.containers.iter())
    }

    /// True for HostProcess pods (pod- or container-level `windowsOptions.hostProcess`).
    pub fn host_process(&self) -> bool {
        self.pod_level_host_process() || self.containers_host_process()
    }

    /// The containers' half of [`PodSpec::host_process`]: an init container or a container asks
    /// for it.
    pub fn containers_host_process(&self) -> bool {
        self.all_containers().any(|c| {
            WindowsOptions::ask_host_process(
                c.security_context
                    .as_ref()
                    .and_then(|s| s.windows_options.as_ref()),
            )
        })
    }

    /// The pod-level half of [`PodSpec::host_process`] (`securityContext.windowsOptions`).
    pub fn pod_level_host_process(&self) -> bool {
        WindowsOptions::ask_host_process(
            self.security_context
                .as_ref()
                .and_then(|s| s.windows_options.as_ref()),
        )
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

/// The image is a Windows one: its tag names a Windows release, or its repository only ever holds
/// Windows images.
pub fn is_windows_image(image: &str) -> bool {
    windows::image_release(image).is_some() || is_windows_image_name(image)
}

/// Image repositories that only ever hold Windows images (`checks/data/images.toml`).
pub fn is_windows_image_name(image: &str) -> bool {
    crate::catalogue::data::images().is_windows_only(image)
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
    pub kind: &'static str,
    pub name: String,
}

impl Workload {
    /// `kind/name`, as `kubectl -n NS patch KIND/NAME` takes it.
    pub fn reference(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// The API kind, as subjects name it: `Deployment`, `DaemonSet`, ..., `Pod`.
    pub fn kind_title(&self) -> &'static str {
        match self.kind {
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
            self.kind,
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
                kind: "pod",
                name: self.name().to_string(),
            };
        };
        let kind = match owner.kind.as_str() {
            "ReplicaSet" => {
                if let Some(deployment) = self
                    .metadata
                    .labels
                    .get("pod-template-hash")
                    .and_then(|hash| owner.name.strip_suffix(hash.as_str()))
                    .and_then(|rest| rest.strip_suffix('-'))
                {
                    return Workload {
                        kind: "deployment",
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
                    kind: "pod",
                    name: self.name().to_string(),
                }
            }
        };
        Workload {
            kind,
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

    use super::*;

    #[test]
    fn names_are_trimmed_as_str_trim_trims_them() {
        let names = [
            "akswin000001",
            " akswin000001",
            "akswin000001\n",
            "\u{b}win-1\u{b}",
            "\u{a0}win-1",
            "win-1\u{3000}",
            "",
            " ",
            "é",
            "ip-10-0-1-23.ec2.internal",
        ];
        for name in names {
            assert_eq!(trim_name(name), name.trim(), "{name:?}");
        }
        let set = HostSet::new(["WIN-1.corp.example.com"]);
        assert!(set.contains("win-1\u{b}"));
        assert!(set.contains(" Win-1 "));
        assert!(!set.contains("win-2"));
    }

    #[test]
    fn nodes_by_exact_name_answers_as_the_first_match_of_a_linear_find() {
        let node = |name: &str, build: &str| -> Node {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": name, "labels": {"node.kubernetes.io/windows-build": build}}
            }))
            .expect("a node")
        };
        let listed = [
            node("win-1", "first"),
            node("WIN-2.corp", "b"),
            node("win-1", "second"),
        ];
        let nodes: Vec<&Node> = listed.iter().collect();
        let map = nodes_by_exact_name(&nodes);
        for name in ["win-1", "WIN-2.corp", "win-2", "WIN-1", "absent", ""] {
            let linear = nodes.iter().find(|n| n.name() == name).copied();
            assert_eq!(
                map.get(name).map(|n| std::ptr::from_ref::<Node>(n)),
                linear.map(std::ptr::from_ref::<Node>),
                "{name}"
            );
        }
        assert_eq!(map.len(), 2);
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
}
