//! Check `flannel-vxlan`: flannel is configured so that Linux and Windows nodes interoperate — the
//! ConfigMap's net-conf.json uses the vxlan backend with VNI 4096 and port 4789 (or host-gw, which
//! Windows serves with l2bridge), cni-conf.json names the network as the Windows side expects, every
//! node registered the same backend and VNI (its `flannel.alpha.coreos.com/*` annotations), and the
//! Linux flannel DaemonSet cannot land on Windows nodes. The cluster part is here; a node part (the
//! node's own net-conf.json) can be added as `node_part`. See checks/flannel-vxlan.toml.

use super::Eval;
use crate::facts::cluster::OsTarget;
use crate::facts::k8s::{ConfigMap, DaemonSet, Node, PodSpec};
use crate::facts::network::{self, NetConf};
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::NodeView;

/// The VNI and UDP port Windows flannel requires (seed 003 note, 001 § CNI 플러그인).
const WINDOWS_VNI: i64 = 4096;
const WINDOWS_PORT: i64 = 4789;
const ANNOTATION_BACKEND_TYPE: &str = "flannel.alpha.coreos.com/backend-type";
const ANNOTATION_BACKEND_DATA: &str = "flannel.alpha.coreos.com/backend-data";

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

fn cluster_part(ev: &mut Eval) {
    let cms = ev.configmaps();
    let dss = ev.daemonsets();
    let nodes = ev.nodes();

    let flannel_cms = cms
        .map(|c| network::flannel_config_maps(c))
        .unwrap_or_default();
    let flannel_dss: Vec<&DaemonSet> = dss
        .map(|d| d.iter().filter(|d| is_linux_flannel(ev, d)).collect())
        .unwrap_or_default();
    let annotated = nodes
        .map(|n| {
            n.iter()
                .any(|n| n.metadata.annotations.contains_key(ANNOTATION_BACKEND_TYPE))
        })
        .unwrap_or(false);
    if flannel_cms.is_empty() && flannel_dss.is_empty() && !annotated {
        let read: Vec<&str> = [
            cms.map(|_| "ConfigMaps (no kube-flannel-cfg, no net-conf.json)"),
            dss.map(|_| "DaemonSets (no Linux flannel DaemonSet)"),
            nodes.map(|_| "Nodes (no flannel.alpha.coreos.com annotations)"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !read.is_empty() {
            ev.emit(
                Status::Skip,
                Subject::cluster(),
                format!("flannel is not used: looked at {}", read.join(", ")),
            );
        }
        return;
    }

    // Problems in the configuration break Windows nodes only once one joins: before that, warn.
    let windows_nodes: Option<Vec<&Node>> =
        nodes.map(|n| n.iter().filter(|n| n.is_windows()).collect());
    let config_severity = match &windows_nodes {
        Some(w) if w.is_empty() => Status::Warn,
        _ => Status::Fail,
    };

    // A Windows flannel DaemonSet (sig-windows-tools HostProcess/wins images) configures the Windows
    // side's network name itself, independently of the Linux cni-conf.json.
    let windows_flannel_ds = dss.and_then(|d| {
        d.iter().find(|d| is_windows_flannel(ev, d)).map(|d| {
            format!(
                "{}/{}",
                d.metadata.namespace.as_deref().unwrap_or("default"),
                d.metadata.name
            )
        })
    });
    let setting = Setting {
        severity: config_severity,
        windows_flannel_ds,
    };
    let mut primary: Option<NetConf> = None;
    for (i, cm) in flannel_cms.iter().enumerate() {
        let conf = check_config_map(ev, cm, &setting);
        if i == 0 {
            primary = conf;
        }
    }
    if let Some(nodes) = nodes {
        check_node_annotations(ev, nodes, primary.as_ref(), !flannel_cms.is_empty());
    }
    if let Some(windows) = &windows_nodes {
        for ds in &flannel_dss {
            check_daemonset(ev, ds, windows, nodes.map(Vec::len).unwrap_or(0));
        }
    }
}

/// A DaemonSet that runs the Linux flannel daemon: its name says flannel, an image is a Linux flannel
/// image, and nothing marks it as the Windows build.
fn is_linux_flannel(ev: &Eval, ds: &DaemonSet) -> bool {
    let spec = &ds.spec.template.spec;
    let linux_image = ev.pattern("linux_flannel_image");
    let windows_image = ev.pattern("windows_flannel_image");
    ds.metadata.name.to_ascii_lowercase().contains("flannel")
        && spec.os_selector() != OsTarget::Windows
        && spec
            .containers
            .iter()
            .any(|c| linux_image.is_match(&c.image))
        && !spec
            .all_containers()
            .any(|c| windows_image.is_match(&c.image))
}

/// A DaemonSet that runs flannel on Windows nodes.
fn is_windows_flannel(ev: &Eval, ds: &DaemonSet) -> bool {
    let spec = &ds.spec.template.spec;
    let windows_image = ev.pattern("windows_flannel_image");
    ds.metadata.name.to_ascii_lowercase().contains("flannel")
        && (spec.os_selector() == OsTarget::Windows
            || spec
                .all_containers()
                .any(|c| windows_image.is_match(&c.image)))
}

/// How severe configuration problems are here, and what else shapes the judgement.
struct Setting {
    /// `fail` once Windows nodes exist (or cannot be ruled out), `warn` before.
    severity: Status,
    /// `namespace/name` of a Windows flannel DaemonSet, when there is one.
    windows_flannel_ds: Option<String>,
}

fn ns_of(cm: &ConfigMap) -> &str {
    cm.metadata.namespace.as_deref().unwrap_or("default")
}

/// Judges one flannel ConfigMap; gives its net-conf when it could be read.
fn check_config_map(ev: &mut Eval, cm: &ConfigMap, setting: &Setting) -> Option<NetConf> {
    let severity = setting.severity;
    let ns = ns_of(cm).to_string();
    let name = cm.metadata.name.clone();
    let cm_ref = network::cm_ref(cm);
    let subject = Subject::namespaced("ConfigMap", &ns, &name);
    let vars_base = [
        ("configmap", cm_ref.as_str()),
        ("namespace", &ns),
        ("name", &name),
    ];

    let Some(text) = cm.data.get("net-conf.json") else {
        ev.emit(
            Status::Warn,
            subject,
            format!("{cm_ref} has no net-conf.json key, so the flannel network and backend cannot be checked"),
        )
        .evidence(Evidence::api(format!("{cm_ref} .data"), "no net-conf.json key"));
        return None;
    };
    let evidence_ref = format!("{cm_ref} data.net-conf.json");
    let conf = match network::parse_net_conf(text) {
        Ok(c) => c,
        Err(problem) => {
            let mut vars = vars_base.to_vec();
            vars.push(("problem", &problem));
            let fix = ev.fix("net_conf_invalid", &vars);
            ev.emit(
                severity,
                subject,
                format!("net-conf.json in {cm_ref} cannot be read by flannel: {problem}"),
            )
            .evidence(Evidence::api(evidence_ref, excerpt(text)))
            .with_fix(fix);
            return None;
        }
    };

    let network_ok = match conf.network.as_deref() {
        None => {
            let fix = ev.fix("network_missing", &vars_base);
            ev.emit(
                severity,
                subject.clone(),
                format!("net-conf.json in {cm_ref} sets no Network: flannel cannot allocate node subnets"),
            )
            .evidence(Evidence::api(evidence_ref.clone(), excerpt(text)))
            .with_fix(fix);
            false
        }
        Some(n) if network::parse_cidr(n).is_none() => {
            let fix = ev.fix("network_missing", &vars_base);
            ev.emit(
                severity,
                subject.clone(),
                format!("net-conf.json in {cm_ref} sets Network {n:?}, which is not a CIDR"),
            )
            .evidence(Evidence::api(format!("{evidence_ref} Network"), n))
            .with_fix(fix);
            false
        }
        Some(_) => true,
    };
    let network_text = conf
        .network
        .clone()
        .unwrap_or_else(|| "10.244.0.0/16".into());

    let backend = conf.effective_backend().to_string();
    match backend.as_str() {
        "vxlan" => {
            let mut problems = Vec::new();
            match conf.vni {
                None => problems.push("VNI is not set (flannel then uses VNI 1)".to_string()),
                Some(v) if v != WINDOWS_VNI => problems.push(format!("VNI is {v}")),
                Some(_) => {}
            }
            match conf.port {
                None => problems
                    .push("Port is not set (Linux then uses the kernel default 8472)".to_string()),
                Some(p) if p != WINDOWS_PORT => problems.push(format!("Port is {p}")),
                Some(_) => {}
            }
            if problems.is_empty() {
                if network_ok {
                    ev.emit(
                        Status::Pass,
                        subject.clone(),
                        format!("{cm_ref}: vxlan backend with VNI {WINDOWS_VNI} and Port {WINDOWS_PORT}, Network {network_text}"),
                    )
                    .evidence(Evidence::api(evidence_ref.clone(), excerpt(text)));
                }
            } else {
                let mut vars = vars_base.to_vec();
                vars.push(("network", &network_text));
                let fix = ev.fix("vni_port", &vars);
                ev.emit(
                    severity,
                    subject.clone(),
                    format!(
                        "net-conf.json in {cm_ref} uses vxlan but {}: Windows flannel interoperates only with VNI {WINDOWS_VNI} and Port {WINDOWS_PORT}",
                        problems.join(" and ")
                    ),
                )
                .evidence(Evidence::api(evidence_ref.clone(), excerpt(text)))
                .with_fix(fix);
            }
        }
        "host-gw" => {
            ev.emit(
                Status::Info,
                subject.clone(),
                format!("{cm_ref} uses the host-gw backend: Windows nodes must then run flannel in l2bridge mode (win-bridge, network cbr0), and node-to-node routes must exist; fine when every node does so"),
            )
            .evidence(Evidence::api(evidence_ref.clone(), excerpt(text)));
        }
        other => {
            let shown = if conf.backend_type.is_none() {
                "no Backend.Type (flannel's default udp)".to_string()
            } else {
                format!("backend {other}")
            };
            let mut vars = vars_base.to_vec();
            vars.push(("backend", &shown));
            let fix = ev.fix("backend_unsupported", &vars);
            ev.emit(
                severity,
                subject.clone(),
                format!("{cm_ref} uses {shown}, which Windows flannel does not support (only vxlan and host-gw)"),
            )
            .evidence(Evidence::api(evidence_ref.clone(), excerpt(text)))
            .with_fix(fix);
        }
    }

    if let Some(cni) = cm.data.get("cni-conf.json") {
        check_cni_name(ev, cm, cni, &conf, setting);
    }
    Some(conf)
}

/// The network name Windows kube-proxy is given for this backend (seed 003 and the FAQ's kube-proxy
/// lines: vxlan0 for the overlay, cbr0 for l2bridge).
fn expected_network_name(backend: &str) -> Option<&'static str> {
    match backend {
        "vxlan" => Some("vxlan0"),
        "host-gw" => Some("cbr0"),
        _ => None,
    }
}

fn check_cni_name(ev: &mut Eval, cm: &ConfigMap, text: &str, conf: &NetConf, setting: &Setting) {
    let severity = setting.severity;
    let ns = ns_of(cm).to_string();
    let name = cm.metadata.name.clone();
    let cm_ref = network::cm_ref(cm);
    let subject = Subject::namespaced("ConfigMap", &ns, &name);
    let evidence_ref = format!("{cm_ref} data.cni-conf.json");
    match network::parse_cni_conf_name(text) {
        Err(problem) => {
            let fix = ev.fix(
                "cni_invalid",
                &[
                    ("configmap", &cm_ref),
                    ("namespace", &ns),
                    ("name", &name),
                    ("problem", &problem),
                ],
            );
            ev.emit(
                severity,
                subject,
                format!("cni-conf.json in {cm_ref} cannot be loaded: {problem}"),
            )
            .evidence(Evidence::api(evidence_ref, excerpt(text)))
            .with_fix(fix);
        }
        Ok(found) => {
            let backend = conf.effective_backend();
            let Some(expected) = expected_network_name(backend) else {
                return;
            };
            let found = found.unwrap_or_default();
            // Newer Windows flannel names its overlay network after the VNI (flannel.4096).
            let vni_name = format!("flannel.{}", conf.vni.unwrap_or(WINDOWS_VNI));
            if found == expected || (backend == "vxlan" && found == vni_name) {
                return;
            }
            let shown = if found.is_empty() {
                "(no name)".to_string()
            } else {
                found.clone()
            };
            let fix = ev.fix(
                "cni_name",
                &[
                    ("configmap", &cm_ref),
                    ("namespace", &ns),
                    ("name", &name),
                    ("found", &shown),
                    ("expected", expected),
                ],
            );
            let (status, message) = match &setting.windows_flannel_ds {
                None => (
                    Status::Warn,
                    format!("cni-conf.json in {cm_ref} names the network {shown}, not {expected}: the Windows node guide renames it to {expected} and starts Windows kube-proxy with --network-name={expected} for the {backend} backend; a kube-proxy network name that matches no HNS network leaves services unprogrammed"),
                ),
                Some(ds) => (
                    Status::Info,
                    format!("cni-conf.json in {cm_ref} names the network {shown}, not the documented {expected}; the Windows flannel DaemonSet {ds} sets the Windows network name itself, so make sure Windows kube-proxy's --network-name matches the HNS network it creates"),
                ),
            };
            ev.emit(status, subject, message)
                .evidence(Evidence::api(format!("{evidence_ref} name"), shown))
                .with_fix(fix);
        }
    }
}

/// What one node's flannel annotations say.
#[derive(Debug, PartialEq)]
struct Registration {
    backend_type: Option<String>,
    /// `Ok(Some(vni))`, `Ok(None)` when backend-data carries no VNI (host-gw: `null`), `Err` when
    /// it is not JSON.
    vni: Result<Option<i64>, String>,
    raw_data: Option<String>,
}

fn registration(node: &Node) -> Option<Registration> {
    let a = &node.metadata.annotations;
    let backend_type = a
        .get(ANNOTATION_BACKEND_TYPE)
        .map(|t| t.trim().to_ascii_lowercase());
    let raw_data = a.get(ANNOTATION_BACKEND_DATA).cloned();
    if backend_type.is_none() && raw_data.is_none() {
        return None;
    }
    let vni = match raw_data.as_deref() {
        None => Ok(None),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => Ok(network::get_ci(&v, "VNI").and_then(serde_json::Value::as_i64)),
            Err(e) => Err(format!("backend-data is not JSON: {e}")),
        },
    };
    Some(Registration {
        backend_type,
        vni,
        raw_data,
    })
}

fn check_node_annotations(
    ev: &mut Eval,
    nodes: &[Node],
    primary: Option<&NetConf>,
    config_known: bool,
) {
    let expected_type = primary.map(|c| c.effective_backend().to_string());
    let expected_vni = match primary {
        Some(c) if c.effective_backend() == "vxlan" => c.vni.unwrap_or(1),
        _ => WINDOWS_VNI,
    };
    let vni_source = if primary.is_some_and(|c| c.effective_backend() == "vxlan") {
        format!("VNI {expected_vni} of the flannel ConfigMap")
    } else {
        format!("VNI {WINDOWS_VNI} that Windows requires")
    };
    let unregistered: Vec<&Node> = nodes.iter().filter(|n| registration(n).is_none()).collect();
    // Without a ConfigMap, nodes that never ran flannel are not evidence of anything.
    if config_known && unregistered.len() > 1 && unregistered.len() == nodes.len() {
        let names: Vec<String> = unregistered.iter().map(|n| n.name().to_string()).collect();
        let fix = ev.fix("node_unregistered", &[("node", &names[0])]);
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!("none of the {} nodes carries flannel.alpha.coreos.com annotations although a flannel ConfigMap exists: flanneld has registered no node (or the annotations were not captured)", nodes.len()),
        )
        .evidence(Evidence::api(
            "Node/* .metadata.annotations",
            format!("no flannel.alpha.coreos.com/backend-type on {}", list(&names)),
        ))
        .with_fix(fix);
    } else if config_known {
        for node in &unregistered {
            let name = node.name();
            let fix = ev.fix("node_unregistered", &[("node", name)]);
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} carries no flannel.alpha.coreos.com annotations although the cluster uses flannel: flanneld has not registered this node"),
            )
            .evidence(Evidence::api(
                format!("Node/{name} .metadata.annotations"),
                "no flannel.alpha.coreos.com/backend-type or backend-data",
            ))
            .with_fix(fix);
        }
    }
    let mut consistent = Vec::new();
    for node in nodes {
        let name = node.name();
        let Some(reg) = registration(node) else {
            continue;
        };
        let annotation_evidence = || {
            Evidence::api(
                format!("Node/{name} .metadata.annotations"),
                format!(
                    "{ANNOTATION_BACKEND_TYPE}={} {ANNOTATION_BACKEND_DATA}={}",
                    reg.backend_type.as_deref().unwrap_or("(absent)"),
                    reg.raw_data.as_deref().unwrap_or("(absent)")
                ),
            )
        };
        if let (Some(found), Some(expected)) = (&reg.backend_type, &expected_type) {
            if found != expected {
                let found_text = format!("backend {found}");
                let expected_text = format!("backend {expected}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", &found_text),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!("{name} registered flannel backend {found} but the flannel ConfigMap uses {expected}: the node cannot reach pods on other nodes"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
                continue;
            }
        }
        let is_vxlan = reg.backend_type.as_deref() == Some("vxlan");
        match &reg.vni {
            Err(problem) => {
                let expected_text = format!("VNI {expected_vni}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", "an unreadable backend-data annotation"),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    Subject::node(name),
                    format!("{name}: flannel {problem}, so its VNI cannot be checked"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
            }
            Ok(Some(vni)) if *vni != expected_vni => {
                let found_text = format!("VNI {vni}");
                let expected_text = format!("VNI {expected_vni}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", &found_text),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!("{name} registered VNI {vni} but the cluster expects the {vni_source}: VXLAN traffic between this node and the others is dropped"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
            }
            Ok(None) if is_vxlan => {
                let expected_text = format!("VNI {expected_vni}");
                let fix = ev.fix(
                    "node_vni",
                    &[
                        ("node", name),
                        ("found", "the vxlan backend without a VNI"),
                        ("expected", &expected_text),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    Subject::node(name),
                    format!("{name} registered the vxlan backend without a VNI in its backend-data annotation"),
                )
                .evidence(annotation_evidence())
                .with_fix(fix);
            }
            Ok(_) => consistent.push(name.to_string()),
        }
    }
    if !consistent.is_empty() {
        let what = match &expected_type {
            Some(t) if t != "vxlan" => format!("backend {t}"),
            _ => format!("vxlan VNI {expected_vni}"),
        };
        if expected_vni == WINDOWS_VNI || expected_type.as_deref().is_some_and(|t| t != "vxlan") {
            ev.emit(
                Status::Pass,
                Subject::cluster(),
                format!(
                    "{} node(s) registered flannel {what}: {}",
                    consistent.len(),
                    list(&consistent)
                ),
            );
        }
    }
}

/// Whether `spec` can place a pod on `node`: node selector, required node affinity and taints.
fn can_schedule_on(spec: &PodSpec, node: &Node) -> bool {
    let labels = &node.metadata.labels;
    if !spec
        .node_selector
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v))
    {
        return false;
    }
    if let Some(required) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
    {
        let term_matches = |term: &crate::facts::k8s::NodeSelectorTerm| {
            term.match_expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => true,
                }
            })
        };
        if !required.node_selector_terms.is_empty()
            && !required.node_selector_terms.iter().any(term_matches)
        {
            return false;
        }
    }
    node.spec
        .taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .all(|taint| {
            spec.tolerations.iter().any(|tol| {
                let effect_ok = tol
                    .effect
                    .as_deref()
                    .is_none_or(|e| e.is_empty() || e == taint.effect);
                let exists = tol.operator.as_deref() == Some("Exists");
                let key_ok = match tol.key.as_deref() {
                    None | Some("") => exists,
                    Some(k) => k == taint.key,
                };
                let value_ok = exists
                    || tol.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("");
                effect_ok && key_ok && value_ok
            })
        })
}

fn check_daemonset(ev: &mut Eval, ds: &DaemonSet, windows: &[&Node], node_count: usize) {
    let ns = ds
        .metadata
        .namespace
        .as_deref()
        .unwrap_or("default")
        .to_string();
    let name = ds.metadata.name.clone();
    let spec = &ds.spec.template.spec;
    let subject = Subject::namespaced("DaemonSet", &ns, &name);
    let selector_text = if spec.node_selector.is_empty() {
        "(none)".to_string()
    } else {
        spec.node_selector
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let selector_evidence = Evidence::api(
        format!("DaemonSet/{ns}/{name} .spec.template.spec.nodeSelector"),
        selector_text,
    );
    if spec.os_selector() == OsTarget::Linux {
        ev.emit(
            Status::Pass,
            subject,
            format!("Linux flannel DaemonSet {ns}/{name} is restricted to Linux nodes"),
        )
        .evidence(selector_evidence);
        return;
    }
    let reachable: Vec<String> = windows
        .iter()
        .filter(|n| can_schedule_on(spec, n))
        .map(|n| n.name().to_string())
        .collect();
    let fix = ev.fix("ds_restrict", &[("daemonset", &name), ("namespace", &ns)]);
    let status_evidence = Evidence::api(
        format!("DaemonSet/{ns}/{name} .status"),
        format!(
            "desiredNumberScheduled={} numberReady={} (cluster has {} nodes, {} Windows)",
            ds.status.desired_number_scheduled,
            ds.status.number_ready,
            node_count,
            windows.len()
        ),
    );
    if windows.is_empty() {
        ev.emit(
            Status::Info,
            subject,
            format!("Linux flannel DaemonSet {ns}/{name} is not restricted to Linux nodes; no Windows node has joined yet, but the first one would receive a Linux flannel pod"),
        )
        .evidence(selector_evidence)
        .with_fix(fix);
    } else if reachable.is_empty() {
        ev.emit(
            Status::Info,
            subject,
            format!("Linux flannel DaemonSet {ns}/{name} has no kubernetes.io/os=linux selector; today its other selectors or the nodes' taints keep it off the {} Windows node(s), but a Windows node joining without them would get a Linux flannel pod", windows.len()),
        )
        .evidence(selector_evidence)
        .with_fix(fix);
    } else {
        ev.emit(
            Status::Fail,
            subject,
            format!(
                "Linux flannel DaemonSet {ns}/{name} is not restricted to Linux nodes: it schedules Linux flannel pods onto Windows node(s) {}",
                list(&reachable)
            ),
        )
        .evidence(selector_evidence)
        .evidence(status_evidence)
        .with_fix(fix);
    }
}

fn list(names: &[String]) -> String {
    const SHOWN: usize = 8;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// A ConfigMap value as evidence: whitespace collapsed, bounded length.
fn excerpt(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > 300 {
        format!("{}…", collapsed.chars().take(300).collect::<String>())
    } else {
        collapsed
    }
}

/// Node part: the node's own net-conf.json (what the Windows flanneld reads) uses VNI 4096 and port
/// 4789 for vxlan and agrees with the cluster's kube-flannel-cfg; the HNS network type and the CNI
/// delegate match the backend (vxlan: Overlay / win-overlay, host-gw: L2Bridge / win-bridge).
fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    use crate::facts::node::display_win_path;
    use crate::findings::Evidence;
    let Some(_files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    let cluster = view.model.cluster_net_conf();
    let local = view.net_conf();
    if local.is_none() && view.from_api() {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "the node's flannel net-conf.json, CNI configuration and HNS networks are not served by the Kubernetes API (the cluster's net-conf.json is judged by the cluster part)",
        );
        return;
    }
    if local.is_none() && view.flannel_evidence().is_none() {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "flannel is not used on this node (no net-conf.json, flanneld or flannel CNI configuration)",
        );
        return;
    }
    let mut problems = 0;
    let has_local = local.is_some();
    let (conf, conf_ev) = match local {
        Some((f, Ok(c))) => (
            c.clone(),
            Evidence::file(display_win_path(&f.path), f.text.trim().replace('\n', " ")),
        ),
        Some((f, Err(why))) => {
            let path = display_win_path(&f.path);
            let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
            ev.emit(
                Status::Fail,
                Subject::file(path.clone()),
                format!("{path} cannot be read by flanneld: {why}"),
            )
            .evidence(Evidence::file(path, f.text.trim().to_string()))
            .with_fix(fix);
            return;
        }
        None => match &cluster {
            Some((r, c)) => (
                c.clone(),
                Evidence::api(r.clone(), format!("{:?}", c.backend_type)),
            ),
            None => {
                ev.emit(
                    Status::Skip,
                    Subject::node(node),
                    "no flannel net-conf.json on the node (C:\\etc\\kube-flannel\\net-conf.json) and none in the cluster: the backend is not known",
                );
                return;
            }
        },
    };
    let path = conf_ev.reference.clone();
    let backend = conf.backend_type.clone().unwrap_or_default();
    if backend == "vxlan" && has_local {
        let bad_vni = conf.vni.is_some_and(|v| v != 4096);
        let bad_port = conf.port.is_some_and(|p| p != 4789);
        if bad_vni || bad_port || conf.vni.is_none() || conf.port.is_none() {
            problems += 1;
            let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
            let status = if bad_vni || bad_port {
                Status::Fail
            } else {
                Status::Warn
            };
            ev.emit(
                status,
                Subject::file(path.clone()),
                format!(
                    "{path} on {node} sets vxlan VNI {} and port {}: Windows and Linux flannel interoperate only with VNI 4096 and port 4789, written out on both sides",
                    conf.vni.map(|v| v.to_string()).unwrap_or_else(|| "(not set)".into()),
                    conf.port.map(|v| v.to_string()).unwrap_or_else(|| "(not set)".into())
                ),
            )
            .evidence(conf_ev.clone())
            .with_fix(fix);
        }
    }
    if let (Some((cm, c)), true) = (&cluster, has_local) {
        fn show<T: std::fmt::Display>(v: &Option<T>) -> String {
            v.as_ref()
                .map(|x| x.to_string())
                .unwrap_or_else(|| "(not set)".to_string())
        }
        let mut diffs = Vec::new();
        if c.network_net() != conf.network_net() {
            diffs.push(format!(
                "Network {} here, {} in the cluster",
                show(&conf.network_net()),
                show(&c.network_net())
            ));
        }
        if c.backend_type != conf.backend_type {
            diffs.push(format!(
                "Backend.Type {} here, {} in the cluster",
                show(&conf.backend_type),
                show(&c.backend_type)
            ));
        }
        if c.vni != conf.vni {
            diffs.push(format!(
                "VNI {} here, {} in the cluster",
                show(&conf.vni),
                show(&c.vni)
            ));
        }
        if c.port != conf.port {
            diffs.push(format!(
                "Port {} here, {} in the cluster",
                show(&conf.port),
                show(&c.port)
            ));
        }
        if !diffs.is_empty() {
            problems += 1;
            let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
            ev.emit(
                Status::Fail,
                Subject::file(path.clone()),
                format!(
                    "{path} on {node} differs from the cluster's {cm}: {}",
                    diffs.join(", ")
                ),
            )
            .evidence(conf_ev.clone())
            .evidence(Evidence::api(
                cm.clone(),
                format!(
                    "Network {:?} Type {:?} VNI {:?} Port {:?}",
                    c.network_net().map(|n| n.to_string()),
                    c.backend_type,
                    c.vni,
                    c.port
                ),
            ))
            .with_fix(fix);
        }
    }
    let (want_hns, want_cni) = match backend.as_str() {
        "vxlan" => ("overlay", "win-overlay"),
        "host-gw" => ("l2bridge", "win-bridge"),
        _ => ("", ""),
    };
    if !want_hns.is_empty() {
        if let Some(nets) = view.raw.hns_networks.ready() {
            let pod_nets: Vec<&crate::facts::node::HnsNetwork> = nets
                .iter()
                .filter(|n| {
                    matches!(
                        n.type_.to_ascii_lowercase().as_str(),
                        "overlay" | "l2bridge"
                    )
                })
                .collect();
            if !pod_nets.is_empty()
                && !pod_nets
                    .iter()
                    .any(|n| n.type_.eq_ignore_ascii_case(want_hns))
            {
                problems += 1;
                let listed: Vec<String> = pod_nets
                    .iter()
                    .map(|n| format!("{} ({})", n.name, n.type_))
                    .collect();
                let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &path)]);
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!("flannel's backend is {backend} but the node's HNS pod network is {}: the node was set up for the other network mode", listed.join(", ")),
                )
                .evidence(conf_ev.clone())
                .evidence(Evidence::api("Get-HnsNetwork", listed.join(", ")))
                .with_fix(fix);
            }
        }
        for (f, c) in view.cni_configs() {
            let Ok(c) = c else { continue };
            let other = if want_cni == "win-overlay" {
                "win-bridge"
            } else {
                "win-overlay"
            };
            if c.uses("flannel") && c.uses(other) && !c.uses(want_cni) {
                problems += 1;
                let cni_path = display_win_path(&f.path);
                let fix = ev.fix("node_net_conf", &[("node", &node), ("path", &cni_path)]);
                ev.emit(
                    Status::Fail,
                    Subject::file(cni_path.clone()),
                    format!("{cni_path} delegates to {other}, but flannel's backend is {backend}, which needs {want_cni}"),
                )
                .evidence(Evidence::file(cni_path, format!("plugins {}", c.plugin_types.join(", "))))
                .evidence(conf_ev.clone())
                .with_fix(fix);
            }
        }
    }
    if problems == 0 {
        ev.emit(
            Status::Pass,
            Subject::node(node.clone()),
            format!(
                "flannel on {node}: backend {backend}{} in {path}, consistent with the cluster, the HNS network and the CNI delegate",
                match (conf.vni, conf.port) {
                    (Some(v), Some(p)) => format!(" VNI {v} port {p}"),
                    _ => String::new(),
                }
            ),
        )
        .evidence(conf_ev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).expect("node yaml")
    }
    fn spec(json: &str) -> PodSpec {
        serde_json::from_str(json).expect("spec json")
    }

    #[test]
    fn registration_reads_vni_and_tolerates_null_and_garbage() {
        let n = node("metadata:\n  name: a\n  annotations:\n    flannel.alpha.coreos.com/backend-type: vxlan\n    flannel.alpha.coreos.com/backend-data: '{\"VNI\":4096,\"VtepMAC\":\"aa:bb\"}'\n");
        assert_eq!(registration(&n).expect("registered").vni, Ok(Some(4096)));
        let n = node("metadata:\n  name: a\n  annotations:\n    flannel.alpha.coreos.com/backend-type: host-gw\n    flannel.alpha.coreos.com/backend-data: 'null'\n");
        assert_eq!(registration(&n).expect("registered").vni, Ok(None));
        let n = node("metadata:\n  name: a\n  annotations:\n    flannel.alpha.coreos.com/backend-data: '{VNI'\n");
        assert!(registration(&n).expect("registered").vni.is_err());
        let n = node("metadata:\n  name: a\n");
        assert_eq!(registration(&n), None);
    }

    #[test]
    fn scheduling_respects_selector_affinity_and_taints() {
        let win = node("metadata:\n  name: w\n  labels: {kubernetes.io/os: windows, kubernetes.io/arch: amd64}\nspec:\n  taints:\n  - {key: os, value: windows, effect: NoSchedule}\n");
        // Tolerates everything, no selector: lands on Windows.
        let s = spec(r#"{"tolerations":[{"operator":"Exists","effect":"NoSchedule"}]}"#);
        assert!(can_schedule_on(&s, &win));
        // No toleration for the os=windows taint: kept off.
        let s = spec(r#"{"nodeSelector":{"kubernetes.io/arch":"amd64"}}"#);
        assert!(!can_schedule_on(&s, &win));
        // Tolerates by key and value.
        let s = spec(
            r#"{"tolerations":[{"key":"os","operator":"Equal","value":"windows","effect":"NoSchedule"}]}"#,
        );
        assert!(can_schedule_on(&s, &win));
        // Affinity NotIn windows keeps it off.
        let s = spec(
            r#"{"tolerations":[{"operator":"Exists"}],"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubernetes.io/os","operator":"NotIn","values":["windows"]}]}]}}}}"#,
        );
        assert!(!can_schedule_on(&s, &win));
    }

    #[test]
    fn network_names_per_backend() {
        assert_eq!(expected_network_name("vxlan"), Some("vxlan0"));
        assert_eq!(expected_network_name("host-gw"), Some("cbr0"));
        assert_eq!(expected_network_name("udp"), None);
    }

    #[test]
    fn long_lists_are_shortened() {
        let names: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
        assert!(list(&names).ends_with("and 2 more"));
        assert_eq!(list(&names[..2]), "n0, n1");
    }
    const CHECK_ID: &str = "flannel-vxlan";

    /// Runs the whole check on a tiny in-memory bundle, as the catalogue examples do.
    fn run_check(files: &[(&str, &str)]) -> Vec<crate::findings::Finding> {
        crate::checks::testing::run_on_files(CHECK_ID, files)
    }

    fn with_status(findings: &[crate::findings::Finding], status: Status) -> Vec<&str> {
        crate::checks::testing::messages_with_status(findings, status)
    }

    #[test]
    fn cni_name_is_only_advice_when_a_windows_flannel_daemonset_exists() {
        let cms = r#"items:
- metadata: {name: kube-flannel-cfg, namespace: kube-system}
  data:
    cni-conf.json: '{"name": "cbr0", "plugins": [{"type": "flannel"}]}'
    net-conf.json: '{"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan", "VNI": 4096, "Port": 4789}}'
"#;
        let dss = r#"items:
- metadata: {name: kube-flannel-ds-windows-amd64, namespace: kube-system}
  spec: {template: {spec: {nodeSelector: {kubernetes.io/os: windows}, containers: [{name: f, image: "sigwindowstools/flannel:v0.14.0-hostprocess"}]}}}
"#;
        let nodes = "items:\n- metadata: {name: w, labels: {kubernetes.io/os: windows}, annotations: {flannel.alpha.coreos.com/backend-type: vxlan, flannel.alpha.coreos.com/backend-data: '{\"VNI\":4096}'}}\n";
        let f = run_check(&[
            ("cluster/configmaps.yaml", cms),
            ("cluster/daemonsets.yaml", dss),
            ("cluster/nodes.yaml", nodes),
        ]);
        assert!(with_status(&f, Status::Warn).is_empty(), "{f:?}");
        assert!(with_status(&f, Status::Info)
            .iter()
            .any(|m| m.contains("kube-system/kube-flannel-ds-windows-amd64")));
        // The Windows DaemonSet itself is never judged as the Linux one.
        assert!(!f.iter().any(|f| f.subject.kind == "DaemonSet"));
    }

    #[test]
    fn without_configmaps_node_vnis_are_compared_with_4096() {
        let nodes = "items:\n- metadata: {name: l, labels: {kubernetes.io/os: linux}, annotations: {flannel.alpha.coreos.com/backend-type: vxlan, flannel.alpha.coreos.com/backend-data: '{\"VNI\":1}'}}\n- metadata: {name: u, labels: {kubernetes.io/os: linux}}\n";
        let f = run_check(&[
            ("cluster/nodes.yaml", nodes),
            ("cluster/daemonsets.yaml", "items: []"),
        ]);
        assert!(with_status(&f, Status::Fail)
            .iter()
            .any(|m| m.contains("registered VNI 1") && m.contains("4096")));
        // ConfigMaps not captured: said so, and unannotated nodes are not blamed.
        assert!(f
            .iter()
            .any(|f| f.status == Status::Skip && f.subject.name == "configmaps"));
        assert!(with_status(&f, Status::Warn).is_empty(), "{f:?}");
    }

    #[test]
    fn config_problems_are_warnings_before_windows_nodes_join() {
        let cms = "items:\n- metadata: {name: kube-flannel-cfg, namespace: kube-flannel}\n  data:\n    net-conf.json: '{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"wireguard\"}}'\n";
        let nodes = "items:\n- metadata: {name: l, labels: {kubernetes.io/os: linux}, annotations: {flannel.alpha.coreos.com/backend-type: wireguard, flannel.alpha.coreos.com/backend-data: 'null'}}\n";
        let f = run_check(&[
            ("cluster/configmaps.yaml", cms),
            ("cluster/nodes.yaml", nodes),
            ("cluster/daemonsets.yaml", "items: []"),
        ]);
        assert!(with_status(&f, Status::Fail).is_empty(), "{f:?}");
        assert!(with_status(&f, Status::Warn)
            .iter()
            .any(|m| m.contains("backend wireguard")));
    }
}
