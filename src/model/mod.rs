//! The model: what checks share, derived from the facts once instead of once per check.
//!
//! A run holds a [`World`]: the facts as they arrive, and per node part a [`node::NodeModel`] built
//! once when the node part arrives (components, kubelet settings, containerd and CNI configuration,
//! flannel's files, each parsed once). Checks run in batches as inputs arrive; each batch sees a
//! [`Model`] over the world, whose derived parts (the Windows nodes, indexes of pods, nodes and
//! events, the IP plan, the flannel ConfigMap) are built on first use and shared by every check of
//! the batch. Checks read the model through `Eval`; the environment summary for the reports is
//! derived here too ([`environment`]).

pub mod environment;
pub mod index;
pub mod layout;
pub mod netplan;
pub mod node;
pub mod signatures;

use crate::facts::cluster::ClusterInput;
use crate::facts::k8s::{ConfigMap, Event, Node, Pod};
use crate::facts::network::{self, NetConf};
use crate::facts::node::cmdline;
use crate::facts::{Facts, InputOutcome};
use crate::findings::Evidence;
use index::{HostSet, NodeIndex, NodeTable, PodIndex, PodLookup, PodTable};
use netplan::ClusterPlan;
use node::{NodeModel, NodeView};
use std::net::IpAddr;
use std::sync::OnceLock;

/// Everything a run has gathered: the facts, the model of each node part, and what is derived
/// from the cluster lists, each part built on first use and kept until its inputs change.
#[derive(Debug, Default)]
pub struct World {
    pub facts: Facts,
    /// The local node part's model, when the facts have a node part.
    local: Option<NodeModel>,
    /// The models of the other nodes' parts, one per `facts.remote_nodes` entry.
    remote: Vec<NodeModel>,
    derived: Derived,
}

/// The parts derived from cluster inputs, each built once on first use.
#[derive(Debug, Default)]
struct Derived {
    /// Positions of the Windows nodes in the node list.
    windows: OnceLock<Vec<u32>>,
    node_table: OnceLock<NodeTable>,
    pod_table: OnceLock<PodTable>,
    windows_hosts: OnceLock<HostSet>,
    plan: OnceLock<ClusterPlan>,
    cluster_net_conf: OnceLock<Option<(String, NetConf)>>,
    /// Objects carrying `windoctor.io/ignore`, by (kind, namespace, name): the checks and parts
    /// the annotation names. Pods also lend theirs to their workload.
    ignores: OnceLock<std::collections::HashMap<(String, String, String), Vec<String>>>,
    /// The failure signatures seen in events, pod logs and container messages about Windows nodes.
    signature_hits: OnceLock<Vec<signatures::Hit>>,
    /// The events' signatures, when a live run matched them ahead (`World::store_event_signatures`).
    event_signatures: Option<signatures::EventSignatures>,
    /// How many times an events list was stored: matches made ahead for an earlier list are not
    /// kept.
    events_stored: u64,
}

impl World {
    /// A world over `facts`, with the node part (if any) modelled once.
    pub fn new(facts: Facts) -> World {
        let mut world = World {
            facts,
            local: None,
            remote: Vec::new(),
            derived: Derived::default(),
        };
        world.node_part_changed();
        world
    }

    /// Rebuilds the node models after the node parts of the facts were replaced. A part of
    /// another node that is the local machine's Node is merged into the local part first.
    pub fn node_part_changed(&mut self) {
        merge_local_into_one(&mut self.facts);
        self.local = self
            .facts
            .node
            .present
            .then(|| NodeModel::build(&self.facts.node));
        self.remote = self
            .facts
            .remote_nodes
            .iter()
            .map(NodeModel::build)
            .collect();
    }

    /// Stores the node parts read through the API (or collected by the fleet) for other nodes,
    /// replacing earlier ones of the same Node, and models them.
    pub fn store_remote_nodes(&mut self, parts: Vec<crate::facts::NodeFacts>) {
        for part in parts {
            let name = part.node_name.clone();
            self.facts.remote_nodes.retain(|p| p.node_name != name);
            self.facts.remote_nodes.push(part);
        }
        self.facts
            .remote_nodes
            .sort_by(|a, b| a.node_name.cmp(&b.node_name));
        self.node_part_changed();
    }

    /// The lines of the events list now stored, to match ahead of the hits off the run's main path
    /// (`signatures::match_events`), with the list's generation for
    /// [`World::store_event_signatures`].
    pub fn event_lines(&self) -> (u64, Vec<Option<String>>) {
        let events = self.facts.cluster.events.ready().map(Vec::as_slice);
        (
            self.derived.events_stored,
            signatures::event_lines(events.unwrap_or(&[])),
        )
    }

    /// Keeps the signatures of the events matched ahead from [`World::event_lines`] of generation
    /// `generation`; matches of a list stored before the current one are dropped.
    pub fn store_event_signatures(
        &mut self,
        generation: u64,
        matched: signatures::EventSignatures,
    ) {
        if generation == self.derived.events_stored {
            self.derived.event_signatures = Some(matched);
        }
    }

    /// Keeps the pod table a live run built while its pods arrived (`PodTable::add_pod`), when it
    /// is the table of the pod list now stored: the checks then find it ready instead of building
    /// it once every pod is in (at 150,000 pods, tens of milliseconds before any pod check starts).
    /// Any other table is dropped, and the checks build theirs as before.
    pub fn store_pod_table(&mut self, table: PodTable) {
        let Some(pods) = self.facts.cluster.pods.ready() else {
            return;
        };
        if table.covers(pods.len()) {
            self.derived.pod_table = OnceLock::from(table);
        }
    }

    /// Stores an arrived cluster input and forgets what was derived from the old value.
    pub fn store(&mut self, arrived: ClusterInput) -> (&'static str, InputOutcome) {
        let (name, outcome) = self.facts.cluster.store(arrived);
        let d = &mut self.derived;
        match name {
            "nodes" | "pods" | "events" => d.signature_hits = OnceLock::new(),
            _ => {}
        }
        if name == "events" {
            d.event_signatures = None;
            d.events_stored += 1;
        }
        match name {
            "nodes" => {
                d.windows = OnceLock::new();
                d.node_table = OnceLock::new();
                d.windows_hosts = OnceLock::new();
                d.ignores = OnceLock::new();
            }
            "pods" => {
                d.pod_table = OnceLock::new();
                d.plan = OnceLock::new();
                d.ignores = OnceLock::new();
            }
            "services" | "daemonsets" => d.ignores = OnceLock::new(),
            "configmaps" => {
                d.plan = OnceLock::new();
                d.cluster_net_conf = OnceLock::new();
            }
            _ => {}
        }
        (name, outcome)
    }
}

/// The view of a world that checks read: cheap to copy, every derived part shared through the
/// world.
#[derive(Clone, Copy)]
pub struct Model<'a> {
    facts: &'a Facts,
    local: Option<&'a NodeModel>,
    remote: &'a [NodeModel],
    derived: &'a Derived,
}

impl<'a> Model<'a> {
    pub fn new(world: &'a World) -> Model<'a> {
        Model {
            facts: &world.facts,
            local: world.local.as_ref(),
            remote: &world.remote,
            derived: &world.derived,
        }
    }

    /// The facts, for the `Eval` accessors that record a skip or error when an input is absent.
    pub(crate) fn facts(&self) -> &'a Facts {
        self.facts
    }

    fn pods_slice(&self) -> &'a [Pod] {
        self.facts
            .cluster
            .pods
            .ready()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn nodes_slice(&self) -> &'a [Node] {
        self.facts
            .cluster
            .nodes
            .ready()
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The failure signatures seen in the cluster's text sources about Windows nodes (events,
    /// pod logs, container termination and waiting messages), matched once.
    pub fn cluster_signature_hits(&self) -> &'a [signatures::Hit] {
        let facts = self.facts;
        let model = *self;
        self.derived.signature_hits.get_or_init(|| {
            let hosts = model.windows_hosts();
            // The pods on Windows nodes, among the pods the sieve kept whole (it keeps every pod
            // on a node named like a Windows node); events and logs name their pod, which is
            // looked for among them by namespace and name (a set of the Windows share).
            let windows_pods: Vec<&Pod> = model
                .pod_lookup()
                .kept_whole()
                .filter(|p| p.node_name().is_some_and(|n| hosts.contains(n)))
                .collect();
            let by_name: foldhash::HashSet<(&str, &str)> = windows_pods
                .iter()
                .map(|p| (p.namespace(), p.name()))
                .collect();
            let on_windows = |ns: &str, name: &str| by_name.contains(&(ns, name));
            signatures::scan_cluster(
                facts
                    .cluster
                    .events
                    .ready()
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
                model.derived.event_signatures.as_ref(),
                &windows_pods,
                &facts.cluster.logs,
                &|n: &str| hosts.contains(n),
                &on_windows,
            )
        })
    }

    /// Whether [`Model::cluster_signature_hits`] are matched already (asking for them then costs
    /// nothing).
    pub fn has_cluster_signature_hits(&self) -> bool {
        self.derived.signature_hits.get().is_some()
    }

    /// The Windows nodes, in list order (empty when nodes could not be read).
    pub fn windows_nodes(&self) -> Vec<&'a Node> {
        let nodes = self.nodes_slice();
        self.derived
            .windows
            .get_or_init(|| {
                (0u32..)
                    .zip(nodes)
                    .filter(|(_, n)| n.is_windows())
                    .map(|(i, _)| i)
                    .collect()
            })
            .iter()
            .filter_map(|i| nodes.get(*i as usize))
            .collect()
    }

    /// Nodes by name, FQDN or short, any case.
    pub fn node_index(&self) -> NodeIndex<'a> {
        let nodes = self.nodes_slice();
        let table = self
            .derived
            .node_table
            .get_or_init(|| NodeTable::new(nodes));
        NodeIndex::over(nodes, table)
    }

    fn pod_table(&self) -> &'a PodTable {
        let pods = self.pods_slice();
        self.derived.pod_table.get_or_init(|| PodTable::new(pods))
    }

    /// Pods by `(namespace, name)`.
    pub fn pod_index(&self) -> PodIndex<'a> {
        PodIndex::over(self.pods_slice(), self.pod_table())
    }

    /// Pods by node, namespace and label.
    pub fn pod_lookup(&self) -> PodLookup<'a> {
        PodLookup::over(self.pods_slice(), self.pod_table())
    }

    /// The names of the Windows nodes as a constant-time `same_host` set.
    pub fn windows_hosts(&self) -> &'a HostSet {
        self.derived
            .windows_hosts
            .get_or_init(|| HostSet::new(self.windows_nodes().iter().map(|n| n.name())))
    }

    /// The Node named `name` (exact, else FQDN/short name without regard to case).
    pub fn node_named(&self, name: &str) -> Option<&'a Node> {
        self.node_index().named(name)
    }

    /// Groups `events` by the nodes among `nodes` that each happened on; with `by_pod`, an event
    /// about a pod also counts for the pod's node.
    pub fn events_by_node<'e>(
        &self,
        nodes: &[&'a Node],
        events: impl IntoIterator<Item = &'e Event>,
        by_pod: bool,
    ) -> Vec<(&'a Node, Vec<&'e Event>)> {
        let pods = (by_pod && self.facts.cluster.pods.is_ready()).then(|| self.pod_index());
        index::events_by_node(nodes, events, pods.as_ref())
    }

    /// Everything the cluster's sources say about the service and cluster ranges.
    pub fn plan(&self) -> &'a ClusterPlan {
        self.derived.plan.get_or_init(|| {
            ClusterPlan::gather(
                self.facts.cluster.configmaps.ready().map(Vec::as_slice),
                self.facts.cluster.pods.ready().map(Vec::as_slice),
            )
        })
    }

    /// The cluster's flannel net-conf.json (the first ConfigMap holding one whose Network, if
    /// written, is a CIDR), with its reference.
    pub fn cluster_net_conf(&self) -> Option<&'a (String, NetConf)> {
        self.derived
            .cluster_net_conf
            .get_or_init(|| {
                let cms = self.facts.cluster.configmaps.ready()?;
                cms.iter().find_map(|cm| {
                    let text = cm.data.get("net-conf.json")?;
                    let conf = network::parse_net_conf(text.trim_start_matches('\u{feff}')).ok()?;
                    if conf
                        .network
                        .as_deref()
                        .is_some_and(|n| network::parse_cidr(n).is_none())
                    {
                        return None;
                    }
                    Some((format!("{} net-conf.json", config_map_ref(cm)), conf))
                })
            })
            .as_ref()
    }

    /// ClusterIPs of the cluster's Services (a service network that is not known still has to
    /// cover them all), at most a handful, the `kubernetes` Service first.
    pub fn service_ips(&self) -> Vec<(IpAddr, String)> {
        let Some(services) = self.facts.cluster.services.ready() else {
            return Vec::new();
        };
        let mut out: Vec<(IpAddr, String)> = services
            .iter()
            .filter_map(|s| {
                let ip: IpAddr = s.spec.cluster_ip.as_deref()?.parse().ok()?;
                Some((ip, format!("{}/{}", s.namespace(), s.name())))
            })
            .collect();
        out.sort_by_key(|(_, n)| n != "default/kubernetes");
        out.truncate(8);
        out
    }

    /// The API server's host from the kube-apiserver static pod's `--advertise-address` or host IP.
    pub fn api_server_from_pods(&self) -> Option<(String, Evidence)> {
        let pods = self.facts.cluster.pods.ready()?;
        pods.iter()
            .filter(|p| p.name().starts_with("kube-apiserver"))
            .find_map(|p| {
                let words: Vec<String> = p
                    .spec
                    .containers
                    .iter()
                    .flat_map(|c| c.command.iter().chain(c.args.iter()))
                    .cloned()
                    .collect();
                let flags = cmdline::parse_flags(&words);
                if let Some(f) = cmdline::flag(&flags, "advertise-address") {
                    if let Some(v) = f.value.clone().filter(|v| !v.is_empty()) {
                        return Some((
                            v,
                            Evidence::api(format!("Pod/{}", p.key()), f.written.clone()),
                        ));
                    }
                }
                let ip = p.status.host_ip.clone()?;
                Some((
                    ip.clone(),
                    Evidence::api(format!("Pod/{} .status.hostIP", p.key()), ip),
                ))
            })
    }

    /// The node parts of this run, each with its model: the local node's, when captured, then
    /// every other Windows node's (read through the API or collected by the fleet), by name.
    pub fn node_views(&self) -> Vec<NodeView<'a>> {
        let local = self
            .local
            .map(|built| NodeView::new(*self, &self.facts.node, built));
        local
            .into_iter()
            .chain(
                self.facts
                    .remote_nodes
                    .iter()
                    .zip(self.remote.iter())
                    .map(|(raw, built)| NodeView::new(*self, raw, built)),
            )
            .collect()
    }

    /// The mute an object's `windoctor.io/ignore` annotation puts on a finding of `check` (code
    /// `code`) about `subject`, if it names the check or the code.
    pub fn ignore_annotation(
        &self,
        subject: &crate::findings::Subject,
        check: &str,
        code: &str,
    ) -> Option<crate::findings::Muted> {
        let ignores = self.derived.ignores.get_or_init(|| self.collect_ignores());
        if ignores.is_empty() {
            return None;
        }
        let key = (
            subject.kind.clone(),
            subject.namespace.clone().unwrap_or_default(),
            subject.name.clone(),
        );
        let names = ignores.get(&key)?;
        names
            .iter()
            .any(|n| n == check || n == code)
            .then(|| crate::findings::Muted {
                reason: format!(
                    "accepted by the annotation {}={} on {}",
                    crate::silence::IGNORE_ANNOTATION,
                    names.join(","),
                    subject.display()
                ),
                by: "annotation".to_string(),
                expires: None,
            })
    }

    fn collect_ignores(&self) -> std::collections::HashMap<(String, String, String), Vec<String>> {
        use crate::silence::{ignored_by_annotation, IGNORE_ANNOTATION};
        let mut out = std::collections::HashMap::new();
        let c = &self.facts.cluster;
        let mut add =
            |kind: &str, ns: Option<&str>, name: &str, meta: &crate::facts::k8s::ObjectMeta| {
                if let Some(v) = meta.annotations.get(IGNORE_ANNOTATION) {
                    out.insert(
                        (
                            kind.to_string(),
                            ns.unwrap_or("").to_string(),
                            name.to_string(),
                        ),
                        ignored_by_annotation(v),
                    );
                }
            };
        for n in c.nodes.ready().into_iter().flatten() {
            add("Node", None, n.name(), &n.metadata);
        }
        for s in c.services.ready().into_iter().flatten() {
            add("Service", Some(s.namespace()), s.name(), &s.metadata);
        }
        for d in c.daemonsets.ready().into_iter().flatten() {
            add(
                "DaemonSet",
                d.metadata.namespace.as_deref(),
                &d.metadata.name,
                &d.metadata,
            );
        }
        // An other pod of the sieve keeps no annotations: only the pods kept whole are read.
        for p in self.pod_lookup().kept_whole() {
            if p.metadata.annotations.contains_key(IGNORE_ANNOTATION) {
                add("Pod", Some(p.namespace()), p.name(), &p.metadata);
                let w = p.workload();
                add(w.kind_title(), Some(p.namespace()), &w.name, &p.metadata);
            }
        }
        out
    }

    /// The node part about Node `name`, if there is one.
    pub fn node_part(&self, name: &str) -> Option<&'a crate::facts::NodeFacts> {
        if let Some(part) = self
            .facts
            .remote_nodes
            .iter()
            .find(|p| p.node_name.as_deref() == Some(name))
        {
            return Some(part);
        }
        let local = self.facts.local_node_name.as_deref()?;
        (self.facts.node.present && local == name).then_some(&self.facts.node)
    }

    /// The distribution layout detected on `part`, one of this run's node parts
    /// ([`Model::node_part`]).
    pub fn part_layout(
        &self,
        part: &crate::facts::NodeFacts,
    ) -> Option<&'static crate::catalogue::data::Layout> {
        let built = if std::ptr::eq(part, &self.facts.node) {
            self.local?
        } else {
            let i = self
                .facts
                .remote_nodes
                .iter()
                .position(|p| std::ptr::eq(p, part))?;
            self.remote.get(i)?
        };
        NodeView::new(*self, part, built).layout()?.layout()
    }

    /// The Node the local machine is, if both are known.
    pub fn local_node(&self) -> Option<&'a Node> {
        self.facts.local_node()
    }

    /// The matched Node name of the local machine.
    pub fn local_node_name(&self) -> Option<&'a str> {
        self.facts.local_node_name.as_deref()
    }

    /// ConfigMaps, pods and other lists without recording anything: for derivations that look at an
    /// input only when it is there.
    pub fn ready_configmaps(&self) -> Option<&'a [ConfigMap]> {
        self.facts.cluster.configmaps.ready().map(Vec::as_slice)
    }
    pub fn ready_pods(&self) -> Option<&'a [Pod]> {
        self.facts.cluster.pods.ready().map(Vec::as_slice)
    }
    pub fn ready_nodes(&self) -> Option<&'a [Node]> {
        self.facts.cluster.nodes.ready().map(Vec::as_slice)
    }
}

/// Merges the part of another node that is the local machine's Node into the local part: the
/// local collection stays, and what the API added (system pods, configz, pod log tails, node log
/// query answers, source outcomes) joins it.
fn merge_local_into_one(facts: &mut Facts) {
    use crate::facts::Input;
    if !facts.node.present {
        return;
    }
    let Some(local) = facts.local_node_name.clone() else {
        return;
    };
    let Some(i) = facts
        .remote_nodes
        .iter()
        .position(|p| p.node_name.as_deref() == Some(local.as_str()))
    else {
        return;
    };
    let other = facts.remote_nodes.remove(i);
    let node = &mut facts.node;
    if !node.system_pods.is_ready() {
        node.system_pods = other.system_pods;
    }
    if !node.configz.is_ready() {
        node.configz = other.configz;
    }
    if let (Input::Ready(mine), Input::Ready(theirs)) = (&mut node.logs, other.logs) {
        mine.extend(
            theirs
                .into_iter()
                .filter(|l| l.path.starts_with("pod log ") || l.path.starts_with("node log query")),
        );
    }
    for (k, v) in other.sources {
        node.sources.entry(k).or_insert(v);
    }
    node.node_name.get_or_insert(local);
}

/// Decides which Node the local machine is: `--node`, else the node part's own record, else the
/// host name; each matched against Node names as `NodeIndex::named` does (exact, else FQDN or short
/// name without regard to case). This is the one place that answers the question; everything else
/// asks `Facts::local_node`.
pub fn resolve_local_node(facts: &mut Facts, cli_node: Option<&str>) {
    if let Some(n) = cli_node {
        facts.local_node_name = Some(n.to_string());
        return;
    }
    let hostname = facts.node.hostname.ready().cloned();
    let Some(nodes) = facts.cluster.nodes.ready() else {
        return;
    };
    let table = index::NodeTable::new(nodes);
    let index = index::NodeIndex::over(nodes, &table);
    let recorded = facts.local_node_name.clone();
    for candidate in recorded.iter().chain(hostname.iter()) {
        if let Some(n) = index.named(candidate) {
            facts.local_node_name = Some(n.name().to_string());
            return;
        }
    }
}

/// `ConfigMap/namespace/name`, the namespace defaulting to kube-system as the flannel lookups did.
pub fn config_map_ref(cm: &ConfigMap) -> String {
    format!(
        "ConfigMap/{}/{}",
        cm.metadata.namespace.as_deref().unwrap_or("kube-system"),
        cm.metadata.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Input;

    fn pod(name: &str, node: &str) -> Pod {
        let mut p = Pod::default();
        p.metadata.namespace = Some("default".into());
        p.metadata.name = name.into();
        p.spec.node_name = Some(node.into());
        p
    }

    fn world_of(pods: Vec<Pod>) -> World {
        let mut world = World::default();
        world.store(ClusterInput::pods(Input::Ready(pods)));
        world
    }

    #[test]
    fn a_pod_table_of_another_list_is_not_kept() {
        let pods = vec![pod("a", "n1"), pod("b", "n2")];
        let mut short = PodTable::default();
        short.add_pod(&pods[..1], 0);
        short.index_labels(&pods[..1], &[]);
        let mut world = world_of(pods.clone());
        world.store_pod_table(short);
        // The table covered one pod of two: the checks' own table finds both.
        let model = Model::new(&world);
        assert_eq!(
            model.pod_index().get("default", "b").map(Pod::name),
            Some("b")
        );

        let mut whole = PodTable::default();
        for i in 0..pods.len() {
            whole.add_pod(&pods, i);
        }
        whole.index_labels(&pods, &[]);
        let mut world = world_of(pods);
        world.store_pod_table(whole);
        assert!(
            world.derived.pod_table.get().is_some(),
            "the table of the list is kept"
        );
        let model = Model::new(&world);
        assert_eq!(
            model
                .pod_lookup()
                .on_node("n2")
                .map(Pod::name)
                .collect::<Vec<_>>(),
            ["b"]
        );
    }

    #[test]
    fn no_pod_table_is_kept_without_pods() {
        let mut world = World::default();
        world.store_pod_table(PodTable::default());
        assert!(world.derived.pod_table.get().is_none());
    }
}
