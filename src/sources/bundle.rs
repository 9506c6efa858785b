//! The offline source: reads a bundle (docs/bundle.md) from any `FileStore` into `Facts`.
//!
//! Every file is optional. An absent cluster file makes its input `Missing` (checks `skip` and name
//! it); a file that cannot be parsed, is empty, or is there but cannot be read (permissions, a
//! directory, a link out of the bundle) makes it `Failed` with what is wrong (checks report
//! `error`). A bundle written by `windoctor capture` carries `capture.json`: each input it lists as not read
//! is `Failed` with the reason the live run had, and when the capture says it is incomplete, an
//! absent cluster file is `Failed` too, never a `skip` that could pass for a healthy cluster.
//! A bundle translated from another tool's collection carries `collection.json` (which collector
//! made it, and why inputs are missing): its reasons replace the generic "was not captured" in the
//! messages of the inputs it lacks. Each file is read once; big lists are streamed item by item,
//! and pods go through the pod sieve (`facts::share`) once the Nodes and Services are read, as in a
//! live run.

use super::files::FileStore;
use super::json_items;
use super::kubeobj::{parse_objects, parse_version};
use crate::facts::cluster::{ClusterFacts, ClusterInput};
use crate::facts::collection::CollectionInfo;
use crate::facts::inputs::{CollectedItem, InputSpec, CLUSTER_INPUTS};
use crate::facts::k8s::{Pod, PodLog, ServerVersion};
use crate::facts::share::PodSieve;
use crate::facts::{Facts, Input};
use serde::de::DeserializeOwned;

/// Reads the cluster part and the node part of a bundle.
pub fn read_bundle(store: &dyn FileStore) -> Facts {
    let mut facts = Facts {
        collection: read_collection(store),
        ..Default::default()
    };
    read_cluster_part(store, &mut facts);
    super::node::read_node_part(store, &mut facts);
    facts.probes = crate::sources::probe_results::read_from_bundle(store);
    facts
}

/// What `capture.json` says about the capture that wrote the bundle.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct CaptureRecord {
    /// Whether everything was read and written.
    pub complete: Option<bool>,
    /// What could not be read or written, and why.
    pub errors: Vec<CaptureError>,
}

/// One entry of `capture.json`'s `errors`.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct CaptureError {
    /// The bundle path that is absent or partial, e.g. `cluster/pods.json`.
    pub path: String,
    pub reason: String,
}

/// The bundle file capture records its outcome in.
pub const CAPTURE_RECORD: &str = "capture.json";

impl CaptureRecord {
    /// `capture.json` of the bundle; the default (no record) when absent. A record that cannot be
    /// parsed counts as an incomplete capture.
    pub fn read(store: &dyn FileStore) -> CaptureRecord {
        match store.read(CAPTURE_RECORD) {
            Ok(None) => CaptureRecord::default(),
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|e| CaptureRecord {
                complete: Some(false),
                errors: vec![CaptureError {
                    path: CAPTURE_RECORD.to_string(),
                    reason: format!("not valid JSON: {e}"),
                }],
            }),
            Err(e) => CaptureRecord {
                complete: Some(false),
                errors: vec![CaptureError {
                    path: CAPTURE_RECORD.to_string(),
                    reason: e,
                }],
            },
        }
    }

    /// True when capture said it did not finish or could not read everything.
    pub fn incomplete(&self) -> bool {
        self.complete == Some(false)
    }

    /// The recorded reason an input's file was not captured, if any.
    fn error_for(&self, spec: &InputSpec) -> Option<&CaptureError> {
        self.errors.iter().find(|e| {
            let path = e.path.replace('\\', "/");
            let path = path.trim_start_matches("./");
            path.eq_ignore_ascii_case(spec.bundle)
                || ["json", "yaml", "yml"]
                    .iter()
                    .any(|ext| path.eq_ignore_ascii_case(&format!("{}.{ext}", spec.bundle)))
        })
    }

    /// An input as read from the bundle, corrected by what the capture recorded about it.
    fn apply<T>(&self, spec: &InputSpec, read: Input<T>) -> Input<T> {
        if let Some(e) = self.error_for(spec) {
            return Input::Failed(e.reason.clone());
        }
        match read {
            Input::Missing(_) if self.incomplete() => Input::Failed(format!(
                "{}.json is absent from an incomplete capture (capture.json says complete: false)",
                spec.bundle
            )),
            other => other,
        }
    }
}

/// What the readers of the input table share: the pod sieve, once Nodes and Services are read.
#[derive(Debug, Default)]
pub struct BundleContext {
    pub sieve: Option<PodSieve>,
}

/// A fact type the bundle reader can read for an input row.
pub trait FromBundle: Sized {
    fn read(store: &dyn FileStore, spec: &InputSpec, ctx: &mut BundleContext) -> Input<Self>;
}

impl FromBundle for ServerVersion {
    fn read(store: &dyn FileStore, spec: &InputSpec, _: &mut BundleContext) -> Input<Self> {
        let path = match locate(store, spec.bundle) {
            Ok(Some(path)) => path,
            Ok(None) => return Input::Missing(format!("{}.json was not captured", spec.bundle)),
            Err(why) => return Input::Failed(why),
        };
        match store.read(&path) {
            Ok(Some(bytes)) => match parse_version(&bytes, &path) {
                Ok(v) => Input::Ready(v),
                Err(e) => Input::Failed(e),
            },
            Ok(None) => Input::Missing(format!("{path} was not captured")),
            Err(e) => Input::Failed(e),
        }
    }
}

/// Reads the list file of `spec`, handing each item to `each` (streamed when the store streams
/// it, else parsed whole).
fn read_items<T: DeserializeOwned>(
    store: &dyn FileStore,
    spec: &InputSpec,
    each: &mut dyn FnMut(T) -> Result<(), String>,
) -> Input<()> {
    let path = match list_path(store, spec) {
        Ok(path) => path,
        Err(absent) => return absent,
    };
    read_items_at(store, &path, each)
}

/// Where the list file of `spec` is, or why it cannot be read.
fn list_path(store: &dyn FileStore, spec: &InputSpec) -> Result<String, Input<()>> {
    match locate(store, spec.bundle) {
        Ok(Some(path)) => Ok(path),
        Ok(None) => Err(Input::Missing(format!(
            "{b}.json was not captured (make it with `{how} > {b}.json`)",
            b = spec.bundle,
            how = spec.kubectl
        ))),
        Err(why) => Err(Input::Failed(why)),
    }
}

/// [`read_items`] of the list file at `path`.
fn read_items_at<T: DeserializeOwned>(
    store: &dyn FileStore,
    path: &str,
    each: &mut dyn FnMut(T) -> Result<(), String>,
) -> Input<()> {
    let path = path.to_string();
    if let Some(reader) = store.json_stream(&path) {
        return match json_items::parse_items_each(reader, &path, each) {
            Ok(()) => Input::Ready(()),
            Err(e) => Input::Failed(e),
        };
    }
    match store.read(&path) {
        Ok(Some(bytes)) => match parse_objects::<T>(&bytes, &path) {
            Ok(items) => {
                for item in items {
                    if let Err(e) = each(item) {
                        return Input::Failed(format!("{path}: {e}"));
                    }
                }
                Input::Ready(())
            }
            Err(e) => Input::Failed(e),
        },
        Ok(None) => Input::Missing(format!("{path} was not captured")),
        Err(e) => Input::Failed(e),
    }
}

/// Lists of every kind but pods: collected as they come.
impl<T: CollectedItem> FromBundle for Vec<T> {
    fn read(store: &dyn FileStore, spec: &InputSpec, _: &mut BundleContext) -> Input<Self> {
        let mut items = Vec::new();
        read_items::<T>(store, spec, &mut |item| {
            items.push(item);
            Ok(())
        })
        .map(|()| {
            items.shrink_to_fit();
            items
        })
    }
}

/// Pods, through the sieve of the context when there is one.
impl FromBundle for Vec<Pod> {
    fn read(store: &dyn FileStore, spec: &InputSpec, ctx: &mut BundleContext) -> Input<Self> {
        let mut sieve = ctx.sieve.take();
        let mut pods = Vec::new();
        let path = match list_path(store, spec) {
            Ok(path) => path,
            Err(absent) => return absent.map(|()| Vec::new()),
        };
        // A streamed (large, JSON) list hands over each pod's text, which the sieve reads head
        // first; a small or YAML file is parsed whole.
        let stream = sieve.as_ref().and_then(|_| store.json_stream(&path));
        let read = match (stream, &mut sieve) {
            (Some(reader), Some(s)) => {
                let mut each = |count: usize, item: &[u8]| {
                    // Text goes through the sieve (head first); bytes that are not UTF-8 get the
                    // byte parser, whose error names them.
                    let pod = match std::str::from_utf8(item) {
                        Ok(text) => s.sift_json(text),
                        Err(_) => serde_json::from_slice::<Pod>(item),
                    }
                    .map_err(|e| format!("item {count} is not a valid object: {e}"))?;
                    pods.push(pod);
                    Ok(())
                };
                match json_items::items_each_bytes(reader, &path, &mut each) {
                    Ok(()) => Input::Ready(()),
                    Err(e) => Input::Failed(e),
                }
            }
            _ => read_items_at::<Pod>(store, &path, &mut |pod| {
                pods.push(match &mut sieve {
                    Some(s) => s.sift(pod),
                    None => pod,
                });
                Ok(())
            }),
        };
        read.map(|()| {
            if let Some(s) = sieve {
                s.finish(&mut pods);
            }
            pods.shrink_to_fit();
            pods
        })
    }
}

/// The sieve for the pods of a cluster whose Nodes (and maybe Services) are read; `None` keeps
/// every pod whole (the Nodes could not be read).
pub fn pod_sieve(cluster: &ClusterFacts) -> Option<PodSieve> {
    let nodes = cluster.nodes.ready()?;
    Some(PodSieve::new(
        nodes,
        cluster.services.ready().map(Vec::as_slice),
    ))
}

macro_rules! define_read_cluster_input {
    ($($name:ident: $ty:ty, $fetch:expr, $bundle:literal, $kubectl:literal, $kind:literal, $api:literal;)*) => {
        /// Reads the cluster input `name` of the table from the bundle, as capture recorded it.
        /// Pods go through `ctx`'s sieve, if it has one.
        pub fn read_cluster_input(
            store: &dyn FileStore,
            name: &str,
            record: &CaptureRecord,
            ctx: &mut BundleContext,
        ) -> Option<ClusterInput> {
            match name {
                $(stringify!($name) => {
                    let spec = InputSpec {
                        name: stringify!($name),
                        fetch: $fetch,
                        bundle: $bundle,
                        kubectl: $kubectl,
                        kind: $kind,
                        api_version: $api,
                    };
                    let read = <$ty as FromBundle>::read(store, &spec, ctx);
                    Some(ClusterInput::$name(record.apply(&spec, read)))
                })*
                _ => None,
            }
        }
    };
}
crate::cluster_inputs!(define_read_cluster_input);

macro_rules! define_explain_all {
    ($($name:ident: $ty:ty, $fetch:expr, $bundle:literal, $kubectl:literal, $kind:literal, $api:literal;)*) => {
        /// Gives every cluster input the collection's reason for its absence, or its read error.
        fn explain_all(c: &mut ClusterFacts, info: &CollectionInfo) {
            $(explain(&mut c.$name, stringify!($name), info);)*
        }
    };
}
crate::cluster_inputs!(define_explain_all);

/// Reads every cluster input of the table from the bundle, each file once: the pods last, through
/// the sieve made from the Nodes and Services.
fn read_cluster_part(store: &dyn FileStore, facts: &mut Facts) {
    let record = CaptureRecord::read(store);
    let c = &mut facts.cluster;
    c.origin = Some(store.describe());
    let mut ctx = BundleContext::default();
    for spec in CLUSTER_INPUTS.iter().filter(|s| s.name != "pods") {
        if let Some(input) = read_cluster_input(store, spec.name, &record, &mut ctx) {
            c.store(input);
        }
    }
    ctx.sieve = pod_sieve(c);
    if let Some(input) = read_cluster_input(store, "pods", &record, &mut ctx) {
        c.store(input);
    }
    (c.logs, c.unreadable_logs) = read_pod_logs(store);
    if let Some(info) = &facts.collection {
        explain_all(&mut facts.cluster, info);
    }
}

/// `collection.json`, when the bundle was translated from a collector's output.
fn read_collection(store: &dyn FileStore) -> Option<CollectionInfo> {
    let bytes = store.read("collection.json").ok()??;
    match serde_json::from_str(&super::text::decode(&bytes)) {
        Ok(info) => Some(info),
        Err(e) => {
            eprintln!("windoctor: collection.json of the snapshot is not readable: {e}");
            None
        }
    }
}

/// Gives a cluster input the collection's reason for its absence, or its read error.
fn explain<T>(input: &mut Input<T>, name: &str, info: &CollectionInfo) {
    if let Some(e) = info.cluster_error(name) {
        *input = Input::Failed(format!(
            "cluster/{name} could not be read from the collection: {e}"
        ));
    } else if let (Input::Missing(_), Some(why)) = (&input, info.cluster_reason(name)) {
        *input = Input::Missing(format!("cluster/{name} was not gathered: {why}"));
    }
}

/// `<stem>.json`, `.yaml` or `.yml`, whichever exists; `Err` when none is readable but one of them
/// (or the folder holding them) is there and cannot be read: a directory, a link out of the bundle,
/// a folder without permission.
fn locate(store: &dyn FileStore, stem: &str) -> Result<Option<String>, String> {
    let exts = ["json", "yaml", "yml"];
    if let Some(found) = exts
        .iter()
        .find_map(|ext| store.find(&format!("{stem}.{ext}")))
    {
        return Ok(Some(found));
    }
    match exts
        .iter()
        .find_map(|ext| store.refused(&format!("{stem}.{ext}")))
    {
        Some(why) => Err(why),
        None => Ok(None),
    }
}

/// Pod log tails under `cluster/logs/NS/POD/CONTAINER.log`, and those that are there but cannot be
/// read (with why), so that log-reading checks report `error` for them.
fn read_pod_logs(store: &dyn FileStore) -> (Vec<PodLog>, Vec<(String, String)>) {
    let mut logs = Vec::new();
    let mut unreadable = store.refused_under("cluster/logs");
    for path in store.list("cluster/logs") {
        let parts: Vec<&str> = path.split('/').collect();
        if let [_, _, namespace, pod, file] = parts.as_slice() {
            let container = file.strip_suffix(".log").unwrap_or(file);
            let (container, previous) = match container.strip_suffix(".previous") {
                Some(c) => (c, true),
                None => (container, false),
            };
            // `list` gives real paths: read each directly (a case-insensitive lookup per file would
            // make 20,000 logs quadratic).
            match store.read_exact(&path, Some(super::files::LOG_TAIL_BYTES)) {
                Ok(bytes) => logs.push(PodLog {
                    namespace: namespace.to_string(),
                    pod: pod.to_string(),
                    container: container.to_string(),
                    previous,
                    text: super::text::decode(&bytes),
                }),
                Err(why) => unreadable.push((path.clone(), why)),
            }
        }
    }
    (logs, unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::files::MemoryStore;

    #[test]
    fn absent_files_are_missing_and_broken_files_failed() {
        let mut m = MemoryStore::default();
        m.files.insert(
            "cluster/nodes.json".into(),
            br#"{"kind":"List","items":[{"metadata":{"name":"n1"}}]}"#.to_vec(),
        );
        m.files.insert(
            "cluster/Pods.YAML".into(),
            b"items: [ {metadata: {name: p}} ]".to_vec(),
        );
        m.files
            .insert("cluster/events.json".into(), b"{ this is not json".to_vec());
        let facts = read_bundle(&m);
        assert_eq!(facts.cluster.nodes.ready().map(Vec::len), Some(1));
        assert_eq!(facts.cluster.pods.ready().map(Vec::len), Some(1));
        assert!(matches!(&facts.cluster.events, Input::Failed(e) if e.contains("events.json")));
        assert!(
            matches!(&facts.cluster.services, Input::Missing(m) if m.contains("services.json"))
        );
        assert!(!facts.node.present);
    }

    /// Big clusters' lists are streamed from disk instead of read whole: both ways give the same
    /// facts, a UTF-8 BOM and an array instead of a List are accepted, UTF-16 and YAML files go
    /// through the whole-file path, and broken or object-shaped big files are errors naming the file.
    #[test]
    fn streamed_lists_give_the_same_facts_as_whole_reads() {
        use crate::sources::files::DirStore;
        // The demo's cluster lists (embedded, so this runs under Wine too), written to disk.
        let demo = crate::sources::demo::store();
        let tmp = tempfile::tempdir().expect("tempdir");
        let cluster = tmp.path().join("cluster");
        std::fs::create_dir_all(&cluster).expect("mkdir");
        for path in demo.list("cluster") {
            let Some(name) = path.strip_prefix("cluster/").filter(|n| !n.contains('/')) else {
                continue;
            };
            let bytes = demo.read(&path).expect("readable").expect("present");
            std::fs::write(cluster.join(name), bytes).expect("write");
        }
        // Variants: pods with a UTF-8 BOM, services as a bare array of objects.
        let pods = std::fs::read(cluster.join("pods.json")).expect("pods");
        std::fs::write(
            cluster.join("pods.json"),
            [&[0xEF, 0xBB, 0xBF][..], &pods].concat(),
        )
        .expect("write");
        let services: serde_json::Value =
            serde_json::from_slice(&std::fs::read(cluster.join("services.json")).expect("svc"))
                .expect("json");
        std::fs::write(
            cluster.join("services.json"),
            format!("\n  {}", services["items"]),
        )
        .expect("write");

        let whole = read_bundle(&DirStore::open(tmp.path()).expect("open")).cluster;
        let streaming = DirStore::open(tmp.path()).expect("open").stream_above(0);
        for list in ["pods", "services", "nodes", "events"] {
            let path = format!("cluster/{list}.json");
            assert!(streaming.json_stream(&path).is_some(), "{path} is streamed");
        }
        let streamed = read_bundle(&streaming).cluster;
        assert!(whole.pods.ready().is_some_and(|p| !p.is_empty()));
        assert!(whole.services.ready().is_some_and(|s| !s.is_empty()));
        assert_eq!(whole.nodes, streamed.nodes);
        assert_eq!(whole.pods, streamed.pods);
        assert_eq!(whole.events, streamed.events);
        assert_eq!(whole.services, streamed.services);
        assert_eq!(whole.daemonsets, streamed.daemonsets);
        assert_eq!(whole.configmaps, streamed.configmaps);

        // UTF-16 is not streamed; the whole-file path still decodes it.
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                String::from_utf8_lossy(&pods)
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        std::fs::write(cluster.join("pods.json"), utf16).expect("write");
        let store = DirStore::open(tmp.path()).expect("open").stream_above(0);
        assert!(store.json_stream("cluster/pods.json").is_none());
        assert_eq!(read_bundle(&store).cluster.pods, whole.pods);

        // A broken list and a single object where a big list belongs are errors naming the file.
        std::fs::write(
            cluster.join("pods.json"),
            br#"{"kind":"List","items":[{"metadata":"#,
        )
        .expect("write");
        std::fs::write(
            cluster.join("events.json"),
            br#"{"kind":"Event","message":"x"}"#,
        )
        .expect("write");
        let broken = read_bundle(&DirStore::open(tmp.path()).expect("open").stream_above(0));
        assert!(
            matches!(&broken.cluster.pods, Input::Failed(e) if e.contains("pods.json") && e.contains("not valid JSON")),
            "{:?}",
            broken.cluster.pods
        );
        assert!(
            matches!(&broken.cluster.events, Input::Failed(e) if e.contains("events.json") && e.contains("without `items`")),
            "{:?}",
            broken.cluster.events
        );
    }
}
