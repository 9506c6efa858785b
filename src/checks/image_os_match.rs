//! Check `image-os-match`: Windows container images must be built for the Windows build of the node
//! they run on when they run process-isolated (seed 001 § 윈도우 OS 버전 지원 note, 000 § 윈도우 운영
//! 체제 버전 호환성, 004 § 동일 클러스터에서 여러 윈도우 버전을 조작하는 방법). For pods on Windows
//! nodes it compares the release each image tag names (`facts::windows::image_release`) with the
//! node's build, and reads container states and Warning events for the runtime's mismatch, missing
//! manifest and Linux-image messages. Findings are grouped per workload and image. Tags that name no
//! Windows release are counted, not guessed at; only runtime messages say anything about them. The
//! steps are modules below `image_os_match/`: isolation, examining a pod, reporting.

mod examine;
mod isolation;
mod report;

use super::Eval;
use crate::facts::cluster::{nodes_by_exact_name, same_host};
use crate::facts::k8s::{Event, Node, Pod};
use crate::findings::{Evidence, Status, Subject};
use std::collections::{BTreeMap, BTreeSet};

const ISOLATION_ANNOTATION: &str = "experimental.windows.kubernetes.io/isolation-type";

/// How the runtime isolates a pod's containers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Isolation {
    Process,
    HyperV,
    /// The pod names a RuntimeClass that could not be read or does not exist.
    Unknown(String),
}

/// What is wrong with one image of one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Problem {
    /// No windows/amd64 variant for the node's build, and nothing tells a Linux image from a Windows
    /// one published for other builds.
    NoVariant,
    /// Built for another Windows build: `Some` when the tag says which.
    WrongBuild(Option<u32>),
    /// The runtime says it is a Linux image.
    LinuxImage,
}

/// One problem of one image in one pod, with its evidence.
struct Item<'a> {
    pod: &'a Pod,
    node: &'a Node,
    container: String,
    problem: Problem,
    status: Status,
    /// Why the status is only a warning, if it is.
    caveat: Option<String>,
    evidence: Vec<Evidence>,
}

pub fn run(ev: &mut Eval) {
    let Some((nodes, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    let Some(pods) = ev.pods() else { return };
    // Same answer as "exact name, else the first same_host" over the Windows nodes, by index.
    let exact = nodes_by_exact_name(&windows);
    let windows_hosts = ev.model().windows_hosts();
    // An other pod of the sieve runs on a Linux node: passed by without a lookup.
    let on_windows: Vec<(&Pod, &Node)> = ev
        .kept_pods()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let host = p.node_name()?;
            let node = match exact.get(host) {
                Some(n) => *n,
                None if windows_hosts.contains(host) => {
                    *windows.iter().find(|n| same_host(n.name(), host))?
                }
                None => return None,
            };
            Some((p, node))
        })
        .collect();
    if on_windows.is_empty() {
        ev.not_applicable(format!(
            "no pods run on the {} Windows nodes, so no image can be compared with a node build",
            windows.len()
        ));
        return;
    }
    let runtimeclasses = if on_windows
        .iter()
        .any(|(p, _)| p.spec.runtime_class_name.is_some())
    {
        ev.runtimeclasses()
    } else {
        None
    };
    let events = ev.events();
    let index = ev.model().pod_index();
    // By the namespace and name the pod itself holds: no copies.
    let mut events_by_pod: foldhash::HashMap<(&str, &str), Vec<&Event>> = Default::default();
    for event in events.into_iter().flatten() {
        if !event.is_warning() || ev.pattern("sandbox_reason").is_match(&event.reason) {
            continue;
        }
        if let Some(pod) = index.of_event(event) {
            events_by_pod
                .entry((pod.namespace(), pod.name()))
                .or_default()
                .push(event);
        }
    }

    // Images seen running on Linux nodes: a pull failure of the same image on Windows then means a
    // Linux-only image, not a Windows one missing a build.
    let mut on_linux: BTreeMap<&str, Evidence> = BTreeMap::new();
    // Each node's OS is read once, not once per pod.
    let linux_by_name: foldhash::HashMap<&str, Option<&Node>> = nodes
        .iter()
        .rev()
        .map(|n| (n.name(), (!n.is_windows()).then_some(n)))
        .collect();
    for pod in pods {
        // Most other pods of the sieve keep no container state: nothing to look up.
        if pod.status.container_statuses.is_empty() {
            continue;
        }
        let Some(node) = pod
            .node_name()
            .and_then(|n| linux_by_name.get(n).copied().flatten())
        else {
            continue;
        };
        for status in &pod.status.container_statuses {
            if status.state.running.is_none() {
                continue;
            }
            if let Some(c) = pod.spec.containers.iter().find(|c| c.name == status.name) {
                on_linux.entry(c.image.as_str()).or_insert_with(|| {
                    Evidence::api(
                        format!("Pod/{} .status.containerStatuses[{}]", pod.key(), c.name),
                        format!("running on Linux node {}", node.name()),
                    )
                });
            }
        }
    }

    let mut items = Vec::new();
    let mut judged = 0;
    let mut unjudged = BTreeSet::new();
    for (pod, node) in &on_windows {
        let isolation = isolation::isolation_of(ev, pod, node, runtimeclasses.map(Vec::as_slice));
        let pod_events = events_by_pod
            .get(&(pod.namespace(), pod.name()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let found = examine::examine_pod(ev, pod, node, &isolation, pod_events, &on_linux);
        judged += found.judged;
        unjudged.extend(found.unjudged);
        items.extend(found.items);
    }

    if items.is_empty() {
        let events_note = match events {
            Some(_) => {
                "; no OS-mismatch or missing-manifest messages in their container states or events"
            }
            None => "; their container states show no OS-mismatch or missing-manifest message",
        };
        let unjudged_note = if unjudged.is_empty() {
            String::new()
        } else {
            format!(
                "; {} image(s) name no Windows release in their tag and were not compared",
                unjudged.len()
            )
        };
        ev.part("wrong-build");
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "{} Windows pods checked, images match their node builds ({judged} images with a Windows release tag){unjudged_note}{events_note}",
                on_windows.len()
            ),
        );
        return;
    }
    report::report(ev, items);
}

#[cfg(test)]
mod tests {
    use super::report::retag;
    use super::*;
    use crate::facts::windows::release_by_build;
    use crate::findings::Finding;

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_on_files("image-os-match", files)
    }

    const NODES: &str = r#"{"items":[
      {"metadata":{"name":"win-2019","labels":{"kubernetes.io/os":"windows"}},
       "status":{"nodeInfo":{"kernelVersion":"10.0.17763.6054","kubeletVersion":"v1.30.1","containerRuntimeVersion":"containerd://1.7.20","operatingSystem":"windows"}}},
      {"metadata":{"name":"win-2022","labels":{"kubernetes.io/os":"windows"}},
       "status":{"nodeInfo":{"kernelVersion":"10.0.20348.2582","kubeletVersion":"v1.30.1","containerRuntimeVersion":"containerd://1.7.20","operatingSystem":"windows"}}}]}"#;

    fn pod(name: &str, node: &str, image: &str, extra_spec: &str, status: &str) -> String {
        format!(
            r#"{{"metadata":{{"name":"{name}","namespace":"app"}},
               "spec":{{"nodeName":"{node}"{extra_spec},"containers":[{{"name":"c","image":"{image}"}}]}},
               "status":{status}}}"#
        )
    }

    const PENDING: &str = r#"{"phase":"Pending","containerStatuses":[{"name":"c","ready":false,"state":{"waiting":{"reason":"ContainerCreating"}}}]}"#;
    const RUNNING: &str = r#"{"phase":"Running","containerStatuses":[{"name":"c","ready":true,"state":{"running":{}}}]}"#;

    #[test]
    fn retag_keeps_the_rest_of_the_tag_and_the_tag_style() {
        let r2019 = release_by_build(17763).expect("2019");
        let r2022 = release_by_build(20348).expect("2022");
        assert_eq!(
            retag(
                "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019",
                r2019,
                r2022
            )
            .as_deref(),
            Some("mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022")
        );
        let r1909 = release_by_build(18363).expect("1909");
        assert_eq!(
            retag("registry.local:5000/app:v2_1909", r1909, r2019).as_deref(),
            Some("registry.local:5000/app:v2_1809")
        );
        let r20h2 = release_by_build(19042).expect("20H2");
        assert_eq!(
            retag("contoso/web:20H2-v3_b7", r20h2, r2022).as_deref(),
            Some("contoso/web:ltsc2022-v3_b7")
        );
        assert_eq!(
            retag(
                "mcr.microsoft.com/windows/servercore:10.0.17763.1",
                r2019,
                r2022
            ),
            None
        );
    }

    #[test]
    fn hyperv_runtimeclass_tolerates_older_images_but_not_newer_ones() {
        let rcs = r#"{"items":[{"metadata":{"name":"hv"},"handler":"runhcs-wcow-hypervisor"}]}"#;
        let older = pod(
            "old",
            "win-2022",
            "mcr.microsoft.com/windows/nanoserver:ltsc2019",
            r#","runtimeClassName":"hv""#,
            PENDING,
        );
        let newer = pod(
            "new",
            "win-2019",
            "mcr.microsoft.com/windows/nanoserver:ltsc2022",
            r#","runtimeClassName":"hv""#,
            PENDING,
        );
        let pods = format!(r#"{{"items":[{older},{newer}]}}"#);
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", &pods),
            ("cluster/runtimeclasses.json", rcs),
        ]);
        let fails: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Fail).collect();
        assert_eq!(fails.len(), 1, "{f:?}");
        assert_eq!(fails[0].subject.name, "new");
        // The missing events input is reported, not mistaken for "no events".
        assert!(f
            .iter()
            .any(|x| x.status == Status::Skip && x.subject.name == "events"));
    }

    #[test]
    fn unreadable_runtimeclass_or_running_container_downgrades_to_warn() {
        let a = pod(
            "a",
            "win-2022",
            "mcr.microsoft.com/windows/nanoserver:ltsc2019",
            r#","runtimeClassName":"windows-2019""#,
            PENDING,
        );
        let b = pod("b", "win-2022", "contoso/app:1.0-1809", "", RUNNING);
        let pods = format!(r#"{{"items":[{a},{b}]}}"#);
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", &pods),
            ("cluster/events.json", r#"{"items":[]}"#),
        ]);
        let warns: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Warn).collect();
        assert_eq!(warns.len(), 2, "{f:?}");
        assert!(warns.iter().any(|w| w
            .message
            .contains("RuntimeClass windows-2019 could not be read")));
        assert!(warns
            .iter()
            .any(|w| w.message.contains("yet the container is running")));
        assert!(!f.iter().any(|x| x.status == Status::Fail));
    }

    #[test]
    fn mismatch_event_on_an_untagged_image_fails_with_the_rebuild_fix() {
        let p = r#"{"items":[{"metadata":{"name":"web-5f7b8c9d6-zzzzz","namespace":"app","labels":{"pod-template-hash":"5f7b8c9d6"},
            "ownerReferences":[{"kind":"ReplicaSet","name":"web-5f7b8c9d6"}]},
            "spec":{"nodeName":"win-2022","containers":[{"name":"web","image":"registry.example.com/web:2024.11"}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"web","ready":false,"restartCount":4,
              "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}]}"#;
        let events = r#"{"items":[{"involvedObject":{"kind":"Pod","namespace":"app","name":"web-5f7b8c9d6-zzzzz"},
            "reason":"Failed","type":"Warning","source":{"host":"win-2022"},
            "message":"Error: failed to create containerd task: failed to create shim task: hcs::CreateComputeSystem web: The container operating system does not match the host operating system.: unknown"}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", p),
            ("cluster/events.json", events),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].subject.kind, "Deployment");
        assert!(f[0]
            .message
            .contains("does not match the Windows build 20348"));
        let fix = f[0].fix.as_ref().expect("fix");
        assert!(fix.text.contains("servercore:ltsc2022"), "{}", fix.text);
    }

    #[test]
    fn retag_fix_names_the_real_container_and_suggested_tag() {
        let p = r#"{"items":[{"metadata":{"name":"api-0","namespace":"shop","ownerReferences":[{"kind":"StatefulSet","name":"api"}]},
            "spec":{"nodeName":"win-2019","containers":[{"name":"api","image":"mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"}]},
            "status":{"phase":"Pending"}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", p),
            ("cluster/events.json", r#"{"items":[]}"#),
        ]);
        assert_eq!(f[0].status, Status::Fail);
        let fix = f[0].fix.as_ref().expect("fix");
        assert_eq!(
            fix.commands[0],
            "kubectl -n shop set image statefulset/api api=mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019"
        );
        assert!(fix.commands[1].contains("node.kubernetes.io/windows-build: '10.0.20348'"));
    }

    #[test]
    fn host_process_containers_are_not_bound_by_the_build_rule() {
        let p = r#"{"items":[{"metadata":{"name":"csi-proxy-x","namespace":"kube-system"},
            "spec":{"nodeName":"win-2022","hostNetwork":true,"securityContext":{"windowsOptions":{"hostProcess":true}},
              "containers":[{"name":"csi-proxy","image":"ghcr.io/kubernetes-csi/csi-proxy:v1.1.3-ltsc2019"}]},
            "status":{"phase":"Running"}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", p),
            ("cluster/events.json", r#"{"items":[]}"#),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Pass, "{f:?}");
    }

    #[test]
    fn missing_manifest_for_an_image_that_runs_on_linux_means_a_linux_image() {
        let nodes = r#"{"items":[
          {"metadata":{"name":"win-2019","labels":{"kubernetes.io/os":"windows"}},"status":{"nodeInfo":{"kernelVersion":"10.0.17763.6054"}}},
          {"metadata":{"name":"lin-1","labels":{"kubernetes.io/os":"linux"}}}]}"#;
        let waiting = r#"{"phase":"Pending","containerStatuses":[{"name":"c","ready":false,"state":{"waiting":{"reason":"ErrImagePull",
            "message":"failed to pull and unpack image \"quay.io/prometheus/node-exporter:v1.8.2\": no match for platform in manifest: not found"}}}]}"#;
        let pods = format!(
            r#"{{"items":[{},{}]}}"#,
            pod(
                "on-win",
                "win-2019",
                "quay.io/prometheus/node-exporter:v1.8.2",
                "",
                waiting
            ),
            pod(
                "on-linux",
                "lin-1",
                "quay.io/prometheus/node-exporter:v1.8.2",
                "",
                RUNNING
            )
        );
        let f = run_on(&[
            ("cluster/nodes.json", nodes),
            ("cluster/pods.json", &pods),
            ("cluster/events.json", r#"{"items":[]}"#),
        ]);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("is a Linux image"), "{f:?}");
        assert!(f[0]
            .evidence
            .iter()
            .any(|e| e.excerpt == "running on Linux node lin-1"));
    }

    #[test]
    fn untagged_images_are_counted_not_judged() {
        let p = format!(
            r#"{{"items":[{}]}}"#,
            pod("x", "win-2019", "contoso/agent:5", "", RUNNING)
        );
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", &p),
            ("cluster/events.json", r#"{"items":[]}"#),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Pass);
        assert!(f[0].message.contains("1 image(s) name no Windows release"));
    }
}
