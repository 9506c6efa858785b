//! Check `flannel-subnet-env`: `C:\run\flannel\subnet.env` exists on a flannel node, parses, keeps
//! FLANNEL_SUBNET inside FLANNEL_NETWORK and matches the Node's podCIDR (node part); sandbox events
//! about a missing subnet.env on Windows nodes (cluster part). See checks/flannel-subnet-env.toml.

use super::Eval;
use crate::catalogue::data::node_file;
use crate::facts::node::{display_win_path, FileState};
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::{Kind, NodeView};
use ipnet::IpNet;


pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

/// Events on Windows nodes saying the flannel CNI plugin found no subnet.env.
fn cluster_part(ev: &mut Eval) {
    let Some((windows, events)) = ev.windows_nodes_and_events() else {
        return;
    };
    ev.part("sandbox-subnet-env-missing");
    // Events about a pod count for the pod's node too (the sandbox event's host can be missing).
    let re = ev.pattern("missing_subnet_env");
    let on_nodes = ev.model().events_by_node(
        &windows,
        events.iter().filter(|e| re.is_match(&e.message)),
        true,
    );
    let hits = on_nodes.len();
    for (node, matching) in on_nodes {
        let name = node.name();
        let fix = ev.fix("restart_flanneld", &[("node", name)]);
        let f = ev.emit(
            Status::Fail,
            Subject::node(name),
            format!(
                "{} sandbox event(s) on {name} say the flannel CNI plugin cannot read subnet.env, so Windows pods there cannot start",
                matching.len()
            ),
        );
        for e in matching.iter().rev().take(3) {
            f.evidence(Evidence::event(e.reference(), e.message.clone()));
        }
        f.with_fix(fix);
    }
    if hits == 0 {
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "checked {} warning events: none on the {} Windows node(s) about a missing subnet.env",
                events.iter().filter(|e| e.is_warning()).count(),
                windows.len()
            ),
        );
    }
}

fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let path = node_file("subnet_env");
    let Some(files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    ev.part("subnet-env-missing");
    let Some(flannel) = view.flannel_evidence() else {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "flannel is not used on this node (no flanneld, no flannel CNI configuration, no flannel annotations): subnet.env does not apply",
        );
        return;
    };
    let pod_cidr = view.pod_cidr();
    let network = view
        .model
        .cluster_net_conf()
        .and_then(|(r, c)| c.network_net().map(|n| (r, n)));
    let mtu_default = if view
        .model
        .cluster_net_conf()
        .and_then(|(_, c)| c.backend_type.as_deref())
        .is_some_and(|t| t == "host-gw")
    {
        "1500"
    } else {
        "1450"
    };
    let file = match files.state(path) {
        FileState::Present(f) => f,
        FileState::NotCaptured(by) => {
            // Not captured: the reserved part for inputs that are not there.
            ev.part("input");
            ev.emit(
                Status::Skip,
                Subject::file(path),
                format!("{path} was not captured ({by} does not collect it): whether flanneld wrote its lease on {node} is not known"),
            );
            return;
        }
        FileState::Unreadable(why) => {
            ev.emit(
                Status::Error,
                Subject::file(path),
                format!("{path} exists but could not be read: {why}"),
            );
            return;
        }
        FileState::Absent => {
            let fix = write_fix(
                ev,
                &view,
                &node,
                pod_cidr.as_ref().map(|p| p.0),
                network.as_ref().map(|n| n.1),
                mtu_default,
            );
            let f = ev.emit(
                Status::Fail,
                Subject::file(path),
                format!(
                    "{path} does not exist on {node}, which uses flannel: flanneld has not written its lease, so the flannel CNI plugin cannot start any pod"
                ),
            );
            f.evidence(Evidence::file(path, "absent from the node"))
                .evidence(flannel);
            if let Some((_, e)) = &pod_cidr {
                f.evidence(e.clone());
            }
            f.with_fix(fix);
            return;
        }
    };
    let reference = display_win_path(&file.path);
    let parsed = match view.subnet_env() {
        Some((_, parsed)) => parsed.clone(),
        None => Err("the file was not modelled".to_string()),
    };
    ev.part("subnet-env-invalid");
    let env = match parsed {
        Ok(env) => env,
        Err(why) => {
            let fix = write_fix(
                ev,
                &view,
                &node,
                pod_cidr.as_ref().map(|p| p.0),
                network.as_ref().map(|n| n.1),
                mtu_default,
            );
            ev.emit(
                Status::Fail,
                Subject::file(reference.clone()),
                format!("{reference} cannot be used: {why}"),
            )
            .evidence(Evidence::file(reference, excerpt(&file.text)))
            .with_fix(fix);
            return;
        }
    };
    if file.encoding.starts_with("UTF-16") {
        let fix = write_fix(
            ev,
            &view,
            &node,
            Some(env.subnet.trunc()),
            Some(env.network),
            &env.mtu
                .map(|m| m.to_string())
                .unwrap_or_else(|| mtu_default.to_string()),
        );
        ev.emit(
            Status::Fail,
            Subject::file(reference.clone()),
            format!(
                "{reference} is written as {}: the flannel CNI plugin reads plain ASCII lines and finds no FLANNEL_SUBNET in it (PowerShell 5's Out-File and > write UTF-16)",
                file.encoding
            ),
        )
        .evidence(Evidence::file(reference.clone(), format!("encoding {}", file.encoding)))
        .with_fix(fix);
        return;
    }
    let subnet = env.subnet.trunc();
    let mtu = env
        .mtu
        .map(|m| m.to_string())
        .unwrap_or_else(|| mtu_default.to_string());
    ev.part("subnet-outside-network");
    if !crate::model::netplan::covers(&env.network.trunc(), &subnet) {
        let fix = write_fix(
            ev,
            &view,
            &node,
            pod_cidr.as_ref().map(|p| p.0),
            Some(env.network),
            &mtu,
        );
        ev.emit(
            Status::Fail,
            Subject::file(reference.clone()),
            format!(
                "{reference}: FLANNEL_SUBNET {} is outside FLANNEL_NETWORK {}",
                env.subnet, env.network
            ),
        )
        .evidence(Evidence::file(reference.clone(), env.subnet_line.clone()))
        .evidence(Evidence::file(reference.clone(), env.network_line.clone()))
        .with_fix(fix);
        return;
    }
    ev.part("subnet-not-pod-cidr");
    if let Some((cidr, cidr_evidence)) = &pod_cidr {
        if *cidr != subnet {
            let fix = write_fix(ev, &view, &node, Some(*cidr), Some(env.network), &mtu);
            ev.emit(
                Status::Fail,
                Subject::file(reference.clone()),
                format!(
                    "{reference}: FLANNEL_SUBNET {} is not {node}'s podCIDR {cidr} (left from an earlier lease or copied from another node): pods get addresses the cluster routes elsewhere",
                    env.subnet
                ),
            )
            .evidence(Evidence::file(reference.clone(), env.subnet_line.clone()))
            .evidence(cidr_evidence.clone())
            .with_fix(fix);
            return;
        }
    }
    ev.part("network-differs");
    if let Some((cm, net)) = &network {
        if *net != env.network.trunc() {
            let fix = write_fix(
                ev,
                &view,
                &node,
                pod_cidr.as_ref().map(|p| p.0).or(Some(subnet)),
                Some(*net),
                &mtu,
            );
            ev.emit(
                Status::Warn,
                Subject::file(reference.clone()),
                format!(
                    "{reference}: FLANNEL_NETWORK {} differs from the cluster's flannel Network {net}",
                    env.network
                ),
            )
            .evidence(Evidence::file(reference.clone(), env.network_line.clone()))
            .evidence(Evidence::api(cm.to_string(), format!("Network {net}")))
            .with_fix(fix);
            return;
        }
    }
    let mut message = format!(
        "{reference} is present: FLANNEL_SUBNET {} inside FLANNEL_NETWORK {}",
        env.subnet, env.network
    );
    match &pod_cidr {
        Some((cidr, _)) => message.push_str(&format!(", matching {node}'s podCIDR {cidr}")),
        None => message.push_str(" (the Node's podCIDR is not known, so it was not compared)"),
    }
    ev.part("subnet-env-missing");
    let f = ev.emit(Status::Pass, Subject::file(reference.clone()), message);
    f.evidence(Evidence::file(reference, env.subnet_line.clone()));
    if let Some((_, e)) = pod_cidr {
        f.evidence(e);
    }
}

/// The documented remedy with real values: restart flanneld, or write the file by hand with the
/// node's subnet (gateway = first address of the podCIDR).
fn write_fix(
    ev: &Eval,
    view: &NodeView,
    node: &str,
    pod_cidr: Option<IpNet>,
    network: Option<IpNet>,
    mtu: &str,
) -> crate::findings::Fix {
    let flanneld_service = view
        .component(Kind::Flanneld)
        .service
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "flanneld".to_string());
    match (pod_cidr, network) {
        (Some(cidr), Some(net)) => {
            let gateway = cidr
                .hosts()
                .next()
                .map(|h| h.to_string())
                .unwrap_or_else(|| cidr.addr().to_string());
            let subnet = format!("{gateway}/{}", cidr.prefix_len());
            ev.fix(
                "write_subnet_env",
                &[
                    ("node", node),
                    ("service", &flanneld_service),
                    ("network", &net.to_string()),
                    ("subnet", &subnet),
                    ("mtu", mtu),
                ],
            )
        }
        _ => ev.fix("restart_flanneld", &[("node", node)]),
    }
}

fn excerpt(text: &str) -> String {
    crate::facts::node::logs::shorten(&text.lines().take(6).collect::<Vec<_>>().join(" | "), 300)
}
