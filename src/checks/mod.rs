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
mod eval;
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
mod node_ready;
mod node_services;
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

pub use eval::Eval;

use crate::catalogue;
use crate::findings::{Finding, Status, Subject};
use crate::model::{Model, World};
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

/// Runs one check on the model.
pub fn run_one(id: &str, model: Model) -> CheckResult {
    let started = Instant::now();
    let findings = match (
        catalogue::meta(id),
        REGISTRY.iter().find(|(rid, _)| *rid == id),
    ) {
        (Some(meta), Some((_, f))) => {
            let mut ev = Eval::new(model, meta);
            f(&mut ev);
            if ev.findings().is_empty() {
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

/// Runs one check on a world (a fresh model over it).
pub fn run_on(id: &str, world: &World) -> CheckResult {
    run_one(id, Model::new(world))
}

/// Runs the selected checks on a world, in catalogue order, and returns all findings.
pub fn run_all(world: &World, selection: &Selection) -> Vec<Finding> {
    let model = Model::new(world);
    selection
        .ids()
        .into_iter()
        .flat_map(|id| run_one(id, model).findings)
        .collect()
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
        let world = crate::model::World::new(crate::sources::bundle::read_bundle(&store));
        super::run_on(id, &world).findings
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
                    crate::inputs::all_names().any(|n| n == i),
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
        assert_eq!(s.ids().len(), catalogue::CHECK_IDS.len() - 1);
    }
}
