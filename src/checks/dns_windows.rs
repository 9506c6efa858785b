//! Check `dns-windows`: the DNS limitations of Windows pods. Windows pods may not use dnsPolicy
//! ClusterFirstWithHostNet; environment variables of Windows pods that name an existing Service as
//! `service.namespace` or `service.namespace.svc` will not resolve (Windows has one DNS suffix, its own
//! namespace's, and treats dotted names as fully qualified); and the kubelet's clusterDNS must be the
//! DNS Service's clusterIP. Environment values are never read: the slim pod type keeps only the
//! service-shaped names they mention. See checks/dns-windows.toml.

use super::Eval;
use crate::facts::k8s::{Node, Pod, Service};
use crate::facts::network::{self, KubeletConfiguration};
use foldhash::{HashMap, HashSet};
use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::findings::{Evidence, Status, Subject};

const HOST_NET_POLICY: &str = "ClusterFirstWithHostNet";
const DEFAULT_DOMAIN: &str = "cluster.local";

pub fn run(ev: &mut Eval) {
    let nodes = ev.nodes();
    if let Some(nodes) = nodes {
        if !nodes.iter().any(Node::is_windows) {
            ev.not_applicable(format!(
                "no Windows nodes in the cluster ({} nodes): Windows DNS limitations do not apply",
                nodes.len()
            ));
            return;
        }
    }
    let windows_node_names: HashSet<&str> = nodes
        .map(|n| {
            n.iter()
                .filter(|n| n.is_windows())
                .map(|n| n.name())
                .collect()
        })
        .unwrap_or_default();
    let pods = ev.pods();
    let services = ev.services();
    let cms = ev.configmaps();

    if let Some(pods) = pods {
        // An other pod of the sieve runs on a Linux node and targets nothing Windows.
        let windows_pods: Vec<&Pod> = ev
            .kept_pods()
            .into_iter()
            .flatten()
            .filter(|p| is_windows_pod(p, &windows_node_names))
            .collect();
        if windows_pods.is_empty() {
            ev.not_applicable(format!(
                "no Windows pods among the {} pods: pod DNS settings not examined",
                pods.len()
            ));
        } else {
            check_dns_policy(ev, &windows_pods);
            if let Some(services) = services {
                let domain = cms
                    .and_then(|c| network::cluster_domain(c))
                    .map(|(d, _)| d)
                    .unwrap_or_else(|| DEFAULT_DOMAIN.to_string());
                check_partial_names(ev, &windows_pods, services, &domain);
            }
        }
    }
    if let (Some(services), Some(cms)) = (services, cms) {
        check_cluster_dns(ev, services, cms);
    }
}

/// A pod on a Windows node, or one whose spec targets Windows (not yet scheduled).
fn is_windows_pod(pod: &Pod, windows_nodes: &HashSet<&str>) -> bool {
    match pod.node_name() {
        Some(node) if !windows_nodes.is_empty() => {
            windows_nodes.contains(node) || pod.spec.targets_windows()
        }
        _ => pod.spec.targets_windows(),
    }
}

/// The object an operator edits to change a pod: `deployment/web` for a pod of ReplicaSet
/// `web-7d4b9c`, `daemonset/x`, `statefulset/x`, `job/x`; `None` for a bare pod.
fn workload(pod: &Pod) -> Option<String> {
    let owner = pod.metadata.owner_references.first()?;
    let kind = owner.kind.to_ascii_lowercase();
    if kind == "replicaset" {
        // A ReplicaSet made by a Deployment is named `<deployment>-<pod-template-hash>`.
        return Some(match owner.name.rsplit_once('-') {
            Some((deployment, hash)) if !deployment.is_empty() && hash.len() >= 5 => {
                format!("deployment/{deployment}")
            }
            _ => format!("replicaset/{}", owner.name),
        });
    }
    Some(format!("{kind}/{}", owner.name))
}

fn check_dns_policy(ev: &mut Eval, windows_pods: &[&Pod]) {
    ev.part("host-network-dns-policy");
    // Replicas of one workload make one finding.
    let mut groups: BTreeMap<(String, String), Vec<&Pod>> = BTreeMap::new();
    for pod in windows_pods {
        if pod.spec.dns_policy.as_deref() == Some(HOST_NET_POLICY) {
            let group = workload(pod).unwrap_or_else(|| format!("pod/{}", pod.name()));
            groups
                .entry((pod.namespace().to_string(), group))
                .or_default()
                .push(pod);
        }
    }
    if groups.is_empty() {
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "checked {} Windows pod(s): none sets dnsPolicy {HOST_NET_POLICY}",
                windows_pods.len()
            ),
        );
        return;
    }
    for ((ns, group), pods) in &groups {
        let first = pods[0];
        let name = first.name();
        let evidence = Evidence::api(
            format!("Pod/{ns}/{name} .spec.dnsPolicy"),
            format!(
                "dnsPolicy={HOST_NET_POLICY} hostNetwork={}",
                first.spec.host_network
            ),
        );
        let who = if pods.len() > 1 {
            format!("{} Windows pods of {group} (e.g. {ns}/{name})", pods.len())
        } else {
            format!("Windows pod {ns}/{name}")
        };
        let sets = if pods.len() > 1 { "set" } else { "sets" };
        let (kind, subject_name) = group.split_once('/').unwrap_or(("pod", group.as_str()));
        let subject = Subject::namespaced(&capitalise(kind), ns.as_str(), subject_name);
        if first.spec.host_process() {
            ev.emit(
                Status::Info,
                subject,
                format!("HostProcess {who} {sets} dnsPolicy {HOST_NET_POLICY}: Windows does not support it, so the pod resolves names with the node's own DNS settings, not the cluster DNS"),
            )
            .evidence(evidence);
            continue;
        }
        let fix = match workload(first) {
            Some(w) => ev.fix("host_net_dns", &[("namespace", ns), ("workload", &w)]),
            None => ev.fix("host_net_dns_pod", &[("namespace", ns), ("pod", name)]),
        };
        ev.emit(
            Status::Fail,
            subject,
            format!("{who} {sets} dnsPolicy {HOST_NET_POLICY}, which Windows does not support (no host networking for Windows pods)"),
        )
        .evidence(evidence)
        .with_fix(fix);
    }
}

/// `(service, namespace)` named by a candidate `svc.ns` or `svc.ns.svc`.
fn service_of_candidate(candidate: &str) -> Option<(&str, &str)> {
    let base = candidate.strip_suffix(".svc").unwrap_or(candidate);
    let (svc, ns) = base.split_once('.')?;
    if svc.is_empty() || ns.is_empty() || ns.contains('.') {
        return None;
    }
    Some((svc, ns))
}

/// One environment variable of one workload's container that names a Service partially qualified.
struct PartialName<'a> {
    pod: &'a Pod,
    pods: usize,
    container: &'a str,
    env: &'a str,
    short: &'a str,
    service: &'a Service,
}

fn check_partial_names(ev: &mut Eval, windows_pods: &[&Pod], services: &[Service], domain: &str) {
    ev.part("partially-qualified-name");
    // By namespace, workload, container, variable and name; all but the workload borrowed.
    let mut findings: BTreeMap<(&str, String, &str, &str, &str), PartialName> = BTreeMap::new();
    let mut env_vars = 0usize;
    // Services by namespace and name, the first of a name in list order winning (as a linear
    // `find` answers): a lookup per candidate instead of a pass over the Services.
    let by_name: HashMap<(&str, &str), &Service> = services
        .iter()
        .rev()
        .map(|s| ((s.namespace(), s.name()), s))
        .collect();
    for &pod in windows_pods {
        // Named only for a pod with a variable to report (most have none).
        let mut group: Option<String> = None;
        for container in pod.spec.all_containers() {
            for env in &container.env {
                env_vars += 1;
                for candidate in &env.dns_candidates {
                    let Some((svc, ns)) = service_of_candidate(candidate) else {
                        continue;
                    };
                    let Some(&service) = by_name.get(&(ns, svc)) else {
                        continue;
                    };
                    let group = group
                        .get_or_insert_with(|| {
                            workload(pod).unwrap_or_else(|| format!("pod/{}", pod.name()))
                        })
                        .clone();
                    let key = (
                        pod.namespace(),
                        group,
                        container.name.as_str(),
                        env.name.as_str(),
                        candidate.as_str(),
                    );
                    findings
                        .entry(key)
                        .and_modify(|f| f.pods += 1)
                        .or_insert(PartialName {
                            pod,
                            pods: 1,
                            container: &container.name,
                            env: &env.name,
                            short: candidate,
                            service,
                        });
                }
            }
        }
    }
    if findings.is_empty() {
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "checked {env_vars} environment variable(s) of {} Windows pod(s): none names a Service in the service.namespace form Windows cannot resolve",
                windows_pods.len()
            ),
        );
        return;
    }
    for ((ns, group, ..), f) in &findings {
        let svc_ns = f.service.namespace();
        let svc_name = f.service.name();
        let fqdn = format!("{svc_name}.{svc_ns}.svc.{domain}");
        let workload_ref = workload(f.pod).unwrap_or_else(|| format!("pod/{}", f.pod.name()));
        let fix = ev.fix(
            "pqdn",
            &[
                ("namespace", ns),
                ("workload", &workload_ref),
                ("container", f.container),
                ("env", f.env),
                ("short", f.short),
                ("fqdn", &fqdn),
                ("pod", f.pod.name()),
            ],
        );
        let scope = if f.pods > 1 {
            format!("{} Windows pods of {group}", f.pods)
        } else {
            format!("Windows pod {ns}/{}", f.pod.name())
        };
        let (kind, name) = group.split_once('/').unwrap_or(("pod", group.as_str()));
        ev.emit(
            Status::Warn,
            Subject::namespaced(&capitalise(kind), *ns, name),
            format!(
                "{scope}: environment variable {} (container {}) refers to Service {svc_ns}/{svc_name} by the partially qualified name {}, which Windows does not resolve; use {fqdn}",
                f.env, f.container, f.short
            ),
        )
        .evidence(Evidence::api(
            format!(
                "Pod/{ns}/{} .spec.containers[{}].env[{}]",
                f.pod.name(),
                f.container,
                f.env
            ),
            format!("value names {} (value not shown)", f.short),
        ))
        .evidence(Evidence::api(
            format!("Service/{svc_ns}/{svc_name}"),
            format!(
                "clusterIP {}",
                f.service.spec.cluster_ip.as_deref().unwrap_or("(none)")
            ),
        ))
        .with_fix(fix);
    }
}

fn capitalise(kind: &str) -> String {
    match kind {
        "deployment" => "Deployment".into(),
        "daemonset" => "DaemonSet".into(),
        "statefulset" => "StatefulSet".into(),
        "replicaset" => "ReplicaSet".into(),
        "job" => "Job".into(),
        "pod" => "Pod".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        }
    }
}

fn same_ip(a: &str, b: &str) -> bool {
    match (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

fn check_cluster_dns(ev: &mut Eval, services: &[Service], cms: &[crate::facts::k8s::ConfigMap]) {
    ev.part("cluster-dns-mismatch");
    let Some(dns) = network::dns_service(services) else {
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            "kubelet clusterDNS not compared: no kube-dns or coredns Service in kube-system among the captured Services",
        );
        return;
    };
    let dns_ref = format!("{}/{}", dns.namespace(), dns.name());
    let dns_ip = match dns.spec.cluster_ip.as_deref() {
        Some(ip) if ip.parse::<IpAddr>().is_ok() => ip.to_string(),
        other => {
            ev.emit(
                Status::Warn,
                Subject::namespaced("Service", dns.namespace(), dns.name()),
                format!("the cluster DNS Service {dns_ref} has no cluster IP ({}), so pods have no DNS address to use", other.unwrap_or("none")),
            )
            .evidence(Evidence::api(format!("Service/{dns_ref} .spec.clusterIP"), other.unwrap_or("(absent)")));
            return;
        }
    };
    let Some((cm, text)) = network::kubelet_config(cms) else {
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!("kubelet clusterDNS not compared with {dns_ref} ({dns_ip}): no kubelet-config ConfigMap among the captured ConfigMaps (kubelets started with --cluster-dns are checked on the node)"),
        );
        return;
    };
    let cm_ref = network::cm_ref(cm);
    let config: KubeletConfiguration = match network::parse_config_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            ev.emit(
                Status::Warn,
                Subject::namespaced("ConfigMap", cm.metadata.namespace.as_deref().unwrap_or("kube-system"), &cm.metadata.name),
                format!("the kubelet configuration in {cm_ref} cannot be read ({e}), so clusterDNS cannot be compared with {dns_ref}"),
            );
            return;
        }
    };
    let cm_subject = Subject::namespaced(
        "ConfigMap",
        cm.metadata.namespace.as_deref().unwrap_or("kube-system"),
        &cm.metadata.name,
    );
    let cluster_dns = config.cluster_dns.unwrap_or_default();
    let dns_evidence = Evidence::api(format!("Service/{dns_ref} .spec.clusterIP"), &dns_ip);
    if cluster_dns.is_empty() {
        let fix = ev.fix(
            "cluster_dns_missing",
            &[("configmap", &cm.metadata.name), ("dns_ip", &dns_ip)],
        );
        ev.emit(
            Status::Warn,
            cm_subject,
            format!("{cm_ref} sets no clusterDNS: kubelets using it do not give pods the cluster DNS Service {dns_ref} ({dns_ip})"),
        )
        .evidence(Evidence::api(format!("{cm_ref} data.kubelet clusterDNS"), "(absent)"))
        .evidence(dns_evidence)
        .with_fix(fix);
        return;
    }
    let listed = cluster_dns.join(", ");
    if cluster_dns.iter().any(|ip| same_ip(ip, &dns_ip)) {
        ev.emit(
            Status::Pass,
            cm_subject,
            format!("kubelet clusterDNS {listed} matches the clusterIP of Service {dns_ref}"),
        )
        .evidence(Evidence::api(
            format!("{cm_ref} data.kubelet clusterDNS"),
            &listed,
        ))
        .evidence(dns_evidence);
    } else {
        let fix = ev.fix(
            "cluster_dns",
            &[
                ("cluster_dns", &listed),
                ("dns_service", &dns_ref),
                ("dns_ip", &dns_ip),
                ("configmap", &cm.metadata.name),
            ],
        );
        ev.emit(
            Status::Fail,
            cm_subject,
            format!("kubelet clusterDNS {listed} is not the clusterIP {dns_ip} of the DNS Service {dns_ref}: pods get a resolver address that does not answer cluster names"),
        )
        .evidence(Evidence::api(format!("{cm_ref} data.kubelet clusterDNS"), &listed))
        .evidence(dns_evidence)
        .with_fix(fix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: &str) -> Pod {
        serde_json::from_str(json).expect("pod json")
    }

    #[test]
    fn candidates_map_to_service_and_namespace() {
        assert_eq!(
            service_of_candidate("redis.cache"),
            Some(("redis", "cache"))
        );
        assert_eq!(
            service_of_candidate("api.backend.svc"),
            Some(("api", "backend"))
        );
        assert_eq!(service_of_candidate("redis"), None);
        assert_eq!(service_of_candidate("a.b.c"), None);
    }

    #[test]
    fn workloads_from_owners() {
        let p = pod(
            r#"{"metadata":{"name":"web-7d4b9c6f5-abcde","ownerReferences":[{"kind":"ReplicaSet","name":"web-7d4b9c6f5"}]}}"#,
        );
        assert_eq!(workload(&p).as_deref(), Some("deployment/web"));
        let p = pod(
            r#"{"metadata":{"name":"x-1","ownerReferences":[{"kind":"ReplicaSet","name":"x"}]}}"#,
        );
        assert_eq!(workload(&p).as_deref(), Some("replicaset/x"));
        let p = pod(
            r#"{"metadata":{"name":"db-0","ownerReferences":[{"kind":"StatefulSet","name":"db"}]}}"#,
        );
        assert_eq!(workload(&p).as_deref(), Some("statefulset/db"));
        assert_eq!(workload(&pod(r#"{"metadata":{"name":"bare"}}"#)), None);
        assert_eq!(capitalise("statefulset"), "StatefulSet");
        assert_eq!(capitalise("cronjob"), "Cronjob");
    }

    #[test]
    fn windows_pods_by_node_or_spec() {
        let windows: HashSet<&str> = ["win-1"].into_iter().collect();
        let on_win = pod(r#"{"metadata":{"name":"a"},"spec":{"nodeName":"win-1"}}"#);
        let on_linux = pod(r#"{"metadata":{"name":"b"},"spec":{"nodeName":"linux-1"}}"#);
        let pending = pod(r#"{"metadata":{"name":"c"},"spec":{"os":{"name":"windows"}}}"#);
        assert!(is_windows_pod(&on_win, &windows));
        assert!(!is_windows_pod(&on_linux, &windows));
        assert!(is_windows_pod(&pending, &windows));
        // Nodes unknown: only the spec can tell.
        assert!(!is_windows_pod(&on_win, &HashSet::default()));
    }

    #[test]
    fn ip_comparison_normalises() {
        assert!(same_ip("10.96.0.10", " 10.96.0.10"));
        assert!(same_ip("fd00::a", "fd00:0:0::a"));
        assert!(!same_ip("10.96.0.10", "10.32.0.10"));
    }
    const CHECK_ID: &str = "dns-windows";

    /// Runs the whole check on a tiny in-memory bundle, as the catalogue examples do.
    fn run_check(files: &[(&str, &str)]) -> Vec<crate::findings::Finding> {
        crate::checks::testing::run_on_files(CHECK_ID, files)
    }

    fn with_status(findings: &[crate::findings::Finding], status: Status) -> Vec<&str> {
        crate::checks::testing::messages_with_status(findings, status)
    }

    #[test]
    fn replicas_are_grouped_and_host_process_pods_only_advised() {
        let mut pods = String::from("items:\n");
        for i in 0..3 {
            pods.push_str(&format!("- metadata: {{name: web-6f7d8c9b5-p{i}xyz, namespace: shop, ownerReferences: [{{kind: ReplicaSet, name: web-6f7d8c9b5}}]}}\n  spec: {{nodeName: win-1, containers: [{{name: web, image: x, env: [{{name: CACHE, value: 'redis.cache:6379'}}]}}]}}\n"));
        }
        pods.push_str("- metadata: {name: hpc, namespace: kube-system}\n  spec: {nodeName: win-1, hostNetwork: true, dnsPolicy: ClusterFirstWithHostNet, securityContext: {windowsOptions: {hostProcess: true}}, containers: [{name: c, image: x}]}\n");
        let f = run_check(&[
            ("cluster/nodes.yaml", "items:\n- metadata: {name: win-1, labels: {kubernetes.io/os: windows}}\n"),
            ("cluster/pods.yaml", &pods),
            ("cluster/services.yaml", "items:\n- metadata: {name: redis, namespace: cache}\n  spec: {clusterIP: 10.100.0.5}\n"),
            ("cluster/configmaps.yaml", "items: []"),
        ]);
        let warns = with_status(&f, Status::Warn);
        assert_eq!(warns.len(), 1, "{warns:?}");
        assert!(warns[0].contains("3 Windows pods of deployment/web"));
        assert!(warns[0].contains("redis.cache.svc.cluster.local"));
        assert!(with_status(&f, Status::Fail).is_empty());
        assert_eq!(with_status(&f, Status::Info).len(), 1);
    }

    #[test]
    fn without_nodes_the_pod_spec_decides() {
        let pods = "items:\n- metadata: {name: p, namespace: default}\n  spec: {os: {name: windows}, dnsPolicy: ClusterFirstWithHostNet, containers: [{name: c, image: x}]}\n- metadata: {name: q, namespace: default}\n  spec: {dnsPolicy: ClusterFirstWithHostNet, containers: [{name: c, image: nginx}]}\n";
        let f = run_check(&[
            ("cluster/pods.yaml", pods),
            ("cluster/services.yaml", "items: []"),
            ("cluster/configmaps.yaml", "items: []"),
        ]);
        let fails = with_status(&f, Status::Fail);
        assert_eq!(fails.len(), 1);
        assert!(fails[0].contains("default/p"));
        assert!(f
            .iter()
            .any(|f| f.status == Status::Skip && f.subject.name == "nodes"));
    }
}
