//! Check `service-limits`: Services whose selected pods run on Windows nodes, judged against the
//! Windows load-balancer limits of seed 001 (§ 네트워킹 제한, § 세션 어피니티, § 로드 밸런싱과 서비스): at
//! most 64 backends per Service; session affinity only on build 19551+ and never with a custom
//! timeoutSeconds; local external traffic policy (DSR) on Windows Server 2004+ and preserve-destination
//! on 1903+, both with kube-proxy's WinDSR flags. See checks/service-limits.toml.

use super::Eval;
use crate::facts::k8s::{Node, Pod, Service};
use crate::findings::{Evidence, Status, Subject};
use std::collections::{BTreeMap, BTreeSet};

/// The limits of `checks/data/thresholds.toml` this check applies.
struct Limits {
    /// Seed 001: "한 서비스는 최대 64개의 백엔드 파드 또는 고유한 목적지 IP를 지원할 수 있다".
    max_backends: usize,
    /// Session affinity on Windows: Windows Server vNext Insider Preview build 19551 or later.
    affinity_min_build: u32,
    /// Direct server return: Windows Server version 2004.
    dsr_min_build: u32,
    /// Preserve-destination: Windows Server version 1903.
    preserve_destination_min_build: u32,
}

fn limits() -> Limits {
    let t = crate::catalogue::data::thresholds();
    let build = |n: &crate::catalogue::data::NumberThreshold| u32::try_from(n.value).unwrap_or(u32::MAX);
    Limits {
        max_backends: usize::try_from(t.service_max_backends.value).unwrap_or(usize::MAX),
        affinity_min_build: build(&t.session_affinity_min_build),
        dsr_min_build: build(&t.dsr_min_build),
        preserve_destination_min_build: build(&t.preserve_destination_min_build),
    }
}
/// The API server's default for `sessionAffinityConfig.clientIP.timeoutSeconds` with ClientIP.
const DEFAULT_AFFINITY_TIMEOUT: i64 = 10800;

pub fn run(ev: &mut Eval) {
    let Some(nodes) = ev.nodes() else { return };
    let windows: BTreeMap<&str, &Node> = nodes
        .iter()
        .filter(|n| n.is_windows())
        .map(|n| (n.name(), n))
        .collect();
    if windows.is_empty() {
        ev.not_applicable(format!(
            "no Windows nodes in the cluster ({} nodes): Windows Service limits do not apply",
            nodes.len()
        ));
        return;
    }
    let Some(pods) = ev.pods() else { return };
    let Some(services) = ev.services() else {
        return;
    };

    let mut windows_backed = 0usize;
    let mut within_limit = 0usize;
    let mut largest: Option<(String, usize)> = None;
    let _ = pods;
    let lookup = ev.model().pod_lookup();
    for service in services {
        let backends: Vec<&Pod> = lookup
            .backends(service)
            .into_iter()
            .filter(|p| is_active(p))
            .collect();
        let on_windows: Vec<&Pod> = backends
            .iter()
            .copied()
            .filter(|p| runs_on_windows(p, &windows))
            .collect();
        if on_windows.is_empty() {
            continue;
        }
        windows_backed += 1;
        let hosts: BTreeSet<&str> = on_windows.iter().filter_map(|p| p.node_name()).collect();
        let host_nodes: Vec<&Node> = hosts
            .iter()
            .filter_map(|h| windows.get(h).copied())
            .collect();
        let ctx = ServiceContext {
            service,
            key: format!("{}/{}", service.namespace(), service.name()),
            backends: backends.len(),
            on_windows: on_windows.len(),
            hosts: host_nodes,
        };
        if check_backend_count(ev, &ctx) {
            within_limit += 1;
            if largest.as_ref().is_none_or(|(_, n)| ctx.backends > *n) {
                largest = Some((ctx.key.clone(), ctx.backends));
            }
        }
        check_affinity(ev, &ctx);
        check_dsr_features(ev, &ctx);
    }
    if windows_backed == 0 {
        ev.not_applicable(format!(
            "none of the {} Services selects pods running on Windows nodes",
            services.len()
        ));
    } else if within_limit > 0 {
        ev.part("too-many-backends");
        let largest = largest
            .map(|(k, n)| format!(" (largest: {k} with {n} backend(s))"))
            .unwrap_or_default();
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "{within_limit} Service(s) with Windows backends within the limit of {} backends{largest}",
                limits().max_backends
            ),
        );
    }
}

/// A pod that is or will be a backend: not finished.
fn is_active(pod: &Pod) -> bool {
    !matches!(
        pod.status.phase.as_deref(),
        Some("Succeeded") | Some("Failed")
    )
}

/// On a Windows node, or not yet scheduled but meant for Windows.
fn runs_on_windows(pod: &Pod, windows: &BTreeMap<&str, &Node>) -> bool {
    match pod.node_name() {
        Some(node) => windows.contains_key(node),
        None => pod.spec.targets_windows(),
    }
}

struct ServiceContext<'a> {
    service: &'a Service,
    key: String,
    backends: usize,
    on_windows: usize,
    hosts: Vec<&'a Node>,
}

impl ServiceContext<'_> {
    fn subject(&self) -> Subject {
        Subject::namespaced("Service", self.service.namespace(), self.service.name())
    }

    /// Windows nodes hosting its pods whose build is below `min` (unknown builds are not counted).
    fn hosts_below(&self, min: u32) -> Vec<String> {
        self.hosts
            .iter()
            .filter_map(|n| {
                n.windows_build()
                    .filter(|b| *b < min)
                    .map(|b| format!("{} ({b})", n.name()))
            })
            .collect()
    }

    fn hosts_evidence(&self) -> Evidence {
        let builds: Vec<String> = self
            .hosts
            .iter()
            .map(|n| {
                format!(
                    "{} kernel {}",
                    n.name(),
                    if n.status.node_info.kernel_version.is_empty() {
                        "unknown"
                    } else {
                        &n.status.node_info.kernel_version
                    }
                )
            })
            .collect();
        Evidence::api("Node/* .status.nodeInfo.kernelVersion", builds.join(", "))
    }
}

/// Fails over the backend limit; true when within it.
fn check_backend_count(ev: &mut Eval, ctx: &ServiceContext) -> bool {
    ev.part("too-many-backends");
    let max_backends = limits().max_backends;
    if ctx.backends <= max_backends {
        return true;
    }
    let selector = selector_text(ctx.service);
    let count = ctx.backends.to_string();
    let fix = ev.fix(
        "too_many",
        &[
            ("service", &ctx.key),
            ("count", &count),
            ("namespace", ctx.service.namespace()),
            ("name", ctx.service.name()),
            ("selector", &selector),
        ],
    );
    ev.emit(
        Status::Fail,
        ctx.subject(),
        format!(
            "Service {} selects {} backend pods ({} on Windows nodes); a Service on Windows supports at most {max_backends}",
            ctx.key, ctx.backends, ctx.on_windows
        ),
    )
    .evidence(Evidence::api(
        format!("Service/{} .spec.selector", ctx.key),
        format!("{selector} -> {} active pods, {} of them on Windows nodes", ctx.backends, ctx.on_windows),
    ))
    .with_fix(fix);
    false
}

fn selector_text(service: &Service) -> String {
    service
        .spec
        .selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn check_affinity(ev: &mut Eval, ctx: &ServiceContext) {
    ev.part("session-affinity");
    let spec = &ctx.service.spec;
    if spec.session_affinity.as_deref() != Some("ClientIP") {
        return;
    }
    let affinity_min_build = limits().affinity_min_build;
    let old = ctx.hosts_below(affinity_min_build);
    if !old.is_empty() {
        let nodes = old.join(", ");
        let fix = ev.fix(
            "affinity_build",
            &[("service", &ctx.key), ("nodes", &nodes)],
        );
        ev.emit(
            Status::Warn,
            ctx.subject(),
            format!("Service {} uses sessionAffinity ClientIP, but Windows nodes {nodes} run builds older than {affinity_min_build}, which do not support session affinity", ctx.key),
        )
        .evidence(Evidence::api(format!("Service/{} .spec.sessionAffinity", ctx.key), "ClientIP"))
        .evidence(ctx.hosts_evidence())
        .with_fix(fix);
    }
    let timeout = spec
        .session_affinity_config
        .as_ref()
        .and_then(|c| c.client_ip.as_ref())
        .and_then(|c| c.timeout_seconds);
    if let Some(t) = timeout.filter(|t| *t != DEFAULT_AFFINITY_TIMEOUT) {
        let timeout_text = t.to_string();
        let fix = ev.fix(
            "affinity_timeout",
            &[
                ("service", &ctx.key),
                ("timeout", &timeout_text),
                ("namespace", ctx.service.namespace()),
                ("name", ctx.service.name()),
            ],
        );
        ev.emit(
            Status::Warn,
            ctx.subject(),
            format!("Service {} sets sessionAffinityConfig.clientIP.timeoutSeconds {t}, which Windows does not support: stickiness on its Windows backends does not expire after {t}s", ctx.key),
        )
        .evidence(Evidence::api(
            format!("Service/{} .spec.sessionAffinityConfig.clientIP.timeoutSeconds", ctx.key),
            timeout_text,
        ))
        .with_fix(fix);
    }
}

/// True when the Service carries `preserve-destination: "true"` (bare or prefixed key).
fn preserves_destination(service: &Service) -> bool {
    service.metadata.annotations.iter().any(|(k, v)| {
        (k == "preserve-destination" || k.ends_with("/preserve-destination"))
            && v.trim().eq_ignore_ascii_case("true")
    })
}

fn check_dsr_features(ev: &mut Eval, ctx: &ServiceContext) {
    ev.part("dsr-features");
    let mut features: Vec<(&str, u32, &str, Evidence)> = Vec::new();
    if ctx.service.spec.external_traffic_policy.as_deref() == Some("Local") {
        features.push((
            "externalTrafficPolicy Local (direct server return)",
            limits().dsr_min_build,
            "version 2004",
            Evidence::api(
                format!("Service/{} .spec.externalTrafficPolicy", ctx.key),
                "Local",
            ),
        ));
    }
    if preserves_destination(ctx.service) {
        features.push((
            "preserve-destination",
            limits().preserve_destination_min_build,
            "version 1903",
            Evidence::api(
                format!("Service/{} .metadata.annotations", ctx.key),
                "preserve-destination: \"true\"",
            ),
        ));
    }
    for (feature, min_build, min_release, evidence) in features {
        let old = ctx.hosts_below(min_build);
        let fix = ev.fix(
            "dsr",
            &[
                ("feature", feature),
                ("min_release", min_release),
                ("service", &ctx.key),
            ],
        );
        if old.is_empty() {
            ev.emit(
                Status::Info,
                ctx.subject(),
                format!("Service {} uses {feature}: its Windows nodes have a new enough build (Windows Server {min_release}+), and kube-proxy there must run with --feature-gates=\"WinDSR=true\" --enable-dsr=true", ctx.key),
            )
            .evidence(evidence)
            .evidence(ctx.hosts_evidence())
            .with_fix(fix);
        } else {
            ev.emit(
                Status::Warn,
                ctx.subject(),
                format!("Service {} uses {feature}, which needs Windows Server {min_release} or later, but its pods run on {}", ctx.key, old.join(", ")),
            )
            .evidence(evidence)
            .evidence(ctx.hosts_evidence())
            .with_fix(fix);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).expect("node")
    }
    fn pod(json: &str) -> Pod {
        serde_json::from_str(json).expect("pod")
    }
    fn service(json: &str) -> Service {
        serde_json::from_str(json).expect("service")
    }

    #[test]
    fn windows_backends_by_node_or_pending_spec() {
        let w = node("metadata: {name: win-1, labels: {kubernetes.io/os: windows}}\n");
        let windows: BTreeMap<&str, &Node> = [("win-1", &w)].into_iter().collect();
        assert!(runs_on_windows(
            &pod(r#"{"spec":{"nodeName":"win-1"}}"#),
            &windows
        ));
        assert!(!runs_on_windows(
            &pod(r#"{"spec":{"nodeName":"linux-1"}}"#),
            &windows
        ));
        assert!(runs_on_windows(
            &pod(r#"{"spec":{"nodeSelector":{"kubernetes.io/os":"windows"}}}"#),
            &windows
        ));
        assert!(!is_active(&pod(r#"{"status":{"phase":"Succeeded"}}"#)));
        assert!(is_active(&pod(r#"{"status":{"phase":"Pending"}}"#)));
    }

    #[test]
    fn builds_below_a_minimum_are_named_and_unknown_builds_ignored() {
        let old =
            node("metadata: {name: w2019}\nstatus: {nodeInfo: {kernelVersion: 10.0.17763.6054}}\n");
        let new =
            node("metadata: {name: w2022}\nstatus: {nodeInfo: {kernelVersion: 10.0.20348.2700}}\n");
        let unknown = node("metadata: {name: w}\n");
        let svc = service(r#"{"metadata":{"name":"s","namespace":"n"}}"#);
        let ctx = ServiceContext {
            service: &svc,
            key: "n/s".into(),
            backends: 3,
            on_windows: 3,
            hosts: vec![&old, &new, &unknown],
        };
        assert_eq!(
            ctx.hosts_below(limits().dsr_min_build),
            vec!["w2019 (17763)".to_string()]
        );
        assert!(ctx.hosts_below(17000).is_empty());
        assert!(ctx.hosts_evidence().excerpt.contains("w kernel unknown"));
    }

    #[test]
    fn preserve_destination_annotation_forms() {
        assert!(preserves_destination(&service(
            r#"{"metadata":{"annotations":{"preserve-destination":"true"}}}"#
        )));
        assert!(preserves_destination(&service(
            r#"{"metadata":{"annotations":{"service.kubernetes.io/preserve-destination":"True"}}}"#
        )));
        assert!(!preserves_destination(&service(
            r#"{"metadata":{"annotations":{"preserve-destination":"false"}}}"#
        )));
    }
    const CHECK_ID: &str = "service-limits";

    /// Runs the whole check on a tiny in-memory bundle, as the catalogue examples do.
    fn run_check(files: &[(&str, &str)]) -> Vec<crate::findings::Finding> {
        crate::checks::testing::run_on_files(CHECK_ID, files)
    }

    fn with_status(findings: &[crate::findings::Finding], status: Status) -> Vec<&str> {
        crate::checks::testing::messages_with_status(findings, status)
    }

    #[test]
    fn finished_pods_do_not_count_and_default_affinity_timeout_is_quiet() {
        let mut pods = String::from("items:\n");
        for i in 0..70 {
            let phase = if i < 10 { "Succeeded" } else { "Running" };
            pods.push_str(&format!("- {{metadata: {{name: job-{i}, namespace: batch, labels: {{app: worker}}}}, spec: {{nodeName: w2022}}, status: {{phase: {phase}}}}}\n"));
        }
        let nodes = "items:\n- metadata: {name: w2022, labels: {kubernetes.io/os: windows}}\n  status: {nodeInfo: {kernelVersion: 10.0.20348.1}}\n";
        let services = "items:\n- metadata: {name: worker, namespace: batch}\n  spec: {selector: {app: worker}, sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}}\n";
        let f = run_check(&[
            ("cluster/nodes.yaml", nodes),
            ("cluster/pods.yaml", &pods),
            ("cluster/services.yaml", services),
        ]);
        assert!(with_status(&f, Status::Fail).is_empty(), "{f:?}");
        assert!(with_status(&f, Status::Warn).is_empty(), "{f:?}");
        assert!(with_status(&f, Status::Pass)[0].contains("with 60 backend(s)"));
    }

    #[test]
    fn affinity_on_windows_server_2019_warns_and_missing_pods_skip() {
        let nodes = "items:\n- metadata: {name: w2019, labels: {kubernetes.io/os: windows}}\n  status: {nodeInfo: {kernelVersion: 10.0.17763.6054}}\n";
        let pods = "items:\n- {metadata: {name: a, namespace: n, labels: {app: a}}, spec: {nodeName: w2019}}\n";
        let services = "items:\n- metadata: {name: a, namespace: n}\n  spec: {selector: {app: a}, sessionAffinity: ClientIP}\n";
        let f = run_check(&[
            ("cluster/nodes.yaml", nodes),
            ("cluster/pods.yaml", pods),
            ("cluster/services.yaml", services),
        ]);
        assert!(with_status(&f, Status::Warn)
            .iter()
            .any(|m| m.contains("w2019 (17763)")));
        let f = run_check(&[
            ("cluster/nodes.yaml", nodes),
            ("cluster/services.yaml", services),
        ]);
        assert!(f.iter().all(|f| f.status == Status::Skip));
        assert!(f.iter().any(|f| f.subject.name == "pods"));
    }
}
