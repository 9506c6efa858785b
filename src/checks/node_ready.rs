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
