//! Part `windows-pod-without-selector` / `windows-pod-on-linux` of os-scheduling: Windows pods with no
//! OS node selection in a mixed cluster (warn), or already placed on a Linux node (fail).

use super::{count_pods, image_evidence, selector_text, workload_subject, Ctx};
use crate::checks::Eval;
use crate::facts::cluster::{Workload, OS_LABEL};
use crate::facts::k8s::{Node, Pod};
use crate::findings::{Evidence, Status, Subject};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn windows_pods_without_selection(ev: &mut Eval, ctx: &Ctx, pods: &[&Pod]) {
    let windows_pods: Vec<&Pod> = pods
        .iter()
        .copied()
        .filter(|p| p.spec.targets_windows())
        .collect();
    // Per workload: its pods that landed on Linux nodes, and its pods that select no Windows node.
    type Placement<'p> = (Vec<(&'p Pod, &'p Node)>, Vec<&'p Pod>);
    let mut by_workload: BTreeMap<(String, Workload), Placement> = BTreeMap::new();
    for pod in &windows_pods {
        let node = pod.node_name().and_then(|n| ctx.node(n));
        let selected = ctx.selects_windows(&pod.spec);
        let on_linux = node.filter(|n| !n.is_windows());
        if on_linux.is_none() && (selected || ctx.linux.is_empty()) {
            continue;
        }
        let entry = by_workload
            .entry((pod.namespace().to_string(), pod.workload()))
            .or_default();
        if let Some(node) = on_linux {
            entry.0.push((pod, node));
        }
        if !selected {
            entry.1.push(pod);
        }
    }
    for ((namespace, workload), (on_linux, unselected)) in &by_workload {
        let fix = select_windows_fix(ev, namespace, workload);
        let reference = workload.reference();
        let first = on_linux
            .first()
            .map(|(p, _)| *p)
            .or(unselected.first().copied());
        let Some(first) = first else { continue };
        let selection = if unselected.is_empty() {
            "it selects Windows nodes, so check the Linux node's labels and whether the pod was bound with spec.nodeName".to_string()
        } else {
            format!(
                "it selects no OS in this mixed cluster ({} Linux, {} Windows nodes)",
                ctx.linux.len(),
                ctx.windows.len()
            )
        };
        let finding = if let Some((pod, node)) = on_linux.first() {
            let nodes: BTreeSet<&str> = on_linux.iter().map(|(_, n)| n.name()).collect();
            ev.part("windows-pod-on-linux");
            ev.emit(
                Status::Fail,
                workload_subject(namespace, workload),
                format!(
                    "{reference} in {namespace} runs Windows images, but {} landed on Linux node(s) {}, where Windows containers cannot start ({}); {selection}",
                    if on_linux.len() == 1 {
                        format!("pod {}", pod.name())
                    } else {
                        format!("{} of its pods", on_linux.len())
                    },
                    nodes.into_iter().collect::<Vec<_>>().join(", "),
                    pod.state_summary()
                ),
            )
            .evidence(Evidence::api(
                format!("Pod/{} .spec.nodeName", pod.key()),
                node.name(),
            ))
            .evidence(Evidence::api(
                format!("Node/{} .metadata.labels[{OS_LABEL}]", node.name()),
                node.metadata
                    .labels
                    .get(OS_LABEL)
                    .cloned()
                    .unwrap_or_else(|| "(absent)".to_string()),
            ))
        } else {
            let placed: BTreeSet<&str> = unselected.iter().filter_map(|p| p.node_name()).collect();
            let placed = if placed.is_empty() {
                String::new()
            } else {
                format!(
                    ", now on {}",
                    placed.into_iter().collect::<Vec<_>>().join(", ")
                )
            };
            ev.part("windows-pod-without-selector");
            ev.emit(
                Status::Warn,
                workload_subject(namespace, workload),
                format!(
                    "{reference} in {namespace} runs Windows images but {selection}: its pods can be scheduled onto Linux nodes ({}{placed})",
                    count_pods(unselected.len())
                ),
            )
        };
        finding
            .evidence(image_evidence(first))
            .evidence(Evidence::api(
                format!("Pod/{} .spec.nodeSelector", first.key()),
                selector_text(&first.spec.node_selector),
            ))
            .with_fix(fix);
    }
    if by_workload.is_empty() && !ctx.linux.is_empty() && !windows_pods.is_empty() {
        ev.part("windows-pod-without-selector");
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "mixed cluster ({} Linux, {} Windows nodes): all {} Windows pods select Windows nodes (node selector, affinity or RuntimeClass)",
                ctx.linux.len(),
                ctx.windows.len(),
                windows_pods.len()
            ),
        );
    }
}

fn select_windows_fix(ev: &Eval, namespace: &str, workload: &Workload) -> crate::findings::Fix {
    let reference = workload.reference();
    if workload.has_mutable_template() {
        ev.fix(
            "select_windows",
            &[("namespace", namespace), ("workload", &reference)],
        )
    } else {
        ev.fix(
            "recreate_pod",
            &[
                ("namespace", namespace),
                ("workload", &reference),
                ("remedy", "nodeSelector kubernetes.io/os: windows"),
            ],
        )
    }
}
