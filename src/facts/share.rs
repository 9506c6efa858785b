//! The Windows share of a cluster: which pods a run keeps whole, and what it keeps of the others.
//!
//! A scan of 150,000 pods must not hold 150,000 pods' specs when a tenth of the nodes run Windows.
//! [`PodSieve`] passes every pod of the list, in list order, once the Nodes (and, when they could be
//! read, the Services) are in. A pod is kept **whole** when it is not scheduled, sits on a node that
//! is not listed or that is (or is named like) a Windows node, targets Windows (OS field, OS or
//! Windows-build selector, Windows image), is HostProcess, names a RuntimeClass, carries an annotation
//! windoctor reads, or is a control-plane static pod (kube-apiserver, kube-controller-manager). Every
//! other pod runs on a listed Linux node and is kept as an **other** pod: its namespace, name,
//! node and phase only, so that counts and indexes stay what they were. What checks read of other
//! pods, and how the sieve keeps it (each check's reading is in its own module):
//!
//! - `windows-version` and `dns-windows` count all pods in messages: the count is unchanged.
//! - `image-os-match` notes, per image, the first pod in list order running it on a Linux node: an
//!   other pod that is the first for one of its images keeps its containers' names and images and
//!   its containers' running states ([`PodSieve::contributes`]).
//! - `service-limits` counts every active backend of a Service that has a backend on Windows, Linux
//!   ones included: an other pod selected by such a Service gets back, when the list is done
//!   ([`PodSieve::finish`]), the labels that make exactly the same Services select it (the union of
//!   their selectors). Without Services no check matches labels, and other pods keep none.
//! - Events are tied to pods by namespace and name and to nodes by the pod's node: both are kept.
//! - Every other reading of pods (`os-scheduling`, `pod-spec-compat`, `nodeport-self-access`,
//!   `node-services`, `service-ip-from-node`, `pause-image`, the IP plan's static pod flags, the
//!   API server address) filters first for pods kept whole by the rules above. An other pod is
//!   marked (`Pod::other`), so that `os-scheduling`, `image-os-match`, `pod-spec-compat` and
//!   `dns-windows` pass it by without looking its node up.
//!
//! `tests/windows_share.rs` runs every check on whole and on sieved facts of generated clusters
//! (with planted mixed Services, Linux-only images and OS selectors) and compares the findings.

use super::cluster::{is_windows_image, HostSet, BUILD_LABEL};
use super::k8s::{Container, ContainerStatus, Labels, Node, ObjectMeta, Pod, PodSpec};
use super::k8s::{PodStatus, Service};
use super::pod_head::{HeadContainer, HeadLabels, HeadParts, PodHead};
// foldhash (seeded per run) instead of SipHash: the sieve hashes node names, labels and images of
// every pod of the list.
use foldhash::fast::RandomState;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::hash::BuildHasher;

/// How one pod is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Share {
    /// Kept as parsed.
    Whole,
    /// Kept as an other pod.
    Other {
        /// The first pod (in list order) running one of its images on a Linux node: keeps its
        /// containers' names, images and running states.
        contributes: bool,
        /// The Services (positions in the Service list) whose selector selects it.
        selected_by: Vec<u32>,
    },
}

/// Services by the first pair of their selector, for finding the Services that select a pod in a
/// few hash lookups.
#[derive(Debug, Default)]
struct Selectors {
    hasher: RandomState,
    /// `(namespace, key, value)` hash of a Service's first selector pair -> Services.
    by_first_pair: HashMap<u64, Vec<u32>>,
    /// Each Service's namespace and selector.
    selectors: Vec<(String, Labels)>,
}

impl Selectors {
    fn new(services: &[Service]) -> Self {
        let mut s = Selectors::default();
        for (i, service) in services.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            let selector = &service.spec.selector;
            s.selectors
                .push((service.namespace().to_string(), selector.clone()));
            if let Some((k, v)) = selector.iter().next() {
                let key = s
                    .hasher
                    .hash_one((service.namespace(), k.as_str(), v.as_str()));
                s.by_first_pair.entry(key).or_default().push(i);
            }
        }
        s
    }

    /// The Services selecting a pod of namespace `ns` with `labels`, as `Service::backends` decides
    /// it (same namespace, every selector pair among the pod's labels; an empty selector selects
    /// nothing).
    fn selecting(&self, ns: &str, labels: &impl LabelSet) -> Vec<u32> {
        let mut out = Vec::new();
        for (k, v) in labels.pairs() {
            let key = self.hasher.hash_one((ns, k, v));
            for &i in self.by_first_pair.get(&key).into_iter().flatten() {
                let Some((sns, selector)) = self.selectors.get(i as usize) else {
                    continue;
                };
                if sns == ns
                    && selector
                        .iter()
                        .all(|(k, v)| labels.value(k) == Some(v.as_str()))
                {
                    out.push(i);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The labels that make exactly the Services `services` (all those selecting a pod) select
    /// a pod: the union of their selectors.
    fn union(&self, services: &[u32]) -> Labels {
        let mut labels = Labels::new();
        for &i in services {
            if let Some((_, selector)) = self.selectors.get(i as usize) {
                for (k, v) in selector {
                    labels.insert(k.clone(), v.clone());
                }
            }
        }
        labels
    }
}

/// A pod's labels as the sieve looks them up: a pod's own [`Labels`], or the labels its head read
/// ([`HeadLabels`]), which answer the same.
pub trait LabelSet {
    /// Every pair (a key may come more than once; [`LabelSet::value`] gives its value).
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)>;
    /// The value of `key`.
    fn value(&self, key: &str) -> Option<&str>;
}

impl LabelSet for Labels {
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
    fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl LabelSet for HeadLabels<'_> {
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        HeadLabels::pairs(self)
    }
    fn value(&self, key: &str) -> Option<&str> {
        self.get(key)
    }
}

/// What the sieve reads of a pod besides its spec's node, selectors, OS and RuntimeClass: its
/// labels, its containers' images, HostProcess flags and running states. A whole [`Pod`] holds
/// them; a pod read from its head keeps them apart ([`HeadParts`]), borrowed from the text, so
/// that only the pods that keep them get copies.
pub trait PodParts {
    /// The pod's labels.
    fn labels(&self) -> &impl LabelSet;
    /// Its node selector.
    fn node_selector(&self) -> &impl LabelSet;
    /// The containers' images (not the init containers'), in order.
    fn images(&self) -> impl Iterator<Item = &str>;
    /// Whether an init container or a container asks to run as HostProcess.
    fn containers_host_process(&self) -> bool;
    /// For each container state that is `running`, in status order, the image of the first
    /// container of that name (none when no container has it).
    fn running_images(&self) -> impl Iterator<Item = &str>;
}

impl PodParts for Pod {
    fn labels(&self) -> &impl LabelSet {
        &self.metadata.labels
    }
    fn node_selector(&self) -> &impl LabelSet {
        &self.spec.node_selector
    }
    fn images(&self) -> impl Iterator<Item = &str> {
        self.spec.containers.iter().map(|c| c.image.as_str())
    }
    fn containers_host_process(&self) -> bool {
        self.spec.containers_host_process()
    }
    fn running_images(&self) -> impl Iterator<Item = &str> {
        self.status
            .container_statuses
            .iter()
            .filter(|s| s.state.running.is_some())
            .filter_map(|s| {
                self.spec
                    .containers
                    .iter()
                    .find(|c| c.name == s.name)
                    .map(|c| c.image.as_str())
            })
    }
}

impl PodParts for HeadParts<'_> {
    fn labels(&self) -> &impl LabelSet {
        HeadParts::labels(self)
    }
    fn node_selector(&self) -> &impl LabelSet {
        HeadParts::node_selector(self)
    }
    fn images(&self) -> impl Iterator<Item = &str> {
        self.containers().iter().map(HeadContainer::image)
    }
    fn containers_host_process(&self) -> bool {
        self.any_container_host_process()
    }
    fn running_images(&self) -> impl Iterator<Item = &str> {
        let containers = self.containers();
        self.running().filter_map(move |name| {
            containers
                .iter()
                .find(|c| c.name() == name)
                .map(HeadContainer::image)
        })
    }
}

/// How many images the sieve remembers the Windows verdict of: a cluster whose pods run more
/// distinct images (one per digest, say) has the rest judged each time, in bounded memory.
const MAX_REMEMBERED_IMAGES: usize = 4096;

/// What the sieve knows of a node name that is listed.
#[derive(Debug, Clone, Copy)]
struct ListedNode {
    /// The first node of that exact name runs Windows.
    windows: bool,
    /// The name is (or is named like, as `same_host` matches names) a Windows node's.
    like_windows: bool,
}

/// Decides, pod by pod and in list order, what a run keeps; see the module documentation.
#[derive(Debug)]
pub struct PodSieve {
    /// Exact node names: whether the first node of that name runs Windows, and whether the name is
    /// (or is named like) a Windows node's, decided once per node rather than once per pod.
    nodes: HashMap<String, ListedNode>,
    /// Whether an image is a Windows one (`facts::cluster::is_windows_image`), per image seen: a
    /// cluster runs few images on many pods.
    windows_images: HashMap<String, bool>,
    /// The Services' selectors, when Services could be read.
    services: Option<Selectors>,
    /// Images already seen running on a Linux node.
    linux_images: HashSet<String>,
    /// Pods sifted so far.
    position: u32,
    /// `(pod position, Service)` for other pods a Service selects.
    selected: Vec<(u32, u32)>,
    /// Services that select a pod kept whole.
    touched: HashSet<u32>,
}

impl PodSieve {
    /// A sieve for a cluster with these nodes and (when read) Services.
    pub fn new(nodes: &[Node], services: Option<&[Service]>) -> PodSieve {
        let windows = HostSet::new(nodes.iter().filter(|n| n.is_windows()).map(|n| n.name()));
        let mut by_name = HashMap::with_capacity(nodes.len());
        for n in nodes {
            by_name
                .entry(n.name().to_string())
                .or_insert_with(|| ListedNode {
                    windows: n.is_windows(),
                    like_windows: windows.contains(n.name()),
                });
        }
        PodSieve {
            nodes: by_name,
            windows_images: HashMap::new(),
            services: services.map(Selectors::new),
            linux_images: HashSet::new(),
            position: 0,
            selected: Vec::new(),
            touched: HashSet::new(),
        }
    }

    /// Whether the pod is kept whole; `node` is what the sieve knows of its node, when listed.
    fn keeps_whole(&mut self, pod: &Pod, parts: &impl PodParts, node: Option<ListedNode>) -> bool {
        if pod.node_name().is_none() {
            return true;
        }
        match node {
            None => return true,
            Some(node) if node.like_windows => return true,
            Some(_) => {}
        }
        let spec = &pod.spec;
        let name = pod.name();
        let images = &mut self.windows_images;
        let selected = |key: &str| parts.node_selector().value(key);
        spec.targets_windows_given(selected, parts.images(), |image| match images.get(image) {
            Some(&windows) => windows,
            None => {
                let windows = is_windows_image(image);
                if images.len() < MAX_REMEMBERED_IMAGES {
                    images.insert(image.to_string(), windows);
                }
                windows
            }
        }) || spec.pod_level_host_process()
            || parts.containers_host_process()
            || spec.runtime_class_name.is_some()
            || parts.node_selector().value(BUILD_LABEL).is_some()
            || !pod.metadata.annotations.is_empty()
            || name.starts_with("kube-apiserver")
            || (pod.namespace() == "kube-system" && name.starts_with("kube-controller-manager"))
    }

    /// Whether `pod`, on `node`, is the first in list order to run one of its images on a Linux
    /// node (what `image-os-match` notes per image). Records its images either way.
    fn contributes(&mut self, parts: &impl PodParts, node: Option<ListedNode>) -> bool {
        let on_linux = node.is_some_and(|n| !n.windows);
        if !on_linux {
            return false;
        }
        let mut first = false;
        for image in parts.running_images() {
            if !self.linux_images.contains(image) {
                self.linux_images.insert(image.to_string());
                first = true;
            }
        }
        first
    }

    /// How `pod`, the next pod of the list, is kept.
    pub fn judge(&mut self, pod: &Pod) -> Share {
        self.judge_parts(pod, pod)
    }

    /// [`PodSieve::judge`] of a pod whose labels and containers are `parts`
    /// (`PodHead::into_parts`: the pod itself holds none of them).
    pub fn judge_parts(&mut self, pod: &Pod, parts: &impl PodParts) -> Share {
        let position = self.position;
        self.position = self.position.saturating_add(1);
        let node = pod.node_name().and_then(|n| self.nodes.get(n)).copied();
        let contributes = self.contributes(parts, node);
        let selected_by = self
            .services
            .as_ref()
            .map(|s| s.selecting(pod.namespace(), parts.labels()))
            .unwrap_or_default();
        if self.keeps_whole(pod, parts, node) {
            self.touched.extend(selected_by);
            return Share::Whole;
        }
        for &service in &selected_by {
            self.selected.push((position, service));
        }
        Share::Other {
            contributes,
            selected_by,
        }
    }

    /// The next pod of the list, as the run keeps it.
    pub fn sift(&mut self, pod: Pod) -> Pod {
        match self.judge(&pod) {
            Share::Whole => pod,
            Share::Other { contributes, .. } => other_pod(pod, contributes, Labels::new()),
        }
    }

    /// The next pod of the list, from its JSON text: its head (`facts::pod_head`) decides, and
    /// only a pod kept whole is parsed whole. Gives what [`PodSieve::sift`] gives for the parsed pod.
    pub fn sift_json(&mut self, json: &str) -> serde_json::Result<Pod> {
        self.sift_head(PodHead::parse(json)?, json)
    }

    /// The pod whose head (already parsed, as a page is read) is `head` and whose JSON text is
    /// `json`, as [`PodSieve::sift_json`] gives it: only a pod kept whole is parsed again.
    pub fn sift_head(&mut self, head: PodHead<'_>, json: &str) -> serde_json::Result<Pod> {
        let (mut head, parts) = head.into_parts();
        match self.judge_parts(&head, &parts) {
            Share::Whole => serde_json::from_str(json),
            Share::Other { contributes, .. } => {
                if contributes {
                    // Its containers' names, images and states are what it keeps.
                    parts.fill(&mut head, false);
                }
                Ok(other_pod(head, contributes, Labels::new()))
            }
        }
    }

    /// The labels an other pod keeps in a bundle written by capture: the union of the selectors of
    /// the Services selecting it, which a replay's sieve reduces exactly as the live one does.
    pub fn labels_for(&self, selected_by: &[u32]) -> Labels {
        self.services
            .as_ref()
            .map(|s| s.union(selected_by))
            .unwrap_or_default()
    }

    /// After the last pod: gives the other pods selected by a Service that also selects a pod kept
    /// whole the labels that make the same Services select them. `pods` is the sifted list. Gives
    /// the positions of the pods whose labels it set, in list order.
    pub fn finish(self, pods: &mut [Pod]) -> Vec<u32> {
        let mut relabelled = Vec::new();
        let Some(services) = &self.services else {
            return relabelled;
        };
        // `judge` pushes a pod's pairs together and in list order: each run of one position is
        // that pod's Services, in the order it found them (no map of 150,000 pods to build).
        for pairs in self.selected.chunk_by(|a, b| a.0 == b.0) {
            if !pairs.iter().any(|(_, s)| self.touched.contains(s)) {
                continue;
            }
            let Some((at, p)) = pairs
                .first()
                .and_then(|&(pod, _)| Some((pod, pods.get_mut(pod as usize)?)))
            else {
                continue;
            };
            let selecting: Vec<u32> = pairs.iter().map(|&(_, s)| s).collect();
            p.metadata.labels = services.union(&selecting);
            relabelled.push(at);
        }
        relabelled
    }
}

/// What is kept of an other pod: namespace, name, node and phase; with `contributes`, its
/// containers' names and images and their running states; `labels` as given.
pub fn other_pod(pod: Pod, contributes: bool, labels: Labels) -> Pod {
    let Pod {
        metadata,
        spec,
        status,
        ..
    } = pod;
    let (containers, container_statuses) = if contributes {
        let containers = spec
            .containers
            .into_iter()
            .map(|c| Container {
                name: c.name,
                image: c.image,
                ..Container::default()
            })
            .collect();
        let statuses = status
            .container_statuses
            .into_iter()
            .map(|s| ContainerStatus::running_only(s.name, s.state.running))
            .collect();
        (containers, statuses)
    } else {
        (Vec::new(), Vec::new())
    };
    Pod {
        metadata: ObjectMeta {
            name: metadata.name,
            namespace: metadata.namespace,
            labels,
            ..ObjectMeta::default()
        },
        spec: PodSpec {
            node_name: spec.node_name,
            containers,
            ..PodSpec::default()
        },
        status: PodStatus {
            phase: status.phase,
            container_statuses,
            ..PodStatus::default()
        },
        other: true,
    }
}

/// Sifts a whole pod list at once (the bundle reader and tests): `pods` in list order.
pub fn sift_all(pods: Vec<Pod>, nodes: &[Node], services: Option<&[Service]>) -> Vec<Pod> {
    let mut sieve = PodSieve::new(nodes, services);
    let mut out: Vec<Pod> = pods.into_iter().map(|p| sieve.sift(p)).collect();
    sieve.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<Node> {
        serde_json::from_str(
            r#"[{"metadata":{"name":"lin-1","labels":{"kubernetes.io/os":"linux"}}},
                {"metadata":{"name":"WIN-1.corp.example.com","labels":{"kubernetes.io/os":"windows"}}}]"#,
        )
        .expect("nodes")
    }

    fn pod(json: &str) -> Pod {
        serde_json::from_str(json).expect("pod")
    }

    #[test]
    fn pods_on_or_aimed_at_windows_are_whole_and_others_keep_their_identity() {
        let mut sieve = PodSieve::new(&nodes(), None);
        let whole = [
            r#"{"metadata":{"name":"a"},"spec":{"nodeName":"win-1","containers":[{"name":"c","image":"x"}]}}"#,
            r#"{"metadata":{"name":"b"},"spec":{"containers":[{"name":"c","image":"x"}]}}"#,
            r#"{"metadata":{"name":"c"},"spec":{"nodeName":"gone"}}"#,
            r#"{"metadata":{"name":"d"},"spec":{"nodeName":"lin-1","nodeSelector":{"kubernetes.io/os":"windows"}}}"#,
            r#"{"metadata":{"name":"e"},"spec":{"nodeName":"lin-1","runtimeClassName":"win"}}"#,
            r#"{"metadata":{"name":"kube-apiserver-cp1","namespace":"kube-system"},"spec":{"nodeName":"lin-1"}}"#,
            r#"{"metadata":{"name":"f","annotations":{"experimental.windows.kubernetes.io/isolation-type":"hyperv"}},"spec":{"nodeName":"lin-1"}}"#,
            r#"{"metadata":{"name":"g"},"spec":{"nodeName":"lin-1","nodeSelector":{"node.kubernetes.io/windows-build":"10.0.20348"}}}"#,
            r#"{"metadata":{"name":"h"},"spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"busybox","securityContext":{"windowsOptions":{"hostProcess":true}}}]}}"#,
        ];
        for json in whole {
            let p = pod(json);
            assert_eq!(sieve.sift(p.clone()), p, "{json}");
        }
        let linux = pod(
            r#"{"metadata":{"name":"web","namespace":"shop","labels":{"app":"web"},"ownerReferences":[{"kind":"ReplicaSet","name":"web-1"}]},
                "spec":{"nodeName":"lin-1","nodeSelector":{"kubernetes.io/os":"linux"},"containers":[{"name":"c","image":"nginx","args":["-x"]}]},
                "status":{"phase":"Running","podIP":"10.0.0.1","containerStatuses":[{"name":"c","ready":true,"state":{"running":{"startedAt":"t"}}}]}}"#,
        );
        let kept = sieve.sift(linux.clone());
        assert_eq!(kept.name(), "web");
        assert_eq!(kept.namespace(), "shop");
        assert_eq!(kept.node_name(), Some("lin-1"));
        assert_eq!(kept.status.phase.as_deref(), Some("Running"));
        assert!(kept.metadata.labels.is_empty() && kept.metadata.owner_references.is_empty());
        // Marked as an other pod, which the readings of Windows pods pass by (whole pods, above,
        // came back equal, unmarked).
        assert!(kept.other);
        // The first pod running nginx on Linux keeps its containers' images and states.
        assert_eq!(kept.spec.containers[0].image, "nginx");
        assert!(kept.spec.containers[0].args.is_empty());
        assert!(kept.status.container_statuses[0].state.running.is_some());
        // The next one does not.
        let again = sieve.sift(linux);
        assert!(again.spec.containers.is_empty() && again.status.container_statuses.is_empty());
    }

    #[test]
    fn sifting_the_json_text_keeps_what_sifting_the_parsed_pod_keeps() {
        let pods = [
            r#"{"metadata":{"name":"a"},"spec":{"nodeName":"win-1","containers":[{"name":"c","image":"x","env":[{"name":"A","value":"b"}]}]}}"#,
            r#"{"metadata":{"name":"b"},"spec":{"containers":[{"name":"c","image":"x"}]}}"#,
            r#"{"metadata":{"name":"c"},"spec":{"nodeName":"gone"}}"#,
            r#"{"metadata":{"name":"d"},"spec":{"nodeName":"lin-1","nodeSelector":{"kubernetes.io/os":"windows"}}}"#,
            r#"{"metadata":{"name":"d2"},"spec":{"nodeName":"lin-1","os":{"name":"windows"}}}"#,
            r#"{"metadata":{"name":"d3"},"spec":{"nodeName":"lin-1","affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/os","operator":"In","values":["windows"]}]}]}}}}}"#,
            r#"{"metadata":{"name":"d4"},"spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"mcr.microsoft.com/windows/servercore:ltsc2022"}]}}"#,
            r#"{"metadata":{"name":"d5"},"spec":{"nodeName":"lin-1","securityContext":{"windowsOptions":{"hostProcess":true}}}}"#,
            r#"{"metadata":{"name":"d6"},"spec":{"nodeName":"lin-1","initContainers":[{"name":"i","image":"busybox","securityContext":{"windowsOptions":{"hostProcess":true}}}]}}"#,
            r#"{"metadata":{"name":"e"},"spec":{"nodeName":"lin-1","runtimeClassName":"win"}}"#,
            r#"{"metadata":{"name":"kube-apiserver-cp1","namespace":"kube-system"},"spec":{"nodeName":"lin-1"}}"#,
            r#"{"metadata":{"name":"f","annotations":{"experimental.windows.kubernetes.io/isolation-type":"hyperv","other":"x"}},"spec":{"nodeName":"lin-1"}}"#,
            r#"{"metadata":{"name":"g","annotations":{"other":"x"}},"spec":{"nodeName":"lin-1"}}"#,
            r#"{"metadata":{"name":"web","namespace":"shop","labels":{"app":"web"},"ownerReferences":[{"kind":"ReplicaSet","name":"web-1"}]},
                "spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"nginx","args":["-x"]}]},
                "status":{"phase":"Running","podIP":"10.0.0.1","containerStatuses":[{"name":"c","ready":true,"state":{"running":{"startedAt":"t"}}}]}}"#,
            r#"{"metadata":{"name":"web2","namespace":"shop"},"spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"nginx"}]},"status":{"phase":"Running","containerStatuses":[{"name":"c","state":{"running":{}}}]}}"#,
            r#"{"metadata":{"name":"waiting"},"spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"redis"}]},"status":{"phase":"Pending","containerStatuses":[{"name":"c","state":{"waiting":{"reason":"ErrImagePull"}}}]}}"#,
            r#"{"metadata":{"name":null,"labels":null,"annotations":null},"spec":{"nodeName":"lin-1","containers":null,"nodeSelector":null},"status":{"containerStatuses":null}}"#,
            // The parts the head keeps apart (`HeadParts`): a container-level HostProcess flag; a
            // key given twice (the Service selects by its last value); two containers of one name
            // (the first one's image is the one running) and a state naming no container; escaped
            // names and images, read as the whole parse reads them.
            r#"{"metadata":{"name":"sel"},"spec":{"nodeName":"lin-1","nodeSelector":{"kubernetes.io/os":"windows","kubernetes.io/os":"linux"}}}"#,
            r#"{"metadata":{"name":"sel2"},"spec":{"nodeName":"lin-1","nodeSelector":{"kubernetes.io/os":"linux","kubernetes.io/os":"windows"}}}"#,
            r#"{"metadata":{"name":"build"},"spec":{"nodeName":"lin-1","nodeSelector":{"node.kubernetes.io/windows-build":"10.0.20348"}}}"#,
            r#"{"metadata":{"name":"hp"},"spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"busybox","securityContext":{"windowsOptions":{"hostProcess":true}}}]}}"#,
            r#"{"metadata":{"name":"dup","namespace":"shop","labels":{"app":"api","app":"web"}},"spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"alpine"},{"name":"c","image":"alpine:2"}]},"status":{"containerStatuses":[{"name":"c","state":{"running":{}}},{"name":"gone","state":{"running":{}}}]}}"#,
            r#"{"metadata":{"name":"dup2","namespace":"shop","labels":{"app":"web","app":"api"}},"spec":{"nodeName":"lin-1","containers":[{"name":"c","image":"alpine:2"}]},"status":{"containerStatuses":[{"name":"c","state":{"running":{}}}]}}"#,
            r#"{"metadata":{"name":"esc","namespace":"shop","labels":{"\u0061pp":"web"}},"spec":{"nodeName":"lin-1","containers":[{"name":"c\u0031","image":"quay.io/x\u002fy"}]},"status":{"containerStatuses":[{"name":"c1","state":{"running":{}}}]}}"#,
        ];
        let services: Vec<Service> = serde_json::from_str(
            r#"[{"metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"app":"web"}}}]"#,
        )
        .expect("services");
        let mut by_pod = PodSieve::new(&nodes(), Some(&services));
        let mut by_text = PodSieve::new(&nodes(), Some(&services));
        for json in pods {
            let expected = by_pod.sift(pod(json));
            assert_eq!(by_text.sift_json(json).expect(json), expected, "{json}");
        }
        // A field the head reads is refused as the whole parse refuses it.
        let bad = r#"{"metadata":{"name":"x"},"spec":{"nodeName":7}}"#;
        assert!(serde_json::from_str::<Pod>(bad).is_err());
        assert!(by_text.sift_json(bad).is_err());
    }

    #[test]
    fn other_pods_of_services_with_windows_backends_keep_matching_labels() {
        let services: Vec<Service> = serde_json::from_str(
            r#"[{"metadata":{"name":"mixed","namespace":"a"},"spec":{"selector":{"app":"m"}}},
                {"metadata":{"name":"tier","namespace":"a"},"spec":{"selector":{"app":"m","tier":"web"}}},
                {"metadata":{"name":"linux","namespace":"a"},"spec":{"selector":{"app":"l"}}}]"#,
        )
        .expect("services");
        let pods = vec![
            pod(
                r#"{"metadata":{"name":"l1","namespace":"a","labels":{"app":"m","tier":"web","x":"y"}},"spec":{"nodeName":"lin-1"}}"#,
            ),
            pod(
                r#"{"metadata":{"name":"l2","namespace":"a","labels":{"app":"l"}},"spec":{"nodeName":"lin-1"}}"#,
            ),
            pod(
                r#"{"metadata":{"name":"w1","namespace":"a","labels":{"app":"m"}},"spec":{"nodeName":"WIN-1.corp.example.com"}}"#,
            ),
            pod(
                r#"{"metadata":{"name":"l3","namespace":"a","labels":{"app":"m","tier":"web"}},"spec":{"nodeName":"lin-1"}}"#,
            ),
            pod(
                r#"{"metadata":{"name":"l4","namespace":"a","labels":{"app":"l","tier":"web"}},"spec":{"nodeName":"lin-1"}}"#,
            ),
        ];
        let sifted = sift_all(pods, &nodes(), Some(&services));
        let labels = |i: usize| -> Vec<(String, String)> {
            sifted[i]
                .metadata
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        assert_eq!(
            labels(0),
            [("app".into(), "m".into()), ("tier".into(), "web".into())]
        );
        assert!(labels(1).is_empty(), "no Windows backend behind app=l");
        assert_eq!(labels(2), [("app".into(), "m".into())]);
        // After the Windows pod, the same: each other pod gets its own Services' labels.
        assert_eq!(labels(3), labels(0));
        assert!(labels(4).is_empty(), "only app=l selects it");
    }
}
