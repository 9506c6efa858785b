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
    for (i, j) in overlapping_pairs(&cidrs) {
        let (Some((a_node, a)), Some((b_node, b))) = (cidrs.get(i), cidrs.get(j)) else {
            continue;
        };
        if a_node.name() == b_node.name() {
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

    (problems == 0).then(|| match cluster {
        Some(_) => format!(
            "{} node pod subnet(s) lie inside the cluster subnet and do not overlap",
            cidrs.len()
        ),
        None => format!("{} node pod subnet(s) do not overlap", cidrs.len()),
    })
}

/// The pairs `(i, j)`, `i < j`, of overlapping subnets in `cidrs`, in the order of a pairwise scan
/// (by `i`, then `j`). Two CIDRs overlap when one contains the other: sorted by first address
/// (then widest first), each subnet overlaps exactly the earlier ones that have not ended before it
/// starts, so a sweep with a stack of open subnets finds every pair without comparing all of them
/// (5,000 nodes are 12.5 million comparisons).
fn overlapping_pairs(cidrs: &[(&Node, IpNet)]) -> Vec<(usize, usize)> {
    fn bounds(net: &IpNet) -> (bool, u128, u128) {
        let net = net.trunc();
        match net {
            IpNet::V4(n) => (
                true,
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            ),
            IpNet::V6(n) => (false, u128::from(n.network()), u128::from(n.broadcast())),
        }
    }
    let mut order: Vec<(bool, u128, u128, usize)> = cidrs
        .iter()
        .enumerate()
        .map(|(i, (_, net))| {
            let (v4, start, end) = bounds(net);
            (v4, start, end, i)
        })
        .collect();
    // Same family together, then by first address, the widest (latest end) first.
    order.sort_by(|a, b| (a.0, a.1, b.2, a.3).cmp(&(b.0, b.1, a.2, b.3)));
    let mut pairs = Vec::new();
    let mut open: Vec<(bool, u128, usize)> = Vec::new();
    for (v4, start, end, i) in order {
        open.retain(|&(family, open_end, _)| family == v4 && open_end >= start);
        for &(_, _, j) in &open {
            pairs.push((i.min(j), i.max(j)));
        }
        open.push((v4, end, i));
    }
    debug_assert!(pairs.iter().all(|&(i, j)| cidrs
        .get(i)
        .zip(cidrs.get(j))
        .is_some_and(|((_, a), (_, b))| overlaps(a, b))));
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sweep finds exactly the pairs a pairwise scan finds, in the same order.
    #[test]
    fn overlapping_pairs_match_the_pairwise_scan() {
        let node: Node = serde_json::from_str(r#"{"metadata":{"name":"n"}}"#).expect("node");
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for round in 0..200 {
            let count = 1 + next(40) as usize;
            let mut texts = Vec::new();
            for _ in 0..count {
                texts.push(match next(4) {
                    0 => format!("fd00:{:x}::/{}", next(4), 32 + next(33)),
                    _ => format!("10.{}.{}.0/{}", next(4), next(4) * 64, 14 + next(13)),
                });
            }
            let cidrs: Vec<(&Node, IpNet)> = texts
                .iter()
                .filter_map(|t| network::parse_cidr(t))
                .map(|net| (&node, net))
                .collect();
            let mut expected = Vec::new();
            for i in 0..cidrs.len() {
                for j in i + 1..cidrs.len() {
                    if overlaps(&cidrs[i].1, &cidrs[j].1) {
                        expected.push((i, j));
                    }
                }
            }
            assert_eq!(overlapping_pairs(&cidrs), expected, "round {round}: {texts:?}");
        }
    }
}
