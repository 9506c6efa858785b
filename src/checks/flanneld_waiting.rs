//! Check `flanneld-waiting`: flanneld (or start.ps1 waiting for it) stuck at "Waiting for the Network
//! to be created" with no later sign of success, in node log tails and in captured pod logs of
//! Windows flannel pods. See checks/flanneld-waiting.toml.

use super::Eval;
use crate::facts::node::logs::{count_matches, last_match, LogLine};
use crate::facts::node::{cmdline, display_win_path};
use crate::findings::{Evidence, Fix, Status, Subject};
use crate::model::node::{Kind, NodeView};

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

/// What one log tail says about the wait.
enum Verdict {
    Stuck {
        last_wait: LogLine,
        waits: usize,
    },
    Recovered {
        last_wait: LogLine,
        success: LogLine,
    },
    NoWait,
}

fn judge(ev: &Eval, text: &str) -> Verdict {
    let waiting = ev.pattern("waiting");
    let success = ev.pattern("success");
    let Some(last_wait) = last_match(text, waiting) else {
        return Verdict::NoWait;
    };
    let after = text
        .lines()
        .skip(last_wait.number)
        .collect::<Vec<_>>()
        .join("\n");
    match last_match(&after, success) {
        Some(mut s) => {
            s.number += last_wait.number;
            Verdict::Recovered {
                last_wait,
                success: s,
            }
        }
        None => Verdict::Stuck {
            waits: count_matches(text, waiting),
            last_wait,
        },
    }
}

fn cluster_part(ev: &mut Eval) {
    ev.part("waiting-for-network");
    let logs = ev.pod_logs();
    // Windows flannel pods: named flannel, and named for Windows or logging HNS or the wait.
    let (flannel_pod, windows_pod) = (ev.pattern("flannel_pod"), ev.pattern("windows_pod"));
    let (windows_log, waiting) = (ev.pattern("windows_log"), ev.pattern("waiting"));
    let flannel_logs: Vec<_> = logs
        .iter()
        .filter(|l| {
            flannel_pod.is_match(&l.pod)
                && (windows_pod.is_match(&l.pod)
                    || windows_log.is_match(&l.text)
                    || waiting.is_match(&l.text))
        })
        .collect();
    // Pods on a node whose part holds their log: the node part judges them, as on the node.
    let judged_by_node: std::collections::BTreeSet<String> = ev
        .model()
        .node_views()
        .iter()
        .filter_map(|v| v.raw.logs.ready())
        .flatten()
        .filter(|l| l.path.starts_with("pod log "))
        .map(|l| l.path.trim_end_matches(" (previous)").to_string())
        .collect();
    for log in flannel_logs {
        let reference = crate::facts::node::remote::pod_log_reference(
            &log.namespace,
            &log.pod,
            &log.container,
            log.previous,
        );
        if judged_by_node.contains(&format!(
            "pod log {}/{}/{}",
            log.namespace, log.pod, log.container
        )) {
            continue;
        }
        match judge(ev, &log.text) {
            Verdict::Stuck { last_wait, waits } => {
                let fix = ev.fix(
                    "restart_pod",
                    &[("namespace", &log.namespace), ("pod", &log.pod)],
                );
                ev.emit(
                    Status::Fail,
                    Subject::namespaced("Pod", log.namespace.clone(), log.pod.clone()),
                    format!(
                        "flannel pod {}/{} is stuck waiting for its network ({waits} waiting line(s), none followed by success)",
                        log.namespace, log.pod
                    ),
                )
                .evidence(Evidence::log(format!("{reference} line {}", last_wait.number), last_wait.text))
                .with_fix(fix);
            }
            Verdict::Recovered { success, .. } => {
                ev.emit(
                    Status::Pass,
                    Subject::namespaced("Pod", log.namespace.clone(), log.pod.clone()),
                    format!(
                        "flannel pod {}/{} waited for its network but then went on",
                        log.namespace, log.pod
                    ),
                )
                .evidence(Evidence::log(
                    format!("{reference} line {}", success.number),
                    success.text,
                ));
            }
            Verdict::NoWait => {}
        }
    }
}

fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(logs) = ev.node_logs(&view) else {
        return;
    };
    ev.part("waiting-for-network");
    let node = view.name();
    let flanneld = view.component(Kind::Flanneld);
    let nssm_logs: Vec<String> = flanneld
        .service
        .and_then(|s| s.nssm.as_ref())
        .map(|n| {
            n.app_stdout
                .iter()
                .chain(n.app_stderr.iter())
                .map(|p| crate::facts::node::normalise_win_path(p))
                .collect()
        })
        .unwrap_or_default();
    let is_flanneld_log = |path: &str, component: &str| {
        component == "flanneld" || nssm_logs.contains(&crate::facts::node::normalise_win_path(path))
    };
    let flannel_used = view.flannel_evidence().is_some();
    let mut flanneld_logs = 0;
    let mut stuck = false;
    for log in logs {
        let ours = is_flanneld_log(&log.path, &log.component);
        if ours {
            flanneld_logs += 1;
        }
        let reference = if log.path.contains(":\\") {
            display_win_path(&log.path)
        } else {
            log.path.clone()
        };
        match judge(ev, &log.text) {
            Verdict::Stuck { last_wait, waits } => {
                stuck = true;
                let fix = relaunch_fix(ev, &view, &node);
                let network = missing_network_evidence(&view);
                let f = ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "flanneld on {node} is stuck at \"Waiting for the Network to be created\": {waits} waiting line(s) in {reference}, none followed by success (the management IP was not ready when the network was created)"
                    ),
                );
                f.evidence(Evidence::log(
                    format!("{reference} line {}", last_wait.number),
                    last_wait.text,
                ));
                if let Some(e) = network {
                    f.evidence(e);
                }
                f.with_fix(fix);
            }
            Verdict::Recovered { last_wait, success } => {
                ev.emit(
                    Status::Pass,
                    Subject::node(node.clone()),
                    format!(
                        "flanneld on {node} waited for the network (line {}) and then went on (line {}) in {reference}",
                        last_wait.number, success.number
                    ),
                )
                .evidence(Evidence::log(format!("{reference} line {}", success.number), success.text));
            }
            Verdict::NoWait => {}
        }
    }
    if stuck {
        return;
    }
    if flanneld_logs > 0 {
        ev.emit(
            Status::Pass,
            Subject::node(node),
            format!("checked {flanneld_logs} flanneld log tail(s) on the node: no \"Waiting for the Network to be created\" without a later success"),
        );
    } else if flannel_used {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "flannel is used on this node but no flanneld log was captured (looked for *flannel*.log in C:\\k and C:\\var\\log, nssm AppStdout, node/logs/flanneld.log)",
        );
    } else {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "flannel is not used on this node and no log shows the wait: not applicable",
        );
    }
}

/// "Get-HnsNetwork shows no vxlan0/cbr0": the network flanneld waits for.
fn missing_network_evidence(view: &NodeView) -> Option<Evidence> {
    let nets = view.raw.hns_networks.ready()?;
    let names: Vec<&str> = nets.iter().map(|n| n.name.as_str()).collect();
    let pod_network = nets.iter().any(|n| {
        n.type_.eq_ignore_ascii_case("overlay") || n.type_.eq_ignore_ascii_case("l2bridge")
    });
    (!pod_network).then(|| {
        Evidence::api(
            "Get-HnsNetwork",
            format!(
                "no L2Bridge or Overlay network; networks: {}",
                if names.is_empty() {
                    "(none)".to_string()
                } else {
                    names.join(", ")
                }
            ),
        )
    })
}

/// The FAQ's manual relaunch with the real binary, kubeconfig, node name and node IP.
fn relaunch_fix(ev: &Eval, view: &NodeView, node: &str) -> Fix {
    let comp = view.component(Kind::Flanneld);
    let flags = comp.flags();
    let program = comp
        .process
        .and_then(|p| p.command_line.first().cloned())
        .or_else(|| {
            comp.service
                .and_then(|s| s.effective_command().first().cloned())
        })
        .unwrap_or_else(|| r"C:\flannel\flanneld.exe".to_string());
    let kubeconfig = cmdline::flag(flags, "kubeconfig-file")
        .and_then(|f| f.value.clone())
        .unwrap_or_else(|| r"c:\k\config".to_string());
    let iface = view
        .node_ip()
        .map(|(ip, _)| ip.to_string())
        .or_else(|| cmdline::flag(flags, "iface").and_then(|f| f.value.clone()))
        .unwrap_or_else(|| "<node IP>".to_string());
    ev.fix(
        "relaunch",
        &[
            ("node", node),
            ("program", &program),
            ("kubeconfig", &kubeconfig),
            ("node_ip", &iface),
        ],
    )
}
