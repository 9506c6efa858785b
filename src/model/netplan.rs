//! The cluster's IP plan, resolved once: the service and cluster (pod) ranges as every source states
//! them, in the documented order (seed 003, IP address plan), with where each came from.
//!
//! Cluster sources, in this order: kubeadm's `ClusterConfiguration` (`networking.serviceSubnet`,
//! `podSubnet`), the kube-apiserver / kube-controller-manager static pods' flags
//! (`--service-cluster-ip-range`, `--cluster-cidr`, `--node-cidr-mask-size`), the flannel
//! `net-conf.json` Network, and the kube-proxy ConfigMap's `clusterCIDR`. A node adds what it runs
//! with: flannel's subnet.env and net-conf.json, kube-proxy's `--cluster-cidr`, and the CNI route
//! policy that sends the service range through encapsulation. `ClusterPlan` holds every value found;
//! the cluster view of a range is the first cluster source, and a node's view puts the node's own
//! files first, because those are what its components use.

use super::node::NodeView;
use crate::facts::k8s::{ConfigMap, Pod};
use crate::facts::network::{self, is_v4, ClusterConfiguration, KubeProxyConfiguration};
use crate::facts::node::display_win_path;
use crate::findings::Evidence;
use ipnet::IpNet;
use std::net::IpAddr;

/// One value of a range found in one source.
#[derive(Debug, Clone)]
pub struct Found {
    pub nets: Vec<IpNet>,
    pub raw: String,
    /// Where it came from, e.g. `ConfigMap/kube-system/kubeadm-config data.ClusterConfiguration
    /// networking.podSubnet`.
    pub source: String,
    /// Evidence other than the API reference built from `source` and `raw` (node files and
    /// processes).
    pub node_evidence: Option<Evidence>,
}

impl Found {
    pub fn evidence(&self) -> Evidence {
        self.node_evidence
            .clone()
            .unwrap_or_else(|| Evidence::api(&self.source, &self.raw))
    }
    pub fn shown(&self) -> String {
        self.nets
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
    /// The first range (the IPv4 one in dual-stack lists, as they are written v4 first).
    pub fn net(&self) -> IpNet {
        self.nets[0]
    }
}

/// Everything the cluster's sources say about the plan.
#[derive(Debug, Default)]
pub struct ClusterPlan {
    pub service: Vec<Found>,
    pub cluster: Vec<Found>,
    /// `--node-cidr-mask-size(-ipv4)` of the controller manager, with its source.
    pub node_mask: Option<(u8, String)>,
    /// Sources that hold a value that is not a CIDR list: (source, value, problem).
    pub unreadable: Vec<(String, String, String)>,
    /// What was looked at and not found, for the skip messages: sources of both ranges, and
    /// sources of the cluster range only.
    pub looked: Vec<String>,
    pub looked_cluster_only: Vec<String>,
}

impl ClusterPlan {
    fn add(&mut self, service: bool, source: String, raw: &str) {
        match network::parse_cidr_list(raw) {
            Ok(nets) => {
                let found = Found {
                    nets,
                    raw: raw.trim().to_string(),
                    source,
                    node_evidence: None,
                };
                if service {
                    self.service.push(found);
                } else {
                    self.cluster.push(found);
                }
            }
            Err(problem) => self.unreadable.push((source, raw.to_string(), problem)),
        }
    }

    /// Reads every cluster source in the documented order. Absent inputs are named in `looked`.
    pub fn gather(cms: Option<&[ConfigMap]>, pods: Option<&[Pod]>) -> ClusterPlan {
        let mut plan = ClusterPlan::default();
        match cms {
            None => plan.looked.push("ConfigMaps not captured".into()),
            Some(cms) => match network::kubeadm_config(cms) {
                None => plan.looked.push("no kubeadm-config ConfigMap".into()),
                Some((cm, text)) => {
                    let base = format!("{} data.ClusterConfiguration", network::cm_ref(cm));
                    match network::parse_config_yaml::<ClusterConfiguration>(text) {
                        Ok(cc) => {
                            if let Some(s) = cc
                                .networking
                                .service_subnet
                                .filter(|s| !s.trim().is_empty())
                            {
                                plan.add(true, format!("{base} networking.serviceSubnet"), &s);
                            }
                            if let Some(p) =
                                cc.networking.pod_subnet.filter(|s| !s.trim().is_empty())
                            {
                                plan.add(false, format!("{base} networking.podSubnet"), &p);
                            }
                        }
                        Err(e) => plan
                            .unreadable
                            .push((base, "(ClusterConfiguration)".into(), e)),
                    }
                }
            },
        }
        match pods {
            None => plan
                .looked
                .push("pods not captured, so no static pod flags".into()),
            Some(pods) => plan.gather_static_pods(pods),
        }
        if let Some(cms) = cms {
            match network::flannel_config_maps(cms).first() {
                None => plan.looked_cluster_only.push("no flannel ConfigMap".into()),
                Some(cm) => {
                    if let Some(Ok(conf)) = cm
                        .data
                        .get("net-conf.json")
                        .map(|t| network::parse_net_conf(t))
                    {
                        if let Some(n) = conf.network {
                            plan.add(
                                false,
                                format!("{} data.net-conf.json Network", network::cm_ref(cm)),
                                &n,
                            );
                        }
                    }
                }
            }
            match network::kube_proxy_config(cms) {
                None => plan
                    .looked_cluster_only
                    .push("no kube-proxy ConfigMap".into()),
                Some((cm, text)) => {
                    let source = format!("{} data.config.conf clusterCIDR", network::cm_ref(cm));
                    match network::parse_config_yaml::<KubeProxyConfiguration>(text) {
                        Ok(kp) => {
                            if let Some(c) = kp.cluster_cidr.filter(|c| !c.trim().is_empty()) {
                                plan.add(false, source, &c);
                            }
                        }
                        Err(e) => plan.unreadable.push((source, "(config.conf)".into(), e)),
                    }
                }
            }
        }
        plan
    }

    fn gather_static_pods(&mut self, pods: &[Pod]) {
        let apiservers = network::control_plane_pods(pods, "kube-apiserver");
        let managers = network::control_plane_pods(pods, "kube-controller-manager");
        if apiservers.is_empty() && managers.is_empty() {
            self.looked
                .push("no kube-apiserver or kube-controller-manager pods in kube-system".into());
        }
        for pod in apiservers.iter().chain(managers.iter()) {
            if let Some((c, v)) = network::pod_flag(pod, "service-cluster-ip-range") {
                self.add(
                    true,
                    format!(
                        "Pod/kube-system/{} container {} --service-cluster-ip-range",
                        pod.name(),
                        c.name
                    ),
                    &v,
                );
            }
        }
        for pod in &managers {
            if let Some((c, v)) = network::pod_flag(pod, "cluster-cidr") {
                self.add(
                    false,
                    format!(
                        "Pod/kube-system/{} container {} --cluster-cidr",
                        pod.name(),
                        c.name
                    ),
                    &v,
                );
            }
            if self.node_mask.is_none() {
                for flag in ["node-cidr-mask-size-ipv4", "node-cidr-mask-size"] {
                    if let Some((c, v)) = network::pod_flag(pod, flag) {
                        if let Ok(mask) = v.trim().parse::<u8>() {
                            self.node_mask = Some((
                                mask,
                                format!(
                                    "Pod/kube-system/{} container {} --{flag}",
                                    pod.name(),
                                    c.name
                                ),
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
}

/// Ranges of the same family that differ between the first source and a later one.
pub fn disagrees(a: &Found, b: &Found) -> bool {
    a.nets
        .iter()
        .any(|x| b.nets.iter().any(|y| is_v4(x) == is_v4(y) && x != y))
}

/// True when `outer` contains all of `inner`.
pub fn covers(outer: &IpNet, inner: &IpNet) -> bool {
    outer.contains(&inner.network()) && outer.contains(&inner.broadcast())
}

/// A string as a network: a CIDR, or a single address as /32 (/128).
pub fn as_net(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .map(|n| n.trunc())
        .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from))
}

fn first_cidr(text: &str) -> Option<IpNet> {
    text.split(',')
        .find_map(|p| p.trim().parse::<IpNet>().ok())
        .map(|n| n.trunc())
}

/// A range as one node sees it, and where it was read.
#[derive(Debug, Clone)]
pub struct Sourced {
    pub net: IpNet,
    pub evidence: Evidence,
}

impl From<&Found> for Sourced {
    fn from(f: &Found) -> Sourced {
        Sourced {
            net: f.net(),
            evidence: f.evidence(),
        }
    }
}

impl NodeView<'_> {
    /// The cluster (pod) network as this node sees it: flannel's FLANNEL_NETWORK or the node's
    /// net-conf Network, else the cluster plan's range, else kube-proxy's `--cluster-cidr`.
    pub fn cluster_cidr(&self) -> Option<Sourced> {
        if let Some((f, Ok(env))) = self.subnet_env() {
            return Some(Sourced {
                net: env.network.trunc(),
                evidence: Evidence::file(display_win_path(&f.path), env.network_line.clone()),
            });
        }
        if let Some((f, Ok(c))) = self.net_conf() {
            if let Some(net) = c.network.as_deref().and_then(network::parse_cidr) {
                return Some(Sourced {
                    net,
                    evidence: Evidence::file(display_win_path(&f.path), format!("Network {net}")),
                });
            }
        }
        if let Some(found) = self.model.plan().cluster.first() {
            return Some(found.into());
        }
        let (f, evidence) = self
            .component(super::node::Kind::KubeProxy)
            .flag("cluster-cidr")?;
        let net = f.value.as_deref().and_then(first_cidr)?;
        Some(Sourced {
            net,
            evidence: evidence.clone(),
        })
    }

    /// The service network as this node sees it: the cluster plan's range, else the CNI route
    /// policy that sends it through encapsulation.
    pub fn service_cidr(&self) -> Option<Sourced> {
        if let Some(found) = self.model.plan().service.first() {
            return Some(found.into());
        }
        for (f, c) in self.cni_configs() {
            if let Ok(c) = c {
                if let Some(r) = c.routes.iter().find(|r| r.need_encap) {
                    if let Some(net) = first_cidr(&r.destination_prefix) {
                        return Some(Sourced {
                            net,
                            evidence: Evidence::file(
                                display_win_path(&f.path),
                                format!(
                                    "ROUTE DestinationPrefix {} NeedEncap true",
                                    r.destination_prefix
                                ),
                            ),
                        });
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Found {
        Found {
            nets: network::parse_cidr_list(text).expect("cidrs"),
            raw: text.into(),
            source: "test".into(),
            node_evidence: None,
        }
    }

    #[test]
    fn disagreement_compares_same_family_only() {
        let dual = found("10.244.0.0/16,fd00:10:244::/56");
        assert!(!disagrees(&dual, &found("10.244.0.0/16")));
        assert!(disagrees(&dual, &found("10.245.0.0/16")));
        assert!(!disagrees(&found("10.244.0.0/16"), &found("fd00::/64")));
    }

    #[test]
    fn coverage_and_single_addresses() {
        let a: IpNet = "10.244.0.0/16".parse().expect("net");
        let b: IpNet = "10.244.4.0/24".parse().expect("net");
        assert!(covers(&a, &b));
        assert!(!covers(&b, &a));
        assert_eq!(as_net("10.0.0.5").map(|n| n.prefix_len()), Some(32));
        assert_eq!(as_net("<ClusterCIDR>"), None);
    }
}
