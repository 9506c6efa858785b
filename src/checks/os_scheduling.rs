//! Check `os-scheduling`: pods are steered to nodes of their OS (seed 004 § 테인트(Taint)와
//! 톨러레이션(Toleration), § 특정 OS 워크로드를 적절한 컨테이너 호스트에서 처리하도록 보장하기, § RuntimeClass로
//! 단순화). Four parts: Windows pods without OS node selection in a mixed cluster (warn; fail when one
//! sits on a Linux node); Linux pods on Windows nodes, above all DaemonSets with no OS restriction whose
//! pods there do not run (fail, with the DaemonSet's template and the pod's state as evidence); Windows
//! pods left Pending by a Windows node taint they do not tolerate (fail); RuntimeClasses whose node
//! selector matches no node (warn, fail when a pod using one is Pending). Each part is a module
//! below `os_scheduling/`; this file holds what they share.

mod daemonsets;
mod placement;
mod runtimeclass;
mod taints;

use super::Eval;
use crate::facts::cluster::{OsTarget, Workload, BUILD_LABEL, OS_LABEL};
use crate::facts::k8s::{Event, Labels, Node, Pod, PodSpec, RuntimeClass};
use crate::findings::{Evidence, Subject};
use std::collections::BTreeMap;

/// Findings-to-be grouped by `(namespace, workload)`.
type ByWorkload<T> = BTreeMap<(String, Workload), Vec<T>>;

/// Everything the parts share.
struct Ctx<'a> {
    nodes: &'a [Node],
    /// Node lookup by name (exact, else FQDN/short) without scanning every node per pod.
    index: crate::model::index::NodeIndex<'a>,
    windows: Vec<&'a Node>,
    /// `windows` by address, so that a pod's node is judged without reading its labels again.
    windows_set: foldhash::HashSet<*const Node>,
    linux: Vec<&'a Node>,
    runtimeclasses: Option<&'a [RuntimeClass]>,
    /// Warning events per pod `(namespace, name)`.
    /// Warning events by the namespace and name of the pod they are about.
    events: foldhash::HashMap<(&'a str, &'a str), Vec<&'a Event>>,
    events_read: bool,
}

impl<'a> Ctx<'a> {
    fn node(&self, name: &str) -> Option<&'a Node> {
        self.index.named(name)
    }

    /// Whether `node` (one of `nodes`) runs Windows: `Node::is_windows`, read once per node.
    fn is_windows(&self, node: &Node) -> bool {
        self.windows_set.contains(&std::ptr::from_ref(node))
    }

    fn runtimeclass(&self, name: &str) -> Option<&'a RuntimeClass> {
        self.runtimeclasses?
            .iter()
            .find(|rc| rc.metadata.name == name)
    }

    fn pod_events(&self, pod: &'a Pod) -> &[&'a Event] {
        self.events
            .get(&(pod.namespace(), pod.name()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The spec restricts the pod to Windows nodes: OS selector, a windows-build selector, or a
    /// RuntimeClass whose node selector does. A RuntimeClass that cannot be read gets the benefit of
    /// the doubt (its input is reported as not read).
    fn selects_windows(&self, spec: &PodSpec) -> bool {
        if spec.os_selector() == OsTarget::Windows || spec.node_selector.contains_key(BUILD_LABEL) {
            return true;
        }
        match &spec.runtime_class_name {
            None => false,
            Some(name) => match self.runtimeclasses {
                None => true,
                Some(_) => self.runtimeclass(name).is_some_and(|rc| {
                    rc.scheduling.as_ref().is_some_and(|s| {
                        s.node_selector
                            .get(OS_LABEL)
                            .is_some_and(|v| v.eq_ignore_ascii_case("windows"))
                            || s.node_selector.contains_key(BUILD_LABEL)
                    })
                }),
            },
        }
    }
}

pub fn run(ev: &mut Eval) {
    let Some((nodes, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    let linux: Vec<&Node> = nodes.iter().filter(|n| !n.is_windows()).collect();
    let pods = ev.pods();
    let runtimeclasses = ev.runtimeclasses().map(Vec::as_slice);
    let events = if pods.is_some() { ev.events() } else { None };
    let mut by_pod: foldhash::HashMap<(&str, &str), Vec<&Event>> = Default::default();
    if let (Some(_), Some(events)) = (pods, events) {
        let index = ev.model().pod_index();
        for event in events.iter().filter(|e| e.is_warning()) {
            if let Some(pod) = index.of_event(event) {
                by_pod
                    .entry((pod.namespace(), pod.name()))
                    .or_default()
                    .push(event);
            }
        }
    }
    let ctx = Ctx {
        nodes,
        index: ev.model().node_index(),
        windows_set: windows.iter().map(|n| std::ptr::from_ref(*n)).collect(),
        windows,
        linux,
        runtimeclasses,
        events: by_pod,
        events_read: events.is_some(),
    };
    // Every part reads only the pods the sieve kept whole: an other pod runs on a Linux node, and
    // targets, tolerates and names nothing Windows.
    let kept: Option<Vec<&Pod>> = ev.kept_pods().map(Iterator::collect);
    if let Some(kept) = &kept {
        placement::windows_pods_without_selection(ev, &ctx, kept);
        daemonsets::linux_pods_on_windows(ev, &ctx, kept);
        taints::untolerated_taints(ev, &ctx, kept);
    }
    if let Some(rcs) = runtimeclasses {
        runtimeclass::runtimeclass_selectors(ev, &ctx, rcs, kept.as_deref());
    }
}

fn workload_subject(namespace: &str, workload: &Workload) -> Subject {
    Subject::namespaced(workload.kind_title(), namespace, &workload.name)
}

fn count_pods(n: usize) -> String {
    if n == 1 {
        "1 pod".to_string()
    } else {
        format!("{n} pods")
    }
}

fn image_evidence(pod: &Pod) -> Evidence {
    Evidence::api(
        format!("Pod/{} .spec.containers[*].image", pod.key()),
        pod.spec
            .containers
            .iter()
            .map(|c| c.image.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn selector_text(labels: &Labels) -> String {
    if labels.is_empty() {
        "(none)".to_string()
    } else {
        labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::taints::{tolerates, tolerations_json};
    use crate::facts::k8s::{Taint, Toleration};
    use crate::findings::{Finding, Status};

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_on_files("os-scheduling", files)
    }

    fn toleration(
        key: Option<&str>,
        op: &str,
        value: Option<&str>,
        effect: Option<&str>,
    ) -> Toleration {
        Toleration {
            key: key.map(str::to_string),
            operator: Some(op.to_string()),
            value: value.map(str::to_string),
            effect: effect.map(str::to_string),
        }
    }

    #[test]
    fn toleration_matching_follows_the_scheduler_rules() {
        let taint = Taint {
            key: "os".into(),
            value: Some("windows".into()),
            effect: "NoSchedule".into(),
        };
        assert!(tolerates(
            &toleration(Some("os"), "Equal", Some("windows"), Some("NoSchedule")),
            &taint
        ));
        assert!(tolerates(
            &toleration(Some("os"), "Exists", None, None),
            &taint
        ));
        assert!(tolerates(&toleration(None, "Exists", None, None), &taint));
        assert!(!tolerates(
            &toleration(Some("os"), "Equal", Some("linux"), Some("NoSchedule")),
            &taint
        ));
        assert!(!tolerates(
            &toleration(Some("os"), "Equal", Some("windows"), Some("NoExecute")),
            &taint
        ));
        assert!(!tolerates(
            &toleration(None, "Equal", Some("windows"), None),
            &taint
        ));
    }

    #[test]
    fn tolerations_json_keeps_own_tolerations_and_drops_automatic_ones() {
        let existing = vec![
            toleration(
                Some("node.kubernetes.io/not-ready"),
                "Exists",
                None,
                Some("NoExecute"),
            ),
            toleration(Some("dedicated"), "Equal", Some("gpu"), Some("NoSchedule")),
        ];
        let taint = Taint {
            key: "os".into(),
            value: Some("windows".into()),
            effect: "NoSchedule".into(),
        };
        let json = tolerations_json(&existing, &[&taint]);
        assert_eq!(
            json,
            "[{effect: 'NoSchedule', key: 'dedicated', operator: 'Equal', value: 'gpu'}, {effect: 'NoSchedule', key: 'os', operator: 'Equal', value: 'windows'}]"
        );
    }

    const MIXED: &str = r#"{"items":[
      {"metadata":{"name":"linux-1","labels":{"kubernetes.io/os":"linux"}}},
      {"metadata":{"name":"win-1","labels":{"kubernetes.io/os":"windows"}},"status":{"nodeInfo":{"kernelVersion":"10.0.17763.1","operatingSystem":"windows"}}}]}"#;

    #[test]
    fn windows_pod_on_a_linux_node_fails() {
        let pods = r#"{"items":[{"metadata":{"name":"iis","namespace":"web"},
            "spec":{"nodeName":"linux-1","containers":[{"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"}]},
            "status":{"phase":"Pending","containerStatuses":[{"name":"iis","state":{"waiting":{"reason":"ErrImagePull"}}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        let fail = f.iter().find(|x| x.status == Status::Fail).expect("fail");
        assert!(
            fail.message
                .contains("pod iis landed on Linux node(s) linux-1"),
            "{}",
            fail.message
        );
        assert!(fail.fix.as_ref().expect("fix").text.contains("bare pod"));
    }

    #[test]
    fn running_daemonset_pods_on_windows_are_not_flagged_and_only_windows_clusters_need_no_selector(
    ) {
        // A multi-OS DaemonSet whose pod runs fine on the Windows node, in a cluster whose only
        // schedulable nodes are Windows: nothing to report.
        let nodes = r#"{"items":[{"metadata":{"name":"win-1","labels":{"kubernetes.io/os":"windows"}},"status":{"nodeInfo":{"kernelVersion":"10.0.17763.1"}}}]}"#;
        let pods = r#"{"items":[
          {"metadata":{"name":"csi-node-abc","namespace":"kube-system","ownerReferences":[{"kind":"DaemonSet","name":"csi-node"}]},
           "spec":{"nodeName":"win-1","containers":[{"name":"driver","image":"registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.10.0"}]},
           "status":{"phase":"Running","containerStatuses":[{"name":"driver","ready":true,"state":{"running":{}}}]}},
          {"metadata":{"name":"iis","namespace":"web"},
           "spec":{"nodeName":"win-1","containers":[{"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"}]},
           "status":{"phase":"Running"}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", nodes),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        assert!(
            f.iter()
                .all(|x| x.status == Status::Pass || x.status == Status::Skip),
            "{f:?}"
        );
        assert!(f
            .iter()
            .any(|x| x.message.contains("no Linux pods on the 1 Windows nodes")));
    }

    #[test]
    fn crash_looping_daemonset_pod_on_windows_is_not_taken_for_a_linux_one() {
        let pods = r#"{"items":[{"metadata":{"name":"agent-w1","namespace":"ops","ownerReferences":[{"kind":"DaemonSet","name":"agent"}]},
            "spec":{"nodeName":"win-1","containers":[{"name":"agent","image":"contoso/agent:2.1"}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"agent","ready":false,"restartCount":7,
              "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/daemonsets.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        assert!(!f.iter().any(|x| x.status == Status::Fail), "{f:?}");
    }

    #[test]
    fn windows_node_missing_the_os_taint_and_mislabelled_runtimeclass_target_warn() {
        let nodes = r#"{"items":[
          {"metadata":{"name":"linux-1","labels":{"kubernetes.io/os":"linux"}}},
          {"metadata":{"name":"win-a","labels":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.17763"}},
           "spec":{"taints":[{"key":"os","value":"windows","effect":"NoSchedule"}]},"status":{"nodeInfo":{"kernelVersion":"10.0.17763.1"}}},
          {"metadata":{"name":"win-b","labels":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.17763"}},
           "spec":{"taints":[{"key":"node.kubernetes.io/unreachable","effect":"NoSchedule"}]},"status":{"nodeInfo":{"kernelVersion":"10.0.20348.1"}}}]}"#;
        let rcs = r#"{"items":[{"metadata":{"name":"windows-2019"},"handler":"runhcs-wcow-process",
            "scheduling":{"nodeSelector":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.17763"}}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", nodes),
            ("cluster/pods.json", r#"{"items":[]}"#),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", rcs),
        ]);
        let warns: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Warn).collect();
        assert_eq!(warns.len(), 2, "{f:?}");
        let taint = warns
            .iter()
            .find(|w| w.subject.kind == "Node")
            .expect("taint warn");
        assert_eq!(taint.subject.name, "win-b");
        assert_eq!(
            taint.fix.as_ref().expect("fix").commands[0],
            "kubectl taint nodes win-b os=windows:NoSchedule"
        );
        let rc = warns
            .iter()
            .find(|w| w.subject.kind == "RuntimeClass")
            .expect("rc warn");
        assert!(rc
            .message
            .contains("also matches win-b, whose kernel is build 20348"));
        // The automatic unreachable taint is not mistaken for a Windows taint.
        assert!(f
            .iter()
            .any(|x| x.message.contains("keep no Windows pod Pending")
                && !x.message.contains("unreachable")));
    }

    #[test]
    fn runtimeclass_selector_without_nodes_warns_when_no_pod_waits() {
        let rcs = r#"{"items":[{"metadata":{"name":"windows-1903"},"handler":"docker",
            "scheduling":{"nodeSelector":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.18362"}}},
            {"metadata":{"name":"gvisor"},"handler":"runsc","scheduling":{"nodeSelector":{"sandbox":"gvisor"}}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", r#"{"items":[]}"#),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", rcs),
        ]);
        let warns: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Warn).collect();
        assert_eq!(warns.len(), 1, "{f:?}");
        assert_eq!(warns[0].subject.name, "windows-1903");
        assert!(warns[0].message.contains("10.0.17763 (win-1)"));
        let fix = warns[0].fix.as_ref().expect("fix");
        assert!(fix.commands[2].contains("node.kubernetes.io/windows-build: '10.0.17763'"));
    }

    #[test]
    fn linux_deployment_refused_on_a_windows_node_gets_the_linux_selector_fix() {
        let pods = r#"{"items":[{"metadata":{"name":"nginx-6b7f675859-abcde","namespace":"default","labels":{"pod-template-hash":"6b7f675859"},
            "ownerReferences":[{"kind":"ReplicaSet","name":"nginx-6b7f675859"}]},
            "spec":{"nodeName":"win-1","containers":[{"name":"nginx","image":"nginx:1.27"}]},
            "status":{"phase":"Pending","containerStatuses":[{"name":"nginx","ready":false,
              "state":{"waiting":{"reason":"ErrImagePull","message":"failed to pull and unpack image \"docker.io/library/nginx:1.27\": no match for platform in manifest: not found"}}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        let fail = f.iter().find(|x| x.status == Status::Fail).expect("fail");
        assert_eq!(fail.subject.kind, "Deployment");
        assert_eq!(
            fail.fix.as_ref().expect("fix").commands[0],
            r#"kubectl -n default patch deployment/nginx --type merge -p "{spec: {template: {spec: {nodeSelector: {kubernetes.io/os: 'linux'}}}}}""#
        );
    }
}
