//! Check `node-services`: kubelet, kube-proxy and (with flannel) flanneld are registered as Windows
//! services with automatic start (sc.exe or nssm), or run as HostProcess pods, rather than as
//! console processes that die with their PowerShell window. A distribution whose own starter starts
//! Manual services (AKS, GKE, OpenShift) or runs the components as children of its service (RKE2)
//! is judged by its layout (checks/data/layouts.toml). See checks/node-services.toml.

use super::Eval;
use crate::facts::cluster::same_host;
use crate::facts::k8s::Pod;
use crate::facts::node::cmdline;
use crate::facts::node::records::exe_stem;
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::{process_evidence, service_evidence, Kind, NodeView};

pub fn run(ev: &mut Eval) {
    // The HostProcess pods, in list order, picked out once: each node and component then looks
    // among them only (a pass over every pod per node and component took 21 s with 500 Windows
    // nodes and 150,000 pods).
    let mut host_process: Option<Vec<&Pod>> = None;
    for view in ev.node_views() {
        if view.from_api() {
            let host_process = host_process.get_or_insert_with(|| host_process_pods(ev));
            api_part(ev, &view, host_process);
            continue;
        }
        let Some(_services) = ev.node_services(&view) else {
            continue;
        };
        let node = view.name();
        let mut kinds = vec![Kind::Kubelet, Kind::KubeProxy];
        if view.flannel_evidence().is_some() {
            kinds.push(Kind::Flanneld);
        }
        let host_process = host_process.get_or_insert_with(|| host_process_pods(ev));
        for kind in kinds {
            judge(ev, &view, kind, &node, host_process);
        }
    }
}

fn judge<'a>(ev: &mut Eval<'a>, view: &NodeView<'a>, kind: Kind, node: &str, host_process: &[&Pod]) {
    let comp = view.component(kind);
    let name = kind.name();
    if let Some(s) = comp.service {
        let how = if s.is_nssm() {
            match s.effective_command().first() {
                Some(program) if !program.to_ascii_lowercase().ends_with("nssm.exe") => {
                    format!("nssm running {program}")
                }
                _ => "nssm, no Application set".to_string(),
            }
        } else {
            "sc.exe".to_string()
        };
        let subject = Subject::new("Service", s.name.clone());
        // Distributions whose own starter starts Manual services (checks/data/layouts.toml).
        let starter = view
            .layout()
            .and_then(|l| l.layout())
            .filter(|l| !l.manual_start.is_empty());
        if !s.is_automatic() && starter.is_none() {
            ev.part("not-automatic");
            let fix = ev.fix("set_automatic", &[("service", &s.name), ("node", node)]);
            ev.emit(
                Status::Warn,
                subject,
                format!(
                    "{name} is registered as service {} ({how}) but its start mode is {}: it will not start after a reboot",
                    s.name,
                    if s.start_mode.is_empty() { "unknown" } else { &s.start_mode }
                ),
            )
            .evidence(service_evidence(s))
            .with_fix(fix);
            return;
        }
        // A binary registered directly must speak to the service control manager.
        if !s.is_nssm() {
            let cmd = s.effective_command();
            let program = cmd.first().map(|p| exe_stem(p)).unwrap_or_default();
            let flags = cmdline::parse_flags(cmd.get(1..).unwrap_or(&[]));
            let direct = kind.matches(&program);
            if kind == Kind::Flanneld && direct {
                ev.part("no-service-control");
                let fix = ev.fix(
                    "use_nssm",
                    &[
                        ("service", &s.name),
                        (
                            "program",
                            cmd.first().map(String::as_str).unwrap_or("flanneld.exe"),
                        ),
                        (
                            "args",
                            &cmdline::join_for_display(cmd.get(1..).unwrap_or(&[])),
                        ),
                        ("node", node),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    subject,
                    format!(
                        "service {} starts flanneld.exe directly; flanneld does not answer the service control manager, so Windows stops it after 30 s (error 1053): register it through nssm",
                        s.name
                    ),
                )
                .evidence(service_evidence(s))
                .with_fix(fix);
                return;
            }
            if direct && cmdline::flag(&flags, "windows-service").is_none() {
                ev.part("no-service-control");
                let fix = ev.fix(
                    "add_windows_service_flag",
                    &[
                        ("service", &s.name),
                        ("path_name", &s.path_name),
                        ("node", node),
                    ],
                );
                ev.emit(
                    Status::Warn,
                    subject,
                    format!(
                        "service {} runs {} directly without --windows-service: the service control manager stops it after 30 s (error 1053)",
                        s.name,
                        cmd.first().map(String::as_str).unwrap_or(name)
                    ),
                )
                .evidence(service_evidence(s))
                .with_fix(fix);
                return;
            }
        }
        let mut message = format!(
            "{name} is registered as Windows service {} ({how}) with start mode {}",
            s.name, s.start_mode
        );
        if let Some(layout) = starter.filter(|_| !s.is_automatic()) {
            message.push_str(&format!(
                ", as on every {} node: {}",
                layout.name, layout.manual_start
            ));
        }
        if !s.is_running() {
            message.push_str(&format!(
                ", but it is {} now (see node-ready)",
                if s.state.is_empty() {
                    "not running"
                } else {
                    &s.state
                }
            ));
        }
        let status = if s.is_running() {
            Status::Pass
        } else {
            Status::Warn
        };
        let fix = ev.fix("start_service", &[("service", &s.name), ("node", node)]);
        ev.part("service-stopped");
        let f = ev.emit(status, subject, message);
        f.evidence(service_evidence(s));
        if status != Status::Pass {
            f.with_fix(fix);
        }
        return;
    }
    if let Some(pod) = host_process_pod(kind, node, host_process) {
        ev.part("console-process");
        ev.emit(
            Status::Pass,
            Subject::namespaced("Pod", pod.namespace(), pod.name()),
            format!(
                "{name} runs as HostProcess pod {} on {node} (its DaemonSet restarts it), not as a Windows service",
                pod.key()
            ),
        )
        .evidence(Evidence::api(
            format!("Pod/{} .spec.securityContext.windowsOptions.hostProcess", pod.key()),
            "true",
        ));
        return;
    }
    let subject = Subject::node(node.to_string());
    // RKE2 runs the node components as children of its one service (checks/data/layouts.toml).
    let starter = view.layout().and_then(|l| l.layout()).and_then(|l| {
        let services = view.raw.services.ready()?;
        l.starter_services.iter().find_map(|name| {
            services
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(name) && s.is_automatic())
                .map(|s| (l, s))
        })
    });
    if let (Some(p), Some((layout, svc))) = (comp.process, starter) {
        ev.part("console-process");
        ev.emit(
            Status::Pass,
            Subject::new("Service", svc.name.clone()),
            format!(
                "{name} runs as process {} (pid {}), started and restarted by service {} (start mode {}), as on every {} node",
                p.name, p.pid, svc.name, svc.start_mode, layout.name
            ),
        )
        .evidence(service_evidence(svc))
        .evidence(process_evidence(p));
        return;
    }
    match comp.process {
        Some(p) => {
            ev.part("console-process");
            let program = p
                .command_line
                .first()
                .cloned()
                .unwrap_or_else(|| format!(r"C:\k\{}", kind.exe()));
            let fix = ev.fix(
                "register_service",
                &[
                    ("service", name),
                    ("program", &program),
                    ("args", &cmdline::join_for_display(p.args())),
                    ("node", node),
                ],
            );
            ev.emit(
                Status::Warn,
                subject,
                format!(
                    "{name} runs only as a console process (pid {}), not as a Windows service: it stops when its PowerShell window closes and does not come back after a crash or reboot",
                    p.pid
                ),
            )
            .evidence(process_evidence(p))
            .evidence(Evidence::service("Win32_Service", format!("no service runs {}", kind.exe())))
            .with_fix(fix);
        }
        None => {
            ev.part("not-registered");
            let program = format!(r"C:\k\{}", kind.exe());
            let fix = ev.fix(
                "not_registered",
                &[("service", name), ("program", &program), ("node", node)],
            );
            ev.emit(
                Status::Fail,
                subject,
                format!("{name} is neither registered as a Windows service nor running on {node}"),
            )
            .evidence(Evidence::service(
                "Win32_Service",
                format!("no service runs {}", kind.exe()),
            ))
            .with_fix(fix);
        }
    }
}

/// A node part made from what the API serves: the Windows services are not visible, but a
/// HostProcess pod that runs kube-proxy or flanneld is (its DaemonSet restarts it), as on the node.
fn api_part<'a>(ev: &mut Eval<'a>, view: &NodeView<'a>, host_process: &[&Pod]) {
    let node = view.name();
    let mut kinds = vec![Kind::KubeProxy];
    if view.flannel_evidence().is_some() {
        kinds.push(Kind::Flanneld);
    }
    for kind in kinds {
        if host_process_pod(kind, &node, host_process).is_some() {
            judge(ev, view, kind, &node, host_process);
        } else {
            ev.part("service-stopped");
            ev.emit(
                Status::Skip,
                Subject::node(node.clone()),
                format!(
                    "no HostProcess pod runs {} on {node}, and whether it is a Windows service is not visible through the API (run windoctor on the node or `windoctor fleet` to list its services)",
                    kind.name()
                ),
            );
        }
    }
    ev.part("not-registered");
    ev.emit(
        Status::Skip,
        Subject::node(node.clone()),
        format!("how the kubelet is registered on {node} is not visible through the API (Windows services are listed by windoctor on the node or `windoctor fleet`)"),
    );
}

/// The HostProcess pods of the list, in list order (none when the pods could not be read). An
/// other pod of the sieve keeps no security context: only the pods kept whole are read.
fn host_process_pods<'a>(ev: &mut Eval<'a>) -> Vec<&'a Pod> {
    ev.kept_pods()
        .into_iter()
        .flatten()
        .filter(|p| p.spec.host_process())
        .collect()
}

/// A HostProcess pod (of `host_process`, [`host_process_pods`]) on the local node that runs
/// `kind` (kube-proxy or flanneld DaemonSets).
fn host_process_pod<'a>(kind: Kind, node: &str, host_process: &[&'a Pod]) -> Option<&'a Pod> {
    let (needle, other) = match kind {
        Kind::KubeProxy => ("kube-proxy", "flannel"),
        Kind::Flanneld => ("flannel", "kube-proxy"),
        _ => return None,
    };
    // By pod or container name; images only when the names do not name the other component
    // (sig-windows-tools tags kube-proxy images "...-flannel-hostprocess").
    let runs = |p: &Pod| {
        let names =
            std::iter::once(p.name()).chain(p.spec.containers.iter().map(|c| c.name.as_str()));
        let named: Vec<&str> = names.collect();
        if named.iter().any(|n| n.contains(needle)) {
            return true;
        }
        !named.iter().any(|n| n.contains(other))
            && p.spec.containers.iter().any(|c| c.image.contains(needle))
    };
    host_process
        .iter()
        .find(|p| p.node_name().is_some_and(|n| same_host(n, node)) && runs(p))
        .copied()
}
