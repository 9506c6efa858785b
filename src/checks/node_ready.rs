//! Check `node-ready`: Windows nodes are Ready (cluster part) and kubelet, kube-proxy and flanneld
//! run on the local node (node part). See checks/node-ready.toml.

use super::Eval;
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::{process_evidence, service_evidence, Kind, NodeView};

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

fn cluster_part(ev: &mut Eval) {
    ev.part("not-ready");
    let Some((_, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    for node in windows {
        let name = node.name();
        match node.condition("Ready") {
            Some(c) if c.status == "True" => {
                ev.emit(
                    Status::Pass,
                    Subject::node(name),
                    format!("{name} is Ready"),
                )
                .evidence(Evidence::api(
                    format!("Node/{name} .status.conditions[Ready]"),
                    condition_excerpt(c),
                ));
            }
            Some(c) => {
                let reason = c
                    .reason
                    .clone()
                    .unwrap_or_else(|| format!("Ready={}", c.status));
                let fix = ev.fix("not_ready", &[("node", name), ("reason", &reason)]);
                let message = format!(
                    "{name} is not Ready: Ready={} ({}){}",
                    c.status,
                    reason,
                    c.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                );
                ev.emit(Status::Fail, Subject::node(name), message)
                    .evidence(Evidence::api(
                        format!("Node/{name} .status.conditions[Ready]"),
                        condition_excerpt(c),
                    ))
                    .with_fix(fix);
            }
            None => {
                let fix = ev.fix(
                    "not_ready",
                    &[("node", name), ("reason", "no Ready condition")],
                );
                ev.emit(Status::Fail, Subject::node(name), format!("{name} is not Ready: it reports no Ready condition (kubelet never posted status)"))
                    .evidence(Evidence::api(format!("Node/{name} .status.conditions"), "no condition of type Ready"))
                    .with_fix(fix);
            }
        }
    }
}

fn condition_excerpt(c: &crate::facts::k8s::Condition) -> String {
    let mut s = format!("type=Ready status={}", c.status);
    if let Some(r) = &c.reason {
        s.push_str(&format!(" reason={r}"));
    }
    if let Some(m) = &c.message {
        s.push_str(&format!(" message={m:?}"));
    }
    if let Some(t) = &c.last_heartbeat_time {
        s.push_str(&format!(" lastHeartbeatTime={t}"));
    }
    s
}

/// Node part: kubelet, kube-proxy and (when flannel is the network) flanneld run on the local node,
/// as the FAQ's "did start.ps1 complete" asks. HostProcess pods show up as host processes too.
fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    ev.part("process-missing");
    if view.from_api() {
        api_part_of(ev, view);
        return;
    }
    // Another tool's collection without a process list may still hold the services' states.
    let partial = view
        .raw
        .files
        .ready()
        .is_some_and(|f| f.coverage.is_some());
    if partial
        && matches!(view.raw.processes, crate::facts::Input::Missing(_))
        && view.raw.services.ready().is_some()
    {
        return from_services(ev, view);
    }
    let Some(processes) = ev.node_processes(&view) else {
        return;
    };
    let node = view.name();
    let mut kinds = vec![Kind::Kubelet, Kind::KubeProxy];
    let flannel = view.flannel_evidence();
    if flannel.is_some() {
        kinds.push(Kind::Flanneld);
    }
    for kind in kinds {
        let comp = view.component(kind);
        match comp.process {
            Some(p) => {
                ev.emit(
                    Status::Pass,
                    Subject::node(node.clone()),
                    format!("{} runs on {node} (pid {})", kind.name(), p.pid),
                )
                .evidence(process_evidence(p));
            }
            None => {
                let service = comp
                    .service
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| kind.name().to_string());
                let fix = ev.fix(
                    "process_missing",
                    &[
                        ("process", kind.name()),
                        ("node", &node),
                        ("service", &service),
                    ],
                );
                let f = ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "{} is not running on {node} ({} processes listed): start.ps1 did not complete or the component stopped",
                        kind.name(),
                        processes.len()
                    ),
                );
                f.evidence(Evidence::process(
                    "process list",
                    format!("no {}", kind.exe()),
                ));
                if let Some(s) = comp.service {
                    f.evidence(service_evidence(s));
                }
                if kind == Kind::Flanneld {
                    if let Some(e) = flannel.clone() {
                        f.evidence(e);
                    }
                }
                f.with_fix(fix);
            }
        }
    }
}

/// Node part from the Windows services' states, when the process list was not gathered (a
/// collector such as collectlogs.ps1 lists services but not processes): a component whose service
/// is not running fails, one whose service runs passes, one the list does not name is not known.
fn from_services<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let node = view.name();
    let why = match &view.raw.processes {
        crate::facts::Input::Missing(m) | crate::facts::Input::Failed(m) => m.clone(),
        crate::facts::Input::Ready(_) => String::new(),
    };
    let mut kinds = vec![Kind::Kubelet, Kind::KubeProxy];
    let flannel = view.flannel_evidence();
    if flannel.is_some() {
        kinds.push(Kind::Flanneld);
    }
    for kind in kinds {
        let comp = view.component(kind);
        match comp.service {
            Some(s) if s.is_running() => {
                ev.emit(
                    Status::Pass,
                    Subject::node(node.clone()),
                    format!(
                        "{} runs on {node}: its service {} is Running (the process list was not gathered)",
                        kind.name(),
                        s.name
                    ),
                )
                .evidence(service_evidence(s));
            }
            Some(s) => {
                let fix = ev.fix(
                    "process_missing",
                    &[
                        ("process", kind.name()),
                        ("node", &node),
                        ("service", &s.name),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "{} is not running on {node}: its service {} is {}",
                        kind.name(),
                        s.name,
                        if s.state.is_empty() { "not running" } else { &s.state }
                    ),
                )
                .evidence(service_evidence(s))
                .with_fix(fix);
            }
            None => {
                ev.emit(
                    Status::Skip,
                    Subject::node(node.clone()),
                    format!(
                        "whether {} runs on {node} is not known: the process list was not gathered ({why}) and the gathered services do not include it",
                        kind.name()
                    ),
                );
            }
        }
    }
}

/// A node part made from what the API serves: no process list, but the system pods that run
/// kube-proxy and flanneld (HostProcess pods are host processes) with their container statuses
/// and log tails. The kubelet is judged by the Node's Ready condition (cluster part).
fn api_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let node = view.name();
    let mut kinds = vec![Kind::KubeProxy];
    if view.flannel_evidence().is_some() {
        kinds.push(Kind::Flanneld);
    }
    for kind in kinds {
        let comp = view.component(kind);
        let Some(pod) = comp.pod else {
            ev.emit(
                Status::Skip,
                Subject::node(node.clone()),
                format!(
                    "whether {} runs on {node} is not visible through the API: no pod runs it there (it may run as a Windows service; the node's processes are listed by windoctor on the node or `windoctor fleet`)",
                    kind.name()
                ),
            );
            continue;
        };
        let stopped = pod
            .containers
            .iter()
            .find(|c| c.state.kind != "running");
        match stopped {
            None => {
                let restarts: i64 = pod.containers.iter().map(|c| c.restart_count).sum();
                let f = ev.emit(
                    Status::Pass,
                    Subject::node(node.clone()),
                    format!(
                        "{} runs on {node} (pod {}, {} container(s) running, {restarts} restart(s))",
                        kind.name(),
                        pod.key(),
                        pod.containers.len()
                    ),
                );
                for c in &pod.containers {
                    f.evidence(container_evidence(&pod.key(), c));
                }
            }
            Some(c) => {
                let state = c.state.describe();
                let fix = ev.fix(
                    "pod_not_running",
                    &[
                        ("process", kind.name()),
                        ("node", &node),
                        ("namespace", &pod.namespace),
                        ("pod", &pod.name),
                        ("container", &c.name),
                        ("state", &state),
                    ],
                );
                let last = c
                    .last_terminated
                    .as_ref()
                    .map(|t| format!("; last termination: {}", t.describe()))
                    .unwrap_or_default();
                let logged = last_error_line(&view, &pod.namespace, &pod.name, &c.name);
                let f = ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "{} is not running on {node}: container {} of pod {} is {state} ({} restart(s){last})",
                        kind.name(),
                        c.name,
                        pod.key(),
                        c.restart_count
                    ),
                );
                f.evidence(container_evidence(&pod.key(), c));
                if let Some(e) = logged {
                    f.evidence(e);
                }
                f.with_fix(fix);
            }
        }
    }
}

fn container_evidence(pod: &str, c: &crate::facts::node::remote::ContainerRecord) -> Evidence {
    let mut excerpt = format!(
        "state={} ready={} restartCount={}",
        c.state.describe(),
        c.ready,
        c.restart_count
    );
    if let Some(t) = &c.last_terminated {
        excerpt.push_str(&format!(" lastState={}", t.describe()));
    }
    Evidence::api(
        format!("Pod/{pod} .status.containerStatuses[{}]", c.name),
        excerpt,
    )
}

/// The last error line (klog `E`/`F`, or a line saying error/failed) of the container's previous
/// log tail, else its current one.
fn last_error_line(view: &NodeView, namespace: &str, pod: &str, container: &str) -> Option<Evidence> {
    use crate::facts::node::remote::pod_log_reference;
    let logs = view.raw.logs.ready()?;
    for previous in [true, false] {
        let reference = pod_log_reference(namespace, pod, container, previous);
        let Some(log) = logs.iter().find(|l| l.path == reference) else {
            continue;
        };
        let hit = log.text.lines().enumerate().filter(|(_, l)| {
            let t = l.trim_start();
            (t.starts_with('E') || t.starts_with('F'))
                && t.get(1..5).is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
                || t.to_ascii_lowercase().contains("error")
                || t.to_ascii_lowercase().contains("failed")
        }).last();
        if let Some((i, line)) = hit {
            return Some(Evidence::log(
                format!("{reference} line {}", i + 1),
                crate::facts::node::logs::shorten(line.trim_end(), 400),
            ));
        }
    }
    None
}
