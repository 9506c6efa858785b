//! Parts `untolerated-taint` and `windows-taint-missing` of os-scheduling: Windows pods left Pending
//! by a Windows node taint they do not tolerate (with the scheduler's own rules for matching), and
//! Windows nodes that lack the OS taint the others carry.

use super::{count_pods, workload_subject, ByWorkload, Ctx};
use crate::checks::Eval;
use crate::facts::k8s::{Node, Pod, Taint, Toleration};
use crate::findings::{Evidence, Status, Subject};
use std::collections::{BTreeMap, BTreeSet};

/// Whether `toleration` tolerates `taint`, by the scheduler's rules.
pub(super) fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect_ok = toleration
        .effect
        .as_deref()
        .is_none_or(|e| e.is_empty() || e == taint.effect);
    let exists = toleration.operator.as_deref() == Some("Exists");
    let key_ok = match toleration.key.as_deref() {
        None | Some("") => exists,
        Some(k) => k == taint.key,
    };
    let value_ok =
        exists || toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("");
    effect_ok && key_ok && value_ok
}

/// A NoSchedule/NoExecute taint someone put on the node on purpose; the taints the node lifecycle
/// controller and cloud providers add by themselves (`node.kubernetes.io/unreachable`, ...) say
/// nothing about OS scheduling.
fn is_hard(taint: &Taint) -> bool {
    (taint.effect == "NoSchedule" || taint.effect == "NoExecute")
        && !taint.key.starts_with("node.kubernetes.io/")
        && !taint.key.starts_with("node.cloudprovider.kubernetes.io/")
}

/// A taint meant to keep pods off Windows nodes: `os=windows`, or a key or value naming Windows.
fn is_os_taint(taint: &Taint) -> bool {
    let value = taint.value.as_deref().unwrap_or("").to_ascii_lowercase();
    is_hard(taint)
        && (taint.key == "os"
            || value.contains("windows")
            || taint.key.to_ascii_lowercase().contains("windows"))
}

/// Windows nodes without an OS taint that other Windows nodes carry: pods that select no OS (and
/// Linux DaemonSets) land there and nowhere else among the Windows nodes.
fn inconsistent_os_taints(ev: &mut Eval, ctx: &Ctx) {
    let mut carriers: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
    for node in &ctx.windows {
        for taint in node.spec.taints.iter().filter(|t| is_os_taint(t)) {
            carriers.entry(taint_text(taint)).or_default().push(node);
        }
    }
    for (taint, with) in &carriers {
        for node in ctx
            .windows
            .iter()
            .filter(|n| !with.iter().any(|w| w.name() == n.name()))
        {
            let carriers_list = with.iter().map(|n| n.name()).collect::<Vec<_>>().join(", ");
            let fix = ev.fix("taint_missing", &[("node", node.name()), ("taint", taint)]);
            ev.part("windows-taint-missing");
            ev.emit(
                Status::Warn,
                Subject::node(node.name()),
                format!(
                    "{} lacks the taint {taint} that the other Windows nodes ({carriers_list}) carry, so pods that select no OS, and Linux DaemonSets, can land on it",
                    node.name()
                ),
            )
            .evidence(Evidence::api(
                format!("Node/{} .spec.taints", node.name()),
                if node.spec.taints.is_empty() {
                    "(none)".to_string()
                } else {
                    node.spec.taints.iter().map(taint_text).collect::<Vec<_>>().join(", ")
                },
            ))
            .evidence(Evidence::api(
                format!("Node/{} .spec.taints", with[0].name()),
                with[0].spec.taints.iter().map(taint_text).collect::<Vec<_>>().join(", "),
            ))
            .with_fix(fix);
        }
    }
}

fn taint_text(taint: &Taint) -> String {
    match taint.value.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => format!("{}={}:{}", taint.key, v, taint.effect),
        None => format!("{}:{}", taint.key, taint.effect),
    }
}

pub(super) fn untolerated_taints(ev: &mut Eval, ctx: &Ctx, pods: &[&Pod]) {
    inconsistent_os_taints(ev, ctx);
    let tainted: Vec<&Node> = ctx
        .windows
        .iter()
        .copied()
        .filter(|n| n.spec.taints.iter().any(is_hard))
        .collect();
    if tainted.is_empty() {
        return;
    }
    let mut blocked: ByWorkload<(&Pod, Vec<&Taint>)> = BTreeMap::new();
    let mut considered = 0;
    for &pod in pods {
        if pod.node_name().is_some()
            || pod.status.phase.as_deref() != Some("Pending")
            || !ctx.selects_windows(&pod.spec)
        {
            continue;
        }
        considered += 1;
        // The first hard taint each Windows node has that the pod does not tolerate; the pod is
        // blocked by taints only if every Windows node has one.
        let per_node: Vec<Option<&Taint>> = ctx
            .windows
            .iter()
            .map(|n| {
                n.spec
                    .taints
                    .iter()
                    .filter(|t| is_hard(t))
                    .find(|t| !pod.spec.tolerations.iter().any(|tol| tolerates(tol, t)))
            })
            .collect();
        if per_node.iter().all(Option::is_some) {
            let mut taints: Vec<&Taint> = per_node.into_iter().flatten().collect();
            taints.sort_by_key(|t| taint_text(t));
            taints.dedup_by_key(|t| taint_text(t));
            blocked
                .entry((pod.namespace().to_string(), pod.workload()))
                .or_default()
                .push((pod, taints));
        }
    }
    let scheduling_reason = ev.pattern("failed_scheduling_reason");
    let untolerated = ev.pattern("untolerated_taint");
    for ((namespace, workload), members) in &blocked {
        let (first, taints) = &members[0];
        let taint_list = taints
            .iter()
            .map(|t| taint_text(t))
            .collect::<Vec<_>>()
            .join(", ");
        let reference = workload.reference();
        let node = tainted[0].name();
        let fix = if workload.has_mutable_template() {
            let tolerations = tolerations_json(&first.spec.tolerations, taints);
            ev.fix(
                "tolerate_taint",
                &[
                    ("namespace", namespace),
                    ("workload", &reference),
                    ("taint", &taint_list),
                    ("tolerations", &tolerations),
                    ("node", node),
                ],
            )
        } else {
            let remedy = format!("a toleration for {taint_list}");
            ev.fix(
                "recreate_pod",
                &[
                    ("namespace", namespace),
                    ("workload", &reference),
                    ("remedy", &remedy),
                ],
            )
        };
        ev.part("untolerated-taint");
        let finding = ev.emit(
            Status::Fail,
            workload_subject(namespace, workload),
            format!(
                "{reference} in {namespace} is Pending: every Windows node carries a taint its pods do not tolerate ({taint_list}) ({})",
                count_pods(members.len())
            ),
        );
        let event = members.iter().find_map(|(p, _)| {
            ctx.pod_events(p)
                .iter()
                .find(|e| scheduling_reason.is_match(&e.reason) && untolerated.is_match(&e.message))
        });
        if let Some(e) = event {
            finding.evidence(Evidence::event(e.reference(), e.excerpt()));
        }
        for n in tainted.iter().take(3) {
            finding.evidence(Evidence::api(
                format!("Node/{} .spec.taints", n.name()),
                n.spec
                    .taints
                    .iter()
                    .map(taint_text)
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        finding.evidence(Evidence::api(
            format!("Pod/{} .spec.tolerations", first.key()),
            toleration_text(&first.spec.tolerations),
        ));
        finding.with_fix(fix);
    }
    if blocked.is_empty() {
        let taints: BTreeSet<String> = tainted
            .iter()
            .flat_map(|n| n.spec.taints.iter().filter(|t| is_hard(t)).map(taint_text))
            .collect();
        ev.part("untolerated-taint");
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "the Windows node taints ({}) keep no Windows pod Pending ({considered} Pending Windows pods checked{})",
                taints.into_iter().collect::<Vec<_>>().join(", "),
                if ctx.events_read { "" } else { "; events not read" }
            ),
        );
    }
}

fn toleration_text(tolerations: &[Toleration]) -> String {
    if tolerations.is_empty() {
        return "(none)".to_string();
    }
    tolerations
        .iter()
        .map(|t| {
            let matched = match t.operator.as_deref() {
                Some("Exists") => " (exists)".to_string(),
                _ => format!("={}", t.value.as_deref().unwrap_or("")),
            };
            format!(
                "{}{matched}:{}",
                t.key.as_deref().unwrap_or("*"),
                t.effect.as_deref().unwrap_or("*")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The pod template's tolerations after the fix: the pod's own (without those admission and the
/// DaemonSet controller add by themselves) plus one per blocking taint, as a YAML flow list for `kubectl patch -p` (`crate::catalogue::flow`).
pub(super) fn tolerations_json(existing: &[Toleration], taints: &[&Taint]) -> String {
    let mut list: Vec<serde_json::Value> = existing
        .iter()
        .filter(|t| {
            !t.key
                .as_deref()
                .is_some_and(|k| k.starts_with("node.kubernetes.io/"))
        })
        .map(|t| {
            let mut m = serde_json::Map::new();
            for (k, v) in [
                ("key", &t.key),
                ("operator", &t.operator),
                ("value", &t.value),
                ("effect", &t.effect),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_string(), serde_json::Value::String(v.clone()));
                }
            }
            serde_json::Value::Object(m)
        })
        .collect();
    for taint in taints {
        let mut m = serde_json::Map::new();
        m.insert("key".into(), taint.key.clone().into());
        match taint.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => {
                m.insert("operator".into(), "Equal".into());
                m.insert("value".into(), v.into());
            }
            None => {
                m.insert("operator".into(), "Exists".into());
            }
        }
        m.insert("effect".into(), taint.effect.clone().into());
        list.push(serde_json::Value::Object(m));
    }
    crate::catalogue::flow::yaml_flow(&serde_json::Value::Array(list))
}
