//! Check `kubelet-config`: the kubelet flags the Windows docs advise on: at least 2Gi of
//! system-reserved memory, `--windows-priorityclass` at ABOVE_NORMAL or higher, eviction flags that
//! do nothing on Windows, and node-allocatable enforcement that cannot work without cgroups. Flags
//! come from the running process, else its service, start script and kubeadm-flags.env, plus the
//! KubeletConfiguration file named by `--config`. See checks/kubelet-config.toml.

use super::Eval;
use crate::facts::node::cmdline::powershell_literal;
use crate::facts::node::kubelet::{parse_resource_list, quantity_bytes};
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::{KubeletSettings, NodeView};

const TWO_GI: u64 = 2 * 1024 * 1024 * 1024;

/// Windows priority classes from lowest to highest.
const PRIORITY_CLASSES: [&str; 6] = [
    "IDLE_PRIORITY_CLASS",
    "BELOW_NORMAL_PRIORITY_CLASS",
    "NORMAL_PRIORITY_CLASS",
    "ABOVE_NORMAL_PRIORITY_CLASS",
    "HIGH_PRIORITY_CLASS",
    "REALTIME_PRIORITY_CLASS",
];

pub fn run(ev: &mut Eval) {
    for view in ev.node_views() {
        run_on(ev, view);
    }
}

fn run_on<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(_files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    ev.part("flags-unknown");
    let Some(settings) = view.kubelet() else {
        let message = if view.from_api() {
            "the kubelet's configuration was not read for this node (configz, or the FLAG lines of a kubelet log the kubelet serves)"
        } else {
            "the kubelet's flags were not found on this node (no kubelet process, service or kubeadm-flags.env)"
        };
        ev.emit(Status::Skip, Subject::node(node), message);
        return;
    };
    if let Some((path, Err(why))) = &settings.config {
        let fix = ev.fix(
            "config_unreadable",
            &[
                ("node", &node),
                ("path", path),
                ("path_literal", &powershell_literal(path)),
            ],
        );
        ev.emit(
            Status::Error,
            Subject::file(path.clone()),
            format!(
                "the kubelet configuration file {path} named by --config cannot be used: {why}"
            ),
        )
        .evidence(Evidence::file(path.clone(), why.clone()))
        .with_fix(fix);
    }
    let sources = settings.sources.join(", ");
    let mut problems = 0;
    problems += system_reserved(ev, &view, settings, &node, &sources);
    problems += priority_class(ev, &view, settings, &node, &sources);
    problems += eviction(ev, settings, &node);
    problems += allocatable(ev, &view, settings, &node);
    if problems == 0 {
        ev.part("system-reserved");
        let message = if settings.flags_known {
            format!("kubelet flags follow the Windows advice (read from {sources}): system-reserved memory at least 2Gi, --windows-priorityclass at ABOVE_NORMAL_PRIORITY_CLASS or higher, no eviction flags")
        } else {
            format!("the kubelet's running configuration follows the Windows advice (read from {sources}): system-reserved memory at least 2Gi, no eviction thresholds; --windows-priorityclass is a command-line flag that configz does not show, so it was not checked")
        };
        ev.emit(Status::Pass, Subject::node(node), message);
    }
}

fn system_reserved(
    ev: &mut Eval,
    view: &NodeView,
    s: &KubeletSettings,
    node: &str,
    sources: &str,
) -> usize {
    ev.part("system-reserved");
    let from_flag = s.get("system-reserved").map(|st| {
        let value = parse_resource_list(st.flag.value.as_deref().unwrap_or(""))
            .get("memory")
            .cloned();
        (value, st.evidence.clone())
    });
    let from_config = s.config_file().and_then(|c| {
        c.system_reserved.get("memory").map(|m| {
            (
                Some(m.clone()),
                Evidence::file(
                    s.config
                        .as_ref()
                        .map(|(p, _)| p.clone())
                        .unwrap_or_default(),
                    format!("systemReserved.memory: {m}"),
                ),
            )
        })
    });
    let found = from_flag.or(from_config);
    let reserved = found
        .as_ref()
        .and_then(|(v, _)| v.as_deref().and_then(quantity_bytes));
    if reserved.is_some_and(|b| b >= TWO_GI) {
        return 0;
    }
    // Allocatable is capacity minus kube-reserved and system-reserved alike: AKS reserves the
    // memory through --kube-reserved (Azure/AgentBaker@06836ee2301e362039418c3a7ed0fe6004a641fd:
    // parts/k8s/kubeletstart.ps1 ConfigArgs `--kube-reserved=cpu=100m,memory=...`).
    let kube_reserved = s
        .get("kube-reserved")
        .and_then(|st| {
            parse_resource_list(st.flag.value.as_deref().unwrap_or(""))
                .get("memory")
                .cloned()
        })
        .and_then(|m| quantity_bytes(&m));
    if found.is_none() && kube_reserved.is_some_and(|b| b >= TWO_GI) {
        return 0;
    }
    let fix = ev.fix(
        "system_reserved",
        &[
            ("node", node),
            (
                "apply",
                &view.kubelet_flag_command("--system-reserved=memory=2Gi"),
            ),
        ],
    );
    let message = match (&found, reserved) {
        (Some((Some(v), _)), Some(_)) => format!(
            "kubelet on {node} reserves only {v} of memory for the system (--system-reserved): the docs advise at least 2Gi for Windows, the container runtime and Kubernetes processes, since Windows pages instead of killing pods"
        ),
        (Some((Some(v), _)), None) => format!("kubelet on {node} sets system-reserved memory to {v:?}, which is not a quantity"),
        _ => format!(
            "kubelet on {node} reserves no memory for the system (no --system-reserved memory, read from {sources}): the docs advise at least 2Gi, since Windows overcommits memory and pages instead of evicting"
        ),
    };
    let f = ev.emit(Status::Warn, Subject::node(node.to_string()), message);
    match found {
        Some((_, e)) => {
            f.evidence(e);
        }
        None => {
            for e in &s.source_evidence {
                f.evidence(e.clone());
            }
        }
    }
    f.with_fix(fix);
    1
}

fn priority_class(
    ev: &mut Eval,
    view: &NodeView,
    s: &KubeletSettings,
    node: &str,
    sources: &str,
) -> usize {
    ev.part("priority-class");
    match s.get("windows-priorityclass") {
        Some(st) => {
            let v = st
                .flag
                .value
                .clone()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let rank = PRIORITY_CLASSES.iter().position(|p| *p == v);
            match rank {
                Some(r) if r >= 3 => 0,
                _ => {
                    let fix = ev.fix(
                        "priority_class",
                        &[
                            ("node", node),
                            (
                                "apply",
                                &view.kubelet_flag_command(
                                    "--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS",
                                ),
                            ),
                        ],
                    );
                    ev.emit(
                        Status::Warn,
                        Subject::node(node.to_string()),
                        format!(
                            "kubelet on {node} runs with --windows-priorityclass={}: the docs advise ABOVE_NORMAL_PRIORITY_CLASS or higher so that the kubelet always gets CPU time",
                            st.flag.value.clone().unwrap_or_default()
                        ),
                    )
                    .evidence(st.evidence.clone())
                    .with_fix(fix);
                    1
                }
            }
        }
        // Flag-only: configz does not show it, so its absence there says nothing.
        None if !s.flags_known => 0,
        None => {
            let fix = ev.fix(
                "priority_class",
                &[
                    ("node", node),
                    (
                        "apply",
                        &view.kubelet_flag_command(
                            "--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS",
                        ),
                    ),
                ],
            );
            let f = ev.emit(
                Status::Info,
                Subject::node(node.to_string()),
                format!("kubelet on {node} runs without --windows-priorityclass (read from {sources}): under CPU pressure it competes with pods at normal priority; the docs advise ABOVE_NORMAL_PRIORITY_CLASS"),
            );
            for e in &s.source_evidence {
                f.evidence(e.clone());
            }
            f.with_fix(fix);
            1
        }
    }
}

fn eviction(ev: &mut Eval, s: &KubeletSettings, node: &str) -> usize {
    ev.part("eviction-flags");
    let mut evidence: Vec<Evidence> = ["eviction-hard", "eviction-soft"]
        .iter()
        .filter_map(|f| s.get(f).map(|st| st.evidence.clone()))
        .collect();
    if let Some(c) = s.config_file() {
        let path = s
            .config
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_default();
        for (key, map) in [
            ("evictionHard", &c.eviction_hard),
            ("evictionSoft", &c.eviction_soft),
        ] {
            if !map.is_empty() {
                let items: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                evidence.push(Evidence::file(
                    path.clone(),
                    format!("{key}: {{{}}}", items.join(", ")),
                ));
            }
        }
    }
    if evidence.is_empty() {
        return 0;
    }
    let fix = ev.fix("eviction", &[("node", node)]);
    let f = ev.emit(
        Status::Info,
        Subject::node(node.to_string()),
        format!("kubelet on {node} sets eviction thresholds, but eviction is not implemented on Windows: they only lower Node Allocatable, and no pod is ever evicted for memory"),
    );
    for e in evidence {
        f.evidence(e);
    }
    f.with_fix(fix);
    1
}

fn allocatable(ev: &mut Eval, view: &NodeView, s: &KubeletSettings, node: &str) -> usize {
    ev.part("node-allocatable");
    let flag = s.get("enforce-node-allocatable");
    let value: Option<(String, Evidence)> = match flag {
        Some(st) => Some((
            st.flag.value.clone().unwrap_or_default(),
            st.evidence.clone(),
        )),
        None => s.config_file().and_then(|c| {
            c.enforce_node_allocatable.as_ref().map(|v| {
                (
                    v.join(","),
                    Evidence::file(
                        s.config
                            .as_ref()
                            .map(|(p, _)| p.clone())
                            .unwrap_or_default(),
                        format!("enforceNodeAllocatable: [{}]", v.join(", ")),
                    ),
                )
            })
        }),
    };
    let cgroups_off = match s.value("cgroups-per-qos") {
        Some(v) => v.eq_ignore_ascii_case("false"),
        None => s.config_file().and_then(|c| c.cgroups_per_qos) == Some(false),
    };
    let enforced = match &value {
        // `none` turns enforcement off (KubeletConfiguration enforceNodeAllocatable: "none",
        // "pods", "system-reserved", "kube-reserved"; kubernetes/kubelet config/v1beta1/types.go).
        Some((v, _)) => !v.trim().is_empty() && !v.trim().eq_ignore_ascii_case("none"),
        // The kubelet's default is "pods".
        None => true,
    };
    if cgroups_off && enforced {
        let fix = ev.fix(
            "allocatable",
            &[
                ("node", node),
                (
                    "apply",
                    &view.kubelet_flag_command("--enforce-node-allocatable="),
                ),
            ],
        );
        let f = ev.emit(
            Status::Fail,
            Subject::node(node.to_string()),
            format!(
                "kubelet on {node} runs with --cgroups-per-qos=false but enforces node allocatable ({}): the kubelet refuses to start with that combination; Windows needs --enforce-node-allocatable=\"\"",
                value.as_ref().map(|(v, _)| v.as_str()).unwrap_or("default: pods")
            ),
        );
        if let Some((_, e)) = value {
            f.evidence(e);
        }
        if let Some(st) = s.get("cgroups-per-qos") {
            f.evidence(st.evidence.clone());
        }
        f.with_fix(fix);
        return 1;
    }
    0
}
