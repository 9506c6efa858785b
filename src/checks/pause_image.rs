//! Check `pause-image`: the sandbox (pause) image suits each Windows node's build (seed 001 FAQ
//! "내 파드가 "Container Creating"에서 멈췄거나 계속해서 다시 시작된다." and "`pause` 컨테이너란
//! 무엇인가?", 000 § 퍼즈(pause) 컨테이너). The cluster part reads the pause images each Windows node
//! holds (`.status.images`, kept by the slim parser when the name contains "pause"): one whose tag
//! names another Windows release than the node's build fails; the locally built `kubeletwin/pause`,
//! the legacy 1.x images and multi-arch tags older than 3.6 warn. It also reads Warning events of pods
//! on Windows nodes: sandbox failures with an OS mismatch or a failed pause pull fail, with the event
//! as evidence. The node part (sandbox image settings on the node) is a separate function.

use super::Eval;
use crate::facts::k8s::{Event, Node};
use crate::facts::versions::{Runtime, Version};
use crate::facts::windows::{image_release, Release};
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::NodeView;
use std::collections::{BTreeMap, BTreeSet};

/// The pause version the current documentation recommends (`checks/data/thresholds.toml`).
fn recommended() -> Version {
    crate::facts::versions::threshold(&crate::catalogue::data::thresholds().pause_recommended)
}

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

fn cluster_part(ev: &mut Eval) {
    let Some((nodes, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    for node in &windows {
        check_node_images(ev, node);
    }
    check_sandbox_events(ev, nodes);
}

/// What a pause image on a node says about the node's sandboxes.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// The tag names a Windows release other than the node's build.
    WrongBuild(&'static Release),
    /// `kubeletwin/pause`, built on the node by the old start.ps1 scripts.
    LocalBuild,
    /// `mcr.microsoft.com/k8s/core/pause:1.2.0`, `mcr.microsoft.com/oss/kubernetes/pause:1.4.1`.
    Legacy,
    /// A documented multi-arch repository, tag older than 3.6.
    Outdated(Version),
    /// A documented multi-arch repository at 3.6 or later.
    Recommended,
    /// The tag names the node's own release.
    SameBuild,
    /// Any other image: its tag names no Windows release, so nothing can be said.
    Unknown,
}

fn classify(ev: &Eval, image: &str, build: Option<u32>) -> Verdict {
    let release = image_release(image);
    if let (Some(r), Some(b)) = (release, build) {
        if r.build != b {
            return Verdict::WrongBuild(r);
        }
    }
    if ev.pattern("pause_local_build").is_match(image) {
        return Verdict::LocalBuild;
    }
    if ev.pattern("pause_legacy").is_match(image) {
        return Verdict::Legacy;
    }
    if let Some(version) = ev
        .pattern("pause_multiarch")
        .captures(image)
        .and_then(|c| c.name("version"))
        .and_then(|v| crate::facts::versions::parse(v.as_str()))
    {
        return if version < recommended() {
            Verdict::Outdated(version)
        } else {
            Verdict::Recommended
        };
    }
    if release.is_some() {
        Verdict::SameBuild
    } else {
        Verdict::Unknown
    }
}

fn is_docker(node: &Node) -> bool {
    Runtime::parse(&node.status.node_info.container_runtime_version).name == "docker"
}

fn check_node_images(ev: &mut Eval, node: &Node) {
    let name = node.name();
    let build = node.windows_build();
    let build_text = build.map_or_else(|| "unknown".to_string(), |b| b.to_string());
    let images: BTreeSet<&str> = node.status.images.iter().map(String::as_str).collect();
    ev.part("wrong-build");
    if images.is_empty() {
        ev.emit(
            Status::Skip,
            Subject::node(name),
            format!("{name} lists no pause image in .status.images (kubelet reports at most 50 images, largest first); its sandbox image is checked on the node itself"),
        );
        return;
    }
    let kernel_evidence = Evidence::api(
        format!("Node/{name} .status.nodeInfo.kernelVersion"),
        node.status.node_info.kernel_version.clone(),
    );
    let mut fine = Vec::new();
    for image in images {
        let image_evidence = Evidence::api(format!("Node/{name} .status.images[].names"), image);
        let recommended = "mcr.microsoft.com/oss/kubernetes/pause:3.6 or registry.k8s.io/pause:3.6";
        let (status, message, fix) = match classify(ev, image, build) {
            Verdict::WrongBuild(release) => {
                let template = if is_docker(node) {
                    "sandbox_docker"
                } else {
                    "sandbox_containerd"
                };
                (
                    Status::Fail,
                    format!("{name} runs Windows build {build_text} but holds pause image {image}, built for {} (build {}); a pod sandbox from it cannot start on this host", release.product, release.build),
                    ev.fix(template, &[("node", name), ("build", &build_text)]),
                )
            }
            Verdict::LocalBuild => (
                Status::Warn,
                format!("{name} holds {image}, the pause image the old start.ps1 scripts build on the node from its own base image: it must be rebuilt whenever the node's build changes and may lack wincat (kubectl port-forward); the documentation now recommends {recommended}"),
                ev.fix("legacy_pause", &[("node", name), ("image", image)]),
            ),
            Verdict::Legacy => (
                Status::Warn,
                format!("{name} holds the legacy Windows pause image {image} (documented for Kubernetes 1.14-1.20), which carries builds only for the Windows releases of its time; the documentation now recommends {recommended}"),
                ev.fix("legacy_pause", &[("node", name), ("image", image)]),
            ),
            Verdict::Outdated(version) => (
                Status::Warn,
                format!("{name} holds {image}: pause {version} is older than 3.6, the version the documentation recommends for Windows nodes, and may carry no image for newer Windows builds"),
                ev.fix("legacy_pause", &[("node", name), ("image", image)]),
            ),
            Verdict::Recommended => {
                fine.push(format!("{image} (multi-arch, recommended)"));
                continue;
            }
            Verdict::SameBuild => {
                fine.push(format!("{image} (built for this build)"));
                continue;
            }
            Verdict::Unknown => {
                fine.push(format!("{image} (its tag names no Windows release)"));
                continue;
            }
        };
        ev.part(if status == Status::Fail {
            "wrong-build"
        } else {
            "outdated-pause"
        });
        ev.emit(status, Subject::node(name), message)
            .evidence(image_evidence)
            .evidence(kernel_evidence.clone())
            .with_fix(fix);
    }
    if !fine.is_empty() {
        ev.part("wrong-build");
        let (noun, verb) = if fine.len() == 1 {
            ("pause image", "suits")
        } else {
            ("pause images", "suit")
        };
        ev.emit(
            Status::Pass,
            Subject::node(name),
            format!(
                "{name} (build {build_text}): {noun} {} {verb} this build",
                fine.join(", ")
            ),
        )
        .evidence(kernel_evidence);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SandboxFailure {
    OsMismatch,
    PullFailed,
}

fn check_sandbox_events(ev: &mut Eval, nodes: &[Node]) {
    let Some(events) = ev.events() else { return };
    let pods = ev.pods().map(Vec::as_slice).unwrap_or_default();
    let _ = (pods, nodes);
    let index = ev.model().pod_index();
    let node_index = ev.model().node_index();
    let mut groups: BTreeMap<(String, SandboxFailure), Vec<&Event>> = BTreeMap::new();
    let mut windows_warnings = 0;
    for event in events.iter().filter(|e| e.is_warning()) {
        let Some(node) = index
            .event_node(event, &node_index)
            .filter(|n| n.is_windows())
        else {
            continue;
        };
        windows_warnings += 1;
        if !ev.pattern("sandbox_reason").is_match(&event.reason) {
            continue;
        }
        let failure = if ev.pattern("os_mismatch").is_match(&event.message) {
            SandboxFailure::OsMismatch
        } else if ev.pattern("sandbox_pull").is_match(&event.message) {
            SandboxFailure::PullFailed
        } else {
            continue;
        };
        groups
            .entry((node.name().to_string(), failure))
            .or_default()
            .push(event);
    }
    if groups.is_empty() {
        ev.part("sandbox-os-mismatch");
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!("no sandbox failures (FailedCreatePodSandBox with an OS mismatch or a failed pause image pull) among {windows_warnings} Warning events from Windows nodes"),
        );
        return;
    }
    for ((node_name, failure), group) in groups {
        let Some(node) = nodes.iter().find(|n| n.name() == node_name) else {
            continue;
        };
        let build_text = node
            .windows_build()
            .map_or_else(|| "unknown".to_string(), |b| b.to_string());
        let pods: BTreeSet<String> = group
            .iter()
            .filter_map(|e| e.pod_key().map(|(ns, n)| format!("{ns}/{n}")))
            .collect();
        let occurrences: i64 = group.iter().map(|e| e.count.unwrap_or(1).max(1)).sum();
        let sample = pods.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let pod_count = match pods.len() {
            1 => "1 pod".to_string(),
            n => format!("{n} pods"),
        };
        let (message, fix) = match failure {
            SandboxFailure::OsMismatch => {
                let template = if is_docker(node) {
                    "sandbox_docker"
                } else {
                    "sandbox_containerd"
                };
                (
                    format!("pods on {node_name} cannot get a sandbox: the pause image does not match the host's Windows build {build_text} ({pod_count}: {sample}; {occurrences} sandbox failures)"),
                    ev.fix(template, &[("node", &node_name), ("build", &build_text)]),
                )
            }
            SandboxFailure::PullFailed => {
                let image = group
                    .iter()
                    .find_map(|e| {
                        ev.pattern("pause_reference")
                            .captures(&e.message)
                            .and_then(|c| c.get(1))
                            .map(|m| m.as_str().to_string())
                    })
                    .or_else(|| node.status.images.first().cloned())
                    .unwrap_or_else(|| "mcr.microsoft.com/oss/kubernetes/pause:3.6".to_string());
                (
                    format!("pods on {node_name} cannot get a sandbox: the sandbox image could not be pulled ({image}; {pod_count}: {sample}; {occurrences} sandbox failures)"),
                    ev.fix("sandbox_pull", &[("node", &node_name), ("image", &image)]),
                )
            }
        };
        ev.part(match failure {
            SandboxFailure::OsMismatch => "sandbox-os-mismatch",
            SandboxFailure::PullFailed => "sandbox-image-pull-failed",
        });
        let finding = ev.emit(Status::Fail, Subject::node(&node_name), message);
        for event in group.iter().take(3) {
            finding.evidence(Evidence::event(event.reference(), event.excerpt()));
        }
        finding.with_fix(fix);
    }
}

/// Node part: the sandbox image the node is configured with (kubelet `--pod-infra-container-image`,
/// containerd `sandbox_image` in any config layout) targets the node's own Windows build, and the
/// two settings agree.
fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    use crate::facts::windows::image_release;
    use crate::findings::Evidence;
    let Some(_files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    let (settings, broken) = view.sandbox_settings();
    let config_broken = broken.is_some();
    if let Some((path, why)) = broken {
        ev.part("containerd-config-broken");
        let fix = ev.fix(
            "node_fix_containerd_config",
            &[("node", &node), ("path", &path)],
        );
        ev.emit(
            Status::Fail,
            Subject::file(path.clone()),
            format!("containerd's {path} on {node} cannot be read by containerd: {why}"),
        )
        .evidence(Evidence::file(path, why))
        .with_fix(fix);
    }
    if settings.is_empty() && !config_broken && view.from_api() {
        ev.part("sandbox-image-unset");
        ev.emit(
            Status::Skip,
            Subject::node(node.clone()),
            format!("the sandbox image {node} uses is not visible through the API: containerd's config.toml is not served, and no kubelet log the kubelet serves shows --pod-infra-container-image"),
        );
        return;
    }
    if settings.is_empty() && !config_broken {
        ev.part("sandbox-image-unset");
        ev.emit(
            Status::Info,
            Subject::node(node.clone()),
            format!("{node} sets no sandbox image (no kubelet --pod-infra-container-image, no containerd sandbox_image): containerd's built-in default is used"),
        );
        return;
    }
    if settings.is_empty() {
        return;
    }
    let build = view.build();
    let mut problems = 0;
    for s in &settings {
        if let (Some(release), Some((b, build_ev))) = (image_release(&s.image), &build) {
            if release.build != *b {
                problems += 1;
                ev.part("wrong-build");
                let target = crate::facts::windows::release_by_build(*b)
                    .and_then(|r| r.tags.first())
                    .map(|t| format!("mcr.microsoft.com/oss/kubernetes/pause:3.6 (multi-arch) or a {t} build"))
                    .unwrap_or_else(|| "mcr.microsoft.com/oss/kubernetes/pause:3.6 (multi-arch)".to_string());
                let apply = view.sandbox_apply(s, "mcr.microsoft.com/oss/kubernetes/pause:3.6");
                let fix = ev.fix(
                    "node_set_sandbox_image",
                    &[
                        ("node", &node),
                        ("setting", &s.setting),
                        ("image", &target),
                        ("apply", &apply),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "{} on {node} is {}, built for {} (build {}), but the node runs build {b}: every pod sandbox fails with an OS mismatch and pods stay in ContainerCreating",
                        s.setting, s.image, release.product, release.build
                    ),
                )
                .evidence(s.evidence.clone())
                .evidence(build_ev.clone())
                .with_fix(fix);
            }
        }
    }
    if let [a, b] = settings.as_slice() {
        if !crate::model::node::same_image(&a.image, &b.image) {
            problems += 1;
            ev.part("sandbox-settings-disagree");
            let apply =
                view.kubelet_flag_command(&format!("--pod-infra-container-image={}", b.image));
            let fix = ev.fix(
                "node_align_sandbox_image",
                &[
                    ("node", &node),
                    ("image", &b.image),
                    ("kubelet_image", &a.image),
                    ("apply", &apply),
                ],
            );
            ev.emit(
                Status::Warn,
                Subject::node(node.clone()),
                format!(
                    "the sandbox image settings on {node} disagree: {} is {} but {} is {}; containerd creates sandboxes from its own setting, and the kubelet only keeps its image from garbage collection",
                    a.setting, a.image, b.setting, b.image
                ),
            )
            .evidence(a.evidence.clone())
            .evidence(b.evidence.clone())
            .with_fix(fix);
        }
    }
    if problems == 0 {
        ev.part("wrong-build");
        let list: Vec<String> = settings
            .iter()
            .map(|s| format!("{} = {}", s.setting, s.image))
            .collect();
        let build_text = build
            .as_ref()
            .map(|(b, _)| format!(" (node build {b})"))
            .unwrap_or_default();
        let f = ev.emit(
            Status::Pass,
            Subject::node(node.clone()),
            format!("sandbox image on {node}: {}{build_text}; the settings agree and name no other Windows build", list.join(", ")),
        );
        for s in settings {
            f.evidence(s.evidence);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::findings::{Finding, Status};

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_cluster_part_on_files("pause-image", files)
    }

    fn node(kernel: &str, runtime: &str, images: &[&str]) -> String {
        let images: Vec<String> = images
            .iter()
            .map(|i| format!(r#"{{"names":["{i}"],"sizeBytes":1}}"#))
            .collect();
        format!(
            r#"{{"items":[{{"metadata":{{"name":"win-1","labels":{{"kubernetes.io/os":"windows"}}}},
              "status":{{"nodeInfo":{{"kernelVersion":"{kernel}","containerRuntimeVersion":"{runtime}","operatingSystem":"windows"}},
              "images":[{}]}}}},
              {{"metadata":{{"name":"linux-1","labels":{{"kubernetes.io/os":"linux"}}}},"status":{{"nodeInfo":{{"operatingSystem":"linux"}}}}}}]}}"#,
            images.join(",")
        )
    }

    const EMPTY: &str = r#"{"items":[]}"#;

    fn statuses(f: &[Finding]) -> Vec<Status> {
        f.iter().map(|x| x.status).collect()
    }

    #[test]
    fn old_multiarch_tag_warns_and_recommended_tag_passes() {
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node(
                    "10.0.17763.1",
                    "containerd://1.7.0",
                    &["registry.k8s.io/pause:3.5", "registry.k8s.io/pause:3.9"],
                ),
            ),
            ("cluster/events.json", EMPTY),
            ("cluster/pods.json", EMPTY),
        ]);
        assert_eq!(
            statuses(&f),
            vec![Status::Warn, Status::Pass, Status::Pass],
            "{f:?}"
        );
        assert!(f[0].message.contains("pause 3.5.0 is older than 3.6"));
        assert!(f[1].message.contains("registry.k8s.io/pause:3.9"));
    }

    #[test]
    fn legacy_1_2_0_warns_and_the_fix_names_the_image() {
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node(
                    "10.0.17763.1",
                    "docker://18.9.7",
                    &["mcr.microsoft.com/k8s/core/pause:1.2.0"],
                ),
            ),
            ("cluster/events.json", EMPTY),
            ("cluster/pods.json", EMPTY),
        ]);
        assert_eq!(f[0].status, Status::Warn);
        let fix = f[0].fix.as_ref().expect("fix");
        assert!(fix
            .commands
            .iter()
            .any(|c| c == "crictl rmi mcr.microsoft.com/k8s/core/pause:1.2.0"));
    }

    #[test]
    fn release_tag_matching_the_node_passes_and_mismatch_on_docker_gets_the_kubelet_fix() {
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node(
                    "10.0.20348.1",
                    "containerd://1.7.0",
                    &["myregistry.example.com/pause:3.9-ltsc2022"],
                ),
            ),
            ("cluster/events.json", EMPTY),
            ("cluster/pods.json", EMPTY),
        ]);
        assert_eq!(f[0].status, Status::Pass, "{f:?}");
        assert!(f[0].message.contains("built for this build"));
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node(
                    "10.0.17763.1",
                    "docker://20.10.9",
                    &["myregistry.example.com/pause:3.9-ltsc2022"],
                ),
            ),
            ("cluster/events.json", EMPTY),
            ("cluster/pods.json", EMPTY),
        ]);
        assert_eq!(f[0].status, Status::Fail);
        assert!(f[0]
            .fix
            .as_ref()
            .expect("fix")
            .text
            .contains("--pod-infra-container-image"));
    }

    #[test]
    fn no_pause_image_listed_is_a_skip_not_a_pass() {
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.17763.1", "containerd://1.7.0", &[]),
            ),
            ("cluster/events.json", EMPTY),
            ("cluster/pods.json", EMPTY),
        ]);
        assert_eq!(f[0].status, Status::Skip);
        assert_eq!(f[0].subject.name, "win-1");
    }

    #[test]
    fn events_on_linux_nodes_and_other_reasons_are_ignored() {
        let events = r#"{"items":[
          {"involvedObject":{"kind":"Pod","namespace":"a","name":"p"},"reason":"FailedCreatePodSandBox","type":"Warning",
           "source":{"host":"linux-1"},"message":"failed to get sandbox image \"registry.k8s.io/pause:3.9\": failed to pull image"},
          {"involvedObject":{"kind":"Pod","namespace":"a","name":"q"},"reason":"Failed","type":"Warning",
           "source":{"host":"win-1"},"message":"no matching manifest for windows/amd64 10.0.17763 in the manifest list entries"},
          {"involvedObject":{"kind":"Pod","namespace":"a","name":"r"},"reason":"FailedCreatePodSandBox","type":"Normal",
           "source":{"host":"win-1"},"message":"The container operating system does not match the host operating system."}]}"#;
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node(
                    "10.0.17763.1",
                    "containerd://1.7.0",
                    &["mcr.microsoft.com/oss/kubernetes/pause:3.6"],
                ),
            ),
            ("cluster/events.json", events),
            ("cluster/pods.json", EMPTY),
        ]);
        assert!(f.iter().all(|x| x.status == Status::Pass), "{f:?}");
        assert!(f[1].message.contains("among 1 Warning events"));
    }

    #[test]
    fn mismatch_events_are_grouped_per_node_with_counts() {
        let events = r#"{"items":[
          {"involvedObject":{"kind":"Pod","namespace":"a","name":"p1"},"reason":"FailedCreatePodSandBox","type":"Warning","count":5,
           "source":{"host":"win-1"},"message":"Failed to create pod sandbox: rpc error: code = Unknown desc = failed to start sandbox container for pod \"p1\": Error response from daemon: container 0238 encountered an error during CreateContainer: failure in a Windows system call: The operating system of the container does not match the operating system of the host. (0xc0370101)"},
          {"involvedObject":{"kind":"Pod","namespace":"a","name":"p2"},"reason":"FailedCreatePodSandBox","type":"Warning","count":2,
           "source":{"host":"WIN-1"},"message":"Failed to create pod sandbox: CreateComputeSystem x: The container operating system does not match the host operating system."}]}"#;
        let f = run_on(&[
            (
                "cluster/nodes.json",
                &node("10.0.20348.1", "docker://20.10.9", &[]),
            ),
            ("cluster/events.json", events),
        ]);
        let fails: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Fail).collect();
        assert_eq!(fails.len(), 1);
        assert!(fails[0]
            .message
            .contains("2 pods: a/p1, a/p2; 7 sandbox failures"));
        assert_eq!(fails[0].evidence.len(), 2);
        // Without pods.json the events are attributed by their source host; the missing input is named.
        assert!(f
            .iter()
            .any(|x| x.status == Status::Skip && x.subject.name == "pods"));
    }
}
