//! One Windows node as the node checks see it, derived once from its node part: where kubelet,
//! kube-proxy, flanneld and containerd run (process, service, nssm, the start script a service runs)
//! and with which flags, the kubelet's settings and configuration file, containerd's configuration,
//! the CNI configurations in effect, and flannel's node files, each parsed once into typed values;
//! and which distribution's layout the node follows (`layout`), whose CNI directories and files are
//! read too, and which CNI plugin is in use, with what is normal for it.
//!
//! [`NodeModel`] owns what is derived from the node part alone and is built when the node part
//! arrives. [`NodeView`] adds what needs the cluster too (the Node object, its podCIDR, the IP plan
//! as this node sees it) and is what checks hold. Nothing here records a finding: a check first asks
//! `Eval` for the inputs it must have, then reads the view.

use super::Model;
use crate::facts::cluster::same_host;
use crate::facts::k8s::Node;
use crate::facts::network::{self, NetConf};
use crate::facts::node::cmdline::{self, Flag};
use crate::facts::node::records::exe_stem;
use crate::facts::node::remote::{PartOrigin, SystemPod};
use crate::facts::node::{
    cni, containerd, display_win_path, kubelet, logs, sourcevip, subnet_env, FileState, NodeFacts,
    NodeFile, NodeFiles, Process, WinService,
};
use crate::findings::{Evidence, EvidenceSource};
use ipnet::IpNet;
use std::net::IpAddr;

// ---------------------------------------------------------------- components

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Kubelet,
    KubeProxy,
    Flanneld,
    Containerd,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Kubelet,
        Kind::KubeProxy,
        Kind::Flanneld,
        Kind::Containerd,
    ];

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
    fn index(self) -> usize {
        self as usize
    }
}

/// Where one component runs, found once per node part.
#[derive(Debug, Clone)]
struct ComponentInfo {
    process: Option<usize>,
    service: Option<usize>,
    /// The system pod that runs it (a part made from the API), index into `system_pods`.
    pod: Option<usize>,
    /// The arguments and where they were read, parsed into flags once.
    args: Option<(Vec<String>, Evidence)>,
    flags: Vec<Flag>,
}

/// Where one node component runs, as checks read it.
#[derive(Debug, Clone, Copy)]
pub struct Component<'a> {
    pub kind: Kind,
    pub process: Option<&'a Process>,
    pub service: Option<&'a WinService>,
    /// The system pod running it, as the API shows it (HostProcess kube-proxy, flannel).
    pub pod: Option<&'a SystemPod>,
    info: &'a ComponentInfo,
}

impl<'a> Component<'a> {
    /// The component's arguments and where they were read: the running process, else the service
    /// registration (nssm AppParameters, the binPath, or the start script it runs).
    pub fn args(&self) -> Option<(&'a [String], &'a Evidence)> {
        self.info
            .args
            .as_ref()
            .map(|(words, evidence)| (words.as_slice(), evidence))
    }

    /// The last `--name` among the arguments (Go's flag parsing keeps the last), with where the
    /// arguments were read.
    pub fn flag(&self, name: &str) -> Option<(&'a Flag, &'a Evidence)> {
        let evidence = &self.info.args.as_ref()?.1;
        cmdline::flag(&self.info.flags, name).map(|f| (f, evidence))
    }

    /// Every flag among the arguments, parsed once.
    pub fn flags(&self) -> &'a [Flag] {
        &self.info.flags
    }

    pub fn is_present(&self) -> bool {
        self.process.is_some() || self.service.is_some()
    }
}

pub fn process_evidence(p: &Process) -> Evidence {
    let excerpt = if p.command_line.is_empty() {
        "(the process list records no command line)".to_string()
    } else {
        crate::facts::node::logs::shorten(&p.display(), 600)
    };
    Evidence::process(format!("process {} (pid {})", p.name, p.pid), excerpt)
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

fn find_component(raw: &NodeFacts, kind: Kind) -> ComponentInfo {
    let processes = raw.processes.ready().map(Vec::as_slice).unwrap_or(&[]);
    let services = raw.services.ready().map(Vec::as_slice).unwrap_or(&[]);
    let process = processes.iter().position(|p| kind.matches(&p.stem()));
    let service = services
        .iter()
        .position(|s| kind.matches(&s.name))
        .or_else(|| {
            services.iter().position(|s| {
                s.effective_command()
                    .first()
                    .is_some_and(|p| kind.matches(&exe_stem(p)))
            })
        });
    let pods = raw.system_pods.ready().map(Vec::as_slice).unwrap_or(&[]);
    let pod = pods.iter().position(|p| p.runs(kind.name()));
    let args = component_args(
        raw,
        kind,
        process.map(|i| &processes[i]),
        service.map(|i| &services[i]),
    )
    .or_else(|| {
        if process.is_some() || service.is_some() {
            return None;
        }
        pod_args(raw, kind, &pods[pod?])
    });
    let flags = args
        .as_ref()
        .map(|(words, _)| cmdline::parse_flags(words))
        .unwrap_or_default();
    ComponentInfo {
        process,
        service,
        pod,
        args,
        flags,
    }
}

/// A system pod's command line when its container runs the component's executable, else the
/// flags the component logged at startup in the pod's log (`FLAG: --name="value"`, the ones that
/// were given).
fn pod_args(raw: &NodeFacts, kind: Kind, pod: &SystemPod) -> Option<(Vec<String>, Evidence)> {
    for c in &pod.containers {
        let Some(program) = c.command.first() else {
            continue;
        };
        if kind.matches(&exe_stem(program)) {
            return Some((
                c.command[1..].to_vec(),
                Evidence::api(
                    format!("Pod/{} .spec.containers[{}] command", pod.key(), c.name),
                    crate::facts::node::logs::shorten(&cmdline::join_for_display(&c.command), 600),
                ),
            ));
        }
    }
    let prefix = format!("pod log {}/", pod.key());
    raw.logs.ready()?.iter().rev().find_map(|log| {
        if !log.path.starts_with(&prefix) {
            return None;
        }
        let flags = logs::logged_flags(&log.text);
        let last = flags.last()?;
        let words: Vec<String> = flags
            .iter()
            .filter(|f| !logs::is_unset_flag_value(&f.value))
            .map(|f| format!("--{}={}", f.name, f.value))
            .collect();
        Some((
            words,
            Evidence::log(
                format!("{} line {}", log.path, last.line),
                last.text.clone(),
            ),
        ))
    })
}

fn component_args(
    raw: &NodeFacts,
    kind: Kind,
    process: Option<&Process>,
    service: Option<&WinService>,
) -> Option<(Vec<String>, Evidence)> {
    // A process without a command line (a collector's process table, or one windoctor could not
    // open) says the component runs, not with which flags.
    if let Some(p) = process.filter(|p| !p.command_line.is_empty()) {
        return Some((p.args().to_vec(), process_evidence(p)));
    }
    let s = service?;
    let cmd = s.effective_command();
    let program = cmd.first().map(|p| exe_stem(p)).unwrap_or_default();
    if kind.matches(&program) {
        return Some((cmd[1..].to_vec(), service_evidence(s)));
    }
    // A wrapper that runs the component: `kube-log-runner.exe -log-file=... kubelet.exe <flags>`
    // (GKE, OpenShift) or `EKS-WindowsServiceHost.exe kubelet "...\kubelet.exe" <flags>` (EKS):
    // the flags are the words after the component's executable (checks/data/layouts.toml).
    if let Some(i) = wrapped_at(&cmd, kind) {
        return Some((cmd[i + 1..].to_vec(), service_evidence(s)));
    }
    // powershell.exe -File C:\k\StartKubelet.ps1: read the script's invocation.
    let script = cmd
        .iter()
        .find(|w| w.to_ascii_lowercase().ends_with(".ps1"))?;
    let files = raw.files.ready()?;
    let file = files.get(script)?;
    let words = cmdline::script_invocation(&file.text, kind.exe())?;
    Some((
        words,
        Evidence::file(
            display_win_path(&file.path),
            format!(
                "{} runs it: {}",
                s.name,
                first_line_with(&file.text, kind.exe())
            ),
        ),
    ))
}

/// Where a wrapper's command line names the component's executable (`...\kubelet.exe`), if it does.
pub fn wrapped_at(cmd: &[String], kind: Kind) -> Option<usize> {
    cmdline::wrapped_at(cmd, kind.aliases())
}

fn first_line_with(text: &str, needle: &str) -> String {
    let n = needle.to_ascii_lowercase();
    text.lines()
        .find(|l| l.to_ascii_lowercase().contains(&n) && !l.trim_start().starts_with('#'))
        .map(|l| crate::facts::node::logs::shorten(l.trim(), 400))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- kubelet settings

/// One flag with where it was read.
#[derive(Debug, Clone)]
pub struct Setting {
    pub flag: Flag,
    pub evidence: Evidence,
}

/// The kubelet's configuration: flags (process, or service/script plus kubeadm-flags.env) and the
/// KubeletConfiguration file named by `--config`.
#[derive(Debug, Clone)]
pub struct KubeletSettings {
    pub flags: Vec<Setting>,
    pub config: Option<(String, Result<kubelet::KubeletConfigFile, String>)>,
    /// Where the flags came from, for messages.
    pub sources: Vec<String>,
    /// The command lines and files the flags were read from, for evidence of an absent flag.
    pub source_evidence: Vec<Evidence>,
    /// Whether the kubelet's command line is known, so that a flag missing from `flags` was not
    /// given. False when only the running configuration (configz) was read: flag-only settings
    /// (`--windows-priorityclass`, `--pod-infra-container-image`) are not in it.
    pub flags_known: bool,
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

fn read_kubelet_settings(raw: &NodeFacts, comp: &ComponentInfo) -> Option<KubeletSettings> {
    let mut settings = KubeletSettings {
        flags: Vec::new(),
        config: None,
        sources: Vec::new(),
        source_evidence: Vec::new(),
        flags_known: false,
    };
    let files = raw.files.ready();
    if comp.process.is_none() {
        if let Some(f) = files.and_then(|f| f.get(path("kubeadm_flags_env"))) {
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
    if let Some((_, ev)) = &comp.args {
        settings.sources.push(ev.reference.clone());
        settings.source_evidence.push(ev.clone());
        for flag in &comp.flags {
            let mut evidence = ev.clone();
            evidence.excerpt = flag.written.clone();
            settings.flags.push(Setting {
                flag: flag.clone(),
                evidence,
            });
        }
    }
    settings.flags_known = !settings.flags.is_empty();
    if settings.flags.is_empty() {
        logged_kubelet_flags(raw, &mut settings);
    }
    if settings.flags.is_empty() && !settings.flags_known {
        let configz = raw.configz.ready()?;
        let mut config = configz.config.clone();
        if is_default_eviction_hard(&config.eviction_hard) {
            config.eviction_hard.clear();
        }
        settings.sources.push(configz.reference.clone());
        settings.source_evidence.push(Evidence::api(
            configz.reference.clone(),
            "the kubelet's running configuration",
        ));
        settings.config = Some((configz.reference.clone(), Ok(config)));
        return Some(settings);
    }
    if let Some(path) = settings.value("config").map(str::to_string) {
        let parsed = match files.map(|f| f.state(&path)) {
            Some(FileState::Present(f)) => kubelet::parse_config_file(&f.text),
            Some(FileState::Unreadable(why)) => Err(why.to_string()),
            // Not gathered by a partial collection: nothing to say about it.
            Some(FileState::NotCaptured(_)) => return Some(settings),
            _ => Err("the file does not exist on the node".to_string()),
        };
        settings.config = Some((display_win_path(&path), parsed));
    } else if let Some(configz) = raw.configz.ready() {
        // No configuration file read: the running configuration stands in for it.
        let mut config = configz.config.clone();
        if is_default_eviction_hard(&config.eviction_hard) {
            config.eviction_hard.clear();
        }
        settings.sources.push(configz.reference.clone());
        settings.config = Some((configz.reference.clone(), Ok(config)));
    }
    Some(settings)
}

/// Kubelet flags that exist only on the command line (not in KubeletConfiguration, so configz
/// never shows them): kubelet's flags (cmd/kubelet/app/options/options.go KubeletFlags) as the
/// node-api research lists them.
const FLAG_ONLY: [&str; 4] = [
    "windows-priorityclass",
    "pod-infra-container-image",
    "hostname-override",
    "node-ip",
];

/// The flag-only settings from the kubelet's startup log (`FLAG: --name="value"`, printed for
/// every flag, given or not), when a kubelet log tail holds them: then a flag-only setting absent
/// there was not given.
fn logged_kubelet_flags(raw: &NodeFacts, settings: &mut KubeletSettings) {
    let Some(all) = raw.logs.ready() else {
        return;
    };
    for log in all.iter().filter(|l| l.component == "kubelet") {
        let flags = logs::logged_flags(&log.text);
        if !flags.iter().any(|f| FLAG_ONLY.contains(&f.name.as_str())) {
            continue;
        }
        let reference = if log.path.contains(":\\") {
            display_win_path(&log.path)
        } else {
            log.path.clone()
        };
        settings.flags_known = true;
        settings.sources.push(reference.clone());
        for f in flags.iter().filter(|f| {
            FLAG_ONLY.contains(&f.name.as_str()) && !logs::is_unset_flag_value(&f.value)
        }) {
            let written = format!("--{}={}", f.name, f.value);
            settings.flags.push(Setting {
                flag: cmdline::Flag {
                    name: f.name.clone(),
                    value: Some(f.value.clone()),
                    written,
                },
                evidence: Evidence::log(format!("{reference} line {}", f.line), f.text.clone()),
            });
        }
        return;
    }
}

/// Whether `evictionHard` is what the kubelet fills in when nothing is configured: the Windows
/// default `memory.available 500Mi, nodefs.available 10%, imagefs.available 15%`
/// (kubernetes/kubernetes pkg/kubelet/eviction/defaults_windows.go) or the v1beta1 default that
/// older kubelets report on every OS, `memory.available 100Mi, nodefs.available 10%,
/// nodefs.inodesFree 5%, imagefs.available 15%` (pkg/kubelet/apis/config/v1beta1/defaults_linux.go).
/// configz shows the effective configuration, so a default there was not set by anyone.
fn is_default_eviction_hard(map: &std::collections::BTreeMap<String, String>) -> bool {
    let is = |pairs: &[(&str, &str)]| {
        map.len() == pairs.len()
            && pairs
                .iter()
                .all(|(k, v)| map.get(*k).is_some_and(|x| x == v))
    };
    is(&[
        ("memory.available", "500Mi"),
        ("nodefs.available", "10%"),
        ("imagefs.available", "15%"),
    ]) || is(&[
        ("memory.available", "100Mi"),
        ("nodefs.available", "10%"),
        ("nodefs.inodesFree", "5%"),
        ("imagefs.available", "15%"),
    ])
}

// ---------------------------------------------------------------- the node model

/// A node path of `checks/data/node-paths.toml` by name.
fn path(name: &str) -> &'static str {
    crate::catalogue::data::node_file(name)
}

/// A parsed node file: which file (index into the node's files) and what it parsed to.
type Parsed<T> = (usize, Result<T, String>);

/// What is derived from one node part alone, computed once when the node part arrives.
#[derive(Debug, Clone)]
pub struct NodeModel {
    layout: Option<super::layout::DetectedLayout>,
    components: Vec<ComponentInfo>,
    kubelet: Option<KubeletSettings>,
    kube_proxy_config: Option<Parsed<kubelet::KubeProxyConfigFile>>,
    containerd: Option<Parsed<containerd::ContainerdConfig>>,
    cni_dirs: Vec<String>,
    cni: Vec<Parsed<cni::CniConfig>>,
    net_conf: Option<Parsed<NetConf>>,
    subnet_env: Option<Parsed<subnet_env::SubnetEnv>>,
    source_vip: Option<Parsed<sourcevip::SourceVip>>,
    source_vip_request: Option<Parsed<Vec<IpNet>>>,
    /// The failure signatures seen in the node's log tails and Event Log entries.
    signature_hits: Vec<super::signatures::Hit>,
    /// Files and folders this model reads that exist but could not be read: (path, why).
    unreadable: Vec<(String, String)>,
}

impl NodeModel {
    pub fn build(raw: &NodeFacts) -> NodeModel {
        let components: Vec<ComponentInfo> =
            Kind::ALL.iter().map(|k| find_component(raw, *k)).collect();
        let kubelet = read_kubelet_settings(raw, &components[Kind::Kubelet.index()]);
        let files = raw.files.ready();
        let index_of = |f: &NodeFile| -> Option<usize> {
            files?.files.iter().position(|g| std::ptr::eq(g, f))
        };
        let kube_proxy_config = cmdline::flag(&components[Kind::KubeProxy.index()].flags, "config")
            .and_then(|f| f.value.clone())
            .and_then(|p| files?.get(&p))
            .and_then(|f| Some((index_of(f)?, kubelet::parse_kube_proxy_config(&f.text))));
        let containerd_flags = &components[Kind::Containerd.index()].flags;
        // `--config` or its short form `-c` (RKE2 starts containerd with `-c`).
        let containerd_path = cmdline::flag(containerd_flags, "config")
            .or_else(|| cmdline::flag(containerd_flags, "c"))
            .and_then(|f| f.value.clone())
            .unwrap_or_else(|| path("containerd_config").to_string());
        let containerd = files
            .and_then(|f| f.get(&containerd_path))
            .and_then(|f| Some((index_of(f)?, containerd::parse(&f.text))));
        let layout = super::layout::detect(raw);
        // The detected layout's CNI directories first, then the documentation's, then every other
        // layout's (a node no layout marks may still be any of them).
        let all_layouts = &crate::catalogue::data::layouts().layouts;
        let mut cni_dirs: Vec<String> = layout
            .as_ref()
            .and_then(|l| l.layout())
            .map(|l| l.cni_dirs.clone())
            .unwrap_or_default();
        cni_dirs.extend(
            crate::catalogue::data::node_paths()
                .cni_dirs
                .iter()
                .cloned(),
        );
        if layout.is_none() {
            cni_dirs.extend(all_layouts.iter().flat_map(|l| l.cni_dirs.iter().cloned()));
        }
        if let Some(k) = &kubelet {
            cni_dirs.extend(k.value("cni-conf-dir").map(str::to_string));
        }
        if let Some((_, Ok(c))) = &containerd {
            cni_dirs.extend(c.cni_conf_dirs.iter().map(|(d, _)| d.clone()));
        }
        let mut seen = std::collections::BTreeSet::new();
        cni_dirs.retain(|d| seen.insert(crate::facts::node::normalise_win_path(d)));
        let mut cni_files: Vec<Parsed<cni::CniConfig>> = Vec::new();
        if let Some(all) = files {
            for dir in &cni_dirs {
                for f in all.in_dir(dir, &[".conf", ".conflist", ".json"]) {
                    if let Some(i) = index_of(f) {
                        if !cni_files.iter().any(|(j, _)| *j == i) {
                            cni_files.push((i, cni::parse(&f.text)));
                        }
                    }
                }
            }
        }
        // flanneld's --net-config-path (RKE2: agent\flanneld-net-conf.json,
        // rancher/rke2@6ce1a8019e9d0b81eb7a715edbc2b8ac12d26da0:pkg/windows/flannel.go#L133), else the
        // documented places.
        let net_config_path =
            cmdline::flag(&components[Kind::Flanneld.index()].flags, "net-config-path")
                .and_then(|f| f.value.clone());
        let net_conf = files.and_then(|all| {
            net_config_path
                .as_deref()
                .and_then(|p| all.get(p))
                .or_else(|| {
                    ["net_conf", "net_conf_start_ps1"]
                        .iter()
                        .find_map(|p| all.get(path(p)))
                })
                .and_then(|f| Some((index_of(f)?, parse_node_net_conf(&f.text))))
        });
        let subnet_env = files
            .and_then(|all| all.get(path("subnet_env")))
            .and_then(|f| Some((index_of(f)?, subnet_env::parse(&f.text))));
        let source_vip = files
            .and_then(|all| all.get(path("source_vip")))
            .and_then(|f| Some((index_of(f)?, sourcevip::parse(&f.text))));
        let source_vip_request = files
            .and_then(|all| all.get(path("source_vip_request")))
            .and_then(|f| Some((index_of(f)?, sourcevip::parse_request(&f.text))));
        let unreadable = files
            .map(|all| {
                unreadable_inputs(all, &components, raw, &kubelet, &containerd_path, &cni_dirs)
            })
            .unwrap_or_default();
        NodeModel {
            layout,
            components,
            kubelet,
            kube_proxy_config,
            containerd,
            cni_dirs,
            cni: cni_files,
            net_conf,
            subnet_env,
            source_vip,
            source_vip_request,
            signature_hits: super::signatures::scan_node(
                raw.logs.ready().map(Vec::as_slice).unwrap_or(&[]),
                raw.eventlogs.ready().map(Vec::as_slice).unwrap_or(&[]),
            ),
            unreadable,
        }
    }
}

/// The files and folders the model reads (the files of checks/data/node-paths.toml, containerd's
/// and the kubelet's configuration as their flags name them, the start scripts services run, the
/// CNI folders) that exist on the node but could not be read.
fn unreadable_inputs(
    files: &NodeFiles,
    components: &[ComponentInfo],
    raw: &NodeFacts,
    kubelet: &Option<KubeletSettings>,
    containerd_path: &str,
    cni_dirs: &[String],
) -> Vec<(String, String)> {
    // Every file of checks/data/node-paths.toml, and those the components name.
    let mut paths: Vec<String> = crate::catalogue::data::node_paths()
        .files
        .values()
        .cloned()
        .collect();
    paths.push(containerd_path.to_string());
    if let Some(config) = kubelet.as_ref().and_then(|k| k.value("config")) {
        paths.push(config.to_string());
    }
    let services = raw.services.ready().map(Vec::as_slice).unwrap_or(&[]);
    for info in components {
        if let Some(s) = info.service.and_then(|i| services.get(i)) {
            paths.extend(
                s.effective_command()
                    .iter()
                    .filter(|w| w.to_ascii_lowercase().ends_with(".ps1"))
                    .cloned(),
            );
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for p in &paths {
        if files.get(p).is_none() {
            if let Some(why) = files.unreadable_reason(p) {
                out.push((display_win_path(p), why.to_string()));
            }
        }
    }
    for dir in cni_dirs {
        out.extend(files.unreadable_in_dir(dir, &[".conf", ".conflist", ".json"]));
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|(p, _)| seen.insert(crate::facts::node::normalise_win_path(p)));
    out
}

/// A node's net-conf.json, read as flanneld reads it: the cluster's parser, and a Network that must
/// be a CIDR (the node's flanneld cannot start without one).
fn parse_node_net_conf(text: &str) -> Result<NetConf, String> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if t.is_empty() {
        return Err("the file is empty".to_string());
    }
    let conf = network::parse_net_conf(t)?;
    if let Some(n) = &conf.network {
        if network::parse_cidr(n).is_none() {
            return Err(format!("Network {n:?} is not a CIDR"));
        }
    }
    Ok(conf)
}

// ---------------------------------------------------------------- the view checks hold

/// One node's data and what is derived from it, with the cluster model for what needs both.
#[derive(Clone, Copy)]
pub struct NodeView<'a> {
    pub model: Model<'a>,
    pub raw: &'a NodeFacts,
    built: &'a NodeModel,
}

impl<'a> NodeView<'a> {
    pub fn new(model: Model<'a>, raw: &'a NodeFacts, built: &'a NodeModel) -> Self {
        NodeView { model, raw, built }
    }

    fn file(&self, i: usize) -> Option<&'a NodeFile> {
        self.raw.files.ready()?.files.get(i)
    }

    pub fn files(&self) -> Option<&'a NodeFiles> {
        self.raw.files.ready()
    }

    /// Files and folders the node model reads that exist but could not be read: (path, why).
    pub fn unreadable_inputs(&self) -> &'a [(String, String)] {
        &self.built.unreadable
    }

    /// The name to use for this node in messages and fixes: the matched Node name, else the
    /// recorded host name.
    /// The failure signatures seen in this node's log tails and Event Log entries.
    pub fn signature_hits(&self) -> &'a [super::signatures::Hit] {
        &self.built.signature_hits
    }

    pub fn name(&self) -> String {
        if let Some(part) = &self.raw.node_name {
            return self
                .node_object()
                .map(|n| n.name().to_string())
                .unwrap_or_else(|| part.clone());
        }
        self.model
            .facts
            .local_node_name
            .clone()
            .or_else(|| self.raw.hostname.ready().cloned())
            .unwrap_or_else(|| "this node".to_string())
    }

    /// Whether the part was made from what the API serves (not collected on the node).
    pub fn from_api(&self) -> bool {
        self.raw.origin == PartOrigin::Api
    }

    /// The Node object of this part: the Node it names (`nodes/NAME/`), else the local machine's
    /// (by `--node`, node.json or host name).
    pub fn node_object(&self) -> Option<&'a Node> {
        let facts = self.model.facts;
        if let Some(part) = &self.raw.node_name {
            // A node part of another node (`nodes/NAME/`): the Node of that name, else (another
            // tool's collection names parts by host name) the Node matching it or its host name.
            if let Some(n) = self.model.node_named(part) {
                return Some(n);
            }
            let nodes = facts.cluster.nodes.ready()?;
            return nodes
                .iter()
                .find(|n| same_host(n.name(), part))
                .or_else(|| {
                    let host = self.raw.hostname.ready()?;
                    nodes.iter().find(|n| same_host(n.name(), host))
                });
        }
        if let Some(n) = facts.local_node() {
            return Some(n);
        }
        let host = self.raw.hostname.ready()?;
        facts
            .cluster
            .nodes
            .ready()?
            .iter()
            .find(|n| same_host(n.name(), host))
    }

    pub fn component(&self, kind: Kind) -> Component<'a> {
        let info = &self.built.components[kind.index()];
        Component {
            kind,
            process: info
                .process
                .and_then(|i| self.raw.processes.ready()?.get(i)),
            service: info.service.and_then(|i| self.raw.services.ready()?.get(i)),
            pod: info.pod.and_then(|i| self.raw.system_pods.ready()?.get(i)),
            info,
        }
    }

    /// The kubelet's settings from everything the node part holds. `None` when nothing names the
    /// kubelet's flags (no process, no service, no kubeadm-flags.env).
    pub fn kubelet(&self) -> Option<&'a KubeletSettings> {
        self.built.kubelet.as_ref()
    }

    /// The containerd configuration in effect: `--config` of the containerd process/service, else
    /// the default path. `None` when the file is not on the node.
    pub fn containerd_config(
        &self,
    ) -> Option<(
        &'a NodeFile,
        &'a Result<containerd::ContainerdConfig, String>,
    )> {
        let (i, parsed) = self.built.containerd.as_ref()?;
        Some((self.file(*i)?, parsed))
    }

    /// kube-proxy's KubeProxyConfiguration file (its `--config`), parsed, if present.
    pub fn kube_proxy_config(
        &self,
    ) -> Option<(
        &'a NodeFile,
        &'a Result<kubelet::KubeProxyConfigFile, String>,
    )> {
        let (i, parsed) = self.built.kube_proxy_config.as_ref()?;
        Some((self.file(*i)?, parsed))
    }

    /// The distribution layout detected on this node, with the marks that chose it.
    pub fn layout(&self) -> Option<&'a super::layout::DetectedLayout> {
        self.built.layout.as_ref()
    }

    /// The CNI plugin in use: the first CNI configuration (in the order the runtime reads them)
    /// whose plugin windoctor knows, with what is normal for that plugin.
    pub fn cni(&self) -> Option<CniInUse<'a>> {
        self.cni_configs().into_iter().find_map(|(file, parsed)| {
            let conf = parsed.as_ref().ok()?;
            let rules = super::layout::cni_rules(conf)?;
            Some(CniInUse { file, conf, rules })
        })
    }

    /// The CNI configuration directories: the detected layout's, the defaults, the kubelet's
    /// `--cni-conf-dir` and containerd's `conf_dir`.
    pub fn cni_dirs(&self) -> &'a [String] {
        &self.built.cni_dirs
    }

    /// Every CNI configuration file on the node, parsed.
    pub fn cni_configs(&self) -> Vec<(&'a NodeFile, &'a Result<cni::CniConfig, String>)> {
        self.built
            .cni
            .iter()
            .filter_map(|(i, c)| Some((self.file(*i)?, c)))
            .collect()
    }

    /// The node's net-conf.json, parsed, if present.
    pub fn net_conf(&self) -> Option<(&'a NodeFile, &'a Result<NetConf, String>)> {
        let (i, parsed) = self.built.net_conf.as_ref()?;
        Some((self.file(*i)?, parsed))
    }

    /// `C:\run\flannel\subnet.env`, parsed, if present.
    pub fn subnet_env(&self) -> Option<(&'a NodeFile, &'a Result<subnet_env::SubnetEnv, String>)> {
        let (i, parsed) = self.built.subnet_env.as_ref()?;
        Some((self.file(*i)?, parsed))
    }

    /// `C:\k\SourceVip.json`, parsed (either JSON shape, either encoding), if present.
    pub fn source_vip(&self) -> Option<(&'a NodeFile, &'a Result<sourcevip::SourceVip, String>)> {
        let (i, parsed) = self.built.source_vip.as_ref()?;
        Some((self.file(*i)?, parsed))
    }

    /// The subnets `C:\k\SourceVipRequest.json` asks host-local for, if present.
    pub fn source_vip_request(&self) -> Option<(&'a NodeFile, &'a Result<Vec<IpNet>, String>)> {
        let (i, parsed) = self.built.source_vip_request.as_ref()?;
        Some((self.file(*i)?, parsed))
    }

    /// The Node's first podCIDR with its evidence.
    pub fn pod_cidr(&self) -> Option<(IpNet, Evidence)> {
        let node = self.node_object()?;
        let cidr = node.pod_cidrs().into_iter().next()?;
        let net = cidr.parse::<IpNet>().ok()?.trunc();
        Some((
            net,
            Evidence::api(format!("Node/{} .spec.podCIDR", node.name()), cidr),
        ))
    }

    /// The node's IP: the Node's InternalIP, else the HNS management IP, else flanneld's `--iface`,
    /// else the first ordinary IPv4 address of the node.
    pub fn node_ip(&self) -> Option<(IpAddr, Evidence)> {
        if let Some(node) = self.node_object() {
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
        if let Some(nets) = self.raw.hns_networks.ready() {
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
                            EvidenceSource::Api,
                            format!("Get-HnsNetwork {} .ManagementIP", n.name),
                            ip.to_string(),
                        ),
                    ));
                }
            }
        }
        if let Some((f, ev)) = self.component(Kind::Flanneld).flag("iface") {
            if let Some(ip) = f.value.as_deref().and_then(|v| v.parse::<IpAddr>().ok()) {
                return Some((ip, ev.clone()));
            }
        }
        let ips = self.raw.ip_addresses.ready()?;
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

    /// The node's management subnet (node IP with its prefix length), when the node's addresses
    /// show it.
    pub fn management_subnet(&self) -> Option<(IpNet, Evidence)> {
        let (ip, _) = self.node_ip()?;
        let ips = self.raw.ip_addresses.ready()?;
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

    /// Why windoctor thinks flannel is the node's network, as evidence; `None` when nothing says so.
    pub fn flannel_evidence(&self) -> Option<Evidence> {
        let flanneld = self.component(Kind::Flanneld);
        if let Some(p) = flanneld.process {
            return Some(process_evidence(p));
        }
        if let Some(s) = flanneld.service {
            return Some(service_evidence(s));
        }
        if let Some(p) = flanneld.pod {
            return Some(Evidence::api(
                format!("Pod/{}", p.key()),
                format!(
                    "flannel pod on this node ({})",
                    p.owner.as_deref().unwrap_or("no owner")
                ),
            ));
        }
        for (f, c) in self.cni_configs() {
            if let Ok(c) = c {
                if c.uses("flannel") {
                    return Some(Evidence::file(
                        display_win_path(&f.path),
                        format!(
                            "CNI type flannel (network {})",
                            c.name.clone().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
        if let Some(files) = self.files() {
            for name in ["subnet_env", "net_conf"] {
                if let Some(f) = files.get(path(name)) {
                    return Some(Evidence::file(display_win_path(&f.path), "present"));
                }
            }
        }
        if let Some(node) = self.node_object() {
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

    /// One command that sets `flag` (written `--name=value`) wherever the kubelet's flags live on
    /// this node: nssm's AppParameters, the sc.exe binPath, or kubeadm-flags.env; an existing
    /// `--name` is replaced. A kubelet running in a console is registered with nssm; when nothing
    /// says how kubelet starts, the command shows its command line. Where the distribution writes
    /// the kubelet's service again (EKS and GKE for a new node, OpenShift's WICD at its next
    /// reconcile), the command says how long the change lasts (`kubelet_flag_lasts`).
    pub fn kubelet_flag_command(&self, flag: &str) -> String {
        let command = self.kubelet_flag_change(flag);
        match self.layout().and_then(|l| l.layout()) {
            Some(l) if !l.kubelet_flag_lasts.is_empty() => format!(
                "{command}   # {}",
                l.kubelet_flag_lasts.replace("{flag}", flag)
            ),
            _ => command,
        }
    }

    /// [`NodeView::kubelet_flag_command`] without what the layout says of how long it lasts.
    fn kubelet_flag_change(&self, flag: &str) -> String {
        // A layout whose kubelet is started by another service with flags from its own
        // configuration (RKE2) is changed there, never on the kubelet's process.
        if let Some(command) = self
            .layout()
            .and_then(|l| l.layout())
            .and_then(|l| super::layout::kubelet_flag_on(l, flag))
        {
            return command;
        }
        let name = flag.split('=').next().unwrap_or(flag);
        let comp = self.component(Kind::Kubelet);
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
            // The kubelet run by a program the service starts (EKS-WindowsServiceHost.exe, GKE's
            // kube-log-runner.exe): the service's registered command line with the flag among
            // the kubelet's, written where the service manager reads it when the service starts:
            // the ImagePath value under HKLM\SYSTEM\CurrentControlSet\Services\<name>, what
            // `sc.exe config binPath=` sets (learn.microsoft.com windows-commands/sc-config;
            // SigmaHQ/sigma rules/windows/process_creation/
            // proc_creation_win_reg_service_imagepath_change.yml, after atomic-red-team T1574.011
            // test 2, which changes it and starts the service). A PowerShell literal keeps the
            // quoted paths as they are, where sc.exe would need its quotes escaped.
            if let (false, Some(at)) = (svc.is_nssm(), wrapped_at(&cmd, Kind::Kubelet)) {
                let line = format!(
                    "{} {}",
                    cmdline::join_for_display(&cmd[..=at]),
                    keep(&cmd[at + 1..])
                );
                return format!(
                    "Set-ItemProperty -LiteralPath 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\{}' -Name ImagePath -Value '{}'",
                    svc.name,
                    line.replace('\'', "''")
                );
            }
        }
        let env_file = path("kubeadm_flags_env");
        if self.files().and_then(|f| f.get(env_file)).is_some() {
            return format!(
                "(Get-Content {env_file}) -replace ' ?{name}=[^ \"]*', '' -replace '\"$', ' {flag}\"' | Set-Content {env_file} -Encoding ascii"
            );
        }
        // An nssm service whose own settings were not collected: the flags are in the script it
        // runs when a PowerShell process runs a kubelet script (Calico's install-kube-services.ps1
        // sets AppParameters to kubelet-service.ps1, whose $argList holds the flags:
        // projectcalico/calico node/windows-packaging/CalicoWindows/kubernetes; sig-windows-tools'
        // PrepareNode.ps1 runs StartKubelet.ps1), else look first: `nssm set ... AppParameters`
        // would replace a script's path with the flags.
        if let Some(svc) = comp.service.filter(|s| s.is_nssm() && s.nssm.is_none()) {
            if let Some(script) = self.kubelet_script() {
                return format!(
                    "notepad {}   # add {flag} to the kubelet's flags there (service {} runs it)",
                    cmdline::join_for_display(&[script]),
                    svc.name
                );
            }
            return format!(
                "nssm get {0} Application; nssm get {0} AppParameters   # add {flag}: to AppParameters (nssm set {0} AppParameters ...) when Application is kubelet.exe, else where the program it names starts the kubelet",
                svc.name
            );
        }
        // A kubelet started in a console stops with the session: register it with the service
        // manager instead of relaunching it there (the node-services check says why).
        if let Some(p) = comp.process {
            if let Some(program) = p.command_line.first() {
                return format!(
                    "Stop-Process -Name kubelet -Force; nssm install kubelet {}; nssm set kubelet AppParameters {}",
                    cmdline::join_for_display(std::slice::from_ref(program)),
                    keep(p.args())
                );
            }
        }
        format!(
            "Get-CimInstance Win32_Process -Filter \"Name='kubelet.exe'\" | Select-Object -ExpandProperty CommandLine   # add {flag} where kubelet is started"
        )
    }

    /// The PowerShell script that starts the kubelet, when a running PowerShell process names one
    /// (a `.ps1` whose file name holds "kubelet": Calico's kubelet-service.ps1, sig-windows-tools'
    /// StartKubelet.ps1, AKS's kubeletstart.ps1).
    fn kubelet_script(&self) -> Option<String> {
        let processes = self.raw.processes.ready()?;
        processes
            .iter()
            .filter(|p| {
                let program = p
                    .command_line
                    .first()
                    .map(String::as_str)
                    .unwrap_or(&p.name);
                matches!(exe_stem(program).as_str(), "powershell" | "pwsh")
            })
            .flat_map(|p| p.command_line.iter().skip(1))
            .find(|arg| {
                let lower = arg.to_ascii_lowercase();
                let file = lower.rsplit(['\\', '/']).next().unwrap_or(&lower);
                file.ends_with(".ps1") && file.contains("kubelet")
            })
            .cloned()
    }

    /// The sandbox image as the kubelet (`--pod-infra-container-image`) and containerd (config.toml,
    /// any layout) are configured on the node, and a containerd config that cannot be parsed (its
    /// path and why).
    pub fn sandbox_settings(&self) -> (Vec<SandboxSetting>, Option<(String, String)>) {
        let mut out = Vec::new();
        let mut broken = None;
        if let Some(k) = self.kubelet() {
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
        if let Some((file, parsed)) = self.containerd_config() {
            let path = display_win_path(&file.path);
            match parsed {
                Ok(c) => {
                    if let Some((image, key)) = &c.sandbox_image {
                        out.push(SandboxSetting {
                            image: image.clone(),
                            setting: format!("containerd {key}"),
                            evidence: Evidence::file(path, format!("{key} = \"{image}\"")),
                        });
                    }
                }
                Err(why) => broken = Some((path, why.clone())),
            }
        }
        (out, broken)
    }

    /// One command that changes a sandbox image setting to `image`: the kubelet flag where the
    /// kubelet's flags live, or the containerd configuration file to edit.
    pub fn sandbox_apply(&self, setting: &SandboxSetting, image: &str) -> String {
        if setting.setting.starts_with("kubelet") {
            self.kubelet_flag_command(&format!("--pod-infra-container-image={image}"))
        } else {
            format!(
                "notepad \"{}\"  # set {} = \"{image}\"",
                setting.evidence.reference,
                setting.setting.trim_start_matches("containerd ")
            )
        }
    }

    /// The Windows build of this machine: node.json's OS build, else the Node's kernelVersion.
    pub fn build(&self) -> Option<(u32, Evidence)> {
        if let Some(info) = self.raw.info.ready() {
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
        let node = self.node_object()?;
        let b = node.windows_build()?;
        Some((
            b,
            Evidence::api(
                format!("Node/{} .status.nodeInfo.kernelVersion", node.name()),
                node.status.node_info.kernel_version.clone(),
            ),
        ))
    }

    /// The API server's host: the node kubeconfig's `server:` (recorded in node.json), else the
    /// kube-apiserver static pod's `--advertise-address` or host IP.
    pub fn api_server_host(&self) -> Option<(String, Evidence)> {
        if let Some(server) = self.raw.info.ready().and_then(|i| i.api_server.clone()) {
            if let Some(host) = url_host(&server) {
                return Some((
                    host,
                    Evidence::file(
                        crate::catalogue::data::node_paths().kubeconfig("node_kubeconfig"),
                        format!("server: {server}"),
                    ),
                ));
            }
        }
        self.model.api_server_from_pods()
    }
}

/// The CNI configuration in use on a node and what is normal for its plugin.
#[derive(Debug, Clone, Copy)]
pub struct CniInUse<'a> {
    pub file: &'a NodeFile,
    pub conf: &'a cni::CniConfig,
    pub rules: &'static crate::catalogue::data::CniRules,
}

impl CniInUse<'_> {
    /// "Calico (VXLAN or BGP) (C:\etc\cni\net.d\10-calico.conflist)".
    pub fn describe(&self) -> String {
        format!(
            "{} ({})",
            self.rules.title,
            display_win_path(&self.file.path)
        )
    }
    /// Evidence naming the file and the plugin types that chose the rules.
    pub fn evidence(&self) -> Evidence {
        Evidence::file(
            display_win_path(&self.file.path),
            format!(
                "\"name\": \"{}\", plugin types {}",
                self.conf.name.as_deref().unwrap_or(""),
                self.conf.plugin_types.join(", ")
            ),
        )
    }
}

/// One setting of the sandbox (pause) image on the node.
#[derive(Debug, Clone)]
pub struct SandboxSetting {
    pub image: String,
    /// "kubelet --pod-infra-container-image" or "containerd sandbox_image".
    pub setting: String,
    pub evidence: Evidence,
}

/// 169.254.0.0/16: Windows' automatic address when DHCP did not answer.
pub fn is_apipa(ip: &IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.octets()[0] == 169 && v4.octets()[1] == 254)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apipa_and_hosts() {
        assert!(is_apipa(&"169.254.3.4".parse().expect("ip")));
        assert!(!is_apipa(&"10.0.0.4".parse().expect("ip")));
        assert_eq!(
            url_host("https://10.0.0.5:6443/").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(
            url_host("https://[fd00::1]:6443").as_deref(),
            Some("fd00::1")
        );
        assert!(same_image("docker.io/library/pause:3.6", "PAUSE:3.6"));
    }

    #[test]
    fn node_net_conf_needs_a_cidr_network() {
        assert!(
            parse_node_net_conf(r#"{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}"#)
                .is_ok()
        );
        let err = parse_node_net_conf(r#"{"Network":"ten"}"#).unwrap_err();
        assert!(err.contains("not a CIDR"), "{err}");
        assert!(parse_node_net_conf("").is_err());
    }
}
