//! The one table of cluster inputs: each input's name, its fact type, how the live source reads it
//! (API path and query), its bundle file, the kubectl command that makes that file by hand, and the
//! kind and apiVersion capture writes on its items.
//!
//! The table is written once, in [`cluster_inputs!`], and every consumer expands it: the fact slots
//! of `ClusterFacts`, the live reader, the bundle reader, capture, the engine's scheduling and the
//! checks' `Eval` accessors. Adding a cluster input is one row there (and a type for its items).
//! Node inputs (files and logs on a Windows node) are declared by the checks that read them, in
//! their `checks/<id>.toml`; the node collector's plan comes from the catalogue.

/// How the live source reads an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// `GET /version`: one object.
    Version,
    /// A paginated list at an API path, with extra query text (e.g. a field selector).
    List {
        path: &'static str,
        query: &'static str,
    },
    /// ConfigMaps in kube-system plus `kube-flannel-cfg` wherever it lives: the only ones read.
    ConfigMaps,
}

/// One row of the input table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputSpec {
    /// The input's name, as checks declare it in `inputs = [...]`.
    pub name: &'static str,
    pub fetch: Fetch,
    /// The bundle file without its extension (`.json`, `.yaml` or `.yml` are read).
    pub bundle: &'static str,
    /// How to make the bundle file by hand, for the message when it is absent.
    pub kubectl: &'static str,
    /// Kind and apiVersion of the items, which capture writes on each (lists only).
    pub kind: &'static str,
    pub api_version: &'static str,
}

/// The query that lists only events the checks read (warnings): Normal events are the bulk of a
/// big cluster's events and no check reads them.
pub const WARNING_EVENTS: &str = "fieldSelector=type%21%3DNormal";

/// The object type of a list input whose items are kept as they come: every list but pods, which
/// go through the pod sieve (`facts::share`). The live and bundle readers implement their reading
/// once for all of these.
pub trait CollectedItem: serde::de::DeserializeOwned + Send + 'static {}

macro_rules! collected_items {
    ($($t:ty),*) => { $(impl CollectedItem for $t {})* };
}
collected_items!(
    super::k8s::Node,
    super::k8s::Event,
    super::k8s::Service,
    super::k8s::DaemonSet,
    super::k8s::ConfigMap,
    super::k8s::RuntimeClass
);

/// The table of cluster inputs. Calls `$callback!` with one row per input:
/// `name: Type, fetch, bundle stem, kubectl hint, item kind, item apiVersion;`.
#[macro_export]
macro_rules! cluster_inputs {
    ($callback:ident) => {
        $callback! {
            version: $crate::facts::k8s::ServerVersion,
                $crate::facts::inputs::Fetch::Version,
                "cluster/version", "kubectl version -o json", "", "";
            nodes: Vec<$crate::facts::k8s::Node>,
                $crate::facts::inputs::Fetch::List { path: "/api/v1/nodes", query: "" },
                "cluster/nodes", "kubectl get nodes -o json", "Node", "v1";
            pods: Vec<$crate::facts::k8s::Pod>,
                $crate::facts::inputs::Fetch::List { path: "/api/v1/pods", query: "" },
                "cluster/pods", "kubectl get pods -A -o json", "Pod", "v1";
            events: Vec<$crate::facts::k8s::Event>,
                $crate::facts::inputs::Fetch::List { path: "/api/v1/events", query: $crate::facts::inputs::WARNING_EVENTS },
                "cluster/events", "kubectl get events -A -o json", "Event", "v1";
            services: Vec<$crate::facts::k8s::Service>,
                $crate::facts::inputs::Fetch::List { path: "/api/v1/services", query: "" },
                "cluster/services", "kubectl get services -A -o json", "Service", "v1";
            daemonsets: Vec<$crate::facts::k8s::DaemonSet>,
                $crate::facts::inputs::Fetch::List { path: "/apis/apps/v1/daemonsets", query: "" },
                "cluster/daemonsets", "kubectl get daemonsets -A -o json", "DaemonSet", "apps/v1";
            configmaps: Vec<$crate::facts::k8s::ConfigMap>,
                $crate::facts::inputs::Fetch::ConfigMaps,
                "cluster/configmaps", "kubectl get configmaps -A -o json", "ConfigMap", "v1";
            runtimeclasses: Vec<$crate::facts::k8s::RuntimeClass>,
                $crate::facts::inputs::Fetch::List { path: "/apis/node.k8s.io/v1/runtimeclasses", query: "" },
                "cluster/runtimeclasses", "kubectl get runtimeclasses -o json", "RuntimeClass", "node.k8s.io/v1";
        }
    };
}

macro_rules! define_table {
    ($($name:ident: $ty:ty, $fetch:expr, $bundle:literal, $kubectl:literal, $kind:literal, $api:literal;)*) => {
        /// Every cluster input, in the order the live source starts reading them.
        pub const CLUSTER_INPUTS: &[InputSpec] = &[
            $(InputSpec {
                name: stringify!($name),
                fetch: $fetch,
                bundle: $bundle,
                kubectl: $kubectl,
                kind: $kind,
                api_version: $api,
            },)*
        ];
    };
}
cluster_inputs!(define_table);

/// Inputs that are not cluster lists: pod logs in bundles, the node part, the probe results.
pub const OTHER_INPUTS: &[&str] = &["logs", "node", "probes"];

/// Every input name a check may declare.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    CLUSTER_INPUTS
        .iter()
        .map(|i| i.name)
        .chain(OTHER_INPUTS.iter().copied())
}

/// The row of the cluster input `name`.
pub fn spec(name: &str) -> Option<&'static InputSpec> {
    CLUSTER_INPUTS.iter().find(|i| i.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_bundle_files_follow_them() {
        let names: Vec<&str> = all_names().collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{names:?}");
        for i in CLUSTER_INPUTS {
            assert_eq!(i.bundle, format!("cluster/{}", i.name));
            assert!(i.kubectl.starts_with("kubectl "), "{}", i.name);
            if matches!(i.fetch, Fetch::List { .. } | Fetch::ConfigMaps) {
                assert!(
                    !i.kind.is_empty() && !i.api_version.is_empty(),
                    "{}",
                    i.name
                );
            }
        }
    }
}
