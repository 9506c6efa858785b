//! Parts `node-unregistered` and `node-vni` of flannel-vxlan: the backend and VNI each node
//! registered in its `flannel.alpha.coreos.com/*` annotations, against the cluster's configuration.

use super::{list, windows_vni, ANNOTATION_BACKEND_DATA, ANNOTATION_BACKEND_TYPE};
use crate::checks::Eval;
use crate::facts::k8s::Node;
use crate::facts::network::{self, NetConf};
use crate::findings::{Evidence, Status, Subject};

/// What one node's flannel annotations say.
#[derive(Debug, PartialEq)]
pub(super) struct Registration {
    pub(super) backend_type: Option<String>,
    /// `Ok(Some(vni))`, `Ok(None)` when backend-data carries no VNI (host-gw: `null`), `Err` when
    /// it is not JSON.
    pub(super) vni: Result<Option<i64>, String>,
    pub(super) raw_data: Option<String>,
}

pub(super) fn registration(node: &Node) -> Option<Registration> {
    let a = &node.metadata.annotations;
    let backend_type = a
        .get(ANNOTATION_BACKEND_TYPE)
        .map(|t| t.trim().to_ascii_lowercase());
    let raw_data = a.get(ANNOTATION_BACKEND_DATA).cloned();
    if backend_type.is_none() && raw_data.is_none() {
        return None;
    }
    let vni = match raw_data.as_deref() {
        None => Ok(None),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => Ok(network::get_ci(&v, "VNI").and_then(serde_json::Value::as_i64)),
            Err(e) => Err(format!("backend-data is not JSON: {e}")),
        },
    };
    Some(Registration {
        backend_type,
        vni,
        raw_data,
    })
}

pub(super) fn check_node_annotations(
    ev: &mut Eval,
    nodes: &[Node],
    primary: Option<&NetConf>,
    config_known: bool,
) {
    let expected_type = primary.map(|c| c.effective_backend().to_string());
    let windows_vni = windows_vni();
    let expected_vni = match primary {
        Some(c) if c.effective_backend() == "vxlan" => c.vni.unwrap_or(1),
        _ => windows_vni,
    };
    let vni_source = if primary.is_some_and(|c| c.effective_backend() == "vxlan") {
        format!("VNI {expected_vni} of the flannel ConfigMap")
    } else {
        format!("VNI {windows_vni} that Windows requires")
    };
    let unregistered: Vec<&Node> = nodes.iter().filter(|n| registration(n).is_none()).collect();
    ev.part("node-unregistered");
    // Without a ConfigMap, nodes that never ran flannel are not evidence of anything.
    if config_known && unregistered.len() > 1 && unregistered.len() == nodes.len() {
        let names: Vec<String> = unregistered.iter().map(|n| n.name().to_string()).collect();
        let fix = ev.fix("node_unregistered", &[("node", &names[0])]);
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!("none of the {} nodes carries flannel.alpha.coreos.com annotations although a flannel ConfigMap exists: flanneld has registered no node (or the annotations were not captured)", nodes.len()),
        )
        .evidence(Evidence::api(
            "Node/* .metadata.annotations",
            format!("no flannel.alpha.coreos.com/backend-type on {}", list(&names)),
        ))
        .with_fix(fix);
    } else if config_known {
        for node in &unregistered {
            let name = node.name();
            let fix = ev.fix("node_unregistered", &[("node", name)]);
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} carries no flannel.alpha.coreos.com annotations although the cluster uses flannel: flanneld has not registered this node"),
            )
            .evidence(Evidence::api(
                format!("Node/{name} .metadata.annotations"),
                "no flannel.alpha.coreos.com/backend-type or backend-data",
            ))
            .with_fix(fix);
        }
    }
    ev.part("node-vni");
    let mut consistent = Vec::new();
    for node in nodes {
        let name = node.name();
        let Some(reg) = registration(node) else {
            continue;
        };
        let annotation_evidence = || {
            Evidence::api(
                format!("Node/{name} .metadata.annotations"),
                format!(
                    "{ANNOTATION_BACKEND_TYPE}={} {ANNOTATION_BACKEND_DATA}={}",
                    reg.backend_type.as_deref().unwrap_or("(absent)"),
                    reg.raw_data.as_deref().unwrap_or("(absent)")
                ),
            )
        };
        if let (Some(found), Some(expected)) = (&reg.backend_type, &expected_type) {
            if found != expected {
                let found_text = format!("backend {found}");
                let expected_text = format!("backend {expected}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", &found_text),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!("{name} registered flannel backend {found} but the flannel ConfigMap uses {expected}: the node cannot reach pods on other nodes"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
                continue;
            }
        }
        let is_vxlan = reg.backend_type.as_deref() == Some("vxlan");
        match &reg.vni {
            Err(problem) => {
                let expected_text = format!("VNI {expected_vni}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", "an unreadable backend-data annotation"),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    Subject::node(name),
                    format!("{name}: flannel {problem}, so its VNI cannot be checked"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
            }
            Ok(Some(vni)) if *vni != expected_vni => {
                let found_text = format!("VNI {vni}");
                let expected_text = format!("VNI {expected_vni}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", &found_text),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!("{name} registered VNI {vni} but the cluster expects the {vni_source}: VXLAN traffic between this node and the others is dropped"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
            }
            Ok(None) if is_vxlan => {
                let expected_text = format!("VNI {expected_vni}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", "the vxlan backend without a VNI"),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    Subject::node(name),
                    format!("{name} registered the vxlan backend without a VNI in its backend-data annotation"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
            }
            Ok(_) => consistent.push(name.to_string()),
        }
    }
    if !consistent.is_empty() {
        let what = match &expected_type {
            Some(t) if t != "vxlan" => format!("backend {t}"),
            _ => format!("vxlan VNI {expected_vni}"),
        };
        if expected_vni == windows_vni || expected_type.as_deref().is_some_and(|t| t != "vxlan") {
            ev.emit(
                Status::Pass,
                Subject::cluster(),
                format!(
                    "{} node(s) registered flannel {what}: {}",
                    consistent.len(),
                    list(&consistent)
                ),
            );
        }
    }
}
