//! Parts `linux-daemonset-on-windows` and `linux-pod-on-windows` of os-scheduling: Linux pods on
//! Windows nodes, above all those of DaemonSets with no OS restriction, whose pods there never start,
//! and workloads whose images the Windows runtime refuses for this platform.

use super::{count_pods, image_evidence, selector_text, workload_subject, ByWorkload, Ctx};
use crate::checks::Eval;
use crate::facts::cluster::{OsTarget, OS_LABEL};
use crate::facts::k8s::{DaemonSet, Node, Pod};
use crate::findings::{Evidence, Status, Subject};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn linux_pods_on_windows(ev: &mut Eval, ctx: &Ctx, pods: &[&Pod]) {
    let on_windows: Vec<(&Pod, &Node)> = pods
        .iter()
        .copied()
        .filter_map(|p| {
            let node = ctx.node(p.node_name()?)?;
            ctx.is_windows(node).then_some((p, node))
        })
        .collect();
    let mut daemonsets: Option<Option<&[DaemonSet]>> = None;
    let mut by_daemonset: BTreeMap<(String, String), Vec<(&Pod, &Node)>> = BTreeMap::new();
    let mut refused: ByWorkload<(&Pod, &Node, Evidence)> = BTreeMap::new();
    let mut problems = 0;
    for (pod, node) in &on_windows {
        if pod.spec.targets_windows() || pod.spec.host_process() {
            continue;
        }
        let declared_linux = pod
            .spec
            .declared_os()
            .is_some_and(|o| o.eq_ignore_ascii_case("linux"));
        if declared_linux || pod.spec.os_selector() == OsTarget::Linux {
            problems += 1;
            let (asks, field, value) = if declared_linux {
                (
                    "Linux (.spec.os.name=linux)",
                    ".spec.os.name",
                    "linux".to_string(),
                )
            } else {
                (
                    "Linux nodes (kubernetes.io/os=linux)",
                    ".spec.nodeSelector/affinity",
                    selector_text(&pod.spec.node_selector),
                )
            };
            let workload = pod.workload();
            let reference = workload.reference();
            let fix = ev.fix(
                "wrong_node_for_os",
                &[
                    ("namespace", pod.namespace()),
                    ("workload", &reference),
                    ("os", asks),
                    ("node", node.name()),
                ],
            );
            ev.part("linux-pod-on-windows");
            ev.emit(
                Status::Fail,
                Subject::namespaced("Pod", pod.namespace(), pod.name()),
                format!(
                    "{} asks for {asks} but runs on Windows node {} ({})",
                    pod.key(),
                    node.name(),
                    pod.state_summary()
                ),
            )
            .evidence(Evidence::api(format!("Pod/{} {field}", pod.key()), value))
            .evidence(Evidence::api(
                format!("Node/{} .metadata.labels[{OS_LABEL}]", node.name()),
                node.metadata
                    .labels
                    .get(OS_LABEL)
                    .cloned()
                    .unwrap_or_else(|| "(absent)".to_string()),
            ))
            .with_fix(fix);
            continue;
        }
        // A container that started (running, terminated, restarted) ran on Windows, so its image
        // has a Windows variant: only pods none of whose containers ever started are suspects.
        if pod.spec.os_selector() != OsTarget::Unrestricted || !pod.never_started() {
            continue;
        }
        let owner = pod.metadata.owner_references.first();
        if let Some(owner) = owner.filter(|o| o.kind == "DaemonSet") {
            let known = *daemonsets.get_or_insert_with(|| ev.daemonsets().map(Vec::as_slice));
            let template_unrestricted = match known.and_then(|all| {
                all.iter().find(|d| {
                    d.metadata.name == owner.name
                        && d.metadata.namespace.as_deref().unwrap_or("default") == pod.namespace()
                })
            }) {
                Some(ds) => {
                    let spec = &ds.spec.template.spec;
                    spec.os_selector() == OsTarget::Unrestricted
                        && spec.declared_os().is_none()
                        && !spec.targets_windows()
                }
                None => true,
            };
            if template_unrestricted {
                by_daemonset
                    .entry((pod.namespace().to_string(), owner.name.clone()))
                    .or_default()
                    .push((pod, node));
            }
            continue;
        }
        if let Some(evidence) = platform_evidence(ev, ctx, pod) {
            refused
                .entry((pod.namespace().to_string(), pod.workload()))
                .or_default()
                .push((pod, node, evidence));
        }
    }

    let known_daemonsets = daemonsets.flatten();
    for ((namespace, name), members) in &by_daemonset {
        problems += 1;
        let nodes: BTreeSet<&str> = members.iter().map(|(_, n)| n.name()).collect();
        let node_list = nodes.iter().copied().collect::<Vec<_>>().join(", ");
        let fix = ev.fix(
            "restrict_daemonset",
            &[("namespace", namespace), ("name", name)],
        );
        ev.part("linux-daemonset-on-windows");
        let finding = ev.emit(
            Status::Fail,
            Subject::namespaced("DaemonSet", namespace, name),
            format!(
                "DaemonSet {name} in {namespace} has no OS restriction and put pods on Windows node(s) {node_list} that do not run ({}); its images are not Windows images",
                count_pods(members.len())
            ),
        );
        match known_daemonsets.and_then(|all| {
            all.iter().find(|d| {
                d.metadata.name == *name
                    && d.metadata.namespace.as_deref().unwrap_or("default") == namespace
            })
        }) {
            Some(ds) => {
                finding.evidence(Evidence::api(
                    format!("DaemonSet/{namespace}/{name} .spec.template.spec.nodeSelector"),
                    selector_text(&ds.spec.template.spec.node_selector),
                ));
                finding.evidence(Evidence::api(
                    format!("DaemonSet/{namespace}/{name} .status"),
                    format!(
                        "desired={} ready={} unavailable={}",
                        ds.status.desired_number_scheduled,
                        ds.status.number_ready,
                        ds.status.number_unavailable.unwrap_or(0)
                    ),
                ));
            }
            None => {
                finding.evidence(Evidence::api(
                    format!("Pod/{} .spec.nodeSelector", members[0].0.key()),
                    selector_text(&members[0].0.spec.node_selector),
                ));
            }
        }
        for (pod, node) in members.iter().take(3) {
            finding.evidence(Evidence::api(
                format!("Pod/{} on Windows node {}", pod.key(), node.name()),
                pod.state_summary(),
            ));
        }
        finding.with_fix(fix);
    }

    for ((namespace, workload), members) in &refused {
        problems += 1;
        let reference = workload.reference();
        let node_name = members[0].1.name();
        let fix = if workload.has_mutable_template() {
            ev.fix(
                "select_linux",
                &[
                    ("namespace", namespace),
                    ("workload", &reference),
                    ("node", node_name),
                ],
            )
        } else {
            ev.fix(
                "recreate_pod",
                &[
                    ("namespace", namespace),
                    ("workload", &reference),
                    ("remedy", "nodeSelector kubernetes.io/os: linux"),
                ],
            )
        };
        let nodes: BTreeSet<&str> = members.iter().map(|(_, n, _)| n.name()).collect();
        ev.part("linux-pod-on-windows");
        let finding = ev.emit(
            Status::Fail,
            workload_subject(namespace, workload),
            format!(
                "{reference} in {namespace} selects no OS and its pods landed on Windows node(s) {}, whose runtime refuses its images for this platform ({})",
                nodes.into_iter().collect::<Vec<_>>().join(", "),
                count_pods(members.len())
            ),
        );
        finding.evidence(image_evidence(members[0].0));
        for (_, _, evidence) in members.iter().take(3) {
            finding.evidence(evidence.clone());
        }
        finding.with_fix(fix);
    }

    if problems == 0 {
        ev.part("linux-pod-on-windows");
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "no Linux pods on the {} Windows nodes ({} there checked)",
                ctx.windows.len(),
                count_pods(on_windows.len())
            ),
        );
    }
}

/// A container state or Warning event in which the runtime refuses the pod's image for the platform.
fn platform_evidence(ev: &Eval, ctx: &Ctx, pod: &Pod) -> Option<Evidence> {
    let refused = ev.pattern("platform_refused");
    for (status, waiting) in pod.waiting_containers() {
        if let Some(message) = waiting.message.as_deref().filter(|m| refused.is_match(m)) {
            return Some(Evidence::api(
                format!(
                    "Pod/{} .status.containerStatuses[{}].state.waiting",
                    pod.key(),
                    status.name
                ),
                format!(
                    "{}: {}",
                    waiting.reason.as_deref().unwrap_or(""),
                    crate::facts::cluster::clip(message, 400)
                ),
            ));
        }
    }
    ctx.pod_events(pod)
        .iter()
        .find(|e| refused.is_match(&e.message))
        .map(|e| Evidence::event(e.reference(), e.excerpt()))
}
