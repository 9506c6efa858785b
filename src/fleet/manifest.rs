//! The collector Pod windoctor creates on one Windows node, every setting as the research on
//! HostProcess pods (docs/remote-nodes.md) gives it:
//! - `securityContext.windowsOptions.hostProcess: true`, `runAsUserName: NT AUTHORITY\SYSTEM`
//!   (KEP-1981; the task page "Create a Windows HostProcess Pod"), and `hostNetwork: true`, which
//!   HostProcess pods require;
//! - `nodeName` pinned (as `kubectl debug node` does), every taint tolerated, `restartPolicy:
//!   Never`, `activeDeadlineSeconds` (counted from the pod's start, image pull included);
//! - no service-account token (the collector needs no API access), `spec.os.name: windows`;
//! - the tiny HostProcess base image (no per-build image: HostProcess containers have no
//!   host/image build match), and the host's own `powershell.exe` with `-EncodedCommand`;
//! - `terminationMessagePolicy: FallbackToLogsOnError`, so a failed collector's last output lines
//!   reach the pod status without `pods/log`;
//! - the labels `app.kubernetes.io/managed-by: windoctor`, `windoctor.io/component:
//!   fleet-collector` and `windoctor.io/run: RUN` by which leftovers are found and deleted, the
//!   node name in an annotation (label values are limited to 63 characters).

use super::script;
use serde_json::{json, Value};

/// The image of the collector container: Microsoft's HostProcess base image, a few KB, usable on
/// every Windows Server build (microsoft/windows-host-process-containers-base-image).
pub const BASE_IMAGE: &str =
    "mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0";

pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "windoctor");
pub const COMPONENT: (&str, &str) = ("windoctor.io/component", "fleet-collector");
pub const RUN_LABEL: &str = "windoctor.io/run";
pub const NODE_ANNOTATION: &str = "windoctor.io/node";

/// The label selector of every collector pod windoctor makes.
pub fn selector() -> String {
    format!(
        "{}={},{}={}",
        MANAGED_BY.0, MANAGED_BY.1, COMPONENT.0, COMPONENT.1
    )
}

/// What the collector pod runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collector {
    /// The PowerShell collector embedded in windoctor, in the HostProcess base image.
    Embedded,
    /// windoctor.exe from this image (`--collector-image`).
    Image(String),
}

/// The collector Pod for `node`.
pub fn pod(
    namespace: &str,
    node: &str,
    run: &str,
    collector: &Collector,
    deadline_secs: u64,
) -> Value {
    let (image, script_text) = match collector {
        Collector::Embedded => (BASE_IMAGE.to_string(), script::collector_script()),
        Collector::Image(image) => (image.clone(), script::image_script(node)),
    };
    let mut command = vec![script::POWERSHELL.to_string()];
    command.extend(script::powershell_args(&script_text));
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "windoctor-collect-",
            "namespace": namespace,
            "labels": {
                MANAGED_BY.0: MANAGED_BY.1,
                COMPONENT.0: COMPONENT.1,
                RUN_LABEL: run,
            },
            "annotations": { NODE_ANNOTATION: node },
        },
        "spec": {
            "os": {"name": "windows"},
            "nodeName": node,
            "nodeSelector": {"kubernetes.io/os": "windows"},
            "tolerations": [{"operator": "Exists"}],
            "hostNetwork": true,
            "restartPolicy": "Never",
            "activeDeadlineSeconds": deadline_secs.max(30),
            "terminationGracePeriodSeconds": 10,
            "automountServiceAccountToken": false,
            "enableServiceLinks": false,
            "securityContext": {
                "windowsOptions": {
                    "hostProcess": true,
                    "runAsUserName": "NT AUTHORITY\\SYSTEM",
                }
            },
            "containers": [{
                "name": "collector",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": command,
                "terminationMessagePolicy": "FallbackToLogsOnError",
                "resources": {
                    "requests": {"cpu": "100m", "memory": "128Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                },
            }],
        },
    })
}

/// The manifests `--dry-run` prints: one Pod per node, in a `v1` List (`kubectl apply -f`
/// accepts it).
pub fn dry_run(
    namespace: &str,
    nodes: &[String],
    run: &str,
    collector: &Collector,
    deadline_secs: u64,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": nodes
            .iter()
            .map(|n| pod(namespace, n, run, collector, deadline_secs))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_pod_settings() {
        let p = pod("windoctor", "win-1", "r1", &Collector::Embedded, 300);
        let spec = &p["spec"];
        assert_eq!(spec["nodeName"], "win-1");
        assert_eq!(spec["restartPolicy"], "Never");
        assert_eq!(spec["hostNetwork"], true);
        assert_eq!(spec["automountServiceAccountToken"], false);
        assert_eq!(spec["activeDeadlineSeconds"], 300);
        assert_eq!(
            spec["securityContext"]["windowsOptions"]["hostProcess"],
            true
        );
        assert_eq!(
            spec["securityContext"]["windowsOptions"]["runAsUserName"],
            "NT AUTHORITY\\SYSTEM"
        );
        assert_eq!(p["metadata"]["labels"][RUN_LABEL], "r1");
        assert_eq!(p["metadata"]["annotations"][NODE_ANNOTATION], "win-1");
        let command = spec["containers"][0]["command"]
            .as_array()
            .expect("command");
        assert_eq!(command[0], script::POWERSHELL);
        assert_eq!(command[command.len() - 2], "-EncodedCommand");
        let image = pod(
            "windoctor",
            "win-1",
            "r1",
            &Collector::Image("example/wd:1".into()),
            300,
        );
        assert_eq!(image["spec"]["containers"][0]["image"], "example/wd:1");
    }
}
