//! The head of a pod: the few fields the pod sieve (`facts::share`) decides on, parsed first.
//!
//! On a big cluster most pods run on Linux nodes and are kept only as **other** pods (namespace,
//! name, node, phase). Parsing each of them whole, with its environment, probes, volumes and
//! conditions, only to drop all that, is most of a scan's work. A reader that holds the pod's JSON
//! text (a page item, a bundle item) parses the [`PodHead`] first: metadata's name, namespace,
//! labels and the annotations windoctor reads; the spec's node, node selector, node affinity, OS,
//! RuntimeClass, HostProcess flags and containers' names and images; the status's phase and which
//! containers run. [`PodHead::into_pod`] gives a [`Pod`] holding exactly those, on which the sieve
//! judges as on the whole pod (it reads nothing else); only pods kept whole are then parsed whole.
//! The head uses the same field deserializers as [`Pod`], so a field the head reads is accepted or
//! refused exactly as the whole parse would; fields outside the head are not read at all for
//! other pods.

use super::details::Details;
use super::k8s::{
    allowed_annotations, null_as_default, object_name, optional_object_name, presence, vec_or_null,
    Affinity, Container, ContainerStatus, Labels, MetaDetails, ObjectMeta, Pod, PodOs,
    PodSecurityContext, PodSpec, PodSpecDetails, PodStatus, SecurityContext, WindowsOptions,
};
use serde::Deserialize;

/// What the sieve reads of a pod; see the module documentation.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PodHead {
    metadata: HeadMeta,
    spec: HeadSpec,
    status: HeadStatus,
}

/// `ObjectMeta` without the owner references and creation time, which the sieve does not read and
/// which most pods have (skipping them spares a box and three strings per other pod).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadMeta {
    #[serde(deserialize_with = "object_name")]
    name: String,
    #[serde(deserialize_with = "optional_object_name")]
    namespace: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    labels: Labels,
    #[serde(deserialize_with = "allowed_annotations")]
    annotations: Labels,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadSpec {
    #[serde(deserialize_with = "optional_object_name")]
    node_name: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    node_selector: Labels,
    affinity: Option<Affinity>,
    os: Option<PodOs>,
    runtime_class_name: Option<String>,
    security_context: Option<HeadSecurityContext>,
    #[serde(deserialize_with = "vec_or_null")]
    containers: Vec<HeadContainer>,
    #[serde(deserialize_with = "vec_or_null")]
    init_containers: Vec<HeadContainer>,
}

/// Pod- or container-level `securityContext`: only `windowsOptions` (HostProcess).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadSecurityContext {
    windows_options: Option<WindowsOptions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadContainer {
    name: String,
    image: String,
    security_context: Option<HeadSecurityContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadStatus {
    phase: Option<String>,
    #[serde(deserialize_with = "vec_or_null")]
    container_statuses: Vec<HeadContainerStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadContainerStatus {
    name: String,
    state: HeadState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadState {
    #[serde(deserialize_with = "presence")]
    running: Option<serde_json::Value>,
}

impl HeadContainer {
    fn into_container(self) -> Container {
        Container {
            name: self.name,
            image: self.image,
            security_context: self.security_context.map(|s| {
                Box::new(SecurityContext {
                    windows_options: s.windows_options,
                    ..SecurityContext::default()
                })
            }),
            ..Container::default()
        }
    }
}

impl PodHead {
    /// Parses the head of the pod whose JSON text is `json`.
    pub fn parse(json: &str) -> serde_json::Result<PodHead> {
        serde_json::from_str(json)
    }

    /// A pod holding the head's fields and nothing else.
    pub fn into_pod(self) -> Pod {
        let PodHead {
            metadata,
            spec,
            status,
        } = self;
        Pod {
            metadata: ObjectMeta {
                name: metadata.name,
                namespace: metadata.namespace,
                labels: metadata.labels,
                details: Details::new(MetaDetails {
                    annotations: metadata.annotations,
                    ..MetaDetails::default()
                }),
            },
            spec: PodSpec {
                node_name: spec.node_name,
                containers: spec
                    .containers
                    .into_iter()
                    .map(HeadContainer::into_container)
                    .collect(),
                details: Details::new(PodSpecDetails {
                    node_selector: spec.node_selector,
                    affinity: spec.affinity,
                    os: spec.os,
                    runtime_class_name: spec.runtime_class_name,
                    security_context: spec.security_context.map(|s| {
                        Box::new(PodSecurityContext {
                            windows_options: s.windows_options,
                            ..PodSecurityContext::default()
                        })
                    }),
                    init_containers: spec
                        .init_containers
                        .into_iter()
                        .map(HeadContainer::into_container)
                        .collect(),
                    ..PodSpecDetails::default()
                }),
            },
            status: PodStatus {
                phase: status.phase,
                container_statuses: status
                    .container_statuses
                    .into_iter()
                    .map(|s| ContainerStatus::running_only(s.name, s.state.running))
                    .collect(),
                details: Details::default(),
            },
        }
    }
}
