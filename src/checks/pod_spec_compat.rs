//! Check `pod-spec-compat`: Windows pods (on Windows nodes, or declaring or selecting Windows) that set
//! pod or container fields Windows does not support (seed 000 § 컨테이너 명세의 필드 호환성, § 파드
//! 명세의 필드 호환성, and the `.spec.os.name=windows` forbidden list in § 리눅스와의 비교). Fields that
//! break the pod (privileged without HostProcess, emptyDir medium Memory, ClusterFirstWithHostNet without
//! host networking, huge pages, mount propagation, volumeDevices, hostPID/hostIPC) fail; the Linux
//! identity and security settings Windows ignores warn, saying whether the API server would have
//! rejected them. Warning events these fields cause are attached as evidence. One finding per workload
//! and severity, with a JSON patch that removes exactly the offending fields. Reading the fields and
//! reporting them are the modules `fields` and `report` below `pod_spec_compat/`.

mod fields;
mod report;

use super::Eval;
use crate::facts::cluster::{OsTarget, Workload};
use crate::facts::k8s::{Event, Pod};
use crate::findings::{Status, Subject};
use serde_json::Value;
use std::collections::BTreeMap;

/// One unsupported field of one pod spec.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    /// Fail: breaks the pod; Warn: ignored on Windows (or rejected once the OS is declared).
    status: Status,
    /// As an operator reads it: `containers[iis].securityContext.privileged=true`.
    display: String,
    /// JSON pointer below the pod's `.spec`, e.g. `/containers/0/securityContext/privileged`.
    pointer: String,
    /// The JSON patch operation that fixes it: `None` removes the field, `Some(v)` replaces it by v.
    replacement: Option<Value>,
    /// Why Windows cannot honour it, in a few words.
    why: &'static str,
}

fn remove(status: Status, display: String, pointer: String, why: &'static str) -> Field {
    Field {
        status,
        display,
        pointer,
        replacement: None,
        why,
    }
}

pub fn run(ev: &mut Eval) {
    let Some((_, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    let Some(kept) = ev.kept_pods() else { return };
    let windows_hosts = ev.model().windows_hosts();
    // An other pod of the sieve runs on a Linux node and targets nothing Windows.
    let windows_pods: Vec<&Pod> = kept
        .filter(|p| {
            let on_windows = p.node_name().is_some_and(|n| windows_hosts.contains(n));
            let declared = p
                .spec
                .declared_os()
                .is_some_and(|o| o.eq_ignore_ascii_case("windows"));
            // A pod with no OS restriction whose containers never started on its Windows node is a
            // Linux pod stranded there (os-scheduling reports it); its Linux fields are no Windows
            // problem.
            let windows_pod_on_windows = on_windows
                && (p.spec.targets_windows() || p.spec.host_process() || !p.never_started());
            declared || windows_pod_on_windows || p.spec.os_selector() == OsTarget::Windows
        })
        .collect();
    if windows_pods.is_empty() {
        ev.not_applicable(format!(
            "no pods run on, declare or select the {} Windows nodes",
            windows.len()
        ));
        return;
    }
    let events = ev.events();
    let index = ev.model().pod_index();
    let unsupported = ev.pattern("unsupported_field");
    // By the namespace and name the pod itself holds: no copies.
    let mut event_evidence: foldhash::HashMap<(&str, &str), Vec<&Event>> = Default::default();
    for event in events.into_iter().flatten() {
        if event.is_warning() && unsupported.is_match(&event.message) {
            if let Some(pod) = index.of_event(event) {
                event_evidence
                    .entry((pod.namespace(), pod.name()))
                    .or_default()
                    .push(event);
            }
        }
    }

    // One representative pod per workload: replicas share their template.
    let mut by_workload: BTreeMap<(String, Workload), Vec<&Pod>> = BTreeMap::new();
    for pod in &windows_pods {
        by_workload
            .entry((pod.namespace().to_string(), pod.workload()))
            .or_default()
            .push(pod);
    }
    let mut problems = 0;
    for ((namespace, workload), members) in &by_workload {
        let fields = fields::unsupported_fields(members[0]);
        let events: Vec<&Event> = members
            .iter()
            .flat_map(|p| {
                event_evidence
                    .get(&(p.namespace(), p.name()))
                    .into_iter()
                    .flatten()
                    .copied()
            })
            .collect();
        let breaking: Vec<&Field> = fields.iter().filter(|f| f.status == Status::Fail).collect();
        let ignored: Vec<&Field> = fields.iter().filter(|f| f.status == Status::Warn).collect();
        if !breaking.is_empty() || !events.is_empty() {
            problems += 1;
            report::report_breaking(ev, namespace, workload, members, &breaking, &events);
        }
        if !ignored.is_empty() {
            problems += 1;
            report::report_ignored(ev, namespace, workload, members, &ignored);
        }
    }
    if problems == 0 {
        ev.part("unsupported-field");
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "checked {} Windows pods ({} workloads): none sets a pod or container field Windows does not support",
                windows_pods.len(),
                by_workload.len()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::fields::{container_field_set, pod_field_set, unsupported_fields};
    use super::report::template_patch;
    use super::*;
    use crate::facts::k8s::{PodSecurityContext, SecurityContext};
    use crate::findings::Finding;

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_on_files("pod-spec-compat", files)
    }

    fn pod(spec: &str) -> Pod {
        serde_json::from_str(&format!(
            r#"{{"metadata":{{"name":"p","namespace":"n"}},"spec":{spec}}}"#
        ))
        .expect("pod json")
    }

    const NODES: &str = r#"{"items":[{"metadata":{"name":"win-1","labels":{"kubernetes.io/os":"windows"}}},
        {"metadata":{"name":"linux-1","labels":{"kubernetes.io/os":"linux"}}}]}"#;

    #[test]
    fn every_security_context_field_of_the_table_is_readable() {
        let f = crate::catalogue::data::pod_fields();
        let pod = PodSecurityContext::default();
        for x in &f.pod_security_context {
            assert!(pod_field_set(&pod, &x.field).is_some(), "pod field {} unknown", x.field);
        }
        let c = SecurityContext::default();
        for x in &f.container_security_context {
            assert!(container_field_set(&c, &x.field).is_some(), "container field {} unknown", x.field);
        }
    }

    #[test]
    fn host_process_pods_may_be_privileged_but_not_share_the_pid_namespace() {
        let p = pod(
            r#"{"hostNetwork":true,"hostPID":true,"securityContext":{"windowsOptions":{"hostProcess":true}},
                "containers":[{"name":"c","image":"i","securityContext":{"privileged":true}}]}"#,
        );
        let fields = unsupported_fields(&p);
        assert_eq!(fields.len(), 1, "{fields:?}");
        assert_eq!(fields[0].display, "hostPID=true");
    }

    #[test]
    fn cluster_first_with_host_net_is_fine_with_host_networking_and_mount_propagation_none_is_fine()
    {
        let p = pod(
            r#"{"hostNetwork":true,"dnsPolicy":"ClusterFirstWithHostNet",
                "containers":[{"name":"c","image":"i","volumeMounts":[{"name":"v","mountPath":"C:\\v","mountPropagation":"None"}]}]}"#,
        );
        assert!(unsupported_fields(&p).is_empty());
        let p = pod(r#"{"dnsPolicy":"ClusterFirstWithHostNet",
                "containers":[{"name":"c","image":"i","volumeMounts":[{"name":"v","mountPath":"C:\\v","mountPropagation":"HostToContainer"}]}]}"#);
        let fields = unsupported_fields(&p);
        assert_eq!(fields.len(), 2);
        assert_eq!(
            fields[0].replacement,
            Some(Value::String("ClusterFirst".into()))
        );
        assert_eq!(
            fields[1].pointer,
            "/containers/0/volumeMounts/0/mountPropagation"
        );
    }

    #[test]
    fn patch_removes_each_field_and_replaces_dns_policy() {
        let p = pod(
            r#"{"dnsPolicy":"ClusterFirstWithHostNet","volumes":[{"name":"a","emptyDir":{"medium":"Memory"}},{"name":"b","emptyDir":{"medium":"Memory"}}],
                "containers":[{"name":"c","image":"i"}]}"#,
        );
        let fields = unsupported_fields(&p);
        let refs: Vec<&Field> = fields.iter().collect();
        let workload = Workload {
            kind: "deployment",
            name: "web".into(),
        };
        let patch = template_patch(&workload, &refs, false).expect("patch");
        let ops: Value = serde_saphyr::from_str(&patch).expect("YAML flow");
        let paths: Vec<&str> = ops
            .as_array()
            .expect("array")
            .iter()
            .map(|o| o["path"].as_str().expect("path"))
            .collect();
        assert_eq!(
            paths,
            vec![
                "/spec/template/spec/dnsPolicy",
                "/spec/template/spec/volumes/0/emptyDir/medium",
                "/spec/template/spec/volumes/1/emptyDir/medium"
            ]
        );
        assert_eq!(ops[0]["op"], "replace");
        assert_eq!(ops[0]["value"], "ClusterFirst");
        assert_eq!(ops[1]["op"], "remove");
        let bare = Workload {
            kind: "pod",
            name: "x".into(),
        };
        assert_eq!(template_patch(&bare, &refs, false), None);
    }

    #[test]
    fn pods_on_linux_nodes_are_not_judged_and_events_alone_fail() {
        let pods = r#"{"items":[
          {"metadata":{"name":"l","namespace":"n"},"spec":{"nodeName":"linux-1","hostPID":true,"containers":[{"name":"c","image":"i"}]}},
          {"metadata":{"name":"w","namespace":"n"},"spec":{"nodeName":"win-1","containers":[{"name":"c","image":"i"}]}}]}"#;
        let events = r#"{"items":[{"involvedObject":{"kind":"Pod","namespace":"n","name":"w"},"reason":"Failed","type":"Warning",
            "message":"Error: failed to create containerd container: privileged containers are not supported on Windows"}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", pods),
            ("cluster/events.json", events),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].status, Status::Fail);
        assert_eq!(f[0].subject.name, "w");
        assert_eq!(f[0].evidence.len(), 1);
    }

    #[test]
    fn linux_daemonset_pod_stranded_on_a_windows_node_is_left_to_os_scheduling() {
        let pods = r#"{"items":[{"metadata":{"name":"node-exporter-x","namespace":"monitoring","ownerReferences":[{"kind":"DaemonSet","name":"node-exporter"}]},
            "spec":{"nodeName":"win-1","hostPID":true,"containers":[{"name":"c","image":"quay.io/prometheus/node-exporter:v1.8.2"}]},
            "status":{"phase":"Pending","containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"waiting":{"reason":"ImagePullBackOff"}}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Skip, "{f:?}");
    }

    #[test]
    fn declared_windows_pod_with_ignored_fields_says_the_api_would_reject_them() {
        let pods = r#"{"items":[{"metadata":{"name":"d","namespace":"n","ownerReferences":[{"kind":"DaemonSet","name":"agent"}]},
            "spec":{"nodeName":"win-1","os":{"name":"windows"},"securityContext":{"runAsUser":0},
              "containers":[{"name":"c","image":"i","securityContext":{"readOnlyRootFilesystem":true}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", NODES),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
        ]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0].message.contains("declares .spec.os.name=windows"));
        let patch = &f[0].fix.as_ref().expect("fix").commands[0];
        assert!(patch.contains("patch daemonset/agent"));
        assert!(!patch.contains("/spec/template/spec/os"), "{patch}");
    }

    #[test]
    fn pending_pod_selecting_windows_is_judged_before_scheduling() {
        let pods = r#"{"items":[{"metadata":{"name":"p","namespace":"n"},
            "spec":{"nodeSelector":{"kubernetes.io/os":"windows"},"volumes":[{"name":"v","emptyDir":{"medium":"Memory"}}],
              "containers":[{"name":"c","image":"i"}]},"status":{"phase":"Pending"}}]}"#;
        let f = run_on(&[("cluster/nodes.json", NODES), ("cluster/pods.json", pods)]);
        let fail = f.iter().find(|x| x.status == Status::Fail).expect("fail");
        assert!(fail.message.contains("volumes[v].emptyDir.medium=Memory"));
        assert!(fail.fix.as_ref().expect("fix").text.contains("bare pod"));
        assert!(f
            .iter()
            .any(|x| x.status == Status::Skip && x.subject.name == "events"));
    }
}
