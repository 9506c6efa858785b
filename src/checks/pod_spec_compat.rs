//! Check `pod-spec-compat`: Windows pods (on Windows nodes, or declaring or selecting Windows) that set
//! pod or container fields Windows does not support (seed 000 § 컨테이너 명세의 필드 호환성, § 파드
//! 명세의 필드 호환성, and the `.spec.os.name=windows` forbidden list in § 리눅스와의 비교). Fields that
//! break the pod (privileged without HostProcess, emptyDir medium Memory, ClusterFirstWithHostNet without
//! host networking, huge pages, mount propagation, volumeDevices, hostPID/hostIPC) fail; the Linux
//! identity and security settings Windows ignores warn, saying whether the API server would have
//! rejected them. Warning events these fields cause are attached as evidence. One finding per workload
//! and severity, with a JSON patch that removes exactly the offending fields.

use super::Eval;
use crate::facts::cluster::{OsTarget, Workload};
use crate::facts::k8s::{Container, Event, Pod, SecurityContext};
use crate::findings::{Evidence, Fix, Status, Subject};
use serde_json::{json, Value};
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

/// The fields of `pod`'s spec that Windows does not support.
fn unsupported_fields(pod: &Pod) -> Vec<Field> {
    let spec = &pod.spec;
    let host_process = spec.host_process();
    let mut out = Vec::new();
    if spec.host_pid {
        out.push(remove(
            Status::Fail,
            "hostPID=true".into(),
            "/hostPID".into(),
            "Windows cannot share the host's process namespace",
        ));
    }
    if spec.host_ipc {
        out.push(remove(
            Status::Fail,
            "hostIPC=true".into(),
            "/hostIPC".into(),
            "Windows cannot share the host's IPC namespace",
        ));
    }
    if spec.dns_policy.as_deref() == Some("ClusterFirstWithHostNet") && !spec.host_network {
        out.push(Field {
            status: Status::Fail,
            display: "dnsPolicy=ClusterFirstWithHostNet".into(),
            pointer: "/dnsPolicy".into(),
            replacement: Some(Value::String("ClusterFirst".into())),
            why: "host networking is not supported for Windows pods, so this DNS policy cannot apply",
        });
    }
    for (i, volume) in spec.volumes.iter().enumerate() {
        if volume
            .empty_dir
            .as_ref()
            .and_then(|e| e.medium.as_deref())
            .is_some_and(|m| m.eq_ignore_ascii_case("memory"))
        {
            out.push(remove(
                Status::Fail,
                format!("volumes[{}].emptyDir.medium=Memory", volume.name),
                format!("/volumes/{i}/emptyDir/medium"),
                "Windows has no built-in RAM disk",
            ));
        }
    }
    if spec.share_process_namespace == Some(true) {
        out.push(remove(
            Status::Warn,
            "shareProcessNamespace=true".into(),
            "/shareProcessNamespace".into(),
            "Windows containers cannot share a process namespace",
        ));
    }
    if let Some(sc) = &spec.security_context {
        let linux_ids = "Windows has no integer UIDs/GIDs (use windowsOptions.runAsUserName)";
        let pod_fields: [(&str, bool, &'static str); 8] = [
            ("runAsUser", sc.run_as_user.is_some(), linux_ids),
            ("runAsGroup", sc.run_as_group.is_some(), linux_ids),
            ("fsGroup", sc.fs_group.is_some(), linux_ids),
            (
                "fsGroupChangePolicy",
                sc.fs_group_change_policy.is_some(),
                linux_ids,
            ),
            (
                "supplementalGroups",
                !sc.supplemental_groups.is_empty(),
                linux_ids,
            ),
            (
                "seLinuxOptions",
                sc.se_linux_options.is_some(),
                "SELinux is Linux-only",
            ),
            (
                "seccompProfile",
                sc.seccomp_profile.is_some(),
                "seccomp is Linux-only",
            ),
            (
                "sysctls",
                !sc.sysctls.is_empty(),
                "sysctls are a Linux kernel interface",
            ),
        ];
        for (name, set, why) in pod_fields {
            if set {
                out.push(remove(
                    Status::Warn,
                    format!("securityContext.{name}"),
                    format!("/securityContext/{name}"),
                    why,
                ));
            }
        }
    }
    for (list, containers) in [
        ("initContainers", &spec.init_containers),
        ("containers", &spec.containers),
    ] {
        for (i, container) in containers.iter().enumerate() {
            container_fields(&mut out, list, i, container, host_process);
        }
    }
    out
}

fn container_fields(
    out: &mut Vec<Field>,
    list: &str,
    index: usize,
    container: &Container,
    host_process: bool,
) {
    let name = &container.name;
    let base = format!("/{list}/{index}");
    let mut resource_keys: Vec<(&str, &String)> = container
        .resources
        .limits
        .keys()
        .map(|k| ("limits", k))
        .chain(container.resources.requests.keys().map(|k| ("requests", k)))
        .filter(|(_, k)| k.starts_with("hugepages-"))
        .collect();
    resource_keys.sort();
    for (kind, key) in resource_keys {
        out.push(remove(
            Status::Fail,
            format!("{list}[{name}].resources.{kind}.{key}"),
            format!("{base}/resources/{kind}/{key}"),
            "huge pages are not implemented in the Windows container runtime",
        ));
    }
    for (j, mount) in container.volume_mounts.iter().enumerate() {
        if let Some(p) = mount
            .mount_propagation
            .as_deref()
            .filter(|p| !p.eq_ignore_ascii_case("None"))
        {
            out.push(remove(
                Status::Fail,
                format!(
                    "{list}[{name}].volumeMounts[{}].mountPropagation={p}",
                    mount.name
                ),
                format!("{base}/volumeMounts/{j}/mountPropagation"),
                "mount propagation is not supported on Windows",
            ));
        }
    }
    if !container.volume_devices.is_empty() {
        out.push(remove(
            Status::Fail,
            format!("{list}[{name}].volumeDevices"),
            format!("{base}/volumeDevices"),
            "Windows cannot attach raw block devices to pods",
        ));
    }
    let Some(sc) = &container.security_context else {
        return;
    };
    if sc.privileged == Some(true) && !host_process {
        out.push(remove(
            Status::Fail,
            format!("{list}[{name}].securityContext.privileged=true"),
            format!("{base}/securityContext/privileged"),
            "Windows has no privileged containers",
        ));
    }
    for (field, set, why) in ignored_container_fields(sc) {
        if set {
            out.push(remove(
                Status::Warn,
                format!("{list}[{name}].securityContext.{field}"),
                format!("{base}/securityContext/{field}"),
                why,
            ));
        }
    }
}

fn ignored_container_fields(sc: &SecurityContext) -> [(&'static str, bool, &'static str); 8] {
    let linux_ids = "Windows has no integer UIDs/GIDs (use windowsOptions.runAsUserName)";
    [
        ("runAsUser", sc.run_as_user.is_some(), linux_ids),
        ("runAsGroup", sc.run_as_group.is_some(), linux_ids),
        (
            "seLinuxOptions",
            sc.se_linux_options.is_some(),
            "SELinux is Linux-only",
        ),
        (
            "seccompProfile",
            sc.seccomp_profile.is_some(),
            "seccomp is Linux-only",
        ),
        (
            "capabilities",
            sc.capabilities.is_some(),
            "POSIX capabilities are not implemented on Windows",
        ),
        (
            "readOnlyRootFilesystem",
            sc.read_only_root_filesystem.is_some(),
            "the registry and system processes need to write inside the container",
        ),
        (
            "allowPrivilegeEscalation",
            sc.allow_privilege_escalation.is_some(),
            "no Windows feature is tied to it",
        ),
        (
            "procMount",
            sc.proc_mount.is_some(),
            "Windows has no /proc file system",
        ),
    ]
}

pub fn run(ev: &mut Eval) {
    let Some((_, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    let Some(pods) = ev.pods() else { return };
    let windows_hosts = ev.model().windows_hosts();
    let windows_pods: Vec<&Pod> = pods
        .iter()
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
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!(
                "no pods run on, declare or select the {} Windows nodes",
                windows.len()
            ),
        );
        return;
    }
    let events = ev.events();
    let index = ev.model().pod_index();
    let unsupported = ev.pattern("unsupported_field");
    let mut event_evidence: BTreeMap<(String, String), Vec<&Event>> = BTreeMap::new();
    for event in events.into_iter().flatten() {
        if event.is_warning() && unsupported.is_match(&event.message) {
            if let Some(pod) = index.of_event(event) {
                event_evidence
                    .entry((pod.namespace().to_string(), pod.name().to_string()))
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
        let fields = unsupported_fields(members[0]);
        let events: Vec<&Event> = members
            .iter()
            .flat_map(|p| {
                event_evidence
                    .get(&(p.namespace().to_string(), p.name().to_string()))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let breaking: Vec<&Field> = fields.iter().filter(|f| f.status == Status::Fail).collect();
        let ignored: Vec<&Field> = fields.iter().filter(|f| f.status == Status::Warn).collect();
        if !breaking.is_empty() || !events.is_empty() {
            problems += 1;
            report_breaking(ev, namespace, workload, members, &breaking, &events);
        }
        if !ignored.is_empty() {
            problems += 1;
            report_ignored(ev, namespace, workload, members, &ignored);
        }
    }
    if problems == 0 {
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

fn pod_count(members: &[&Pod]) -> String {
    match members.len() {
        1 => format!("pod {}", members[0].name()),
        n => format!("{n} pods"),
    }
}

fn field_evidence(pod: &Pod, field: &Field) -> Evidence {
    // `/containers/0/securityContext/privileged` -> `.spec.containers[0].securityContext.privileged`
    let mut path = String::from(".spec");
    for segment in field.pointer.split('/').filter(|s| !s.is_empty()) {
        if segment.chars().all(|c| c.is_ascii_digit()) {
            path.push_str(&format!("[{segment}]"));
        } else {
            path.push('.');
            path.push_str(segment);
        }
    }
    Evidence::api(format!("Pod/{} {path}", pod.key()), field.display.clone())
}

/// A JSON patch for the workload's pod template (or `None` for workloads without one).
fn template_patch(workload: &Workload, fields: &[&Field], declare_os: bool) -> Option<String> {
    if !workload.has_mutable_template() {
        return None;
    }
    // Every operation touches a field inside an array element, never the element itself, so the
    // indices stay valid whatever the order.
    let mut ops: Vec<Value> = fields
        .iter()
        .map(|f| {
            let path = format!("/spec/template/spec{}", f.pointer);
            match &f.replacement {
                Some(v) => json!({"op": "replace", "path": path, "value": v}),
                None => json!({"op": "remove", "path": path}),
            }
        })
        .collect();
    if declare_os {
        ops.push(
            json!({"op": "add", "path": "/spec/template/spec/os", "value": {"name": "windows"}}),
        );
    }
    Some(Value::Array(ops).to_string())
}

fn why_list(fields: &[&Field]) -> String {
    let mut whys: Vec<&str> = Vec::new();
    for field in fields {
        if !whys.contains(&field.why) {
            whys.push(field.why);
        }
    }
    whys.join("; ")
}

fn report_breaking(
    ev: &mut Eval,
    namespace: &str,
    workload: &Workload,
    members: &[&Pod],
    fields: &[&Field],
    events: &[&Event],
) {
    let reference = workload.reference();
    let names = fields
        .iter()
        .map(|f| f.display.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let fix: Fix = if fields.is_empty() {
        ev.fix(
            "read_event",
            &[("namespace", namespace), ("workload", &reference)],
        )
    } else {
        let why = why_list(fields);
        match template_patch(workload, fields, false) {
            Some(patch) => {
                let template = if fields.iter().any(|f| f.pointer.ends_with("/privileged")) {
                    "remove_fields_privileged"
                } else {
                    "remove_fields"
                };
                ev.fix(
                    template,
                    &[
                        ("namespace", namespace),
                        ("workload", &reference),
                        ("fields", &names),
                        ("why", &why),
                        ("patch", &patch),
                    ],
                )
            }
            None => ev.fix(
                "recreate_pod",
                &[
                    ("namespace", namespace),
                    ("workload", &reference),
                    ("fields", &names),
                ],
            ),
        }
    };
    let message = if fields.is_empty() {
        format!(
            "{reference} in {namespace} runs on Windows and a Warning event names a feature Windows does not support ({})",
            pod_count(members)
        )
    } else {
        format!(
            "{reference} in {namespace} sets fields Windows does not support, so its pods cannot run as specified: {names} ({})",
            pod_count(members)
        )
    };
    let finding = ev.emit(
        Status::Fail,
        Subject::namespaced(workload.kind_title(), namespace, &workload.name),
        message,
    );
    for field in fields {
        finding.evidence(field_evidence(members[0], field));
    }
    for event in events.iter().take(3) {
        finding.evidence(Evidence::event(event.reference(), event.excerpt()));
    }
    finding.with_fix(fix);
}

fn report_ignored(
    ev: &mut Eval,
    namespace: &str,
    workload: &Workload,
    members: &[&Pod],
    fields: &[&Field],
) {
    let reference = workload.reference();
    let names = fields
        .iter()
        .map(|f| f.display.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let declared = members[0]
        .spec
        .declared_os()
        .is_some_and(|o| o.eq_ignore_ascii_case("windows"));
    let message = if declared {
        format!(
            "{reference} in {namespace} declares .spec.os.name=windows yet sets {names}; API servers that validate the OS field reject these for Windows pods, this one accepted them and Windows ignores them ({})",
            pod_count(members)
        )
    } else {
        format!(
            "{reference} in {namespace} sets Linux-only fields on a Windows pod that does not declare .spec.os.name=windows: {names}; Windows ignores them, and with the OS declared the API server would reject them ({})",
            pod_count(members)
        )
    };
    let fix = match template_patch(workload, fields, !declared) {
        Some(patch) => ev.fix(
            "declare_os",
            &[
                ("namespace", namespace),
                ("workload", &reference),
                ("fields", &names),
                ("patch", &patch),
            ],
        ),
        None => ev.fix(
            "recreate_pod",
            &[
                ("namespace", namespace),
                ("workload", &reference),
                ("fields", &names),
            ],
        ),
    };
    let finding = ev.emit(
        Status::Warn,
        Subject::namespaced(workload.kind_title(), namespace, &workload.name),
        message,
    );
    for field in fields.iter().take(6) {
        finding.evidence(field_evidence(members[0], field));
    }
    finding.with_fix(fix);
}

#[cfg(test)]
mod tests {
    use super::*;
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
            kind: "deployment".into(),
            name: "web".into(),
        };
        let patch = template_patch(&workload, &refs, false).expect("patch");
        let ops: Value = serde_json::from_str(&patch).expect("json");
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
            kind: "pod".into(),
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
