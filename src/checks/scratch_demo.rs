//! Check `scratch-demo`: a throwaway check showing what adding a check touches. See
//! checks/scratch-demo.toml.

use super::Eval;
use crate::findings::{Status, Subject};

pub fn run(ev: &mut Eval) {
    let Some((_, windows)) = ev.windows_nodes_or_skip() else {
        return;
    };
    ev.part("kubelet-version-missing");
    for node in windows {
        let name = node.name();
        if node.status.node_info.kubelet_version.is_empty() {
            let fix = ev.fix("check_kubelet", &[("node", name)]);
            ev.emit(
                Status::Warn,
                Subject::node(name),
                format!("{name} reports no kubelet version"),
            )
            .with_fix(fix);
        } else {
            ev.emit(
                Status::Pass,
                Subject::node(name),
                format!("{name} reports kubelet {}", node.status.node_info.kubelet_version),
            );
        }
    }
}
