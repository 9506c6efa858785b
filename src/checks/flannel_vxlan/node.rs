//! Parts `node-net-conf` and `node-network-mode` of flannel-vxlan: the node's own net-conf.json,
//! and the HNS network and CNI delegate it set up, against the backend.

use super::{windows_port, windows_vni};
use crate::checks::Eval;
use crate::findings::{Status, Subject};
use crate::model::node::NodeView;

/// Node part: the node's own net-conf.json (what the Windows flanneld reads) uses VNI 4096 and port
/// 4789 for vxlan and agrees with the cluster's kube-flannel-cfg; the HNS network type and the CNI
/// delegate match the backend (vxlan: Overlay / win-overlay, host-gw: L2Bridge / win-bridge).
pub(super) fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    use crate::facts::node::display_win_path;
    use crate::findings::Evidence;
    let Some(_files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    ev.part("node-net-conf");
    let cluster = view.model.cluster_net_conf();
    let local = view.net_conf();
    if local.is_none() && view.from_api() {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "the node's flannel net-conf.json, CNI configuration and HNS networks are not served by the Kubernetes API (the cluster's net-conf.json is judged by the cluster part)",
        );
        return;
    }
    if local.is_none() && view.flannel_evidence().is_none() {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "flannel is not used on this node (no net-conf.json, flanneld or flannel CNI configuration)",
        );
        return;
    }
    let mut problems = 0;
    let has_local = local.is_some();
    let (conf, conf_ev) = match local {
        Some((f, Ok(c))) => (
            c.clone(),
            Evidence::file(display_win_path(&f.path), f.text.trim().replace('\n', " ")),
        ),
        Some((f, Err(why))) => {
            let path = display_win_path(&f.path);
            let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
            ev.emit(
                Status::Fail,
                Subject::file(path.clone()),
                format!("{path} cannot be read by flanneld: {why}"),
            )
            .evidence(Evidence::file(path, f.text.trim().to_string()))
            .with_fix(fix);
            return;
        }
        None => match &cluster {
            Some((r, c)) => (
                c.clone(),
                Evidence::api(r.clone(), format!("{:?}", c.backend_type)),
            ),
            None => {
                ev.emit(
                    Status::Skip,
                    Subject::node(node),
                    "no flannel net-conf.json on the node (C:\\etc\\kube-flannel\\net-conf.json) and none in the cluster: the backend is not known",
                );
                return;
            }
        },
    };
    let path = conf_ev.reference.clone();
    let backend = conf.backend_type.clone().unwrap_or_default();
    if backend == "vxlan" && has_local {
        let bad_vni = conf.vni.is_some_and(|v| v != windows_vni());
        let bad_port = conf.port.is_some_and(|p| p != windows_port());
        if bad_vni || bad_port || conf.vni.is_none() || conf.port.is_none() {
            problems += 1;
            let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
            let status = if bad_vni || bad_port {
                Status::Fail
            } else {
                Status::Warn
            };
            ev.emit(
                status,
                Subject::file(path.clone()),
                format!(
                    "{path} on {node} sets vxlan VNI {} and port {}: Windows and Linux flannel interoperate only with VNI 4096 and port 4789, written out on both sides",
                    conf.vni.map(|v| v.to_string()).unwrap_or_else(|| "(not set)".into()),
                    conf.port.map(|v| v.to_string()).unwrap_or_else(|| "(not set)".into())
                ),
            )
            .evidence(conf_ev.clone())
            .with_fix(fix);
        }
    }
    if let (Some((cm, c)), true) = (&cluster, has_local) {
        fn show<T: std::fmt::Display>(v: &Option<T>) -> String {
            v.as_ref()
                .map(|x| x.to_string())
                .unwrap_or_else(|| "(not set)".to_string())
        }
        let mut diffs = Vec::new();
        if c.network_net() != conf.network_net() {
            diffs.push(format!(
                "Network {} here, {} in the cluster",
                show(&conf.network_net()),
                show(&c.network_net())
            ));
        }
        if c.backend_type != conf.backend_type {
            diffs.push(format!(
                "Backend.Type {} here, {} in the cluster",
                show(&conf.backend_type),
                show(&c.backend_type)
            ));
        }
        if c.vni != conf.vni {
            diffs.push(format!(
                "VNI {} here, {} in the cluster",
                show(&conf.vni),
                show(&c.vni)
            ));
        }
        if c.port != conf.port {
            diffs.push(format!(
                "Port {} here, {} in the cluster",
                show(&conf.port),
                show(&c.port)
            ));
        }
        if !diffs.is_empty() {
            problems += 1;
            let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
            ev.emit(
                Status::Fail,
                Subject::file(path.clone()),
                format!(
                    "{path} on {node} differs from the cluster's {cm}: {}",
                    diffs.join(", ")
                ),
            )
            .evidence(conf_ev.clone())
            .evidence(Evidence::api(
                cm.clone(),
                format!(
                    "Network {:?} Type {:?} VNI {:?} Port {:?}",
                    c.network_net().map(|n| n.to_string()),
                    c.backend_type,
                    c.vni,
                    c.port
                ),
            ))
            .with_fix(fix);
        }
    }
    let (want_hns, want_cni) = match backend.as_str() {
        "vxlan" => ("overlay", "win-overlay"),
        "host-gw" => ("l2bridge", "win-bridge"),
        _ => ("", ""),
    };
    if !want_hns.is_empty() {
        ev.part("node-network-mode");
        if let Some(nets) = view.raw.hns_networks.ready() {
            let pod_nets: Vec<&crate::facts::node::HnsNetwork> = nets
                .iter()
                .filter(|n| {
                    matches!(
                        n.type_.to_ascii_lowercase().as_str(),
                        "overlay" | "l2bridge"
                    )
                })
                .collect();
            if !pod_nets.is_empty()
                && !pod_nets
                    .iter()
                    .any(|n| n.type_.eq_ignore_ascii_case(want_hns))
            {
                problems += 1;
                let listed: Vec<String> = pod_nets
                    .iter()
                    .map(|n| format!("{} ({})", n.name, n.type_))
                    .collect();
                let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!("flannel's backend is {backend} but the node's HNS pod network is {}: the node was set up for the other network mode", listed.join(", ")),
                )
                .evidence(conf_ev.clone())
                .evidence(Evidence::api("Get-HnsNetwork", listed.join(", ")))
                .with_fix(fix);
            }
        }
        for (f, c) in view.cni_configs() {
            let Ok(c) = c else { continue };
            let other = if want_cni == "win-overlay" {
                "win-bridge"
            } else {
                "win-overlay"
            };
            if c.uses("flannel") && c.uses(other) && !c.uses(want_cni) {
                problems += 1;
                let cni_path = display_win_path(&f.path);
                let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &cni_path)]);
                ev.emit(
                    Status::Fail,
                    Subject::file(cni_path.clone()),
                    format!("{cni_path} delegates to {other}, but flannel's backend is {backend}, which needs {want_cni}"),
                )
                .evidence(Evidence::file(cni_path, format!("plugins {}", c.plugin_types.join(", "))))
                .evidence(conf_ev.clone())
                .with_fix(fix);
            }
        }
    }
    if problems == 0 {
        ev.part("node-net-conf");
        ev.emit(
            Status::Pass,
            Subject::node(node.clone()),
            format!(
                "flannel on {node}: backend {backend}{} in {path}, consistent with the cluster, the HNS network and the CNI delegate",
                match (conf.vni, conf.port) {
                    (Some(v), Some(p)) => format!(" VNI {v} port {p}"),
                    _ => String::new(),
                }
            ),
        )
        .evidence(conf_ev);
    }
}
