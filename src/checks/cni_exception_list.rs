//! Check `cni-exception-list`: the OutBoundNAT exceptions of every CNI configuration on the node
//! (v1 `ExceptionList`, v2 `Settings.Exceptions`) cover what that CNI plugin needs excepted
//! (checks/data/layouts.toml `[[cni]]`: flannel overlay the cluster and service CIDRs, L2Bridge also
//! the management subnet, Calico and OVN hybrid overlay the service CIDR, azure-vnet the cluster
//! CIDR; for azure-vnet and L2Bridge a ROUTE/SDNRoute policy covers its prefix too; vpc-bridge and antrea keep no exceptions in
//! the file), hold no unreplaced placeholders and no over-broad ranges (except those the
//! distribution writes on purpose), and the file is strict JSON. See checks/cni-exception-list.toml.

use super::Eval;
use crate::facts::node::cni::{CniConfig, OutboundNat, PolicySchema};
use crate::facts::node::{display_win_path, NodeFile};
use crate::findings::{Evidence, Status, Subject};
use crate::model::netplan::Sourced;
use crate::model::node::NodeView;
use ipnet::IpNet;

pub fn run(ev: &mut Eval) {
    for view in ev.node_views() {
        run_on(ev, view);
    }
}

fn run_on<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(files) = ev.node_files(&view) else {
        return;
    };
    let node = view.name();
    let configs = view.cni_configs();
    if configs.is_empty() && !view.cni_dirs().iter().any(|d| files.covers(d)) {
        // Not captured: the reserved part for inputs that are not there.
        ev.part("input");
        ev.emit(
            Status::Skip,
            Subject::node(node),
            format!(
                "the CNI configuration directories ({}) were not captured ({} does not collect them)",
                view.cni_dirs().join(", "),
                files.captured_by.as_deref().unwrap_or("the collection")
            ),
        );
        return;
    }
    if configs.is_empty() {
        ev.part("no-cni-config");
        let dirs = view.cni_dirs().join(", ");
        let fix = ev.fix("no_config", &[("node", &node), ("dirs", &dirs)]);
        ev.emit(
            Status::Warn,
            Subject::node(node),
            format!("no CNI network configuration was found on the node (looked in {dirs}): pods get no network until one is written"),
        )
        .evidence(Evidence::file(dirs.clone(), "no *.conf, *.conflist or *.json file"))
        .with_fix(fix);
        return;
    }
    let cluster = view.cluster_cidr();
    let service = view.service_cidr();
    let service_ips = view.model.service_ips();
    let management: Option<Sourced> = view
        .management_subnet()
        .map(|(net, evidence)| Sourced { net, evidence })
        .or_else(|| {
            view.node_ip().map(|(ip, evidence)| Sourced {
                net: IpNet::from(ip),
                evidence,
            })
        });
    for (file, parsed) in configs {
        let path = display_win_path(&file.path);
        match parsed {
            Err(why) => {
                ev.part("config-unusable");
                let fix = ev.fix(
                    "edit_file",
                    &[("path", &path), ("node", &node), ("entries", "")],
                );
                ev.emit(
                    Status::Fail,
                    Subject::file(path.clone()),
                    format!("{path} is not a usable CNI configuration: {why}"),
                )
                .evidence(Evidence::file(path, excerpt(file)))
                .with_fix(fix);
            }
            Ok(conf) => judge(
                ev,
                file,
                conf,
                &node,
                cluster.as_ref(),
                service.as_ref(),
                &service_ips,
                management.as_ref(),
                view.layout().map(|l| l.id.as_str()),
            ),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    ev: &mut Eval,
    file: &NodeFile,
    conf: &CniConfig,
    node: &str,
    cluster: Option<&Sourced>,
    service: Option<&Sourced>,
    service_ips: &[(std::net::IpAddr, String)],
    management: Option<&Sourced>,
    view_layout: Option<&str>,
) {
    let path = display_win_path(&file.path);
    let subject = || Subject::file(path.clone());
    let existing: Vec<IpNet> = conf
        .outbound_nat
        .iter()
        .flat_map(|n| {
            n.exceptions
                .iter()
                .filter_map(|e| crate::model::netplan::as_net(e))
        })
        .collect();
    // The fix for a file that must be rewritten: the ExceptionList this cluster needs.
    let comment_fix = ev.fix(
        "edit_file",
        &[
            ("path", &path),
            ("node", node),
            (
                "entries",
                &quoted(&wanted_entries(
                    cluster,
                    service,
                    management,
                    &existing,
                    [true; 3],
                )),
            ),
        ],
    );
    ev.part("config-unusable");
    if conf.had_comments {
        ev.emit(
            Status::Fail,
            subject(),
            format!("{path} contains # or // comments (as in the FAQ's annotated ExceptionList): the CNI plugin reads strict JSON and fails on every pod sandbox"),
        )
        .evidence(Evidence::file(path.clone(), comment_line(&file.text)))
        .with_fix(comment_fix);
        return;
    }
    ev.part("no-outbound-nat");
    let rules = crate::model::layout::cni_rules(conf);
    if let Some(r) = rules.filter(|r| r.exceptions_by != "file") {
        let how = if r.exceptions_by == "endpoint" {
            "writes the OutBoundNAT exceptions on each pod's endpoint when the pod is created (from the configuration's VPC and service CIDRs), not in this file"
        } else {
            "translates outbound pod traffic itself, without an OutBoundNAT policy"
        };
        ev.emit(
            Status::Skip,
            subject(),
            format!("{path} is {}: the plugin {how}, so there is no exception list to check", r.title),
        );
        return;
    }
    if conf.outbound_nat.is_empty() && rules.is_some_and(|r| r.id == "azure-vnet") {
        // AKS' DisableWindowsOutboundNat writes no OutBoundNAT at all (Azure/AgentBaker@06836ee2301e362039418c3a7ed0fe6004a641fd:
        // staging/cse/windows/azurecnifunc.ps1#L61-L79).
        ev.emit(
            Status::Info,
            subject(),
            format!("{path} (azure-vnet) has no OutBoundNAT policy: the node pool was created with Windows outbound NAT disabled, so pods leave with their own VNet address"),
        )
        .evidence(Evidence::file(path.clone(), format!("plugins {}", conf.plugin_types.join(", "))));
        return;
    }
    // What this CNI needs excepted; an unknown plugin is judged as the documentation's flannel.
    let need = |what: &str, default: bool| rules.map(|r| r.needs(what)).unwrap_or(default);
    let node_address = management.map(|m| m.net);
    let cluster = cluster.filter(|_| need("cluster", true));
    let service = service.filter(|_| need("service", true));
    let management = management.filter(|_| need("management", true));
    let needed = [
        need("cluster", true),
        need("service", true),
        need("management", true),
    ];
    let routes: Vec<IpNet> = conf
        .routes
        .iter()
        .filter(|_| rules.is_some_and(|r| r.route_covers))
        .filter_map(|r| crate::model::netplan::as_net(&r.destination_prefix))
        .collect();
    // With azure-vnet the VNet range the node lives in is excepted on purpose (azurecnifunc.ps1
    // #L104-L147: ExceptionList = cluster CIDR + VNet CIDR), however broad.
    let node_network: Option<IpNet> =
        node_address.filter(|_| rules.is_some_and(|r| r.pods_in_node_network));
    let mut by_design: Vec<IpNet> = view_layout
        .map(|id| crate::catalogue::data::layouts().by_design(id))
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.parse::<IpNet>().ok())
        .collect();
    if let Some(own) = node_network {
        by_design.extend(
            existing
                .iter()
                .filter(|n| crate::model::netplan::covers(n, &own)),
        );
    }
    let wanted = wanted_entries(cluster, service, management, &existing, needed);
    let rewrite_fix = ev.fix(
        "edit_file",
        &[
            ("path", &path),
            ("node", node),
            ("entries", &quoted(&wanted)),
        ],
    );
    if conf.outbound_nat.is_empty() {
        ev.emit(
            Status::Warn,
            subject(),
            format!(
                "{path} (network {}) has no OutBoundNAT policy: traffic from pods to addresses outside the cluster is not SNATed to the node, so external hosts cannot answer",
                conf.name.as_deref().unwrap_or("?")
            ),
        )
        .evidence(Evidence::file(path.clone(), format!("plugins {}", conf.plugin_types.join(", "))))
        .with_fix(rewrite_fix);
        return;
    }
    let service_ips: &[(std::net::IpAddr, String)] = if needed[1] { service_ips } else { &[] };
    let context = Context {
        routes: &routes,
        by_design: &by_design,
        needed,
        cni: rules.map(|r| r.title.as_str()),
        node_network_unknown: node_address.is_none()
            && rules.is_some_and(|r| r.pods_in_node_network),
    };
    for nat in &conf.outbound_nat {
        judge_policy(
            ev,
            &path,
            nat,
            node,
            cluster,
            service,
            service_ips,
            management,
            &context,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn judge_policy(
    ev: &mut Eval,
    path: &str,
    nat: &OutboundNat,
    node: &str,
    cluster: Option<&Sourced>,
    service: Option<&Sourced>,
    service_ips: &[(std::net::IpAddr, String)],
    management: Option<&Sourced>,
    context: &Context,
) {
    let reference = format!("{path} {}", nat.location);
    let listed = format!("[{}]", quoted(&nat.exceptions));
    let mut nets: Vec<IpNet> = Vec::new();
    let mut placeholders: Vec<&str> = Vec::new();
    for e in &nat.exceptions {
        match crate::model::netplan::as_net(e) {
            Some(n) => nets.push(n),
            None => placeholders.push(e),
        }
    }
    let entries = quoted(&wanted_entries(
        cluster,
        service,
        management,
        &nets,
        context.needed,
    ));
    let schema = match nat.schema {
        PolicySchema::V1 => "v1",
        PolicySchema::V2 => "v2",
    };
    let fix_key = if nat.schema == PolicySchema::V1 {
        "set_exceptions_v1"
    } else {
        "set_exceptions_v2"
    };
    let subject = || Subject::file(path.to_string());
    let mut problems = 0;
    if !placeholders.is_empty() {
        problems += 1;
        ev.part("placeholder-exception");
        let fix = ev.fix(
            fix_key,
            &[("path", path), ("node", node), ("entries", &entries)],
        );
        ev.emit(
            Status::Fail,
            subject(),
            format!(
                "{path}: OutBoundNAT exceptions hold {} that {} not a CIDR (placeholder never replaced?): {}",
                placeholders.len(),
                if placeholders.len() == 1 { "is" } else { "are" },
                placeholders.join(", ")
            ),
        )
        .evidence(Evidence::file(reference.clone(), listed.clone()))
        .with_fix(fix);
    }
    // A ROUTE / SDNRoute policy sends its prefix through the overlay or the host, un-NATed, too.
    let covered = |target: &IpNet| {
        nets.iter()
            .chain(context.routes)
            .any(|n| crate::model::netplan::covers(n, target))
    };
    let mut missing: Vec<(String, Evidence)> = Vec::new();
    if let Some(c) = cluster {
        if !covered(&c.net) {
            missing.push((format!("the cluster CIDR {}", c.net), c.evidence.clone()));
        }
    }
    match service {
        Some(s) if !covered(&s.net) => {
            missing.push((format!("the service CIDR {}", s.net), s.evidence.clone()))
        }
        Some(_) => {}
        None => {
            if let Some((ip, name)) = service_ips
                .iter()
                .find(|(ip, _)| !covered(&IpNet::from(*ip)))
            {
                missing.push((
                    format!("the service network (Service {name} has ClusterIP {ip})"),
                    Evidence::api(format!("Service/{name} .spec.clusterIP"), ip.to_string()),
                ));
            }
        }
    }
    let mut warn_missing: Vec<(String, &Evidence)> = Vec::new();
    if let Some(m) = management {
        if !covered(&m.net) {
            warn_missing.push((format!("the management subnet {}", m.net), &m.evidence));
        }
    }
    if !missing.is_empty() {
        problems += 1;
        ev.part("cluster-range-not-excepted");
        let fix = ev.fix(
            fix_key,
            &[("path", path), ("node", node), ("entries", &entries)],
        );
        let what: Vec<String> = missing.iter().map(|(w, _)| w.clone()).collect();
        let f = ev.emit(
            Status::Fail,
            subject(),
            format!(
                "{path}: OutBoundNAT exceptions ({schema}) do not cover {}{}: pod traffic to it is NATed, which breaks the no-NAT rule of Kubernetes networking",
                what.join(" or "),
                context
                    .cni
                    .map(|c| format!(" (which {c} needs excepted)"))
                    .unwrap_or_default()
            ),
        );
        f.evidence(Evidence::file(reference.clone(), listed.clone()));
        for (_, e) in &missing {
            f.evidence(e.clone());
        }
        f.with_fix(fix);
    }
    if !warn_missing.is_empty() {
        problems += 1;
        ev.part("management-not-excepted");
        let fix = ev.fix(
            fix_key,
            &[("path", path), ("node", node), ("entries", &entries)],
        );
        let f = ev.emit(
            Status::Warn,
            subject(),
            format!(
                "{path}: OutBoundNAT exceptions ({schema}) do not cover {}: traffic from pods to the nodes' own network is NATed",
                warn_missing.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>().join(" or ")
            ),
        );
        f.evidence(Evidence::file(reference.clone(), listed.clone()));
        for (_, e) in &warn_missing {
            f.evidence((*e).clone());
        }
        f.with_fix(fix);
    }
    let broad: Vec<&IpNet> = nets
        .iter()
        .filter(|n| n.prefix_len() <= 8 && !context.by_design.contains(n))
        .collect();
    if !broad.is_empty() && context.node_network_unknown {
        // azure-vnet / vpc-bridge except the node's own VNet on purpose; without the node's
        // address it cannot be told whether this is that range.
        ev.part("over-broad-exception");
        ev.emit(
            Status::Info,
            subject(),
            format!(
                "{path}: OutBoundNAT exception {} is broad; with {} it may be the node's own virtual network, which is excepted on purpose, but the node's address is not known here to tell",
                broad.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
                context.cni.unwrap_or("this CNI")
            ),
        )
        .evidence(Evidence::file(reference.clone(), listed.clone()));
    } else if !broad.is_empty() {
        problems += 1;
        ev.part("over-broad-exception");
        let fix = ev.fix(
            fix_key,
            &[("path", path), ("node", node), ("entries", &entries)],
        );
        ev.emit(
            Status::Warn,
            subject(),
            format!(
                "{path}: OutBoundNAT exception {} is over-broad: pod traffic to every external address inside it leaves un-NATed and gets no answer (the FAQ's \"cannot reach external resources\")",
                broad.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
            ),
        )
        .evidence(Evidence::file(reference.clone(), listed.clone()))
        .with_fix(fix);
    }
    if problems == 0 {
        let mut covered_what = Vec::new();
        if let Some(c) = cluster {
            covered_what.push(format!("cluster {}", c.net));
        }
        if let Some(s) = service {
            covered_what.push(format!("service {}", s.net));
        } else if !service_ips.is_empty() {
            covered_what.push(format!("{} Service ClusterIPs", service_ips.len()));
        }
        if let Some(m) = management {
            covered_what.push(format!("management {}", m.net));
        }
        let message = if covered_what.is_empty() {
            format!("{path}: OutBoundNAT exceptions ({schema}) {listed} parse, but the cluster and service CIDRs are not known, so coverage was not checked")
        } else {
            format!(
                "{path}: OutBoundNAT exceptions ({schema}) {listed} cover {}",
                covered_what.join(", ")
            )
        };
        let status = if covered_what.is_empty() {
            Status::Info
        } else {
            Status::Pass
        };
        ev.part("cluster-range-not-excepted");
        ev.emit(status, subject(), message)
            .evidence(Evidence::file(reference, listed));
    }
}

/// What the CNI in use needs, for judging one OutBoundNAT policy.
struct Context<'a> {
    /// ROUTE / SDNRoute destination prefixes of the same configuration.
    routes: &'a [IpNet],
    /// Ranges the node's distribution excepts on purpose (never "over-broad" there).
    by_design: &'a [IpNet],
    /// Whether the cluster CIDR, the service CIDR and the management subnet must be excepted.
    needed: [bool; 3],
    /// The CNI's title, when windoctor knows the plugin.
    cni: Option<&'a str>,
    /// The CNI gives pods addresses of the node's network, and the node's address is not known.
    node_network_unknown: bool,
}

/// The entries a correct list holds, in the FAQ's order (cluster, service, management), then the
/// other valid entries already there; unknown CIDRs are named so the operator fills them in.
fn wanted_entries(
    cluster: Option<&Sourced>,
    service: Option<&Sourced>,
    management: Option<&Sourced>,
    existing: &[IpNet],
    needed: [bool; 3],
) -> Vec<String> {
    let mut wanted: Vec<String> = Vec::new();
    for ((s, unknown), needed) in [
        (cluster, "<cluster CIDR>"),
        (service, "<service CIDR>"),
        (management, "<management subnet>"),
    ]
    .into_iter()
    .zip(needed)
    {
        if !needed {
            continue;
        }
        match s {
            Some(s) => wanted.push(s.net.to_string()),
            None => {
                // Keep what the file has instead when it could be that range.
                if existing.is_empty() {
                    wanted.push(unknown.to_string());
                }
            }
        }
    }
    for n in existing {
        let s = n.to_string();
        if !wanted.contains(&s) && n.prefix_len() > 8 {
            wanted.push(s);
        }
    }
    if needed[0]
        && cluster.is_none()
        && !existing.is_empty()
        && existing.iter().all(|n| n.prefix_len() > 16)
    {
        wanted.insert(0, "<cluster CIDR>".to_string());
    }
    wanted
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn comment_line(text: &str) -> String {
    text.lines()
        .find(|l| l.contains('#') || l.contains("//"))
        .map(|l| l.trim().to_string())
        .unwrap_or_default()
}

fn excerpt(f: &NodeFile) -> String {
    crate::facts::node::logs::shorten(f.text.trim(), 300)
}
