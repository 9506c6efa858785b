//! Check `port-forward-wincat`: `kubectl port-forward` to Windows pods needs Kubernetes 1.15+ on the
//! API server and the Windows kubelets, and a pause image that contains wincat (Microsoft pause 1.4.1+,
//! upstream pause 3.4+; the old `mcr.microsoft.com/k8s/core/pause` images lack it, custom images may).
//! Warning events and captured pod logs saying "wincat not found" are direct evidence. The cluster part
//! is here; the node part (the sandbox image the node is configured with) can be added as `node_part`.
//! See checks/port-forward-wincat.toml.

use super::Eval;
use crate::facts::k8s::Node;
use crate::facts::versions::{Runtime, Version};
use crate::findings::{Evidence, Status, Subject};
use crate::model::node::NodeView;

/// Port-forward to Windows pods arrived in Kubernetes 1.15 (seed 001 FAQ; `checks/data/thresholds.toml`).
fn min_kubernetes() -> Version {
    crate::facts::versions::threshold(&crate::catalogue::data::thresholds().port_forward_minimum)
}

pub fn run(ev: &mut Eval) {
    cluster_part(ev);
    node_part(ev);
}

/// What a pause image name says about wincat (the repositories and versions are data in
/// `checks/data/images.toml`).
#[derive(Debug, Clone, PartialEq)]
enum Wincat {
    Has,
    /// Lacks it, with the reason.
    Lacks(&'static str),
    /// A custom or unrecognised image: cannot tell.
    Unknown,
}

/// Repository and tag of an image reference (`host:5000/a/b:tag` -> (`host:5000/a/b`, `tag`)).
fn split_image(image: &str) -> (String, Option<&str>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_ascii_lowercase(), Some(tag)),
        _ => (without_digest.to_ascii_lowercase(), None),
    }
}

fn classify_pause(image: &str) -> Wincat {
    let (repo, tag) = split_image(image);
    let repo = repo.trim_start_matches("docker.io/");
    let Some(known) = crate::catalogue::data::images().pause(repo) else {
        return Wincat::Unknown;
    };
    if known.wincat == Some(false) {
        return Wincat::Lacks(&known.why);
    }
    let since = known.wincat_since.as_deref().and_then(crate::facts::versions::parse);
    match (tag.and_then(crate::facts::versions::parse), since) {
        (Some(v), Some(since)) if v >= since => Wincat::Has,
        (Some(_), Some(_)) => Wincat::Lacks(&known.why),
        _ => Wincat::Unknown,
    }
}

fn cluster_part(ev: &mut Eval) {
    let nodes = ev.nodes();
    let windows: Option<Vec<&Node>> = nodes.map(|n| n.iter().filter(|n| n.is_windows()).collect());
    if let Some(w) = &windows {
        if w.is_empty() {
            ev.not_applicable(format!(
                "no Windows nodes in the cluster ({} nodes): port-forward to Windows pods does not apply",
                nodes.map(Vec::len).unwrap_or(0)
            ));
            return;
        }
    }
    check_server_version(ev);
    if let Some(windows) = &windows {
        check_nodes(ev, windows);
    }
    check_events_and_logs(ev);
}

fn check_server_version(ev: &mut Eval) {
    ev.part("server-too-old");
    let Some(version) = ev.version() else { return };
    let shown = if version.git_version.is_empty() {
        format!("{}.{}", version.major, version.minor)
    } else {
        version.git_version.clone()
    };
    let Some(semver) = ev.server_semver() else {
        ev.emit(
            Status::Warn,
            Subject::cluster(),
            format!("the API server version {shown:?} cannot be read, so port-forward support cannot be judged"),
        );
        return;
    };
    let evidence = Evidence::api("GET /version gitVersion", &shown);
    if semver < min_kubernetes() {
        let fix = ev.fix("server_old", &[("version", &shown)]);
        ev.emit(
            Status::Fail,
            Subject::cluster(),
            format!("Kubernetes {shown} is older than 1.15: kubectl port-forward to Windows pods is not supported"),
        )
        .evidence(evidence)
        .with_fix(fix);
    } else {
        ev.emit(
            Status::Pass,
            Subject::cluster(),
            format!("Kubernetes {shown} supports port-forward to Windows pods (1.15 or later)"),
        )
        .evidence(evidence);
    }
}

fn check_nodes(ev: &mut Eval, windows: &[&Node]) {
    let mut fine = Vec::new();
    let mut no_pause_listed = Vec::new();
    for node in windows {
        let name = node.name();
        let kubelet = &node.status.node_info.kubelet_version;
        let mut node_ok = true;
        if let Some(v) = node.kubelet_semver() {
            if v < min_kubernetes() {
                node_ok = false;
                ev.part("kubelet-too-old");
                let fix = ev.fix("kubelet_old", &[("node", name), ("version", kubelet)]);
                ev.emit(
                    Status::Fail,
                    Subject::node(name),
                    format!("the kubelet on {name} is {kubelet}, older than 1.15: it cannot port-forward to Windows pods"),
                )
                .evidence(Evidence::api(
                    format!("Node/{name} .status.nodeInfo.kubeletVersion"),
                    kubelet,
                ))
                .with_fix(fix);
            }
        }
        ev.part("pause-without-wincat");
        let images = &node.status.images;
        if images.is_empty() {
            no_pause_listed.push(name.to_string());
            continue;
        }
        let verdicts: Vec<(&String, Wincat)> =
            images.iter().map(|i| (i, classify_pause(i))).collect();
        let listed = images.join(", ");
        let evidence = Evidence::api(format!("Node/{name} .status.images (pause)"), &listed);
        if verdicts.iter().any(|(_, w)| *w == Wincat::Has) {
            if node_ok {
                fine.push(name.to_string());
            }
            continue;
        }
        let lacking: Vec<(&String, &'static str)> = verdicts
            .iter()
            .filter_map(|(i, w)| match w {
                Wincat::Lacks(why) => Some((*i, *why)),
                _ => None,
            })
            .collect();
        let unknown: Vec<&String> = verdicts
            .iter()
            .filter(|(_, w)| *w == Wincat::Unknown)
            .map(|(i, _)| *i)
            .collect();
        if unknown.is_empty() {
            let why = lacking.first().map(|(_, w)| *w).unwrap_or_default();
            let docker =
                Runtime::parse(&node.status.node_info.container_runtime_version).name == "docker";
            let template = if docker {
                "pause_without_wincat_docker"
            } else {
                "pause_without_wincat"
            };
            let fix = ev.fix(template, &[("node", name), ("images", &listed)]);
            ev.emit(
                Status::Fail,
                Subject::node(name),
                format!("{name} has only pause images without wincat ({listed}; {why}): kubectl port-forward to its pods fails with \"wincat not found\""),
            )
            .evidence(evidence)
            .with_fix(fix);
        } else {
            let shown: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
            let shown = shown.join(", ");
            let fix = ev.fix(
                "pause_unknown",
                &[("node", name), ("images", &shown), ("image", unknown[0])],
            );
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} uses the custom pause image {shown}: windoctor cannot tell if it contains wincat, which kubectl port-forward needs"),
            )
            .evidence(evidence)
            .with_fix(fix);
        }
    }
    ev.part("pause-without-wincat");
    if !fine.is_empty() {
        let mut message = format!(
            "{} Windows node(s) have kubelet 1.15+ and a pause image with wincat: {}",
            fine.len(),
            fine.join(", ")
        );
        if !no_pause_listed.is_empty() {
            message.push_str(&format!(
                "; {} list no pause image in .status.images (the node part shows the sandbox image)",
                no_pause_listed.join(", ")
            ));
        }
        ev.emit(Status::Pass, Subject::cluster(), message);
    } else if !no_pause_listed.is_empty() {
        ev.emit(
            Status::Skip,
            Subject::cluster(),
            format!(
                "pause image not judged on {}: no pause image in .status.images (the kubelet lists only the largest images)",
                no_pause_listed.join(", ")
            ),
        );
    }
}

fn check_events_and_logs(ev: &mut Eval) {
    ev.part("wincat-not-found");
    let pattern = ev.pattern("wincat_not_found");
    let fix = ev.fix("wincat_seen", &[]);
    let mut seen = 0;
    if let Some(events) = ev.events() {
        for event in events.iter().filter(|e| e.type_ != "Normal") {
            if !pattern.is_match(&event.message) {
                continue;
            }
            seen += 1;
            let o = &event.involved_object;
            let subject = match &o.namespace {
                Some(ns) => Subject::namespaced(&o.kind, ns, &o.name),
                None => Subject::new(&o.kind, &o.name),
            };
            let when = event.when().map(|w| format!(" at {w}")).unwrap_or_default();
            ev.emit(
                Status::Fail,
                subject,
                format!(
                    "{} reported \"wincat not found\"{when}: port-forward into this pod fails",
                    event.reference()
                ),
            )
            .evidence(Evidence::event(event.reference(), excerpt(&event.message)))
            .with_fix(fix.clone());
        }
        if seen == 0 {
            ev.emit(
                Status::Pass,
                Subject::cluster(),
                format!(
                    "no \"wincat not found\" among {} Warning event(s)",
                    events.iter().filter(|e| e.type_ != "Normal").count()
                ),
            );
        }
    }
    for log in ev.pod_logs() {
        let Some(line) = log.text.lines().find(|l| pattern.is_match(l)) else {
            continue;
        };
        let reference = format!(
            "cluster/logs/{}/{}/{}.log",
            log.namespace, log.pod, log.container
        );
        ev.emit(
            Status::Fail,
            Subject::namespaced("Pod", &log.namespace, &log.pod),
            format!("the log of {}/{} (container {}) shows \"wincat not found\": kubectl port-forward failed for lack of wincat in the pause image", log.namespace, log.pod, log.container),
        )
        .evidence(Evidence::log(reference, excerpt(line)))
        .with_fix(fix.clone());
    }
}

fn excerpt(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() > 300 {
        format!("{}…", t.chars().take(300).collect::<String>())
    } else {
        t.to_string()
    }
}

/// Node part: the sandbox image the node is configured with contains wincat (pause 1.4.1 or later
/// from mcr.microsoft.com/oss, registry.k8s.io 3.x), and the node's kubelet log tail has no "wincat
/// not found".
fn node_part(ev: &mut Eval) {
    for view in ev.node_views() {
        node_part_of(ev, view);
    }
}

fn node_part_of<'a>(ev: &mut Eval<'a>, view: NodeView<'a>) {
    use crate::facts::node::logs::last_match;
    use crate::findings::Evidence;
    let Some(logs) = ev.node_logs(&view) else {
        return;
    };
    let node = view.name();
    ev.part("pause-without-wincat");
    let (settings, _) = view.sandbox_settings();
    let re = ev.pattern("wincat_not_found");
    let log_hit = logs
        .iter()
        .filter(|l| l.component == "kubelet" || l.component == "containerd")
        .find_map(|l| last_match(&l.text, re).map(|m| (l, m)));
    let mut problems = 0;
    for s in &settings {
        if let Wincat::Lacks(_) = classify_pause(&s.image) {
            problems += 1;
            let apply = view.sandbox_apply(s, "mcr.microsoft.com/oss/kubernetes/pause:3.6");
            let fix = ev.fix(
                "node_wincat_image",
                &[
                    ("node", &node),
                    ("setting", &s.setting),
                    ("image", &s.image),
                    ("apply", &apply),
                ],
            );
            let f = ev.emit(
                Status::Fail,
                Subject::node(node.clone()),
                format!(
                    "{} on {node} is {}, which has no wincat: kubectl port-forward to pods on this node fails with \"unable to do port forwarding: wincat not found\"",
                    s.setting, s.image
                ),
            );
            f.evidence(s.evidence.clone());
            if let Some((l, m)) = &log_hit {
                f.evidence(Evidence::log(
                    format!("{} line {}", l.path, m.number),
                    m.text.clone(),
                ));
            }
            f.with_fix(fix);
        }
    }
    if problems == 0 {
        if let Some((l, m)) = log_hit {
            ev.part("wincat-not-found");
            let apply = "Get-Content \"C:\\Program Files\\containerd\\config.toml\" | Select-String sandbox".to_string();
            let fix = ev.fix(
                "node_wincat_image",
                &[
                    ("node", &node),
                    ("setting", "the sandbox image"),
                    ("image", "the configured pause image"),
                    ("apply", &apply),
                ],
            );
            ev.emit(
                Status::Fail,
                Subject::node(node.clone()),
                format!("the kubelet log on {node} shows port-forward failing because wincat is missing from the sandbox image"),
            )
            .evidence(Evidence::log(format!("{} line {}", l.path, m.number), m.text))
            .with_fix(fix);
        } else if !settings.is_empty() {
            ev.part("pause-without-wincat");
            let mut list: Vec<String> = settings.iter().map(|s| s.image.clone()).collect();
            list.dedup_by(|a, b| crate::model::node::same_image(a, b));
            ev.emit(
                Status::Pass,
                Subject::node(node),
                format!("the sandbox image(s) configured on the node ({}) include wincat, and no kubelet log line reports it missing", list.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_images_by_origin_and_version() {
        assert_eq!(
            classify_pause("mcr.microsoft.com/oss/kubernetes/pause:1.4.1"),
            Wincat::Has
        );
        assert_eq!(
            classify_pause("mcr.microsoft.com/oss/kubernetes/pause:3.6-windows-ltsc2022-amd64"),
            Wincat::Has
        );
        assert!(matches!(
            classify_pause("mcr.microsoft.com/oss/kubernetes/pause:1.3.0"),
            Wincat::Lacks(_)
        ));
        assert!(matches!(
            classify_pause("mcr.microsoft.com/k8s/core/pause:1.2.0"),
            Wincat::Lacks(_)
        ));
        assert_eq!(classify_pause("registry.k8s.io/pause:3.10"), Wincat::Has);
        assert!(matches!(
            classify_pause("k8s.gcr.io/pause:3.2"),
            Wincat::Lacks(_)
        ));
        assert_eq!(
            classify_pause("docker.io/rancher/mirrored-pause:3.6"),
            Wincat::Has
        );
        // Built on the node by the old start.ps1 from a nanoserver that only pings (microsoft/SDN).
        assert!(matches!(
            classify_pause("kubeletwin/pause:latest"),
            Wincat::Lacks(_)
        ));
        assert_eq!(
            classify_pause("harbor.corp.example.com:5000/platform/pause:1.0"),
            Wincat::Unknown
        );
        // No tag at all: cannot tell the version.
        assert_eq!(classify_pause("registry.k8s.io/pause"), Wincat::Unknown);
    }

    #[test]
    fn image_references_split_with_registry_ports() {
        assert_eq!(
            split_image("host:5000/a/pause:3.9"),
            ("host:5000/a/pause".to_string(), Some("3.9"))
        );
        assert_eq!(
            split_image("host:5000/a/pause"),
            ("host:5000/a/pause".to_string(), None)
        );
        assert_eq!(
            split_image("registry.k8s.io/pause:3.9@sha256:abc"),
            ("registry.k8s.io/pause".to_string(), Some("3.9"))
        );
    }

    #[test]
    fn long_log_lines_are_cut() {
        let line = "x".repeat(400);
        assert_eq!(excerpt(&line).chars().count(), 301);
        assert_eq!(excerpt("  short  "), "short");
    }
    const CHECK_ID: &str = "port-forward-wincat";

    /// Runs the whole check on a tiny in-memory bundle, as the catalogue examples do.
    fn run_check(files: &[(&str, &str)]) -> Vec<crate::findings::Finding> {
        crate::checks::testing::run_on_files(CHECK_ID, files)
    }

    fn with_status(findings: &[crate::findings::Finding], status: Status) -> Vec<&str> {
        crate::checks::testing::messages_with_status(findings, status)
    }

    const VERSION: &str = r#"{"major":"1","minor":"28","gitVersion":"v1.28.9"}"#;

    #[test]
    fn a_stale_old_pause_next_to_a_good_one_passes_and_unknowns_warn() {
        let nodes = "items:\n- metadata: {name: a, labels: {kubernetes.io/os: windows}}\n  status: {nodeInfo: {kubeletVersion: v1.28.9}, images: [{names: ['mcr.microsoft.com/k8s/core/pause:1.2.0']}, {names: ['registry.k8s.io/pause:3.9']}]}\n- metadata: {name: b, labels: {kubernetes.io/os: windows}}\n  status: {nodeInfo: {kubeletVersion: v1.28.9}, images: [{names: ['mcr.microsoft.com/k8s/core/pause:1.2.0']}, {names: ['harbor.corp.example.com:5000/platform/pause:1.0']}]}\n- metadata: {name: c, labels: {kubernetes.io/os: windows}}\n  status: {nodeInfo: {kubeletVersion: v1.28.9}}\n";
        let f = run_check(&[
            ("cluster/version.json", VERSION),
            ("cluster/nodes.yaml", nodes),
            ("cluster/events.yaml", "items: []"),
        ]);
        assert!(with_status(&f, Status::Fail).is_empty(), "{f:?}");
        let warns = with_status(&f, Status::Warn);
        assert_eq!(warns.len(), 1);
        assert!(warns[0].contains("harbor.corp.example.com:5000/platform/pause:1.0"));
        assert!(with_status(&f, Status::Pass)
            .iter()
            .any(|m| m.contains("1 Windows node(s)") && m.contains("c list no pause image")));
    }

    #[test]
    fn warning_events_with_wincat_wording_fail() {
        let events = "items:\n- metadata: {name: e1, namespace: default}\n  involvedObject: {kind: Pod, namespace: default, name: iis-0}\n  type: Warning\n  reason: FailedPortForward\n  message: 'error forwarding port 80 to pod 1a2b, uid : exec: \"wincat.exe\": executable file not found in %PATH%'\n- metadata: {name: e2, namespace: default}\n  involvedObject: {kind: Pod, namespace: default, name: iis-1}\n  type: Normal\n  reason: Pulled\n  message: 'wincat not found (normal events are ignored)'\n";
        let f = run_check(&[
            ("cluster/version.json", VERSION),
            ("cluster/events.yaml", events),
        ]);
        let fails = with_status(&f, Status::Fail);
        assert_eq!(fails.len(), 1, "{fails:?}");
        assert!(fails[0].contains("Pod/default/iis-0"));
    }
}
