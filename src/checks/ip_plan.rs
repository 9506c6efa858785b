//! Check `ip-plan`: the cluster's address plan (seed 003 § IP 주소 체계 설계하기). The service CIDR and
//! cluster CIDR are read, in this order, from the kubeadm-config `ClusterConfiguration`, the
//! kube-apiserver / kube-controller-manager static pod flags, the flannel net-conf.json Network and the
//! kube-proxy `clusterCIDR`; the first source that has a value is used and the others are compared
//! with it. Then: the two ranges must not overlap, the DNS Service IP must lie in the service range,
//! every node podCIDR must lie in the cluster range and be disjoint from the others, and the cluster
//! range must hold nodes + nodes x max pods addresses. A part whose range could not be determined is
//! reported as `skip`, naming the sources looked at. The cluster part is here; a node part can be added
//! as `node_part`. See checks/ip-plan.toml.

use super::Eval;
use crate::facts::k8s::{Node, Service};
use crate::facts::network::{self, address_count, is_v4, overlaps};
use crate::findings::{Evidence, Status, Subject};
use crate::model::netplan::{disagrees, Found};
use crate::model::node::{Kind, NodeView};
use ipnet::IpNet;
use std::net::IpAddr;

/// The kubelet's default maximum pods per node.
const DEFAULT_MAX_PODS: u128 = 110;

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

fn cluster_part(ev: &mut Eval) {
    let cms = ev.configmaps();
    let pods = ev.pods();
    let services = ev.services();
    let nodes = ev.nodes();

    let _ = (cms, pods);
    let plan = ev.model().plan();
    for (source, raw, problem) in &plan.unreadable {
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!("{source} holds {raw:?}, which cannot be used as an address range: {problem}"),
        )
        .evidence(Evidence::api(source, raw));
    }
    let service = plan.service.first();
    let cluster = plan.cluster.first();
    report_disagreement(ev, "service subnet", &plan.service);
    report_disagreement(ev, "cluster subnet", &plan.cluster);

    let mut passed: Vec<String> = Vec::new();
    let looked = |extra: &[String]| {
        let all: Vec<&str> = plan
            .looked
            .iter()
            .chain(extra.iter())
            .map(String::as_str)
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(" ({})", all.join("; "))
        }
    };
    if service.is_none() {
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!("the service subnet could not be determined: no kubeadm-config serviceSubnet and no --service-cluster-ip-range on kube-apiserver or kube-controller-manager pods{}", looked(&[])),
        );
    }
    if cluster.is_none() {
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!("the cluster subnet could not be determined: no kubeadm-config podSubnet, no --cluster-cidr on kube-controller-manager, no flannel Network, no kube-proxy clusterCIDR{}", looked(&plan.looked_cluster_only)),
        );
    }

    if let (Some(s), Some(c)) = (service, cluster) {
        if check_overlap(ev, s, c) {
            passed.push(format!(
                "service subnet {} ({}) and cluster subnet {} ({}) do not overlap",
                s.shown(),
                s.source,
                c.shown(),
                c.source
            ));
        }
    }
    if let (Some(s), Some(services)) = (service, services) {
        if let Some(text) = check_dns_ip(ev, s, services) {
            passed.push(text);
        }
    }
    if let Some(nodes) = nodes {
        if let Some(text) = check_node_cidrs(ev, cluster, nodes) {
            passed.push(text);
        }
        if let Some(c) = cluster {
            if let Some(text) = check_size(ev, c, nodes, plan.node_mask.as_ref()) {
                passed.push(text);
            }
        }
    }
    if !passed.is_empty() {
        let mut finding_evidence = Vec::new();
        if let Some(s) = service {
            finding_evidence.push(s.evidence());
        }
        if let Some(c) = cluster {
            finding_evidence.push(c.evidence());
        }
        let f = ev.emit(Status::Pass, Subject::cluster(), passed.join("; "));
        for e in finding_evidence {
            f.evidence(e);
        }
    }
}

fn report_disagreement(ev: &mut Eval, what: &str, found: &[Found]) {
    let Some(first) = found.first() else { return };
    for other in &found[1..] {
        if !disagrees(first, other) {
            continue;
        }
        let (chosen, other_shown) = (first.shown(), other.shown());
        let fix = ev.fix(
            "disagree",
            &[
                ("what", what),
                ("chosen", &chosen),
                ("chosen_source", &first.source),
                ("other", &other_shown),
                ("other_source", &other.source),
            ],
        );
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!(
                "the sources disagree on the {what}: {chosen} in {} but {other_shown} in {}",
                first.source, other.source
            ),
        )
        .evidence(first.evidence())
        .evidence(other.evidence())
        .with_fix(fix);
    }
}

/// Fails when the two ranges overlap; true when they do not.
fn check_overlap(ev: &mut Eval, service: &Found, cluster: &Found) -> bool {
    let clash = service
        .nets
        .iter()
        .flat_map(|s| cluster.nets.iter().map(move |c| (s, c)))
        .find(|(s, c)| overlaps(s, c));
    let Some((s, c)) = clash else { return true };
    let (s, c) = (s.to_string(), c.to_string());
    let fix = ev.fix("overlap", &[("service", &s), ("cluster", &c)]);
    ev.emit(
        Status::Fail,
        Subject::cluster(),
        format!("the service subnet {s} and the cluster subnet {c} overlap: Service IPs and pod IPs can collide"),
    )
    .evidence(service.evidence())
    .evidence(cluster.evidence())
    .with_fix(fix);
    false
}

/// The conventional DNS address of a service range: its tenth address (10.96.0.0/12 -> 10.96.0.10).
fn tenth_address(net: &IpNet) -> Option<IpAddr> {
    match net {
        IpNet::V4(n) => {
            let base = u32::from(n.network());
            base.checked_add(10)
                .map(|a| IpAddr::from(std::net::Ipv4Addr::from(a)))
        }
        IpNet::V6(n) => {
            let base = u128::from(n.network());
            base.checked_add(10)
                .map(|a| IpAddr::from(std::net::Ipv6Addr::from(a)))
        }
    }
    .filter(|a| net.contains(a))
}

fn check_dns_ip(ev: &mut Eval, service: &Found, services: &[Service]) -> Option<String> {
    let dns = network::dns_service(services)?;
    let ip: IpAddr = dns.spec.cluster_ip.as_deref()?.trim().parse().ok()?;
    let dns_ref = format!("{}/{}", dns.namespace(), dns.name());
    let same_family: Vec<&IpNet> = service
        .nets
        .iter()
        .filter(|n| n.network().is_ipv4() == ip.is_ipv4())
        .collect();
    if same_family.is_empty() || same_family.iter().any(|n| n.contains(&ip)) {
        return same_family
            .first()
            .map(|n| format!("DNS Service {dns_ref} IP {ip} is inside {n}"));
    }
    let range = same_family[0];
    let suggested = tenth_address(range)
        .map(|a| a.to_string())
        .unwrap_or_else(|| range.network().to_string());
    let (range_text, ip_text) = (range.to_string(), ip.to_string());
    let fix = ev.fix(
        "dns_outside",
        &[
            ("dns_service", &dns_ref),
            ("dns_name", dns.name()),
            ("dns_ip", &ip_text),
            ("service", &range_text),
            ("suggested", &suggested),
        ],
    );
    ev.emit(
        Status::Fail,
        Subject::namespaced("Service", dns.namespace(), dns.name()),
        format!("the DNS Service {dns_ref} IP {ip} is outside the service subnet {range}: the API server would not allocate it and kube-proxy does not serve it"),
    )
    .evidence(Evidence::api(format!("Service/{dns_ref} .spec.clusterIP"), &ip_text))
    .evidence(service.evidence())
    .with_fix(fix);
    None
}

/// Parsed podCIDRs of each node; unparsable ones are reported and left out.
fn node_cidrs<'a>(ev: &mut Eval, nodes: &'a [Node]) -> Vec<(&'a Node, IpNet)> {
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
fn check_node_cidrs(ev: &mut Eval, cluster: Option<&Found>, nodes: &[Node]) -> Option<String> {
    let cidrs = node_cidrs(ev, nodes);
    if cidrs.is_empty() {
        return None;
    }
    let mut problems = 0;
    if let Some(c) = cluster {
        problems += check_outside(ev, c, &cidrs);
    }
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

/// The maximum pods of a node: `.status.capacity.pods`, else the kubelet default.
fn max_pods(node: &Node) -> u128 {
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
fn required_addresses(nodes: &[Node]) -> u128 {
    nodes.iter().map(|n| 1 + max_pods(n)).sum()
}

/// The node subnet prefix length: the controller manager's flag, else the most common IPv4 node
/// podCIDR prefix.
fn node_prefix(nodes: &[Node], flag: Option<&(u8, String)>) -> Option<(u8, String)> {
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

fn check_size(
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

/// Node part: the node's own network does not overlap the cluster or service CIDR, the kubelet's
/// `--cluster-dns` lies in the service CIDR, and kube-proxy's `--cluster-cidr` is the cluster CIDR.
fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    use crate::findings::Evidence;
    use ipnet::IpNet;
    let Some(_files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    let cluster = view.cluster_cidr();
    let service = view.service_cidr();
    if cluster.is_none() && service.is_none() {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "neither the cluster CIDR nor the service CIDR is known (no subnet.env, net-conf.json, kubeadm ClusterConfiguration or API server flags captured)",
        );
        return;
    }
    let overlaps = |a: &IpNet, b: &IpNet| a.contains(&b.network()) || b.contains(&a.network());
    let mut problems = 0;
    let host: Option<(IpNet, Evidence)> = view
        .management_subnet()
        .or_else(|| view.node_ip().map(|(ip, e)| (IpNet::from(ip), e)));
    if let Some((host_net, host_ev)) = &host {
        for (what, s) in [("cluster CIDR", &cluster), ("service CIDR", &service)] {
            if let Some(s) = s {
                if overlaps(host_net, &s.net) {
                    problems += 1;
                    let fix = ev.fix(
                        "node_host_overlap",
                        &[
                            ("node", &node),
                            ("host", &host_net.to_string()),
                            ("range", &s.net.to_string()),
                        ],
                    );
                    ev.emit(
                        Status::Fail,
                        Subject::node(node.clone()),
                        format!("{node}'s own network {host_net} overlaps the {what} {}: traffic to those addresses is routed to pods or services instead of hosts", s.net),
                    )
                    .evidence(host_ev.clone())
                    .evidence(s.evidence.clone())
                    .with_fix(fix);
                }
            }
        }
    }
    if let (Some(k), Some(svc)) = (view.kubelet(), &service) {
        let dns: Vec<(String, Evidence)> = match k.get("cluster-dns") {
            Some(st) => st
                .flag
                .value
                .clone()
                .unwrap_or_default()
                .split(',')
                .map(|v| (v.trim().to_string(), st.evidence.clone()))
                .collect(),
            None => k
                .config_file()
                .map(|c| {
                    c.cluster_dns
                        .iter()
                        .map(|v| {
                            (
                                v.clone(),
                                Evidence::file(
                                    k.config
                                        .as_ref()
                                        .map(|(p, _)| p.clone())
                                        .unwrap_or_default(),
                                    format!("clusterDNS: {v}"),
                                ),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        for (ip, e) in dns {
            if let Ok(addr) = ip.parse::<std::net::IpAddr>() {
                if !svc.net.contains(&addr) {
                    problems += 1;
                    let fix = ev.fix(
                        "node_cluster_dns",
                        &[
                            ("node", &node),
                            ("dns", &ip),
                            ("range", &svc.net.to_string()),
                        ],
                    );
                    ev.emit(
                        Status::Fail,
                        Subject::node(node.clone()),
                        format!("the kubelet on {node} gives pods DNS server {ip}, outside the service CIDR {}: Windows pods cannot resolve cluster names", svc.net),
                    )
                    .evidence(e)
                    .evidence(svc.evidence.clone())
                    .with_fix(fix);
                }
            }
        }
    }
    if let Some(c) = &cluster {
        if let Some((f, e)) = view.component(Kind::KubeProxy).flag("cluster-cidr") {
            {
                let value = f.value.clone().unwrap_or_default();
                let parsed = value
                    .split(',')
                    .find_map(|v| v.trim().parse::<IpNet>().ok())
                    .map(|n| n.trunc());
                if parsed.is_some_and(|p| p != c.net) && e.reference != c.evidence.reference {
                    problems += 1;
                    let mut ev_flag = e.clone();
                    ev_flag.excerpt = f.written.clone();
                    let fix = ev.fix(
                        "node_kube_proxy_cidr",
                        &[("node", &node), ("range", &c.net.to_string())],
                    );
                    ev.emit(
                        Status::Warn,
                        Subject::node(node.clone()),
                        format!(
                            "kube-proxy on {node} runs with {}, but the cluster CIDR is {}",
                            f.written, c.net
                        ),
                    )
                    .evidence(ev_flag)
                    .evidence(c.evidence.clone())
                    .with_fix(fix);
                }
            }
        }
    }
    if problems == 0 {
        let mut parts = Vec::new();
        if let Some((h, _)) = &host {
            parts.push(format!("host network {h}"));
        }
        if let Some(c) = &cluster {
            parts.push(format!("cluster {}", c.net));
        }
        if let Some(s) = &service {
            parts.push(format!("service {}", s.net));
        }
        ev.emit(
            Status::Pass,
            Subject::node(node.clone()),
            format!("the node's addresses fit the IP plan ({}): no overlap, DNS inside the service range", parts.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).expect("node yaml")
    }

    #[test]
    fn documented_sizing_formula() {
        // Seed 003: 5 nodes with 100 pods each need 5 + 5 x 100 = 505 addresses.
        let nodes: Vec<Node> = (0..5)
            .map(|i| {
                node(&format!(
                    "metadata: {{name: n{i}}}\nstatus: {{capacity: {{pods: \"100\"}}}}\n"
                ))
            })
            .collect();
        assert_eq!(required_addresses(&nodes), 505);
        // Without a capacity the kubelet default of 110 applies; numbers are accepted too.
        assert_eq!(max_pods(&node("metadata: {name: a}\n")), 110);
        assert_eq!(
            max_pods(&node(
                "metadata: {name: a}\nstatus: {capacity: {pods: 250}}\n"
            )),
            250
        );
    }

    #[test]
    fn tenth_address_of_a_range() {
        let net = network::parse_cidr("10.96.0.0/12").expect("cidr");
        assert_eq!(
            tenth_address(&net).map(|a| a.to_string()).as_deref(),
            Some("10.96.0.10")
        );
        let tiny = network::parse_cidr("10.0.0.0/30").expect("cidr");
        assert_eq!(tenth_address(&tiny), None);
        let v6 = network::parse_cidr("fd00:10:96::/112").expect("cidr");
        assert_eq!(
            tenth_address(&v6).map(|a| a.to_string()).as_deref(),
            Some("fd00:10:96::a")
        );
    }

    #[test]
    fn node_prefix_prefers_the_flag_then_the_common_podcidr() {
        let nodes = vec![
            node("metadata: {name: a}\nspec: {podCIDR: 10.244.0.0/24}\n"),
            node("metadata: {name: b}\nspec: {podCIDR: 10.244.1.0/24}\n"),
            node("metadata: {name: c}\nspec: {podCIDR: 10.244.2.0/25}\n"),
        ];
        assert_eq!(node_prefix(&nodes, None).map(|(p, _)| p), Some(24));
        let flag = (26u8, "flag".to_string());
        assert_eq!(node_prefix(&nodes, Some(&flag)).map(|(p, _)| p), Some(26));
        assert_eq!(node_prefix(&[], None), None);
    }
    const CHECK_ID: &str = "ip-plan";

    /// Runs the whole check on a tiny in-memory bundle, as the catalogue examples do.
    fn run_check(files: &[(&str, &str)]) -> Vec<crate::findings::Finding> {
        let files: std::collections::BTreeMap<String, String> = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let store = crate::sources::files::MemoryStore::from_text(&files);
        let world = crate::model::World::new(crate::sources::bundle::read_bundle(&store));
        crate::checks::run_one(CHECK_ID, crate::model::Model::new(&world))
            .findings
            .into_iter()
            // These tests exercise the cluster part: drop the node part's "node data not captured" skip.
            .filter(|f| !(f.subject.kind == "Input" && f.subject.name == "node"))
            .collect()
    }

    fn with_status(findings: &[crate::findings::Finding], status: Status) -> Vec<&str> {
        crate::checks::testing::messages_with_status(findings, status)
    }

    #[test]
    fn disagreeing_sources_and_exhausted_node_subnets_warn() {
        let cms = "items:\n- metadata: {name: kubeadm-config, namespace: kube-system}\n  data:\n    ClusterConfiguration: |\n      networking: {podSubnet: 10.244.0.0/22, serviceSubnet: 10.96.0.0/12}\n- metadata: {name: kube-flannel-cfg, namespace: kube-flannel}\n  data:\n    net-conf.json: '{\"Network\": \"10.245.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"}}'\n";
        let mut nodes = String::from("items:\n");
        for i in 0..5 {
            nodes.push_str(&format!("- metadata: {{name: n{i}}}\n  spec: {{podCIDR: 10.244.{i}.0/24}}\n  status: {{capacity: {{pods: '30'}}}}\n"));
        }
        let f = run_check(&[
            ("cluster/configmaps.yaml", cms),
            ("cluster/nodes.yaml", &nodes),
            ("cluster/pods.yaml", "items: []"),
            ("cluster/services.yaml", "items: []"),
        ]);
        let warns = with_status(&f, Status::Warn);
        assert!(
            warns
                .iter()
                .any(|m| m.contains("disagree") && m.contains("10.245.0.0/16")),
            "{warns:?}"
        );
        assert!(
            warns.iter().any(|m| m.contains("room for 4 nodes")),
            "{warns:?}"
        );
        // n4's 10.244.4.0/24 lies outside the /22.
        assert!(with_status(&f, Status::Fail)
            .iter()
            .any(|m| m.contains("n4")));
    }

    #[test]
    fn unreadable_values_are_named_and_node_overlaps_checked_without_a_plan() {
        let cms = "items:\n- metadata: {name: kubeadm-config, namespace: kube-system}\n  data:\n    ClusterConfiguration: |\n      networking: {serviceSubnet: 10.96.0.0/33}\n";
        let nodes = "items:\n- metadata: {name: a}\n  spec: {podCIDR: 10.1.0.0/24}\n- metadata: {name: b}\n  spec: {podCIDR: 10.1.0.128/25}\n";
        let f = run_check(&[
            ("cluster/configmaps.yaml", cms),
            ("cluster/nodes.yaml", nodes),
            ("cluster/pods.yaml", "items: []"),
            ("cluster/services.yaml", "items: []"),
        ]);
        assert!(with_status(&f, Status::Warn)
            .iter()
            .any(|m| m.contains("10.96.0.0/33")));
        assert!(with_status(&f, Status::Fail)
            .iter()
            .any(|m| m.contains("overlapping pod subnets")));
        assert_eq!(with_status(&f, Status::Skip).len(), 2);
    }
}
