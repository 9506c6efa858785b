//! The resource kinds the fake API server knows: for each one its plural
//! name, kind, API group and version, scope, the names kubectl accepts for it
//! and the field labels its field selectors may use. Everything else in the
//! crate looks resources up here instead of hard-coding paths or kinds.

use std::fmt;
use std::str::FromStr;

/// A resource kind served by the fake API server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// `v1` Node (cluster-scoped).
    Nodes,
    /// `v1` Pod.
    Pods,
    /// `v1` Event.
    Events,
    /// `v1` Service.
    Services,
    /// `v1` ConfigMap.
    ConfigMaps,
    /// `v1` Namespace (cluster-scoped).
    Namespaces,
    /// `apps/v1` DaemonSet.
    DaemonSets,
    /// `node.k8s.io/v1` RuntimeClass (cluster-scoped).
    RuntimeClasses,
}

/// A field label usable in a field selector, and where its value lives in
/// the object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldLabel {
    /// The label as written in `fieldSelector`, e.g. `spec.nodeName`.
    pub label: &'static str,
    /// JSON pointer into the object, e.g. `/spec/nodeName`.
    pub pointer: &'static str,
    /// Value when the object lacks the field (`"false"` for booleans, as the
    /// API server formats an unset bool).
    pub default: &'static str,
}

const fn field(label: &'static str, pointer: &'static str) -> FieldLabel {
    FieldLabel {
        label,
        pointer,
        default: "",
    }
}

const fn bool_field(label: &'static str, pointer: &'static str) -> FieldLabel {
    FieldLabel {
        label,
        pointer,
        default: "false",
    }
}

const POD_FIELDS: &[FieldLabel] = &[
    field("spec.nodeName", "/spec/nodeName"),
    field("spec.restartPolicy", "/spec/restartPolicy"),
    field("spec.schedulerName", "/spec/schedulerName"),
    field("spec.serviceAccountName", "/spec/serviceAccountName"),
    bool_field("spec.hostNetwork", "/spec/hostNetwork"),
    field("status.phase", "/status/phase"),
    field("status.podIP", "/status/podIP"),
    field("status.nominatedNodeName", "/status/nominatedNodeName"),
];

const EVENT_FIELDS: &[FieldLabel] = &[
    field("involvedObject.kind", "/involvedObject/kind"),
    field("involvedObject.namespace", "/involvedObject/namespace"),
    field("involvedObject.name", "/involvedObject/name"),
    field("involvedObject.uid", "/involvedObject/uid"),
    field("involvedObject.apiVersion", "/involvedObject/apiVersion"),
    field(
        "involvedObject.resourceVersion",
        "/involvedObject/resourceVersion",
    ),
    field("involvedObject.fieldPath", "/involvedObject/fieldPath"),
    field("reason", "/reason"),
    field("reportingComponent", "/reportingComponent"),
    field("source", "/source/component"),
    field("type", "/type"),
];

const NODE_FIELDS: &[FieldLabel] = &[bool_field("spec.unschedulable", "/spec/unschedulable")];

const SERVICE_FIELDS: &[FieldLabel] = &[
    field("spec.clusterIP", "/spec/clusterIP"),
    field("spec.type", "/spec/type"),
];

const NAMESPACE_FIELDS: &[FieldLabel] = &[field("status.phase", "/status/phase")];

/// Static description of one resource kind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResourceInfo {
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub list_kind: &'static str,
    /// API group, `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    /// Kind-specific field labels, besides `metadata.name` and
    /// `metadata.namespace` which every kind supports.
    pub fields: &'static [FieldLabel],
}

const VERBS: &[&str] = &["get", "list"];

impl ResourceInfo {
    /// `apiVersion` of objects of this kind (`v1`, `apps/v1`, ...).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The verbs advertised in discovery.
    pub fn verbs(&self) -> &'static [&'static str] {
        VERBS
    }

    /// The field label `label`, if field selectors may use it on this kind.
    pub fn field_label(&self, label: &str) -> Option<FieldLabel> {
        match label {
            "metadata.name" => Some(field("metadata.name", "/metadata/name")),
            "metadata.namespace" => Some(field("metadata.namespace", "/metadata/namespace")),
            _ => self.fields.iter().copied().find(|f| f.label == label),
        }
    }
}

impl ResourceKind {
    /// Every kind, in the order discovery lists them.
    pub const ALL: [ResourceKind; 8] = [
        ResourceKind::Nodes,
        ResourceKind::Pods,
        ResourceKind::Events,
        ResourceKind::Services,
        ResourceKind::ConfigMaps,
        ResourceKind::Namespaces,
        ResourceKind::DaemonSets,
        ResourceKind::RuntimeClasses,
    ];

    pub(crate) fn info(self) -> &'static ResourceInfo {
        match self {
            ResourceKind::Nodes => &NODES,
            ResourceKind::Pods => &PODS,
            ResourceKind::Events => &EVENTS,
            ResourceKind::Services => &SERVICES,
            ResourceKind::ConfigMaps => &CONFIGMAPS,
            ResourceKind::Namespaces => &NAMESPACES,
            ResourceKind::DaemonSets => &DAEMONSETS,
            ResourceKind::RuntimeClasses => &RUNTIMECLASSES,
        }
    }

    /// Plural resource name as it appears in URLs (`pods`, `daemonsets`).
    pub fn plural(self) -> &'static str {
        self.info().plural
    }

    /// The object kind (`Pod`, `DaemonSet`).
    pub fn kind(self) -> &'static str {
        self.info().kind
    }

    /// Whether objects of this kind live in a namespace.
    pub fn namespaced(self) -> bool {
        self.info().namespaced
    }

    /// The kind served at `plural` in API group `group`, if any.
    pub(crate) fn from_path(group: &str, plural: &str) -> Option<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.info().group == group && k.info().plural == plural)
    }

    /// The kind whose object `kind` field is `kind`, e.g. `Pod`.
    pub fn from_kind(kind: &str) -> Option<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.info().kind == kind)
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plural())
    }
}

/// Error for a name that matches no resource kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownResource(pub String);

impl fmt::Display for UnknownResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown resource kind {:?}", self.0)
    }
}

impl std::error::Error for UnknownResource {}

impl FromStr for ResourceKind {
    type Err = UnknownResource;

    /// Accepts the plural (`pods`), singular (`pod`), kind (`Pod`) or a
    /// short name (`po`), case-insensitively, optionally qualified with the
    /// group (`daemonsets.apps`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let (name, group) = match lower.split_once('.') {
            Some((n, g)) => (n, Some(g)),
            None => (lower.as_str(), None),
        };
        ResourceKind::ALL
            .into_iter()
            .find(|k| {
                let info = k.info();
                let name_matches = info.plural == name
                    || info.singular == name
                    || info.kind.eq_ignore_ascii_case(name)
                    || info.short_names.contains(&name);
                let group_matches = group.is_none_or(|g| g == info.group);
                name_matches && group_matches
            })
            .ok_or_else(|| UnknownResource(s.to_string()))
    }
}

static NODES: ResourceInfo = ResourceInfo {
    plural: "nodes",
    singular: "node",
    kind: "Node",
    list_kind: "NodeList",
    group: "",
    version: "v1",
    namespaced: false,
    short_names: &["no"],
    fields: NODE_FIELDS,
};

static PODS: ResourceInfo = ResourceInfo {
    plural: "pods",
    singular: "pod",
    kind: "Pod",
    list_kind: "PodList",
    group: "",
    version: "v1",
    namespaced: true,
    short_names: &["po"],
    fields: POD_FIELDS,
};

static EVENTS: ResourceInfo = ResourceInfo {
    plural: "events",
    singular: "event",
    kind: "Event",
    list_kind: "EventList",
    group: "",
    version: "v1",
    namespaced: true,
    short_names: &["ev"],
    fields: EVENT_FIELDS,
};

static SERVICES: ResourceInfo = ResourceInfo {
    plural: "services",
    singular: "service",
    kind: "Service",
    list_kind: "ServiceList",
    group: "",
    version: "v1",
    namespaced: true,
    short_names: &["svc"],
    fields: SERVICE_FIELDS,
};

static CONFIGMAPS: ResourceInfo = ResourceInfo {
    plural: "configmaps",
    singular: "configmap",
    kind: "ConfigMap",
    list_kind: "ConfigMapList",
    group: "",
    version: "v1",
    namespaced: true,
    short_names: &["cm"],
    fields: &[],
};

static NAMESPACES: ResourceInfo = ResourceInfo {
    plural: "namespaces",
    singular: "namespace",
    kind: "Namespace",
    list_kind: "NamespaceList",
    group: "",
    version: "v1",
    namespaced: false,
    short_names: &["ns"],
    fields: NAMESPACE_FIELDS,
};

static DAEMONSETS: ResourceInfo = ResourceInfo {
    plural: "daemonsets",
    singular: "daemonset",
    kind: "DaemonSet",
    list_kind: "DaemonSetList",
    group: "apps",
    version: "v1",
    namespaced: true,
    short_names: &["ds"],
    fields: &[],
};

static RUNTIMECLASSES: ResourceInfo = ResourceInfo {
    plural: "runtimeclasses",
    singular: "runtimeclass",
    kind: "RuntimeClass",
    list_kind: "RuntimeClassList",
    group: "node.k8s.io",
    version: "v1",
    namespaced: false,
    short_names: &[],
    fields: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!("pods".parse(), Ok(ResourceKind::Pods));
        assert_eq!("Pod".parse(), Ok(ResourceKind::Pods));
        assert_eq!("po".parse(), Ok(ResourceKind::Pods));
        assert_eq!("daemonsets.apps".parse(), Ok(ResourceKind::DaemonSets));
        assert_eq!("RuntimeClass".parse(), Ok(ResourceKind::RuntimeClasses));
        assert!("daemonsets.batch".parse::<ResourceKind>().is_err());
        assert!("widgets".parse::<ResourceKind>().is_err());
    }

    #[test]
    fn paths_and_versions() {
        assert_eq!(
            ResourceKind::from_path("apps", "daemonsets"),
            Some(ResourceKind::DaemonSets)
        );
        assert_eq!(ResourceKind::from_path("", "daemonsets"), None);
        assert_eq!(ResourceKind::DaemonSets.info().api_version(), "apps/v1");
        assert_eq!(ResourceKind::Pods.info().api_version(), "v1");
    }
}
