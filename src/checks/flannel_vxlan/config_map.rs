//! Parts `net-conf-invalid`, `network-missing`, `vni-port`, `backend-unsupported` and `cni-name` of
//! flannel-vxlan: the flannel ConfigMap's net-conf.json (backend, VNI, port, Network) and the
//! network name its cni-conf.json gives the Windows side.

use super::{excerpt, ns_of, windows_port, windows_vni, Setting};
use crate::checks::Eval;
use crate::facts::k8s::ConfigMap;
use crate::facts::network::{self, NetConf};
use crate::findings::{Evidence, Status, Subject};

/// Judges one flannel ConfigMap; gives its net-conf when it could be read.
pub(super) fn check_config_map(ev: &mut Eval, cm: &ConfigMap, setting: &Setting) -> Option<NetConf> {
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

    ev.part("net-conf-invalid");
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

    ev.part("network-missing");
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
            ev.part("vni-port");
            let (windows_vni, windows_port) = (windows_vni(), windows_port());
            let mut problems = Vec::new();
            match conf.vni {
                None => problems.push("VNI is not set (flannel then uses VNI 1)".to_string()),
                Some(v) if v != windows_vni => problems.push(format!("VNI is {v}")),
                Some(_) => {}
            }
            match conf.port {
                None => problems
                    .push("Port is not set (Linux then uses the kernel default 8472)".to_string()),
                Some(p) if p != windows_port => problems.push(format!("Port is {p}")),
                Some(_) => {}
            }
            if problems.is_empty() {
                if network_ok {
                    ev.emit(
                        Status::Pass,
                        subject.clone(),
                        format!("{cm_ref}: vxlan backend with VNI {windows_vni} and Port {windows_port}, Network {network_text}"),
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
                        "net-conf.json in {cm_ref} uses vxlan but {}: Windows flannel interoperates only with VNI {windows_vni} and Port {windows_port}",
                        problems.join(" and ")
                    ),
                )
                .evidence(Evidence::api(evidence_ref.clone(), excerpt(text)))
                .with_fix(fix);
            }
        }
        "host-gw" => {
            ev.part("backend-unsupported");
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
            ev.part("backend-unsupported");
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
pub(super) fn expected_network_name(backend: &str) -> Option<&'static str> {
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
    ev.part("cni-name");
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
            let vni_name = format!("flannel.{}", conf.vni.unwrap_or(windows_vni()));
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
