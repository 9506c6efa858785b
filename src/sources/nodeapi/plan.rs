//! Which Windows nodes to read and which of their pods are system pods, found by what they are:
//! a pod on a Windows node that runs a node component (kube-proxy, flannel, calico-node,
//! azure-cns, csi-proxy, antrea-agent, judged from container names, images and commands) and is
//! owned by a DaemonSet or runs as HostProcess, and any HostProcess pod.

use crate::facts::k8s::{ContainerState, Pod};
use crate::facts::node::remote::{component_of, ContainerRecord, StateRecord, SystemPod};
use crate::facts::Facts;
use std::collections::BTreeMap;

/// One Windows node to read and its system pods (statuses from the pod list; logs to fetch).
#[derive(Debug, Clone)]
pub struct NodePlan {
    pub node: String,
    pub pods: Vec<SystemPod>,
}

/// Every Windows node of `facts` (none when the node list could not be read), with at most
/// `pods_per_node` system pods each, kube-proxy and flannel first.
pub fn plan_nodes(facts: &Facts, pods_per_node: usize) -> Vec<NodePlan> {
    let Some(nodes) = facts.cluster.nodes.ready() else {
        return Vec::new();
    };
    let mut plans: BTreeMap<&str, Vec<SystemPod>> = nodes
        .iter()
        .filter(|n| n.is_windows())
        .map(|n| (n.name(), Vec::new()))
        .collect();
    if let Some(pods) = facts.cluster.pods.ready() {
        for pod in pods {
            let Some(node) = pod.node_name() else {
                continue;
            };
            let Some(list) = plans.get_mut(node) else {
                continue;
            };
            if let Some(record) = system_pod(pod, node) {
                list.push(record);
            }
        }
    }
    plans
        .into_iter()
        .map(|(node, mut pods)| {
            let rank = |p: &SystemPod| match p.component.as_str() {
                "kube-proxy" => 0,
                "flanneld" => 1,
                "hostprocess" => 3,
                _ => 2,
            };
            pods.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.key().cmp(&b.key())));
            pods.truncate(pods_per_node);
            NodePlan {
                node: node.to_string(),
                pods,
            }
        })
        .collect()
}

/// Whether the pod in `namespace` whose JSON text is `json` may be a system pod ([`system_pod`]
/// of its whole parse is `Some`): `false` only when it lives outside the system namespaces and its
/// text holds neither `hostProcess` (the key of the HostProcess flag), nor `DaemonSet` (an owner of
/// that kind), nor a `\u` escape that could spell either. A system pod needs one of those. Plain
/// substring searches, several times faster than the case-blind search for component names
/// (`may_name_a_component`), which then decides for the pods they let through.
pub fn may_be_system_pod(namespace: &str, json: &str) -> bool {
    use memchr::memmem::Finder;
    use std::sync::LazyLock;
    static NEEDLES: LazyLock<[Finder<'static>; 3]> =
        LazyLock::new(|| ["hostProcess", "DaemonSet", "\\u"].map(Finder::new));
    let text = json.as_bytes();
    is_system_namespace(namespace) || NEEDLES.iter().any(|n| n.find(text).is_some())
}

/// The system pod record of `pod` on `node`, or `None` when it is an ordinary workload.
pub fn system_pod(pod: &Pod, node: &str) -> Option<SystemPod> {
    let spec = &pod.spec;
    let host_process = spec.host_process();
    let owner = pod
        .metadata
        .owner_references
        .iter()
        .find(|o| o.kind == "DaemonSet")
        .map(|o| format!("DaemonSet/{}", o.name));
    let names: Vec<&str> = std::iter::once(pod.name())
        .chain(spec.containers.iter().map(|c| c.name.as_str()))
        .chain(owner.as_deref())
        .collect();
    let images: Vec<&str> = spec.containers.iter().map(|c| c.image.as_str()).collect();
    let commands: Vec<&str> = spec
        .containers
        .iter()
        .flat_map(|c| c.command.iter().chain(c.args.iter()))
        .map(String::as_str)
        .collect();
    // A Linux DaemonSet that landed on the node (its program is a Unix path, `/opt/bin/flanneld`)
    // runs no Windows component there: it is a workload problem the cluster checks report.
    let unix_program = spec
        .containers
        .iter()
        .filter_map(|c| c.command.first())
        .any(|p| p.starts_with('/'));
    let component =
        component_of(&names, &images, &commands).filter(|_| !unix_program || host_process);
    let system = match component {
        Some(_) => owner.is_some() || host_process || is_system_namespace(pod.namespace()),
        None => host_process,
    };
    if !system {
        return None;
    }
    let containers = spec
        .containers
        .iter()
        .map(|c| {
            let status = pod
                .status
                .container_statuses
                .iter()
                .find(|s| s.name == c.name);
            let command: Vec<String> = c
                .command
                .iter()
                .chain(c.args.iter())
                .map(|w| expand_node_name(w, &c.env, node))
                .collect();
            ContainerRecord {
                name: c.name.clone(),
                image: c.image.clone(),
                command,
                ready: status.is_some_and(|s| s.ready),
                restart_count: status.map(|s| s.restart_count).unwrap_or(0),
                state: status
                    .map(|s| state_record(&s.state))
                    .unwrap_or_else(|| StateRecord {
                        kind: "waiting".to_string(),
                        reason: Some("no status yet".to_string()),
                        ..Default::default()
                    }),
                last_terminated: status.and_then(|s| {
                    s.last_terminated.as_deref().map(|t| StateRecord {
                        kind: "terminated".to_string(),
                        reason: t.reason.clone(),
                        message: t.message.clone(),
                        exit_code: t.exit_code,
                        finished_at: None,
                    })
                }),
                ..Default::default()
            }
        })
        .collect();
    Some(SystemPod {
        namespace: pod.namespace().to_string(),
        name: pod.name().to_string(),
        component: component.unwrap_or("hostprocess").to_string(),
        host_process,
        owner,
        phase: pod.status.phase.clone(),
        containers,
    })
}

fn is_system_namespace(ns: &str) -> bool {
    matches!(
        ns,
        "kube-system" | "kube-flannel" | "calico-system" | "tigera-operator" | "kube-proxy"
    )
}

fn state_record(state: &ContainerState) -> StateRecord {
    if let Some(t) = &state.terminated {
        return StateRecord {
            kind: "terminated".to_string(),
            reason: t.reason.clone(),
            message: t.message.clone(),
            exit_code: t.exit_code,
            finished_at: None,
        };
    }
    if let Some(w) = &state.waiting {
        return StateRecord {
            kind: "waiting".to_string(),
            reason: w.reason.clone(),
            message: w.message.clone(),
            ..Default::default()
        };
    }
    StateRecord {
        kind: if state.running.is_some() {
            "running"
        } else {
            "unknown"
        }
        .to_string(),
        ..Default::default()
    }
}

/// `$(NODE_NAME)` where the container's env takes NODE_NAME from `spec.nodeName`, expanded as
/// the kubelet expands variable references in command and args.
fn expand_node_name(word: &str, env: &[crate::facts::k8s::EnvVar], node: &str) -> String {
    let mut out = word.to_string();
    for e in env {
        if e.field_ref.as_deref() == Some("spec.nodeName") {
            out = out.replace(&format!("$({})", e.name), node);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: &str) -> Pod {
        serde_json::from_str(json).expect("pod")
    }

    #[test]
    fn finds_system_pods_by_what_they_are() {
        let kp = pod(
            r#"{"metadata":{"name":"kube-proxy-windows-x","namespace":"kube-system",
            "ownerReferences":[{"kind":"DaemonSet","name":"kube-proxy-windows"}]},
          "spec":{"nodeName":"win-1","securityContext":{"windowsOptions":{"hostProcess":true}},
            "containers":[{"name":"kube-proxy","image":"sigwindowstools/kube-proxy:v1.32.4-flannel-hostprocess",
              "command":["kube-proxy.exe"],"args":["--hostname-override=$(NODE_NAME)"],
              "env":[{"name":"NODE_NAME","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}}]}]},
          "status":{"phase":"Running","containerStatuses":[{"name":"kube-proxy","ready":false,"restartCount":7,
            "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m0s restarting failed container"}},
            "lastState":{"terminated":{"reason":"Error","exitCode":1,"finishedAt":"2026-11-20T09:00:00Z"}}}]}}"#,
        );
        let r = system_pod(&kp, "win-1").expect("system pod");
        assert_eq!(r.component, "kube-proxy");
        assert!(r.host_process);
        assert_eq!(r.owner.as_deref(), Some("DaemonSet/kube-proxy-windows"));
        let c = &r.containers[0];
        assert_eq!(c.command, ["kube-proxy.exe", "--hostname-override=win-1"]);
        assert_eq!(c.restart_count, 7);
        assert_eq!(c.state.reason.as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(
            c.last_terminated.as_ref().and_then(|t| t.exit_code),
            Some(1)
        );
        // An ordinary workload is not one, a HostProcess pod of anything is.
        let web = pod(
            r#"{"metadata":{"name":"web","namespace":"default"},"spec":{"nodeName":"win-1","containers":[{"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis"}]}}"#,
        );
        assert!(system_pod(&web, "win-1").is_none());
        let hpc = pod(
            r#"{"metadata":{"name":"agent","namespace":"monitoring"},"spec":{"nodeName":"win-1","securityContext":{"windowsOptions":{"hostProcess":true}},"containers":[{"name":"agent","image":"example/agent"}]}}"#,
        );
        assert_eq!(
            system_pod(&hpc, "win-1").map(|p| p.component),
            Some("hostprocess".to_string())
        );
    }

    #[test]
    fn a_pod_that_may_not_be_a_system_pod_is_none() {
        use crate::facts::pod_head::PodHead;
        let head = |text: &str| PodHead::parse(text).expect("a head").into_pod();
        let texts = crate::facts::pod_head::fixtures::fixture_pods();
        let (mut kept, mut skipped) = (0, 0);
        for text in &texts {
            let is_system = system_pod(&pod(text), "win-1").is_some();
            if may_be_system_pod(head(text).namespace(), text) {
                kept += 1;
            } else {
                skipped += 1;
                assert!(!is_system, "{text}");
            }
        }
        assert!(kept > 10 && skipped > 10, "{kept} kept, {skipped} skipped");

        // A DaemonSet's kube-proxy outside the system namespaces, a HostProcess pod, a pod in
        // kube-system, and an owner or a flag spelled with an escape may be system pods; a
        // workload that only names a component may not.
        let workload = r#"{"metadata":{"name":"kube-proxy-viewer","namespace":"shop"},"spec":{"nodeName":"win-1","containers":[{"name":"kube-proxy","image":"sigwindowstools/kube-proxy:v1.32.4-flannel-hostprocess"}]}}"#;
        assert!(!may_be_system_pod("shop", workload));
        assert!(system_pod(&pod(workload), "win-1").is_none());
        let owned = workload.replace(
            r#""namespace":"shop"}"#,
            r#""namespace":"shop","ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"kube-proxy-windows","uid":"5f0c"}]}"#,
        );
        let escaped = owned.replace("DaemonSet", r#"\u0044aemonSet"#);
        let in_kube_system = workload.replace(r#""shop""#, r#""kube-system""#);
        let host_process = workload.replace(
            r#""spec":{"#,
            r#""spec":{"securityContext":{"windowsOptions":{"hostProcess":true}},"#,
        );
        let escaped_flag = host_process.replace("hostProcess", r#"host\u0050rocess"#);
        for text in [
            &owned,
            &escaped,
            &in_kube_system,
            &host_process,
            &escaped_flag,
        ] {
            assert!(system_pod(&pod(text), "win-1").is_some(), "{text}");
            assert!(may_be_system_pod(head(text).namespace(), text), "{text}");
        }
    }

    #[test]
    fn a_pod_whose_text_names_no_component_is_no_system_pod() {
        use crate::facts::node::remote::may_name_a_component;
        let texts = crate::facts::pod_head::fixtures::fixture_pods();
        let (mut system, mut skipped) = (0, 0);
        for text in &texts {
            let whole = pod(text);
            let is_system = system_pod(&whole, "win-1").is_some();
            if may_name_a_component(text) {
                system += usize::from(is_system);
            } else {
                skipped += 1;
                assert!(!is_system, "{text}");
            }
        }
        // The fixtures hold both kinds, so the rule is tested both ways.
        assert!(
            system > 10 && skipped > 10,
            "{system} system pods, {skipped} skipped"
        );

        // A component known only by its command, only by HostProcess, or spelled with an escape
        // is still read whole; a plain workload is not.
        let workload = r#"{"metadata":{"name":"web-7d4b9c","namespace":"shop"},"spec":{"nodeName":"win-1","containers":[{"name":"web","image":"mcr.microsoft.com/dotnet/framework/aspnet:4.8"}]}}"#;
        assert!(!may_name_a_component(workload));
        assert!(system_pod(&pod(workload), "win-1").is_none());
        let in_kube_system =
            workload.replace(r#""namespace":"shop""#, r#""namespace":"kube-system""#);
        let by_command = in_kube_system.replace(
            r#""name":"web","#,
            r#""name":"net","command":["C:\\k\\FlannelD.exe"],"#,
        );
        let host_process = workload.replace(
            r#""spec":{"#,
            r#""spec":{"securityContext":{"windowsOptions":{"hostProcess":true}},"#,
        );
        for text in [&by_command, &host_process] {
            assert!(may_name_a_component(text), "{text}");
            assert!(system_pod(&pod(text), "win-1").is_some(), "{text}");
        }
        let escaped = in_kube_system.replace(r#""name":"web","#, r#""name":"\u0066lanneld","#);
        assert!(may_name_a_component(&escaped), "{escaped}");
        assert!(system_pod(&pod(&escaped), "win-1").is_some(), "{escaped}");
    }
}
