//! The cluster contents the fake API server serves. Objects are kept per
//! resource kind, each already serialized to JSON bytes (so a list of 150,000
//! pods costs a memcpy per page, not a serialization), next to the handful of
//! values that list filtering needs: namespace, name, labels and the
//! kind-specific field-selector values. Pod logs, the `/version` body and
//! each node's kubelet data (configz, log files, log query results) live
//! here too.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Map, Value};

use crate::node_files::{clean_path, NodeFiles};
use crate::resource::ResourceKind;

/// One stored object: its JSON bytes and the values selectors look at.
#[derive(Debug, Clone)]
pub(crate) struct StoredObject {
    /// `metadata.namespace`, empty for cluster-scoped kinds.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`, non-string values rendered as text.
    pub labels: BTreeMap<String, String>,
    /// Values of the kind's field labels, in the order of
    /// `ResourceInfo::fields`.
    pub fields: Vec<String>,
    /// The object as JSON.
    pub json: Arc<[u8]>,
}

impl StoredObject {
    /// The value of field label `label` (already checked to be supported by
    /// this kind), as the API server would compare it.
    pub fn field_value(&self, kind: ResourceKind, label: &str) -> &str {
        match label {
            "metadata.name" => &self.name,
            "metadata.namespace" => &self.namespace,
            _ => kind
                .info()
                .fields
                .iter()
                .position(|f| f.label == label)
                .and_then(|i| self.fields.get(i))
                .map_or("", String::as_str),
        }
    }
}

/// Key of a stored container log.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LogKey {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub previous: bool,
}

/// Everything a fake cluster holds.
///
/// Build it from a support bundle with [`ClusterData::from_bundle_dir`] or
/// from generated objects with [`ClusterData::new`] and [`ClusterData::add`].
/// Each change bumps the data's resource version, which list responses report
/// and continue tokens carry.
#[derive(Debug, Clone)]
pub struct ClusterData {
    stores: BTreeMap<ResourceKind, Vec<StoredObject>>,
    /// Namespaces derived from the objects when none were added explicitly.
    synthetic_namespaces: Vec<StoredObject>,
    /// Whether every store is sorted, deduplicated and namespaces derived.
    prepared: bool,
    logs: HashMap<LogKey, Arc<[u8]>>,
    nodes: BTreeMap<String, NodeFiles>,
    huge_node_name: Option<u64>,
    version: Arc<[u8]>,
    resource_version: u64,
}

impl Default for ClusterData {
    fn default() -> Self {
        ClusterData::new()
    }
}

/// The namespaces every real cluster has, listed even when no object lives
/// in them.
const BUILTIN_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

impl ClusterData {
    /// An empty cluster reporting Kubernetes v1.32.0.
    pub fn new() -> Self {
        let version = json!({
            "major": "1",
            "minor": "32",
            "gitVersion": "v1.32.0",
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2024-12-11T00:00:00Z",
            "goVersion": "go1.23.3",
            "compiler": "gc",
            "platform": "linux/amd64"
        });
        ClusterData {
            stores: BTreeMap::new(),
            synthetic_namespaces: Vec::new(),
            prepared: true,
            logs: HashMap::new(),
            nodes: BTreeMap::new(),
            huge_node_name: None,
            version: Arc::from(version.to_string().into_bytes()),
            resource_version: 1,
        }
    }

    /// Loads a support bundle: see [`crate::bundle`] for the layout.
    pub fn from_bundle_dir(dir: impl AsRef<Path>) -> anyhow::Result<Self> {
        crate::bundle::load(dir.as_ref())
    }

    /// Generates a synthetic cluster: see [`crate::generate`].
    pub fn generate(spec: &crate::GenerateSpec) -> anyhow::Result<Self> {
        crate::generate::generate(spec)
    }

    /// Writes the cluster as a support bundle, as kubectl would have made
    /// it: `DIR/cluster/{nodes,pods,events,services,daemonsets,runtimeclasses}.json`
    /// hold every object as `kubectl get KIND -A -o json` prints it (a `List`,
    /// 4-space indentation, `managedFields` dropped), `configmaps.json` the
    /// ConfigMaps of kube-system plus `kube-flannel-cfg` wherever it lives
    /// (what windoctor reads), and `version.json` the `/version` body.
    pub fn write_kubectl_bundle(&mut self, dir: impl AsRef<Path>) -> anyhow::Result<()> {
        self.prepare();
        crate::bundle::write(self, dir.as_ref())
    }

    /// Adds one object of `kind`, replacing an earlier one with the same
    /// namespace and name.
    ///
    /// The object must have a non-empty `metadata.name`. Missing `kind` and
    /// `apiVersion` are filled in from `kind`, and a namespaced object without
    /// `metadata.namespace` is put in `default`. An object whose `kind` field
    /// names another kind is rejected.
    pub fn add(&mut self, kind: ResourceKind, object: Value) -> anyhow::Result<()> {
        let stored = store_object(kind, object)?;
        self.stores.entry(kind).or_default().push(stored);
        self.touch();
        Ok(())
    }

    /// Removes object `namespace/name` of `kind` (namespace empty for
    /// cluster-scoped kinds) and returns it, `None` when there is none.
    pub fn remove(&mut self, kind: ResourceKind, namespace: &str, name: &str) -> Option<Value> {
        let objects = self.stores.get_mut(&kind)?;
        let mut removed = None;
        objects.retain(|o| {
            let hit = o.namespace == namespace && o.name == name;
            if hit {
                removed = Some(Arc::clone(&o.json));
            }
            !hit
        });
        let json = removed?;
        self.touch();
        serde_json::from_slice(&json).ok()
    }

    /// Adds one object, taking its resource kind from its `kind` field.
    pub fn add_object(&mut self, object: Value) -> anyhow::Result<ResourceKind> {
        let kind_name = object
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("object has no kind field"))?;
        let kind = ResourceKind::from_kind(kind_name)
            .ok_or_else(|| anyhow!("objects of kind {kind_name} are not served"))?;
        self.add(kind, object)?;
        Ok(kind)
    }

    /// Adds a kubectl `List` (every element of `items`) or, when `document`
    /// has no `items`, the single object it is. Returns how many objects were
    /// added.
    pub fn add_document(&mut self, kind: ResourceKind, document: Value) -> anyhow::Result<usize> {
        match document {
            Value::Object(mut map) if map.contains_key("items") => {
                let items = match map.remove("items") {
                    Some(Value::Array(items)) => items,
                    Some(Value::Null) | None => Vec::new(),
                    Some(_) => bail!("items is not an array"),
                };
                let count = items.len();
                for (i, item) in items.into_iter().enumerate() {
                    self.add(kind, item)
                        .with_context(|| format!("items[{i}]"))?;
                }
                Ok(count)
            }
            Value::Null => Ok(0),
            other => {
                self.add(kind, other)?;
                Ok(1)
            }
        }
    }

    /// Sets the body of `GET /version`. A document with a `serverVersion`
    /// key (the output of `kubectl version -o json`) contributes that value.
    pub fn set_version(&mut self, version: Value) {
        let version = match version {
            Value::Object(mut map) if map.contains_key("serverVersion") => {
                map.remove("serverVersion").unwrap_or(Value::Null)
            }
            other => other,
        };
        self.version = Arc::from(version.to_string().into_bytes());
        self.touch();
    }

    /// Stores the log of `container` in pod `namespace/pod`.
    pub fn add_log(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        text: impl Into<Vec<u8>>,
    ) {
        self.insert_log(namespace, pod, container, false, text.into());
    }

    /// Stores the log of the previous (terminated) instance of `container`,
    /// served for `?previous=true`.
    pub fn add_previous_log(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        text: impl Into<Vec<u8>>,
    ) {
        self.insert_log(namespace, pod, container, true, text.into());
    }

    fn insert_log(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        text: Vec<u8>,
    ) {
        let key = LogKey {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            container: container.to_string(),
            previous,
        };
        self.logs.insert(key, Arc::from(text));
        self.touch();
    }

    /// Sets the running kubelet configuration of node `node`, served as
    /// `{"kubeletconfig": config}` at `/api/v1/nodes/NODE/proxy/configz`. A
    /// value that already is such a wrapper is unwrapped first.
    pub fn set_configz(&mut self, node: &str, config: Value) {
        let config = match config {
            Value::Object(mut map) if map.len() == 1 && map.contains_key("kubeletconfig") => {
                map.remove("kubeletconfig").unwrap_or(Value::Null)
            }
            other => other,
        };
        self.nodes.entry(node.to_string()).or_default().configz =
            Some(Arc::from(config.to_string().into_bytes()));
    }

    /// The kubelet configuration stored for `node` (without the wrapper).
    pub fn configz(&self, node: &str) -> Option<Value> {
        let bytes = self.nodes.get(node)?.configz.as_ref()?;
        serde_json::from_slice(bytes).ok()
    }

    /// Stores a file of node `node`'s log directory (`C:\var\log`), at
    /// `path` relative to it (`kubelet/kubelet.log`; `\` and `/` both
    /// separate, `..` cannot leave the directory). Served at
    /// `/api/v1/nodes/NODE/proxy/logs/PATH`, listed in its directory.
    pub fn add_node_log(&mut self, node: &str, path: &str, contents: impl Into<Vec<u8>>) {
        let path = clean_path(path);
        if path.is_empty() {
            return;
        }
        self.nodes
            .entry(node.to_string())
            .or_default()
            .logs
            .insert(path, Arc::from(contents.into()));
    }

    /// Stores what node `node`'s log query `query` (a service such as
    /// `kubelet`) returns: `/api/v1/nodes/NODE/proxy/logs/?query=QUERY`.
    pub fn add_node_log_query(&mut self, node: &str, query: &str, contents: impl Into<Vec<u8>>) {
        self.nodes
            .entry(node.to_string())
            .or_default()
            .queries
            .insert(query.to_string(), Arc::from(contents.into()));
    }

    /// Adds a Windows node whose name is `name_bytes` bytes long. The name
    /// is never stored: it is generated while the last page of an
    /// unfiltered node list is sent (the node cannot be fetched by name).
    pub fn add_node_with_huge_name(&mut self, name_bytes: u64) {
        self.huge_node_name = Some(name_bytes);
    }

    /// The length of the huge node name, if such a node was added.
    pub(crate) fn huge_node_name(&self) -> Option<u64> {
        self.huge_node_name
    }

    /// The kubelet data stored for `node`.
    pub(crate) fn node_files(&self, node: &str) -> Option<&NodeFiles> {
        self.nodes.get(node).filter(|f| !f.is_empty())
    }

    /// Number of objects of `kind` (after replacing duplicates; derived
    /// namespaces count when no namespace was added).
    pub fn len(&self, kind: ResourceKind) -> usize {
        self.unique_keys(kind).len()
    }

    /// Whether no object of any kind was added.
    pub fn is_empty(&self) -> bool {
        self.stores.values().all(Vec::is_empty)
    }

    /// `(namespace, name)` of each object of `kind`, in list order.
    pub fn keys(&self, kind: ResourceKind) -> Vec<(String, String)> {
        self.unique_keys(kind)
            .into_iter()
            .map(|(ns, name)| (ns.to_string(), name.to_string()))
            .collect()
    }

    /// Sorted, deduplicated keys, computed without preparing the data.
    fn unique_keys(&self, kind: ResourceKind) -> Vec<(&str, &str)> {
        let explicit = self.stores.get(&kind).map_or(&[][..], Vec::as_slice);
        if kind == ResourceKind::Namespaces && explicit.is_empty() {
            return self
                .derived_namespace_names()
                .into_iter()
                .map(|n| ("", n))
                .collect();
        }
        let mut keys: Vec<(&str, &str)> = explicit
            .iter()
            .map(|o| (o.namespace.as_str(), o.name.as_str()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Names of the namespaces derived from the objects.
    fn derived_namespace_names(&self) -> BTreeSet<&str> {
        let mut names: BTreeSet<&str> = BUILTIN_NAMESPACES.into_iter().collect();
        for (kind, objects) in &self.stores {
            if kind.namespaced() {
                names.extend(objects.iter().map(|o| o.namespace.as_str()));
            }
        }
        names
    }

    /// The resource version lists currently report.
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// The `/version` body.
    pub(crate) fn version_json(&self) -> Arc<[u8]> {
        Arc::clone(&self.version)
    }

    /// A stored log.
    pub(crate) fn log(&self, key: &LogKey) -> Option<Arc<[u8]>> {
        self.logs.get(key).cloned()
    }

    /// Whether any log (current or previous) is stored for the pod.
    pub(crate) fn log_containers(&self, namespace: &str, pod: &str) -> BTreeSet<String> {
        self.logs
            .keys()
            .filter(|k| k.namespace == namespace && k.pod == pod)
            .map(|k| k.container.clone())
            .collect()
    }

    /// Objects of `kind` in list order. Only meaningful after
    /// [`ClusterData::prepare`].
    pub(crate) fn objects(&self, kind: ResourceKind) -> &[StoredObject] {
        let explicit = self.stores.get(&kind).map_or(&[][..], Vec::as_slice);
        if kind == ResourceKind::Namespaces && explicit.is_empty() {
            &self.synthetic_namespaces
        } else {
            explicit
        }
    }

    /// One object by namespace and name.
    pub(crate) fn get(
        &self,
        kind: ResourceKind,
        namespace: &str,
        name: &str,
    ) -> Option<&StoredObject> {
        let objects = self.objects(kind);
        objects
            .binary_search_by(|o| (o.namespace.as_str(), o.name.as_str()).cmp(&(namespace, name)))
            .ok()
            .and_then(|i| objects.get(i))
    }

    /// Sorts every store by (namespace, name), keeps the last added of
    /// duplicates and derives the namespace list. Idempotent and cheap when
    /// nothing changed.
    pub(crate) fn prepare(&mut self) {
        if self.prepared {
            return;
        }
        for objects in self.stores.values_mut() {
            sort_dedup(objects);
        }
        let names: Vec<String> = self
            .derived_namespace_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        self.synthetic_namespaces = names
            .into_iter()
            .filter_map(|name| {
                let object = json!({
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"}
                });
                store_object(ResourceKind::Namespaces, object).ok()
            })
            .collect();
        self.prepared = true;
    }

    /// Records a change: a new resource version, and preparation due.
    pub(crate) fn touch(&mut self) {
        self.resource_version += 1;
        self.prepared = false;
    }
}

/// Stable sort by (namespace, name); of equal keys the last added wins.
fn sort_dedup(objects: &mut Vec<StoredObject>) {
    objects.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut kept: Vec<StoredObject> = Vec::with_capacity(objects.len());
    for object in objects.drain(..) {
        if let Some(last) = kept.last_mut() {
            if last.namespace == object.namespace && last.name == object.name {
                *last = object;
                continue;
            }
        }
        kept.push(object);
    }
    *objects = kept;
}

/// Text of a JSON scalar the way the API server compares it in selectors.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Normalizes `object` as [`ClusterData::add`] documents and indexes it.
fn store_object(kind: ResourceKind, object: Value) -> anyhow::Result<StoredObject> {
    let info = kind.info();
    let Value::Object(mut map) = object else {
        bail!("a {} must be a JSON object", info.kind);
    };
    match map.get("kind").and_then(Value::as_str) {
        Some(k) if k != info.kind => {
            bail!("object of kind {k} cannot be stored as {}", info.plural)
        }
        Some(_) => {}
        None => {
            map.insert("kind".into(), Value::String(info.kind.to_string()));
        }
    }
    if !map.get("apiVersion").is_some_and(Value::is_string) {
        map.insert("apiVersion".into(), Value::String(info.api_version()));
    }
    let metadata = match map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(m) => m,
        _ => bail!("metadata is not an object"),
    };
    let name = match metadata.get("name") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        _ => bail!("a {} needs a non-empty metadata.name", info.kind),
    };
    let namespace = if info.namespaced {
        match metadata.get("namespace") {
            Some(Value::String(ns)) if !ns.is_empty() => ns.clone(),
            _ => {
                metadata.insert("namespace".into(), Value::String("default".into()));
                "default".to_string()
            }
        }
    } else {
        String::new()
    };
    let labels = match metadata.get("labels") {
        Some(Value::Object(labels)) => labels
            .iter()
            .filter_map(|(k, v)| scalar_text(v).map(|v| (k.clone(), v)))
            .collect(),
        _ => BTreeMap::new(),
    };
    let object = Value::Object(map);
    let fields = info
        .fields
        .iter()
        .map(|f| {
            object
                .pointer(f.pointer)
                .and_then(scalar_text)
                .unwrap_or_else(|| f.default.to_string())
        })
        .collect();
    let json = serde_json::to_vec(&object).context("serializing object")?;
    Ok(StoredObject {
        namespace,
        name,
        labels,
        fields,
        json: Arc::from(json),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_defaults_and_indexes() -> anyhow::Result<()> {
        let mut data = ClusterData::new();
        data.add(
            ResourceKind::Pods,
            json!({"metadata": {"name": "p", "labels": {"app": "web", "n": 1}},
                   "spec": {"nodeName": "win-1"}}),
        )?;
        data.prepare();
        let pod = data
            .get(ResourceKind::Pods, "default", "p")
            .context("pod")?;
        assert_eq!(pod.labels.get("n").map(String::as_str), Some("1"));
        assert_eq!(
            pod.field_value(ResourceKind::Pods, "spec.nodeName"),
            "win-1"
        );
        assert_eq!(
            pod.field_value(ResourceKind::Pods, "spec.hostNetwork"),
            "false"
        );
        let stored: Value = serde_json::from_slice(&pod.json)?;
        assert_eq!(stored["kind"], "Pod");
        assert_eq!(stored["apiVersion"], "v1");
        assert_eq!(stored["metadata"]["namespace"], "default");
        Ok(())
    }

    #[test]
    fn rejects_bad_objects() {
        let mut data = ClusterData::new();
        assert!(data
            .add(ResourceKind::Pods, json!({"metadata": {}}))
            .is_err());
        assert!(data
            .add(
                ResourceKind::Pods,
                json!({"kind": "Node", "metadata": {"name": "n"}})
            )
            .is_err());
        assert!(data.add(ResourceKind::Pods, json!([1, 2])).is_err());
        assert!(data
            .add_object(json!({"kind": "Secret", "metadata": {"name": "s"}}))
            .is_err());
    }

    #[test]
    fn sorts_dedups_and_derives_namespaces() -> anyhow::Result<()> {
        let mut data = ClusterData::new();
        for (ns, name, v) in [("b", "x", 1), ("a", "y", 2), ("b", "x", 3), ("a", "a", 4)] {
            data.add(
                ResourceKind::ConfigMaps,
                json!({"metadata": {"name": name, "namespace": ns}, "data": {"v": v.to_string()}}),
            )?;
        }
        let keys = data.keys(ResourceKind::ConfigMaps);
        let expected: Vec<(String, String)> = [("a", "a"), ("a", "y"), ("b", "x")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(keys, expected);
        data.prepare();
        let kept = data
            .get(ResourceKind::ConfigMaps, "b", "x")
            .context("kept")?;
        let kept: Value = serde_json::from_slice(&kept.json)?;
        assert_eq!(kept["data"]["v"], "3");
        let namespaces: Vec<String> = data
            .keys(ResourceKind::Namespaces)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(
            namespaces,
            [
                "a",
                "b",
                "default",
                "kube-node-lease",
                "kube-public",
                "kube-system"
            ]
        );
        Ok(())
    }

    #[test]
    fn version_unwraps_server_version() {
        let mut data = ClusterData::new();
        data.set_version(json!({"clientVersion": {}, "serverVersion": {"gitVersion": "v1.31.2"}}));
        assert_eq!(&*data.version_json(), br#"{"gitVersion":"v1.31.2"}"#);
    }
}
