//! The node part of ip-plan (`node-host-overlap`, `node-cluster-dns`, `node-kube-proxy-cidr`): the
//! node's own network against the cluster and service subnets (judged by the CNI in use: with
//! vpc-bridge or azure-vnet pods live in the node's network, so the node lies in the cluster range by
//! design), and the kubelet's and kube-proxy's settings against them.

use crate::checks::Eval;
use crate::findings::{Status, Subject};
use crate::model::node::{Kind, NodeView};

/// Node part: the node's own network does not overlap the cluster or service CIDR, the kubelet's
/// `--cluster-dns` lies in the service CIDR, and kube-proxy's `--cluster-cidr` is the cluster CIDR.
pub(super) fn node_part(ev: &mut Eval) {
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
    ev.part("range-unknown");
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
    // With a CNI that gives pods addresses of the node's own network (vpc-bridge, azure-vnet), the
    // cluster CIDR is that network: the node's address lies in it by design.
    let cni = view.cni();
    let pods_in_node_network = cni.filter(|c| c.rules.pods_in_node_network);
    if let (Some((host_net, host_ev)), Some(c), Some(cl)) = (&host, pods_in_node_network, &cluster) {
        if overlaps(host_net, &cl.net) {
            ev.part("node-host-overlap");
            ev.emit(
                Status::Info,
                Subject::node(node.clone()),
                format!(
                    "{node}'s own network {host_net} lies in the cluster CIDR {}: normal for {}, which gives pods addresses of the node's network",
                    cl.net,
                    c.describe()
                ),
            )
            .evidence(host_ev.clone())
            .evidence(cl.evidence.clone())
            .evidence(c.evidence());
        }
    }
    if let Some((host_net, host_ev)) = &host {
        for (what, s) in [("cluster CIDR", &cluster), ("service CIDR", &service)] {
            if what == "cluster CIDR" && pods_in_node_network.is_some() {
                continue;
            }
            if let Some(s) = s {
                if overlaps(host_net, &s.net) {
                    problems += 1;
                    ev.part("node-host-overlap");
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
                    ev.part("node-cluster-dns");
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
                    ev.part("node-kube-proxy-cidr");
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
        ev.part("node-host-overlap");
        ev.emit(
            Status::Pass,
            Subject::node(node.clone()),
            format!("the node's addresses fit the IP plan ({}): no overlap, DNS inside the service range", parts.join(", ")),
        );
    }
}
