//! Findings of image-os-match, one per workload and image, in the part of the problem
//! (`wrong-build`, `no-windows-variant`, `linux-image`), with a fix that retags the image where
//! the tag names its release.

use super::{Item, Problem};
use crate::checks::Eval;
use crate::facts::cluster::Workload;
use crate::facts::windows::{build_label, release_by_build, Release};
use crate::findings::{Status, Subject};
use std::collections::{BTreeMap, BTreeSet};

/// The image reference with its release tag segment replaced by the tag of `target`
/// (`...:4.8-windowsservercore-ltsc2019` -> `...:4.8-windowsservercore-ltsc2022`).
pub(super) fn retag(image: &str, from: &Release, target: &Release) -> Option<String> {
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    let colon = slash + image[slash..].find(':')?;
    let (repo, tag) = (&image[..colon], &image[colon + 1..]);
    let tag = tag.split('@').next()?;
    let mut out = String::new();
    let mut replaced = false;
    let mut start = 0;
    for segment in tag.split(['-', '_']) {
        let lower = segment.to_ascii_lowercase();
        if !replaced && from.tags.contains(&lower) {
            let same_style = target
                .tags
                .iter()
                .find(|t| t.starts_with("ltsc") == lower.starts_with("ltsc"))
                .or(target.tags.first())?;
            out.push_str(same_style);
            replaced = true;
        } else {
            out.push_str(segment);
        }
        start += segment.len();
        // The delimiter that follows this segment, if any.
        if let Some(delimiter) = tag[start..].chars().next() {
            out.push(delimiter);
            start += delimiter.len_utf8();
        }
    }
    replaced.then(|| format!("{repo}:{out}"))
}

pub(super) fn report(ev: &mut Eval, items: Vec<Item>) {
    let mut groups: BTreeMap<(String, Workload, String), Vec<Item>> = BTreeMap::new();
    for item in items {
        let image = item
            .pod
            .spec
            .all_containers()
            .find(|c| c.name == item.container)
            .map(|c| c.image.clone())
            .unwrap_or_default();
        groups
            .entry((item.pod.namespace().to_string(), item.pod.workload(), image))
            .or_default()
            .push(item);
    }
    for ((namespace, workload, image), group) in groups {
        let status = group
            .iter()
            .map(|i| i.status)
            .max_by_key(|s| s.row_rank())
            .unwrap_or(Status::Warn);
        let problem = group
            .iter()
            .map(|i| i.problem)
            .max()
            .unwrap_or(Problem::NoVariant);
        let nodes: BTreeSet<&str> = group.iter().map(|i| i.node.name()).collect();
        let builds: BTreeSet<u32> = group
            .iter()
            .filter_map(|i| i.node.windows_build())
            .collect();
        let node_list = nodes.iter().copied().collect::<Vec<_>>().join(", ");
        let build_list = builds
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join("/");
        let pods: BTreeSet<&str> = group.iter().map(|i| i.pod.name()).collect();
        let count = match pods.len() {
            1 => format!("pod {}", pods.iter().next().copied().unwrap_or_default()),
            n => format!("{n} pods"),
        };
        let reference = workload.reference();
        let caveat = group
            .iter()
            .find_map(|i| i.caveat.clone())
            .filter(|_| status == Status::Warn)
            .map(|c| format!("; {c}"))
            .unwrap_or_default();
        let message = match problem {
            Problem::WrongBuild(Some(image_build)) => format!(
                "{reference} in {namespace}: image {image} is built for {} but its pods run on build {build_list} node(s) {node_list} under process isolation ({count}){caveat}",
                describe(image_build)
            ),
            Problem::WrongBuild(None) => format!(
                "{reference} in {namespace}: the runtime reports that image {image} does not match the Windows build {build_list} of {node_list} ({count})"
            ),
            Problem::NoVariant => format!(
                "{reference} in {namespace}: image {image} has no windows/amd64 variant for build {build_list} on {node_list}: a Linux-only image, or a Windows image not published for this build ({count})"
            ),
            Problem::LinuxImage => format!(
                "{reference} in {namespace}: image {image} is a Linux image but its pods were scheduled on Windows node(s) {node_list} ({count})"
            ),
        };
        let fix = fix_for(ev, &namespace, &workload, &image, &group, problem);
        let subject = Subject::namespaced(workload.kind_title(), &namespace, &workload.name);
        ev.part(match problem {
            Problem::WrongBuild(_) => "wrong-build",
            Problem::NoVariant => "no-windows-variant",
            Problem::LinuxImage => "linux-image",
        });
        let finding = ev.emit(status, subject, message);
        let mut seen = BTreeSet::new();
        for item in &group {
            for e in &item.evidence {
                if seen.len() < 6 && seen.insert((e.reference.clone(), e.excerpt.clone())) {
                    finding.evidence(e.clone());
                }
            }
        }
        finding.with_fix(fix);
    }
}

fn describe(build: u32) -> String {
    match release_by_build(build) {
        Some(r) => format!("{} (build {build})", r.product),
        None => format!("build {build}"),
    }
}

fn fix_for(
    ev: &Eval,
    namespace: &str,
    workload: &Workload,
    image: &str,
    group: &[Item],
    problem: Problem,
) -> crate::findings::Fix {
    let reference = workload.reference();
    let node_build = group.iter().find_map(|i| i.node.windows_build());
    let node_build_text = node_build.map_or_else(|| "unknown".to_string(), |b| b.to_string());
    let node_release = node_build.and_then(release_by_build);
    let node_release_text = node_release.map_or_else(
        || format!("build {node_build_text}"),
        |r| r.product.to_string(),
    );
    let node_tag = node_release
        .and_then(|r| r.tags.first().map(String::as_str))
        .unwrap_or("ltsc2022");
    let container = group
        .first()
        .map(|i| i.container.clone())
        .unwrap_or_default();
    let base: Vec<(&str, &str)> = vec![
        ("namespace", namespace),
        ("workload", &reference),
        ("image", image),
        ("node_build", &node_build_text),
        ("node_release", &node_release_text),
        ("node_tag", node_tag),
        ("container", &container),
    ];
    if !workload.has_mutable_template() {
        return ev.fix("recreate", &base);
    }
    match problem {
        Problem::LinuxImage => ev.fix("linux_only", &base),
        Problem::NoVariant => ev.fix("no_variant", &base),
        Problem::WrongBuild(None) => ev.fix("rebuild", &base),
        Problem::WrongBuild(Some(image_build)) => {
            let image_release = release_by_build(image_build);
            let image_label = build_label(image_build);
            let image_release_text = describe(image_build);
            let suggested = match (image_release, node_release) {
                (Some(from), Some(to)) => retag(image, from, to),
                _ => None,
            };
            let mut vars = base.clone();
            vars.push(("image_build", &image_label));
            vars.push(("image_release", &image_release_text));
            match &suggested {
                Some(s) => {
                    vars.push(("suggested", s));
                    ev.fix("retag", &vars)
                }
                None => ev.fix("pin_build", &vars),
            }
        }
    }
}
