//! Parts `node-cidr-outside` and `node-cidr-overlap` of ip-plan: every node's podCIDR parses, lies
//! in the cluster subnet and is disjoint from the others.

use crate::checks::Eval;
use crate::facts::k8s::Node;
use crate::facts::network::{self, is_v4, overlaps};
use crate::findings::{Evidence, Status, Subject};
use crate::model::netplan::Found;
use ipnet::IpNet;

/// Parsed podCIDRs of each node; unparsable ones are reported and left out.
fn node_cidrs<'a>(ev: &mut Eval, nodes: &'a [Node]) -> Vec<(&'a Node, IpNet)> {
    ev.part("node-cidr-outside");
    let mut out = Vec::new();
    for node in nodes {
        for text in node.pod_cidrs() {
            match network::parse_cidr(text) {
                Some(net) => out.push((node, net)),
                None => {
                    ev.emit(
                        Status::Warn,
                        Subject::node(node.name()),
                        format!("{} has podCIDR {text:?}, which is not a CIDR", node.name()),
                    )
                    .evidence(Evidence::api(
                        format!("Node/{} .spec.podCIDRs", node.name()),
                        text,
                    ));
                }
            }
        }
    }
    out
}

/// Fails each node podCIDR outside the cluster range; gives the number of failures.
fn check_outside(ev: &mut Eval, cluster: &Found, cidrs: &[(&Node, IpNet)]) -> usize {
    ev.part("node-cidr-outside");
    let mut problems = 0;
    for (node, net) in cidrs {
        let same_family: Vec<&IpNet> = cluster
            .nets
            .iter()
            .filter(|c| is_v4(c) == is_v4(net))
            .collect();
        if same_family.is_empty() || same_family.iter().any(|c| c.contains(net)) {
            continue;
        }
        problems += 1;
        let name = node.name();
        let (net_text, cluster_text) = (net.to_string(), same_family[0].to_string());
        let fix = ev.fix(
            "node_outside",
            &[
                ("node", name),
                ("pod_cidr", &net_text),
                ("cluster", &cluster_text),
            ],
        );
        ev.emit(
            Status::Fail,
            Subject::node(name),
            format!("{name} has pod subnet {net}, outside the cluster subnet {cluster_text}: routes and overlay entries for its pods are missing on the other nodes"),
        )
        .evidence(Evidence::api(format!("Node/{name} .spec.podCIDRs"), &net_text))
        .evidence(cluster.evidence())
        .with_fix(fix);
    }
    problems
}

/// Node podCIDRs inside the cluster range (when it is known) and pairwise disjoint.
pub(super) fn check_node_cidrs(ev: &mut Eval, cluster: Option<&Found>, nodes: &[Node]) -> Option<String> {
    let cidrs = node_cidrs(ev, nodes);
    if cidrs.is_empty() {
        return None;
    }
    let mut problems = 0;
    if let Some(c) = cluster {
        problems += check_outside(ev, c, &cidrs);
    }
    ev.part("node-cidr-overlap");
    for (i, (a_node, a)) in cidrs.iter().enumerate() {
        for (b_node, b) in &cidrs[i + 1..] {
            if a_node.name() == b_node.name() || !overlaps(a, b) {
                continue;
            }
            problems += 1;
            let (a_text, b_text) = (a.to_string(), b.to_string());
            let fix = ev.fix(
                "node_overlap",
                &[
                    ("node", b_node.name()),
                    ("other", a_node.name()),
                    ("pod_cidr", &b_text),
                    ("other_cidr", &a_text),
                ],
            );
            ev.emit(
                Status::Fail,
                Subject::node(b_node.name()),
                format!(
                    "{} and {} have overlapping pod subnets ({b} and {a}): the same pod IPs can be handed out on both",
                    b_node.name(),
                    a_node.name()
                ),
            )
            .evidence(Evidence::api(format!("Node/{} .spec.podCIDRs", b_node.name()), &b_text))
            .evidence(Evidence::api(format!("Node/{} .spec.podCIDRs", a_node.name()), &a_text))
            .with_fix(fix);
        }
    }
    (problems == 0).then(|| match cluster {
        Some(_) => format!(
            "{} node pod subnet(s) lie inside the cluster subnet and do not overlap",
            cidrs.len()
        ),
        None => format!("{} node pod subnet(s) do not overlap", cidrs.len()),
    })
}
