//! Check `os-scheduling`: pods are steered to nodes of their OS (seed 004 § 테인트(Taint)와
//! 톨러레이션(Toleration), § 특정 OS 워크로드를 적절한 컨테이너 호스트에서 처리하도록 보장하기, § RuntimeClass로
//! 단순화). Four parts: Windows pods without OS node selection in a mixed cluster (warn; fail when one
//! sits on a Linux node); Linux pods on Windows nodes, above all DaemonSets with no OS restriction whose
//! pods there do not run (fail, with the DaemonSet's template and the pod's state as evidence); Windows
//! pods left Pending by a Windows node taint they do not tolerate (fail); RuntimeClasses whose node
//! selector matches no node (warn, fail when a pod using one is Pending).

use super::Eval;
use crate::facts::cluster::{OsTarget, Workload, BUILD_LABEL, OS_LABEL};
use crate::facts::k8s::{
    DaemonSet, Event, Labels, Node, Pod, PodSpec, RuntimeClass, Taint, Toleration,
};
use crate::facts::windows::build_label;
use crate::findings::{Evidence, Status, Subject};
use std::collections::{BTreeMap, BTreeSet};

/// Findings-to-be grouped by `(namespace, workload)`.
type ByWorkload<T> = BTreeMap<(String, Workload), Vec<T>>;

/// Everything the parts share.
struct Ctx<'a> {
    nodes: &'a [Node],
    /// Node lookup by name (exact, else FQDN/short) without scanning every node per pod.
    index: crate::model::index::NodeIndex<'a>,
    windows: Vec<&'a Node>,
    linux: Vec<&'a Node>,
    runtimeclasses: Option<&'a [RuntimeClass]>,
    /// Warning events per pod `(namespace, name)`.
    events: BTreeMap<(String, String), Vec<&'a Event>>,
    events_read: bool,
}

impl<'a> Ctx<'a> {
    fn node(&self, name: &str) -> Option<&'a Node> {
        self.index.named(name)
    }

    fn runtimeclass(&self, name: &str) -> Option<&'a RuntimeClass> {
        self.runtimeclasses?
            .iter()
            .find(|rc| rc.metadata.name == name)
    }

    fn pod_events(&self, pod: &Pod) -> &[&'a Event] {
        self.events
            .get(&(pod.namespace().to_string(), pod.name().to_string()))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The spec restricts the pod to Windows nodes: OS selector, a windows-build selector, or a
    /// RuntimeClass whose node selector does. A RuntimeClass that cannot be read gets the benefit of
    /// the doubt (its input is reported as not read).
    fn selects_windows(&self, spec: &PodSpec) -> bool {
        if spec.os_selector() == OsTarget::Windows || spec.node_selector.contains_key(BUILD_LABEL) {
            return true;
        }
        match &spec.runtime_class_name {
            None => false,
            Some(name) => match self.runtimeclasses {
                None => true,
                Some(_) => self.runtimeclass(name).is_some_and(|rc| {
                    rc.scheduling.as_ref().is_some_and(|s| {
                        s.node_selector
                            .get(OS_LABEL)
                            .is_some_and(|v| v.eq_ignore_ascii_case("windows"))
                            || s.node_selector.contains_key(BUILD_LABEL)
                    })
                }),
            },
        }
    }
}

pub fn run(ev: &mut Eval) {
    let Some((nodes, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    let linux: Vec<&Node> = nodes.iter().filter(|n| !n.is_windows()).collect();
    let pods = ev.pods();
    let runtimeclasses = ev.runtimeclasses().map(Vec::as_slice);
    let events = if pods.is_some() { ev.events() } else { None };
    let mut by_pod: BTreeMap<(String, String), Vec<&Event>> = BTreeMap::new();
    if let (Some(_), Some(events)) = (pods, events) {
        let index = ev.model().pod_index();
        for event in events.iter().filter(|e| e.is_warning()) {
            if let Some(pod) = index.of_event(event) {
                by_pod
                    .entry((pod.namespace().to_string(), pod.name().to_string()))
                    .or_default()
                    .push(event);
            }
        }
    }
    let ctx = Ctx {
        nodes,
        index: ev.model().node_index(),
        windows,
        linux,
        runtimeclasses,
        events: by_pod,
        events_read: events.is_some(),
    };
    if let Some(pods) = pods {
        windows_pods_without_selection(ev, &ctx, pods);
        linux_pods_on_windows(ev, &ctx, pods);
        untolerated_taints(ev, &ctx, pods);
    }
    if let Some(rcs) = runtimeclasses {
        runtimeclass_selectors(ev, &ctx, rcs, pods.map(Vec::as_slice));
    }
}

fn workload_subject(namespace: &str, workload: &Workload) -> Subject {
    Subject::namespaced(workload.kind_title(), namespace, &workload.name)
}

fn count_pods(n: usize) -> String {
    if n == 1 {
        "1 pod".to_string()
    } else {
        format!("{n} pods")
    }
}

// ------------------------------------------------------------------ part A

fn windows_pods_without_selection(ev: &mut Eval, ctx: &Ctx, pods: &[Pod]) {
    let windows_pods: Vec<&Pod> = pods.iter().filter(|p| p.spec.targets_windows()).collect();
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

fn image_evidence(pod: &Pod) -> Evidence {
    Evidence::api(
        format!("Pod/{} .spec.containers[*].image", pod.key()),
        pod.spec
            .containers
            .iter()
            .map(|c| c.image.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn selector_text(labels: &Labels) -> String {
    if labels.is_empty() {
        "(none)".to_string()
    } else {
        labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

// ------------------------------------------------------------------ part B

fn linux_pods_on_windows(ev: &mut Eval, ctx: &Ctx, pods: &[Pod]) {
    let on_windows: Vec<(&Pod, &Node)> = pods
        .iter()
        .filter_map(|p| {
            let node = ctx.node(p.node_name()?)?;
            node.is_windows().then_some((p, node))
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

// ------------------------------------------------------------------ part C

/// Whether `toleration` tolerates `taint`, by the scheduler's rules.
fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
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

fn untolerated_taints(ev: &mut Eval, ctx: &Ctx, pods: &[Pod]) {
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
    for pod in pods {
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
/// DaemonSet controller add by themselves) plus one per blocking taint, as a JSON array.
fn tolerations_json(existing: &[Toleration], taints: &[&Taint]) -> String {
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
    serde_json::Value::Array(list).to_string()
}

// ------------------------------------------------------------------ part D

fn runtimeclass_selectors(ev: &mut Eval, ctx: &Ctx, rcs: &[RuntimeClass], pods: Option<&[Pod]>) {
    let windows_pods_using = |name: &str| -> Vec<&Pod> {
        pods.unwrap_or_default()
            .iter()
            .filter(|p| p.spec.runtime_class_name.as_deref() == Some(name))
            .collect()
    };
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
        let matches = ctx
            .nodes
            .iter()
            .filter(|n| {
                selector
                    .iter()
                    .all(|(k, v)| n.metadata.labels.get(k) == Some(v))
            })
            .count();
        if matches > 0 {
            mislabelled_matches(ev, ctx, rc, selector);
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
fn mislabelled_matches(ev: &mut Eval, ctx: &Ctx, rc: &RuntimeClass, selector: &Labels) {
    let Some(wanted) = selector.get(BUILD_LABEL) else {
        return;
    };
    let Some(wanted_build) = crate::facts::windows::build_of(wanted) else {
        return;
    };
    for node in ctx.nodes.iter().filter(|n| {
        selector
            .iter()
            .all(|(k, v)| n.metadata.labels.get(k) == Some(v))
    }) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Finding;

    fn run_on(files: &[(&str, &str)]) -> Vec<Finding> {
        crate::checks::testing::run_on_files("os-scheduling", files)
    }

    fn toleration(
        key: Option<&str>,
        op: &str,
        value: Option<&str>,
        effect: Option<&str>,
    ) -> Toleration {
        Toleration {
            key: key.map(str::to_string),
            operator: Some(op.to_string()),
            value: value.map(str::to_string),
            effect: effect.map(str::to_string),
        }
    }

    #[test]
    fn toleration_matching_follows_the_scheduler_rules() {
        let taint = Taint {
            key: "os".into(),
            value: Some("windows".into()),
            effect: "NoSchedule".into(),
        };
        assert!(tolerates(
            &toleration(Some("os"), "Equal", Some("windows"), Some("NoSchedule")),
            &taint
        ));
        assert!(tolerates(
            &toleration(Some("os"), "Exists", None, None),
            &taint
        ));
        assert!(tolerates(&toleration(None, "Exists", None, None), &taint));
        assert!(!tolerates(
            &toleration(Some("os"), "Equal", Some("linux"), Some("NoSchedule")),
            &taint
        ));
        assert!(!tolerates(
            &toleration(Some("os"), "Equal", Some("windows"), Some("NoExecute")),
            &taint
        ));
        assert!(!tolerates(
            &toleration(None, "Equal", Some("windows"), None),
            &taint
        ));
    }

    #[test]
    fn tolerations_json_keeps_own_tolerations_and_drops_automatic_ones() {
        let existing = vec![
            toleration(
                Some("node.kubernetes.io/not-ready"),
                "Exists",
                None,
                Some("NoExecute"),
            ),
            toleration(Some("dedicated"), "Equal", Some("gpu"), Some("NoSchedule")),
        ];
        let taint = Taint {
            key: "os".into(),
            value: Some("windows".into()),
            effect: "NoSchedule".into(),
        };
        let json = tolerations_json(&existing, &[&taint]);
        assert_eq!(
            json,
            r#"[{"effect":"NoSchedule","key":"dedicated","operator":"Equal","value":"gpu"},{"effect":"NoSchedule","key":"os","operator":"Equal","value":"windows"}]"#
        );
    }

    const MIXED: &str = r#"{"items":[
      {"metadata":{"name":"linux-1","labels":{"kubernetes.io/os":"linux"}}},
      {"metadata":{"name":"win-1","labels":{"kubernetes.io/os":"windows"}},"status":{"nodeInfo":{"kernelVersion":"10.0.17763.1","operatingSystem":"windows"}}}]}"#;

    #[test]
    fn windows_pod_on_a_linux_node_fails() {
        let pods = r#"{"items":[{"metadata":{"name":"iis","namespace":"web"},
            "spec":{"nodeName":"linux-1","containers":[{"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"}]},
            "status":{"phase":"Pending","containerStatuses":[{"name":"iis","state":{"waiting":{"reason":"ErrImagePull"}}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        let fail = f.iter().find(|x| x.status == Status::Fail).expect("fail");
        assert!(
            fail.message
                .contains("pod iis landed on Linux node(s) linux-1"),
            "{}",
            fail.message
        );
        assert!(fail.fix.as_ref().expect("fix").text.contains("bare pod"));
    }

    #[test]
    fn running_daemonset_pods_on_windows_are_not_flagged_and_only_windows_clusters_need_no_selector(
    ) {
        // A multi-OS DaemonSet whose pod runs fine on the Windows node, in a cluster whose only
        // schedulable nodes are Windows: nothing to report.
        let nodes = r#"{"items":[{"metadata":{"name":"win-1","labels":{"kubernetes.io/os":"windows"}},"status":{"nodeInfo":{"kernelVersion":"10.0.17763.1"}}}]}"#;
        let pods = r#"{"items":[
          {"metadata":{"name":"csi-node-abc","namespace":"kube-system","ownerReferences":[{"kind":"DaemonSet","name":"csi-node"}]},
           "spec":{"nodeName":"win-1","containers":[{"name":"driver","image":"registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.10.0"}]},
           "status":{"phase":"Running","containerStatuses":[{"name":"driver","ready":true,"state":{"running":{}}}]}},
          {"metadata":{"name":"iis","namespace":"web"},
           "spec":{"nodeName":"win-1","containers":[{"name":"iis","image":"mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"}]},
           "status":{"phase":"Running"}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", nodes),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        assert!(
            f.iter()
                .all(|x| x.status == Status::Pass || x.status == Status::Skip),
            "{f:?}"
        );
        assert!(f
            .iter()
            .any(|x| x.message.contains("no Linux pods on the 1 Windows nodes")));
    }

    #[test]
    fn crash_looping_daemonset_pod_on_windows_is_not_taken_for_a_linux_one() {
        let pods = r#"{"items":[{"metadata":{"name":"agent-w1","namespace":"ops","ownerReferences":[{"kind":"DaemonSet","name":"agent"}]},
            "spec":{"nodeName":"win-1","containers":[{"name":"agent","image":"contoso/agent:2.1"}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"agent","ready":false,"restartCount":7,
              "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/daemonsets.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        assert!(!f.iter().any(|x| x.status == Status::Fail), "{f:?}");
    }

    #[test]
    fn windows_node_missing_the_os_taint_and_mislabelled_runtimeclass_target_warn() {
        let nodes = r#"{"items":[
          {"metadata":{"name":"linux-1","labels":{"kubernetes.io/os":"linux"}}},
          {"metadata":{"name":"win-a","labels":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.17763"}},
           "spec":{"taints":[{"key":"os","value":"windows","effect":"NoSchedule"}]},"status":{"nodeInfo":{"kernelVersion":"10.0.17763.1"}}},
          {"metadata":{"name":"win-b","labels":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.17763"}},
           "spec":{"taints":[{"key":"node.kubernetes.io/unreachable","effect":"NoSchedule"}]},"status":{"nodeInfo":{"kernelVersion":"10.0.20348.1"}}}]}"#;
        let rcs = r#"{"items":[{"metadata":{"name":"windows-2019"},"handler":"runhcs-wcow-process",
            "scheduling":{"nodeSelector":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.17763"}}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", nodes),
            ("cluster/pods.json", r#"{"items":[]}"#),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", rcs),
        ]);
        let warns: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Warn).collect();
        assert_eq!(warns.len(), 2, "{f:?}");
        let taint = warns
            .iter()
            .find(|w| w.subject.kind == "Node")
            .expect("taint warn");
        assert_eq!(taint.subject.name, "win-b");
        assert_eq!(
            taint.fix.as_ref().expect("fix").commands[0],
            "kubectl taint nodes win-b os=windows:NoSchedule"
        );
        let rc = warns
            .iter()
            .find(|w| w.subject.kind == "RuntimeClass")
            .expect("rc warn");
        assert!(rc
            .message
            .contains("also matches win-b, whose kernel is build 20348"));
        // The automatic unreachable taint is not mistaken for a Windows taint.
        assert!(f
            .iter()
            .any(|x| x.message.contains("keep no Windows pod Pending")
                && !x.message.contains("unreachable")));
    }

    #[test]
    fn runtimeclass_selector_without_nodes_warns_when_no_pod_waits() {
        let rcs = r#"{"items":[{"metadata":{"name":"windows-1903"},"handler":"docker",
            "scheduling":{"nodeSelector":{"kubernetes.io/os":"windows","node.kubernetes.io/windows-build":"10.0.18362"}}},
            {"metadata":{"name":"gvisor"},"handler":"runsc","scheduling":{"nodeSelector":{"sandbox":"gvisor"}}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", r#"{"items":[]}"#),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", rcs),
        ]);
        let warns: Vec<&Finding> = f.iter().filter(|x| x.status == Status::Warn).collect();
        assert_eq!(warns.len(), 1, "{f:?}");
        assert_eq!(warns[0].subject.name, "windows-1903");
        assert!(warns[0].message.contains("10.0.17763 (win-1)"));
        let fix = warns[0].fix.as_ref().expect("fix");
        assert!(fix.commands[2].contains(r#""node.kubernetes.io/windows-build":"10.0.17763""#));
    }

    #[test]
    fn linux_deployment_refused_on_a_windows_node_gets_the_linux_selector_fix() {
        let pods = r#"{"items":[{"metadata":{"name":"nginx-6b7f675859-abcde","namespace":"default","labels":{"pod-template-hash":"6b7f675859"},
            "ownerReferences":[{"kind":"ReplicaSet","name":"nginx-6b7f675859"}]},
            "spec":{"nodeName":"win-1","containers":[{"name":"nginx","image":"nginx:1.27"}]},
            "status":{"phase":"Pending","containerStatuses":[{"name":"nginx","ready":false,
              "state":{"waiting":{"reason":"ErrImagePull","message":"failed to pull and unpack image \"docker.io/library/nginx:1.27\": no match for platform in manifest: not found"}}}]}}]}"#;
        let f = run_on(&[
            ("cluster/nodes.json", MIXED),
            ("cluster/pods.json", pods),
            ("cluster/events.json", r#"{"items":[]}"#),
            ("cluster/runtimeclasses.json", r#"{"items":[]}"#),
        ]);
        let fail = f.iter().find(|x| x.status == Status::Fail).expect("fail");
        assert_eq!(fail.subject.kind, "Deployment");
        assert_eq!(
            fail.fix.as_ref().expect("fix").commands[0],
            r#"kubectl -n default patch deployment/nginx --type merge -p '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"}}}}}'"#
        );
    }
}
