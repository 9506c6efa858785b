//! Check `container-runtime`: each Windows node's `.status.nodeInfo.containerRuntimeVersion` against
//! the runtimes documented for Windows (seed 000 § 컨테이너 런타임: containerd 1.4.0+, Mirantis
//! Container Runtime; 001: Docker EE through the dockershim). containerd older than 1.4 fails. Docker is
//! judged by the node's kubelet version (else the API server's): from 1.24 the dockershim is gone, so a
//! kubelet that cannot reach Docker fails and one that can (through cri-dockerd, the Mirantis way) is a
//! warning; before 1.24 Docker works but blocks the upgrade, which is a warning too. Anything else warns.

use super::Eval;
use crate::facts::k8s::Node;
use crate::catalogue::data::thresholds;
use crate::facts::versions::{threshold, Runtime, Version};
use crate::findings::{Evidence, Status, Subject};

/// containerd 1.4.0 (`checks/data/thresholds.toml`).
fn containerd_minimum() -> Version {
    threshold(&thresholds().containerd_minimum)
}

/// Kubernetes 1.24, the first release without the dockershim (`checks/data/thresholds.toml`).
fn dockershim_removed() -> Version {
    threshold(&thresholds().dockershim_removed)
}

pub fn run(ev: &mut Eval) {
    let Some((_, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    for node in windows {
        let name = node.name();
        let raw = node.status.node_info.container_runtime_version.as_str();
        let runtime_evidence = Evidence::api(
            format!("Node/{name} .status.nodeInfo.containerRuntimeVersion"),
            raw,
        );
        let runtime = Runtime::parse(raw);
        match runtime.name.as_str() {
            "containerd" => match runtime.version {
                Some(v) if v >= containerd_minimum() => {
                    ev.part("containerd-too-old");
                    ev.emit(
                        Status::Pass,
                        Subject::node(name),
                        format!(
                            "{name} runs containerd {}, at or above 1.4.0, the minimum for Windows nodes",
                            version_text(raw)
                        ),
                    )
                    .evidence(runtime_evidence);
                }
                Some(_) => {
                    ev.part("containerd-too-old");
                    let version = version_text(raw);
                    let fix = ev.fix(
                        "upgrade_containerd",
                        &[("node", name), ("version", version)],
                    );
                    ev.emit(
                        Status::Fail,
                        Subject::node(name),
                        format!(
                            "{name} runs containerd {version}, older than 1.4.0, the first containerd release supported on Windows nodes"
                        ),
                    )
                    .evidence(runtime_evidence)
                    .with_fix(fix);
                }
                None => {
                    ev.part("containerd-version-unknown");
                    let fix = ev.fix("check_runtime", &[("node", name)]);
                    ev.emit(
                        Status::Warn,
                        Subject::node(name),
                        format!("{name} runs containerd but reports no readable version ({raw:?}); containerd 1.4.0 or later is required"),
                    )
                    .evidence(runtime_evidence)
                    .with_fix(fix);
                }
            },
            "docker" => docker(ev, node, &runtime, runtime_evidence),
            _ => {
                ev.part("undocumented-runtime");
                let fix = ev.fix("check_runtime", &[("node", name)]);
                let message = if raw.trim().is_empty() {
                    format!("{name} reports no container runtime (.status.nodeInfo.containerRuntimeVersion is empty); Windows nodes need containerd 1.4.0+ or Mirantis Container Runtime")
                } else {
                    format!("{name} runs {raw:?}, which is not a container runtime documented for Windows nodes (containerd 1.4.0+, Mirantis Container Runtime)")
                };
                ev.emit(Status::Warn, Subject::node(name), message)
                    .evidence(runtime_evidence)
                    .with_fix(fix);
            }
        }
    }
}

/// A Docker runtime: judged by the kubelet version (or the API server's when the kubelet's is unknown)
/// and, from 1.24, by whether the kubelet can reach it at all.
fn docker(ev: &mut Eval, node: &Node, runtime: &Runtime, runtime_evidence: Evidence) {
    ev.part("dockershim-removed");
    let name = node.name();
    let raw = runtime.raw.as_str();
    let kubelet = node.kubelet_semver();
    // The API server version matters only when the kubelet's does not settle the question.
    let needs_server = kubelet.as_ref().is_none_or(|k| *k < dockershim_removed());
    let server = if needs_server && ev.version().is_some() {
        ev.server_semver()
    } else {
        None
    };
    let fix = ev.fix("migrate_to_containerd", &[("node", name), ("runtime", raw)]);
    let kubelet_text = node.status.node_info.kubelet_version.as_str();
    let kubelet_evidence = Evidence::api(
        format!("Node/{name} .status.nodeInfo.kubeletVersion"),
        kubelet_text,
    );
    // The version the dockershim question is asked of, and how to name it in a message.
    let (effective, whose) = match (&kubelet, &server) {
        (Some(k), _) => (Some(k.clone()), format!("kubelet {kubelet_text}")),
        (None, Some(s)) => (
            Some(s.clone()),
            format!("the API server v{s} (the node reports no kubelet version)"),
        ),
        (None, None) => (None, String::new()),
    };
    let Some(effective) = effective else {
        ev.emit(
            Status::Warn,
            Subject::node(name),
            format!("{name} runs Docker ({raw}) and neither its kubelet version nor the API server version is known, so whether the removed dockershim affects it cannot be judged"),
        )
        .evidence(runtime_evidence)
        .with_fix(fix);
        return;
    };
    if effective >= dockershim_removed() {
        let ready = node.condition("Ready");
        let cannot_reach = ready.is_some_and(|c| {
            c.status != "True"
                && c.message
                    .as_deref()
                    .is_some_and(|m| ev.pattern("runtime_down").is_match(m))
        });
        let ready_evidence = ready.map(|c| {
            Evidence::api(
                format!("Node/{name} .status.conditions[Ready]"),
                format!(
                    "status={} reason={} message={:?}",
                    c.status,
                    c.reason.as_deref().unwrap_or(""),
                    c.message.as_deref().unwrap_or("")
                ),
            )
        });
        let finding = if cannot_reach {
            ev.emit(
                Status::Fail,
                Subject::node(name),
                format!("{name} runs Docker ({raw}) under {whose}, but the dockershim was removed in Kubernetes 1.24 and the kubelet cannot reach a container runtime"),
            )
        } else {
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} runs Docker ({raw}) under {whose}: since the dockershim was removed in Kubernetes 1.24 this works only through cri-dockerd, which is documented for Windows only as Mirantis Container Runtime; containerd is the documented runtime"),
            )
        };
        finding
            .evidence(runtime_evidence)
            .evidence(kubelet_evidence);
        if let Some(e) = ready_evidence {
            finding.evidence(e);
        }
        finding.with_fix(fix);
        return;
    }
    ev.part("dockershim-deprecated");
    let message = match &server {
        Some(s) if *s >= dockershim_removed() => format!(
            "{name} runs Docker ({raw}) through the dockershim of kubelet {kubelet_text}; the dockershim was removed in Kubernetes 1.24, so this node cannot be upgraded to the API server's v{s} without moving to containerd"
        ),
        _ => format!(
            "{name} runs Docker ({raw}) through the dockershim of {whose}: documented for this version (Docker EE), but deprecated since 1.20 and removed in 1.24, so the node must move to containerd before it can be upgraded past 1.23"
        ),
    };
    let finding = ev.emit(Status::Warn, Subject::node(name), message);
    finding.evidence(runtime_evidence);
    if kubelet.is_some() {
        finding.evidence(kubelet_evidence);
    }
    if let Some(c) = node.condition("Ready").filter(|c| c.status != "True") {
        finding.evidence(Evidence::api(
            format!("Node/{name} .status.conditions[Ready]"),
            format!(
                "status={} reason={} message={:?}",
                c.status,
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            ),
        ));
    }
    finding.with_fix(fix);
}

/// The version part of `containerd://1.7.20+azure` as the node reports it.
fn version_text(raw: &str) -> &str {
    raw.split_once("://").map(|(_, v)| v).unwrap_or(raw)
}

#[cfg(test)]
mod tests {
    use crate::findings::{Finding, Status};

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_on_files("container-runtime", files)
    }

    fn nodes(runtime: &str, kubelet: &str, ready: &str) -> String {
        format!(
            r#"{{"items":[{{"metadata":{{"name":"win-1","labels":{{"kubernetes.io/os":"windows"}}}},
              "status":{{"conditions":[{ready}],"nodeInfo":{{"containerRuntimeVersion":"{runtime}","kubeletVersion":"{kubelet}","operatingSystem":"windows"}}}}}}]}}"#
        )
    }

    const READY: &str = r#"{"type":"Ready","status":"True"}"#;

    #[test]
    fn containerd_boundary_is_1_4_0() {
        let f = run_on(&[(
            "cluster/nodes.json",
            &nodes("containerd://1.4.0", "v1.20.0", READY),
        )]);
        assert_eq!(f[0].status, Status::Pass);
        let f = run_on(&[(
            "cluster/nodes.json",
            &nodes("containerd://1.3.9", "v1.20.0", READY),
        )]);
        assert_eq!(f[0].status, Status::Fail);
        assert!(f[0].message.contains("containerd 1.3.9"));
    }

    #[test]
    fn docker_through_cri_dockerd_on_a_ready_1_26_node_warns_not_fails() {
        let f = run_on(&[(
            "cluster/nodes.json",
            &nodes("docker://20.10.21", "v1.26.5", READY),
        )]);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0].message.contains("cri-dockerd"));
        // The version input was not needed: the kubelet version decided, so no skip was recorded.
        assert!(f.iter().all(|x| x.status != Status::Skip));
    }

    #[test]
    fn docker_with_unknown_kubelet_uses_the_server_version() {
        let f = run_on(&[
            (
                "cluster/version.json",
                r#"{"major":"1","minor":"27","gitVersion":"v1.27.6"}"#,
            ),
            (
                "cluster/nodes.json",
                &nodes(
                    "docker://20.10.9",
                    "",
                    r#"{"type":"Ready","status":"False","message":"container runtime is down"}"#,
                ),
            ),
        ]);
        assert_eq!(f[0].status, Status::Fail);
        assert!(f[0].message.contains("the API server v1.27.6"));
        let fix = f[0].fix.as_ref().expect("fix");
        assert!(fix.text.contains("win-1"));
    }

    #[test]
    fn docker_on_an_old_cluster_warns_about_the_upgrade() {
        let f = run_on(&[
            (
                "cluster/version.json",
                r#"{"major":"1","minor":"20","gitVersion":"v1.20.15"}"#,
            ),
            (
                "cluster/nodes.json",
                &nodes("docker://19.3.14", "v1.20.15", READY),
            ),
        ]);
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0].message.contains("deprecated since 1.20"));
    }

    #[test]
    fn empty_and_unknown_runtimes_warn() {
        let f = run_on(&[("cluster/nodes.json", &nodes("", "v1.30.0", READY))]);
        assert_eq!(f[0].status, Status::Warn);
        assert!(f[0].message.contains("reports no container runtime"));
        let f = run_on(&[(
            "cluster/nodes.json",
            &nodes("cri-o://1.30.0", "v1.30.0", READY),
        )]);
        assert_eq!(f[0].status, Status::Warn);
        let f = run_on(&[(
            "cluster/nodes.json",
            &nodes("containerd://dev", "v1.30.0", READY),
        )]);
        assert_eq!(f[0].status, Status::Warn);
    }
}
