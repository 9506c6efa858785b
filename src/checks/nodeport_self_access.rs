//! Check `nodeport-self-access`: a NodePort requested from a Windows node itself fails by design
//! (documented limitation) while it works from other nodes and external clients. Cluster part: for
//! each NodePort Service, an `info` naming it with the command to test it from another node (real
//! node IP and NodePort). Probe part (with `--probe` on the Windows node): the connect to the node's
//! own IP and NodePort is the evidence (`pass` when it answered). Anything local that depends on
//! reaching the node's own NodePort (a kubelet health probe aimed at it, a `--probe-target` that is
//! one) is a `warn`. See checks/nodeport-self-access.toml.

use super::Eval;
use crate::facts::cluster::nodes_by_exact_name;
use crate::facts::k8s::{ContainerProbe, Node, Pod, Service};
use crate::facts::probes::ServiceProbe;
use crate::findings::{Evidence, Status, Subject};

/// Services reported one by one; the rest are summed up in one finding.
const MAX_LISTED: usize = 20;

pub fn run(ev: &mut Eval) {
    let Some(nodes) = ev.nodes() else { return };
    let windows: Vec<&Node> = ev.model().windows_nodes().to_vec();
    if windows.is_empty() {
        ev.not_applicable(format!(
            "no Windows nodes in the cluster ({} nodes, none Windows): the NodePort limitation of Windows nodes does not apply",
            nodes.len()
        ));
        return;
    }
    let Some(services) = ev.services() else {
        return;
    };
    let exposed: Vec<&Service> = services
        .iter()
        .filter(|s| !s.node_ports().is_empty())
        .collect();
    if exposed.is_empty() {
        ev.not_applicable(format!(
            "no NodePort Services among {} Services: nothing is exposed on a NodePort, so NodePort access from a Windows node itself does not matter here",
            services.len()
        ));
        return;
    }
    ev.part("nodeport-from-node");
    let probes = ev.probes_if_run();
    let focus = ev
        .model()
        .local_node()
        .filter(|n| n.is_windows())
        .unwrap_or(windows[0]);
    let other = other_node(nodes, focus);
    let window_names = match windows.len() {
        1 => format!("Windows node {}", windows[0].name()),
        _ => format!("each of the Windows nodes {}", names(&windows)),
    };

    for svc in exposed.iter().take(MAX_LISTED) {
        let key = format!("{}/{}", svc.namespace(), svc.name());
        let probed: Vec<&ServiceProbe> = probes
            .map(|r| {
                r.nodeport
                    .probes
                    .iter()
                    .filter(|p| p.service == key)
                    .collect()
            })
            .unwrap_or_default();
        report_service(ev, svc, &key, &probed, focus, other, &window_names);
    }
    if exposed.len() > MAX_LISTED {
        let rest: Vec<String> = exposed[MAX_LISTED..]
            .iter()
            .map(|s| format!("{}/{}", s.namespace(), s.name()))
            .collect();
        ev.emit(
            Status::Info,
            Subject::cluster(),
            format!(
                "{} more NodePort Services ({}) cannot be reached on their NodePorts from the Windows nodes themselves either (documented limitation)",
                rest.len(),
                rest.join(", ")
            ),
        );
    }

    // An other pod of the sieve runs on a Linux node: only the pods kept whole are read.
    if let Some(kept) = ev.kept_pods() {
        let kept: Vec<&Pod> = kept.collect();
        ev.part("health-probe-on-own-nodeport");
        health_probes_on_own_nodeport(ev, &kept, &windows, &exposed);
    }
    if let Some(target) = probes.and_then(|r| r.target.as_ref()) {
        let addr = target.address_or_host();
        let hit = windows.iter().find(|n| {
            n.status.addresses.iter().any(|a| a.address == addr)
                || n.name().eq_ignore_ascii_case(&target.host)
        });
        let svc = exposed.iter().find(|s| {
            s.node_ports()
                .iter()
                .any(|p| p.node_port == Some(i64::from(target.port)))
        });
        if let (Some(node), Some(svc)) = (hit, svc) {
            let key = format!("{}/{}", svc.namespace(), svc.name());
            ev.part("probe-target-nodeport");
            ev.emit(
                Status::Warn,
                Subject::new("Target", target.spec.clone()),
                format!(
                    "--probe-target {} is NodePort {} of Service {key} on Windows node {}: from that node itself it fails by design, so probe it from another node",
                    target.spec,
                    target.port,
                    node.name()
                ),
            )
            .evidence(Evidence::probe(
                format!("TCP connect {addr}:{}", target.port),
                target.tcp.excerpt(),
            ));
        }
    }
}

fn report_service(
    ev: &mut Eval,
    svc: &Service,
    key: &str,
    probed: &[&ServiceProbe],
    focus: &Node,
    other: Option<&Node>,
    window_names: &str,
) {
    let ports = svc.node_ports();
    let port_list: Vec<String> = ports
        .iter()
        .map(|p| {
            format!(
                "{}/{} (port {})",
                p.node_port.unwrap_or_default(),
                p.protocol.as_deref().unwrap_or("TCP"),
                p.port
            )
        })
        .collect();
    let first = ports.iter().find(|p| p.is_tcp()).or(ports.first());
    let node_port = first
        .and_then(|p| p.node_port)
        .map(|n| n.to_string())
        .unwrap_or_default();
    let node_ip = node_address(focus).unwrap_or(focus.name()).to_string();
    let udp = first.is_some_and(|p| !p.is_tcp());
    let other_name = other.map(|n| n.name().to_string()).unwrap_or_default();
    let fix_name = match other {
        _ if udp => "test_udp_from_other_node",
        Some(o) if o.is_windows() => "test_from_windows_node",
        Some(_) => "test_from_linux_node",
        None => "test_from_outside",
    };
    let fix = ev.fix(
        fix_name,
        &[
            ("node", focus.name()),
            ("node_ip", &node_ip),
            ("node_port", &node_port),
            ("other_node", &other_name),
            ("service", key),
        ],
    );
    let api = Evidence::api(
        format!("Service/{key} .spec.ports[].nodePort"),
        format!(
            "type={} nodePorts: {}",
            svc.service_type(),
            port_list.join(", ")
        ),
    );
    if let Some(ok) = probed.iter().find(|p| p.tcp.outcome.is_ok()) {
        ev.emit(
            Status::Pass,
            Subject::namespaced("Service", svc.namespace(), svc.name()),
            format!(
                "NodePort {} of Service {key} answered from Windows node {} itself: this node does not show the documented limitation",
                ok.address, ok.node
            ),
        )
        .evidence(Evidence::probe(
            format!("TCP connect {} from {}", ok.address, ok.node),
            ok.tcp.excerpt(),
        ))
        .evidence(api);
        return;
    }
    if let Some(failed) = probed.first() {
        let finding = ev
            .emit(
                Status::Info,
                Subject::namespaced("Service", svc.namespace(), svc.name()),
                format!(
                    "NodePort {} of Service {key} gets {} from Windows node {} itself: this is the documented limitation (NodePort access from the node itself fails; other nodes and external clients can reach it)",
                    failed.address,
                    failed.tcp.outcome.as_str(),
                    failed.node
                ),
            );
        for p in probed {
            finding.evidence(Evidence::probe(
                format!("TCP connect {} from {}", p.address, p.node),
                p.tcp.excerpt(),
            ));
        }
        finding.evidence(api).with_fix(fix);
        return;
    }
    let not_run = ev.probes_if_run().and_then(|r| r.nodeport.not_run.clone());
    let finding = ev.emit(
        Status::Info,
        Subject::namespaced("Service", svc.namespace(), svc.name()),
        format!(
            "Service {key} exposes NodePort {}: requests to it from {window_names} itself fail by design (documented limitation), so test it from another node or an external client",
            port_list.join(", ")
        ),
    );
    finding.evidence(api);
    if let Some(why) = not_run {
        finding.evidence(Evidence::probe(
            "NodePort probe from the node",
            format!("not run: {why}"),
        ));
    }
    finding.with_fix(fix);
}

/// Kubelet health probes of pods on Windows nodes that call their own node's IP at a NodePort.
fn health_probes_on_own_nodeport(
    ev: &mut Eval,
    pods: &[&Pod],
    windows: &[&Node],
    exposed: &[&Service],
) {
    let by_name = nodes_by_exact_name(windows);
    for &pod in pods {
        let Some(&node) = pod.node_name().and_then(|n| by_name.get(n)) else {
            continue;
        };
        let host_network = pod.spec.host_network || pod.spec.host_process();
        for c in pod.spec.all_containers() {
            for (kind, probe) in [
                ("livenessProbe", &c.liveness_probe),
                ("readinessProbe", &c.readiness_probe),
                ("startupProbe", &c.startup_probe),
            ] {
                let Some(probe) = probe else { continue };
                let Some((host, port, how)) = endpoint(probe) else {
                    continue;
                };
                let to_node = match host {
                    Some(h) => {
                        node.status.addresses.iter().any(|a| a.address == h)
                            || node.name().eq_ignore_ascii_case(h)
                    }
                    None => host_network,
                };
                if !to_node {
                    continue;
                }
                let Some(svc) = exposed
                    .iter()
                    .find(|s| s.node_ports().iter().any(|p| p.node_port == Some(port)))
                else {
                    continue;
                };
                let svc_key = format!("{}/{}", svc.namespace(), svc.name());
                let shown_host = host.map(str::to_string).unwrap_or_else(|| {
                    format!(
                        "{} (host network)",
                        node_address(node).unwrap_or(node.name())
                    )
                });
                let fix = ev.fix(
                    "health_probe",
                    &[
                        ("namespace", pod.namespace()),
                        ("pod", pod.name()),
                        ("container", &c.name),
                        ("probe", kind),
                        ("node_port", &port.to_string()),
                        ("service", &svc_key),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    Subject::namespaced("Pod", pod.namespace(), pod.name()),
                    format!(
                        "the {kind} of container {} in pod {} calls NodePort {port} (Service {svc_key}) on its own Windows node {}: the kubelet there cannot reach its own NodePort, so the probe fails by design",
                        c.name,
                        pod.key(),
                        node.name()
                    ),
                )
                .evidence(Evidence::api(
                    format!(
                        "Pod/{} .spec.containers[{}].{kind}.{how}",
                        pod.key(),
                        c.name
                    ),
                    format!("host={shown_host} port={port}"),
                ))
                .with_fix(fix);
            }
        }
    }
}

/// `(host, numeric port, "httpGet"|"tcpSocket")` of a health probe.
fn endpoint(probe: &ContainerProbe) -> Option<(Option<&str>, i64, &'static str)> {
    let (e, how) = match (&probe.http_get, &probe.tcp_socket) {
        (Some(e), _) => (e, "httpGet"),
        (None, Some(e)) => (e, "tcpSocket"),
        (None, None) => return None,
    };
    let port = e
        .port
        .as_i64()
        .or_else(|| e.port.as_str().and_then(|s| s.parse().ok()))?;
    let host = e.host.as_deref().map(str::trim).filter(|h| !h.is_empty());
    Some((host, port, how))
}

fn node_address(node: &Node) -> Option<&str> {
    node.internal_ip().or_else(|| {
        node.status
            .addresses
            .iter()
            .find(|a| a.type_ == "ExternalIP")
            .map(|a| a.address.as_str())
    })
}

/// Another node to test from: a Ready Linux node first, then any Linux node, then another Windows
/// node.
fn other_node<'a>(nodes: &'a [Node], from: &Node) -> Option<&'a Node> {
    let ready = |n: &&Node| n.condition("Ready").is_some_and(|c| c.status == "True");
    let others: Vec<&Node> = nodes.iter().filter(|n| n.name() != from.name()).collect();
    others
        .iter()
        .find(|n| !n.is_windows() && ready(n))
        .or_else(|| others.iter().find(|n| !n.is_windows()))
        .or_else(|| others.iter().find(|n| ready(n)))
        .or_else(|| others.first())
        .copied()
}

fn names(nodes: &[&Node]) -> String {
    let shown: Vec<&str> = nodes.iter().take(3).map(|n| n.name()).collect();
    match nodes.len().saturating_sub(3) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}
