//! Capturing the cluster part: every list of the input table read page by page (the live source's
//! pager, with all its checks and bounds) and written item by item as it arrives, so no list is
//! ever held. Lists are read concurrently; pods wait for the Nodes and Services and go through the
//! pod sieve (`facts::share`): with the Windows share (the default), pods on or aimed at Windows are
//! written whole and the others as the few fields a run keeps of them; with `--full`, every pod
//! whole. Each list that cannot be read is recorded (and its partial file dropped) so the replay
//! reports the same `error` as the live run; a write error stops the capture.

use super::output::{OutFile, Output};
use super::sanitize;
use super::streamed::{self, ItemNames};
use crate::facts::inputs::{Fetch, InputSpec, CLUSTER_INPUTS};
use crate::facts::k8s::{Labels, Node, Pod, Service};
use crate::facts::node::remote::may_name_a_component;
use crate::facts::pod_head::{HeadContainer, PodHead};
use crate::facts::share::{PodSieve, Share};
use crate::sources::bundle::CaptureError;
use crate::sources::json_cursor::JsonCursor;
use crate::sources::live::paging::{self, item_key, ItemError, ListSink};
use crate::sources::live::written_ahead::{ItemWriter, WrittenAhead};
use crate::sources::live::{self, request, LiveOptions};
use crate::sources::nodeapi::may_be_system_pod;
use kube::Client;
use serde_json::Value;
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Which pods a capture writes whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The Windows share: what a run keeps (the default). Nodes are written without the
    /// `status.images` entries that name no pause image (`streamed::Unread::LeftOut`).
    WindowsShare,
    /// Every object of every list.
    Full,
}

/// A pod whose logs capture fetches: flannel and kube-proxy on Windows nodes.
#[derive(Debug, Clone)]
pub struct LogTarget {
    pub namespace: String,
    pub pod: String,
    pub containers: Vec<String>,
}

/// What the cluster part of a capture gave.
#[derive(Debug, Default)]
pub struct Cluster {
    /// The Nodes (slim), for naming the local node and planning probes.
    pub nodes: Vec<Node>,
    /// The Services (slim), for planning probes.
    pub services: Vec<Service>,
    pub logs: Vec<LogTarget>,
    /// The system pods of the Windows nodes (`sources::nodeapi::system_pod`), whole, for the
    /// node-data part (`commands::node_data`).
    pub system_pods: Vec<Pod>,
    /// Inputs that could not be read, and why (as the live run words it).
    pub errors: Vec<CaptureError>,
    /// Bundle paths written.
    pub written: Vec<String>,
}

/// The first write error of the capture, shared by every list: once set, the capture stops.
/// Every item asks for it, so whether one was set is a flag read without the lock.
#[derive(Debug, Clone, Default)]
pub struct WriteFailure(Arc<FailureSlot>);

#[derive(Debug, Default)]
struct FailureSlot {
    set: AtomicBool,
    why: Mutex<Option<String>>,
}

impl WriteFailure {
    pub fn set(&self, why: String) {
        if let Ok(mut slot) = self.0.why.lock() {
            slot.get_or_insert(why);
        }
        self.0.set.store(true, Ordering::Release);
    }
    pub fn get(&self) -> Option<String> {
        if !self.0.set.load(Ordering::Acquire) {
            return None;
        }
        self.0.why.lock().ok().and_then(|s| s.clone())
    }
}

/// What a list's writer does with its items besides writing them.
enum Role {
    Plain,
    Nodes(Vec<Node>),
    Services(Vec<Service>),
    Pods(Box<PodsRole>),
}

/// The pod list's writer state: the sieve (once the Nodes and Services are in), the Windows node
/// names, the pods whose logs to fetch and the Windows nodes' system pods.
#[derive(Default)]
struct PodsRole {
    sieve: Option<PodSieve>,
    windows: HashSet<String>,
    logs: Vec<LogTarget>,
    system: Vec<Pod>,
}

/// Writes a list file item by item: `{"apiVersion":"v1","kind":"List","items":[` ... `]}`.
struct ListWriter {
    file: OutFile,
    kind: &'static str,
    api_version: &'static str,
    items: usize,
    role: Role,
    scope: Scope,
    failure: WriteFailure,
    /// The bytes of the item being written, kept between items.
    buffer: Vec<u8>,
}

impl ListWriter {
    fn new(
        out: &Output,
        spec: &InputSpec,
        role: Role,
        scope: Scope,
        failure: &WriteFailure,
    ) -> Result<ListWriter, String> {
        let path = format!("{}.json", spec.bundle);
        let mut file = out.file(&path)?;
        file.write_all(b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[")
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        Ok(ListWriter {
            file,
            kind: spec.kind,
            api_version: spec.api_version,
            items: 0,
            role,
            scope,
            failure: failure.clone(),
            buffer: Vec::new(),
        })
    }

    /// Writes one item's bytes, after the separator.
    fn put_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        let sep: &[u8] = if self.items == 0 { b"\n" } else { b",\n" };
        self.items += 1;
        let written = self
            .file
            .write_all(sep)
            .and_then(|()| self.file.write_all(bytes));
        written.map_err(|e| {
            let why = format!("cannot write {}: {e}", self.file.path());
            self.failure.set(why.clone());
            why
        })
    }

    /// Writes an other pod of the Windows share as the run keeps it (`sanitize::write_other_pod`).
    fn put_other(&mut self, other: OtherPod) -> Result<(), String> {
        let mut bytes = std::mem::take(&mut self.buffer);
        bytes.clear();
        sanitize::write_other_pod(&mut bytes, other.pod, other.contributes, other.labels);
        let done = self.put_bytes(&bytes);
        self.buffer = bytes;
        done
    }

    /// Writes an item as the API sent it (its whole text), sanitized while it is read
    /// (`streamed`); gives the namespace and name written.
    fn put_whole(&mut self, raw: &str) -> Result<ItemNames, ItemError> {
        self.put_whole_at(&mut JsonCursor::new(raw))
    }

    /// Writes the item at `item` as the API sent it, sanitized while it is read (`streamed`),
    /// and moves the cursor past it; gives the namespace and name written.
    fn put_whole_at(&mut self, item: &mut JsonCursor<'_>) -> Result<ItemNames, ItemError> {
        let mut bytes = std::mem::take(&mut self.buffer);
        bytes.clear();
        let unread = match self.scope {
            Scope::Full => streamed::Unread::Kept,
            Scope::WindowsShare => streamed::Unread::LeftOut,
        };
        let done = streamed::write_item_at(item, self.kind, self.api_version, unread, &mut bytes)
            .map_err(ItemError::Invalid)
            .and_then(|names| {
                self.put_bytes(&bytes)
                    .map(|()| names)
                    .map_err(ItemError::Stop)
            });
        self.buffer = bytes;
        done
    }

    /// Closes the list; a write error is recorded as the capture's failure.
    fn close(mut self) -> Result<(Role, String), String> {
        let path = self.file.path().to_string();
        let end = self.file.write_all(b"\n]}\n");
        let done = end
            .map_err(|e| format!("cannot write {path}: {e}"))
            .and_then(|()| self.file.finish());
        match done {
            Ok(()) => Ok((self.role, path)),
            Err(why) => {
                self.failure.set(why.clone());
                Err(why)
            }
        }
    }
}

/// A pod of the Windows share kept as an other pod, with what it is written with.
struct OtherPod {
    pod: Pod,
    contributes: bool,
    labels: Labels,
}

impl ListSink for ListWriter {
    fn take_next(
        &mut self,
        item: &mut JsonCursor<'_>,
        written: &mut WrittenAhead,
    ) -> Result<u64, ItemError> {
        self.take_item(item, written)
    }

    /// A full capture writes every pod as the API sent it (sanitized): a helper thread writes
    /// every second run of a big page's pods.
    fn writes_ahead(&self) -> Option<Box<dyn ItemWriter>> {
        (self.scope == Scope::Full && matches!(self.role, Role::Pods(_))).then(|| {
            Box::new(streamed::ItemsAhead {
                kind: self.kind,
                api_version: self.api_version,
            }) as Box<dyn ItemWriter>
        })
    }
}

impl ListWriter {
    /// Reads the item at `item` (the cursor moves past it) and writes it as the role and the
    /// scope say. An item that is not a valid object of its kind is [`ItemError::Invalid`], which
    /// the pager words with the item's position exactly as the live run does, so that a replay
    /// of the capture reports it as the live run would (with the same fix).
    fn take_item(
        &mut self,
        item: &mut JsonCursor<'_>,
        written: &mut WrittenAhead,
    ) -> Result<u64, ItemError> {
        if let Some(why) = self.failure.get() {
            return Err(ItemError::Stop(why));
        }
        if self.scope == Scope::Full && matches!(self.role, Role::Pods(_)) {
            return self.take_full_pod(item, written);
        }
        let start = item.offset();
        // What the role learns of the item, and the other pod to write instead of the item.
        let (key, other): (u64, Option<OtherPod>) = match &mut self.role {
            Role::Plain => {
                let names = self.put_whole_at(item)?;
                return Ok(item_key(
                    names.namespace.as_deref(),
                    names.name.as_deref().unwrap_or(""),
                ));
            }
            Role::Nodes(nodes) => {
                let node: Node = item.value().map_err(ItemError::Invalid)?;
                let key = item_key(None, node.name());
                nodes.push(node);
                (key, None)
            }
            Role::Services(services) => {
                let service: Service = item.value().map_err(ItemError::Invalid)?;
                let key = item_key(service.metadata.namespace.as_deref(), service.name());
                services.push(service);
                (key, None)
            }
            Role::Pods(pods) => {
                let PodsRole {
                    sieve,
                    windows,
                    logs,
                    system,
                } = pods.as_mut();
                // The head decides (`facts::pod_head`); only a pod on a Windows node that may be
                // a system pod (`may_be_system_pod`) and whose text may name a component
                // (`may_name_a_component`) is parsed whole here, for its system pod role.
                let (mut pod, parts) = item
                    .read_at(PodHead::read_at)
                    .map_err(ItemError::Invalid)?
                    .0
                    .into_parts();
                let key = item_key(pod.metadata.namespace.as_deref(), pod.name());
                let containers = parts.containers().iter().map(HeadContainer::name);
                if let Some(target) = log_target(&pod, containers, windows) {
                    logs.push(target);
                }
                let raw = item.text_since(start);
                if let Some(node) = pod.node_name().filter(|n| {
                    windows.contains(*n)
                        && may_be_system_pod(pod.namespace(), raw)
                        && may_name_a_component(raw)
                }) {
                    let whole: Pod = serde_json::from_str(raw).map_err(ItemError::Invalid)?;
                    if crate::sources::nodeapi::system_pod(&whole, node).is_some() {
                        system.push(whole);
                    }
                }
                let share = match sieve {
                    Some(s) => s.judge_parts(&pod, &parts),
                    None => Share::Whole,
                };
                let other = match (share, self.scope, sieve.as_ref()) {
                    (
                        Share::Other {
                            contributes,
                            selected_by,
                        },
                        Scope::WindowsShare,
                        Some(s),
                    ) => {
                        if contributes {
                            // Its containers' names, images and states are written.
                            parts.fill(&mut pod, false);
                        }
                        Some(OtherPod {
                            pod,
                            contributes,
                            labels: s.labels_for(&selected_by),
                        })
                    }
                    _ => None,
                };
                (key, other)
            }
        };
        match other {
            Some(other) => self.put_other(other).map_err(ItemError::Stop)?,
            None => {
                self.put_whole(item.text_since(start))?;
            }
        }
        Ok(key)
    }

    /// A pod of a full capture: written whole, with no head to judge; a pod on a Windows node (as
    /// the writing tells) that may be a system pod or whose name says its logs are fetched, and
    /// whose text may name a component, is also read whole, for its log tails and its system pod
    /// role.
    /// `written`: the pods a helper wrote ahead (`written_ahead`), taken in list order.
    fn take_full_pod(
        &mut self,
        item: &mut JsonCursor<'_>,
        written: &mut WrittenAhead,
    ) -> Result<u64, ItemError> {
        item.peek();
        let start = item.offset();
        let names = match written.take(start) {
            Some(taken) => {
                self.put_bytes(taken.bytes).map_err(ItemError::Stop)?;
                item.read_at(|_, _| Ok::<_, ItemError>(((), taken.end)))?;
                taken.names
            }
            None => self.put_whole_at(item)?,
        };
        let raw = item.text_since(start);
        let key = item_key(
            names.namespace.as_deref(),
            names.name.as_deref().unwrap_or(""),
        );
        let Role::Pods(pods) = &mut self.role else {
            return Ok(key);
        };
        let namespace = names.namespace.as_deref().unwrap_or("default");
        let name = names.name.as_deref().unwrap_or_default();
        let Some(node) = names.node_name.filter(|n| {
            pods.windows.contains(n)
                && (may_be_system_pod(namespace, raw) || names_logged_component(name))
                && may_name_a_component(raw)
        }) else {
            return Ok(key);
        };
        let whole: Pod = serde_json::from_str(raw).map_err(ItemError::Invalid)?;
        let containers = whole.spec.containers.iter().map(|c| c.name.as_str());
        if let Some(target) = log_target(&whole, containers, &pods.windows) {
            pods.logs.push(target);
        }
        if crate::sources::nodeapi::system_pod(&whole, &node).is_some() {
            pods.system.push(whole);
        }
        Ok(key)
    }
}

/// Whether a pod's name says it runs a component whose log tails capture fetches.
fn names_logged_component(name: &str) -> bool {
    name.contains("flannel") || name.contains("kube-proxy")
}

/// flannel and kube-proxy pods on Windows nodes, whose log tails capture fetches (`containers`: the
/// pod's containers' names).
fn log_target<'c>(
    pod: &Pod,
    containers: impl Iterator<Item = &'c str>,
    windows: &HashSet<String>,
) -> Option<LogTarget> {
    let name = pod.name();
    if !names_logged_component(name) {
        return None;
    }
    if !windows.contains(pod.node_name()?) {
        return None;
    }
    Some(LogTarget {
        namespace: pod.namespace().to_string(),
        pod: name.to_string(),
        containers: containers.map(str::to_string).collect(),
    })
}

/// What one input's task gives back.
enum Done {
    Written(String),
    Nodes(Vec<Node>, String),
    Services(Vec<Service>, String),
    Pods(Box<PodsRole>, String),
    NotRead(CaptureError),
}

/// What every list's task shares.
#[derive(Clone)]
struct Job {
    client: Client,
    opts: LiveOptions,
    out: Arc<Output>,
    scope: Scope,
    failure: WriteFailure,
}

/// The sieve and the Windows node names, sent to the pod list.
type SieveReceiver = tokio::sync::oneshot::Receiver<(Option<PodSieve>, HashSet<String>)>;

/// Reads and writes one list input with `role`; the pod list waits for `sieve`.
async fn capture_list(job: Job, spec: InputSpec, role: Role, sieve: Option<SieveReceiver>) -> Done {
    let Job {
        client,
        opts,
        out,
        scope,
        failure,
    } = job;
    let path = format!("{}.json", spec.bundle);
    let not_read = |reason: String| {
        Done::NotRead(CaptureError {
            path: format!("{}.json", spec.bundle),
            reason,
        })
    };
    if spec.fetch == Fetch::ConfigMaps {
        return capture_configmaps(client, spec, opts, out, failure).await;
    }
    let Some(list) = live::list_request(&spec).into_iter().next() else {
        return not_read(format!("{} is not a list", spec.name));
    };
    let writer = match ListWriter::new(&out, &spec, role, scope, &failure) {
        Ok(w) => w,
        Err(why) => {
            failure.set(why.clone());
            return not_read(why);
        }
    };
    let sink = async move {
        let mut writer = writer;
        if let (Some(rx), Role::Pods(pods)) = (sieve, &mut writer.role) {
            if let Ok((s, w)) = rx.await {
                pods.sieve = s;
                pods.windows = w;
            }
        }
        writer
    };
    match paging::list_each(&client, &list, &opts, sink).await {
        Ok(writer) => match writer.close() {
            Ok((Role::Nodes(nodes), path)) => Done::Nodes(nodes, path),
            Ok((Role::Services(services), path)) => Done::Services(services, path),
            Ok((Role::Pods(pods), path)) => Done::Pods(pods, path),
            Ok((Role::Plain, path)) => Done::Written(path),
            Err(why) => not_read(why),
        },
        Err(why) => {
            // The partial file is dropped: the replay reads the recorded error instead.
            out.discard(&path);
            not_read(why)
        }
    }
}

/// The ConfigMaps windoctor reads (kube-system, plus `kube-flannel-cfg` anywhere): few and small,
/// merged and sorted as the live source does, then written.
async fn capture_configmaps(
    client: Client,
    spec: InputSpec,
    opts: LiveOptions,
    out: Arc<Output>,
    failure: WriteFailure,
) -> Done {
    let path = format!("{}.json", spec.bundle);
    match live::read_list::<Value>(&client, &spec, &opts).await {
        Ok(items) => {
            let written = streamed::write_list(&items, spec.kind, spec.api_version)
                .map_err(|e| format!("cannot write {path}: {e}"))
                .and_then(|bytes| out.write(&path, &bytes));
            match written {
                Ok(()) => Done::Written(path),
                Err(why) => {
                    failure.set(why.clone());
                    Done::NotRead(CaptureError { path, reason: why })
                }
            }
        }
        Err(reason) => Done::NotRead(CaptureError { path, reason }),
    }
}

/// Reads `/version` and writes it.
async fn capture_version(
    client: Client,
    spec: InputSpec,
    opts: LiveOptions,
    out: Arc<Output>,
    failure: WriteFailure,
) -> Done {
    let path = format!("{}.json", spec.bundle);
    let bounds = request::Bounds {
        timeout: opts.request_timeout,
        max_bytes: 1 << 20,
        deadline: Instant::now() + opts.request_timeout * 4,
    };
    let value = match request::get(&client, "/version", bounds).await {
        Ok(body) => match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v.is_object() => v,
            Ok(_) | Err(_) => {
                return Done::NotRead(CaptureError {
                    path,
                    reason: "cannot read /version: not a version object".to_string(),
                })
            }
        },
        Err(e) => {
            return Done::NotRead(CaptureError {
                path,
                reason: format!("cannot read /version: {}", e.message()),
            })
        }
    };
    let bytes = serde_json::to_vec_pretty(&sanitize::sanitize_value(value)).unwrap_or_default();
    match out.write(&path, &bytes) {
        Ok(()) => Done::Written(path),
        Err(why) => {
            failure.set(why.clone());
            Done::NotRead(CaptureError { path, reason: why })
        }
    }
}

/// Reads every input of the table concurrently and writes it to `out`.
pub async fn capture_cluster(
    client: &Client,
    opts: &LiveOptions,
    out: &Arc<Output>,
    scope: Scope,
    failure: &WriteFailure,
) -> Cluster {
    let (sieve_tx, sieve_rx) = tokio::sync::oneshot::channel();
    let mut sieve_rx = Some(sieve_rx);
    let mut set = tokio::task::JoinSet::new();
    let job = Job {
        client: client.clone(),
        opts: opts.clone(),
        out: Arc::clone(out),
        scope,
        failure: failure.clone(),
    };
    for spec in CLUSTER_INPUTS.iter().copied() {
        if spec.fetch == Fetch::Version {
            let j = job.clone();
            set.spawn(capture_version(j.client, spec, j.opts, j.out, j.failure));
            continue;
        }
        let (role, wait) = match spec.name {
            "nodes" => (Role::Nodes(Vec::new()), None),
            "services" => (Role::Services(Vec::new()), None),
            "pods" => (Role::Pods(Box::default()), sieve_rx.take()),
            _ => (Role::Plain, None),
        };
        set.spawn(capture_list(job.clone(), spec, role, wait));
    }
    let mut cluster = Cluster::default();
    let (mut nodes_done, mut services_done, mut nodes_ok) = (false, false, false);
    let mut sieve_tx = Some(sieve_tx);
    while let Some(joined) = set.join_next().await {
        let Ok(done) = joined else { continue };
        match done {
            Done::Written(path) => cluster.written.push(path),
            Done::Nodes(nodes, path) => {
                cluster.nodes = nodes;
                cluster.written.push(path);
                nodes_done = true;
                nodes_ok = true;
            }
            Done::Services(services, path) => {
                cluster.services = services;
                cluster.written.push(path);
                services_done = true;
            }
            Done::Pods(pods, path) => {
                cluster.logs = pods.logs;
                cluster.system_pods = pods.system;
                cluster.written.push(path);
            }
            Done::NotRead(e) => {
                if e.path == "cluster/nodes.json" {
                    nodes_done = true;
                }
                if e.path == "cluster/services.json" {
                    services_done = true;
                }
                cluster.errors.push(e);
            }
        }
        if nodes_done && services_done {
            if let Some(tx) = sieve_tx.take() {
                let services_ok = !cluster
                    .errors
                    .iter()
                    .any(|e| e.path == "cluster/services.json");
                let sieve = nodes_ok.then(|| {
                    PodSieve::new(
                        &cluster.nodes,
                        services_ok.then_some(cluster.services.as_slice()),
                    )
                });
                let windows = cluster
                    .nodes
                    .iter()
                    .filter(|n| n.is_windows())
                    .map(|n| n.name().to_string())
                    .collect();
                let _ = tx.send((sieve, windows));
            }
        }
    }
    cluster
}
