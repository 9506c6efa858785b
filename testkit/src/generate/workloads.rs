//! Generated workloads: namespaces, Deployments (as the pods and Services
//! they produce; Deployments themselves are not served), DaemonSets with their
//! pods, and the pod objects with specs and statuses. About a tenth of the
//! workloads are Windows apps placed on Windows nodes of their build; a few
//! percent of pods carry the problems the checks look for (see [`Problem`]).

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::nodes::{Plan, BUILDS};
use super::{managed_fields, timestamp, GenerateSpec, Rng, DNS_IP};

/// What is wrong with a generated pod, if anything. Events are generated from
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    None,
    /// Linux or Windows container restarting.
    CrashLoop,
    /// Running but failing its readiness probe.
    Unhealthy,
    /// No node fits (Pending without a node).
    Unschedulable,
    /// Windows image of another build than the node, process isolation.
    OsMismatch,
    /// Image has no manifest for the node's platform (Windows build or a
    /// Windows image on Linux, or a Linux image on Windows).
    NoMatchingManifest,
    /// Sandbox creation failing: the HNS network is missing on the node.
    NetworkNotFound,
    /// Sandbox creation failing: the pause image cannot be pulled.
    PauseImagePull,
}

/// What the event generator needs to know of each pod.
#[derive(Debug, Clone)]
pub(crate) struct PodFact {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub node: Option<usize>,
    pub image: String,
    pub container: String,
    pub problem: Problem,
    /// For the Windows system pods (kube-proxy, flannel): which one, for
    /// their logs.
    pub system: Option<SystemPod>,
}

/// A Windows system DaemonSet pod, whose logs are generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SystemPod {
    KubeProxy,
    Flannel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServiceShape {
    ClusterIp,
    NodePort,
    LoadBalancer { local: bool },
}

/// A Deployment: its pods and Service are generated from it.
#[derive(Debug, Clone)]
pub(crate) struct Deployment {
    pub namespace: String,
    pub name: String,
    /// For Windows apps: the build of the nodes the pods go to and the build
    /// the image was made for (different for a few deployments).
    pub windows: Option<(usize, usize)>,
    pub image: String,
    pub replicas: usize,
    pub hash: String,
    pub os_selector: bool,
    pub declares_os: bool,
    pub service: Option<ServiceShape>,
    pub has_config: bool,
    pub port: u16,
    /// A peculiarity the Windows checks look for, on a few deployments.
    pub quirk: Quirk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quirk {
    None,
    PartialDnsName,
    HostNetDns,
    MemoryEmptyDir,
    PrivilegedNoHostProcess,
}

/// Namespaces and deployments, decided before any object is written.
#[derive(Debug, Clone)]
pub(crate) struct Workloads {
    pub namespaces: Vec<String>,
    pub deployments: Vec<Deployment>,
    /// Nodes (a prefix of the node list) that run the daemonset pods other
    /// than the Windows system ones.
    pub daemon_nodes: usize,
    /// Windows nodes (a prefix of the Windows node list) that run the
    /// Windows system pods (kube-proxy and flannel, HostProcess): all of
    /// them unless the pod count is too small.
    pub windows_system_nodes: usize,
}

const NAMESPACE_WORDS: &[&str] = &[
    "payments",
    "checkout",
    "catalog",
    "search",
    "identity",
    "billing",
    "orders",
    "inventory",
    "shipping",
    "reports",
    "analytics",
    "web",
    "api",
    "batch",
    "crm",
    "erp",
    "iis-sites",
    "dotnet-apps",
];
const LINUX_APPS: &[(&str, &str, u16)] = &[
    ("frontend", "ghcr.io/example/checkout-web:5.2.0", 8080),
    ("backend", "ghcr.io/example/payments-api:2.14.3", 8080),
    ("worker", "ghcr.io/example/queue-worker:1.9.0", 9090),
    ("cache", "docker.io/library/redis:7.4.1", 6379),
    ("gateway", "docker.io/library/nginx:1.27.2", 80),
    ("db", "docker.io/library/postgres:16.4", 5432),
    ("indexer", "ghcr.io/example/indexer:3.0.1", 8081),
    ("notifier", "ghcr.io/example/notifier:0.8.4", 8080),
];
const WINDOWS_APPS: &[(&str, &str, u16)] = &[
    (
        "iis-site",
        "mcr.microsoft.com/windows/servercore/iis:windowsservercore-{tag}",
        80,
    ),
    (
        "aspnet-app",
        "mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-{tag}",
        80,
    ),
    ("wcf-svc", "ghcr.io/example/wcf-service:4.2.0-{tag}", 8000),
    ("win-batch", "mcr.microsoft.com/windows/servercore:{tag}", 0),
    (
        "win-worker",
        "mcr.microsoft.com/windows/nanoserver:{tag}",
        0,
    ),
];
const REPLICAS: &[usize] = &[1, 2, 2, 3, 3, 3, 4, 5, 6, 8, 10, 12, 20];

/// Plans namespaces, deployments and daemonset coverage.
pub(crate) fn plan(spec: &GenerateSpec, nodes: &Plan) -> Workloads {
    let mut rng = Rng::new(spec.seed, 3);
    let namespaces: Vec<String> = (0..spec.namespaces())
        .map(|i| {
            let word = NAMESPACE_WORDS[i % NAMESPACE_WORDS.len()];
            match i / NAMESPACE_WORDS.len() {
                0 => word.to_string(),
                n => format!("{word}-{n:02}"),
            }
        })
        .collect();
    // Daemonset pods take at most half of the pods: first the two Windows
    // system pods of each Windows node, then three per node for the others.
    let budget = spec.pods / 2;
    let windows_system_nodes = nodes.windows.len().min(budget / 2);
    let budget = budget - 2 * windows_system_nodes;
    let per_node = 3 * nodes.nodes.len();
    let daemon_nodes = if per_node <= budget {
        nodes.nodes.len()
    } else {
        budget * nodes.nodes.len() / per_node.max(1)
    };
    let daemon_pods = daemon_pod_count(nodes, daemon_nodes, windows_system_nodes);
    let mut remaining = spec.pods.saturating_sub(daemon_pods);
    let mut deployments = Vec::new();
    let mut per_name = std::collections::HashMap::new();
    while remaining > 0 {
        let replicas = (*rng.pick(REPLICAS)).min(remaining);
        remaining -= replicas;
        let namespace = rng.pick(&namespaces).clone();
        let windows =
            !nodes.windows.is_empty() && rng.below(nodes.nodes.len()) < nodes.windows.len();
        let (base, image, port, windows) = if windows {
            let node = nodes.windows[rng.below(nodes.windows.len())];
            let node_build = nodes.nodes[node].build.unwrap_or(0);
            let image_build = if rng.chance(40) {
                (node_build + 1 + rng.below(BUILDS.len() - 1)) % BUILDS.len()
            } else {
                node_build
            };
            let (base, image, port) = *rng.pick(WINDOWS_APPS);
            let image = image.replace("{tag}", BUILDS[image_build].image_tag);
            (base, image, port, Some((node_build, image_build)))
        } else {
            let (base, image, port) = *rng.pick(LINUX_APPS);
            (base, image.to_string(), port, None)
        };
        let counter = per_name.entry((namespace.clone(), base)).or_insert(0usize);
        *counter += 1;
        let name = if *counter == 1 {
            base.to_string()
        } else {
            format!("{base}-{}", counter)
        };
        let service = (port != 0 && rng.chance(750)).then(|| match rng.below(100) {
            0..=79 => ServiceShape::ClusterIp,
            80..=91 => ServiceShape::NodePort,
            n => ServiceShape::LoadBalancer { local: n % 2 == 0 },
        });
        let quirk = if windows.is_some() {
            match rng.below(100) {
                0..=2 => Quirk::PartialDnsName,
                3 => Quirk::HostNetDns,
                4 => Quirk::MemoryEmptyDir,
                5 => Quirk::PrivilegedNoHostProcess,
                _ => Quirk::None,
            }
        } else {
            Quirk::None
        };
        deployments.push(Deployment {
            namespace,
            name,
            os_selector: if windows.is_some() {
                rng.chance(920)
            } else {
                rng.chance(600)
            },
            declares_os: windows.is_some() && rng.chance(500),
            windows,
            image,
            replicas,
            hash: rng.suffix(10),
            service,
            has_config: rng.chance(400),
            port,
            quirk,
        });
    }
    Workloads {
        namespaces,
        deployments,
        daemon_nodes,
        windows_system_nodes,
    }
}

fn daemon_pod_count(nodes: &Plan, daemon_nodes: usize, windows_system_nodes: usize) -> usize {
    (0..nodes.nodes.len())
        .map(|n| daemonsets_on(nodes, n, daemon_nodes, windows_system_nodes).count())
        .sum()
}

/// The daemonsets with a pod on node `n`.
fn daemonsets_on(
    nodes: &Plan,
    n: usize,
    daemon_nodes: usize,
    windows_system_nodes: usize,
) -> impl Iterator<Item = (usize, &'static DaemonSetShape)> {
    let node = &nodes.nodes[n];
    let windows = node.is_windows();
    let system_covered = windows && node.os_index < windows_system_nodes;
    let covered = n < daemon_nodes;
    DAEMONSETS.iter().enumerate().filter(move |(_, ds)| {
        runs_on(ds, windows)
            && if ds.windows == Some(true) {
                system_covered
            } else {
                covered
            }
    })
}

/// A name of the form `prefix-xxxxx` not used before in its namespace.
fn unique_name(
    used: &mut HashSet<(String, String)>,
    namespace: &str,
    prefix: &str,
    rng: &mut Rng,
) -> String {
    loop {
        let name = format!("{prefix}-{}", rng.suffix(5));
        if used.insert((namespace.to_string(), name.clone())) {
            return name;
        }
    }
}

/// A DaemonSet of the cluster and which nodes it runs on.
struct DaemonSetShape {
    namespace: &'static str,
    name: &'static str,
    container: &'static str,
    image: &'static str,
    /// `Some(true)` Windows only, `Some(false)` Linux only, `None` no OS
    /// selection (a mistake: lands on Windows nodes too).
    windows: Option<bool>,
    host_process: bool,
}

const DAEMONSETS: &[DaemonSetShape] = &[
    DaemonSetShape {
        namespace: "kube-system",
        name: "kube-proxy",
        container: "kube-proxy",
        image: "mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.32.4-hotfix.20250420",
        windows: Some(false),
        host_process: false,
    },
    DaemonSetShape {
        namespace: "kube-system",
        name: "kube-proxy-windows",
        container: "kube-proxy",
        image: "sigwindowstools/kube-proxy:v1.32.4-flannel-hostprocess",
        windows: Some(true),
        host_process: true,
    },
    DaemonSetShape {
        namespace: "kube-flannel",
        name: "kube-flannel-ds",
        container: "kube-flannel",
        image: "docker.io/flannel/flannel:v0.25.7",
        windows: Some(false),
        host_process: false,
    },
    DaemonSetShape {
        namespace: "kube-flannel",
        name: "kube-flannel-ds-windows-amd64",
        container: "kube-flannel",
        image: "docker.io/sigwindowstools/flannel:v0.22.1-hostprocess",
        windows: Some(true),
        host_process: true,
    },
    DaemonSetShape {
        namespace: "monitoring",
        name: "node-exporter",
        container: "node-exporter",
        image: "quay.io/prometheus/node-exporter:v1.8.2",
        windows: None,
        host_process: false,
    },
];

fn runs_on(ds: &DaemonSetShape, windows_node: bool) -> bool {
    ds.windows.is_none_or(|w| w == windows_node)
}

/// The DaemonSet objects.
pub(crate) fn daemonsets(spec: &GenerateSpec, nodes: &Plan) -> Vec<Value> {
    let mut rng = Rng::new(spec.seed, 4);
    DAEMONSETS
        .iter()
        .map(|ds| {
            let desired = nodes
                .nodes
                .iter()
                .filter(|n| runs_on(ds, n.is_windows()))
                .count();
            let broken = match ds.windows {
                None => nodes.windows.len(),
                Some(true) => nodes.nodes.iter().filter(|n| n.is_windows() && !n.ready).count(),
                Some(false) => nodes.nodes.iter().filter(|n| !n.is_windows() && !n.ready).count(),
            };
            let created = timestamp(rng.below(86_400) as u64);
            let template = pod_spec_for_daemonset(ds, &mut rng);
            json!({
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {
                    "annotations": {"deprecated.daemonset.template.generation": "3"},
                    "creationTimestamp": created,
                    "generation": 3,
                    "labels": {"app": ds.name, "k8s-app": ds.name},
                    "managedFields": managed_fields("kubectl-client-side-apply", &created, Some("kube-controller-manager")),
                    "name": ds.name,
                    "namespace": ds.namespace,
                    "resourceVersion": format!("{}", 1_000_000 + rng.below(9_000_000)),
                    "uid": rng.uid()
                },
                "spec": {
                    "revisionHistoryLimit": 10,
                    "selector": {"matchLabels": {"k8s-app": ds.name}},
                    "template": {
                        "metadata": {"creationTimestamp": null, "labels": {"k8s-app": ds.name}},
                        "spec": template
                    },
                    "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"}
                },
                "status": {
                    "currentNumberScheduled": desired,
                    "desiredNumberScheduled": desired,
                    "numberAvailable": desired - broken,
                    "numberMisscheduled": 0,
                    "numberReady": desired - broken,
                    "numberUnavailable": broken,
                    "observedGeneration": 3,
                    "updatedNumberScheduled": desired
                }
            })
        })
        .collect()
}

fn pod_spec_for_daemonset(ds: &DaemonSetShape, rng: &mut Rng) -> Value {
    let mut spec = Map::new();
    let node_env = json!({"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}});
    let mut container = json!({
        "name": ds.container,
        "image": ds.image,
        "imagePullPolicy": "IfNotPresent",
        "env": [node_env],
        "resources": {"requests": {"cpu": "100m", "memory": "50Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": format!("kube-api-access-{}", rng.suffix(5)), "readOnly": true}]
    });
    if ds.name.starts_with("kube-proxy") {
        let args = if ds.windows == Some(true) {
            json!([
                "--hostname-override=$(NODE_NAME)",
                "--v=4",
                "--proxy-mode=kernelspace",
                "--network-name=vxlan0",
                "--enable-dsr=false",
                "--feature-gates=WinOverlay=true"
            ])
        } else {
            json!([
                "--config=/var/lib/kube-proxy/config.conf",
                "--hostname-override=$(NODE_NAME)"
            ])
        };
        container["command"] = json!([if ds.windows == Some(true) {
            "kube-proxy.exe"
        } else {
            "/usr/local/bin/kube-proxy"
        }]);
        container["args"] = args;
    }
    if ds.host_process {
        spec.insert(
            "securityContext".into(),
            json!({"windowsOptions": {"hostProcess": true, "runAsUserName": "NT AUTHORITY\\system"}}),
        );
    } else if ds.windows == Some(false) && !ds.name.starts_with("node-exporter") {
        container["securityContext"] = json!({"privileged": true});
    }
    spec.insert("containers".into(), json!([container]));
    spec.insert("dnsPolicy".into(), json!("ClusterFirst"));
    spec.insert("hostNetwork".into(), json!(ds.windows.is_some()));
    match ds.windows {
        Some(true) => {
            spec.insert(
                "nodeSelector".into(),
                json!({"kubernetes.io/os": "windows"}),
            );
        }
        Some(false) if ds.namespace == "kube-flannel" => {
            spec.insert(
                "affinity".into(),
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}
                ]}}}),
            );
        }
        Some(false) => {
            spec.insert("nodeSelector".into(), json!({"kubernetes.io/os": "linux"}));
        }
        None => {}
    }
    spec.insert("priorityClassName".into(), json!("system-node-critical"));
    spec.insert("restartPolicy".into(), json!("Always"));
    spec.insert("schedulerName".into(), json!("default-scheduler"));
    spec.insert("serviceAccountName".into(), json!(ds.name));
    spec.insert("terminationGracePeriodSeconds".into(), json!(30));
    spec.insert(
        "tolerations".into(),
        json!([{"operator": "Exists"}, {"effect": "NoSchedule", "key": "os", "operator": "Equal", "value": "windows"}]),
    );
    Value::Object(spec)
}

/// Generates every pod: daemonset pods of the first `daemon_nodes` nodes,
/// then the deployments' replicas. `sink` gets each pod's facts and object.
pub(crate) fn pods(
    spec: &GenerateSpec,
    nodes: &Plan,
    work: &Workloads,
    sink: &mut dyn FnMut(PodFact, Value) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut rng = Rng::new(spec.seed, 5);
    let mut templates = Rng::new(spec.seed, 6);
    let ds_specs: Vec<Value> = DAEMONSETS
        .iter()
        .map(|ds| pod_spec_for_daemonset(ds, &mut templates))
        .collect();
    let mut per_node = vec![0usize; nodes.nodes.len()];
    let mut used = HashSet::with_capacity(spec.pods);
    for (n, node) in nodes.nodes.iter().enumerate() {
        for (d, ds) in daemonsets_on(nodes, n, work.daemon_nodes, work.windows_system_nodes) {
            let template = &ds_specs[d];
            let system = match ds.windows {
                Some(true) if ds.name.starts_with("kube-proxy") => Some(SystemPod::KubeProxy),
                Some(true) => Some(SystemPod::Flannel),
                _ => None,
            };
            let problem = if ds.windows.is_none() && node.is_windows() {
                Problem::NoMatchingManifest
            } else if !node.ready {
                Problem::Unhealthy
            } else if system.is_some_and(|s| super::system_logs::crashloops(s, node.os_index)) {
                Problem::CrashLoop
            } else {
                Problem::None
            };
            let name = unique_name(&mut used, ds.namespace, ds.name, &mut rng);
            let owner = ("DaemonSet", "apps/v1", ds.name.to_string());
            let mut pod_spec = template.clone();
            pod_spec["nodeName"] = json!(node.name);
            let ip = if ds.windows.is_some() {
                node.ip.clone()
            } else {
                per_node[n] += 1;
                node.pod_ip(per_node[n])
            };
            let fact = PodFact {
                namespace: ds.namespace.to_string(),
                name,
                uid: rng.uid(),
                node: Some(n),
                image: ds.image.to_string(),
                container: ds.container.to_string(),
                problem,
                system,
            };
            let labels = json!({"controller-revision-hash": "6d4b8c9f7", "k8s-app": ds.name, "pod-template-generation": "3"});
            let object = pod_object(
                &fact,
                labels,
                owner,
                pod_spec,
                Some(&ip),
                node.ip.as_str(),
                &mut rng,
            );
            sink(fact, object)?;
        }
    }
    for deployment in &work.deployments {
        for _ in 0..deployment.replicas {
            let (fact, object) =
                deployment_pod(deployment, nodes, &mut per_node, &mut used, &mut rng);
            sink(fact, object)?;
        }
    }
    Ok(())
}

/// One replica of `d`: placement, problem, spec and status.
fn deployment_pod(
    d: &Deployment,
    nodes: &Plan,
    per_node: &mut [usize],
    used: &mut HashSet<(String, String)>,
    rng: &mut Rng,
) -> (PodFact, Value) {
    let mut problem = Problem::None;
    let node = match d.windows {
        Some((node_build, image_build)) => {
            if node_build != image_build {
                problem = if d.image.contains("ghcr.io") {
                    Problem::NoMatchingManifest
                } else {
                    Problem::OsMismatch
                };
            }
            if !d.os_selector && !nodes.linux.is_empty() && rng.chance(500) {
                // No OS selection: the scheduler put it on a Linux node.
                problem = Problem::NoMatchingManifest;
                Some(*rng.pick(&nodes.linux))
            } else {
                let pool = &nodes.windows_by_build[node_build];
                Some(*rng.pick(pool))
            }
        }
        None if nodes.linux.is_empty() => {
            problem = Problem::Unschedulable;
            None
        }
        None => {
            if !d.os_selector && rng.chance(3) {
                // Unrestricted Linux pod landing on an untainted Windows node.
                let candidates: Vec<usize> = nodes
                    .windows
                    .iter()
                    .copied()
                    .filter(|&w| !nodes.nodes[w].tainted)
                    .collect();
                match candidates.first() {
                    Some(_) => {
                        problem = Problem::NoMatchingManifest;
                        Some(*rng.pick(&candidates))
                    }
                    None => Some(*rng.pick(&nodes.linux)),
                }
            } else {
                Some(*rng.pick(&nodes.linux))
            }
        }
    };
    if problem == Problem::None {
        let windows = d.windows.is_some();
        problem = match rng.below(1000) {
            0..=9 => Problem::CrashLoop,
            10..=17 => Problem::Unhealthy,
            18..=19 if !windows => Problem::Unschedulable,
            18..=27 if windows => Problem::NetworkNotFound,
            28..=31 if windows => Problem::PauseImagePull,
            _ => Problem::None,
        };
    }
    let node = if problem == Problem::Unschedulable {
        None
    } else {
        node
    };
    let windows_node = node.is_some_and(|n| nodes.nodes[n].is_windows());
    let pod_ip = node.map(|n| {
        per_node[n] += 1;
        nodes.nodes[n].pod_ip(per_node[n])
    });
    let name = unique_name(used, &d.namespace, &format!("{}-{}", d.name, d.hash), rng);
    let fact = PodFact {
        namespace: d.namespace.clone(),
        name,
        uid: rng.uid(),
        node,
        image: d.image.clone(),
        container: d.name.split('-').next().unwrap_or("app").to_string(),
        problem,
        system: None,
    };
    let mut spec = deployment_pod_spec(d, &fact.container, rng);
    if let Some(n) = node {
        spec["nodeName"] = json!(nodes.nodes[n].name);
    }
    let labels = json!({"app": d.name, "app.kubernetes.io/name": d.name, "app.kubernetes.io/part-of": d.namespace, "pod-template-hash": d.hash});
    let owner = ("ReplicaSet", "apps/v1", format!("{}-{}", d.name, d.hash));
    let host_ip = node.map_or("", |n| nodes.nodes[n].ip.as_str());
    let pod_ip =
        if problem_blocks_sandbox(problem) || (windows_node && problem == Problem::OsMismatch) {
            None
        } else {
            pod_ip
        };
    let object = pod_object(&fact, labels, owner, spec, pod_ip.as_deref(), host_ip, rng);
    (fact, object)
}

fn problem_blocks_sandbox(problem: Problem) -> bool {
    matches!(
        problem,
        Problem::NetworkNotFound | Problem::PauseImagePull | Problem::Unschedulable
    )
}

fn deployment_pod_spec(d: &Deployment, container_name: &str, rng: &mut Rng) -> Value {
    let token_volume = format!("kube-api-access-{}", rng.suffix(5));
    let backend = format!("backend.{}", d.namespace);
    let backend_url = if d.quirk == Quirk::PartialDnsName {
        format!("http://{backend}:8080")
    } else {
        format!("http://{backend}.svc.cluster.local:8080")
    };
    let mut env = vec![
        json!({"name": "ASPNETCORE_ENVIRONMENT", "value": "Production"}),
        json!({"name": "BACKEND_URL", "value": backend_url}),
        json!({"name": "LOG_LEVEL", "value": "info"}),
        json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"key": "password", "name": format!("{}-db", d.name)}}}),
        json!({"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}),
    ];
    if d.windows.is_none() {
        env.push(json!({"name": "GOMAXPROCS", "value": "2"}));
    }
    let mut volume_mounts = vec![
        json!({"mountPath": if d.windows.is_some() { "C:\\var\\run\\secrets\\kubernetes.io\\serviceaccount" } else { "/var/run/secrets/kubernetes.io/serviceaccount" },
        "name": token_volume, "readOnly": true}),
    ];
    let mut volumes = vec![
        json!({"name": token_volume, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
            {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
        ]}}),
    ];
    if d.has_config {
        volume_mounts.push(json!({"mountPath": if d.windows.is_some() { "C:\\app\\config" } else { "/etc/app" }, "name": "config"}));
        volumes.push(json!({"configMap": {"defaultMode": 420, "name": format!("{}-config", d.name)}, "name": "config"}));
    }
    if d.quirk == Quirk::MemoryEmptyDir {
        volume_mounts.push(json!({"mountPath": "C:\\scratch", "name": "scratch"}));
        volumes.push(json!({"emptyDir": {"medium": "Memory"}, "name": "scratch"}));
    }
    let mut container = json!({
        "name": container_name,
        "image": d.image,
        "imagePullPolicy": "IfNotPresent",
        "env": env,
        "resources": {"limits": {"memory": if d.windows.is_some() { "2Gi" } else { "512Mi" }},
                      "requests": {"cpu": "250m", "memory": if d.windows.is_some() { "1Gi" } else { "256Mi" }}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": volume_mounts
    });
    if d.port != 0 {
        container["ports"] = json!([{"containerPort": d.port, "name": "http", "protocol": "TCP"}]);
        container["readinessProbe"] = json!({"failureThreshold": 3, "httpGet": {"path": "/healthz", "port": d.port, "scheme": "HTTP"},
            "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1});
    }
    if d.quirk == Quirk::PrivilegedNoHostProcess {
        container["securityContext"] = json!({"privileged": true});
    }
    let mut spec = json!({
        "containers": [container],
        "dnsPolicy": if d.quirk == Quirk::HostNetDns { "ClusterFirstWithHostNet" } else { "ClusterFirst" },
        "enableServiceLinks": true,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300}
        ],
        "volumes": volumes
    });
    if d.os_selector {
        let os = if d.windows.is_some() {
            "windows"
        } else {
            "linux"
        };
        spec["nodeSelector"] = json!({"kubernetes.io/os": os});
    }
    if d.windows.is_some() {
        if let Some(tolerations) = spec["tolerations"].as_array_mut() {
            tolerations.push(json!({"effect": "NoSchedule", "key": "os", "operator": "Equal", "value": "windows"}));
        }
        if d.declares_os {
            spec["os"] = json!({"name": "windows"});
        }
        spec["securityContext"] = json!({"windowsOptions": {"runAsUserName": "ContainerUser"}});
    }
    spec
}

/// A Pod object: metadata, the given spec, and a status that reflects the
/// pod's problem.
fn pod_object(
    fact: &PodFact,
    labels: Value,
    owner: (&str, &str, String),
    spec: Value,
    pod_ip: Option<&str>,
    host_ip: &str,
    rng: &mut Rng,
) -> Value {
    let created_secs = rng.below(18 * 86_400) as u64;
    let created = timestamp(created_secs);
    let started = timestamp(created_secs + 3 + rng.below(40) as u64);
    let (phase, ready, state, restarts) = match fact.problem {
        Problem::None => (
            "Running",
            true,
            json!({"running": {"startedAt": started}}),
            0,
        ),
        Problem::Unhealthy => (
            "Running",
            false,
            json!({"running": {"startedAt": started}}),
            0,
        ),
        Problem::CrashLoop => (
            "Running",
            false,
            json!({"waiting": {"message": format!("back-off 5m0s restarting failed container={} pod={}_{}({})", fact.container, fact.name, fact.namespace, fact.uid), "reason": "CrashLoopBackOff"}}),
            7 + rng.below(300) as i64,
        ),
        Problem::NoMatchingManifest => (
            "Pending",
            false,
            json!({"waiting": {"message": format!("Back-off pulling image \"{}\"", fact.image), "reason": "ImagePullBackOff"}}),
            0,
        ),
        Problem::OsMismatch | Problem::NetworkNotFound | Problem::PauseImagePull => (
            "Pending",
            false,
            json!({"waiting": {"reason": "ContainerCreating"}}),
            0,
        ),
        Problem::Unschedulable => ("Pending", false, Value::Null, 0),
    };
    let condition = |kind: &str, ok: bool| {
        json!({"lastProbeTime": null, "lastTransitionTime": if ok { started.clone() } else { created.clone() },
               "status": if ok { "True" } else { "False" }, "type": kind})
    };
    let mut status = Map::new();
    let scheduled = fact.problem != Problem::Unschedulable;
    if scheduled {
        status.insert(
            "conditions".into(),
            json!([
                condition("PodReadyToStartContainers", pod_ip.is_some()),
                condition("Initialized", true),
                condition("Ready", ready),
                condition("ContainersReady", ready),
                condition("PodScheduled", true)
            ]),
        );
        let mut container_status = json!({
            "containerID": if phase == "Running" { format!("containerd://{}", rng.hex(64)) } else { String::new() },
            "image": fact.image,
            "imageID": if phase == "Running" { format!("{}@sha256:{}", fact.image.split(':').next().unwrap_or(""), rng.hex(64)) } else { String::new() },
            "lastState": {},
            "name": fact.container,
            "ready": ready,
            "restartCount": restarts,
            "started": phase == "Running",
            "state": state
        });
        if let Value::Object(map) = &mut container_status {
            if phase != "Running" {
                map.remove("containerID");
                map.remove("imageID");
            }
        }
        if fact.problem == Problem::CrashLoop {
            container_status["lastState"] = json!({"terminated": {
                "containerID": format!("containerd://{}", fact.uid.replace('-', "")),
                "exitCode": 1,
                "finishedAt": started,
                "reason": "Error",
                "startedAt": created
            }});
        }
        status.insert("containerStatuses".into(), json!([container_status]));
        status.insert("hostIP".into(), json!(host_ip));
        status.insert("hostIPs".into(), json!([{"ip": host_ip}]));
        if let Some(ip) = pod_ip {
            status.insert("podIP".into(), json!(ip));
            status.insert("podIPs".into(), json!([{"ip": ip}]));
        }
        status.insert("startTime".into(), json!(created));
    } else {
        status.insert(
            "conditions".into(),
            json!([{"lastProbeTime": null, "lastTransitionTime": created,
                "message": "0/5000 nodes are available: 5000 node(s) didn't match Pod's node affinity/selector. preemption: 0/5000 nodes are available: 5000 Preemption is not helpful for scheduling.",
                "reason": "Unschedulable", "status": "False", "type": "PodScheduled"}]),
        );
    }
    status.insert("phase".into(), json!(phase));
    status.insert("qosClass".into(), json!("Burstable"));
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "creationTimestamp": created,
            "generateName": fact.name.rsplit_once('-').map_or("", |(p, _)| p).to_string() + "-",
            "labels": labels,
            "managedFields": managed_fields("kube-controller-manager", &created, Some("kubelet")),
            "name": fact.name,
            "namespace": fact.namespace,
            "ownerReferences": [{"apiVersion": owner.1, "blockOwnerDeletion": true, "controller": true,
                                 "kind": owner.0, "name": owner.2, "uid": rng.uid()}],
            "resourceVersion": format!("{}", 1_000_000 + rng.below(90_000_000)),
            "uid": fact.uid
        },
        "spec": spec,
        "status": Value::Object(status)
    })
}

/// The Services of the deployments that have one, plus `kubernetes` and
/// `kube-dns`.
pub(crate) fn services(spec: &GenerateSpec, work: &Workloads) -> Vec<Value> {
    let mut rng = Rng::new(spec.seed, 7);
    let mut out = vec![
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"creationTimestamp": timestamp(0), "labels": {"component": "apiserver", "provider": "kubernetes"},
                         "name": "kubernetes", "namespace": "default", "resourceVersion": "208", "uid": rng.uid()},
            "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "internalTrafficPolicy": "Cluster",
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                     "sessionAffinity": "None", "type": "ClusterIP"},
            "status": {"loadBalancer": {}}}),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"creationTimestamp": timestamp(60), "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"},
                         "name": "kube-dns", "namespace": "kube-system", "resourceVersion": "512", "uid": rng.uid()},
            "spec": {"clusterIP": DNS_IP, "clusterIPs": [DNS_IP], "internalTrafficPolicy": "Cluster",
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}],
                     "selector": {"k8s-app": "kube-dns"}, "sessionAffinity": "None", "type": "ClusterIP"},
            "status": {"loadBalancer": {}}}),
    ];
    for (i, d) in work.deployments.iter().enumerate() {
        let Some(shape) = d.service else { continue };
        let n = 20 + i;
        let ip = format!("10.{}.{}.{}", 96 + n / 65_536, n / 256 % 256, n % 256);
        let created = timestamp(rng.below(10 * 86_400) as u64);
        let mut port = json!({"name": "http", "port": 80, "protocol": "TCP", "targetPort": d.port});
        let kind = match shape {
            ServiceShape::ClusterIp => "ClusterIP",
            ServiceShape::NodePort => "NodePort",
            ServiceShape::LoadBalancer { .. } => "LoadBalancer",
        };
        if shape != ServiceShape::ClusterIp {
            port["nodePort"] = json!(30_000 + (i % 2_767) as u32);
        }
        let mut service_spec = json!({
            "clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "ports": [port], "selector": {"app": d.name},
            "sessionAffinity": "None", "type": kind
        });
        if let ServiceShape::LoadBalancer { local } = shape {
            service_spec["externalTrafficPolicy"] = json!(if local { "Local" } else { "Cluster" });
            service_spec["allocateLoadBalancerNodePorts"] = json!(true);
        } else if shape == ServiceShape::NodePort {
            service_spec["externalTrafficPolicy"] = json!("Cluster");
        }
        if d.windows.is_some() && i % 7 == 3 {
            service_spec["sessionAffinity"] = json!("ClientIP");
            service_spec["sessionAffinityConfig"] =
                json!({"clientIP": {"timeoutSeconds": if i % 2 == 0 { 10_800 } else { 30 }}});
        }
        let status = match shape {
            ServiceShape::LoadBalancer { .. } => {
                json!({"loadBalancer": {"ingress": [{"ip": format!("20.{}.{}.{}", 50 + i / 65_536 % 100, i / 256 % 256, i % 256), "ipMode": "VIP"}]}})
            }
            _ => json!({"loadBalancer": {}}),
        };
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "annotations": {"meta.helm.sh/release-name": d.name, "meta.helm.sh/release-namespace": d.namespace},
                "creationTimestamp": created,
                "labels": {"app": d.name, "app.kubernetes.io/managed-by": "Helm"},
                "name": d.name,
                "namespace": d.namespace,
                "resourceVersion": format!("{}", 1_000_000 + rng.below(90_000_000)),
                "uid": rng.uid()
            },
            "spec": service_spec,
            "status": status
        }));
    }
    out
}
