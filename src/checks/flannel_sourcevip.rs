//! Check `flannel-sourcevip`: `C:\k\SourceVip.json` / `SourceVipRequest.json` (and kube-proxy's
//! `--source-vip`) left from an earlier join hold an address outside the Node's current podCIDR,
//! or hold no usable address at all. See checks/flannel-sourcevip.toml.

use super::Eval;
use crate::catalogue::data::node_file;
use crate::facts::node::sourcevip::SourceVip;
use crate::facts::node::{display_win_path, FileState, NodeFile};
use crate::findings::{Evidence, Fix, Status, Subject};
use crate::model::node::{Kind, NodeView};
use ipnet::IpNet;


pub fn run(ev: &mut Eval) {
    for view in ev.node_views() {
        run_on(ev, view);
    }
}

fn run_on<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let (vip, request) = (node_file("source_vip"), node_file("source_vip_request"));
    let Some(files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    ev.part("stale-source-vip");
    let pod_cidr = view.pod_cidr();
    // The pod network: the one the CNI in use names, else the first Overlay network that is not
    // the bootstrap network `External` (microsoft/SDN@242fb0c3190dbb08d7f9406727be18322218e537:
    // Kubernetes/windows/helper.psm1#L96-L118 and Calico's node-service.ps1#L116-L135 create it).
    let cni = view.cni();
    let cni_network = cni.and_then(|c| crate::model::layout::NetworkMatch::of(c.rules, c.conf));
    let networks = view.raw.hns_networks.ready();
    let overlay = networks.and_then(|ns| {
        cni_network
            .as_ref()
            .and_then(|m| ns.iter().find(|n| m.matches(&n.name, &n.type_)))
            .or_else(|| {
                ns.iter().find(|n| {
                    n.type_.eq_ignore_ascii_case("overlay") && !n.name.eq_ignore_ascii_case("external")
                })
            })
    });
    // Calico's HNS subnet is the node's IPAM block, not Node.spec.podCIDR
    // (projectcalico/calico@87c15906f20c4ca1fda55af92295e7678b0cc0b2: node/pkg/lifecycle/startup/startup_windows.go).
    let pod_cidr = match cni.filter(|c| c.rules.id == "calico") {
        Some(_) => None,
        None => pod_cidr,
    };
    let kube_proxy_vip = view
        .component(Kind::KubeProxy)
        .flag("source-vip")
        .map(|(f, evidence)| {
            (
                f.value.clone().unwrap_or_default(),
                f.written.clone(),
                evidence.clone(),
            )
        });
    // Without the Node's podCIDR, the overlay network's subnet is the next best reference.
    let reference: Option<(IpNet, Evidence)> = pod_cidr.clone().or_else(|| {
        let n = overlay?;
        let s = n.subnets.first()?;
        let net = s.address_prefix.parse::<IpNet>().ok()?.trunc();
        Some((
            net,
            Evidence::api(
                format!("Get-HnsNetwork {} .Subnets[0].AddressPrefix", n.name),
                s.address_prefix.clone(),
            ),
        ))
    });
    let vip_state = files.state(vip);
    let request_state = files.state(request);
    if let (FileState::NotCaptured(by), FileState::NotCaptured(_)) = (vip_state, request_state) {
        if kube_proxy_vip.is_none() {
            // Not captured: the reserved part for inputs that are not there.
            ev.part("input");
            ev.emit(
                Status::Skip,
                Subject::node(node),
                format!("{vip} and {request} were not captured ({by} does not collect them) and kube-proxy's --source-vip is not known: stale source VIP files cannot be ruled out"),
            );
            return;
        }
    }
    if vip_state == FileState::Absent
        && request_state == FileState::Absent
        && kube_proxy_vip.is_none()
    {
        let why = match overlay {
            Some(n) => format!(
                "no SourceVip.json or SourceVipRequest.json in C:\\k on {node} and kube-proxy has no --source-vip (overlay network {} present: the start scripts create them on the next start)",
                n.name
            ),
            None => format!(
                "no SourceVip.json or SourceVipRequest.json in C:\\k on {node}: nothing left from an earlier join"
            ),
        };
        ev.emit(Status::Pass, Subject::node(node), why)
            .evidence(Evidence::file(vip, "absent from the node"))
            .evidence(Evidence::file(request, "absent from the node"));
        return;
    }
    let fix = remove_fix(ev, &view, &node, pod_cidr.as_ref().map(|p| p.0));
    let mut problems = 0;
    let mut checked = Vec::new();
    match vip_state {
        FileState::Present(f) => {
            match judge_vip(f, view.source_vip().map(|(_, p)| p), reference.as_ref()) {
                Judged::Ok(what) => checked.push(what),
                Judged::Problem(message, evidence) => {
                    problems += 1;
                    let s = ev.emit(
                        Status::Fail,
                        Subject::file(display_win_path(&f.path)),
                        message,
                    );
                    s.evidence(evidence);
                    if let Some((_, e)) = &reference {
                        s.evidence(e.clone());
                    }
                    s.with_fix(fix.clone());
                }
                Judged::Unjudged(what) => {
                    ev.emit(Status::Info, Subject::file(display_win_path(&f.path)), what)
                        .evidence(Evidence::file(display_win_path(&f.path), excerpt(f)));
                }
            }
        }
        FileState::Unreadable(why) => {
            ev.emit(
                Status::Error,
                Subject::file(vip),
                format!("{vip} exists but could not be read: {why}"),
            );
        }
        FileState::Absent | FileState::NotCaptured(_) => {}
    }
    ev.part("stale-vip-request");
    match request_state {
        FileState::Present(f) => {
            let path = display_win_path(&f.path);
            let parsed = match view.source_vip_request() {
                Some((_, parsed)) => parsed.clone(),
                None => Err("the file was not modelled".to_string()),
            };
            match parsed {
                Err(why) => {
                    problems += 1;
                    ev.emit(
                        Status::Fail,
                        Subject::file(path.clone()),
                        format!("{path} is broken ({}): {why}", f.encoding),
                    )
                    .evidence(Evidence::file(path, excerpt(f)))
                    .with_fix(fix.clone());
                }
                Ok(subnets) => match &reference {
                    Some((cidr, cidr_ev)) if !subnets.contains(cidr) => {
                        problems += 1;
                        let asked: Vec<String> = subnets.iter().map(|s| s.to_string()).collect();
                        ev.emit(
                            Status::Fail,
                            Subject::file(path.clone()),
                            format!(
                                "{path} asks for subnet {} but {node}'s podCIDR is now {cidr}: it is left from an earlier join",
                                asked.join(", ")
                            ),
                        )
                        .evidence(Evidence::file(path, format!("ipam subnet {}", asked.join(", "))))
                        .evidence(cidr_ev.clone())
                        .with_fix(fix.clone());
                    }
                    Some((cidr, _)) => checked.push(format!("{path} asks for {cidr}")),
                    None => checked.push(format!("{path} parses (podCIDR unknown)")),
                },
            }
        }
        FileState::Unreadable(why) => {
            ev.emit(
                Status::Error,
                Subject::file(request),
                format!("{request} exists but could not be read: {why}"),
            );
        }
        FileState::Absent | FileState::NotCaptured(_) => {}
    }
    ev.part("kube-proxy-source-vip");
    if let Some((value, written, evidence)) = kube_proxy_vip {
        match (value.parse::<std::net::IpAddr>(), &reference) {
            (Ok(ip), Some((cidr, cidr_ev))) if !cidr.contains(&ip) => {
                problems += 1;
                let mut e = evidence.clone();
                e.excerpt = written.clone();
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "kube-proxy on {node} runs with --source-vip={ip}, outside the podCIDR {cidr}: it was taken from a SourceVip.json of an earlier join"
                    ),
                )
                .evidence(e)
                .evidence(cidr_ev.clone())
                .with_fix(fix.clone());
            }
            (Err(_), _) => {
                problems += 1;
                let mut e = evidence.clone();
                e.excerpt = written.clone();
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!("kube-proxy on {node} runs with {written:?}, which is not an IP address (SourceVip.json held no address when it started)"),
                )
                .evidence(e)
                .with_fix(fix.clone());
            }
            (Ok(ip), _) => checked.push(format!("kube-proxy --source-vip={ip}")),
        }
    }
    if problems == 0 && !checked.is_empty() {
        let mut f_msg = format!(
            "source VIP state on {node} is current: {}",
            checked.join("; ")
        );
        if let Some((cidr, _)) = &reference {
            f_msg.push_str(&format!(" (podCIDR {cidr})"));
        }
        ev.part("stale-source-vip");
        let f = ev.emit(Status::Pass, Subject::node(node), f_msg);
        if let Some((_, e)) = reference {
            f.evidence(e);
        }
    }
}

enum Judged {
    Ok(String),
    Problem(String, Evidence),
    Unjudged(String),
}

fn judge_vip(
    f: &NodeFile,
    parsed: Option<&Result<SourceVip, String>>,
    reference: Option<&(IpNet, Evidence)>,
) -> Judged {
    let path = display_win_path(&f.path);
    let parsed = match parsed {
        Some(p) => p.clone(),
        None => Err("the file was not modelled".to_string()),
    };
    match parsed {
        Err(why) => Judged::Problem(
            format!("{path} is broken ({}): {why}; kube-proxy gets no source VIP from it", f.encoding),
            Evidence::file(path, excerpt(f)),
        ),
        Ok(SourceVip::CniError { code, msg }) => Judged::Problem(
            format!(
                "{path} holds a CNI error instead of an address (code {}): {msg}",
                code.map(|c| c.to_string()).unwrap_or_else(|| "?".into())
            ),
            Evidence::file(path, excerpt(f)),
        ),
        Ok(SourceVip::Address { ip, shape, .. }) => match reference {
            Some((cidr, _)) if !cidr.contains(&ip) => Judged::Problem(
                format!(
                    "{path} holds source VIP {ip}, outside the node's current podCIDR {cidr}: it is left from an earlier join and kube-proxy will program a VIP that no longer belongs to this node"
                ),
                Evidence::file(path, format!("{shape} = {ip} ({})", f.encoding)),
            ),
            Some((cidr, _)) => Judged::Ok(format!("{path} holds {ip} inside {cidr} ({shape}, {})", f.encoding)),
            None => Judged::Unjudged(format!(
                "{path} holds source VIP {ip}, but the Node's podCIDR is not known, so it cannot be told whether it is current"
            )),
        },
    }
}

fn remove_fix(ev: &Eval, view: &NodeView, node: &str, pod_cidr: Option<IpNet>) -> Fix {
    let service = view
        .component(Kind::KubeProxy)
        .service
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "kube-proxy".to_string());
    ev.fix(
        "remove_stale",
        &[
            ("node", node),
            ("service", &service),
            (
                "pod_cidr",
                &pod_cidr
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "its new podCIDR".to_string()),
            ),
        ],
    )
}

fn excerpt(f: &NodeFile) -> String {
    crate::facts::node::logs::shorten(f.text.trim(), 300)
}
