//! Indexes over the cluster lists that many checks share: pods by `(namespace, name)`, by node, by
//! namespace and by label; nodes by name (FQDN or short, any case); a constant-time set of host
//! names; and events grouped by the node they happened on. Each is one pass over its list, so that
//! checks stay linear on a 150,000-pod cluster.
//!
//! The tables (`PodTable`, `NodeTable`) own their data (positions and hashes, not borrowed
//! strings), so the world keeps each one from the moment its list arrives for every later batch of
//! checks; the views (`PodIndex`, `PodLookup`, `NodeIndex`) pair a table with its list.

use crate::facts::cluster::same_host;
pub use crate::facts::cluster::HostSet;
use crate::facts::k8s::{Event, Node, Pod, Service};
// foldhash (seeded per run) instead of SipHash: the tables hash every pod of the list.
use foldhash::fast::RandomState;
use foldhash::{HashMap, HashMapExt, HashSet};
use std::hash::BuildHasher;

/// Pods by `(namespace, name)`, by namespace, by node and by `(namespace, label, value)`, as
/// positions in the pod list. Keys are hashed; every lookup checks the pod it finds.
#[derive(Debug, Default)]
pub struct PodTable {
    hasher: RandomState,
    by_key: HashMap<u64, u32>,
    /// Positions whose key hash another pod already took (rare).
    key_collisions: HashMap<u64, Vec<u32>>,
    /// By the hash of the namespace, and of `spec.nodeName`: a lookup keeps the pods of its own
    /// name (two names of one hash share a list). Hashes, not names, so that indexing a pod reads
    /// no key the table stored (at 150,000 pods, comparing each pod's names with the stored ones
    /// cost more than the rest of the table).
    by_namespace: HashMap<u64, Vec<u32>>,
    by_node: HashMap<u64, Vec<u32>>,
    by_label: HashMap<u64, Vec<u32>>,
    /// Positions of the pods the sieve kept whole (not `Pod::other`), in list order: the pods on or
    /// aimed at Windows nodes that most pod checks read. At 10% Windows nodes a tenth of the list,
    /// so those checks no longer walk 150,000 pods to find them.
    kept_whole: Vec<u32>,
    /// How many pods of the list are indexed by key, namespace and node, and by label.
    indexed: usize,
    labelled: usize,
}

impl PodTable {
    pub fn new(pods: &[Pod]) -> Self {
        let mut t = PodTable::default();
        for i in 0..pods.len() {
            t.add_pod(pods, i);
        }
        t.index_labels(pods, &[]);
        t
    }

    /// Indexes pod `i` of `pods` by `(namespace, name)`, namespace, node and the labels it has
    /// now, as [`PodTable::new`] does, given every pod before it: a live run builds the table while
    /// the pods arrive (`PodTable::index_labels` at the end adds the labels the sieve's last step
    /// gave other pods), so the checks find it ready instead of building it once every pod is in.
    pub fn add_pod(&mut self, pods: &[Pod], i: usize) {
        let (Some(pod), Ok(i)) = (pods.get(i), u32::try_from(i)) else {
            return;
        };
        let ns = pod.namespace();
        let key = self.hasher.hash_one((ns, pod.name()));
        match self.by_key.get(&key).and_then(|&j| pods.get(j as usize)) {
            // A pod listed twice: the later one stands, as in a map built from the list.
            Some(other) if other.namespace() == ns && other.name() == pod.name() => {
                self.by_key.insert(key, i);
            }
            Some(_) => self.key_collisions.entry(key).or_default().push(i),
            None => {
                self.by_key.insert(key, i);
            }
        }
        self.by_namespace
            .entry(self.hasher.hash_one(ns))
            .or_default()
            .push(i);
        if let Some(node) = pod.node_name() {
            self.by_node
                .entry(self.hasher.hash_one(node))
                .or_default()
                .push(i);
        }
        if !pod.other {
            self.kept_whole.push(i);
        }
        self.index_pod_labels(pod, i, None);
        self.indexed = self.indexed.max(i as usize + 1);
    }

    /// Indexes pod `i`'s labels, noting in `touched` the labels it added `i` to.
    fn index_pod_labels(&mut self, pod: &Pod, i: u32, mut touched: Option<&mut HashSet<u64>>) {
        let ns = pod.namespace();
        for (k, v) in &pod.metadata.labels {
            let label = self.hasher.hash_one((ns, k.as_str(), v.as_str()));
            self.by_label.entry(label).or_default().push(i);
            if let Some(touched) = touched.as_deref_mut() {
                touched.insert(label);
            }
        }
    }

    /// The last step of [`PodTable::new`], after [`PodTable::add_pod`] for each pod of `pods`:
    /// [`PodTable::add_pod`] indexed the labels each pod had then (as the pages arrive, in a live
    /// run); the pods at `relabelled` (positions in list order: the other pods, which had no
    /// labels when indexed, that the sieve's last step gave labels, `PodSieve::finish`) are indexed
    /// by their labels now, and each label's positions put back in list order.
    pub fn index_labels(&mut self, pods: &[Pod], relabelled: &[u32]) {
        let mut touched: HashSet<u64> = HashSet::default();
        for &i in relabelled {
            if let Some(pod) = pods.get(i as usize) {
                self.index_pod_labels(pod, i, Some(&mut touched));
            }
        }
        for label in touched {
            if let Some(positions) = self.by_label.get_mut(&label) {
                // Two ascending runs (the pods indexed as they came, then the relabelled ones):
                // the stable sort merges them.
                positions.sort();
                positions.dedup();
            }
        }
        self.labelled = pods.len();
    }

    /// Whether this is the table of a list of `len` pods: every one of them indexed, labels too.
    pub fn covers(&self, len: usize) -> bool {
        self.indexed == len.min(u32::MAX as usize) && self.labelled == len
    }
}

/// Pods by `(namespace, name)`, for finding the pod (and so the node) an event is about.
#[derive(Clone, Copy)]
pub struct PodIndex<'a> {
    pods: &'a [Pod],
    table: &'a PodTable,
}

impl<'a> PodIndex<'a> {
    pub fn over(pods: &'a [Pod], table: &'a PodTable) -> Self {
        PodIndex { pods, table }
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&'a Pod> {
        let key = self.table.hasher.hash_one((namespace, name));
        let is = |p: &&Pod| p.namespace() == namespace && p.name() == name;
        let first = self.table.by_key.get(&key)?;
        if let Some(p) = self.pods.get(*first as usize).filter(is) {
            return Some(p);
        }
        self.table
            .key_collisions
            .get(&key)?
            .iter()
            .rev()
            .filter_map(|i| self.pods.get(*i as usize))
            .find(is)
    }

    /// The pod an event is about, if it is about a pod that still exists.
    pub fn of_event(&self, event: &Event) -> Option<&'a Pod> {
        let (namespace, name) = event.pod_key()?;
        self.get(namespace, name)
    }

    /// The node an event happened on: the node of the pod it is about, else the host that reported
    /// it (by name, else the first `same_host`).
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

/// Pods indexed for the lookups checks repeat per Service, Node or namespace: each lookup costs
/// what it returns instead of a scan of all pods (`Service::backends` for every Service of a
/// 150,000-pod cluster is quadratic; this is not). Lookups give pods in the order of the pod list,
/// like the linear helpers.
#[derive(Clone, Copy)]
pub struct PodLookup<'a> {
    pods: &'a [Pod],
    table: &'a PodTable,
}

impl<'a> PodLookup<'a> {
    pub fn over(pods: &'a [Pod], table: &'a PodTable) -> Self {
        PodLookup { pods, table }
    }

    /// Pods in `namespace`, in list order.
    pub fn in_namespace<'n>(&self, namespace: &'n str) -> impl Iterator<Item = &'a Pod> + 'n
    where
        'a: 'n,
    {
        let positions = self
            .table
            .by_namespace
            .get(&self.table.hasher.hash_one(namespace));
        resolve(self.pods, positions).filter(move |p| p.namespace() == namespace)
    }

    /// The pods the sieve kept whole (not `Pod::other`: on or aimed at a Windows node, or on a node
    /// it could not place), in list order: what `pods.iter().filter(|p| !p.other)` gives, without
    /// walking the other pods (nine in ten of a cluster with 10% Windows nodes).
    pub fn kept_whole(&self) -> impl Iterator<Item = &'a Pod> + 'a {
        let pods = self.pods;
        self.table
            .kept_whole
            .iter()
            .filter_map(move |&i| pods.get(i as usize))
    }

    /// Pods whose `spec.nodeName` is exactly `node`, in list order.
    pub fn on_node<'n>(&self, node: &'n str) -> impl Iterator<Item = &'a Pod> + 'n
    where
        'a: 'n,
    {
        let positions = self.table.by_node.get(&self.table.hasher.hash_one(node));
        resolve(self.pods, positions).filter(move |p| p.node_name() == Some(node))
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
        // Start from the rarest selector pair, then check every pair (hashes can collide).
        let Some(smallest) = selector
            .iter()
            .map(|(k, v)| {
                self.table
                    .by_label
                    .get(&self.table.hasher.hash_one((ns, k.as_str(), v.as_str())))
            })
            .min_by_key(|ids| ids.map_or(0, Vec::len))
        else {
            return Vec::new();
        };
        resolve(self.pods, smallest)
            .filter(|p| {
                p.namespace() == ns
                    && selector
                        .iter()
                        .all(|(k, v)| p.metadata.labels.get(k) == Some(v))
            })
            .collect()
    }
}

fn resolve<'a>(pods: &'a [Pod], ids: Option<&'a Vec<u32>>) -> impl Iterator<Item = &'a Pod> + 'a {
    ids.into_iter()
        .flatten()
        .filter_map(move |&i| pods.get(i as usize))
}

/// Nodes by name: exact, lowercased, and lowercased short name with whether the name has a dot.
#[derive(Debug, Default)]
pub struct NodeTable {
    exact: HashMap<String, u32>,
    /// Lowercased full name -> nodes, in list order.
    by_lower: HashMap<String, Vec<u32>>,
    /// Lowercased short name (before the first dot) -> (node, whether its name has a dot).
    by_short: HashMap<String, Vec<(u32, bool)>>,
}

impl NodeTable {
    pub fn new(nodes: &[Node]) -> Self {
        let mut t = NodeTable::default();
        for (i, node) in nodes.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            let name = node.name();
            t.exact.entry(name.to_string()).or_insert(i);
            let lower = name.trim().to_ascii_lowercase();
            let short = lower.split('.').next().unwrap_or("").to_string();
            t.by_short
                .entry(short)
                .or_default()
                .push((i, lower.contains('.')));
            t.by_lower.entry(lower).or_default().push(i);
        }
        t
    }
}

/// Nodes indexed by name for per-pod lookups: `named` gives the exact name first, else the first
/// node that is the `same_host`, without scanning every node.
#[derive(Clone, Copy)]
pub struct NodeIndex<'a> {
    nodes: &'a [Node],
    table: &'a NodeTable,
}

impl<'a> NodeIndex<'a> {
    pub fn over(nodes: &'a [Node], table: &'a NodeTable) -> Self {
        NodeIndex { nodes, table }
    }

    pub fn named(&self, name: &str) -> Option<&'a Node> {
        let t = self.table;
        if let Some(&i) = t.exact.get(name) {
            return self.nodes.get(i as usize);
        }
        let lower = name.trim().to_ascii_lowercase();
        let dotted = lower.contains('.');
        let short = lower.split('.').next().unwrap_or("");
        let same_name = t.by_lower.get(&lower).and_then(|ids| ids.first().copied());
        let same_short = t
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
    use crate::facts::cluster::clip;
    use crate::facts::{ClusterFacts, Input};

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
        let table = PodTable::new(&pods);
        let pod_index = PodIndex::over(&pods, &table);
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
    fn pods_on_a_node_or_in_a_namespace_are_exactly_its_own_in_list_order() {
        let mut pods = vec![
            pod("a", "p1", "linux-1", &[]),
            pod("a", "p2", "WIN-1.corp.example.com", &[]),
            pod("b", "p3", "win-2", &[]),
            pod("a", "p4", "win-1", &[]),
            pod("a", "p2", "WIN-1.corp.example.com", &[]),
            pod("c", "p5", "win-10x", &[]),
        ];
        pods.push(Pod::default());
        let table = PodTable::new(&pods);
        let lookup = PodLookup::over(&pods, &table);
        let names = |v: Vec<&Pod>| v.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
        // Node names match exactly: not by case, not FQDN against short name.
        assert_eq!(
            names(lookup.on_node("WIN-1.corp.example.com").collect()),
            ["p2", "p2"]
        );
        assert_eq!(names(lookup.on_node("win-1").collect()), ["p4"]);
        assert!(lookup.on_node("win-1.corp.example.com").next().is_none());
        assert!(lookup.on_node("win-10").next().is_none());
        assert!(lookup.on_node("").next().is_none());
        assert_eq!(
            names(lookup.in_namespace("a").collect()),
            ["p1", "p2", "p4", "p2"]
        );
        // The default namespace of a pod that names none.
        assert_eq!(names(lookup.in_namespace("default").collect()), [""]);
        // Every name answers as a filter of every pod does.
        for node in [
            "linux-1",
            "WIN-1.corp.example.com",
            "win-2",
            "win-1",
            "win-10x",
        ] {
            let expected: Vec<&Pod> = pods
                .iter()
                .filter(|p| p.node_name() == Some(node))
                .collect();
            assert_eq!(
                names(lookup.on_node(node).collect()),
                names(expected),
                "{node}"
            );
        }
        for ns in ["a", "b", "c", "default", "zzz"] {
            let expected: Vec<&Pod> = pods.iter().filter(|p| p.namespace() == ns).collect();
            assert_eq!(
                names(lookup.in_namespace(ns).collect()),
                names(expected),
                "{ns}"
            );
        }
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

    #[test]
    fn pod_lookup_agrees_with_the_linear_helpers() {
        let pods = vec![
            pod("a", "web-1", "n1", &[("app", "web"), ("tier", "front")]),
            pod("a", "web-2", "n2", &[("app", "web")]),
            pod("b", "web-3", "n1", &[("app", "web"), ("tier", "front")]),
            pod("a", "db-1", "n1", &[("app", "db"), ("tier", "front")]),
            pod("a", "web-4", "n2", &[("app", "web"), ("tier", "front")]),
        ];
        let table = PodTable::new(&pods);
        let index = PodLookup::over(&pods, &table);
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
    fn a_table_built_pod_by_pod_answers_as_one_built_at_once() {
        // As a live run builds it: each pod as the sink keeps it, the labels at the end (after
        // the sieve gave other pods the labels of their Services). A pod listed twice, pods in
        // the same namespace and on the same node, one with no node.
        let mut pods = vec![
            pod("a", "web-1", "n1", &[("app", "web")]),
            pod("b", "web-1", "n2", &[("app", "web")]),
            pod("a", "db-1", "n1", &[]),
            pod("a", "web-1", "n3", &[("app", "web"), ("tier", "front")]),
            pod("c", "pending", "", &[("app", "web")]),
        ];
        pods[4].spec.node_name = None;
        // db-1 is an other pod: the sieve stripped it, labels included.
        pods[2].other = true;
        let mut built = PodTable::default();
        for i in 0..pods.len() {
            assert!(!built.covers(pods.len()), "not every pod is indexed yet");
            built.add_pod(&pods[..=i], i);
        }
        assert!(!built.covers(pods.len()), "the labels are not indexed yet");
        // The sieve's last step changes a kept pod's labels.
        pods[2].metadata.labels = [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect();
        built.index_labels(&pods, &[2]);
        assert!(built.covers(pods.len()));
        assert!(!built.covers(pods.len() + 1));
        let whole = PodTable::new(&pods);

        let (a, b) = (PodIndex::over(&pods, &built), PodIndex::over(&pods, &whole));
        for (ns, name) in [
            ("a", "web-1"),
            ("b", "web-1"),
            ("a", "db-1"),
            ("c", "pending"),
            ("a", "x"),
        ] {
            let node = |p: Option<&Pod>| p.and_then(Pod::node_name).map(str::to_string);
            assert_eq!(node(a.get(ns, name)), node(b.get(ns, name)), "{ns}/{name}");
        }
        assert_eq!(a.get("a", "web-1").and_then(Pod::node_name), Some("n3"));

        let (a, b) = (
            PodLookup::over(&pods, &built),
            PodLookup::over(&pods, &whole),
        );
        let names = |it: Vec<&Pod>| it.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
        for ns in ["a", "b", "c", "zzz"] {
            assert_eq!(
                names(a.in_namespace(ns).collect()),
                names(b.in_namespace(ns).collect())
            );
        }
        for node in ["n1", "n2", "n3", ""] {
            assert_eq!(
                names(a.on_node(node).collect()),
                names(b.on_node(node).collect())
            );
        }
        let mut svc = Service::default();
        svc.metadata.namespace = Some("a".into());
        svc.spec.selector = [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect();
        assert_eq!(names(a.backends(&svc)), names(b.backends(&svc)));
        assert_eq!(names(a.backends(&svc)), ["web-1", "db-1", "web-1"]);
        // The pods kept whole, in list order, without the other one.
        assert_eq!(
            names(a.kept_whole().collect()),
            names(b.kept_whole().collect())
        );
        assert_eq!(
            names(a.kept_whole().collect()),
            ["web-1", "web-1", "web-1", "pending"]
        );
    }

    /// Relabelled pods join the label lists of the pods indexed as they came in list order, as
    /// in a table built at once: every third pod of 30 is an other pod given its labels at the end.
    #[test]
    fn relabelled_pods_take_their_place_in_list_order() {
        let mut pods: Vec<Pod> = (0..30)
            .map(|i| {
                let app = if i % 2 == 0 { "web" } else { "db" };
                let labels: &[(&str, &str)] = if i % 3 == 0 { &[] } else { &[("app", app)] };
                pod("a", &format!("p{i}"), "n1", labels)
            })
            .collect();
        let mut built = PodTable::default();
        for i in 0..pods.len() {
            built.add_pod(&pods[..=i], i);
        }
        let relabelled: Vec<u32> = (0..30).filter(|i| i % 3 == 0).collect();
        for &i in &relabelled {
            let app = if i % 2 == 0 { "web" } else { "db" };
            pods[i as usize].metadata.labels =
                [("app".to_string(), app.to_string())].into_iter().collect();
        }
        built.index_labels(&pods, &relabelled);
        let whole = PodTable::new(&pods);
        let (a, b) = (
            PodLookup::over(&pods, &built),
            PodLookup::over(&pods, &whole),
        );
        for app in ["web", "db"] {
            let mut svc = Service::default();
            svc.metadata.namespace = Some("a".into());
            svc.spec.selector = [("app".to_string(), app.to_string())].into_iter().collect();
            let names = |it: Vec<&Pod>| it.iter().map(|p| p.name().to_string()).collect::<Vec<_>>();
            assert_eq!(names(a.backends(&svc)), names(b.backends(&svc)), "{app}");
            assert_eq!(a.backends(&svc).len(), 15, "{app}");
        }
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
        let table = NodeTable::new(&nodes);
        let index = NodeIndex::over(&nodes, &table);
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
    fn events_are_placed_on_the_pod_node_or_their_source_host() {
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"name":"p","namespace":"a"},"spec":{"nodeName":"win-1.corp.example.com"}}]"#,
        )
        .expect("pods");
        let nodes: Vec<Node> = serde_json::from_str(
            r#"[{"metadata":{"name":"win-1.corp.example.com"}},{"metadata":{"name":"win-2"}}]"#,
        )
        .expect("nodes");
        let pod_table = PodTable::new(&pods);
        let index = PodIndex::over(&pods, &pod_table);
        let node_table = NodeTable::new(&nodes);
        let node_index = NodeIndex::over(&nodes, &node_table);
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
