//! Generated events: the Normal events of recently started pods (scheduling,
//! image, container lifecycle, ReplicaSet creation) and node events, plus
//! the Warning events each pod's [`Problem`] causes, worded as kubelet,
//! containerd and the scheduler word them. Warnings come to a few percent of
//! all events.

use serde_json::{json, Value};

use super::nodes::{NodePlan, Plan};
use super::workloads::{PodFact, Problem};
use super::{timestamp, GenerateSpec, Rng};

/// One event about to be written.
struct EventSpec<'a> {
    namespace: &'a str,
    object_kind: &'a str,
    object_name: &'a str,
    object_uid: &'a str,
    field_path: Option<String>,
    reason: &'a str,
    message: String,
    warning: bool,
    component: &'a str,
    host: Option<&'a str>,
    count: u64,
}

/// Emits every event to `sink`.
pub(crate) fn events(
    spec: &GenerateSpec,
    plan: &Plan,
    pods: &[PodFact],
    sink: &mut dyn FnMut(Value) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut rng = Rng::new(spec.seed, 8);
    for node in &plan.nodes {
        node_events(node, &mut rng, sink)?;
    }
    for pod in pods {
        let node = pod.node.map(|n| &plan.nodes[n]);
        if rng.chance(125) {
            lifecycle_events(pod, node, &mut rng, sink)?;
        }
        if pod.problem != Problem::None {
            problem_events(pod, node, plan.nodes.len(), &mut rng, sink)?;
        }
    }
    Ok(())
}

fn node_events(
    node: &NodePlan,
    rng: &mut Rng,
    sink: &mut dyn FnMut(Value) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let uid = rng.uid();
    if rng.chance(300) {
        sink(event(
            EventSpec {
                namespace: "default",
                object_kind: "Node",
                object_name: &node.name,
                object_uid: &uid,
                field_path: None,
                reason: "RegisteredNode",
                message: format!(
                    "Node {} event: Registered Node {} in Controller",
                    node.name, node.name
                ),
                warning: false,
                component: "node-controller",
                host: None,
                count: 1,
            },
            rng,
        ))?;
    }
    if !node.ready {
        sink(event(
            EventSpec {
                namespace: "default",
                object_kind: "Node",
                object_name: &node.name,
                object_uid: &uid,
                field_path: None,
                reason: "NodeNotReady",
                message: format!("Node {} status is now: NodeNotReady", node.name),
                warning: false,
                component: "node-controller",
                host: None,
                count: 1,
            },
            rng,
        ))?;
    }
    Ok(())
}

fn lifecycle_events(
    pod: &PodFact,
    node: Option<&NodePlan>,
    rng: &mut Rng,
    sink: &mut dyn FnMut(Value) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Some(node) = node else { return Ok(()) };
    let field_path = Some(format!("spec.containers{{{}}}", pod.container));
    let owner = pod.name.rsplit_once('-').map_or("", |(p, _)| p);
    let steps: [(&str, &str, String, Option<String>, &str); 5] = [
        (
            "ReplicaSet",
            "SuccessfulCreate",
            format!("Created pod: {}", pod.name),
            None,
            "replicaset-controller",
        ),
        (
            "Pod",
            "Scheduled",
            format!(
                "Successfully assigned {}/{} to {}",
                pod.namespace, pod.name, node.name
            ),
            None,
            "default-scheduler",
        ),
        (
            "Pod",
            "Pulled",
            format!(
                "Container image \"{}\" already present on machine",
                pod.image
            ),
            field_path.clone(),
            "kubelet",
        ),
        (
            "Pod",
            "Created",
            format!("Created container {}", pod.container),
            field_path.clone(),
            "kubelet",
        ),
        (
            "Pod",
            "Started",
            format!("Started container {}", pod.container),
            field_path,
            "kubelet",
        ),
    ];
    for (kind, reason, message, field_path, component) in steps {
        let name = if kind == "Pod" {
            pod.name.as_str()
        } else {
            owner
        };
        sink(event(
            EventSpec {
                namespace: &pod.namespace,
                object_kind: kind,
                object_name: name,
                object_uid: &pod.uid,
                field_path,
                reason,
                message,
                warning: false,
                component,
                host: (component == "kubelet").then_some(node.name.as_str()),
                count: 1,
            },
            rng,
        ))?;
    }
    Ok(())
}

fn problem_events(
    pod: &PodFact,
    node: Option<&NodePlan>,
    node_count: usize,
    rng: &mut Rng,
    sink: &mut dyn FnMut(Value) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let host = node.map(|n| n.name.as_str());
    let field_path = Some(format!("spec.containers{{{}}}", pod.container));
    let sandbox = rng.hex(64);
    let node_build = node
        .and_then(|n| n.build)
        .map(|b| super::nodes::BUILDS[b].label);
    let mut warnings: Vec<(&str, String, Option<String>, &str)> = Vec::new();
    match pod.problem {
        Problem::None => {}
        Problem::CrashLoop => warnings.push((
            "BackOff",
            format!(
                "Back-off restarting failed container {} in pod {}_{}({})",
                pod.container, pod.name, pod.namespace, pod.uid
            ),
            field_path,
            "kubelet",
        )),
        Problem::Unhealthy => warnings.push((
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503".to_string(),
            field_path,
            "kubelet",
        )),
        Problem::Unschedulable => warnings.push((
            "FailedScheduling",
            format!(
                "0/{node_count} nodes are available: {node_count} node(s) didn't match Pod's node affinity/selector. preemption: 0/{node_count} nodes are available: {node_count} Preemption is not helpful for scheduling."
            ),
            None,
            "default-scheduler",
        )),
        Problem::OsMismatch => warnings.push((
            "Failed",
            format!(
                "Error: failed to create containerd task: failed to create shim task: hcs::CreateComputeSystem {}: The container operating system does not match the host operating system.: unknown",
                rng.hex(64)
            ),
            field_path,
            "kubelet",
        )),
        Problem::NoMatchingManifest => {
            let platform = match node_build {
                Some(build) => format!("windows/amd64 {build}"),
                None => "linux/amd64".to_string(),
            };
            let message = if rng.chance(500) {
                format!(
                    "Failed to pull image \"{}\": rpc error: code = Unknown desc = no matching manifest for {platform} in the manifest list entries",
                    pod.image
                )
            } else {
                format!(
                    "Failed to pull image \"{img}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{img}\": no match for platform in manifest: not found",
                    img = pod.image
                )
            };
            warnings.push(("Failed", message, field_path.clone(), "kubelet"));
            warnings.push((
                "BackOff",
                format!("Back-off pulling image \"{}\"", pod.image),
                field_path,
                "kubelet",
            ));
        }
        Problem::NetworkNotFound => warnings.push((
            "FailedCreatePodSandBox",
            format!(
                "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"{sandbox}\": plugin type=\"sdnoverlay\" name=\"vxlan0\" failed (add): hcnCreateEndpoint failed in Win32: The network was not found. (0x803b0010) {{\"Success\":false,\"Error\":\"The network was not found. \",\"ErrorCode\":2151350288}}"
            ),
            None,
            "kubelet",
        )),
        Problem::PauseImagePull => warnings.push((
            "FailedCreatePodSandBox",
            "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image \"mcr.microsoft.com/oss/kubernetes/pause:3.6\": failed to pull image \"mcr.microsoft.com/oss/kubernetes/pause:3.6\": failed to pull and unpack image \"mcr.microsoft.com/oss/kubernetes/pause:3.6\": failed to resolve reference \"mcr.microsoft.com/oss/kubernetes/pause:3.6\": failed to do request: Head \"https://mcr.microsoft.com/v2/oss/kubernetes/pause/manifests/3.6\": dial tcp: lookup mcr.microsoft.com: no such host".to_string(),
            None,
            "kubelet",
        )),
    }
    for (reason, message, field_path, component) in warnings {
        let count = 1 + rng.below(400) as u64;
        sink(event(
            EventSpec {
                namespace: &pod.namespace,
                object_kind: "Pod",
                object_name: &pod.name,
                object_uid: &pod.uid,
                field_path,
                reason,
                message,
                warning: true,
                component,
                host: if component == "kubelet" { host } else { None },
                count,
            },
            rng,
        ))?;
    }
    Ok(())
}

fn event(e: EventSpec<'_>, rng: &mut Rng) -> Value {
    let first = 19 * 86_400 + rng.below(86_400) as u64;
    let last = first
        + if e.count > 1 {
            rng.below(3_600) as u64
        } else {
            0
        };
    let mut involved = json!({
        "apiVersion": if e.object_kind == "ReplicaSet" { "apps/v1" } else { "v1" },
        "kind": e.object_kind,
        "name": e.object_name,
        "resourceVersion": format!("{}", 1_000_000 + rng.below(90_000_000)),
        "uid": e.object_uid
    });
    if e.object_kind != "Node" {
        involved["namespace"] = json!(e.namespace);
    }
    if let Some(path) = e.field_path {
        involved["fieldPath"] = json!(path);
    }
    let mut source = json!({"component": e.component});
    if let Some(host) = e.host {
        source["host"] = json!(host);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "count": e.count,
        "eventTime": null,
        "firstTimestamp": timestamp(first),
        "involvedObject": involved,
        "lastTimestamp": timestamp(last),
        "message": e.message,
        "metadata": {
            "creationTimestamp": timestamp(first),
            "name": format!("{}.{}", e.object_name, rng.hex(16)),
            "namespace": e.namespace,
            "resourceVersion": format!("{}", 1_000_000 + rng.below(90_000_000)),
            "uid": rng.uid()
        },
        "reason": e.reason,
        "reportingComponent": e.component,
        "reportingInstance": e.host.unwrap_or(""),
        "source": source,
        "type": if e.warning { "Warning" } else { "Normal" }
    })
}
