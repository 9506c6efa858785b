//! Part `range-too-small` of ip-plan: the cluster subnet holds nodes + nodes x max pods addresses
//! (seed 003 § IP 주소 체계 설계하기), and the node subnet size leaves room for every node.

use crate::checks::Eval;
use crate::facts::k8s::Node;
use crate::facts::network::{self, address_count, is_v4};
use crate::findings::{Evidence, Status, Subject};
use crate::model::netplan::Found;

/// The kubelet's default maximum pods per node.
const DEFAULT_MAX_PODS: u128 = 110;

/// The maximum pods of a node: `.status.capacity.pods`, else the kubelet default.
pub(super) fn max_pods(node: &Node) -> u128 {
    node.status
        .capacity
        .get("pods")
        .and_then(|v| match v {
            serde_json::Value::String(s) => s.trim().parse().ok(),
            serde_json::Value::Number(n) => n.as_u64().map(u128::from),
            _ => None,
        })
        .unwrap_or(DEFAULT_MAX_PODS)
}

/// The documented minimum cluster subnet: nodes + nodes x max pods per node.
pub(super) fn required_addresses(nodes: &[Node]) -> u128 {
    nodes.iter().map(|n| 1 + max_pods(n)).sum()
}

/// The node subnet prefix length: the controller manager's flag, else the most common IPv4 node
/// podCIDR prefix.
pub(super) fn node_prefix(nodes: &[Node], flag: Option<&(u8, String)>) -> Option<(u8, String)> {
    if let Some(f) = flag {
        return Some(f.clone());
    }
    let mut counts = std::collections::BTreeMap::<u8, usize>::new();
    for n in nodes {
        for c in n.pod_cidrs() {
            if let Some(net) = network::parse_cidr(c).filter(is_v4) {
                *counts.entry(net.prefix_len()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, c)| *c)
        .map(|(p, _)| (p, "the nodes' podCIDRs".to_string()))
}

pub(super) fn check_size(
    ev: &mut Eval,
    cluster: &Found,
    nodes: &[Node],
    mask: Option<&(u8, String)>,
) -> Option<String> {
    let net = cluster.nets.iter().find(|n| is_v4(n))?;
    if nodes.is_empty() {
        return None;
    }
    let have = address_count(net);
    let need = required_addresses(nodes);
    let pods_text = {
        let mut all: Vec<u128> = nodes.iter().map(max_pods).collect();
        all.sort_unstable();
        all.dedup();
        all.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    };
    ev.part("range-too-small");
    let mut ok = true;
    if have < need {
        ok = false;
        let (net_text, have_text, need_text, nodes_text) = (
            net.to_string(),
            have.to_string(),
            need.to_string(),
            nodes.len().to_string(),
        );
        let fix = ev.fix(
            "too_small",
            &[
                ("cluster", &net_text),
                ("have", &have_text),
                ("need", &need_text),
                ("nodes", &nodes_text),
                ("pods", &pods_text),
            ],
        );
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!("the cluster subnet {net} holds {have} addresses, but {} nodes with up to {pods_text} pods each need at least {need} (nodes + nodes x max pods)", nodes.len()),
        )
        .evidence(cluster.evidence())
        .evidence(Evidence::api("Node/* .status.capacity.pods", format!("{} nodes, max pods {pods_text}", nodes.len())))
        .with_fix(fix);
    }
    if let Some((prefix, source)) = node_prefix(nodes, mask) {
        if prefix >= net.prefix_len() && prefix <= 32 {
            let room = 1u128 << u32::from(prefix - net.prefix_len()).min(127);
            if room < nodes.len() as u128 {
                ok = false;
                let (net_text, room_text, nodes_text, mask_text) = (
                    net.to_string(),
                    room.to_string(),
                    nodes.len().to_string(),
                    prefix.to_string(),
                );
                let fix = ev.fix(
                    "node_subnets_exhausted",
                    &[
                        ("cluster", &net_text),
                        ("room", &room_text),
                        ("nodes", &nodes_text),
                        ("mask", &mask_text),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    Subject::cluster(),
                    format!("with /{prefix} node subnets (from {source}) the cluster subnet {net} has room for {room} nodes, and the cluster has {}", nodes.len()),
                )
                .evidence(cluster.evidence())
                .with_fix(fix);
            }
        }
    }
    ok.then(|| format!("cluster subnet {net} holds {have} addresses, enough for {} node(s) x up to {pods_text} pods ({need} needed)", nodes.len()))
}
