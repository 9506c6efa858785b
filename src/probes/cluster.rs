//! NodePort and ClusterIP probes from the Windows node itself.
//!
//! These probes only make sense on the node: the machine windoctor runs on must be the local Node
//! (`--node` or host name match), that Node must run Windows, and one of its addresses must be
//! assigned to this machine (checked by binding a socket to it, which sends nothing). Otherwise the
//! group is recorded as not run, with the reason, and nothing is sent. On the node, windoctor
//! connects to its own IP at each NodePort and to the ClusterIPs of Services (those with Windows
//! backends first, then `default/kubernetes`), a bounded number of each.

use super::{tcp, ProbeConfig};
use crate::facts::k8s::Node;
use crate::facts::probes::{ProbeSet, ServiceProbe};
use crate::facts::Facts;
use std::net::{IpAddr, SocketAddr, UdpSocket};

/// One connect to make: from `node`, to `addr`, for `service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub service: String,
    pub node: String,
    pub addr: SocketAddr,
}

/// What the cluster probes will connect to, or why each group does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterPlan {
    pub nodeport: Result<Vec<Planned>, String>,
    pub cluster_ip: Result<Vec<Planned>, String>,
}

/// True when `ip` is assigned to this machine: binding to it succeeds (no packet is sent).
pub fn is_local_address(ip: IpAddr) -> bool {
    UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// The local Node, when it is a Windows node holding an address of this machine, with that address.
pub fn local_windows_node(facts: &Facts) -> Result<(&Node, IpAddr), String> {
    let Some(nodes) = facts.cluster.nodes.ready() else {
        return Err(
            "the Node list could not be read, so this node's own address is unknown".to_string(),
        );
    };
    let Some(name) = facts.local_node_name.as_deref() else {
        return Err(format!(
            "this machine ({}) is not a Node of the cluster: its host name matches none of the {} Nodes (on a Windows node, pass --node NAME)",
            hostname(),
            nodes.len()
        ));
    };
    let Some(node) = facts.local_node() else {
        return Err(format!("--node {name} names no Node of the cluster"));
    };
    if !node.is_windows() {
        return Err(format!(
            "this machine is Node {name}, which is not a Windows node"
        ));
    }
    let addresses: Vec<&str> = node
        .status
        .addresses
        .iter()
        .filter(|a| a.type_ == "InternalIP" || a.type_ == "ExternalIP")
        .map(|a| a.address.as_str())
        .collect();
    if addresses.is_empty() {
        return Err(format!("Node {name} reports no InternalIP or ExternalIP"));
    }
    addresses
        .iter()
        .filter_map(|a| a.parse::<IpAddr>().ok())
        .find(|ip| is_local_address(*ip))
        .map(|ip| (node, ip))
        .ok_or_else(|| {
            format!(
                "this machine ({}) does not hold any address of Node {name} ({}): run windoctor --probe on that node",
                hostname(),
                addresses.join(", ")
            )
        })
}

fn hostname() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "this host".to_string())
}

/// Chooses the NodePort and ClusterIP connects for this machine, at most `max` of each.
pub fn plan(facts: &Facts, max: usize) -> ClusterPlan {
    let (node, node_ip) = match local_windows_node(facts) {
        Ok(found) => found,
        Err(why) => {
            return ClusterPlan {
                nodeport: Err(why.clone()),
                cluster_ip: Err(why),
            }
        }
    };
    let Some(services) = facts.cluster.services.ready() else {
        let why = "the Service list could not be read".to_string();
        return ClusterPlan {
            nodeport: Err(why.clone()),
            cluster_ip: Err(why),
        };
    };
    let node_name = node.name().to_string();

    let mut nodeports = Vec::new();
    for svc in services {
        for port in svc.node_ports().into_iter().filter(|p| p.is_tcp()) {
            if let Some(np) = port.node_port.and_then(|n| u16::try_from(n).ok()) {
                nodeports.push(Planned {
                    service: format!("{}/{}", svc.namespace(), svc.name()),
                    node: node_name.clone(),
                    addr: SocketAddr::new(node_ip, np),
                });
            }
        }
    }
    nodeports.truncate(max);

    let windows: Vec<&str> = facts
        .cluster
        .nodes
        .ready()
        .map(|nodes| {
            nodes
                .iter()
                .filter(|n| n.is_windows())
                .map(|n| n.name())
                .collect()
        })
        .unwrap_or_default();
    let pods = facts.cluster.pods.ready().map(Vec::as_slice).unwrap_or(&[]);
    let mut ranked: Vec<(u8, Planned)> = Vec::new();
    for svc in services {
        let Some(ip) = svc
            .cluster_ip_address()
            .and_then(|a| a.parse::<IpAddr>().ok())
        else {
            continue;
        };
        let Some(port) = svc
            .spec
            .ports
            .iter()
            .find(|p| p.is_tcp())
            .and_then(|p| u16::try_from(p.port).ok())
        else {
            continue;
        };
        let rank = if !svc.windows_backends(pods, &windows).is_empty() {
            0
        } else if svc.namespace() == "default" && svc.name() == "kubernetes" {
            1
        } else {
            continue;
        };
        ranked.push((
            rank,
            Planned {
                service: format!("{}/{}", svc.namespace(), svc.name()),
                node: node_name.clone(),
                addr: SocketAddr::new(ip, port),
            },
        ));
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    let cluster_ips: Vec<Planned> = ranked.into_iter().map(|(_, p)| p).take(max).collect();

    ClusterPlan {
        nodeport: if nodeports.is_empty() {
            Err("no Service has a TCP NodePort".to_string())
        } else {
            Ok(nodeports)
        },
        cluster_ip: if cluster_ips.is_empty() {
            Err("no Service with Windows backends (nor default/kubernetes) has a TCP ClusterIP port"
                .to_string())
        } else {
            Ok(cluster_ips)
        },
    }
}

/// Runs one group of planned connects concurrently.
pub async fn run(planned: Result<Vec<Planned>, String>, cfg: &ProbeConfig) -> ProbeSet {
    let planned = match planned {
        Ok(p) => p,
        Err(why) => {
            return ProbeSet {
                probes: Vec::new(),
                not_run: Some(why),
            }
        }
    };
    let mut set = tokio::task::JoinSet::new();
    for (index, p) in planned.into_iter().enumerate() {
        let cfg = cfg.clone();
        set.spawn(async move {
            let (record, _stream) = tcp::connect(p.addr, &cfg).await;
            (
                index,
                ServiceProbe {
                    service: p.service,
                    node: p.node,
                    address: p.addr.to_string(),
                    tcp: record,
                },
            )
        });
    }
    let mut probes = Vec::new();
    while let Some(joined) = set.join_next().await {
        if let Ok(done) = joined {
            probes.push(done);
        }
    }
    probes.sort_by_key(|(index, _)| *index);
    ProbeSet {
        probes: probes.into_iter().map(|(_, p)| p).collect(),
        not_run: None,
    }
}
