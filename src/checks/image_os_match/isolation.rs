//! How a pod's containers are isolated (process or Hyper-V), which decides whether an image of
//! another Windows build may run: a RuntimeClass whose handler says Hyper-V, or the old annotation
//! where a dockershim kubelet still honoured it.

use super::{Isolation, ISOLATION_ANNOTATION};
use crate::checks::Eval;
use crate::facts::k8s::{Node, Pod, RuntimeClass};
use crate::facts::versions::Runtime;

/// The pod's isolation: Hyper-V through a RuntimeClass whose handler says so, or through the old
/// annotation where a dockershim kubelet (1.20 or older) still honoured it; process otherwise.
pub(super) fn isolation_of(
    ev: &Eval,
    pod: &Pod,
    node: &Node,
    runtimeclasses: Option<&[RuntimeClass]>,
) -> Isolation {
    if let Some(name) = &pod.spec.runtime_class_name {
        return match runtimeclasses.map(|rcs| rcs.iter().find(|rc| rc.metadata.name == *name)) {
            None => Isolation::Unknown(format!(
                "its RuntimeClass {name} could not be read, so its isolation is unknown"
            )),
            Some(None) => Isolation::Unknown(format!(
                "its RuntimeClass {name} does not exist, so its isolation is unknown"
            )),
            Some(Some(rc)) if ev.pattern("hyperv_handler").is_match(&rc.handler) => {
                Isolation::HyperV
            }
            Some(Some(_)) => Isolation::Process,
        };
    }
    let annotated = pod
        .metadata
        .annotations
        .get(ISOLATION_ANNOTATION)
        .is_some_and(|v| v.eq_ignore_ascii_case("hyperv"));
    let dockershim_honours_it =
        Runtime::parse(&node.status.node_info.container_runtime_version).name == "docker"
            && node
                .kubelet_semver()
                .is_some_and(|k| k.major == 1 && k.minor <= 20);
    if annotated && dockershim_honours_it {
        Isolation::HyperV
    } else {
        Isolation::Process
    }
}
