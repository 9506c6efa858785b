//! The cluster's network configuration as the API shows it: CIDR parsing and arithmetic, the flannel
//! `net-conf.json` / `cni-conf.json`, the kubeadm `ClusterConfiguration`, the kubelet and kube-proxy
//! configuration ConfigMaps, command-line flags of static pods, and the cluster DNS Service.
//!
//! Everything here is pure parsing of data the cluster facts already hold; a check decides what a
//! value means. Parsers return `Err` with a sentence saying what is wrong (for a `fail` message), and
//! treat absent fields as `None` rather than guessing a default, so that a check can say which source
//! was missing.

use super::k8s::{ConfigMap, Container, Pod, Service};
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::Value;

/// Parses one CIDR (`10.244.0.0/16`, `fd00::/108`), normalised to its network address.
pub fn parse_cidr(text: &str) -> Option<IpNet> {
    text.trim().parse::<IpNet>().ok().map(|n| n.trunc())
}

/// Parses a comma-separated CIDR list as dual-stack flags and fields write them
/// (`10.96.0.0/12,fd00:10:96::/112`). An empty list or any unparsable entry is an error naming it.
pub fn parse_cidr_list(text: &str) -> Result<Vec<IpNet>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match parse_cidr(part) {
            Some(net) => out.push(net),
            None => {
                return Err(format!(
                    "{part:?} is not a CIDR (expected e.g. 10.244.0.0/16)"
                ))
            }
        }
    }
    if out.is_empty() {
        return Err("the value is empty".to_string());
    }
    Ok(out)
}

/// True when the two ranges share at least one address.
pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    let (a, b) = (a.trunc(), b.trunc());
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The number of addresses in `net`, saturating for very large IPv6 ranges.
pub fn address_count(net: &IpNet) -> u128 {
    let host_bits = u32::from(net.max_prefix_len() - net.prefix_len());
    1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
}

/// Whether `net` is IPv4.
pub fn is_v4(net: &IpNet) -> bool {
    matches!(net, IpNet::V4(_))
}

// ---------------------------------------------------------------- flags

/// The value of `--flag` in a command line, written `--flag=value` or `--flag value`. The last
/// occurrence wins, as with Go's flag parsing.
pub fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let name = flag.trim_start_matches('-');
    let mut found = None;
    let mut iter = args.iter().flat_map(|a| a.split_whitespace()).peekable();
    while let Some(arg) = iter.next() {
        let Some(stripped) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            continue;
        };
        if let Some((k, v)) = stripped.split_once('=') {
            if k == name {
                found = Some(v.trim_matches(['"', '\'']).to_string());
            }
        } else if stripped == name {
            if let Some(next) = iter.peek() {
                if !next.starts_with('-') {
                    found = Some(next.trim_matches(['"', '\'']).to_string());
                    iter.next();
                }
            }
        }
    }
    found
}

/// `command` followed by `args` of a container: the whole command line of a static pod.
pub fn command_line(container: &Container) -> Vec<String> {
    container
        .command
        .iter()
        .chain(container.args.iter())
        .cloned()
        .collect()
}

/// The first value of `flag` among the containers of `pod`, with the container it came from.
pub fn pod_flag<'a>(pod: &'a Pod, flag: &str) -> Option<(&'a Container, String)> {
    pod.spec
        .containers
        .iter()
        .find_map(|c| flag_value(&command_line(c), flag).map(|v| (c, v)))
}

/// Static control-plane pods in `kube-system` whose name starts with `prefix` (`kube-apiserver`
/// matches `kube-apiserver-cp-1.corp.example.com`).
pub fn control_plane_pods<'a>(pods: &'a [Pod], prefix: &str) -> Vec<&'a Pod> {
    pods.iter()
        .filter(|p| p.namespace() == "kube-system" && p.name().starts_with(prefix))
        .collect()
}

// ---------------------------------------------------------------- JSON helpers

/// The member of a JSON object named `key`, compared without regard to case (Go's `encoding/json`,
/// which flannel uses, matches field names that way).
pub fn get_ci<'a>(obj: &'a Value, key: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn describe_json_error(text: &str, e: &serde_json::Error) -> String {
    let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    let line = line.trim();
    if line.is_empty() {
        format!("not valid JSON: {e}")
    } else {
        format!("not valid JSON: {e} (at `{line}`)")
    }
}

// ---------------------------------------------------------------- flannel

/// The flannel `net-conf.json` as flannel reads it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetConf {
    /// `Network`, as written (absent or empty: `None`).
    pub network: Option<String>,
    /// `Backend.Type`, lowercased; `None` when there is no Backend or no Type (flannel then uses
    /// `udp`).
    pub backend_type: Option<String>,
    /// `Backend.VNI`, when written.
    pub vni: Option<i64>,
    /// `Backend.Port`, when written.
    pub port: Option<i64>,
    /// `Backend.name`: the HNS network the Windows flanneld creates (`cbr0`, `vxlan0`).
    pub backend_name: Option<String>,
}

impl NetConf {
    /// `Network` as a range, when it is one.
    pub fn network_net(&self) -> Option<IpNet> {
        self.network.as_deref().and_then(parse_cidr)
    }

    /// The backend flannel will use: the configured type, or its default `udp`.
    pub fn effective_backend(&self) -> &str {
        self.backend_type.as_deref().unwrap_or("udp")
    }
}

/// Parses a flannel `net-conf.json`. Errors say what flannel would reject: invalid JSON, a
/// non-object, a Backend that is not an object, a Type that is not a string, a VNI or Port that is
/// not a whole number.
pub fn parse_net_conf(text: &str) -> Result<NetConf, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| describe_json_error(text, &e))?;
    if !value.is_object() {
        return Err("the top level is not a JSON object".to_string());
    }
    let network = match get_ci(&value, "Network") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(other) => return Err(format!("Network is {other}, not a CIDR string")),
    };
    let mut conf = NetConf {
        network,
        ..NetConf::default()
    };
    let Some(backend) = get_ci(&value, "Backend").filter(|b| !b.is_null()) else {
        return Ok(conf);
    };
    if !backend.is_object() {
        return Err(format!("Backend is not a JSON object: {backend}"));
    }
    conf.backend_type = match get_ci(backend, "Type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_ascii_lowercase()),
        Some(other) => return Err(format!("Backend.Type is not a string: {other}")),
    };
    conf.vni = whole_number(backend, "VNI")?;
    conf.port = whole_number(backend, "Port")?;
    conf.backend_name = get_ci(backend, "name")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(conf)
}

fn whole_number(obj: &Value, key: &str) -> Result<Option<i64>, String> {
    match get_ci(obj, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("Backend.{key} is not a whole number: {n}")),
        Some(other) => Err(format!(
            "Backend.{key} is not a number: {other} (flannel cannot decode a quoted or other non-numeric value)"
        )),
    }
}

/// The network `name` of a CNI configuration (`cni-conf.json`, a conflist or a single config).
pub fn parse_cni_conf_name(text: &str) -> Result<Option<String>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| describe_json_error(text, &e))?;
    if !value.is_object() {
        return Err("the top level is not a JSON object".to_string());
    }
    Ok(value
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string))
}

/// ConfigMaps that configure flannel: `kube-flannel-cfg` in any namespace, and any other ConfigMap
/// holding a `net-conf.json` key. The one named `kube-flannel-cfg` comes first.
pub fn flannel_config_maps(cms: &[ConfigMap]) -> Vec<&ConfigMap> {
    let mut out: Vec<&ConfigMap> = cms
        .iter()
        .filter(|c| c.metadata.name == "kube-flannel-cfg" || c.data.contains_key("net-conf.json"))
        .collect();
    out.sort_by_key(|c| c.metadata.name != "kube-flannel-cfg");
    out
}

// ---------------------------------------------------------------- kubeadm / kubelet / kube-proxy

/// The parts of kubeadm's `ClusterConfiguration` windoctor reads.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterConfiguration {
    pub networking: KubeadmNetworking,
    pub kubernetes_version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct KubeadmNetworking {
    pub service_subnet: Option<String>,
    pub pod_subnet: Option<String>,
    pub dns_domain: Option<String>,
}

/// The parts of a `KubeletConfiguration` windoctor reads.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct KubeletConfiguration {
    #[serde(rename = "clusterDNS")]
    pub cluster_dns: Option<Vec<String>>,
    pub cluster_domain: Option<String>,
    pub max_pods: Option<i64>,
}

/// The parts of a `KubeProxyConfiguration` windoctor reads.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct KubeProxyConfiguration {
    #[serde(rename = "clusterCIDR")]
    pub cluster_cidr: Option<String>,
}

/// Parses a YAML (or JSON) configuration document held in a ConfigMap value.
pub fn parse_config_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_saphyr::from_str::<T>(text).map_err(|e| format!("not valid YAML: {e}"))
}

/// `kubeadm-config` in `kube-system` with its `ClusterConfiguration` key.
pub fn kubeadm_config(cms: &[ConfigMap]) -> Option<(&ConfigMap, &str)> {
    cms.iter()
        .filter(|c| c.metadata.name == "kubeadm-config")
        .find_map(|c| c.data.get("ClusterConfiguration").map(|t| (c, t.as_str())))
}

/// The kubelet configuration ConfigMap: `kubelet-config`, or the newest `kubelet-config-1.NN`
/// (kubeadm before 1.24), with its `kubelet` key.
pub fn kubelet_config(cms: &[ConfigMap]) -> Option<(&ConfigMap, &str)> {
    let minor_of = |c: &ConfigMap| -> i64 {
        match c.metadata.name.strip_prefix("kubelet-config-") {
            Some(v) => v
                .rsplit('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0),
            None => i64::MAX,
        }
    };
    cms.iter()
        .filter(|c| {
            c.metadata.name == "kubelet-config" || c.metadata.name.starts_with("kubelet-config-")
        })
        .filter(|c| c.data.contains_key("kubelet"))
        .max_by_key(|c| minor_of(c))
        .and_then(|c| c.data.get("kubelet").map(|t| (c, t.as_str())))
}

/// The `kube-proxy` ConfigMap with its `config.conf` key.
pub fn kube_proxy_config(cms: &[ConfigMap]) -> Option<(&ConfigMap, &str)> {
    cms.iter()
        .filter(|c| c.metadata.name == "kube-proxy")
        .find_map(|c| c.data.get("config.conf").map(|t| (c, t.as_str())))
}

/// `namespace/name` of a ConfigMap, for evidence references.
pub fn cm_ref(cm: &ConfigMap) -> String {
    format!(
        "ConfigMap/{}/{}",
        cm.metadata.namespace.as_deref().unwrap_or("default"),
        cm.metadata.name
    )
}

/// The cluster DNS domain from the kubelet configuration or kubeadm's networking.dnsDomain, with
/// where it came from; `None` when neither says (the caller uses `cluster.local`).
pub fn cluster_domain(cms: &[ConfigMap]) -> Option<(String, String)> {
    if let Some((cm, text)) = kubelet_config(cms) {
        if let Ok(k) = parse_config_yaml::<KubeletConfiguration>(text) {
            if let Some(d) = k.cluster_domain.filter(|d| !d.trim().is_empty()) {
                return Some((
                    d.trim().trim_end_matches('.').to_string(),
                    format!("{} data.kubelet clusterDomain", cm_ref(cm)),
                ));
            }
        }
    }
    if let Some((cm, text)) = kubeadm_config(cms) {
        if let Ok(k) = parse_config_yaml::<ClusterConfiguration>(text) {
            if let Some(d) = k.networking.dns_domain.filter(|d| !d.trim().is_empty()) {
                return Some((
                    d.trim().trim_end_matches('.').to_string(),
                    format!(
                        "{} data.ClusterConfiguration networking.dnsDomain",
                        cm_ref(cm)
                    ),
                ));
            }
        }
    }
    None
}

// ---------------------------------------------------------------- DNS service

/// The cluster DNS Service: `kube-dns` or `coredns` in `kube-system`, else a kube-system Service
/// labelled `k8s-app=kube-dns` (distributions rename it).
pub fn dns_service(services: &[Service]) -> Option<&Service> {
    let in_system = || services.iter().filter(|s| s.namespace() == "kube-system");
    in_system()
        .find(|s| s.name() == "kube-dns")
        .or_else(|| in_system().find(|s| s.name() == "coredns"))
        .or_else(|| {
            in_system()
                .find(|s| s.metadata.labels.get("k8s-app").map(String::as_str) == Some("kube-dns"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> IpNet {
        parse_cidr(s).expect("cidr")
    }

    #[test]
    fn cidr_lists_parse_dual_stack_and_name_bad_entries() {
        let nets = parse_cidr_list("10.96.0.0/12, fd00:10:96::/112").expect("parses");
        assert_eq!(nets.len(), 2);
        assert!(is_v4(&nets[0]) && !is_v4(&nets[1]));
        let err = parse_cidr_list("10.96.0.0/12,10.300.0.0/16").unwrap_err();
        assert!(err.contains("10.300.0.0/16"), "{err}");
        assert!(parse_cidr_list(" ").is_err());
        assert_eq!(cidr("10.244.1.7/24").to_string(), "10.244.1.0/24");
    }

    #[test]
    fn overlap_and_size() {
        assert!(overlaps(&cidr("10.96.0.0/12"), &cidr("10.100.0.0/16")));
        assert!(overlaps(&cidr("10.100.0.0/16"), &cidr("10.96.0.0/12")));
        assert!(!overlaps(&cidr("10.96.0.0/12"), &cidr("10.244.0.0/16")));
        assert!(!overlaps(&cidr("10.96.0.0/12"), &cidr("fd00::/64")));
        assert_eq!(address_count(&cidr("10.244.0.0/16")), 65536);
        assert_eq!(address_count(&cidr("::/0")), u128::MAX);
    }

    #[test]
    fn flags_in_both_spellings_last_wins() {
        let args: Vec<String> = [
            "kube-controller-manager",
            "--cluster-cidr=10.244.0.0/16",
            "--node-cidr-mask-size",
            "24",
            "--allocate-node-cidrs=true",
            "--cluster-cidr=10.245.0.0/16",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            flag_value(&args, "--cluster-cidr").as_deref(),
            Some("10.245.0.0/16")
        );
        assert_eq!(
            flag_value(&args, "node-cidr-mask-size").as_deref(),
            Some("24")
        );
        assert_eq!(flag_value(&args, "--service-cluster-ip-range"), None);
        // A flag at the end with no value, and a flag followed by another flag, have no value.
        let args = vec!["--cluster-cidr".to_string(), "--v=2".to_string()];
        assert_eq!(flag_value(&args, "--cluster-cidr"), None);
        // A shell-style single string is split.
        let args = vec!["kube-apiserver --service-cluster-ip-range=10.96.0.0/12".to_string()];
        assert_eq!(
            flag_value(&args, "service-cluster-ip-range").as_deref(),
            Some("10.96.0.0/12")
        );
    }

    #[test]
    fn net_conf_parses_like_flannel() {
        let c = parse_net_conf(
            r#"{"network":"10.244.0.0/16","Backend":{"type":"VXLAN","VNI":4096,"Port":4789}}"#,
        )
        .expect("parses");
        assert_eq!(c.network.as_deref(), Some("10.244.0.0/16"));
        assert_eq!(c.backend_type.as_deref(), Some("vxlan"));
        assert_eq!((c.vni, c.port), (Some(4096), Some(4789)));
        let c = parse_net_conf(r#"{"Network":"10.244.0.0/16"}"#).expect("parses");
        assert_eq!(c.effective_backend(), "udp");
        let err = parse_net_conf(
            r#"{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","VNI":"4096"}}"#,
        )
        .unwrap_err();
        assert!(err.contains("VNI is not a number"), "{err}");
        let err = parse_net_conf(
            "{\n  \"Network\": \"10.244.0.0/16\",\n  \"Backend\": {\"Type\": \"vxlan\",}\n}",
        )
        .unwrap_err();
        assert!(
            err.contains("not valid JSON") && err.contains("line 3"),
            "{err}"
        );
        assert!(parse_net_conf("[1]").is_err());
    }

    #[test]
    fn kubeadm_and_kubelet_yaml() {
        let cc: ClusterConfiguration = parse_config_yaml(
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nnetworking:\n  dnsDomain: corp.local\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\ncontrollerManager:\n  extraArgs:\n    node-cidr-mask-size: \"24\"\n",
        )
        .expect("yaml");
        assert_eq!(cc.networking.pod_subnet.as_deref(), Some("10.244.0.0/16"));
        assert_eq!(cc.networking.dns_domain.as_deref(), Some("corp.local"));
        let k: KubeletConfiguration = parse_config_yaml(
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS:\n- 10.96.0.10\nclusterDomain: cluster.local\n",
        )
        .expect("yaml");
        assert_eq!(k.cluster_dns, Some(vec!["10.96.0.10".to_string()]));
    }

    #[test]
    fn versioned_kubelet_config_maps_pick_the_newest() {
        let cm = |name: &str| ConfigMap {
            metadata: super::super::k8s::ObjectMeta {
                name: name.to_string(),
                namespace: Some("kube-system".into()),
                ..Default::default()
            },
            data: [("kubelet".to_string(), name.to_string())]
                .into_iter()
                .collect(),
        };
        let cms = vec![cm("kubelet-config-1.9"), cm("kubelet-config-1.23")];
        assert_eq!(
            kubelet_config(&cms).map(|(_, t)| t),
            Some("kubelet-config-1.23")
        );
        let cms = vec![cm("kubelet-config-1.23"), cm("kubelet-config")];
        assert_eq!(kubelet_config(&cms).map(|(_, t)| t), Some("kubelet-config"));
    }
}
