//! Checks: pure functions from facts to findings, one per catalogue id.
//!
//! How to add a check: describe it in `checks/<id>.toml` (title, scope, area, the inputs it reads,
//! seed-doc section, explanation, fixes, patterns, examples) and write one function `run(&mut Eval)`
//! in `src/checks/<id>.rs`, registered in `REGISTRY` below. The function asks `Eval` for each input it
//! needs (`ev.nodes()`, `ev.events()`...): when an input is missing or failed, `Eval` records the
//! `skip`/`error` finding and returns `None`, so a check cannot mistake an unreadable input for a
//! healthy one. Findings are made with `ev.emit(status, subject, message)` and carry evidence and a
//! fix rendered from the catalogue's templates with real values.

mod cni_exception_list;
mod container_runtime;
mod dns_windows;
mod flannel_sourcevip;
mod flannel_subnet_env;
mod flannel_vxlan;
mod flanneld_waiting;
mod hns_network;
mod icmp_vs_tcp;
mod image_os_match;
mod ip_plan;
mod kube_proxy_hostname_override;
mod kubelet_config;
mod mac_spoofing;
mod node_inputs;
mod node_ready;
mod node_services;
mod node_view;
mod nodeport_self_access;
mod os_scheduling;
mod pause_image;
mod pod_spec_compat;
mod port_forward_wincat;
mod proxy_env;
mod service_ip_from_node;
mod service_limits;
mod version_skew;
mod windows_version;

use crate::catalogue::{self, CheckMeta};
use crate::facts::k8s::{
    ConfigMap, DaemonSet, Event, Node, Pod, RuntimeClass, ServerVersion, Service,
};
use crate::facts::{Facts, Input};
use crate::findings::{Finding, Fix, Status, Subject};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

pub type CheckFn = fn(&mut Eval);

/// Every check id with its function, in catalogue order.
pub const REGISTRY: &[(&str, CheckFn)] = &[
    ("node-ready", node_ready::run),
    ("node-services", node_services::run),
    ("windows-version", windows_version::run),
    ("pause-image", pause_image::run),
    ("image-os-match", image_os_match::run),
    ("os-scheduling", os_scheduling::run),
    ("pod-spec-compat", pod_spec_compat::run),
    ("container-runtime", container_runtime::run),
    ("flannel-vxlan", flannel_vxlan::run),
    ("flannel-subnet-env", flannel_subnet_env::run),
    ("flannel-sourcevip", flannel_sourcevip::run),
    ("flanneld-waiting", flanneld_waiting::run),
    (
        "kube-proxy-hostname-override",
        kube_proxy_hostname_override::run,
    ),
    ("hns-network", hns_network::run),
    ("cni-exception-list", cni_exception_list::run),
    ("icmp-vs-tcp", icmp_vs_tcp::run),
    ("nodeport-self-access", nodeport_self_access::run),
    ("service-ip-from-node", service_ip_from_node::run),
    ("mac-spoofing", mac_spoofing::run),
    ("dns-windows", dns_windows::run),
    ("port-forward-wincat", port_forward_wincat::run),
    ("proxy-env", proxy_env::run),
    ("ip-plan", ip_plan::run),
    ("kubelet-config", kubelet_config::run),
    ("service-limits", service_limits::run),
    ("version-skew", version_skew::run),
];

/// Names of the inputs a check may declare in its `inputs = [...]` list.
pub const INPUT_NAMES: &[&str] = &[
    "version",
    "nodes",
    "pods",
    "events",
    "services",
    "daemonsets",
    "configmaps",
    "runtimeclasses",
    "logs",
    "node",
    "probes",
];

/// The evaluation context of one check: the facts, the check's metadata, and the findings so far.
pub struct Eval<'a> {
    pub facts: &'a Facts,
    pub meta: &'a CheckMeta,
    findings: Vec<Finding>,
    reported_inputs: BTreeSet<String>,
}

impl<'a> Eval<'a> {
    pub fn new(facts: &'a Facts, meta: &'a CheckMeta) -> Self {
        Eval {
            facts,
            meta,
            findings: Vec::new(),
            reported_inputs: BTreeSet::new(),
        }
    }

    /// Records a finding and returns it for adding evidence and a fix.
    pub fn emit(
        &mut self,
        status: Status,
        subject: Subject,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.findings.push(Finding {
            check: self.meta.id.clone(),
            title: self.meta.title.clone(),
            status,
            subject,
            message: message.into(),
            evidence: Vec::new(),
            fix: None,
            docs: self.meta.citations(),
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// The fix template `key` of this check with real values.
    pub fn fix(&self, key: &str, vars: &[(&str, &str)]) -> Fix {
        self.meta.fix(key, vars)
    }

    pub fn pattern(&self, name: &str) -> &'a regex::Regex {
        self.meta.pattern(name)
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    /// Gives the input if it is ready; otherwise records one `skip` (not captured) or `error` (could
    /// not be read) finding naming it, once per input, and gives `None`.
    pub fn need<T>(&mut self, name: &str, input: &'a Input<T>) -> Option<&'a T> {
        debug_assert!(
            self.meta.inputs.iter().any(|i| i == name),
            "check {} reads input {name} which its checks/{}.toml does not declare",
            self.meta.id,
            self.meta.id
        );
        match input {
            Input::Ready(t) => Some(t),
            Input::Missing(what) => {
                if self.reported_inputs.insert(name.to_string()) {
                    self.emit(
                        Status::Skip,
                        Subject::new("Input", name),
                        format!("not evaluated: {what}"),
                    );
                }
                None
            }
            Input::Failed(why) => {
                if self.reported_inputs.insert(name.to_string()) {
                    self.emit(
                        Status::Error,
                        Subject::new("Input", name),
                        format!("could not be evaluated: {why}"),
                    );
                }
                None
            }
        }
    }

    pub fn version(&mut self) -> Option<&'a ServerVersion> {
        self.need("version", &self.facts.cluster.version)
    }
    pub fn nodes(&mut self) -> Option<&'a Vec<Node>> {
        self.need("nodes", &self.facts.cluster.nodes)
    }
    pub fn pods(&mut self) -> Option<&'a Vec<Pod>> {
        self.need("pods", &self.facts.cluster.pods)
    }
    pub fn events(&mut self) -> Option<&'a Vec<Event>> {
        self.need("events", &self.facts.cluster.events)
    }
    pub fn services(&mut self) -> Option<&'a Vec<Service>> {
        self.need("services", &self.facts.cluster.services)
    }
    pub fn daemonsets(&mut self) -> Option<&'a Vec<DaemonSet>> {
        self.need("daemonsets", &self.facts.cluster.daemonsets)
    }
    pub fn configmaps(&mut self) -> Option<&'a Vec<ConfigMap>> {
        self.need("configmaps", &self.facts.cluster.configmaps)
    }
    pub fn runtimeclasses(&mut self) -> Option<&'a Vec<RuntimeClass>> {
        self.need("runtimeclasses", &self.facts.cluster.runtimeclasses)
    }

    /// All nodes and the Windows ones among them. `None` when nodes could not be read (the skip/error
    /// is recorded) or when there is no Windows node (a `skip` saying so is recorded).
    pub fn windows_nodes_or_skip(&mut self) -> Option<(&'a Vec<Node>, Vec<&'a Node>)> {
        let nodes = self.nodes()?;
        let windows: Vec<&Node> = nodes.iter().filter(|n| n.is_windows()).collect();
        if windows.is_empty() {
            self.emit(
                Status::Skip,
                Subject::cluster(),
                format!(
                    "no Windows nodes in the cluster ({} nodes, none Windows)",
                    nodes.len()
                ),
            );
            return None;
        }
        Some((nodes, windows))
    }

    /// Windows nodes, or `None` (with the skip/error recorded) when nodes could not be read.
    pub fn windows_nodes(&mut self) -> Option<Vec<&'a Node>> {
        Some(self.nodes()?.iter().filter(|n| n.is_windows()).collect())
    }

    /// The Windows nodes and the events, for the cluster part of a check whose node part also runs:
    /// `None`, quietly, when there is no Windows node (the node part speaks for the check), or when
    /// nodes or events could not be read (already reported as `skip`/`error`).
    pub fn windows_nodes_and_events(&mut self) -> Option<(Vec<&'a Node>, &'a [Event])> {
        let windows = self.windows_nodes().filter(|w| !w.is_empty())?;
        Some((windows, self.events()?))
    }
}

/// One check's outcome, as streamed to front-ends.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub id: String,
    pub findings: Vec<Finding>,
    pub elapsed: Duration,
}

/// Which checks to run (`--only` / `--skip`), validated against the catalogue.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    /// Rejects ids that are not in the catalogue, naming them and the valid ones.
    pub fn validate(&self) -> Result<(), String> {
        let unknown: Vec<&String> = self
            .only
            .iter()
            .chain(self.skip.iter())
            .filter(|id| !catalogue::CHECK_IDS.contains(&id.as_str()))
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "unknown check id(s): {}. Valid ids: {}",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                catalogue::CHECK_IDS.join(", ")
            ))
        }
    }

    pub fn includes(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|o| o == id))
            && !self.skip.iter().any(|s| s == id)
    }

    pub fn ids(&self) -> Vec<&'static str> {
        catalogue::CHECK_IDS
            .iter()
            .copied()
            .filter(|id| self.includes(id))
            .collect()
    }
}

/// Runs one check on the facts.
pub fn run_one(id: &str, facts: &Facts) -> CheckResult {
    let started = Instant::now();
    let findings = match (
        catalogue::meta(id),
        REGISTRY.iter().find(|(rid, _)| *rid == id),
    ) {
        (Some(meta), Some((_, f))) => {
            let mut ev = Eval::new(facts, meta);
            f(&mut ev);
            if ev.findings.is_empty() {
                ev.emit(
                    Status::Skip,
                    Subject::cluster(),
                    "not applicable: nothing in the inputs for this check to examine",
                );
            }
            ev.into_findings()
        }
        _ => Vec::new(),
    };
    CheckResult {
        id: id.to_string(),
        findings,
        elapsed: started.elapsed(),
    }
}

/// Runs the selected checks in catalogue order, handing each result to `on_result` as it finishes.
pub fn run_selected(facts: &Facts, selection: &Selection, mut on_result: impl FnMut(CheckResult)) {
    for id in selection.ids() {
        on_result(run_one(id, facts));
    }
}

/// Runs the selected checks and returns all findings in catalogue order.
pub fn run_all(facts: &Facts, selection: &Selection) -> Vec<Finding> {
    let mut out = Vec::new();
    run_selected(facts, selection, |r| out.extend(r.findings));
    out
}

#[cfg(test)]
mod examples;

/// Helpers for the checks' unit tests: run one check on a tiny in-memory bundle.
#[cfg(test)]
pub(crate) mod testing {
    use crate::findings::{Finding, Status};

    /// Runs check `id` on the bundle `files` (path -> content), read as real bundles are.
    pub fn run_on_files(id: &str, files: &[(&str, &str)]) -> Vec<Finding> {
        let files: std::collections::BTreeMap<String, String> = files
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let store = crate::sources::files::MemoryStore::from_text(&files);
        let facts = crate::sources::bundle::read_bundle(&store);
        super::run_one(id, &facts).findings
    }

    /// [`run_on_files`] for a check with a cluster and a node part, keeping the cluster part's
    /// findings: the node part's "node data not captured" skip of a cluster-only bundle is dropped.
    pub fn run_cluster_part_on_files(id: &str, files: &[(&str, &str)]) -> Vec<Finding> {
        run_on_files(id, files)
            .into_iter()
            .filter(|f| !(f.subject.kind == "Input" && f.subject.name == "node"))
            .collect()
    }

    /// The messages of the findings with `status`.
    pub fn messages_with_status(findings: &[Finding], status: Status) -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f.status == status)
            .map(|f| f.message.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_matches_catalogue_ids() {
        let ids: Vec<&str> = REGISTRY.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, catalogue::CHECK_IDS.to_vec());
    }

    #[test]
    fn declared_inputs_are_known() {
        for m in catalogue::catalogue() {
            for i in &m.inputs {
                assert!(
                    INPUT_NAMES.contains(&i.as_str()),
                    "{} declares unknown input {i}",
                    m.id
                );
            }
        }
    }

    #[test]
    fn selection_rejects_unknown_ids() {
        let s = Selection {
            only: vec!["node-ready".into(), "nope".into()],
            skip: vec![],
        };
        assert!(s.validate().unwrap_err().contains("nope"));
        let s = Selection {
            only: vec![],
            skip: vec!["node-ready".into()],
        };
        assert!(s.validate().is_ok());
        assert!(!s.ids().contains(&"node-ready"));
        assert_eq!(s.ids().len(), 25);
    }
}
