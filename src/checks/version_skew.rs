//! Check `version-skew`: each Windows node's kubelet against the API server under the Kubernetes
//! version skew policy, which Windows nodes follow like Linux nodes (seed 001 § 윈도우 OS 버전 지원,
//! 000 § 윈도우 운영 체제 버전 호환성). A kubelet newer than the API server, or older by more minor
//! versions than the policy allows (three; two for kubelets before 1.25), fails; one at the oldest
//! allowed minor is reported as info, since the next control plane upgrade will push it out.

use super::Eval;
use crate::facts::versions::Version;
use crate::findings::{Evidence, Status, Subject};

/// How a kubelet version relates to the API server under the skew policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skew {
    /// Newer than the API server (minor or major).
    TooNew,
    /// Older by `behind` minors, more than `allowed`.
    TooOld { behind: u32, allowed: u32 },
    /// Older by exactly the most the policy allows.
    AtEdge { behind: u32 },
    /// Same minor or within the policy.
    Within { behind: u32, allowed: u32 },
}

/// The minor versions a kubelet may lag the API server: three, or two for kubelets before 1.25
/// (for an API server before 1.28 the two rules give the same answer); the policy is data in
/// `checks/data/thresholds.toml`.
fn allowed_lag(kubelet: &Version) -> u32 {
    let policy = &crate::catalogue::data::thresholds().kubelet_skew;
    if kubelet.major == 1 && kubelet.minor < u64::from(policy.older_before_minor) {
        policy.older_lag
    } else {
        policy.lag
    }
}

fn classify(kubelet: &Version, server: &Version) -> Skew {
    if (kubelet.major, kubelet.minor) > (server.major, server.minor) {
        return Skew::TooNew;
    }
    let allowed = allowed_lag(kubelet);
    if kubelet.major != server.major {
        return Skew::TooOld {
            behind: u32::MAX,
            allowed,
        };
    }
    let behind = u32::try_from(server.minor - kubelet.minor).unwrap_or(u32::MAX);
    if behind > allowed {
        Skew::TooOld { behind, allowed }
    } else if behind == allowed {
        Skew::AtEdge { behind }
    } else {
        Skew::Within { behind, allowed }
    }
}

fn minors(n: u32) -> String {
    if n == 1 {
        "1 minor version".to_string()
    } else {
        format!("{n} minor versions")
    }
}

pub fn run(ev: &mut Eval) {
    let Some((_, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    let Some(version) = ev.version() else { return };
    let Some(server) = ev.server_semver() else {
        // The input was read but cannot be used: reported in the reserved part `input`.
        ev.part("input");
        ev.emit(
            Status::Error,
            Subject::new("Input", "version"),
            format!(
                "the API server version {:?} (major {:?}, minor {:?}) cannot be parsed",
                version.git_version, version.major, version.minor
            ),
        );
        return;
    };
    let server_text = if version.git_version.is_empty() {
        format!("v{server}")
    } else {
        version.git_version.clone()
    };
    let target = format!("v{server}");
    let version_evidence = Evidence::api("/version .gitVersion", server_text.clone());

    for node in windows {
        let name = node.name();
        let raw = &node.status.node_info.kubelet_version;
        let kubelet_evidence = Evidence::api(
            format!("Node/{name} .status.nodeInfo.kubeletVersion"),
            raw.clone(),
        );
        let Some(kubelet) = crate::facts::versions::parse(raw) else {
            ev.part("kubelet-version-unknown");
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!(
                    "{name} reports kubelet version {raw:?}, which is not a Kubernetes version; its skew against the API server {server_text} cannot be judged"
                ),
            )
            .evidence(kubelet_evidence);
            continue;
        };
        let vars = [
            ("node", name),
            ("kubelet", raw.as_str()),
            ("server", server_text.as_str()),
            ("target", target.as_str()),
        ];
        let skew = classify(&kubelet, &server);
        ev.part(if skew == Skew::TooNew {
            "kubelet-too-new"
        } else {
            "kubelet-too-old"
        });
        match skew {
            Skew::TooNew => {
                let fix = ev.fix("kubelet_too_new", &vars);
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!(
                        "{name}: kubelet {raw} is newer than the API server {server_text}; the version skew policy never allows a kubelet newer than the API server"
                    ),
                )
                .evidence(kubelet_evidence)
                .evidence(version_evidence.clone())
                .with_fix(fix);
            }
            Skew::TooOld { behind, allowed } => {
                let fix = ev.fix("kubelet_too_old", &vars);
                let lag = if behind == u32::MAX {
                    format!("a different major version than the API server {server_text}")
                } else {
                    format!("{} behind the API server {server_text}", minors(behind))
                };
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!(
                        "{name}: kubelet {raw} is {lag}; the version skew policy allows at most {} for this kubelet",
                        minors(allowed)
                    ),
                )
                .evidence(kubelet_evidence)
                .evidence(version_evidence.clone())
                .with_fix(fix);
            }
            Skew::AtEdge { behind } => {
                let fix = ev.fix("kubelet_too_old", &vars);
                ev.emit(
                    Status::Info,
                    Subject::node(name),
                    format!(
                        "{name}: kubelet {raw} is {} behind the API server {server_text}, the oldest the version skew policy allows; upgrade it before the next control plane upgrade",
                        minors(behind)
                    ),
                )
                .evidence(kubelet_evidence)
                .evidence(version_evidence.clone())
                .with_fix(fix);
            }
            Skew::Within { behind: 0, .. } => {
                ev.emit(
                    Status::Pass,
                    Subject::node(name),
                    format!("{name}: kubelet {raw} is on the API server's minor version ({server_text})"),
                )
                .evidence(kubelet_evidence);
            }
            Skew::Within { behind, allowed } => {
                ev.emit(
                    Status::Pass,
                    Subject::node(name),
                    format!(
                        "{name}: kubelet {raw} is {} behind the API server {server_text} (the policy allows {})",
                        minors(behind),
                        minors(allowed)
                    ),
                )
                .evidence(kubelet_evidence);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_on_files("version-skew", files)
    }

    fn node(name: &str, kubelet: &str) -> String {
        format!(
            r#"{{"metadata":{{"name":"{name}","labels":{{"kubernetes.io/os":"windows"}}}},"status":{{"nodeInfo":{{"kubeletVersion":"{kubelet}","operatingSystem":"windows"}}}}}}"#
        )
    }

    #[test]
    fn policy_allows_three_minors_from_1_25_and_two_before() {
        let v = |s: &str| crate::facts::versions::parse(s).expect("version");
        assert_eq!(
            classify(&v("v1.25.0"), &v("v1.28.1")),
            Skew::AtEdge { behind: 3 }
        );
        assert_eq!(
            classify(&v("v1.24.9"), &v("v1.27.1")),
            Skew::TooOld {
                behind: 3,
                allowed: 2
            }
        );
        assert_eq!(
            classify(&v("v1.24.9"), &v("v1.26.1")),
            Skew::AtEdge { behind: 2 }
        );
        assert_eq!(
            classify(&v("v1.30.9"), &v("v1.30.1")),
            Skew::Within {
                behind: 0,
                allowed: 3
            }
        );
        assert_eq!(classify(&v("v1.31.0"), &v("v1.30.9")), Skew::TooNew);
    }

    #[test]
    fn newer_patch_of_the_same_minor_passes() {
        let nodes = format!(r#"{{"items":[{}]}}"#, node("win-1", "v1.30.9"));
        let findings = run_on(&[
            (
                "cluster/version.json",
                r#"{"major":"1","minor":"30","gitVersion":"v1.30.2"}"#,
            ),
            ("cluster/nodes.json", &nodes),
        ]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Pass);
        assert!(findings[0].message.contains("minor version"));
    }

    #[test]
    fn unparseable_kubelet_version_warns_and_other_nodes_are_still_judged() {
        let nodes = format!(
            r#"{{"items":[{},{}]}}"#,
            node("win-1", ""),
            node("win-2", "v1.26.0")
        );
        let findings = run_on(&[
            (
                "cluster/version.json",
                r#"{"major":"1","minor":"30","gitVersion":"v1.30.2"}"#,
            ),
            ("cluster/nodes.json", &nodes),
        ]);
        let statuses: Vec<Status> = findings.iter().map(|f| f.status).collect();
        assert_eq!(statuses, vec![Status::Warn, Status::Fail]);
        let fix = findings[1].fix.as_ref().expect("fix");
        assert!(fix
            .commands
            .iter()
            .any(|c| c.contains("https://dl.k8s.io/v1.30.2/bin/windows/amd64/kubelet.exe")));
    }

    #[test]
    fn version_from_minor_only_when_git_version_is_absent() {
        let nodes = format!(r#"{{"items":[{}]}}"#, node("win-1", "v1.28.3"));
        let findings = run_on(&[
            ("cluster/version.json", r#"{"major":"1","minor":"28+"}"#),
            ("cluster/nodes.json", &nodes),
        ]);
        assert_eq!(findings[0].status, Status::Pass);
    }

    #[test]
    fn no_windows_nodes_skips_without_reading_the_version() {
        let findings = run_on(&[(
            "cluster/nodes.json",
            r#"{"items":[{"metadata":{"name":"l","labels":{"kubernetes.io/os":"linux"}}}]}"#,
        )]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Skip);
        assert!(findings[0].message.contains("no Windows nodes"));
    }
}
