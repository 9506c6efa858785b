//! The Pod Security admission's answer to a pod that breaks the `baseline`
//! level: 403 Forbidden with the admission plugin's wording, for the
//! baseline checks a node collector pod can trip (host namespaces, hostPath
//! volumes, hostProcess, privileged).
//!
//! Wording, from public sources:
//! - the Status shape and `pods "NAME" is forbidden: violates PodSecurity
//!   "baseline:latest": host namespaces (hostPID=true)` with reason
//!   Forbidden and details name/kind: kubernetes/kubernetes#109096;
//! - several failed checks joined by `, ` in check-ID order, e.g.
//!   `host namespaces (hostNetwork=true, hostPID=true), hostPath volumes
//!   (volume "sys-kernel-debug"), privileged (container "pwru" must not set
//!   securityContext.privileged=true)`: cilium/pwru#583;
//! - the hostProcess detail `pod and containers "e", "f" must not set
//!   securityContext.windowsOptions.hostProcess=true`: the test table of
//!   `check_hostProcess.go` (kubernetes/kubernetes,
//!   staging/src/k8s.io/pod-security-admission/policy).

use serde_json::Value;

use crate::status::{self, ApiError};

/// `"a"` or `"a", "b"`.
fn join_quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `container "a"` or `containers "a", "b"`.
fn containers_phrase(names: &[String]) -> String {
    let word = if names.len() == 1 {
        "container"
    } else {
        "containers"
    };
    format!("{word} {}", join_quoted(names))
}

/// Every container of the pod (init, regular, ephemeral) with its name.
fn containers(pod: &Value) -> impl Iterator<Item = (&str, &Value)> {
    ["initContainers", "containers", "ephemeralContainers"]
        .into_iter()
        .filter_map(move |list| pod["spec"][list].as_array())
        .flatten()
        .map(|c| (c["name"].as_str().unwrap_or(""), c))
}

/// The failed baseline checks of `pod`, each as `reason (detail)`, in the
/// admission plugin's order.
pub(crate) fn baseline_violations(pod: &Value) -> Vec<String> {
    let spec = &pod["spec"];
    let mut out = Vec::new();
    let namespaces: Vec<String> = ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|f| spec[f] == true)
        .map(|f| format!("{f}=true"))
        .collect();
    if !namespaces.is_empty() {
        out.push(format!("host namespaces ({})", namespaces.join(", ")));
    }
    let host_paths: Vec<String> = spec["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v.get("hostPath").is_some())
        .filter_map(|v| v["name"].as_str().map(str::to_string))
        .collect();
    if !host_paths.is_empty() {
        let word = if host_paths.len() == 1 {
            "volume"
        } else {
            "volumes"
        };
        out.push(format!(
            "hostPath volumes ({word} {})",
            join_quoted(&host_paths)
        ));
    }
    let mut setters = Vec::new();
    if spec["securityContext"]["windowsOptions"]["hostProcess"] == true {
        setters.push("pod".to_string());
    }
    let host_process: Vec<String> = containers(pod)
        .filter(|(_, c)| c["securityContext"]["windowsOptions"]["hostProcess"] == true)
        .map(|(n, _)| n.to_string())
        .collect();
    if !host_process.is_empty() {
        setters.push(containers_phrase(&host_process));
    }
    if !setters.is_empty() {
        out.push(format!(
            "hostProcess ({} must not set securityContext.windowsOptions.hostProcess=true)",
            setters.join(" and ")
        ));
    }
    let privileged: Vec<String> = containers(pod)
        .filter(|(_, c)| c["securityContext"]["privileged"] == true)
        .map(|(n, _)| n.to_string())
        .collect();
    if !privileged.is_empty() {
        out.push(format!(
            "privileged ({} must not set securityContext.privileged=true)",
            containers_phrase(&privileged)
        ));
    }
    out
}

/// The 403 for pod `name` breaking `violations` of `baseline:latest`; a pod
/// that breaks nothing is reported for hostProcess, the collector's reason.
pub(crate) fn forbidden(name: &str, violations: &[String]) -> ApiError {
    let detail = if violations.is_empty() {
        "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)".to_string()
    } else {
        violations.join(", ")
    };
    let message =
        format!("pods {name:?} is forbidden: violates PodSecurity \"baseline:latest\": {detail}");
    status::forbidden_message(&message, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn host_process_collector_wording() {
        let pod = json!({"spec": {
            "hostNetwork": true,
            "securityContext": {"windowsOptions": {"hostProcess": true, "runAsUserName": "NT AUTHORITY\\SYSTEM"}},
            "volumes": [{"name": "logs", "hostPath": {"path": "C:\\var\\log"}}, {"name": "tmp", "emptyDir": {}}],
            "containers": [{"name": "collector", "securityContext": {"windowsOptions": {"hostProcess": true}}}]
        }});
        let violations = baseline_violations(&pod);
        assert_eq!(
            violations,
            [
                "host namespaces (hostNetwork=true)",
                "hostPath volumes (volume \"logs\")",
                "hostProcess (pod and container \"collector\" must not set securityContext.windowsOptions.hostProcess=true)"
            ]
        );
        let err = forbidden("collect-win-1", &violations);
        assert_eq!(err.code, 403);
        let body: Value = serde_json::from_slice(&err.body).unwrap_or_default();
        assert_eq!(body["reason"], "Forbidden");
        assert_eq!(
            body["details"],
            json!({"name": "collect-win-1", "kind": "pods"})
        );
        assert!(body["message"].as_str().is_some_and(|m| m.starts_with(
            "pods \"collect-win-1\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true), "
        )));
    }

    #[test]
    fn plural_containers() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "securityContext": {"privileged": true}},
            {"name": "b", "securityContext": {"privileged": true}}
        ]}});
        assert_eq!(
            baseline_violations(&pod),
            ["privileged (containers \"a\", \"b\" must not set securityContext.privileged=true)"]
        );
        assert!(baseline_violations(&json!({"spec": {}})).is_empty());
    }
}
