//! The problems of one pod's images: the release each tag names against the node's build under
//! the pod's isolation, and what the runtime said (container states and Warning events).

use super::{Isolation, Item, Problem};
use crate::checks::Eval;
use crate::facts::cluster::is_windows_image_name;
use crate::facts::k8s::{Event, Node, Pod};
use crate::facts::windows::image_release;
use crate::findings::{Evidence, Status};
use std::collections::BTreeMap;

pub(super) struct PodFindings<'a> {
    pub(super) items: Vec<Item<'a>>,
    pub(super) judged: usize,
    pub(super) unjudged: Vec<&'a str>,
}

pub(super) fn examine_pod<'a>(
    ev: &Eval,
    pod: &'a Pod,
    node: &'a Node,
    isolation: &Isolation,
    events: &[&Event],
    on_linux: &BTreeMap<&str, Evidence>,
) -> PodFindings<'a> {
    let build = node.windows_build();
    let name = node.name();
    // Evidence is written only for an image with a problem (most have none).
    let kernel_evidence = || {
        Evidence::api(
            format!("Node/{name} .status.nodeInfo.kernelVersion"),
            node.status.node_info.kernel_version.clone(),
        )
    };
    let host_process = pod.spec.host_process();
    let mut out = PodFindings {
        items: Vec::new(),
        judged: 0,
        unjudged: Vec::new(),
    };
    // Runtime messages per image: from events and from waiting container states.
    let mut said: BTreeMap<String, (Problem, Vec<Evidence>)> = BTreeMap::new();
    let single_image = (pod.spec.all_containers().count() == 1)
        .then(|| pod.spec.all_containers().next().map(|c| c.image.clone()))
        .flatten();
    let mut note = |image: Option<String>, problem: Problem, evidence: Evidence| {
        let Some(image) = image.or_else(|| single_image.clone()) else {
            return;
        };
        let entry = said.entry(image).or_insert((problem, Vec::new()));
        entry.0 = entry.0.max(problem);
        if entry.1.len() < 3 {
            entry.1.push(evidence);
        }
    };
    for event in events {
        if let Some(problem) = runtime_problem(ev, &event.message) {
            note(
                image_named(ev, &event.message),
                problem,
                Evidence::event(event.reference(), event.excerpt()),
            );
        }
    }
    for (status, waiting) in pod.waiting_containers() {
        let message = waiting.message.as_deref().unwrap_or("");
        if let Some(problem) = runtime_problem(ev, message) {
            let image = pod
                .spec
                .all_containers()
                .find(|c| c.name == status.name)
                .map(|c| c.image.clone())
                .or_else(|| image_named(ev, message));
            note(
                image,
                problem,
                Evidence::api(
                    format!(
                        "Pod/{}/{} .status.containerStatuses[{}].state.waiting",
                        pod.namespace(),
                        pod.name(),
                        status.name
                    ),
                    format!(
                        "{}: {}",
                        waiting.reason.as_deref().unwrap_or(""),
                        crate::facts::cluster::clip(message, 400)
                    ),
                ),
            );
        }
    }

    for container in pod.spec.all_containers() {
        let image = container.image.as_str();
        let release = image_release(image);
        let runtime = said.remove(image);
        // What the tag says, under the pod's isolation. HostProcess containers run on the host
        // itself, outside any container OS, so the build rule does not bind them.
        let tag_problem = match (release, build) {
            _ if host_process => None,
            (Some(r), Some(b)) => {
                out.judged += 1;
                let tolerated = r.build == b || (*isolation == Isolation::HyperV && r.build < b);
                (!tolerated).then_some(r)
            }
            _ => {
                if release.is_none() {
                    out.unjudged.push(image);
                }
                None
            }
        };
        let running = pod
            .status
            .container_statuses
            .iter()
            .chain(pod.status.init_container_statuses.iter())
            .any(|s| s.name == container.name && s.state.running.is_some() && s.ready);
        let list = if pod
            .spec
            .init_containers
            .iter()
            .any(|c| c.name == container.name)
        {
            "initContainers"
        } else {
            "containers"
        };
        let spec_evidence = || {
            Evidence::api(
                format!(
                    "Pod/{}/{} .spec.{list}[{}].image",
                    pod.namespace(),
                    pod.name(),
                    container.name
                ),
                image,
            )
        };
        match (tag_problem, runtime) {
            (_, Some((problem, evidence))) => {
                // The runtime itself refused the image: that settles it.
                let problem = match (problem, release) {
                    (Problem::LinuxImage, _) => Problem::LinuxImage,
                    (_, Some(r)) => Problem::WrongBuild(Some(r.build)),
                    (Problem::NoVariant, None) if is_windows_image_name(image) => {
                        Problem::WrongBuild(None)
                    }
                    // The same image runs on a Linux node: it is a Linux image.
                    (Problem::NoVariant, None) if on_linux.contains_key(image) => {
                        Problem::LinuxImage
                    }
                    (p, None) => p,
                };
                let mut all = vec![spec_evidence(), kernel_evidence()];
                all.extend(evidence);
                if problem == Problem::LinuxImage {
                    all.extend(on_linux.get(image).cloned());
                }
                out.items.push(Item {
                    pod,
                    node,
                    container: container.name.clone(),
                    problem,
                    status: Status::Fail,
                    caveat: None,
                    evidence: all,
                });
            }
            (Some(r), None) => {
                let caveat = match isolation {
                    Isolation::Unknown(why) => Some(why.clone()),
                    _ if running => Some(
                        "yet the container is running, so the tag may not tell the image's real build; check the image's os.version"
                            .to_string(),
                    ),
                    _ => None,
                };
                let mut evidence = vec![spec_evidence(), kernel_evidence()];
                if let Some(s) = pod
                    .status
                    .container_statuses
                    .iter()
                    .find(|s| s.name == container.name)
                {
                    evidence.push(Evidence::api(
                        format!(
                            "Pod/{}/{} .status.containerStatuses[{}]",
                            pod.namespace(),
                            pod.name(),
                            container.name
                        ),
                        format!(
                            "ready={} restartCount={} {}",
                            s.ready,
                            s.restart_count,
                            pod.state_summary()
                        ),
                    ));
                }
                out.items.push(Item {
                    pod,
                    node,
                    container: container.name.clone(),
                    problem: Problem::WrongBuild(Some(r.build)),
                    status: if caveat.is_some() {
                        Status::Warn
                    } else {
                        Status::Fail
                    },
                    caveat,
                    evidence,
                });
            }
            (None, None) => {}
        }
    }
    out
}

/// The problem a runtime message states, if it states one.
fn runtime_problem(ev: &Eval, message: &str) -> Option<Problem> {
    if ev.pattern("linux_image").is_match(message) {
        Some(Problem::LinuxImage)
    } else if ev.pattern("os_mismatch").is_match(message) {
        Some(Problem::WrongBuild(None))
    } else if ev.pattern("no_manifest").is_match(message) {
        Some(Problem::NoVariant)
    } else {
        None
    }
}

fn image_named(ev: &Eval, message: &str) -> Option<String> {
    ev.pattern("image_reference")
        .captures(message)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}
