//! Check `windows-version`: see checks/windows-version.toml for what it finds and why. (Not implemented yet.)

use super::Eval;
use crate::findings::{Status, Subject};

pub fn run(ev: &mut Eval) {
    ev.emit(Status::Skip, Subject::cluster(), "not implemented yet");
    node_part(ev);
}

/// Node part: the machine's own Windows build (from the OS, not the Node object) is a server build
/// the kubelet version supports, and it matches what the Node object and its windows-build label say.
fn node_part(ev: &mut Eval) {
    use super::node_view;
    use crate::facts::cluster::BUILD_LABEL;
    use crate::facts::windows::{build_label, release_by_build, supported_builds};
    use crate::findings::Evidence;
    let Some(info) = ev.node_info() else { return };
    let facts = ev.facts;
    let node = node_view::local_name(facts);
    let Some(build) = info.build else {
        ev.emit(
            Status::Skip,
            Subject::node(node),
            "the node part records no OS build (node.json has no os.build): the machine's Windows version is not known",
        );
        return;
    };
    let shown = match info.ubr {
        Some(u) => format!("10.0.{build}.{u}"),
        None => format!("10.0.{build}"),
    };
    let caption = info.os_caption.clone().unwrap_or_default();
    let os_ev = Evidence::api(
        "Win32_OperatingSystem",
        format!("{caption} {shown}").trim().to_string(),
    );
    let product = release_by_build(build)
        .map(|r| r.product.to_string())
        .unwrap_or_else(|| format!("build {build}"));
    let mut problems = 0;
    if !caption.is_empty() && !caption.to_ascii_lowercase().contains("server") {
        problems += 1;
        let fix = ev.fix("node_server_os", &[("node", &node), ("caption", &caption)]);
        ev.emit(
            Status::Fail,
            Subject::node(node.clone()),
            format!("{node} runs {caption}, a client edition: Windows worker nodes must run Windows Server"),
        )
        .evidence(os_ev.clone())
        .with_fix(fix);
    }
    let node_obj = node_view::local_node(facts);
    if let Some(n) = node_obj {
        let name = n.name().to_string();
        if let Some(reported) = n.windows_build() {
            if reported != build {
                problems += 1;
                let fix = ev.fix("node_reregister", &[("node", &name)]);
                ev.emit(
                    Status::Warn,
                    Subject::node(name.clone()),
                    format!(
                        "the machine runs build {build} but Node {name} reports kernelVersion {}: the kubelet has not re-registered since the OS changed, or this machine is not that Node (pass --node)",
                        n.status.node_info.kernel_version
                    ),
                )
                .evidence(os_ev.clone())
                .evidence(Evidence::api(format!("Node/{name} .status.nodeInfo.kernelVersion"), n.status.node_info.kernel_version.clone()))
                .with_fix(fix);
            }
        }
        if let Some(label) = n.metadata.labels.get(BUILD_LABEL) {
            if crate::facts::windows::build_of(label) != Some(build) {
                problems += 1;
                let fix = ev.fix(
                    "node_relabel",
                    &[("node", &name), ("label", &build_label(build))],
                );
                ev.emit(
                    Status::Warn,
                    Subject::node(name.clone()),
                    format!("Node {name} is labelled {BUILD_LABEL}={label} but the machine runs build {build}: pods selecting by that label land on the wrong build"),
                )
                .evidence(Evidence::api(format!("Node/{name} .metadata.labels[{BUILD_LABEL}]"), label.clone()))
                .evidence(os_ev.clone())
                .with_fix(fix);
            }
        }
        if let Some(kubelet) = n.kubelet_semver() {
            let supported = supported_builds(kubelet.minor);
            if !supported.contains(&build) {
                problems += 1;
                let list: Vec<String> = supported
                    .iter()
                    .map(|b| {
                        release_by_build(*b)
                            .map(|r| r.product.to_string())
                            .unwrap_or_else(|| b.to_string())
                    })
                    .collect();
                let fix = ev.fix(
                    "node_unsupported",
                    &[
                        ("node", &name),
                        ("kubelet", &n.status.node_info.kubelet_version),
                    ],
                );
                ev.emit(
                    Status::Fail,
                    Subject::node(name.clone()),
                    format!(
                        "{name} runs {product} ({shown}), which kubelet {} does not support (supported: {})",
                        n.status.node_info.kubelet_version,
                        list.join(", ")
                    ),
                )
                .evidence(os_ev.clone())
                .evidence(Evidence::api(format!("Node/{name} .status.nodeInfo.kubeletVersion"), n.status.node_info.kubelet_version.clone()))
                .with_fix(fix);
            }
        }
    }
    if problems == 0 {
        let against = match node_obj {
            Some(n) => format!(
                ", as Node {} reports, supported by kubelet {}",
                n.name(),
                n.status.node_info.kubelet_version
            ),
            None => " (no Node object to compare with)".to_string(),
        };
        ev.emit(
            Status::Pass,
            Subject::node(node),
            format!("the machine runs {product} ({shown}){against}"),
        )
        .evidence(os_ev);
    }
}
