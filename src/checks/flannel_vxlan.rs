//! Check `flannel-vxlan`: flannel is configured so that Linux and Windows nodes interoperate — the
//! ConfigMap's net-conf.json uses the vxlan backend with VNI 4096 and port 4789 (or host-gw, which
//! Windows serves with l2bridge), cni-conf.json names the network as the Windows side expects, every
//! node registered the same backend and VNI (its `flannel.alpha.coreos.com/*` annotations), and the
//! Linux flannel DaemonSet cannot land on Windows nodes. The cluster part is here; a node part (the
//! node's own net-conf.json) is in `node`. Each part is a module below `flannel_vxlan/`; this file
//! decides whether flannel is used and holds what the parts share. See checks/flannel-vxlan.toml.

mod annotations;
mod config_map;
mod daemonset;
mod node;

use super::Eval;
use crate::facts::cluster::OsTarget;
use crate::facts::k8s::{ConfigMap, DaemonSet, Node};
use crate::facts::network::{self, NetConf};
use crate::findings::Status;

/// The VNI and UDP port Windows flannel requires (seed 003 note, 001 § CNI 플러그인), from
/// `checks/data/thresholds.toml`.
fn windows_vni() -> i64 {
    i64::try_from(crate::catalogue::data::thresholds().flannel_vni.value).unwrap_or(i64::MAX)
}

fn windows_port() -> i64 {
    i64::try_from(crate::catalogue::data::thresholds().flannel_port.value).unwrap_or(i64::MAX)
}
const ANNOTATION_BACKEND_TYPE: &str = "flannel.alpha.coreos.com/backend-type";
const ANNOTATION_BACKEND_DATA: &str = "flannel.alpha.coreos.com/backend-data";

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node::node_part(ev);
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
            ev.not_applicable(format!("flannel is not used: looked at {}", read.join(", ")));
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
        let conf = config_map::check_config_map(ev, cm, &setting);
        if i == 0 {
            primary = conf;
        }
    }
    if let Some(nodes) = nodes {
        annotations::check_node_annotations(ev, nodes, primary.as_ref(), !flannel_cms.is_empty());
    }
    if let Some(windows) = &windows_nodes {
        for ds in &flannel_dss {
            daemonset::check_daemonset(ev, ds, windows, nodes.map(Vec::len).unwrap_or(0));
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

#[cfg(test)]
mod tests {
    use super::annotations::registration;
    use super::config_map::expected_network_name;
    use super::daemonset::can_schedule_on;
    use super::*;
    use crate::facts::k8s::PodSpec;

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
