//! What the node checks share: which Node the local machine is and its IP and podCIDR, where the
//! kubelet / kube-proxy / flanneld run (process, service, nssm, start script) and with which flags,
//! the CNI configurations in effect, whether flannel is used, and the cluster's IP plan as far as
//! the node and the cluster show it (each value with where it came from, for evidence).
//!
//! These read facts directly and never record skips: a check first asks `Eval` for the inputs it
//! must have, then uses these helpers for the rest.

use crate::facts::cluster::same_host;
use crate::facts::k8s::Node;
use crate::facts::node::cmdline::{self, Flag};
use crate::facts::node::records::exe_stem;
use crate::facts::node::{
    cni, containerd, display_win_path, flannel, kubelet, subnet_env, FileState, NodeFile,
    NodeFiles, Process, WinService,
};
use crate::facts::Facts;
use crate::findings::Evidence;
use ipnet::IpNet;
use std::net::IpAddr;

// ---------------------------------------------------------------- the local node

/// The name to use for the local node in messages and fixes: the matched Node name, else the
/// recorded host name.
pub fn local_name(facts: &Facts) -> String {
    facts
        .local_node_name
        .clone()
        .or_else(|| facts.node.hostname.ready().cloned())
        .unwrap_or_else(|| "this node".to_string())
}

/// The Node object of the local machine (by `--node`, node.json or host name).
pub fn local_node(facts: &Facts) -> Option<&Node> {
    if let Some(n) = facts.local_node() {
        return Some(n);
    }
    let host = facts.node.hostname.ready()?;
    facts
        .cluster
        .nodes
        .ready()?
        .iter()
        .find(|n| same_host(n.name(), host))
}

/// The Node's first podCIDR with its evidence.
pub fn pod_cidr(facts: &Facts) -> Option<(IpNet, Evidence)> {
    let node = local_node(facts)?;
    let cidr = node.pod_cidrs().into_iter().next()?;
    let net = cidr.parse::<IpNet>().ok()?.trunc();
    Some((
        net,
        Evidence::api(format!("Node/{} .spec.podCIDR", node.name()), cidr),
    ))
}

/// The node's IP: the Node's InternalIP, else the HNS management IP, else flanneld's `--iface`,
/// else the first ordinary IPv4 address of the node.
pub fn node_ip(facts: &Facts) -> Option<(IpAddr, Evidence)> {
    if let Some(node) = local_node(facts) {
        if let Some(ip) = node.internal_ip().and_then(|s| s.parse().ok()) {
            return Some((
                ip,
                Evidence::api(
                    format!("Node/{} .status.addresses[InternalIP]", node.name()),
                    ip.to_string(),
                ),
            ));
        }
    }
    if let Some(nets) = facts.node.hns_networks.ready() {
        for n in nets {
            if let Some(ip) = n
                .management_ip
                .as_deref()
                .and_then(|s| s.parse::<IpAddr>().ok())
                .filter(|ip| !is_apipa(ip))
            {
                return Some((
                    ip,
                    Evidence::new(
                        crate::findings::EvidenceSource::Api,
                        format!("Get-HnsNetwork {} .ManagementIP", n.name),
                        ip.to_string(),
                    ),
                ));
            }
        }
    }
    if let Some((words, ev)) = component(facts, Kind::Flanneld).args(facts) {
        if let Some(ip) = cmdline::flag(&cmdline::parse_flags(&words), "iface")
            .and_then(|f| f.value.as_deref())
            .and_then(|v| v.parse::<IpAddr>().ok())
        {
            return Some((ip, ev));
        }
    }
    let ips = facts.node.ip_addresses.ready()?;
    ips.iter().find_map(|a| {
        let ip: IpAddr = a.ip_address.parse().ok()?;
        (!ip.is_loopback() && !is_apipa(&ip) && !a.interface_alias.contains("nat")).then(|| {
            (
                ip,
                Evidence::api(
                    format!("Get-NetIPAddress {}", a.interface_alias),
                    a.ip_address.clone(),
                ),
            )
        })
    })
}

/// The node's management subnet (node IP with its prefix length), when the node's addresses show it.
pub fn management_subnet(facts: &Facts) -> Option<(IpNet, Evidence)> {
    let (ip, _) = node_ip(facts)?;
    let ips = facts.node.ip_addresses.ready()?;
    let a = ips.iter().find(|a| a.ip_address == ip.to_string())?;
    let net = a.net()?.trunc();
    Some((
        net,
        Evidence::api(
            format!("Get-NetIPAddress {}", a.interface_alias),
            format!("{}/{}", a.ip_address, a.prefix_length.unwrap_or(0)),
        ),
    ))
}

/// 169.254.0.0/16: Windows' automatic address when DHCP did not answer.
pub fn is_apipa(ip: &IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[0] == 169 && v4.octets()[1] == 254)
}

// ---------------------------------------------------------------- components

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Kubelet,
    KubeProxy,
    Flanneld,
    Containerd,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kubelet => "kubelet",
            Kind::KubeProxy => "kube-proxy",
            Kind::Flanneld => "flanneld",
            Kind::Containerd => "containerd",
        }
    }
    /// Executable stems and service names it goes by.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Kind::Kubelet => &["kubelet"],
            Kind::KubeProxy => &["kube-proxy", "kubeproxy"],
            Kind::Flanneld => &["flanneld"],
            Kind::Containerd => &["containerd"],
        }
    }
    pub fn exe(self) -> &'static str {
        match self {
            Kind::Kubelet => "kubelet.exe",
            Kind::KubeProxy => "kube-proxy.exe",
            Kind::Flanneld => "flanneld.exe",
            Kind::Containerd => "containerd.exe",
        }
    }
    pub fn matches(self, stem: &str) -> bool {
        let s = stem.to_ascii_lowercase();
        self.aliases().contains(&s.as_str())
    }
}

/// Where one node component runs.
pub struct Component<'a> {
    pub kind: Kind,
    pub process: Option<&'a Process>,
    pub service: Option<&'a WinService>,
}

pub fn component(facts: &Facts, kind: Kind) -> Component<'_> {
    let process = facts
        .node
        .processes
        .ready()
        .and_then(|ps| ps.iter().find(|p| kind.matches(&p.stem())));
    let service = facts.node.services.ready().and_then(|ss| {
        ss.iter().find(|s| kind.matches(&s.name)).or_else(|| {
            ss.iter().find(|s| {
                s.effective_command()
                    .first()
                    .is_some_and(|p| kind.matches(&exe_stem(p)))
            })
        })
    });
    Component {
        kind,
        process,
        service,
    }
}

pub fn process_evidence(p: &Process) -> Evidence {
    Evidence::process(
        format!("process {} (pid {})", p.name, p.pid),
        crate::facts::node::logs::shorten(&p.display(), 600),
    )
}

pub fn service_evidence(s: &WinService) -> Evidence {
    Evidence::service(
        format!("service {}", s.name),
        format!(
            "State={} StartMode={} PathName={}",
            s.state,
            s.start_mode,
            crate::facts::node::logs::shorten(&s.display(), 600)
        ),
    )
}

impl<'a> Component<'a> {
    /// The component's arguments and where they were read: the running process, else the
    /// service registration (nssm AppParameters, the binPath, or the start script it runs).
    pub fn args(&self, facts: &Facts) -> Option<(Vec<String>, Evidence)> {
        if let Some(p) = self.process {
            return Some((p.args().to_vec(), process_evidence(p)));
        }
        let s = self.service?;
        let cmd = s.effective_command();
        let program = cmd.first().map(|p| exe_stem(p)).unwrap_or_default();
        if self.kind.matches(&program) {
            return Some((cmd[1..].to_vec(), service_evidence(s)));
        }
        // powershell.exe -File C:\k\StartKubelet.ps1: read the script's invocation.
        let script = cmd
            .iter()
            .find(|w| w.to_ascii_lowercase().ends_with(".ps1"))?;
        let files = facts.node.files.ready()?;
        let file = files.get(script)?;
        let words = cmdline::script_invocation(&file.text, self.kind.exe())?;
        Some((
            words,
            Evidence::file(
                display_win_path(&file.path),
                format!(
                    "{} runs it: {}",
                    s.name,
                    first_line_with(&file.text, self.kind.exe())
                ),
            ),
        ))
    }

    pub fn is_present(&self) -> bool {
        self.process.is_some() || self.service.is_some()
    }
}

fn first_line_with(text: &str, needle: &str) -> String {
    let n = needle.to_ascii_lowercase();
    text.lines()
        .find(|l| l.to_ascii_lowercase().contains(&n) && !l.trim_start().starts_with('#'))
        .map(|l| crate::facts::node::logs::shorten(l.trim(), 400))
        .unwrap_or_default()
}

/// One flag with where it was read.
#[derive(Debug, Clone)]
pub struct Setting {
    pub flag: Flag,
    pub evidence: Evidence,
}

/// The kubelet's configuration: flags (process, or service/script plus kubeadm-flags.env) and the
/// KubeletConfiguration file named by `--config`.
pub struct KubeletSettings {
    pub flags: Vec<Setting>,
    pub config: Option<(String, Result<kubelet::KubeletConfigFile, String>)>,
    /// Where the flags came from, for messages.
    pub sources: Vec<String>,
    /// The command lines and files the flags were read from, for evidence of an absent flag.
    pub source_evidence: Vec<Evidence>,
}

impl KubeletSettings {
    pub fn get(&self, name: &str) -> Option<&Setting> {
        let name = name.trim_start_matches('-').to_ascii_lowercase();
        self.flags.iter().rev().find(|s| s.flag.name == name)
    }
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|s| s.flag.value.as_deref())
    }
    pub fn config_file(&self) -> Option<&kubelet::KubeletConfigFile> {
        self.config.as_ref().and_then(|(_, c)| c.as_ref().ok())
    }
}

/// Reads the kubelet's settings from everything the node part holds. `None` when nothing names
/// the kubelet's flags (no process, no service, no kubeadm-flags.env).
pub fn kubelet_settings(facts: &Facts) -> Option<KubeletSettings> {
    let mut settings = KubeletSettings {
        flags: Vec::new(),
        config: None,
        sources: Vec::new(),
        source_evidence: Vec::new(),
    };
    let files = facts.node.files.ready();
    let comp = component(facts, Kind::Kubelet);
    let from_process = comp.process.is_some();
    if !from_process {
        if let Some(f) = files.and_then(|f| f.get(r"C:\var\lib\kubelet\kubeadm-flags.env")) {
            if let Ok(words) = kubelet::parse_kubeadm_flags_env(&f.text) {
                settings.sources.push(display_win_path(&f.path));
                settings.source_evidence.push(Evidence::file(
                    display_win_path(&f.path),
                    crate::facts::node::logs::shorten(f.text.trim(), 600),
                ));
                for flag in cmdline::parse_flags(&words) {
                    let evidence = Evidence::file(display_win_path(&f.path), flag.written.clone());
                    settings.flags.push(Setting { flag, evidence });
                }
            }
        }
    }
    if let Some((words, ev)) = comp.args(facts) {
        settings.sources.push(ev.reference.clone());
        settings.source_evidence.push(ev.clone());
        for flag in cmdline::parse_flags(&words) {
            let mut evidence = ev.clone();
            evidence.excerpt = flag.written.clone();
            settings.flags.push(Setting { flag, evidence });
        }
    }
    if settings.flags.is_empty() {
        return None;
    }
    if let Some(path) = settings.value("config").map(str::to_string) {
        let parsed = match files.map(|f| f.state(&path)) {
            Some(FileState::Present(f)) => kubelet::parse_config_file(&f.text),
            Some(FileState::Unreadable(why)) => Err(why.to_string()),
            _ => Err("the file does not exist on the node".to_string()),
        };
        settings.config = Some((display_win_path(&path), parsed));
    }
    Some(settings)
}

/// The containerd configuration in effect: `--config` of the containerd process/service, else the
/// default path. `None` when the file is not on the node.
pub fn containerd_config(
    facts: &Facts,
) -> Option<(&NodeFile, Result<containerd::ContainerdConfig, String>)> {
    let files = facts.node.files.ready()?;
    let path = component(facts, Kind::Containerd)
        .args(facts)
        .and_then(|(words, _)| {
            cmdline::flag(&cmdline::parse_flags(&words), "config").and_then(|f| f.value.clone())
        })
        .unwrap_or_else(|| r"C:\Program Files\containerd\config.toml".to_string());
    let file = files.get(&path)?;
    Some((file, containerd::parse(&file.text)))
}

/// One command that sets `flag` (written `--name=value`) wherever the kubelet's flags live on this
/// node: nssm's AppParameters, the sc.exe binPath, or kubeadm-flags.env; an existing `--name` is
/// replaced.
pub fn kubelet_flag_command(facts: &Facts, flag: &str) -> String {
    let name = flag.split('=').next().unwrap_or(flag);
    let comp = component(facts, Kind::Kubelet);
    let keep = |words: &[String]| -> String {
        let mut kept: Vec<String> = words
            .iter()
            .filter(|w| !w.starts_with(&format!("{name}=")) && w.as_str() != name)
            .cloned()
            .collect();
        kept.push(flag.to_string());
        cmdline::join_for_display(&kept)
    };
    if let Some(svc) = comp.service {
        let cmd = svc.effective_command();
        let program = cmd.first().map(|p| exe_stem(p)).unwrap_or_default();
        if program == "kubelet" {
            return if svc.is_nssm() {
                format!("nssm set {} AppParameters {}", svc.name, keep(&cmd[1..]))
            } else {
                format!(
                    "sc.exe config {} binPath= \"{} {}\"",
                    svc.name,
                    cmd[0],
                    keep(&cmd[1..])
                )
            };
        }
    }
    let env_file = r"C:\var\lib\kubelet\kubeadm-flags.env";
    if facts
        .node
        .files
        .ready()
        .and_then(|f| f.get(env_file))
        .is_some()
    {
        return format!(
            "(Get-Content {env_file}) -replace ' ?{name}=[^ \"]*', '' -replace '\"$', ' {flag}\"' | Set-Content {env_file} -Encoding ascii"
        );
    }
    if let Some(p) = comp.process {
        if let Some(program) = p.command_line.first() {
            return format!("{program} {}", keep(p.args()));
        }
    }
    format!("add {flag} to the kubelet's command line (start script or service)")
}

// ---------------------------------------------------------------- CNI

pub const DEFAULT_CNI_DIRS: [&str; 2] = [r"C:\k\cni\config", r"C:\etc\cni\net.d"];

/// The CNI configuration directories: the defaults, the kubelet's `--cni-conf-dir` and containerd's
/// `conf_dir`.
pub fn cni_dirs(facts: &Facts) -> Vec<String> {
    let mut dirs: Vec<String> = DEFAULT_CNI_DIRS.iter().map(|s| s.to_string()).collect();
    if let Some(k) = kubelet_settings(facts) {
        dirs.extend(k.value("cni-conf-dir").map(str::to_string));
    }
    if let Some((_, Ok(c))) = containerd_config(facts) {
        dirs.extend(c.cni_conf_dirs.into_iter().map(|(d, _)| d));
    }
    let mut seen = std::collections::BTreeSet::new();
    dirs.retain(|d| seen.insert(crate::facts::node::normalise_win_path(d)));
    dirs
}

/// Every CNI configuration file on the node, parsed.
pub fn cni_configs(facts: &Facts) -> Vec<(&NodeFile, Result<cni::CniConfig, String>)> {
    let Some(files) = facts.node.files.ready() else {
        return Vec::new();
    };
    let mut out: Vec<(&NodeFile, Result<cni::CniConfig, String>)> = Vec::new();
    for dir in cni_dirs(facts) {
        for f in files.in_dir(&dir, &[".conf", ".conflist", ".json"]) {
            if !out.iter().any(|(g, _)| std::ptr::eq(*g, f)) {
                out.push((f, cni::parse(&f.text)));
            }
        }
    }
    out
}

// ---------------------------------------------------------------- flannel

/// Why windoctor thinks flannel is the node's network, as evidence; `None` when nothing says so.
pub fn flannel_evidence(facts: &Facts) -> Option<Evidence> {
    let flanneld = component(facts, Kind::Flanneld);
    if let Some(p) = flanneld.process {
        return Some(process_evidence(p));
    }
    if let Some(s) = flanneld.service {
        return Some(service_evidence(s));
    }
    for (f, c) in cni_configs(facts) {
        if let Ok(c) = c {
            if c.uses("flannel") {
                return Some(Evidence::file(
                    display_win_path(&f.path),
                    format!("CNI type flannel (network {})", c.name.unwrap_or_default()),
                ));
            }
        }
    }
    if let Some(files) = facts.node.files.ready() {
        for path in [
            r"C:\run\flannel\subnet.env",
            r"C:\etc\kube-flannel\net-conf.json",
        ] {
            if let Some(f) = files.get(path) {
                return Some(Evidence::file(display_win_path(&f.path), "present"));
            }
        }
    }
    if let Some(node) = local_node(facts) {
        if let Some((k, v)) = node
            .metadata
            .annotations
            .iter()
            .find(|(k, _)| k.starts_with("flannel.alpha.coreos.com/"))
        {
            return Some(Evidence::api(
                format!("Node/{} .metadata.annotations[{k}]", node.name()),
                v.clone(),
            ));
        }
    }
    None
}

/// The node's net-conf.json, parsed, if present.
pub fn node_net_conf(facts: &Facts) -> Option<(&NodeFile, Result<flannel::NetConf, String>)> {
    let files = facts.node.files.ready()?;
    [r"C:\etc\kube-flannel\net-conf.json", r"C:\k\net-conf.json"]
        .iter()
        .find_map(|p| files.get(p))
        .map(|f| (f, flannel::parse(&f.text)))
}

/// The cluster's flannel net-conf.json (kube-flannel-cfg ConfigMap), parsed, if present.
pub fn cluster_net_conf(facts: &Facts) -> Option<(String, flannel::NetConf)> {
    let cms = facts.cluster.configmaps.ready()?;
    cms.iter().find_map(|cm| {
        let text = cm.data.get("net-conf.json")?;
        let conf = flannel::parse(text).ok()?;
        Some((
            format!(
                "ConfigMap/{}/{} net-conf.json",
                cm.metadata.namespace.as_deref().unwrap_or("kube-system"),
                cm.metadata.name
            ),
            conf,
        ))
    })
}

pub fn subnet_env(files: &NodeFiles) -> Option<(&NodeFile, Result<subnet_env::SubnetEnv, String>)> {
    files
        .get(r"C:\run\flannel\subnet.env")
        .map(|f| (f, subnet_env::parse(&f.text)))
}

// ---------------------------------------------------------------- the IP plan

/// A CIDR and where it was read.
#[derive(Debug, Clone)]
pub struct Sourced {
    pub net: IpNet,
    pub evidence: Evidence,
}

/// The cluster (pod) network: flannel's FLANNEL_NETWORK or net-conf Network, kubeadm's podSubnet,
/// kube-proxy's `--cluster-cidr`.
pub fn cluster_cidr(facts: &Facts) -> Option<Sourced> {
    if let Some(files) = facts.node.files.ready() {
        if let Some((f, Ok(env))) = subnet_env(files) {
            return Some(Sourced {
                net: env.network.trunc(),
                evidence: Evidence::file(display_win_path(&f.path), env.network_line.clone()),
            });
        }
    }
    if let Some((f, Ok(c))) = node_net_conf(facts) {
        if let Some(net) = c.network {
            return Some(Sourced {
                net,
                evidence: Evidence::file(display_win_path(&f.path), format!("Network {net}")),
            });
        }
    }
    if let Some((reference, c)) = cluster_net_conf(facts) {
        if let Some(net) = c.network {
            return Some(Sourced {
                net,
                evidence: Evidence::api(reference, format!("Network {net}")),
            });
        }
    }
    if let Some((reference, v)) = kubeadm_networking(facts, "podSubnet") {
        return Some(Sourced {
            net: v,
            evidence: Evidence::api(reference, format!("networking.podSubnet: {v}")),
        });
    }
    if let Some((words, ev)) = component(facts, Kind::KubeProxy).args(facts) {
        if let Some(net) = cmdline::flag(&cmdline::parse_flags(&words), "cluster-cidr")
            .and_then(|f| f.value.as_deref())
            .and_then(first_cidr)
        {
            return Some(Sourced { net, evidence: ev });
        }
    }
    None
}

/// The service network: kubeadm's serviceSubnet, the API server's `--service-cluster-ip-range`,
/// or the CNI route policy that sends it through encapsulation.
pub fn service_cidr(facts: &Facts) -> Option<Sourced> {
    if let Some((reference, v)) = kubeadm_networking(facts, "serviceSubnet") {
        return Some(Sourced {
            net: v,
            evidence: Evidence::api(reference, format!("networking.serviceSubnet: {v}")),
        });
    }
    if let Some(pods) = facts.cluster.pods.ready() {
        for p in pods {
            for c in &p.spec.containers {
                let words: Vec<String> = c.command.iter().chain(c.args.iter()).cloned().collect();
                if !words.iter().any(|w| w.contains("kube-apiserver")) {
                    continue;
                }
                if let Some(f) =
                    cmdline::flag(&cmdline::parse_flags(&words), "service-cluster-ip-range")
                {
                    if let Some(net) = f.value.as_deref().and_then(first_cidr) {
                        return Some(Sourced {
                            net,
                            evidence: Evidence::api(format!("Pod/{}", p.key()), f.written.clone()),
                        });
                    }
                }
            }
        }
    }
    for (f, c) in cni_configs(facts) {
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

/// ClusterIPs of the cluster's Services (a service network that is not known still has to cover
/// them all), at most a handful, the `kubernetes` Service first.
pub fn service_ips(facts: &Facts) -> Vec<(IpAddr, String)> {
    let Some(services) = facts.cluster.services.ready() else {
        return Vec::new();
    };
    let mut out: Vec<(IpAddr, String)> = services
        .iter()
        .filter_map(|s| {
            let ip: IpAddr = s.spec.cluster_ip.as_deref()?.parse().ok()?;
            Some((ip, format!("{}/{}", s.namespace(), s.name())))
        })
        .collect();
    out.sort_by_key(|(_, n)| n != "default/kubernetes");
    out.truncate(8);
    out
}

fn first_cidr(text: &str) -> Option<IpNet> {
    text.split(',')
        .find_map(|p| p.trim().parse::<IpNet>().ok())
        .map(|n| n.trunc())
}

/// `networking.<key>` of kubeadm's ClusterConfiguration.
pub fn kubeadm_networking(facts: &Facts, key: &str) -> Option<(String, IpNet)> {
    let cms = facts.cluster.configmaps.ready()?;
    for cm in cms {
        let Some(text) = cm.data.get("ClusterConfiguration") else {
            continue;
        };
        let Ok(v) = serde_saphyr::from_str::<serde_json::Value>(text) else {
            continue;
        };
        if let Some(net) = v
            .get("networking")
            .and_then(|n| n.get(key))
            .and_then(|s| s.as_str())
            .and_then(first_cidr)
        {
            return Some((
                format!(
                    "ConfigMap/{}/{} ClusterConfiguration",
                    cm.metadata.namespace.as_deref().unwrap_or("kube-system"),
                    cm.metadata.name
                ),
                net,
            ));
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_and_apipa() {
        let a: IpNet = "10.244.0.0/16".parse().expect("net");
        let b: IpNet = "10.244.4.0/24".parse().expect("net");
        assert!(covers(&a, &b));
        assert!(!covers(&b, &a));
        assert!(is_apipa(&"169.254.3.4".parse().expect("ip")));
        assert_eq!(as_net("10.0.0.5").map(|n| n.prefix_len()), Some(32));
        assert_eq!(as_net("<ClusterCIDR>"), None);
    }
}

// ---------------------------------------------------------------- sandbox image

/// One setting of the sandbox (pause) image on the node.
#[derive(Debug, Clone)]
pub struct SandboxSetting {
    pub image: String,
    /// "kubelet --pod-infra-container-image" or "containerd sandbox_image".
    pub setting: String,
    pub evidence: Evidence,
}

/// The sandbox image as the kubelet (`--pod-infra-container-image`) and containerd (config.toml,
/// any layout) are configured on the node. `Err` carries a containerd config that cannot be parsed.
pub fn sandbox_settings(facts: &Facts) -> (Vec<SandboxSetting>, Option<(String, String)>) {
    let mut out = Vec::new();
    let mut broken = None;
    if let Some(k) = kubelet_settings(facts) {
        if let Some(s) = k.get("pod-infra-container-image") {
            if let Some(v) = s.flag.value.clone().filter(|v| !v.is_empty()) {
                out.push(SandboxSetting {
                    image: v,
                    setting: "kubelet --pod-infra-container-image".to_string(),
                    evidence: s.evidence.clone(),
                });
            }
        }
    }
    if let Some((file, parsed)) = containerd_config(facts) {
        let path = display_win_path(&file.path);
        match parsed {
            Ok(c) => {
                if let Some((image, key)) = c.sandbox_image {
                    out.push(SandboxSetting {
                        image: image.clone(),
                        setting: format!("containerd {key}"),
                        evidence: Evidence::file(path, format!("{key} = \"{image}\"")),
                    });
                }
            }
            Err(why) => broken = Some((path, why)),
        }
    }
    (out, broken)
}

/// Image references compared the way a runtime resolves them (`docker.io/library/` implied, case).
pub fn same_image(a: &str, b: &str) -> bool {
    fn norm(s: &str) -> String {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix("docker.io/").unwrap_or(&s).to_string();
        s.strip_prefix("library/").unwrap_or(&s).to_string()
    }
    norm(a) == norm(b)
}

/// The Windows build of the local machine: node.json's OS build, else the Node's kernelVersion.
pub fn local_build(facts: &Facts) -> Option<(u32, Evidence)> {
    if let Some(info) = facts.node.info.ready() {
        if let Some(b) = info.build {
            let shown = match info.ubr {
                Some(u) => format!("10.0.{b}.{u}"),
                None => format!("10.0.{b}"),
            };
            return Some((
                b,
                Evidence::api(
                    "Win32_OperatingSystem BuildNumber",
                    format!("{shown} {}", info.os_caption.clone().unwrap_or_default())
                        .trim()
                        .to_string(),
                ),
            ));
        }
    }
    let node = local_node(facts)?;
    let b = node.windows_build()?;
    Some((
        b,
        Evidence::api(
            format!("Node/{} .status.nodeInfo.kernelVersion", node.name()),
            node.status.node_info.kernel_version.clone(),
        ),
    ))
}

/// One command that changes a sandbox image setting to `image`: the kubelet flag where the kubelet's
/// flags live, or the containerd configuration file to edit.
pub fn sandbox_apply(facts: &Facts, setting: &SandboxSetting, image: &str) -> String {
    if setting.setting.starts_with("kubelet") {
        kubelet_flag_command(facts, &format!("--pod-infra-container-image={image}"))
    } else {
        format!(
            "notepad \"{}\"  # set {} = \"{image}\"",
            setting.evidence.reference,
            setting.setting.trim_start_matches("containerd ")
        )
    }
}

/// The API server's host: the node kubeconfig's `server:` (recorded in node.json), else the
/// kube-apiserver static pod's `--advertise-address` or host IP.
pub fn api_server_host(facts: &Facts) -> Option<(String, Evidence)> {
    if let Some(server) = facts.node.info.ready().and_then(|i| i.api_server.clone()) {
        if let Some(host) = url_host(&server) {
            return Some((
                host,
                Evidence::file(r"C:\k\config", format!("server: {server}")),
            ));
        }
    }
    let pods = facts.cluster.pods.ready()?;
    pods.iter()
        .filter(|p| p.name().starts_with("kube-apiserver"))
        .find_map(|p| {
            let words: Vec<String> = p
                .spec
                .containers
                .iter()
                .flat_map(|c| c.command.iter().chain(c.args.iter()))
                .cloned()
                .collect();
            let flags = cmdline::parse_flags(&words);
            if let Some(f) = cmdline::flag(&flags, "advertise-address") {
                if let Some(v) = f.value.clone().filter(|v| !v.is_empty()) {
                    return Some((
                        v,
                        Evidence::api(format!("Pod/{}", p.key()), f.written.clone()),
                    ));
                }
            }
            let ip = p.status.host_ip.clone()?;
            Some((
                ip.clone(),
                Evidence::api(format!("Pod/{} .status.hostIP", p.key()), ip),
            ))
        })
}

/// `https://10.0.0.5:6443/` -> `10.0.0.5`; `https://[fd00::1]:6443` -> `fd00::1`.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.split('/').next()?;
    let hostport = hostport.rsplit('@').next()?;
    if let Some(v6) = hostport.strip_prefix('[') {
        return v6.split(']').next().map(str::to_string);
    }
    hostport
        .split(':')
        .next()
        .filter(|h| !h.is_empty())
        .map(str::to_string)
}
