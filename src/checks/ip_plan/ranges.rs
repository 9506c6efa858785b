//! Parts `sources-disagree`, `ranges-overlap` and `dns-ip-outside` of ip-plan: the service and
//! cluster subnets the sources give, whether they overlap, and whether the DNS Service's address
//! lies in the service subnet.

use crate::checks::Eval;
use crate::facts::k8s::Service;
use crate::facts::network::{self, overlaps};
use crate::findings::{Evidence, Status, Subject};
use crate::model::netplan::{disagrees, Found};
use ipnet::IpNet;
use std::net::IpAddr;

pub(super) fn report_disagreement(ev: &mut Eval, what: &str, found: &[Found]) {
    ev.part("sources-disagree");
    let Some(first) = found.first() else { return };
    for other in &found[1..] {
        if !disagrees(first, other) {
            continue;
        }
        let (chosen, other_shown) = (first.shown(), other.shown());
        let fix = ev.fix(
            "disagree",
            &[
                ("what", what),
                ("chosen", &chosen),
                ("chosen_source", &first.source),
                ("other", &other_shown),
                ("other_source", &other.source),
            ],
        );
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!(
                "the sources disagree on the {what}: {chosen} in {} but {other_shown} in {}",
                first.source, other.source
            ),
        )
        .evidence(first.evidence())
        .evidence(other.evidence())
        .with_fix(fix);
    }
}

/// Fails when the two ranges overlap; true when they do not.
pub(super) fn check_overlap(ev: &mut Eval, service: &Found, cluster: &Found) -> bool {
    let clash = service
        .nets
        .iter()
        .flat_map(|s| cluster.nets.iter().map(move |c| (s, c)))
        .find(|(s, c)| overlaps(s, c));
    let Some((s, c)) = clash else { return true };
    let (s, c) = (s.to_string(), c.to_string());
    ev.part("ranges-overlap");
    let fix = ev.fix("overlap", &[("service", &s), ("cluster", &c)]);
    ev.emit(
        Status::Fail,
        Subject::cluster(),
        format!("the service subnet {s} and the cluster subnet {c} overlap: Service IPs and pod IPs can collide"),
    )
    .evidence(service.evidence())
    .evidence(cluster.evidence())
    .with_fix(fix);
    false
}

/// The conventional DNS address of a service range: its tenth address (10.96.0.0/12 -> 10.96.0.10).
pub(super) fn tenth_address(net: &IpNet) -> Option<IpAddr> {
    match net {
        IpNet::V4(n) => {
            let base = u32::from(n.network());
            base.checked_add(10)
                .map(|a| IpAddr::from(std::net::Ipv4Addr::from(a)))
        }
        IpNet::V6(n) => {
            let base = u128::from(n.network());
            base.checked_add(10)
                .map(|a| IpAddr::from(std::net::Ipv6Addr::from(a)))
        }
    }
    .filter(|a| net.contains(a))
}

pub(super) fn check_dns_ip(ev: &mut Eval, service: &Found, services: &[Service]) -> Option<String> {
    ev.part("dns-ip-outside");
    let dns = network::dns_service(services)?;
    let ip: IpAddr = dns.spec.cluster_ip.as_deref()?.trim().parse().ok()?;
    let dns_ref = format!("{}/{}", dns.namespace(), dns.name());
    let same_family: Vec<&IpNet> = service
        .nets
        .iter()
        .filter(|n| n.network().is_ipv4() == ip.is_ipv4())
        .collect();
    if same_family.is_empty() || same_family.iter().any(|n| n.contains(&ip)) {
        return same_family
            .first()
            .map(|n| format!("DNS Service {dns_ref} IP {ip} is inside {n}"));
    }
    let range = same_family[0];
    let suggested = tenth_address(range)
        .map(|a| a.to_string())
        .unwrap_or_else(|| range.network().to_string());
    let (range_text, ip_text) = (range.to_string(), ip.to_string());
    let fix = ev.fix(
        "dns_outside",
        &[
            ("dns_service", &dns_ref),
            ("dns_name", dns.name()),
            ("dns_ip", &ip_text),
            ("service", &range_text),
            ("suggested", &suggested),
        ],
    );
    ev.emit(
        Status::Fail,
        Subject::namespaced("Service", dns.namespace(), dns.name()),
        format!("the DNS Service {dns_ref} IP {ip} is outside the service subnet {range}: the API server would not allocate it and kube-proxy does not serve it"),
    )
    .evidence(Evidence::api(format!("Service/{dns_ref} .spec.clusterIP"), &ip_text))
    .evidence(service.evidence())
    .with_fix(fix);
    None
}
