//! Check `windows-version`: each Windows node's build (from `.status.nodeInfo.kernelVersion`) is one
//! its kubelet version supports (seed 001 § 윈도우 OS 버전 지원, 000 § 윈도우 운영 체제 버전 호환성;
//! the tables live in `facts::windows::supported_builds`), its `node.kubernetes.io/windows-build`
//! label exists and equals `10.0.<build>` (004 § 동일 클러스터에서 여러 윈도우 버전을 조작하는 방법),
//! and no pod relies on the deprecated Hyper-V isolation annotation (002 § Hyper-V 격리).

use super::Eval;
use crate::facts::cluster::{Workload, BUILD_LABEL};
use crate::facts::k8s::{Node, Pod};
use crate::facts::windows::{self, build_label, release_by_build, supported_builds};
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::NodeView;
use std::collections::BTreeMap;

const ISOLATION_ANNOTATION: &str = "experimental.windows.kubernetes.io/isolation-type";

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

fn cluster_part(ev: &mut Eval) {
    let Some((_, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    for node in &windows {
        check_node(ev, node);
    }
    // An other pod of the sieve keeps no annotations: only the pods kept whole are read.
    if let (Some(listed), Some(kept)) = (ev.pods().map(Vec::len), ev.kept_pods()) {
        let kept: Vec<&Pod> = kept.collect();
        check_isolation_annotation(ev, listed, &kept);
    }
}

/// "Windows Server 2019 / version 1809 (build 17763)", or "build 22000" for builds not in the tables.
fn describe_build(build: u32) -> String {
    match release_by_build(build) {
        Some(r) => format!("{} (build {build})", r.product),
        None => format!("build {build}"),
    }
}

fn check_node(ev: &mut Eval, node: &Node) {
    let name = node.name();
    let kernel = node.status.node_info.kernel_version.as_str();
    let kubelet_text = node.status.node_info.kubelet_version.as_str();
    let kernel_evidence = Evidence::api(
        format!("Node/{name} .status.nodeInfo.kernelVersion"),
        kernel,
    );
    let kubelet_evidence = Evidence::api(
        format!("Node/{name} .status.nodeInfo.kubeletVersion"),
        kubelet_text,
    );
    let mut problems = 0;

    ev.part("unsupported-build");
    let build = node.windows_build();
    let Some(build) = build else {
        let fix = ev.fix("unknown_build", &[("node", name), ("kernel", kernel)]);
        ev.emit(
            Status::Warn,
            Subject::node(name),
            format!("{name} reports kernel version {kernel:?}, which is not a Windows 10.0.BUILD version; its Windows release and label cannot be checked"),
        )
        .evidence(kernel_evidence)
        .with_fix(fix);
        return;
    };
    let described = describe_build(build);

    // Support of the build by this kubelet.
    match (release_by_build(build), node.kubelet_semver()) {
        (None, _) => {
            problems += 1;
            let fix = ev.fix("unknown_build", &[("node", name), ("kernel", kernel)]);
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} runs Windows build {build} (kernel {kernel}), which is not a Windows Server release in the support tables; Kubernetes supports only the listed Windows Server releases as nodes"),
            )
            .evidence(kernel_evidence.clone())
            .with_fix(fix);
        }
        (Some(_), None) => {
            problems += 1;
            let fix = ev.fix("kubelet_version_unreadable", &[("node", name)]);
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} runs {described}, but its kubelet version {kubelet_text:?} cannot be read, so whether that release is supported cannot be judged"),
            )
            .evidence(kernel_evidence.clone())
            .evidence(kubelet_evidence.clone())
            .with_fix(fix);
        }
        (Some(release), Some(kubelet)) => {
            let supported = supported_builds(u32::try_from(kubelet.minor).unwrap_or(u32::MAX));
            if kubelet.major != 1 || !supported.contains(&build) {
                problems += 1;
                let supported_text = supported
                    .iter()
                    .map(|b| describe_build(*b))
                    .collect::<Vec<_>>()
                    .join(", ");
                let build_text = build.to_string();
                let fix = ev.fix(
                    "unsupported_build",
                    &[
                        ("node", name),
                        ("product", &release.product),
                        ("build", &build_text),
                        ("kubelet", kubelet_text),
                        ("supported", &supported_text),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!("{name}: kubelet {kubelet_text} does not support {described}; it supports {supported_text}"),
                )
                .evidence(kernel_evidence.clone())
                .evidence(kubelet_evidence.clone())
                .with_fix(fix);
            }
        }
    }

    // The build label.
    ev.part("build-label");
    let expected = build_label(build);
    let label_ref = format!("Node/{name} .metadata.labels[{BUILD_LABEL}]");
    match node.metadata.labels.get(BUILD_LABEL) {
        None => {
            problems += 1;
            let fix = ev.fix("label_missing", &[("node", name), ("label", &expected)]);
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} has no {BUILD_LABEL} label (expected {expected}); pods and RuntimeClasses cannot select its Windows build"),
            )
            .evidence(Evidence::api(label_ref, "(absent)"))
            .evidence(kernel_evidence.clone())
            .with_fix(fix);
        }
        Some(value) if windows::build_of(value) != Some(build) => {
            problems += 1;
            let fix = ev.fix("label_wrong", &[("node", name), ("label", &expected)]);
            let label_build = windows::build_of(value)
                .map(describe_build)
                .unwrap_or_else(|| "no Windows build".to_string());
            ev.emit(
                Status::Fail,
                Subject::node(name),
                format!("{name} carries label {BUILD_LABEL}={value} but its kernel is build {build} ({kernel}); pods that select {value} ({label_build}) land on a host whose build does not match their image"),
            )
            .evidence(Evidence::api(label_ref, value.clone()))
            .evidence(kernel_evidence.clone())
            .with_fix(fix);
        }
        Some(_) => {}
    }

    if problems == 0 {
        ev.part("unsupported-build");
        ev.emit(
            Status::Pass,
            Subject::node(name),
            format!("{name}: {described} is supported by kubelet {kubelet_text}, and its {BUILD_LABEL} label is {expected}"),
        )
        .evidence(kernel_evidence)
        .evidence(kubelet_evidence);
    }
}

/// Pods carrying the deprecated Hyper-V isolation annotation, one finding per workload.
/// `listed` is how many pods the list has; `pods` those that can carry the annotation.
fn check_isolation_annotation(ev: &mut Eval, listed: usize, pods: &[&Pod]) {
    ev.part("hyperv-annotation");
    let mut by_workload: BTreeMap<(String, Workload), Vec<&Pod>> = BTreeMap::new();
    for &pod in pods {
        if pod.metadata.annotations.contains_key(ISOLATION_ANNOTATION) {
            by_workload
                .entry((pod.namespace().to_string(), pod.workload()))
                .or_default()
                .push(pod);
        }
    }
    if by_workload.is_empty() {
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "checked {listed} pod(s): none uses the deprecated {ISOLATION_ANNOTATION} annotation"
            ),
        );
        return;
    }
    for ((namespace, workload), members) in by_workload {
        let first = members[0];
        let value = first
            .metadata
            .annotations
            .get(ISOLATION_ANNOTATION)
            .cloned()
            .unwrap_or_default();
        let reference = workload.reference();
        let template = if workload.has_mutable_template() {
            "hyperv_annotation_template"
        } else {
            "hyperv_annotation_pod"
        };
        let fix = ev.fix(
            template,
            &[("namespace", &namespace), ("workload", &reference)],
        );
        let count = if members.len() == 1 {
            String::new()
        } else {
            format!(" ({} pods)", members.len())
        };
        let subject = Subject::namespaced(workload.kind_title(), &namespace, &workload.name);
        let finding = ev.emit(
            Status::Warn,
            subject,
            format!("{reference} in {namespace}{count} sets the deprecated annotation {ISOLATION_ANNOTATION}={value}; Kubernetes does not support Hyper-V isolated Windows containers, so its pods run process-isolated and need an image of their node's build"),
        );
        for pod in members.iter().take(3) {
            finding.evidence(Evidence::api(
                format!(
                    "Pod/{}/{} .metadata.annotations",
                    pod.namespace(),
                    pod.name()
                ),
                format!("{ISOLATION_ANNOTATION}: {value}"),
            ));
        }
        finding.with_fix(fix);
    }
}

/// Node part: the machine's own Windows build (from the OS, not the Node object) is a server build
/// the kubelet version supports, and it matches what the Node object and its windows-build label say.
fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    use crate::facts::cluster::BUILD_LABEL;
    use crate::facts::windows::{build_label, release_by_build, supported_builds};
    use crate::findings::Evidence;
    let Some(info) = ev.node_info(&view) else {
        return;
    };
    let node = view.name();
    ev.part("unsupported-build");
    let Some(build) = info.build else {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "the node part records no OS build (node.json has no os.build): the machine's Windows version is not known",
        );
        return;
    };
    let shown = match info.ubr {
        Some(u) => format!("10.0.{build}.{u}"),
        None => format!("10.0.{build}"),
    };
    let caption = info.os_caption.clone().unwrap_or_default();
    let os_ev = Evidence::api(
        "Win32_OperatingSystem",
        format!("{caption} {shown}").trim().to_string(),
    );
    let product = release_by_build(build)
        .map(|r| r.product.to_string())
        .unwrap_or_else(|| format!("build {build}"));
    let mut problems = 0;
    if !caption.is_empty() && !caption.to_ascii_lowercase().contains("server") {
        problems += 1;
        ev.part("client-edition");
        let fix = ev.fix("node_server_os", &[("node", &node), ("caption", &caption)]);
        ev.emit(
            Status::Fail,
            Subject::node(node.clone()),
            format!("{node} runs {caption}, a client edition: Windows worker nodes must run Windows Server"),
        )
        .evidence(os_ev.clone())
        .with_fix(fix);
    }
    let node_obj = view.node_object();
    if let Some(n) = node_obj {
        let name = n.name().to_string();
        if let Some(reported) = n.windows_build() {
            if reported != build {
                problems += 1;
                ev.part("node-object-stale");
                let fix = ev.fix("node_reregister", &[("node", &name)]);
                ev.emit(
                    Status::Warn,
                    Subject::node(name.clone()),
                    format!(
                        "the machine runs build {build} but Node {name} reports kernelVersion {}: the kubelet has not re-registered since the OS changed, or this machine is not that Node (pass --node)",
                        n.status.node_info.kernel_version
                    ),
                )
                .evidence(os_ev.clone())
                .evidence(Evidence::api(format!("Node/{name} .status.nodeInfo.kernelVersion"), n.status.node_info.kernel_version.clone()))
                .with_fix(fix);
            }
        }
        if let Some(label) = n.metadata.labels.get(BUILD_LABEL) {
            if crate::facts::windows::build_of(label) != Some(build) {
                problems += 1;
                ev.part("build-label");
                let fix = ev.fix(
                    "node_relabel",
                    &[("node", &name), ("label", &build_label(build))],
                );
                ev.emit(
                    Status::Warn,
                    Subject::node(name.clone()),
                    format!("Node {name} is labelled {BUILD_LABEL}={label} but the machine runs build {build}: pods selecting by that label land on the wrong build"),
                )
                .evidence(Evidence::api(format!("Node/{name} .metadata.labels[{BUILD_LABEL}]"), label.clone()))
                .evidence(os_ev.clone())
                .with_fix(fix);
            }
        }
        if let Some(kubelet) = n.kubelet_semver() {
            let supported = supported_builds(u32::try_from(kubelet.minor).unwrap_or(u32::MAX));
            if !supported.contains(&build) {
                problems += 1;
                ev.part("unsupported-build");
                let list: Vec<String> = supported
                    .iter()
                    .map(|b| {
                        release_by_build(*b)
                            .map(|r| r.product.to_string())
                            .unwrap_or_else(|| b.to_string())
                    })
                    .collect();
                let fix = ev.fix(
                    "node_unsupported",
                    &[
                        ("node", &name),
                        ("kubelet", &n.status.node_info.kubelet_version),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(name.clone()),
                    format!(
                        "{name} runs {product} ({shown}), which kubelet {} does not support (supported: {})",
                        n.status.node_info.kubelet_version,
                        list.join(", ")
                    ),
                )
                .evidence(os_ev.clone())
                .evidence(Evidence::api(format!("Node/{name} .status.nodeInfo.kubeletVersion"), n.status.node_info.kubelet_version.clone()))
                .with_fix(fix);
            }
        }
    }
    if problems == 0 {
        ev.part("unsupported-build");
        let against = match node_obj {
            Some(n) => format!(
                ", as Node {} reports, supported by kubelet {}",
                n.name(),
                n.status.node_info.kubelet_version
            ),
            None => " (no Node object to compare with)".to_string(),
        };
        ev.emit(
            Status::Pass,
            Subject::node(node),
            format!("the machine runs {product} ({shown}){against}"),
        )
        .evidence(os_ev);
    }
}

#[cfg(test)]
mod tests {
    use crate::findings::{Finding, Status};

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_cluster_part_on_files("windows-version", files)
    }

    fn node(kernel: &str, kubelet: &str, label: Option<&str>) -> String {
        let label = label
            .map(|l| format!(r#","node.kubernetes.io/windows-build":"{l}""#))
            .unwrap_or_default();
        format!(
            r#"{{"items":[{{"metadata":{{"name":"win-1","labels":{{"kubernetes.io/os":"windows"{label}}}}},
              "status":{{"nodeInfo":{{"kernelVersion":"{kernel}","kubeletVersion":"{kubelet}","operatingSystem":"windows"}}}}}}]}}"#
        )
    }

    const NO_PODS: &str = r#"{"items":[]}"#;

    #[test]
    fn the_2004_release_is_supported_on_1_20_but_not_on_1_30() {
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.19041.1415", "v1.20.15", Some("10.0.19041")),
            ),
            ("cluster/pods.json", NO_PODS),
        ]);
        assert!(f.iter().all(|x| x.status == Status::Pass), "{f:?}");
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.19041.1415", "v1.30.1", Some("10.0.19041")),
            ),
            ("cluster/pods.json", NO_PODS),
        ]);
        assert_eq!(f[0].status, Status::Fail);
        assert!(f[0].message.contains("version 2004"));
    }

    #[test]
    fn client_and_insider_builds_warn_as_unknown() {
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.22631.4037", "v1.30.1", Some("10.0.22631")),
            ),
            ("cluster/pods.json", NO_PODS),
        ]);
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0].message.contains("build 22631"));
        assert!(f.iter().all(|x| x.status != Status::Fail));
    }

    #[test]
    fn label_with_only_major_minor_build_or_full_revision_matches() {
        // A hand-set label may carry the revision too; the build is what matters.
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.17763.6054", "v1.30.1", Some("10.0.17763.6054")),
            ),
            ("cluster/pods.json", NO_PODS),
        ]);
        assert!(f.iter().all(|x| x.status == Status::Pass), "{f:?}");
    }

    #[test]
    fn garbage_label_fails_and_the_fix_carries_the_real_build() {
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.20348.2582", "v1.30.1", Some("ltsc2022")),
            ),
            ("cluster/pods.json", NO_PODS),
        ]);
        let fail = f
            .iter()
            .find(|x| x.status == Status::Fail)
            .expect("label fail");
        let fix = fail.fix.as_ref().expect("fix");
        assert_eq!(
            fix.commands[0],
            "kubectl label node win-1 node.kubernetes.io/windows-build=10.0.20348 --overwrite"
        );
    }

    #[test]
    fn non_windows_kernel_string_warns_instead_of_passing() {
        let f = run_on(&[
            ("cluster/nodes.json", &node("", "v1.30.1", None)),
            ("cluster/pods.json", NO_PODS),
        ]);
        assert_eq!(f[0].status, Status::Warn);
        assert!(!f
            .iter()
            .any(|x| x.status == Status::Pass && x.subject.kind == "Node"));
    }

    #[test]
    fn annotation_on_a_bare_pod_gets_the_annotate_fix_and_replicas_are_grouped() {
        let pods = r#"{"items":[
          {"metadata":{"name":"dbg","namespace":"ops","annotations":{"experimental.windows.kubernetes.io/isolation-type":"hyperv"}},
           "spec":{"nodeName":"win-1","containers":[{"name":"c","image":"mcr.microsoft.com/windows/nanoserver:1809"}]}},
          {"metadata":{"name":"w-1","namespace":"ops","annotations":{"experimental.windows.kubernetes.io/isolation-type":"hyperv"},"ownerReferences":[{"kind":"DaemonSet","name":"agent"}]},
           "spec":{"nodeName":"win-1","containers":[{"name":"c","image":"x"}]}},
          {"metadata":{"name":"w-2","namespace":"ops","annotations":{"experimental.windows.kubernetes.io/isolation-type":"hyperv"},"ownerReferences":[{"kind":"DaemonSet","name":"agent"}]},
           "spec":{"nodeName":"win-2","containers":[{"name":"c","image":"x"}]}}]}"#;
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.17763.6054", "v1.30.1", Some("10.0.17763")),
            ),
            ("cluster/pods.json", pods),
        ]);
        let warns: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Warn).collect();
        assert_eq!(warns.len(), 2);
        let ds = warns
            .iter()
            .find(|x| x.subject.kind == "DaemonSet")
            .expect("daemonset finding");
        assert!(ds.message.contains("(2 pods)"));
        assert!(ds.fix.as_ref().expect("fix").commands[0].contains("patch daemonset/agent"));
        let bare = warns
            .iter()
            .find(|x| x.subject.kind == "Pod")
            .expect("pod finding");
        assert_eq!(
            bare.fix.as_ref().expect("fix").commands[0],
            "kubectl -n ops annotate pod/dbg experimental.windows.kubernetes.io/isolation-type-"
        );
    }

    #[test]
    fn missing_pods_input_skips_only_the_annotation_part() {
        let f = run_on(&[(
            "cluster/nodes.json",
            &node("10.0.17763.6054", "v1.30.1", Some("10.0.17763")),
        )]);
        assert!(f.iter().any(|x| x.status == Status::Pass));
        assert!(f
            .iter()
            .any(|x| x.status == Status::Skip && x.subject.name == "pods"));
    }
}
