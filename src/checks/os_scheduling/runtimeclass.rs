//! Parts `runtimeclass-selects-no-node` and `runtimeclass-mislabelled` of os-scheduling:
//! RuntimeClasses for Windows whose node selector matches no node (warn; fail when a pod using one is
//! Pending), or whose windows-build selector matches a node whose kernel is of another build.

use super::{selector_text, Ctx};
use crate::checks::Eval;
use crate::facts::cluster::{BUILD_LABEL, OS_LABEL};
use crate::facts::k8s::{Labels, Node, Pod, RuntimeClass};
use crate::facts::windows::build_label;
use crate::findings::{Evidence, Status, Subject};

pub(super) fn runtimeclass_selectors(ev: &mut Eval, ctx: &Ctx, rcs: &[RuntimeClass], pods: Option<&[&Pod]>) {
    // The pods naming each RuntimeClass, in list order, from one pass over the pods.
    let mut users_by_class: foldhash::HashMap<&str, Vec<&Pod>> = foldhash::HashMap::default();
    for &pod in pods.unwrap_or_default() {
        if let Some(class) = pod.spec.runtime_class_name.as_deref() {
            users_by_class.entry(class).or_default().push(pod);
        }
    }
    let windows_pods_using =
        |name: &str| -> Vec<&Pod> { users_by_class.get(name).cloned().unwrap_or_default() };
    let builds_present: Vec<String> = ctx
        .windows
        .iter()
        .map(|n| {
            let label = n
                .metadata
                .labels
                .get(BUILD_LABEL)
                .cloned()
                .or_else(|| n.windows_build().map(build_label))
                .unwrap_or_else(|| "unknown".to_string());
            format!("{label} ({})", n.name())
        })
        .collect();
    let first_build = ctx
        .windows
        .iter()
        .find_map(|n| {
            n.metadata
                .labels
                .get(BUILD_LABEL)
                .cloned()
                .or_else(|| n.windows_build().map(build_label))
        })
        .unwrap_or_else(|| "10.0.17763".to_string());
    let scheduling_reason = ev.pattern("failed_scheduling_reason");
    let mut relevant = Vec::new();
    for rc in rcs {
        let Some(selector) = rc
            .scheduling
            .as_ref()
            .map(|s| &s.node_selector)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let users = windows_pods_using(&rc.metadata.name);
        let windows_related = selector
            .get(OS_LABEL)
            .is_some_and(|v| v.eq_ignore_ascii_case("windows"))
            || selector.contains_key(BUILD_LABEL)
            || users.iter().any(|p| p.spec.targets_windows());
        if !windows_related {
            continue;
        }
        relevant.push(rc.metadata.name.as_str());
        // The nodes it selects, found once for both questions. A node labelled
        // `kubernetes.io/os=windows` is a Windows node (`Node::is_windows` reads that label first),
        // so a selector asking for it matches among the Windows nodes only.
        let selects = |n: &&Node| {
            selector
                .iter()
                .all(|(k, v)| n.metadata.labels.get(k) == Some(v))
        };
        let asks_windows = selector
            .get(OS_LABEL)
            .is_some_and(|v| v.eq_ignore_ascii_case("windows"));
        let matching: Vec<&Node> = if asks_windows {
            ctx.windows.iter().copied().filter(selects).collect()
        } else {
            ctx.nodes.iter().filter(selects).collect()
        };
        if !matching.is_empty() {
            mislabelled_matches(ev, rc, selector, &matching);
            continue;
        }
        let pending: Vec<&Pod> = users
            .iter()
            .copied()
            .filter(|p| p.node_name().is_none() && p.status.phase.as_deref() == Some("Pending"))
            .collect();
        let selector_list = selector_text(selector);
        let builds = builds_present.join(", ");
        let fix = ev.fix(
            "runtimeclass_no_node",
            &[
                ("name", &rc.metadata.name),
                ("selector", &selector_list),
                ("builds", &builds),
                ("build", &first_build),
            ],
        );
        let (status, tail) = if pending.is_empty() {
            (
                Status::Warn,
                format!(
                    "pods that use it cannot be scheduled (pods using it now: {})",
                    users.len()
                ),
            )
        } else {
            (
                Status::Fail,
                format!(
                    "Pending pods that use it: {}",
                    pending
                        .iter()
                        .take(3)
                        .map(|p| p.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        };
        ev.part("runtimeclass-selects-no-node");
        let finding = ev.emit(
            status,
            Subject::new("RuntimeClass", &rc.metadata.name),
            format!(
                "RuntimeClass {} selects {selector_list}, which matches no node (Windows builds present: {builds}); {tail}",
                rc.metadata.name
            ),
        );
        finding.evidence(Evidence::api(
            format!("RuntimeClass/{} .scheduling.nodeSelector", rc.metadata.name),
            selector_list.clone(),
        ));
        for pod in pending.iter().take(3) {
            let event = ctx
                .pod_events(pod)
                .iter()
                .find(|e| scheduling_reason.is_match(&e.reason));
            match event {
                Some(e) => finding.evidence(Evidence::event(e.reference(), e.excerpt())),
                None => finding.evidence(Evidence::api(
                    format!("Pod/{} .status.phase", pod.key()),
                    pod.state_summary(),
                )),
            };
        }
        finding.with_fix(fix);
    }
    if !relevant.is_empty()
        && !ev
            .findings()
            .iter()
            .any(|f| f.subject.kind == "RuntimeClass")
    {
        ev.part("runtimeclass-selects-no-node");
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "Windows RuntimeClasses {} select existing nodes",
                relevant.join(", ")
            ),
        );
    }
}

/// A RuntimeClass that selects a windows-build label value and matches a node whose kernel is of
/// another build (a wrong label): its pods can land on a host whose build does not match their image.
/// `matching` are the nodes its selector matches, in list order.
fn mislabelled_matches(ev: &mut Eval, rc: &RuntimeClass, selector: &Labels, matching: &[&Node]) {
    let Some(wanted) = selector.get(BUILD_LABEL) else {
        return;
    };
    let Some(wanted_build) = crate::facts::windows::build_of(wanted) else {
        return;
    };
    for &node in matching {
        let Some(actual) = node.windows_build().filter(|b| *b != wanted_build) else {
            continue;
        };
        let label = build_label(actual);
        let fix = ev.fix(
            "runtimeclass_mislabelled",
            &[
                ("name", &rc.metadata.name),
                ("node", node.name()),
                ("label", &label),
            ],
        );
        ev.part("runtimeclass-mislabelled");
        ev.emit(
            Status::Warn,
            Subject::new("RuntimeClass", &rc.metadata.name),
            format!(
                "RuntimeClass {} selects {BUILD_LABEL}={wanted}, which also matches {}, whose kernel is build {actual}: pods using it can land on a host whose build does not match their image",
                rc.metadata.name,
                node.name()
            ),
        )
        .evidence(Evidence::api(
            format!("RuntimeClass/{} .scheduling.nodeSelector", rc.metadata.name),
            selector_text(selector),
        ))
        .evidence(Evidence::api(
            format!("Node/{} .status.nodeInfo.kernelVersion", node.name()),
            node.status.node_info.kernel_version.clone(),
        ))
        .with_fix(fix);
    }
}
