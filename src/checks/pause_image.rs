//! Check `pause-image`: see checks/pause-image.toml for what it finds and why. (Not implemented yet.)

use super::Eval;
use crate::findings::{Status, Subject};

pub fn run(ev: &mut Eval) {
    ev.emit(Status::Skip, Subject::cluster(), "not implemented yet");
    node_part(ev);
}

/// Node part: the sandbox image the node is configured with (kubelet `--pod-infra-container-image`,
/// containerd `sandbox_image` in any config layout) targets the node's own Windows build, and the
/// two settings agree.
fn node_part(ev: &mut Eval) {
    use super::node_view;
    use crate::facts::windows::image_release;
    use crate::findings::Evidence;
    let Some(_files) = ev.node_files() else {
        return;
    };
    let facts = ev.facts;
    let node = node_view::local_name(facts);
    let (settings, broken) = node_view::sandbox_settings(facts);
    let config_broken = broken.is_some();
    if let Some((path, why)) = broken {
        let fix = ev.fix(
            "node_fix_containerd_config",
            &[("node", &node), ("path", &path)],
        );
        ev.emit(
            Status::Fail,
            Subject::file(path.clone()),
            format!("containerd's {path} on {node} cannot be read by containerd: {why}"),
        )
        .evidence(Evidence::file(path, why))
        .with_fix(fix);
    }
    if settings.is_empty() && !config_broken {
        ev.emit(
            Status::Info,
            Subject::node(node.clone()),
            format!("{node} sets no sandbox image (no kubelet --pod-infra-container-image, no containerd sandbox_image): containerd's built-in default is used"),
        );
        return;
    }
    if settings.is_empty() {
        return;
    }
    let build = node_view::local_build(facts);
    let mut problems = 0;
    for s in &settings {
        if let (Some(release), Some((b, build_ev))) = (image_release(&s.image), &build) {
            if release.build != *b {
                problems += 1;
                let target = crate::facts::windows::release_by_build(*b)
                    .and_then(|r| r.tags.first())
                    .map(|t| format!("mcr.microsoft.com/oss/kubernetes/pause:3.6 (multi-arch) or a {t} build"))
                    .unwrap_or_else(|| "mcr.microsoft.com/oss/kubernetes/pause:3.6 (multi-arch)".to_string());
                let apply = node_view::sandbox_apply(
                    facts,
                    s,
                    "mcr.microsoft.com/oss/kubernetes/pause:3.6",
                );
                let fix = ev.fix(
                    "node_set_sandbox_image",
                    &[
                        ("node", &node),
                        ("setting", &s.setting),
                        ("image", &target),
                        ("apply", &apply),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(node.clone()),
                    format!(
                        "{} on {node} is {}, built for {} (build {}), but the node runs build {b}: every pod sandbox fails with an OS mismatch and pods stay in ContainerCreating",
                        s.setting, s.image, release.product, release.build
                    ),
                )
                .evidence(s.evidence.clone())
                .evidence(build_ev.clone())
                .with_fix(fix);
            }
        }
    }
    if let [a, b] = settings.as_slice() {
        if !node_view::same_image(&a.image, &b.image) {
            problems += 1;
            let apply = node_view::kubelet_flag_command(
                facts,
                &format!("--pod-infra-container-image={}", b.image),
            );
            let fix = ev.fix(
                "node_align_sandbox_image",
                &[
                    ("node", &node),
                    ("image", &b.image),
                    ("kubelet_image", &a.image),
                    ("apply", &apply),
                ],
            );
            ev.emit(
                Status::Warn,
                Subject::node(node.clone()),
                format!(
                    "the sandbox image settings on {node} disagree: {} is {} but {} is {}; containerd creates sandboxes from its own setting, and the kubelet only keeps its image from garbage collection",
                    a.setting, a.image, b.setting, b.image
                ),
            )
            .evidence(a.evidence.clone())
            .evidence(b.evidence.clone())
            .with_fix(fix);
        }
    }
    if problems == 0 {
        let list: Vec<String> = settings
            .iter()
            .map(|s| format!("{} = {}", s.setting, s.image))
            .collect();
        let build_text = build
            .as_ref()
            .map(|(b, _)| format!(" (node build {b})"))
            .unwrap_or_default();
        let f = ev.emit(
            Status::Pass,
            Subject::node(node.clone()),
            format!("sandbox image on {node}: {}{build_text}; the settings agree and name no other Windows build", list.join(", ")),
        );
        for s in settings {
            f.evidence(s.evidence);
        }
    }
}
