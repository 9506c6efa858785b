//! Check `proxy-env`: the node's machine environment sets HTTP_PROXY / HTTPS_PROXY when the node
//! needs a proxy (image pulls timing out with no proxy set), and NO_PROXY then covers the cluster
//! CIDR, the service CIDR and the API server, which must not go through the proxy.
//! See checks/proxy-env.toml.

use super::Eval;
use crate::facts::cluster::same_host;
use crate::findings::{Evidence, Status, Subject};
use crate::model::netplan::Sourced;
use crate::model::node::NodeView;
use ipnet::IpNet;
use std::net::IpAddr;

pub fn run(ev: &mut Eval) {
    for view in ev.node_views() {
        run_on(ev, view);
    }
}

fn run_on<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    let Some(env) = ev.node_env(&view) else {
        return;
    };
    let node = view.name();
    let http = env.get("HTTP_PROXY").filter(|v| !v.trim().is_empty());
    let https = env.get("HTTPS_PROXY").filter(|v| !v.trim().is_empty());
    let no_proxy = env.get("NO_PROXY").cloned().unwrap_or_default();
    let env_ref = "machine environment ([EnvironmentVariableTarget]::Machine)";
    if http.is_none() && https.is_none() {
        ev.part("proxy-missing");
        let re = ev.pattern("pull_network_failure");
        let events = ev.events();
        let failures: Vec<_> = events
            .map(|es| {
                es.iter()
                    .filter(|e| re.is_match(&e.message))
                    .filter(|e| e.host().is_some_and(|h| same_host(h, &node)) || e.host().is_none())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(e) = failures.last() {
            let fix = ev.fix(
                "set_proxy",
                &[
                    ("node", &node),
                    ("no_proxy", &suggested_no_proxy(&view, &no_proxy)),
                ],
            );
            ev.emit(
                Status::Warn,
                Subject::node(node.clone()),
                format!(
                    "{} image pull/sandbox event(s) on {node} fail on the network and no HTTP_PROXY/HTTPS_PROXY is set in the machine environment: if this node is behind a proxy, kubelet and the container runtime need them",
                    failures.len()
                ),
            )
            .evidence(Evidence::event(e.reference(), e.message.clone()))
            .evidence(Evidence::process(env_ref, "HTTP_PROXY and HTTPS_PROXY not set"))
            .with_fix(fix);
        } else {
            ev.emit(
                Status::Pass,
                Subject::node(node),
                "no HTTP_PROXY/HTTPS_PROXY in the machine environment, and no image pull failing on the network suggests one is needed",
            )
            .evidence(Evidence::process(env_ref, "HTTP_PROXY and HTTPS_PROXY not set"));
        }
        return;
    }
    let shown = |k: &str, v: Option<&String>| {
        format!("{k}={}", v.map(String::as_str).unwrap_or("(not set)"))
    };
    let proxy_excerpt = format!(
        "{} {} NO_PROXY={no_proxy}",
        shown("HTTP_PROXY", http),
        shown("HTTPS_PROXY", https)
    );
    let mut problems = 0;
    if https.is_none() {
        problems += 1;
        ev.part("https-proxy-missing");
        let fix = ev.fix(
            "set_https_proxy",
            &[
                ("node", &node),
                ("proxy", http.map(String::as_str).unwrap_or("")),
            ],
        );
        ev.emit(
            Status::Warn,
            Subject::node(node.clone()),
            format!("{node} sets HTTP_PROXY but not HTTPS_PROXY: image registries and the API server are reached over HTTPS, which then bypasses the proxy"),
        )
        .evidence(Evidence::process(env_ref, proxy_excerpt.clone()))
        .with_fix(fix);
    }
    ev.part("no-proxy-incomplete");
    let entries: Vec<String> = no_proxy
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut missing: Vec<(String, String, Option<Evidence>)> = Vec::new();
    let cluster = view.cluster_cidr();
    let service = view.service_cidr();
    for (what, s) in [("cluster CIDR", &cluster), ("service CIDR", &service)] {
        if let Some(Sourced { net, evidence }) = s {
            if !covers_net(&entries, net) {
                missing.push((
                    format!("the {what} {net}"),
                    net.to_string(),
                    Some(evidence.clone()),
                ));
            }
        }
    }
    if service.is_none() {
        if let Some((ip, name)) = view.model.service_ips().into_iter().next() {
            if !covers_net(&entries, &IpNet::from(ip)) {
                missing.push((format!("Service {name} ({ip})"), ip.to_string(), None));
            }
        }
    }
    if let Some((host, evidence)) = view.api_server_host() {
        if !covers_host(&entries, &host) {
            missing.push((
                format!("the API server {host}"),
                host.clone(),
                Some(evidence),
            ));
        }
    }
    if !missing.is_empty() {
        problems += 1;
        let mut all = entries.clone();
        all.extend(missing.iter().map(|(_, e, _)| e.clone()));
        let fix = ev.fix(
            "set_no_proxy",
            &[("node", &node), ("no_proxy", &all.join(","))],
        );
        let f = ev.emit(
            Status::Warn,
            Subject::node(node.clone()),
            format!(
                "{node} has a proxy configured but NO_PROXY does not cover {}: that traffic goes to the proxy, which cannot reach cluster addresses",
                missing.iter().map(|(w, _, _)| w.as_str()).collect::<Vec<_>>().join(", ")
            ),
        );
        f.evidence(Evidence::process(env_ref, proxy_excerpt.clone()));
        for (_, _, e) in missing {
            if let Some(e) = e {
                f.evidence(e);
            }
        }
        f.with_fix(fix);
    }
    if problems == 0 {
        ev.emit(
            Status::Pass,
            Subject::node(node.clone()),
            format!("{node} sets HTTP_PROXY/HTTPS_PROXY in the machine environment and NO_PROXY covers the cluster addresses windoctor knows"),
        )
        .evidence(Evidence::process(env_ref, proxy_excerpt));
    }
}

fn suggested_no_proxy(view: &NodeView, current: &str) -> String {
    let mut v: Vec<String> = current
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for s in [view.cluster_cidr(), view.service_cidr()]
        .into_iter()
        .flatten()
    {
        v.push(s.net.to_string());
    }
    if let Some((host, _)) = view.api_server_host() {
        v.push(host);
    }
    v.push("localhost".into());
    v.push("127.0.0.1".into());
    v.push(".svc".into());
    v.push(".cluster.local".into());
    v.dedup();
    v.join(",")
}

fn covers_net(entries: &[String], target: &IpNet) -> bool {
    entries.iter().any(|e| {
        e == "*"
            || crate::model::netplan::as_net(e)
                .is_some_and(|n| crate::model::netplan::covers(&n, target))
    })
}

fn covers_host(entries: &[String], host: &str) -> bool {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return covers_net(entries, &IpNet::from(ip));
    }
    let h = host.to_ascii_lowercase();
    entries.iter().any(|e| {
        let e = e.to_ascii_lowercase();
        e == "*"
            || h == e.trim_start_matches('.')
            || h.ends_with(&format!(
                ".{}",
                e.trim_start_matches('.').trim_start_matches("*.")
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_matching() {
        let entries: Vec<String> = ["10.0.0.0/8", ".corp.example.com", "localhost"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(covers_net(&entries, &"10.244.0.0/16".parse().expect("net")));
        assert!(!covers_net(
            &entries,
            &"192.168.0.0/16".parse().expect("net")
        ));
        assert!(covers_host(&entries, "api.corp.example.com"));
        assert!(covers_host(&entries, "10.1.2.3"));
        assert!(!covers_host(&entries, "api.example.org"));
        assert_eq!(
            crate::model::node::url_host("https://10.0.0.5:6443").as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(
            crate::model::node::url_host("https://[fd00::1]:6443/").as_deref(),
            Some("fd00::1")
        );
    }
}
