//! Check `service-ip-from-node`: a Windows node cannot reach Service ClusterIPs from the node
//! itself (documented limitation of the Windows networking stack), while Windows pods can. Cluster
//! part: an `info` for each Service with Windows backends, with the command to test it from a
//! Windows pod (real pod, ClusterIP and port). Probe part (with `--probe` on the Windows node): the
//! TCP connect from the node to the ClusterIP is the evidence, `pass` when it answered. See
//! checks/service-ip-from-node.toml.

use super::Eval;
use crate::facts::k8s::{Node, Pod, Service};
use crate::facts::probes::ServiceProbe;
use crate::findings::{Evidence, Status, Subject};
use crate::model::index::PodLookup;
use foldhash::HashSet;

/// Services reported one by one; the rest are summed up in one finding.
const MAX_LISTED: usize = 20;

pub fn run(ev: &mut Eval) {
    let Some(nodes) = ev.nodes() else { return };
    let windows: Vec<&Node> = ev.model().windows_nodes().to_vec();
    if windows.is_empty() {
        ev.not_applicable(format!(
            "no Windows nodes in the cluster ({} nodes, none Windows): the ClusterIP limitation of Windows nodes does not apply",
            nodes.len()
        ));
        return;
    }
    ev.part("clusterip-from-node");
    let windows_names: Vec<&str> = windows.iter().map(|n| n.name()).collect();
    let windows_exact: HashSet<&str> = windows_names.iter().copied().collect();
    let probes = ev.probes_if_run();
    let probed: Vec<&ServiceProbe> = probes
        .map(|r| r.cluster_ip.probes.iter().collect())
        .unwrap_or_default();
    let Some(services) = ev.services() else {
        return;
    };
    // A client is a pod on a Windows node: an other pod of the sieve runs on a Linux node, so
    // only the pods kept whole are read.
    let pods: Option<Vec<&Pod>> = ev.kept_pods().map(Iterator::collect);

    // Probe part: what the node itself got from each ClusterIP it tried.
    for p in &probed {
        let svc = services
            .iter()
            .find(|s| format!("{}/{}", s.namespace(), s.name()) == p.service);
        let lookup = ev.model().pod_lookup();
        let client = pods
            .as_deref()
            .and_then(|pods| windows_client(pods, lookup, svc, &windows_exact));
        let subject = match p.service.split_once('/') {
            Some((ns, name)) => Subject::namespaced("Service", ns, name),
            None => Subject::new("Service", p.service.clone()),
        };
        let evidence = Evidence::probe(
            format!("TCP connect {} from {}", p.address, p.node),
            p.tcp.excerpt(),
        );
        if p.tcp.outcome.is_ok() {
            ev.emit(
                Status::Pass,
                subject,
                format!(
                    "ClusterIP {} of Service {} answered from Windows node {} itself: this node does not show the documented limitation",
                    p.address, p.service, p.node
                ),
            )
            .evidence(evidence);
            continue;
        }
        let (ip, port) = split_address(&p.address);
        let node = windows
            .iter()
            .find(|n| n.name() == p.node)
            .copied()
            .unwrap_or(windows[0]);
        let fix = test_fix(ev, client, node, &ip, &port);
        ev.emit(
            Status::Info,
            subject,
            format!(
                "ClusterIP {} of Service {} gets {} from Windows node {} itself: this is the documented limitation (the node cannot reach Service IPs; Windows pods can)",
                p.address,
                p.service,
                p.tcp.outcome.as_str(),
                p.node
            ),
        )
        .evidence(evidence)
        .with_fix(fix);
    }

    // Cluster part: Services with Windows backends that the node itself cannot reach.
    let Some(pods) = pods.as_deref() else { return };
    let lookup = ev.model().pod_lookup();
    let windows_set = ev.model().windows_hosts();
    let backed: Vec<(&Service, Vec<&Pod>)> = services
        .iter()
        .filter(|s| s.cluster_ip_address().is_some())
        .map(|s| (s, lookup.windows_backends(s, windows_set)))
        .filter(|(_, b)| !b.is_empty())
        .filter(|(s, _)| {
            let key = format!("{}/{}", s.namespace(), s.name());
            !probed.iter().any(|p| p.service == key)
        })
        .collect();
    if backed.is_empty() {
        if probed.is_empty() {
            ev.not_applicable(format!(
                "no Service with a ClusterIP has Windows backends ({} Services checked): nothing here depends on reaching a ClusterIP from a Windows node",
                services.len()
            ));
        }
        return;
    }
    let not_run = probes.and_then(|r| r.cluster_ip.not_run.clone());
    let node_list = {
        let shown: Vec<&str> = windows_names.iter().take(3).copied().collect();
        match windows_names.len().saturating_sub(3) {
            0 => shown.join(", "),
            more => format!("{} and {more} more", shown.join(", ")),
        }
    };
    for (svc, backends) in backed.iter().take(MAX_LISTED) {
        let key = format!("{}/{}", svc.namespace(), svc.name());
        let ip = svc.cluster_ip_address().unwrap_or_default().to_string();
        let port = svc
            .spec
            .ports
            .iter()
            .find(|p| p.is_tcp())
            .or(svc.spec.ports.first());
        let port_text = port.map(|p| p.port.to_string()).unwrap_or_default();
        let ports: Vec<String> = svc.spec.ports.iter().map(|p| p.display()).collect();
        let backend_names: Vec<String> = backends
            .iter()
            .take(3)
            .map(|p| p.name().to_string())
            .collect();
        let client = windows_client(pods, lookup, Some(svc), &windows_exact);
        let node = client
            .and_then(|c| c.node_name())
            .and_then(|n| windows.iter().find(|w| w.name() == n))
            .copied()
            .unwrap_or(windows[0]);
        let fix = test_fix(ev, client, node, &ip, &port_text);
        let finding = ev.emit(
            Status::Info,
            Subject::namespaced("Service", svc.namespace(), svc.name()),
            format!(
                "Service {key} (ClusterIP {ip}, ports {}) has Windows backends ({}{}): from the Windows nodes themselves ({node_list}) its ClusterIP is not reachable (documented limitation), but Windows pods can reach it",
                ports.join(", "),
                backend_names.join(", "),
                if backends.len() > 3 {
                    format!(" and {} more", backends.len() - 3)
                } else {
                    String::new()
                }
            ),
        );
        finding.evidence(Evidence::api(
            format!("Service/{key} .spec.clusterIP"),
            format!("clusterIP={ip} ports={}", ports.join(",")),
        ));
        if let Some(why) = &not_run {
            finding.evidence(Evidence::probe(
                "ClusterIP probe from the node",
                format!("not run: {why}"),
            ));
        }
        finding.with_fix(fix);
    }
    if backed.len() > MAX_LISTED {
        let rest: Vec<String> = backed[MAX_LISTED..]
            .iter()
            .map(|(s, _)| format!("{}/{}", s.namespace(), s.name()))
            .collect();
        ev.emit(
            Status::Info,
            Subject::cluster(),
            format!(
                "{} more Services with Windows backends ({}) cannot be reached by ClusterIP from the Windows nodes themselves either (documented limitation)",
                rest.len(),
                rest.join(", ")
            ),
        );
    }
}

/// A running Windows pod to test from (the first in list order on a node named exactly as a
/// Windows node): one that is not a backend of `svc` (no hairpin), else a backend. `lookup`
/// indexes `pods`.
fn windows_client<'a>(
    pods: &[&'a Pod],
    lookup: PodLookup<'a>,
    svc: Option<&Service>,
    windows: &HashSet<&str>,
) -> Option<&'a Pod> {
    let on_windows = |p: &&Pod| {
        p.node_name().is_some_and(|n| windows.contains(n))
            && p.status.phase.as_deref() == Some("Running")
            && !p.spec.host_process()
    };
    let backends: Vec<&Pod> = svc.map(|s| lookup.backends(s)).unwrap_or_default();
    let backend_keys: HashSet<(&str, &str)> =
        backends.iter().map(|b| (b.namespace(), b.name())).collect();
    pods.iter()
        .copied()
        .filter(on_windows)
        .find(|p| !backend_keys.contains(&(p.namespace(), p.name())))
        .or_else(|| backends.into_iter().find(|p| on_windows(p)))
}

fn test_fix(
    ev: &Eval,
    client: Option<&Pod>,
    node: &Node,
    ip: &str,
    port: &str,
) -> crate::findings::Fix {
    let host = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    let scheme = if matches!(port, "443" | "6443" | "8443") {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{host}:{port}/");
    match client {
        Some(pod) => ev.fix(
            "test_from_pod",
            &[
                ("namespace", pod.namespace()),
                ("pod", pod.name()),
                ("cluster_ip", ip),
                ("port", port),
                ("url", &url),
            ],
        ),
        None => {
            // nanoserver carries curl.exe; its tag must match the node's build.
            let tag = node
                .windows_build()
                .and_then(crate::facts::windows::release_by_build)
                .and_then(|r| r.tags.first().map(String::as_str))
                .unwrap_or("ltsc2022");
            ev.fix(
                "test_from_new_pod",
                &[
                    ("node", node.name()),
                    ("tag", tag),
                    ("cluster_ip", ip),
                    ("port", port),
                    ("url", &url),
                ],
            )
        }
    }
}

/// `10.96.0.1:443` -> (`10.96.0.1`, `443`); `[fd00::1]:443` -> (`fd00::1`, `443`).
fn split_address(address: &str) -> (String, String) {
    match address.rsplit_once(':') {
        Some((ip, port)) => (
            ip.trim_start_matches('[').trim_end_matches(']').to_string(),
            port.to_string(),
        ),
        None => (address.to_string(), String::new()),
    }
}
