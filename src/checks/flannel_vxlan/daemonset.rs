//! Part `linux-daemonset-on-windows` of flannel-vxlan: the Linux flannel DaemonSet must not be able
//! to place pods on Windows nodes (node selector, required node affinity and taints, as the
//! scheduler reads them).

use super::list;
use crate::checks::Eval;
use crate::facts::cluster::OsTarget;
use crate::facts::k8s::{DaemonSet, Node, PodSpec};
use crate::findings::{Evidence, Status, Subject};

/// Whether `spec` can place a pod on `node`: node selector, required node affinity and taints.
pub(super) fn can_schedule_on(spec: &PodSpec, node: &Node) -> bool {
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

pub(super) fn check_daemonset(ev: &mut Eval, ds: &DaemonSet, windows: &[&Node], node_count: usize) {
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
    ev.part("linux-daemonset-on-windows");
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
