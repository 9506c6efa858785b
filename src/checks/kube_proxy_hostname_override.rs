//! Check `kube-proxy-hostname-override`: kube-proxy is started with `--hostname-override` equal to
//! the Node name, on the node (running process, else its service registration or start script) and
//! in Windows kube-proxy DaemonSets. See checks/kube-proxy-hostname-override.toml.

use super::Eval;
use crate::facts::k8s::DaemonSet;
use crate::facts::node::cmdline;
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::{Kind, NodeView};

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

fn is_windows_kube_proxy(ds: &DaemonSet) -> bool {
    let spec = &ds.spec.template.spec;
    let runs_kube_proxy = ds.metadata.name.contains("kube-proxy")
        || spec
            .containers
            .iter()
            .any(|c| c.name.contains("kube-proxy") || c.image.contains("kube-proxy"));
    runs_kube_proxy
        && (spec.os_selector() == crate::facts::cluster::OsTarget::Windows
            || spec
                .declared_os()
                .is_some_and(|o| o.eq_ignore_ascii_case("windows"))
            || spec.host_process())
}

fn cluster_part(ev: &mut Eval) {
    let Some(daemonsets) = ev.daemonsets() else {
        return;
    };
    ev.part("daemonset-override");
    let windows: Vec<&DaemonSet> = daemonsets
        .iter()
        .filter(|d| is_windows_kube_proxy(d))
        .collect();
    for ds in windows {
        let ns = ds
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "kube-system".to_string());
        let name = ds.metadata.name.clone();
        let subject = Subject::namespaced("DaemonSet", ns.clone(), name.clone());
        let reference = format!("DaemonSet/{ns}/{name} .spec.template.spec.containers");
        let containers = &ds.spec.template.spec.containers;
        let words: Vec<String> = containers
            .iter()
            .flat_map(|c| c.command.iter().chain(c.args.iter()))
            .flat_map(|w| cmdline::split_windows(w))
            .collect();
        let flags = cmdline::parse_flags(&words);
        let node_name_env = containers
            .iter()
            .flat_map(|c| c.env.iter())
            .find(|e| e.field_ref.as_deref() == Some("spec.nodeName"));
        match cmdline::flag(&flags, "hostname-override") {
            Some(f) => {
                let value = f.value.clone().unwrap_or_default();
                let from_env = node_name_env.is_some_and(|e| {
                    value.contains(&format!("$({})", e.name))
                        || value.contains(&format!("$env:{}", e.name))
                });
                if from_env {
                    ev.emit(
                        Status::Pass,
                        subject,
                        format!("Windows kube-proxy DaemonSet {ns}/{name} passes {} with {} taken from spec.nodeName", f.written, node_name_env.map(|e| e.name.as_str()).unwrap_or("")),
                    )
                    .evidence(Evidence::api(reference, f.written.clone()));
                } else {
                    let fix = ev.fix(
                        "daemonset_override",
                        &[("namespace", &ns), ("daemonset", &name)],
                    );
                    ev.emit(
                        Status::Fail,
                        subject,
                        format!(
                            "Windows kube-proxy DaemonSet {ns}/{name} passes the fixed value {} to every node: each node's kube-proxy looks up the same Node",
                            f.written
                        ),
                    )
                    .evidence(Evidence::api(reference, f.written.clone()))
                    .with_fix(fix);
                }
            }
            None => match node_name_env {
                Some(e) => {
                    ev.emit(
                        Status::Pass,
                        subject,
                        format!(
                            "Windows kube-proxy DaemonSet {ns}/{name} gives its start script {} from spec.nodeName (the script passes it as --hostname-override)",
                            e.name
                        ),
                    )
                    .evidence(Evidence::api(
                        format!("DaemonSet/{ns}/{name} .spec.template.spec.containers[].env[{}]", e.name),
                        "valueFrom.fieldRef.fieldPath=spec.nodeName",
                    ));
                }
                None => {
                    let fix = ev.fix(
                        "daemonset_override",
                        &[("namespace", &ns), ("daemonset", &name)],
                    );
                    ev.emit(
                        Status::Warn,
                        subject,
                        format!(
                            "Windows kube-proxy DaemonSet {ns}/{name} sets no --hostname-override and no NODE_NAME from spec.nodeName: kube-proxy falls back to the host name, which differs from the Node name on FQDN-named nodes"
                        ),
                    )
                    .evidence(Evidence::api(reference, crate::facts::node::logs::shorten(&cmdline::join_for_display(&words), 300)))
                    .with_fix(fix);
                }
            },
        }
    }
}

/// Values that were never expanded: `$(hostname)` in an nssm parameter, `<hostname>` from the docs.
fn unexpanded(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.contains('<')
        || v.contains('>')
        || v.contains("$(")
        || v.to_ascii_lowercase().contains("$env:")
        || v.starts_with('$')
}

fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(_files) = ev.node_files(&view) else {
        return;
    };
    let comp = view.component(Kind::KubeProxy);
    ev.part("override-mismatch");
    let Some((words, evidence)) = comp.args() else {
        let node = view.name();
        let reason = if view.from_api() {
            "no pod on this node runs kube-proxy.exe with its flags (or logs them), and its Windows service and process are not visible through the API"
        } else if comp.is_present() {
            "its command line could not be read"
        } else {
            "kube-proxy is neither running nor registered as a service here (see node-ready)"
        };
        ev.emit(
            Status::Skip,
            Subject::node(node),
            format!("kube-proxy's flags on this node are not known: {reason}"),
        );
        return;
    };
    let node_obj = view.node_object();
    let node = view.name();
    let hostname = view.raw.hostname.ready().cloned();
    let flags = comp.flags();
    let service = comp
        .service
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "kube-proxy".to_string());
    let program = comp
        .process
        .and_then(|p| p.command_line.first().cloned())
        .or_else(|| {
            comp.service
                .and_then(|s| s.effective_command().first().cloned())
        })
        .unwrap_or_else(|| r"C:\k\kube-proxy.exe".to_string());
    let fix_for = |ev: &Eval| {
        let mut without: Vec<String> = words
            .iter()
            .filter(|w| {
                !w.trim_start_matches('-')
                    .to_ascii_lowercase()
                    .starts_with("hostname-override")
            })
            .cloned()
            .collect();
        without.push(format!("--hostname-override={node}"));
        let args = cmdline::join_for_display(&without);
        // The fix edits whatever starts kube-proxy here: nssm, an sc.exe binPath, or the console.
        let key = match comp.service {
            Some(s) if s.is_nssm() => "set_override_nssm",
            Some(_) => "set_override_sc",
            None => "set_override_console",
        };
        ev.fix(
            key,
            &[
                ("node", &node),
                ("service", &service),
                ("program", &program),
                ("args", &args),
            ],
        )
    };
    // The flag, else `hostnameOverride` of the KubeProxyConfiguration `--config` names (OpenShift
    // WMCO keeps it there: pkg/servicescm/services.go#L153-L194).
    let from_flag = cmdline::flag(flags, "hostname-override").map(|f| {
        let mut e = evidence.clone();
        e.excerpt = f.written.clone();
        (f.value.clone().unwrap_or_default(), f.written.clone(), e)
    });
    let from_config = || {
        let (file, parsed) = view.kube_proxy_config()?;
        let value = parsed.as_ref().ok()?.hostname_override.clone()?;
        Some((
            value.clone(),
            format!("hostnameOverride: {value}"),
            Evidence::file(
                crate::facts::node::display_win_path(&file.path),
                format!("hostnameOverride: {value}"),
            ),
        ))
    };
    match from_flag.or_else(from_config) {
        Some((value, written, e)) => {
            let f = cmdline::Flag {
                name: "hostname-override".to_string(),
                value: Some(value.clone()),
                written,
            };
            if unexpanded(&value) {
                let fix = fix_for(ev);
                ev.part("override-unexpanded");
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "kube-proxy on {node} runs with {} taken literally (never expanded): it looks for a Node of that name and deletes the HNS endpoints of this node's pods",
                        f.written
                    ),
                )
                .evidence(e)
                .with_fix(fix);
            } else if node_obj.is_some() && !value.trim().eq_ignore_ascii_case(&node) {
                let fix = fix_for(ev);
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "kube-proxy on {node} runs with --hostname-override={value}, which is not the Node name {node}: it does not find its Node, and the vNICs and HNS endpoints of this node's containers get deleted"
                    ),
                )
                .evidence(e)
                .evidence(Evidence::api(format!("Node/{node}"), format!("metadata.name={node}")))
                .with_fix(fix);
            } else if node_obj.is_none() {
                ev.emit(
                    Status::Info,
                    Subject::node(node.clone()),
                    format!(
                        "kube-proxy on {node} runs with --hostname-override={value}; the Node list is not available, so it was not compared with the Node name"
                    ),
                )
                .evidence(e);
            } else {
                ev.emit(
                    Status::Pass,
                    Subject::node(node.clone()),
                    format!(
                        "kube-proxy on {node} runs with --hostname-override={value}, the Node name"
                    ),
                )
                .evidence(e);
            }
        }
        None => {
            ev.part("override-missing");
            let fix = fix_for(ev);
            let host = hostname.clone().unwrap_or_default();
            let matches = node_obj.is_some() && host.eq_ignore_ascii_case(&node);
            let (status, message) = if matches {
                (
                    Status::Warn,
                    format!(
                        "kube-proxy on {node} runs without --hostname-override: it works only because the host name {host} equals the Node name; the FAQ asks for the flag explicitly"
                    ),
                )
            } else {
                (
                    Status::Fail,
                    format!(
                        "kube-proxy on {node} runs without --hostname-override, so it uses the host name {} instead of the Node name {node}: the vNICs and HNS endpoints of this node's containers get deleted",
                        if host.is_empty() { "(unknown)" } else { &host }
                    ),
                )
            };
            let mut e = evidence.clone();
            e.excerpt = crate::facts::node::logs::shorten(&cmdline::join_for_display(words), 400);
            ev.emit(status, Subject::node(node.clone()), message)
                .evidence(e)
                .with_fix(fix);
        }
    }
}
