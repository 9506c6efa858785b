//! Slim Kubernetes object shapes: only the fields the checks read, deserialized straight from kubectl
//! JSON/YAML or from API list pages.
//!
//! These types are the cluster facts. Anything not named here (environment values, Secret data,
//! `last-applied-configuration`, managed fields, most annotations) is never read into memory, which
//! keeps big clusters cheap and keeps secrets out of reports by construction. Annotations and
//! ConfigMap data are kept only for allow-listed keys; environment variables keep their names, the
//! field they come from, and the service-like names their values mention (for the DNS check), never
//! the values themselves.

use super::details::Details;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

pub type Labels = litemap::LiteMap<String, String>;

/// An object's metadata: name, namespace and labels inline, the rest in [`MetaDetails`] (most
/// objects have no annotation windoctor reads; see `facts::details`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(from = "MetaWire")]
pub struct ObjectMeta {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: Labels,
    pub details: Details<MetaDetails>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetaDetails {
    pub annotations: Labels,
    pub owner_references: Vec<OwnerReference>,
    pub creation_timestamp: Option<String>,
}

/// `metadata` as it is written.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct MetaWire {
    #[serde(deserialize_with = "object_name")]
    name: String,
    #[serde(deserialize_with = "optional_object_name")]
    namespace: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    labels: Labels,
    #[serde(deserialize_with = "allowed_annotations")]
    annotations: Labels,
    #[serde(deserialize_with = "vec_or_null")]
    owner_references: Vec<OwnerReference>,
    creation_timestamp: Option<String>,
}

impl From<MetaWire> for ObjectMeta {
    fn from(w: MetaWire) -> Self {
        ObjectMeta {
            name: w.name,
            namespace: w.namespace,
            labels: w.labels,
            details: Details::new(MetaDetails {
                annotations: w.annotations,
                owner_references: w.owner_references,
                creation_timestamp: w.creation_timestamp,
            }),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    pub kind: String,
    pub name: String,
}

/// Annotation keys windoctor reads; every other annotation is dropped while parsing.
pub fn is_allowed_annotation(key: &str) -> bool {
    key.starts_with("flannel.alpha.coreos.com/")
        || key == "experimental.windows.kubernetes.io/isolation-type"
        || key == "preserve-destination"
        || key.ends_with("/preserve-destination")
        || key == "node.alpha.kubernetes.io/ttl"
        || key == "kubeadm.alpha.kubernetes.io/cri-socket"
        || key == "volumes.kubernetes.io/controller-managed-attach-detach"
        // windoctor's own: the checks and parts an operator accepted on this object.
        || key == "windoctor.io/ignore"
}

pub(super) fn allowed_annotations<'de, D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
    filtered_map(d, is_allowed_annotation, value_text)
}

/// A kept map value as text: a string as it is, anything else as its JSON.
fn value_text(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A list that may be `null`, kept at exactly its length: serde grows vectors by doubling, and a
/// one-container pod would otherwise keep room for four containers.
pub(super) fn vec_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut items = Option::<Vec<T>>::deserialize(d)?.unwrap_or_default();
    items.shrink_to_fit();
    Ok(items)
}

/// A string read without copying when the input allows it (no escapes), for values that are
/// only looked at while parsing.
pub(super) struct TransientStr<'de>(pub(super) std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for TransientStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = TransientStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(TransientStr(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(TransientStr(std::borrow::Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(TransientStr(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A map whose entries are kept only for keys `keep` accepts; the values of the other keys are
/// skipped while parsing, never built. `value` turns a kept value into the stored string.
fn filtered_map<'de, D, V>(
    d: D,
    keep: fn(&str) -> bool,
    value: fn(V) -> String,
) -> Result<Labels, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Visit<V> {
        keep: fn(&str) -> bool,
        value: fn(V) -> String,
    }
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
        type Value = Labels;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map or null")
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Labels::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Labels::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_map(self)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut kept = Labels::new();
            while let Some(key) = map.next_key::<TransientStr<'de>>()? {
                if (self.keep)(&key.0) {
                    let v = map.next_value::<V>()?;
                    kept.insert(key.0.into_owned(), (self.value)(v));
                } else {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(kept)
        }
    }
    d.deserialize_option(Visit { keep, value })
}

/// The longest object name Kubernetes accepts (a DNS subdomain). Names come from the API server or
/// a bundle and end up in every finding about the object: a longer one is not a Kubernetes name,
/// and is refused rather than copied into reports.
pub const MAX_NAME_BYTES: usize = 253;

pub(super) fn object_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(optional_object_name(d)?.unwrap_or_default())
}

pub(super) fn optional_object_name<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    let name = Option::<TransientStr<'de>>::deserialize(d)?;
    match name {
        Some(n) if n.0.len() > MAX_NAME_BYTES => Err(serde::de::Error::custom(format!(
            "a name of {} bytes, longer than the {MAX_NAME_BYTES} Kubernetes allows",
            n.0.len()
        ))),
        Some(n) => Ok(Some(n.0.into_owned())),
        None => Ok(None),
    }
}

/// `Some(null)` when the field holds anything but `null`, skipped without being built.
pub(super) fn presence<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    let seen = Option::<serde::de::IgnoredAny>::deserialize(d)?;
    Ok(seen.map(|_| serde_json::Value::Null))
}

pub(super) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

// ---------------------------------------------------------------- version

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ServerVersion {
    pub major: String,
    pub minor: String,
    pub git_version: String,
    pub platform: String,
}

// ---------------------------------------------------------------- nodes

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Node {
    pub metadata: ObjectMeta,
    pub spec: NodeSpec,
    pub status: NodeStatus,
    /// Whether it is a Windows node, worked out on first asking (`Node::is_windows`, which checks
    /// ask once per pod on a big cluster) and kept; never read from JSON.
    #[serde(skip)]
    pub windows: KeptAnswer,
}

/// An answer about a fact object worked out from it on first asking and kept (facts are not
/// changed once read). Two objects that differ only in what was asked of them are the same object:
/// it always compares equal and prints the same.
#[derive(Clone, Default)]
pub struct KeptAnswer(std::sync::OnceLock<bool>);

impl KeptAnswer {
    /// The kept answer, or `work_out`'s, kept from now on.
    pub fn get_or(&self, work_out: impl FnOnce() -> bool) -> bool {
        *self.0.get_or_init(work_out)
    }
}

impl PartialEq for KeptAnswer {
    fn eq(&self, _: &KeptAnswer) -> bool {
        true
    }
}

impl std::fmt::Debug for KeptAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeptAnswer")
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSpec {
    #[serde(rename = "podCIDR")]
    pub pod_cidr: Option<String>,
    #[serde(rename = "podCIDRs", deserialize_with = "vec_or_null")]
    pub pod_cidrs: Vec<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    #[serde(rename = "providerID")]
    pub provider_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    pub effect: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeStatus {
    #[serde(deserialize_with = "vec_or_null")]
    pub conditions: Vec<Condition>,
    #[serde(deserialize_with = "vec_or_null")]
    pub addresses: Vec<NodeAddress>,
    pub node_info: NodeInfo,
    /// Only the names of sandbox (pause) images present on the node.
    #[serde(deserialize_with = "pause_images")]
    pub images: Vec<String>,
    pub capacity: BTreeMap<String, serde_json::Value>,
    pub allocatable: BTreeMap<String, serde_json::Value>,
}

/// Whether a name of a Node's `status.images` entry is one windoctor keeps: a pause (sandbox)
/// image named by tag, not by digest. A Windows-share archive keeps an image entry by this rule
/// too (`commands::capture::streamed`), so that its replay reads the same names.
pub fn is_kept_node_image_name(name: &str) -> bool {
    name.contains("pause") && !name.contains("@sha256:")
}

/// The kept names ([`is_kept_node_image_name`]) of a Node's `status.images`, read in one pass: no
/// list of entries nor of names is built per image (a kubelet reports up to 50 images per node, and
/// those lists were most of the allocations of reading 5,000 Nodes). Accepts and refuses what a
/// derived `Option<Vec<Image>>` with `names: Option<Vec<String>>` would.
fn pause_images<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::de::{DeserializeSeed, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// `null` or the list of entries, each appending its kept names.
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of images")
        }
        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_seq(Entries)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut kept = Vec::new();
            while seq.next_element_seed(Entry(&mut kept))?.is_some() {}
            kept.shrink_to_fit();
            Ok(kept)
        }
    }

    /// One entry (an object): its `names` append their kept ones; other members are skipped.
    struct Entry<'k>(&'k mut Vec<String>);
    impl<'de> DeserializeSeed<'de> for Entry<'_> {
        type Value = ();
        fn deserialize<D2: Deserializer<'de>>(self, d: D2) -> Result<(), D2::Error> {
            d.deserialize_struct("Image", &["names"], self)
        }
    }
    impl<'de> Visitor<'de> for Entry<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("struct Image")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = false;
            while let Some(key) = map.next_key::<TransientStr<'de>>()? {
                if key.0 != "names" {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                if seen {
                    return Err(A::Error::duplicate_field("names"));
                }
                seen = true;
                map.next_value_seed(Names(&mut *self.0))?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            // A derived struct also reads `[names]` as its one field (and refuses more).
            seq.next_element_seed(Names(&mut *self.0))?;
            if seq.next_element::<IgnoredAny>()?.is_some() {
                return Err(A::Error::invalid_length(2, &"struct Image with 1 element"));
            }
            Ok(())
        }
    }

    /// `null` or a list of names: the kept ones are appended.
    struct Names<'k>(&'k mut Vec<String>);
    impl<'de> DeserializeSeed<'de> for Names<'_> {
        type Value = ();
        fn deserialize<D2: Deserializer<'de>>(self, d: D2) -> Result<(), D2::Error> {
            d.deserialize_option(self)
        }
    }
    impl<'de> Visitor<'de> for Names<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of image names")
        }
        fn visit_none<E: Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<(), D2::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(name) = seq.next_element::<TransientStr<'de>>()? {
                if is_kept_node_image_name(&name.0) {
                    self.0.push(name.0.into_owned());
                }
            }
            Ok(())
        }
    }

    d.deserialize_option(Entries)
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub last_heartbeat_time: Option<String>,
    pub last_transition_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAddress {
    #[serde(rename = "type")]
    pub type_: String,
    pub address: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeInfo {
    pub architecture: String,
    pub container_runtime_version: String,
    pub kernel_version: String,
    pub kube_proxy_version: String,
    pub kubelet_version: String,
    pub operating_system: String,
    pub os_image: String,
}

// ---------------------------------------------------------------- pods

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Pod {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
    pub status: PodStatus,
    /// Kept by the pod sieve as an **other** pod (`facts::share::other_pod`): it runs on a listed
    /// Linux node, is named like no Windows node and targets nothing Windows, and its spec and
    /// status were stripped. A reading of pods that looks only at pods on or aimed at Windows passes
    /// it by without looking its node up. Never read from JSON.
    #[serde(skip)]
    pub other: bool,
}

/// A pod's spec: node and containers inline (what the sieve keeps of other pods), the rest in
/// [`PodSpecDetails`] (see `facts::details`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(from = "PodSpecWire")]
pub struct PodSpec {
    pub node_name: Option<String>,
    pub containers: Vec<Container>,
    pub details: Details<PodSpecDetails>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSpecDetails {
    pub node_selector: Labels,
    pub affinity: Option<Affinity>,
    pub tolerations: Vec<Toleration>,
    pub os: Option<PodOs>,
    pub runtime_class_name: Option<String>,
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    pub share_process_namespace: Option<bool>,
    pub dns_policy: Option<String>,
    /// Boxed, like the other sub-objects most pods lack or checks rarely read: a pod that has
    /// none pays one pointer for it (see `tests/fact_memory.rs`).
    pub security_context: Option<Box<PodSecurityContext>>,
    pub init_containers: Vec<Container>,
    pub volumes: Vec<Volume>,
    pub termination_grace_period_seconds: Option<i64>,
}

/// `spec` of a pod as it is written.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PodSpecWire {
    #[serde(deserialize_with = "optional_object_name")]
    node_name: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    node_selector: Labels,
    affinity: Option<Affinity>,
    #[serde(deserialize_with = "vec_or_null")]
    tolerations: Vec<Toleration>,
    os: Option<PodOs>,
    runtime_class_name: Option<String>,
    host_network: bool,
    #[serde(rename = "hostPID")]
    host_pid: bool,
    #[serde(rename = "hostIPC")]
    host_ipc: bool,
    share_process_namespace: Option<bool>,
    dns_policy: Option<String>,
    security_context: Option<Box<PodSecurityContext>>,
    #[serde(deserialize_with = "vec_or_null")]
    containers: Vec<Container>,
    #[serde(deserialize_with = "vec_or_null")]
    init_containers: Vec<Container>,
    #[serde(deserialize_with = "vec_or_null")]
    volumes: Vec<Volume>,
    termination_grace_period_seconds: Option<i64>,
}

impl From<PodSpecWire> for PodSpec {
    fn from(w: PodSpecWire) -> Self {
        PodSpec {
            node_name: w.node_name,
            containers: w.containers,
            details: Details::new(PodSpecDetails {
                node_selector: w.node_selector,
                affinity: w.affinity,
                tolerations: w.tolerations,
                os: w.os,
                runtime_class_name: w.runtime_class_name,
                host_network: w.host_network,
                host_pid: w.host_pid,
                host_ipc: w.host_ipc,
                share_process_namespace: w.share_process_namespace,
                dns_policy: w.dns_policy,
                security_context: w.security_context,
                init_containers: w.init_containers,
                volumes: w.volumes,
                termination_grace_period_seconds: w.termination_grace_period_seconds,
            }),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PodOs {
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Affinity {
    pub node_affinity: Option<NodeAffinity>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAffinity {
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelector {
    #[serde(deserialize_with = "vec_or_null")]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelectorTerm {
    #[serde(deserialize_with = "vec_or_null")]
    pub match_expressions: Vec<SelectorRequirement>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct SelectorRequirement {
    pub key: String,
    pub operator: String,
    #[serde(deserialize_with = "vec_or_null")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Toleration {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct WindowsOptions {
    pub host_process: Option<bool>,
    pub run_as_user_name: Option<String>,
}

impl WindowsOptions {
    /// Whether a security context's `windowsOptions`, when it has some, ask for HostProcess.
    pub fn ask_host_process(options: Option<&WindowsOptions>) -> bool {
        options.and_then(|w| w.host_process).unwrap_or(false)
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSecurityContext {
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub run_as_non_root: Option<bool>,
    pub fs_group: Option<i64>,
    pub se_linux_options: Option<serde_json::Value>,
    #[serde(deserialize_with = "vec_or_null")]
    pub supplemental_groups: Vec<i64>,
    #[serde(deserialize_with = "vec_or_null")]
    pub sysctls: Vec<serde_json::Value>,
    pub windows_options: Option<WindowsOptions>,
    pub seccomp_profile: Option<serde_json::Value>,
    pub fs_group_change_policy: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct SecurityContext {
    pub privileged: Option<bool>,
    pub allow_privilege_escalation: Option<bool>,
    pub capabilities: Option<serde_json::Value>,
    pub proc_mount: Option<String>,
    pub read_only_root_filesystem: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub run_as_non_root: Option<bool>,
    pub se_linux_options: Option<serde_json::Value>,
    pub windows_options: Option<WindowsOptions>,
    pub seccomp_profile: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    pub name: String,
    pub image: String,
    #[serde(deserialize_with = "vec_or_null")]
    pub command: Vec<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub args: Vec<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub env: Vec<EnvVar>,
    pub security_context: Option<Box<SecurityContext>>,
    pub resources: Resources,
    #[serde(deserialize_with = "vec_or_null")]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(deserialize_with = "vec_or_null")]
    pub volume_devices: Vec<serde_json::Value>,
    pub termination_message_path: Option<String>,
    /// Kubelet health probes (the nodeport-self-access check looks for probes that call the node's
    /// own NodePort).
    pub liveness_probe: Option<Box<ContainerProbe>>,
    pub readiness_probe: Option<Box<ContainerProbe>>,
    pub startup_probe: Option<Box<ContainerProbe>>,
}

/// A kubelet health probe: only where it connects (httpGet / tcpSocket host and port).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerProbe {
    pub http_get: Option<ProbeEndpoint>,
    pub tcp_socket: Option<ProbeEndpoint>,
}

/// `host` (empty: the pod IP) and `port` (a number or a named container port) of a health probe.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ProbeEndpoint {
    pub host: Option<String>,
    pub port: serde_json::Value,
    pub path: Option<String>,
}

/// A container's resource limits and requests: only the resources a check reads (huge pages, which
/// Windows does not implement); cpu and memory are skipped while parsing, never built, since every
/// container of a big cluster has them.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Resources {
    #[serde(deserialize_with = "read_resources")]
    pub limits: Labels,
    #[serde(deserialize_with = "read_resources")]
    pub requests: Labels,
}

/// Resource names checks read (`pod-spec-compat`: huge pages).
pub fn is_read_resource(name: &str) -> bool {
    name.starts_with("hugepages-")
}

fn read_resources<'de, D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
    filtered_map(d, is_read_resource, value_text)
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    pub mount_propagation: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Volume {
    pub name: String,
    pub empty_dir: Option<EmptyDir>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct EmptyDir {
    pub medium: Option<String>,
}

/// An environment variable without its value: its name, the field it is taken from (downward API),
/// and the `name.namespace`-shaped host names its value mentions (see `dns_candidates`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub field_ref: Option<String>,
    pub dns_candidates: Vec<String>,
}

impl<'de> Deserialize<'de> for EnvVar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct FieldRef {
            field_path: String,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct ValueFrom {
            field_ref: Option<FieldRef>,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Raw {
            name: String,
            value: Option<String>,
            value_from: Option<ValueFrom>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(EnvVar {
            name: raw.name,
            field_ref: raw
                .value_from
                .and_then(|v| v.field_ref)
                .map(|f| f.field_path),
            dns_candidates: raw
                .value
                .as_deref()
                .map(dns_candidates)
                .map(|mut c| {
                    c.shrink_to_fit();
                    c
                })
                .unwrap_or_default(),
        })
    }
}

/// Host names in `text` of the shape `a.b` or `a.b.svc` (two or three DNS labels, the last not a
/// TLD-looking `.svc.cluster...` tail): the partially qualified forms Windows will not resolve. The
/// DNS check keeps only those that name an existing Service; nothing else of the value is kept.
pub fn dns_candidates(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')) {
        let token = token.trim_matches('.');
        let labels: Vec<&str> = token.split('.').collect();
        let shaped = match labels.as_slice() {
            [a, b] => is_label(a) && is_label(b),
            [a, b, "svc"] => is_label(a) && is_label(b),
            _ => false,
        };
        if shaped && !labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit())) && out.len() < 8
        {
            out.push(token.to_ascii_lowercase());
        }
    }
    out
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && s.chars().any(|c| c.is_ascii_lowercase())
}

/// A pod's status: phase and container states inline, the rest in [`PodStatusDetails`] (see
/// `facts::details`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(from = "PodStatusWire")]
pub struct PodStatus {
    pub phase: Option<String>,
    pub container_statuses: Vec<ContainerStatus>,
    pub details: Details<PodStatusDetails>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodStatusDetails {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub host_ip: Option<String>,
    pub pod_ip: Option<String>,
    pub init_container_statuses: Vec<ContainerStatus>,
}

/// `status` of a pod as it is written.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PodStatusWire {
    phase: Option<String>,
    reason: Option<String>,
    message: Option<String>,
    #[serde(rename = "hostIP")]
    host_ip: Option<String>,
    #[serde(rename = "podIP")]
    pod_ip: Option<String>,
    #[serde(deserialize_with = "vec_or_null")]
    container_statuses: Vec<ContainerStatus>,
    #[serde(deserialize_with = "vec_or_null")]
    init_container_statuses: Vec<ContainerStatus>,
}

impl From<PodStatusWire> for PodStatus {
    fn from(w: PodStatusWire) -> Self {
        PodStatus {
            phase: w.phase,
            container_statuses: w.container_statuses,
            details: Details::new(PodStatusDetails {
                reason: w.reason,
                message: w.message,
                host_ip: w.host_ip,
                pod_ip: w.pod_ip,
                init_container_statuses: w.init_container_statuses,
            }),
        }
    }
}

crate::details_of!(
    ObjectMeta => MetaDetails,
    PodSpec => PodSpecDetails,
    PodStatus => PodStatusDetails,
);

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatus {
    pub name: String,
    pub image: String,
    pub ready: bool,
    pub restart_count: i64,
    pub state: ContainerState,
    /// How the previous instance ended (`lastState.terminated`), for crash loops. Boxed: most
    /// containers never restarted, and pods are the bulk of a big cluster's facts.
    #[serde(rename = "lastState", deserialize_with = "last_terminated")]
    pub last_terminated: Option<Box<StateDetail>>,
}

impl ContainerStatus {
    /// A status that says only whether the container `name` runs: what the pod sieve keeps.
    pub fn running_only(name: String, running: Option<serde_json::Value>) -> Self {
        ContainerStatus {
            name,
            state: ContainerState {
                running,
                ..ContainerState::default()
            },
            ..ContainerStatus::default()
        }
    }
}

fn last_terminated<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Box<StateDetail>>, D::Error> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct LastState {
        terminated: Option<StateDetail>,
    }
    let last: Option<LastState> = Option::deserialize(d)?;
    Ok(last.and_then(|l| l.terminated).map(Box::new))
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerState {
    pub waiting: Option<StateDetail>,
    pub terminated: Option<StateDetail>,
    /// Whether the container runs: `Some` (holding `null`, not the `startedAt` object, which no
    /// check reads) when the state says `running`.
    #[serde(deserialize_with = "presence")]
    pub running: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct StateDetail {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub exit_code: Option<i64>,
}

// ---------------------------------------------------------------- events

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    pub metadata: ObjectMeta,
    pub involved_object: ObjectReference,
    pub reason: String,
    pub message: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub count: Option<i64>,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub event_time: Option<String>,
    pub source: EventSource,
    pub reporting_instance: Option<String>,
}

impl Event {
    /// `Kind/namespace/name reason` for evidence references.
    pub fn reference(&self) -> String {
        let o = &self.involved_object;
        let mut r = o.kind.clone();
        if let Some(ns) = &o.namespace {
            r.push('/');
            r.push_str(ns);
        }
        r.push('/');
        r.push_str(&o.name);
        r.push(' ');
        r.push_str(&self.reason);
        r
    }

    /// When it last happened, whichever timestamp the producer filled in.
    pub fn when(&self) -> Option<&str> {
        self.last_timestamp
            .as_deref()
            .or(self.event_time.as_deref())
            .or(self.first_timestamp.as_deref())
    }

    /// The node the event came from, if the producer said so.
    pub fn host(&self) -> Option<&str> {
        self.source
            .host
            .as_deref()
            .or(self.reporting_instance.as_deref())
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectReference {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub field_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct EventSource {
    pub component: Option<String>,
    pub host: Option<String>,
}

// ---------------------------------------------------------------- services

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Service {
    pub metadata: ObjectMeta,
    pub spec: ServiceSpec,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub type_: Option<String>,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    #[serde(deserialize_with = "vec_or_null")]
    pub ports: Vec<ServicePort>,
    #[serde(deserialize_with = "null_as_default")]
    pub selector: Labels,
    pub session_affinity: Option<String>,
    pub session_affinity_config: Option<SessionAffinityConfig>,
    pub external_traffic_policy: Option<String>,
    pub internal_traffic_policy: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    pub node_port: Option<i64>,
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionAffinityConfig {
    #[serde(rename = "clientIP")]
    pub client_ip: Option<ClientIpConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientIpConfig {
    pub timeout_seconds: Option<i64>,
}

// ---------------------------------------------------------------- daemonsets

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct DaemonSet {
    pub metadata: ObjectMeta,
    pub spec: DaemonSetSpec,
    pub status: DaemonSetStatus,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct DaemonSetSpec {
    pub template: PodTemplate,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct PodTemplate {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSetStatus {
    pub desired_number_scheduled: i64,
    pub current_number_scheduled: i64,
    pub number_ready: i64,
    pub number_misscheduled: i64,
    pub number_unavailable: Option<i64>,
}

// ---------------------------------------------------------------- configmaps

/// ConfigMap data keys windoctor reads (flannel, kubeadm, kube-proxy, kubelet configuration); the
/// values of every other key are dropped while parsing.
pub fn is_allowed_configmap_key(key: &str) -> bool {
    matches!(
        key,
        "net-conf.json"
            | "cni-conf.json"
            | "ClusterConfiguration"
            | "config.conf"
            | "kubelet"
            | "Corefile"
    )
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct ConfigMap {
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "allowed_configmap_data")]
    pub data: BTreeMap<String, String>,
}

fn allowed_configmap_data<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(filtered_map(d, is_allowed_configmap_key, |v: String| v)?
        .into_iter()
        .collect())
}

// ---------------------------------------------------------------- runtimeclasses

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RuntimeClass {
    pub metadata: ObjectMeta,
    pub handler: String,
    pub scheduling: Option<RuntimeClassScheduling>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RuntimeClassScheduling {
    #[serde(deserialize_with = "null_as_default")]
    pub node_selector: Labels,
    #[serde(deserialize_with = "vec_or_null")]
    pub tolerations: Vec<Toleration>,
}

/// A pod log captured in a bundle (`cluster/logs/NS/POD/CONTAINER.log`, or
/// `CONTAINER.previous.log` for the terminated instance), tail only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodLog {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The previous (terminated) instance's log.
    pub previous: bool,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_asked_whether_it_is_windows_is_the_same_node() {
        let text = r#"{"metadata":{"name":"w1","labels":{"beta.kubernetes.io/os":"Windows"}},
            "status":{"nodeInfo":{"operatingSystem":"linux"}}}"#;
        let asked: Node = serde_json::from_str(text).expect("parses");
        let fresh: Node = serde_json::from_str(text).expect("parses");
        // The beta label decides before the node info, in any case, and the answer is kept.
        assert!(asked.is_windows());
        assert!(asked.is_windows());
        assert_eq!(asked, fresh);
        assert_eq!(format!("{asked:?}"), format!("{fresh:?}"));
        assert!(asked.clone().is_windows());
        let linux: Node =
            serde_json::from_str(r#"{"status":{"nodeInfo":{"operatingSystem":"linux"}}}"#)
                .expect("parses");
        assert!(!linux.is_windows());
    }

    #[test]
    fn env_values_are_not_kept_but_service_names_are() {
        let pod: Pod = serde_json::from_str(
            r#"{"metadata":{"name":"p","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{secret}",
                "experimental.windows.kubernetes.io/isolation-type":"hyperv"}},
               "spec":{"containers":[{"name":"c","image":"i","env":[
                 {"name":"PASSWORD","value":"hunter2"},
                 {"name":"DB_HOST","value":"redis.cache:6379"},
                 {"name":"NODE","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}]}]}}"#,
        )
        .expect("parses");
        let debug = format!("{pod:?}");
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains("last-applied"));
        assert_eq!(pod.metadata.annotations.len(), 1);
        let env = &pod.spec.containers[0].env;
        assert_eq!(env[1].dns_candidates, vec!["redis.cache".to_string()]);
        assert_eq!(env[2].field_ref.as_deref(), Some("spec.nodeName"));
    }

    #[test]
    fn dns_candidates_ignore_ips_fqdns_and_versions() {
        assert!(dns_candidates("10.96.0.10").is_empty());
        assert!(dns_candidates("redis.cache.svc.cluster.local").is_empty());
        assert!(dns_candidates("v1.2").is_empty());
        assert_eq!(
            dns_candidates("http://api.backend.svc:8080/x"),
            vec!["api.backend.svc".to_string()]
        );
    }

    #[test]
    fn only_allowed_keys_and_pause_images_are_kept() {
        let cm: ConfigMap = serde_json::from_str(
            r#"{"metadata":{"name":"kube-flannel-cfg","annotations":{"flannel.alpha.coreos.com/x":{"a":1},"other":"x"}},
                "data":{"net-conf.json":"{\"Network\":\"10.244.0.0/16\"}","secret.txt":"hunter2"}}"#,
        )
        .expect("parses");
        assert_eq!(cm.data.len(), 1);
        assert_eq!(cm.data["net-conf.json"], r#"{"Network":"10.244.0.0/16"}"#);
        assert_eq!(
            cm.metadata
                .annotations
                .get("flannel.alpha.coreos.com/x")
                .map(String::as_str),
            Some(r#"{"a":1}"#)
        );
        assert_eq!(cm.metadata.annotations.len(), 1);
        let cm: ConfigMap =
            serde_json::from_str(r#"{"metadata":{"name":"c","annotations":null},"data":null}"#)
                .expect("parses");
        assert!(cm.data.is_empty() && cm.metadata.annotations.is_empty());
        let node: Node = serde_json::from_str(
            r#"{"metadata":{"name":"n"},"status":{"images":[
                {"names":["mcr.microsoft.com/oss/kubernetes/pause@sha256:ab","mcr.microsoft.com/oss/kubernetes/pause:3.9"]},
                {"names":["nginx:1"]},{"names":null},{"sizeBytes":1}]}}"#,
        )
        .expect("parses");
        assert_eq!(
            node.status.images,
            ["mcr.microsoft.com/oss/kubernetes/pause:3.9"]
        );
    }

    /// The one-pass reader of `status.images` accepts and refuses what the derived structs it
    /// replaced did, and keeps the same names.
    #[test]
    fn pause_images_read_as_the_derived_structs_did() {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Image {
            names: Option<Vec<String>>,
        }
        fn derived(images: &str) -> Option<Vec<String>> {
            let images: Option<Vec<Image>> = serde_json::from_str(images).ok()?;
            Some(
                images
                    .unwrap_or_default()
                    .into_iter()
                    .flat_map(|i| i.names.unwrap_or_default())
                    .filter(|n| is_kept_node_image_name(n))
                    .collect(),
            )
        }
        #[derive(Deserialize)]
        struct Status {
            #[serde(deserialize_with = "pause_images")]
            images: Vec<String>,
        }
        fn one_pass(images: &str) -> Option<Vec<String>> {
            let status: Status = serde_json::from_str(&format!(r#"{{"images":{images}}}"#)).ok()?;
            Some(status.images)
        }
        for images in [
            "null",
            "[]",
            r#"[{"names":["registry.k8s.io/pause:3.10","registry.k8s.io/pause@sha256:00"],"sizeBytes":1}]"#,
            r#"[{"sizeBytes":1,"names":["k8s.gcr.io/pause:3.2"]},{"names":null},{}]"#,
            r#"[{"names":["mcr.microsoft.com/oss/kubernetes/pause:3.9","nginx:1"]},{"names":["mcr.microsoft.com/oss/kubernetes/pause:3.9"]}]"#,
            r#"[{"names":["escaped\u0070ause:1"]}]"#,
            r#"[[["pause:3.9"]]]"#,
            r#"[[["pause:3.9"], 1]]"#,
            r#"[{"names":["pause:1"],"names":["pause:2"]}]"#,
            "[null]",
            r#"[{"names":"pause:3.9"}]"#,
            r#"[{"names":[1]}]"#,
            r#"{"names":["pause:3.9"]}"#,
            r#""pause:3.9""#,
        ] {
            assert_eq!(one_pass(images), derived(images), "{images}");
        }
        assert_eq!(
            one_pass(r#"[{"names":["escaped\u0070ause:1"]}]"#),
            Some(vec!["escapedpause:1".to_string()])
        );
    }

    #[test]
    fn nulls_are_accepted_where_kubectl_prints_them() {
        let node: Node = serde_json::from_str(
            r#"{"metadata":{"name":"n","labels":null},"spec":{"taints":null},"status":{"images":null,"conditions":null}}"#,
        )
        .expect("parses");
        assert_eq!(node.metadata.name, "n");
    }

    #[test]
    fn names_longer_than_kubernetes_allows_are_refused() {
        let long = "w".repeat(MAX_NAME_BYTES + 1);
        let node = serde_json::from_str::<Node>(&format!(r#"{{"metadata":{{"name":"{long}"}}}}"#));
        assert!(node.is_err_and(|e| e.to_string().contains("longer than the 253")));
        let pod = serde_json::from_str::<Pod>(&format!(
            r#"{{"metadata":{{"name":"p"}},"spec":{{"nodeName":"{long}"}}}}"#
        ));
        assert!(pod.is_err());
        let ok: Pod = serde_json::from_str(
            r#"{"metadata":{"name":null,"namespace":null},"spec":{"nodeName":null}}"#,
        )
        .expect("nulls are fine");
        assert_eq!(ok.metadata.name, "");
        let max = "a".repeat(MAX_NAME_BYTES);
        assert!(
            serde_json::from_str::<Node>(&format!(r#"{{"metadata":{{"name":"{max}"}}}}"#)).is_ok()
        );
    }
}
