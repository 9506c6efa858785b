//! Check `hns-network`: the HNS network the CNI uses (named by the CNI configuration, kube-proxy's
//! `--network-name` or KUBE_NETWORK) exists, its `vEthernet (...)` adapter is there, its management
//! IP is a real address (not APIPA) matching the node, and its adapter is a real one (node part);
//! "network not found" sandbox events on Windows nodes (cluster part). See checks/hns-network.toml.

use super::Eval;
use crate::facts::node::{display_win_path, HnsNetwork, NetAdapter};
use crate::findings::{Evidence, Status, Subject};
use crate::model::layout::NetworkMatch;
use crate::model::node::{Kind, NodeView};
use std::net::IpAddr;

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

fn cluster_part(ev: &mut Eval) {
    let Some((windows, events)) = ev.windows_nodes_and_events() else {
        return;
    };
    ev.part("sandbox-network-not-found");
    let re = ev.pattern("network_not_found");
    let on_nodes = ev.model().events_by_node(
        &windows,
        events.iter().filter(|e| re.is_match(&e.message)),
        false,
    );
    let hits = on_nodes.len();
    for (node, matching) in on_nodes {
        let name = node.name();
        let names = ev.pattern("network_name");
        let network = matching
            .iter()
            .find_map(|e| {
                names.captures(&e.message).and_then(|c| {
                    c.iter()
                        .skip(1)
                        .flatten()
                        .next()
                        .map(|m| m.as_str().to_string())
                })
            })
            .unwrap_or_else(|| "<network>".to_string());
        let fix = if network.starts_with('<') {
            ev.fix("check_network_cluster", &[("node", name)])
        } else {
            ev.fix(
                "check_named_network_cluster",
                &[("node", name), ("network", &network)],
            )
        };
        // On the local node, the HNS networks tell whether the network is back by now.
        let local = ev
            .model()
            .node_views()
            .into_iter()
            .find(|v| v.node_object().is_some_and(|n| n.name() == name));
        let exists_now = local
            .and_then(|v| v.raw.hns_networks.ready())
            .and_then(|nets| {
                nets.iter().find(|n| {
                    if network.starts_with('<') {
                        is_pod_network(n)
                    } else {
                        n.name.eq_ignore_ascii_case(&network)
                    }
                })
            });
        let last = matching
            .iter()
            .filter_map(|e| e.when())
            .max()
            .unwrap_or("an unknown time");
        let (status, message) = match exists_now {
            Some(n) => (
                Status::Warn,
                format!(
                    "{} sandbox event(s) on {name} said the HNS network was not found (last at {last}); network {} exists now, so pods created since get a network, but pods from that time may need to be recreated",
                    matching.len(),
                    n.name
                ),
            ),
            None => (
                Status::Fail,
                format!(
                    "{} sandbox event(s) on {name} say the HNS network was not found (last at {last}): pods there get no network",
                    matching.len()
                ),
            ),
        };
        let f = ev.emit(status, Subject::node(name), message);
        for e in matching.iter().rev().take(3) {
            f.evidence(Evidence::event(e.reference(), e.message.clone()));
        }
        f.with_fix(fix);
    }
    if hits == 0 {
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!(
                "checked {} warning events: none on the {} Windows node(s) about a missing HNS network",
                events.iter().filter(|e| e.is_warning()).count(),
                windows.len()
            ),
        );
    }
}

/// The HNS networks the node's components expect, each with where it was read and, when it comes
/// from a CNI configuration windoctor knows, that CNI's rules.
fn expected_networks<'a>(view: &NodeView<'a>) -> Vec<Expected> {
    let mut out: Vec<Expected> = Vec::new();
    for (f, c) in view.cni_configs() {
        if let Ok(c) = c {
            let rules = crate::model::layout::cni_rules(c);
            let wanted = match rules {
                Some(r) => NetworkMatch::of(r, c),
                None => c.name.clone().map(NetworkMatch::Name),
            };
            if let Some(wanted) = wanted {
                out.push(Expected {
                    wanted,
                    evidence: Evidence::file(
                        display_win_path(&f.path),
                        format!(
                            "\"name\": \"{}\", plugin types {}",
                            c.name.as_deref().unwrap_or(""),
                            c.plugin_types.join(", ")
                        ),
                    ),
                    rules,
                });
            }
        }
    }
    let mut named = |value: String, evidence: Evidence| {
        // Calico sets KUBE_NETWORK to a pattern (Calico.*) for felix (projectcalico/calico@87c15906f20c4ca1fda55af92295e7678b0cc0b2:
        // node/windows-packaging/CalicoWindows/config.ps1#L24; rancher/rke2@6ce1a8019e9d0b81eb7a715edbc2b8ac12d26da0:pkg/windows/calico.go#L180).
        let wanted = NetworkMatch::kube_network(&value);
        out.push(Expected {
            wanted,
            evidence,
            rules: None,
        });
    };
    if let Some((f, evidence)) = view.component(Kind::KubeProxy).flag("network-name") {
        if let Some(v) = f.value.clone().filter(|v| !v.is_empty()) {
            let mut e = evidence.clone();
            e.excerpt = f.written.clone();
            named(v, e);
        }
    }
    if let Some(v) = view.raw.env.ready().and_then(|env| env.get("KUBE_NETWORK")) {
        named(
            v.clone(),
            Evidence::new(
                crate::findings::EvidenceSource::Process,
                "machine environment KUBE_NETWORK",
                v.clone(),
            ),
        );
    }
    if let Some(s) = view.component(Kind::KubeProxy).service {
        if let Some(v) = s.nssm.as_ref().and_then(|n| {
            n.app_environment_extra
                .iter()
                .find_map(|l| l.strip_prefix("KUBE_NETWORK=").map(str::to_string))
        }) {
            named(
                v.clone(),
                Evidence::service(
                    format!("service {} AppEnvironmentExtra", s.name),
                    format!("KUBE_NETWORK={v}"),
                ),
            );
        }
    }
    // One entry per network: a pattern and a name it matches are the same network.
    let mut kept: Vec<Expected> = Vec::new();
    for e in out {
        let same = kept.iter_mut().find(|k| match (&k.wanted, &e.wanted) {
            (NetworkMatch::Name(a), NetworkMatch::Name(b)) => a.eq_ignore_ascii_case(b),
            (NetworkMatch::Pattern(_), NetworkMatch::Name(n)) => k.wanted.matches(n, ""),
            (NetworkMatch::Name(n), NetworkMatch::Pattern(_)) => e.wanted.matches(n, ""),
            (a, b) => a == b,
        });
        match same {
            Some(k) => {
                if k.rules.is_none() {
                    k.rules = e.rules;
                }
            }
            None => kept.push(e),
        }
    }
    kept
}

/// One HNS network the node's components expect.
struct Expected {
    wanted: NetworkMatch,
    evidence: Evidence,
    rules: Option<&'static crate::catalogue::data::CniRules>,
}

fn is_pod_network(n: &HnsNetwork) -> bool {
    matches!(
        n.type_.to_ascii_lowercase().as_str(),
        "l2bridge" | "overlay" | "l2tunnel" | "transparent"
    )
}

fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(networks) = ev.node_hns_networks(&view) else {
        return;
    };
    // The CNI configurations name the networks expected: with unreadable files, one could be missed.
    if ev.node_files(&view).is_none() {
        return;
    }
    let node = view.name();
    ev.part("network-missing");
    let expected = expected_networks(&view);
    let listed: Vec<String> = networks
        .iter()
        .map(|n| format!("{} ({})", n.name, n.type_))
        .collect();
    let listed = if listed.is_empty() {
        "none".to_string()
    } else {
        listed.join(", ")
    };
    let adapters = view.raw.adapters.ready();
    let physical = adapters
        .and_then(|a| {
            a.iter()
                .find(|x| !x.name.starts_with("vEthernet") && x.status.eq_ignore_ascii_case("up"))
        })
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "Ethernet".to_string());
    let mut judged: Vec<&HnsNetwork> = Vec::new();
    if expected.is_empty() {
        match networks.iter().find(|n| is_pod_network(n)) {
            Some(n) => judged.push(n),
            None => {
                let fix = ev.fix(
                    "recreate_network",
                    &[("node", &node), ("network", "cbr0"), ("adapter", &physical)],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!("{node} has no L2Bridge or Overlay HNS network for pods (networks: {listed}), and no CNI configuration names one"),
                )
                .evidence(Evidence::api("Get-HnsNetwork", listed.clone()))
                .with_fix(fix);
                return;
            }
        }
    }
    for e in &expected {
        match networks
            .iter()
            .find(|n| e.wanted.matches(&n.name, &n.type_))
        {
            Some(n) => judged.push(n),
            None => {
                let name = e.wanted.describe();
                // azure-vnet creates its network at the first pod's ADD: no pod, no network yet.
                if e.rules.is_some_and(|r| r.network_on_first_pod) {
                    let pods_with_network = view
                        .node_object()
                        .and_then(|n| {
                            view.model.ready_pods()?;
                            // The node's own pods, from the index: not a pass over every pod
                            // for each node.
                            Some(
                                view.model
                                    .pod_lookup()
                                    .on_node(n.name())
                                    .filter(|p| !p.spec.host_network && p.status.pod_ip.is_some())
                                    .count(),
                            )
                        });
                    if pods_with_network.unwrap_or(0) == 0 {
                        let rules = e.rules.map(|r| r.title.as_str()).unwrap_or_default();
                        ev.emit(
                            Status::Info,
                            Subject::new("HnsNetwork", name.clone()),
                            format!(
                                "{phrase} does not exist on {node} yet (Get-HnsNetwork shows: {listed}): {rules} creates it when the first pod gets a network, and {why}",
                                phrase = e.wanted.hns_phrase(),
                                why = match pods_with_network {
                                    Some(_) => "no pod on this node has a pod IP yet",
                                    None => "the pods of the node were not captured",
                                }
                            ),
                        )
                        .evidence(e.evidence.clone())
                        .evidence(Evidence::api("Get-HnsNetwork", listed.clone()));
                        continue;
                    }
                }
                // start.ps1 makes the network only on the documentation's layout; on a
                // distribution's node the CNI makes it.
                let layout = view
                    .layout()
                    .and_then(|d| d.layout())
                    .filter(|l| !l.start_script);
                let phrase = e.wanted.hns_phrase();
                let fix = match (layout, e.rules, e.wanted.single_name()) {
                    (Some(layout), Some(rules), _) => ev.fix(
                        "network_by_cni",
                        &[
                            ("node", &node),
                            ("network", &phrase),
                            ("layout", &layout.name),
                            ("cni", &rules.title),
                        ],
                    ),
                    (_, _, Some(single)) => ev.fix(
                        "recreate_network",
                        &[("node", &node), ("network", single), ("adapter", &physical)],
                    ),
                    // Found by a pattern or a type (no one name to look up) on a distribution's
                    // node: its CNI makes the network, as above, though which CNI is not known.
                    (Some(layout), None, None) => ev.fix(
                        "network_by_layout",
                        &[("node", &node), ("network", &phrase), ("layout", &layout.name)],
                    ),
                    // ... on a node of no known layout.
                    (None, _, None) => ev.fix("check_network_cluster", &[("node", &node)]),
                };
                ev.emit(
                    Status::Fail,
                    Subject::new("HnsNetwork", name.clone()),
                    format!(
                        "{phrase} does not exist on {node} (Get-HnsNetwork shows: {listed}): creating the virtual network failed, so kubelet finds no network adapter for pods"
                    ),
                )
                .evidence(e.evidence.clone())
                .evidence(Evidence::api("Get-HnsNetwork", listed.clone()))
                .with_fix(fix);
            }
        }
    }
    judged.dedup_by(|a, b| std::ptr::eq(*a, *b));
    let node_ip = view.node_ip();
    for n in judged {
        judge_network(
            ev,
            n,
            &node,
            adapters.map(Vec::as_slice),
            node_ip.as_ref(),
            &physical,
        );
    }
}

fn judge_network(
    ev: &mut Eval,
    n: &HnsNetwork,
    node: &str,
    adapters: Option<&[NetAdapter]>,
    node_ip: Option<&(IpAddr, Evidence)>,
    physical: &str,
) {
    let subject = || Subject::new("HnsNetwork", n.name.clone());
    let reference = format!("Get-HnsNetwork {}", n.name);
    let describe = format!(
        "Type={} ManagementIP={} NetworkAdapterName={} Subnets={}",
        n.type_,
        n.management_ip.as_deref().unwrap_or("(none)"),
        n.network_adapter_name.as_deref().unwrap_or("(none)"),
        n.subnets
            .iter()
            .map(|s| s.address_prefix.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut problems = 0;
    // Every problem of this network has the same remedy: recreate it on the right adapter.
    let recreate_fix = ev.fix(
        "recreate_network",
        &[("node", node), ("network", &n.name), ("adapter", physical)],
    );
    let adapter_name = n.network_adapter_name.clone().unwrap_or_default();
    if let Some(adapters) = adapters {
        let names: Vec<&str> = adapters.iter().map(|a| a.name.as_str()).collect();
        let v_adapters: Vec<&NetAdapter> = adapters
            .iter()
            .filter(|a| a.name.starts_with("vEthernet ("))
            .collect();
        if !adapter_name.is_empty()
            && !adapters
                .iter()
                .any(|a| a.name.eq_ignore_ascii_case(&adapter_name))
        {
            problems += 1;
            ev.part("adapter-mismatch");
            ev.emit(
                Status::Fail,
                subject(),
                format!(
                    "HNS network {} is bound to adapter {adapter_name:?}, which is not an adapter of {node} (adapters: {}): start.ps1's InterfaceName does not match the host adapter",
                    n.name,
                    names.join(", ")
                ),
            )
            .evidence(Evidence::api(reference.clone(), describe.clone()))
            .evidence(Evidence::api("Get-NetAdapter", names.join(", ")))
            .with_fix(recreate_fix.clone());
        }
        if is_pod_network(n) && v_adapters.is_empty() {
            problems += 1;
            ev.part("no-vethernet");
            ev.emit(
                Status::Fail,
                subject(),
                format!(
                    "{node} has no \"vEthernet (...)\" adapter for HNS network {}: the virtual switch kubelet needs was not created (adapters: {})",
                    n.name,
                    names.join(", ")
                ),
            )
            .evidence(Evidence::api("Get-NetAdapter", names.join(", ")))
            .evidence(Evidence::api(reference.clone(), describe.clone()))
            .with_fix(recreate_fix.clone());
        }
    }
    if is_pod_network(n) {
        ev.part("management-ip");
        match n.management_ip.as_deref().map(|s| (s, s.parse::<IpAddr>())) {
            Some((_, Ok(ip))) if crate::model::node::is_apipa(&ip) => {
                problems += 1;
                ev.emit(
                    Status::Fail,
                    subject(),
                    format!(
                        "HNS network {} has management IP {ip}, an APIPA address: it was created before {physical} had its real address, and flanneld and kube-proxy will use the wrong IP",
                        n.name
                    ),
                )
                .evidence(Evidence::api(reference.clone(), describe.clone()))
                .with_fix(recreate_fix.clone());
            }
            Some((_, Ok(ip))) => {
                if let Some((want, want_ev)) = node_ip {
                    if *want != ip && !crate::model::node::is_apipa(want) {
                        problems += 1;
                        ev.emit(
                            Status::Warn,
                            subject(),
                            format!(
                                "HNS network {} has management IP {ip}, but {node}'s address is {want}: the network sits on another adapter than the one the cluster knows",
                                n.name
                            ),
                        )
                        .evidence(Evidence::api(reference.clone(), describe.clone()))
                        .evidence(want_ev.clone());
                    }
                }
            }
            Some((raw, Err(_))) => {
                problems += 1;
                ev.emit(
                    Status::Warn,
                    subject(),
                    format!(
                        "HNS network {} has management IP {raw:?}, which is not an address",
                        n.name
                    ),
                )
                .evidence(Evidence::api(reference.clone(), describe.clone()));
            }
            None if n.type_.eq_ignore_ascii_case("overlay")
                || n.type_.eq_ignore_ascii_case("l2bridge") =>
            {
                problems += 1;
                ev.emit(
                    Status::Warn,
                    subject(),
                    format!(
                        "HNS network {} ({}) has no management IP yet: flanneld waits for it",
                        n.name, n.type_
                    ),
                )
                .evidence(Evidence::api(reference.clone(), describe.clone()));
            }
            None => {}
        }
    }
    if problems == 0 {
        ev.part("network-missing");
        let adapter = adapters
            .and_then(|a| a.iter().find(|x| x.name.starts_with("vEthernet (")))
            .map(|a| format!(", adapter {}", a.name))
            .unwrap_or_default();
        ev.emit(
            Status::Pass,
            subject(),
            format!(
                "HNS network {} ({}) exists on {node} with management IP {}{adapter}",
                n.name,
                n.type_,
                n.management_ip.as_deref().unwrap_or("(none)")
            ),
        )
        .evidence(Evidence::api(reference, describe));
    }
}
