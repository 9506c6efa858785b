//! The fields of a pod spec Windows does not support: those that break the pod (fail) and the
//! Linux identity and security settings Windows ignores (warn, from `checks/data/pod-fields.toml`).

use super::{remove, Field};
use crate::facts::k8s::{Container, Pod, PodSecurityContext, SecurityContext};
use crate::findings::Status;
use serde_json::Value;

/// The fields of `pod`'s spec that Windows does not support.
pub(super) fn unsupported_fields(pod: &Pod) -> Vec<Field> {
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
        for f in &crate::catalogue::data::pod_fields().pod_security_context {
            if pod_field_set(sc, &f.field) == Some(true) {
                out.push(remove(
                    Status::Warn,
                    format!("securityContext.{}", f.field),
                    format!("/securityContext/{}", f.field),
                    &f.why,
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
    for f in &crate::catalogue::data::pod_fields().container_security_context {
        if container_field_set(sc, &f.field) == Some(true) {
            out.push(remove(
                Status::Warn,
                format!("{list}[{name}].securityContext.{}", f.field),
                format!("{base}/securityContext/{}", f.field),
                &f.why,
            ));
        }
    }
}

/// Whether the pod-level securityContext field `field` (as `checks/data/pod-fields.toml` names it)
/// is set; `None` for a name this check cannot read (a test rules those out).
pub(super) fn pod_field_set(sc: &PodSecurityContext, field: &str) -> Option<bool> {
    Some(match field {
        "runAsUser" => sc.run_as_user.is_some(),
        "runAsGroup" => sc.run_as_group.is_some(),
        "fsGroup" => sc.fs_group.is_some(),
        "fsGroupChangePolicy" => sc.fs_group_change_policy.is_some(),
        "supplementalGroups" => !sc.supplemental_groups.is_empty(),
        "seLinuxOptions" => sc.se_linux_options.is_some(),
        "seccompProfile" => sc.seccomp_profile.is_some(),
        "sysctls" => !sc.sysctls.is_empty(),
        _ => return None,
    })
}

/// Whether the container securityContext field `field` is set; `None` for an unknown name.
pub(super) fn container_field_set(sc: &SecurityContext, field: &str) -> Option<bool> {
    Some(match field {
        "runAsUser" => sc.run_as_user.is_some(),
        "runAsGroup" => sc.run_as_group.is_some(),
        "seLinuxOptions" => sc.se_linux_options.is_some(),
        "seccompProfile" => sc.seccomp_profile.is_some(),
        "capabilities" => sc.capabilities.is_some(),
        "readOnlyRootFilesystem" => sc.read_only_root_filesystem.is_some(),
        "allowPrivilegeEscalation" => sc.allow_privilege_escalation.is_some(),
        "procMount" => sc.proc_mount.is_some(),
        _ => return None,
    })
}
