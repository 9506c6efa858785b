//! Check `port-forward-wincat`: see checks/port-forward-wincat.toml for what it finds and why. (Not implemented yet.)

use super::Eval;
use crate::findings::{Status, Subject};

pub fn run(ev: &mut Eval) {
    ev.emit(Status::Skip, Subject::cluster(), "not implemented yet");
    node_part(ev);
}

/// Node part: the sandbox image the node is configured with contains wincat (pause 1.4.1 or later
/// from mcr.microsoft.com/oss, registry.k8s.io 3.x), and the node's kubelet log tail has no "wincat
/// not found".
fn node_part(ev: &mut Eval) {
    use super::node_view;
    use crate::facts::node::logs::last_match;
    use crate::facts::versions::Semver;
    use crate::findings::Evidence;
    let Some(logs) = ev.node_logs() else { return };
    let facts = ev.facts;
    let node = node_view::local_name(facts);
    let (settings, _) = node_view::sandbox_settings(facts);
    let re = ev.pattern("wincat_not_found");
    let log_hit = logs
        .iter()
        .filter(|l| l.component == "kubelet" || l.component == "containerd")
        .find_map(|l| last_match(&l.text, re).map(|m| (l, m)));
    let mut problems = 0;
    for s in &settings {
        let image = s.image.to_ascii_lowercase();
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        let version = Semver::parse(tag);
        let without_wincat = image.contains("kubeletwin/pause")
            || image.contains("k8s/core/pause")
            || (image.contains("oss/kubernetes/pause")
                && version.is_some_and(|v| v < Semver::new(1, 4, 1)));
        if without_wincat {
            problems += 1;
            let apply =
                node_view::sandbox_apply(facts, s, "mcr.microsoft.com/oss/kubernetes/pause:3.6");
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
            let mut list: Vec<String> = settings.iter().map(|s| s.image.clone()).collect();
            list.dedup_by(|a, b| node_view::same_image(a, b));
            ev.emit(
                Status::Pass,
                Subject::node(node),
                format!("the sandbox image(s) configured on the node ({}) include wincat, and no kubelet log line reports it missing", list.join(", ")),
            );
        }
    }
}
