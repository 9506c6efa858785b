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
//! refused exactly as the whole parse would. [`PodHead::read_at`] walks the pod once with the
//! structural scanner (`facts::json_scan`), which skips the rest several times faster than
//! serde_json can, and takes the head's strings straight from the text (`direct`); a pod of
//! another shape than the plain one the API server writes (escapes, `null`s, a key given twice) is
//! read by [`PodHead::read_copied`], which copies the head's members out with the same scanner and
//! parses the copy with serde_json. Fields outside the head are checked for structure only, and not
//! read at all for other pods. [`HEAD_FIELDS`] names what is copied and must follow the structs.
//! The sieve takes the head apart ([`PodHead::into_parts`]): the labels, containers and container
//! states ([`HeadParts`]) stay borrowed from the text it was read from, and only a pod that keeps
//! them gets copies; building them as owned strings for every pod, to drop them for most, was
//! about a third of a scan's allocations.

mod direct;

use super::details::Details;
use super::json_scan::{self, Keep};
use super::k8s::{
    allowed_annotations, null_as_default, object_name, optional_object_name, presence, Affinity,
    Container, ContainerStatus, Labels, MetaDetails, ObjectMeta, Pod, PodOs, PodSecurityContext,
    PodSpec, PodSpecDetails, PodStatus, SecurityContext, TransientStr, WindowsOptions,
};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;

/// The members of a pod that [`PodHead`] reads: kept in step with the structs below.
pub const HEAD_FIELDS: Keep = Keep::Members(&[
    (
        "metadata",
        Keep::Members(&[
            ("name", Keep::Whole),
            ("namespace", Keep::Whole),
            ("labels", Keep::Whole),
            ("annotations", Keep::Whole),
        ]),
    ),
    (
        "spec",
        Keep::Members(&[
            ("nodeName", Keep::Whole),
            ("nodeSelector", Keep::Whole),
            ("affinity", Keep::Whole),
            ("os", Keep::Whole),
            ("runtimeClassName", Keep::Whole),
            ("securityContext", WINDOWS_OPTIONS),
            ("containers", Keep::Each(&CONTAINER_FIELDS)),
            ("initContainers", Keep::Each(&CONTAINER_FIELDS)),
        ]),
    ),
    (
        "status",
        Keep::Members(&[
            ("phase", Keep::Whole),
            ("containerStatuses", Keep::Each(&CONTAINER_STATUS_FIELDS)),
        ]),
    ),
]);
const WINDOWS_OPTIONS: Keep = Keep::Members(&[("windowsOptions", Keep::Whole)]);
const CONTAINER_FIELDS: Keep = Keep::Members(&[
    ("name", Keep::Whole),
    ("image", Keep::Whole),
    ("securityContext", WINDOWS_OPTIONS),
]);
const CONTAINER_STATUS_FIELDS: Keep = Keep::Members(&[
    ("name", Keep::Whole),
    ("state", Keep::Members(&[("running", Keep::Whole)])),
]);

/// What the sieve reads of a pod; see the module documentation. Its labels, node selector,
/// containers' names and images and container states' names are borrowed from the text it was
/// parsed from when they hold no escapes (see [`HeadParts`]). The one-pass reader (`direct`) reads
/// the same members as these structs and [`HEAD_FIELDS`]: a member added here is added there too
/// (its tests compare the two readers on every fixture pod).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PodHead<'a> {
    #[serde(borrow)]
    metadata: HeadMeta<'a>,
    #[serde(borrow)]
    spec: HeadSpec<'a>,
    #[serde(borrow)]
    status: HeadStatus<'a>,
}

/// `ObjectMeta` without the owner references and creation time, which the sieve does not read and
/// which most pods have (skipping them spares a box and three strings per other pod).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadMeta<'a> {
    #[serde(deserialize_with = "object_name")]
    name: String,
    #[serde(deserialize_with = "optional_object_name")]
    namespace: Option<String>,
    #[serde(borrow, deserialize_with = "null_as_default")]
    labels: HeadLabels<'a>,
    #[serde(deserialize_with = "allowed_annotations")]
    annotations: Labels,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadSpec<'a> {
    #[serde(deserialize_with = "optional_object_name")]
    node_name: Option<String>,
    #[serde(borrow, deserialize_with = "null_as_default")]
    node_selector: HeadLabels<'a>,
    affinity: Option<Affinity>,
    os: Option<PodOs>,
    runtime_class_name: Option<String>,
    security_context: Option<HeadSecurityContext>,
    #[serde(borrow, deserialize_with = "transient_vec")]
    containers: Vec<HeadContainer<'a>>,
    #[serde(borrow, deserialize_with = "transient_vec")]
    init_containers: Vec<HeadContainer<'a>>,
}

/// Pod- or container-level `securityContext`: only `windowsOptions` (HostProcess).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadSecurityContext {
    windows_options: Option<WindowsOptions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeadContainer<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    image: Cow<'a, str>,
    security_context: Option<HeadSecurityContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadStatus<'a> {
    phase: Option<String>,
    #[serde(borrow, deserialize_with = "transient_vec")]
    container_statuses: Vec<HeadContainerStatus<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HeadContainerStatus<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    state: HeadState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct HeadState {
    #[serde(deserialize_with = "presence")]
    running: Option<serde_json::Value>,
}

/// A pod's labels as the head reads them: the pairs in the order the text gives them, borrowed
/// from it when they hold no escapes. The sieve only looks them up (which Services select the pod)
/// and keeps them for no other pod, so that building a map of owned strings, about a third of a
/// scan's allocations, is left to the pods that keep them ([`PodHead::into_pod`]). They accept
/// exactly what [`Labels`] accepts (an object, or a list of pairs, of strings), in the same words,
/// and answer as it does: for a key given twice, its last value.
#[derive(Debug, Default)]
pub struct HeadLabels<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> HeadLabels<'a> {
    /// The pairs in text order (a key given twice comes twice; [`HeadLabels::get`] gives its last).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// The value of `key`, as [`Labels`] keeps it: the last one given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// The labels as the pod keeps them.
    pub fn into_labels(self) -> Labels {
        let mut labels = Labels::with_capacity(self.0.len());
        for (k, v) in self.0 {
            labels.insert(k.into_owned(), v.into_owned());
        }
        labels
    }

    /// The same labels, owning their text.
    fn into_owned(self) -> HeadLabels<'static> {
        HeadLabels(
            self.0
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        )
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for HeadLabels<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = HeadLabels<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                // `Labels`' words (litemap's visitor), so that errors read the same.
                f.write_str("a map produced by LiteMap")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> Result<Self::Value, M::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<TransientStr<'de>, TransientStr<'de>>()? {
                    pairs.push((k.0, v.0));
                }
                Ok(HeadLabels(pairs))
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut seq: S,
            ) -> Result<Self::Value, S::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) =
                    seq.next_element::<(TransientStr<'de>, TransientStr<'de>)>()?
                {
                    pairs.push((k.0, v.0));
                }
                Ok(HeadLabels(pairs))
            }
        }
        d.deserialize_any(Visit(std::marker::PhantomData))
    }
}

/// A list the head reads and lets go of: null is empty, as with `vec_or_null`, but its room is not
/// trimmed (the pod keeps its own copy, made at its exact length).
fn transient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl HeadContainer<'_> {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn image(&self) -> &str {
        &self.image
    }

    /// Whether it asks to run as HostProcess (`securityContext.windowsOptions.hostProcess`).
    pub fn host_process(&self) -> bool {
        WindowsOptions::ask_host_process(
            self.security_context
                .as_ref()
                .and_then(|s| s.windows_options.as_ref()),
        )
    }

    fn into_container(self) -> Container {
        Container {
            name: self.name.into_owned(),
            image: self.image.into_owned(),
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

impl<'a> PodHead<'a> {
    /// Parses the head of the pod whose JSON text is `json`.
    pub fn parse(json: &'a str) -> serde_json::Result<PodHead<'a>> {
        let start = json_scan::skip_whitespace(json.as_bytes(), 0);
        match Self::read_at(json, start) {
            Ok((head, end)) if json_scan::skip_whitespace(json.as_bytes(), end) == json.len() => {
                Ok(head)
            }
            // serde_json's own words, with lines and columns counted from the start of `json`.
            _ => serde_json::from_str(json),
        }
    }

    /// Reads the head of the pod whose JSON starts at byte `start` of `text`, and gives it with
    /// the offset just past the pod: in one pass over the pod's text when it has the plain shape
    /// the API server writes (`direct`), else as [`PodHead::read_copied`] reads it.
    pub fn read_at(text: &'a str, start: usize) -> serde_json::Result<(PodHead<'a>, usize)> {
        match direct::read(text, start) {
            Some(read) => Ok(read),
            None => Self::read_copied(text, start),
        }
    }

    /// [`PodHead::read_at`] without the one-pass reader: the head's fields are copied out and
    /// parsed; when that fails, the pod is parsed as it is, so that the error is serde_json's and
    /// names the right place. What the one-pass reader is tested against.
    pub fn read_copied(text: &'a str, start: usize) -> serde_json::Result<(PodHead<'a>, usize)> {
        let mut fields = String::with_capacity(1024);
        if let Ok(end) = json_scan::prune(text, start, &HEAD_FIELDS, &mut fields) {
            if let Ok(head) = serde_json::from_str::<PodHead>(&fields) {
                // The copy is this function's own: the head keeps its labels' text for itself.
                return Ok((head.into_owned(), end));
            }
        }
        let mut de = serde_json::Deserializer::from_str(text.get(start..).unwrap_or_default());
        let head = PodHead::deserialize(&mut de)?;
        let end = start + de.into_iter::<IgnoredAny>().byte_offset();
        Ok((head, end))
    }

    /// The same head, owning all its text.
    fn into_owned(self) -> PodHead<'static> {
        let PodHead {
            metadata,
            spec,
            status,
        } = self;
        let owned = |containers: Vec<HeadContainer<'_>>| -> Vec<HeadContainer<'static>> {
            containers
                .into_iter()
                .map(|c| HeadContainer {
                    name: Cow::Owned(c.name.into_owned()),
                    image: Cow::Owned(c.image.into_owned()),
                    security_context: c.security_context,
                })
                .collect()
        };
        PodHead {
            metadata: HeadMeta {
                name: metadata.name,
                namespace: metadata.namespace,
                labels: metadata.labels.into_owned(),
                annotations: metadata.annotations,
            },
            spec: HeadSpec {
                node_name: spec.node_name,
                node_selector: spec.node_selector.into_owned(),
                affinity: spec.affinity,
                os: spec.os,
                runtime_class_name: spec.runtime_class_name,
                security_context: spec.security_context,
                containers: owned(spec.containers),
                init_containers: owned(spec.init_containers),
            },
            status: HeadStatus {
                phase: status.phase,
                container_statuses: status
                    .container_statuses
                    .into_iter()
                    .map(|s| HeadContainerStatus {
                        name: Cow::Owned(s.name.into_owned()),
                        state: s.state,
                    })
                    .collect(),
            },
        }
    }

    /// A pod holding the head's fields and nothing else.
    pub fn into_pod(self) -> Pod {
        let (mut pod, parts) = self.into_parts();
        parts.fill(&mut pod, true);
        pod
    }

    /// [`PodHead::into_pod`] with its labels, containers and container states apart, as the head
    /// read them: the pod holds none of them. The sieve judges the two together
    /// (`PodSieve::judge_parts`) and gives back to a pod only what it keeps ([`HeadParts::fill`]).
    pub fn into_parts(self) -> (Pod, HeadParts<'a>) {
        let PodHead {
            metadata,
            spec,
            status,
        } = self;
        let pod = Pod {
            metadata: ObjectMeta {
                name: metadata.name,
                namespace: metadata.namespace,
                labels: Labels::new(),
                details: Details::new(MetaDetails {
                    annotations: metadata.annotations,
                    ..MetaDetails::default()
                }),
            },
            spec: PodSpec {
                node_name: spec.node_name,
                containers: Vec::new(),
                details: Details::new(PodSpecDetails {
                    affinity: spec.affinity,
                    os: spec.os,
                    runtime_class_name: spec.runtime_class_name,
                    security_context: spec.security_context.map(|s| {
                        Box::new(PodSecurityContext {
                            windows_options: s.windows_options,
                            ..PodSecurityContext::default()
                        })
                    }),
                    ..PodSpecDetails::default()
                }),
            },
            status: PodStatus {
                phase: status.phase,
                container_statuses: Vec::new(),
                details: Details::default(),
            },
            other: false,
        };
        let parts = HeadParts {
            labels: metadata.labels,
            node_selector: spec.node_selector,
            containers: spec.containers,
            init_containers: spec.init_containers,
            statuses: status.container_statuses,
        };
        (pod, parts)
    }
}

/// What [`PodHead::into_parts`] keeps apart from the pod: its labels and node selector
/// ([`HeadLabels`]), its containers' and init containers' names, images and HostProcess flags, and
/// its containers' names and whether they run, borrowed from the text the head was read from.
#[derive(Debug, Default)]
pub struct HeadParts<'a> {
    labels: HeadLabels<'a>,
    node_selector: HeadLabels<'a>,
    containers: Vec<HeadContainer<'a>>,
    init_containers: Vec<HeadContainer<'a>>,
    statuses: Vec<HeadContainerStatus<'a>>,
}

impl HeadParts<'_> {
    pub fn labels(&self) -> &HeadLabels<'_> {
        &self.labels
    }

    pub fn node_selector(&self) -> &HeadLabels<'_> {
        &self.node_selector
    }

    /// The containers (not the init containers), in order.
    pub fn containers(&self) -> &[HeadContainer<'_>] {
        &self.containers
    }

    /// Whether an init container or a container asks to run as HostProcess.
    pub fn any_container_host_process(&self) -> bool {
        self.init_containers
            .iter()
            .chain(&self.containers)
            .any(HeadContainer::host_process)
    }

    /// The names of the containers whose state is `running`, in status order.
    pub fn running(&self) -> impl Iterator<Item = &str> {
        self.statuses
            .iter()
            .filter(|s| s.state.running.is_some())
            .map(|s| s.name.as_ref())
    }

    /// Gives `pod` (from [`PodHead::into_parts`]) its containers, init containers and container
    /// states as [`PodHead::into_pod`] holds them, and its labels and node selector too when
    /// `whole`.
    pub fn fill(self, pod: &mut Pod, whole: bool) {
        if whole {
            pod.metadata.labels = self.labels.into_labels();
            let node_selector = self.node_selector.into_labels();
            if !node_selector.is_empty() {
                pod.spec.node_selector = node_selector;
            }
        }
        pod.spec.containers = self
            .containers
            .into_iter()
            .map(HeadContainer::into_container)
            .collect();
        if !self.init_containers.is_empty() {
            pod.spec.init_containers = self
                .init_containers
                .into_iter()
                .map(HeadContainer::into_container)
                .collect();
        }
        pod.status.container_statuses = self
            .statuses
            .into_iter()
            .map(|s| ContainerStatus::running_only(s.name.into_owned(), s.state.running))
            .collect();
    }
}

/// Pods shaped like the real thing for the tests of the readers of pod text.
#[cfg(test)]
pub(crate) mod fixtures {
    use serde_json::Value;

    /// Every pod of the repository's bundles and of the demo, as indented JSON text.
    pub(crate) fn fixture_pods() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("tests/bundles"))
            .expect("tests/bundles")
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("cluster/pods.json"))
            .filter(|p| p.is_file())
            .collect();
        files.push(root.join("assets/demo/cluster/pods.json"));
        let mut pods = Vec::new();
        for file in files.iter().filter(|p| p.is_file()) {
            let text = std::fs::read_to_string(file).expect("readable fixture");
            let list: Value = serde_json::from_str(&text).expect("fixture JSON");
            for item in list["items"].as_array().cloned().unwrap_or_default() {
                pods.push(serde_json::to_string_pretty(&item).expect("serializes"));
            }
        }
        assert!(pods.len() > 50, "only {} fixture pods", pods.len());
        pods
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::fixture_pods;
    use super::*;

    /// The head as serde_json reads it from the whole pod, the reference for the copied fields.
    fn whole_parse(json: &str) -> String {
        format!("{:?}", serde_json::from_str::<PodHead>(json))
    }

    #[test]
    fn the_copied_fields_read_as_the_whole_pod() {
        for pod in fixture_pods() {
            assert_eq!(
                format!("{:?}", PodHead::parse(&pod)),
                whole_parse(&pod),
                "{pod}"
            );
        }
    }

    #[test]
    fn read_at_gives_the_end_of_the_pod() {
        let pod = r#"{"metadata":{"name":"a","namespace":"n"},"spec":{"nodeName":"w1"}}"#;
        let text = format!("[{pod}  ,{pod}]");
        let (head, end) = PodHead::read_at(&text, 1).expect("reads");
        assert_eq!(&text[1..end], pod);
        assert_eq!(head.into_pod().spec.node_name.as_deref(), Some("w1"));
    }

    #[test]
    fn errors_are_serde_json_s_for_the_whole_pod() {
        let cases = [
            r#"{"metadata":{"name":7}}"#,
            r#"{"metadata":null}"#,
            r#"{"spec":{"containers":{"name":"c"}}}"#,
            r#"{"metadata":{"name":"a","name":"b"}}"#,
            r#"{"metadata":{"name":"a"}"#,
            r#"{"metadata":{"name":"a"}} trailing"#,
            r#"{"metadata":{"name":"a"}, "x": [1}"#,
            // Found by fuzz/fuzz_targets/pod_head.rs: positions count from the start of the text.
            "\n \" {apiVersion\"",
        ];
        for text in cases {
            let error = PodHead::parse(text).expect_err(text).to_string();
            let reference = serde_json::from_str::<PodHead>(text)
                .expect_err(text)
                .to_string();
            assert_eq!(error, reference, "{text}");
        }
    }

    #[test]
    fn what_is_dropped_is_checked_for_structure_only() {
        // serde_json refuses the bad literal; the scanner, which never reads it, does not.
        let text = r#"{"metadata":{"name":"a"},"status":{"conditions":[{"ok":tru}]}}"#;
        assert!(serde_json::from_str::<PodHead>(text).is_err());
        let head = PodHead::parse(text).expect("the head is sound");
        assert_eq!(head.into_pod().metadata.name, "a");
    }

    /// The labels as the head reads them and as the whole pod keeps them (`Labels`): the same
    /// labels, the same value for every key (the last of a key given twice), the same words for
    /// what neither accepts; read from the helper's copy (borrowed) and from the sink's own copy.
    #[test]
    fn head_labels_answer_as_the_pods_labels() {
        let accepted = [
            r#"{"app":"web","tier":"front"}"#,
            r#"{"tier":"front","app":"web","app":"api"}"#,
            r#"{"app\u0041":"w\"eb","b":"2"}"#,
            r#"[["app","web"],["app","api"],["a","1"]]"#,
            r#"null"#,
            r#"{}"#,
        ];
        for labels in accepted {
            let text = format!(r#"{{"metadata":{{"name":"p","labels":{labels}}}}}"#);
            let whole: Pod = serde_json::from_str(&text).expect(labels);
            let expected = &whole.metadata.labels;
            for (how, head) in [
                ("own copy", PodHead::parse(&text).expect(labels)),
                (
                    "parsed",
                    serde_json::from_str::<PodHead>(&text).expect(labels),
                ),
            ] {
                let (mut pod, parts) = head.into_parts();
                assert!(pod.metadata.labels.is_empty(), "{how}: {labels}");
                let head_labels = parts.labels();
                let keys: std::collections::BTreeSet<&str> =
                    head_labels.pairs().map(|(k, _)| k).collect();
                assert_eq!(
                    keys,
                    expected.keys().map(String::as_str).collect(),
                    "{how}: {labels}"
                );
                for (k, v) in expected.iter() {
                    assert_eq!(head_labels.get(k), Some(v.as_str()), "{how}: {labels}");
                }
                assert_eq!(head_labels.get("absent"), None);
                parts.fill(&mut pod, true);
                assert_eq!(&pod.metadata.labels, expected, "{how}: {labels}");
            }
        }
        let refused = [
            r#"{"app":1}"#,
            r#"{"app":null}"#,
            r#""app""#,
            r#"[["app"]]"#,
        ];
        for labels in refused {
            let text = format!(r#"{{"metadata":{{"name":"p","labels":{labels}}}}}"#);
            let whole = serde_json::from_str::<Pod>(&text).expect_err(labels);
            let head = PodHead::parse(&text).expect_err(labels);
            assert_eq!(head.to_string(), whole.to_string(), "{labels}");
        }
    }
}
