//! Generated nodes: the node plan the other generators place pods on (names,
//! OS, Windows build, readiness, addresses, pod CIDRs) and the Node objects,
//! shaped like those of a managed cluster: labels, allow-listed and other
//! annotations, taints on part of the Windows pool, conditions, capacity,
//! node info and a realistic image list.

use serde_json::{json, Value};

use super::{managed_fields, timestamp, GenerateSpec, Rng};

/// A Windows Server build the generated nodes run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WinBuild {
    pub kernel: &'static str,
    pub os_image: &'static str,
    /// Tag of the matching Windows base images (`servercore:TAG`).
    pub image_tag: &'static str,
    /// Value of the `node.kubernetes.io/windows-build` label.
    pub label: &'static str,
    /// Short name used in node names.
    pub short: &'static str,
}

pub(crate) const BUILDS: [WinBuild; 3] = [
    WinBuild {
        kernel: "10.0.17763.6414",
        os_image: "Windows Server 2019 Datacenter",
        image_tag: "ltsc2019",
        label: "10.0.17763",
        short: "19",
    },
    WinBuild {
        kernel: "10.0.20348.2762",
        os_image: "Windows Server 2022 Datacenter",
        image_tag: "ltsc2022",
        label: "10.0.20348",
        short: "22",
    },
    WinBuild {
        kernel: "10.0.26100.2314",
        os_image: "Windows Server 2025 Datacenter",
        image_tag: "ltsc2025",
        label: "10.0.26100",
        short: "25",
    },
];

/// One planned node.
#[derive(Debug, Clone)]
pub(crate) struct NodePlan {
    pub name: String,
    /// Index into [`BUILDS`] for Windows nodes.
    pub build: Option<usize>,
    pub ready: bool,
    pub ip: String,
    pub pod_cidr: String,
    /// Index among the nodes of its OS.
    pub os_index: usize,
    /// Whether the node carries the `os=windows:NoSchedule` taint.
    pub tainted: bool,
    pub runtime: &'static str,
    pub kubelet: &'static str,
    /// Third octets base for pod IPs: `10.A.B.x`.
    pub pod_net: (usize, usize),
}

impl NodePlan {
    pub fn is_windows(&self) -> bool {
        self.build.is_some()
    }

    /// The pod IP number `n` on this node.
    pub fn pod_ip(&self, n: usize) -> String {
        format!("10.{}.{}.{}", self.pod_net.0, self.pod_net.1, 2 + n % 250)
    }
}

/// Every node, with indexes by OS and build.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub nodes: Vec<NodePlan>,
    pub linux: Vec<usize>,
    pub windows: Vec<usize>,
    pub windows_by_build: [Vec<usize>; 3],
}

/// Decides names, OS, builds and states of the nodes.
pub(crate) fn plan(spec: &GenerateSpec) -> Plan {
    let mut rng = Rng::new(spec.seed, 1);
    let windows_count = spec.windows_nodes();
    let linux_count = spec.nodes - windows_count;
    let vmss = 10_000_000 + rng.below(89_999_999);
    let mut plan = Plan {
        nodes: Vec::with_capacity(spec.nodes),
        linux: Vec::new(),
        windows: Vec::new(),
        windows_by_build: [Vec::new(), Vec::new(), Vec::new()],
    };
    for i in 0..spec.nodes {
        let pod_net = (128 + i / 256, i % 256);
        let ip = format!("172.{}.{}.{}", 16 + i / 62_500, i / 250 % 250, 4 + i % 250);
        let node = if i < linux_count {
            let pool = 1 + i / 1000;
            NodePlan {
                name: format!("aks-nodepool{pool}-{vmss}-vmss{:06x}", i % 1000),
                build: None,
                ready: !rng.chance(2),
                ip,
                pod_cidr: format!("10.{}.{}.0/24", pod_net.0, pod_net.1),
                os_index: i,
                tainted: false,
                runtime: "containerd://1.7.22-1",
                kubelet: "v1.32.4",
                pod_net,
            }
        } else {
            let w = i - linux_count;
            // The first two Windows nodes are 2019 and 2022 so that every
            // cluster mixes builds; the rest are drawn 35/55/10.
            let build = match w {
                0 => 0,
                1 => 1,
                _ => match rng.below(100) {
                    0..=34 => 0,
                    35..=89 => 1,
                    _ => 2,
                },
            };
            let b = &BUILDS[build];
            let name = if w % 3 == 2 {
                format!("win{}-{w:05}.corp.example.com", b.short)
            } else {
                format!("akswin{w:06}")
            };
            NodePlan {
                name,
                build: Some(build),
                ready: w % 37 != 5,
                ip,
                pod_cidr: format!("10.{}.{}.0/24", pod_net.0, pod_net.1),
                os_index: w,
                tainted: w % 2 == 1,
                runtime: match w % 53 {
                    7 => "docker://20.10.24",
                    _ if w % 29 == 3 => "containerd://1.6.35",
                    _ => "containerd://1.7.20+azure",
                },
                kubelet: if w % 17 == 2 { "v1.28.15" } else { "v1.32.4" },
                pod_net,
            }
        };
        match node.build {
            Some(b) => {
                plan.windows.push(i);
                plan.windows_by_build[b].push(i);
            }
            None => plan.linux.push(i),
        }
        plan.nodes.push(node);
    }
    plan
}

/// The Node objects of the plan.
pub(crate) fn objects<'a>(spec: &GenerateSpec, plan: &'a Plan) -> impl Iterator<Item = Value> + 'a {
    let mut rng = Rng::new(spec.seed, 2);
    plan.nodes
        .iter()
        .map(move |node| node_object(node, &mut rng))
}

fn node_object(node: &NodePlan, rng: &mut Rng) -> Value {
    let created = timestamp(rng.below(3 * 86_400) as u64);
    let heartbeat = timestamp(20 * 86_400 + rng.below(600) as u64);
    let windows = node.build.map(|b| &BUILDS[b]);
    let os = if windows.is_some() {
        "windows"
    } else {
        "linux"
    };
    let short_name = node.name.split('.').next().unwrap_or(&node.name);
    let mut labels = json!({
        "agentpool": if windows.is_some() { "win" } else { "nodepool1" },
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": if windows.is_some() { "Standard_D4s_v5" } else { "Standard_D8s_v5" },
        "beta.kubernetes.io/os": os,
        "failure-domain.beta.kubernetes.io/region": "westeurope",
        "failure-domain.beta.kubernetes.io/zone": format!("westeurope-{}", 1 + node.os_index % 3),
        "kubernetes.azure.com/cluster": "MC_rg-prod_aks-prod_westeurope",
        "kubernetes.azure.com/mode": if node.os_index == 0 { "system" } else { "user" },
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": short_name.to_ascii_lowercase(),
        "kubernetes.io/os": os,
        "node.kubernetes.io/instance-type": if windows.is_some() { "Standard_D4s_v5" } else { "Standard_D8s_v5" },
        "topology.kubernetes.io/region": "westeurope",
        "topology.kubernetes.io/zone": format!("westeurope-{}", 1 + node.os_index % 3)
    });
    if let (Some(b), Value::Object(map)) = (windows, &mut labels) {
        // A few nodes lost their build label (windows-version check).
        if node.os_index % 23 != 4 {
            map.insert("node.kubernetes.io/windows-build".into(), json!(b.label));
        }
    }
    let vni = if windows.is_some() && node.os_index % 41 == 11 {
        4097
    } else {
        4096
    };
    let annotations = json!({
        "csi.volume.kubernetes.io/nodeid": format!("{{\"disk.csi.azure.com\":\"{}\",\"file.csi.azure.com\":\"{}\"}}", node.name, node.name),
        "flannel.alpha.coreos.com/backend-data": format!("{{\"VNI\":{vni},\"VtepMAC\":\"{}\"}}", rng.mac(windows.is_some())),
        "flannel.alpha.coreos.com/backend-type": "vxlan",
        "flannel.alpha.coreos.com/kube-subnet-manager": "true",
        "flannel.alpha.coreos.com/public-ip": node.ip,
        "kubeadm.alpha.kubernetes.io/cri-socket": if windows.is_some() { "npipe:////./pipe/containerd-containerd" } else { "unix:///run/containerd/containerd.sock" },
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true"
    });
    let mut spec = json!({
        "podCIDR": node.pod_cidr,
        "podCIDRs": [node.pod_cidr],
        "providerID": format!(
            "azure:///subscriptions/{}/resourceGroups/mc_rg-prod_aks-prod_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-{}-vmss/virtualMachines/{}",
            "5e1f4c2a-7a3b-4d8e-9f10-2b3c4d5e6f70",
            if windows.is_some() { "win" } else { "nodepool1" },
            node.os_index
        )
    });
    if node.tainted {
        if let Value::Object(map) = &mut spec {
            map.insert(
                "taints".into(),
                json!([{"effect": "NoSchedule", "key": "os", "value": "windows"}]),
            );
        }
    }
    let ready = if node.ready {
        json!({"lastHeartbeatTime": heartbeat, "lastTransitionTime": created, "message": "kubelet is posting ready status",
               "reason": "KubeletReady", "status": "True", "type": "Ready"})
    } else {
        json!({"lastHeartbeatTime": timestamp(19 * 86_400), "lastTransitionTime": timestamp(19 * 86_400 + 40),
               "message": "Kubelet stopped posting node status.", "reason": "NodeStatusUnknown", "status": "Unknown", "type": "Ready"})
    };
    let pressure = |kind: &str, reason: &str, message: &str| {
        json!({"lastHeartbeatTime": heartbeat, "lastTransitionTime": created, "message": message,
               "reason": reason, "status": "False", "type": kind})
    };
    let conditions = json!([
        pressure(
            "MemoryPressure",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"
        ),
        pressure(
            "DiskPressure",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure"
        ),
        pressure(
            "PIDPressure",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"
        ),
        ready
    ]);
    let (kernel, os_image, architecture) = match windows {
        Some(b) => (b.kernel, b.os_image, "amd64"),
        None => ("5.15.0-1074-azure", "Ubuntu 22.04.5 LTS", "amd64"),
    };
    let capacity = if windows.is_some() {
        json!({"cpu": "4", "ephemeral-storage": "133703676Ki", "memory": "16776692Ki", "pods": "30"})
    } else {
        json!({"cpu": "8", "ephemeral-storage": "129886128Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "32863332Ki", "pods": "110"})
    };
    let allocatable = if windows.is_some() {
        json!({"cpu": "3860m", "ephemeral-storage": "133703676Ki", "memory": "12378612Ki", "pods": "30"})
    } else {
        json!({"cpu": "7820m", "ephemeral-storage": "119703055367", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "28579940Ki", "pods": "110"})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "annotations": annotations,
            "creationTimestamp": created,
            "labels": labels,
            "managedFields": managed_fields("kubelet", &created, Some("kubelet")),
            "name": node.name,
            "resourceVersion": format!("{}", 100_000 + rng.below(900_000)),
            "uid": rng.uid()
        },
        "spec": spec,
        "status": {
            "addresses": [
                {"address": node.ip, "type": "InternalIP"},
                {"address": short_name, "type": "Hostname"}
            ],
            "allocatable": allocatable,
            "capacity": capacity,
            "conditions": conditions,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "images": images(windows, rng),
            "nodeInfo": {
                "architecture": architecture,
                "bootID": rng.uid(),
                "containerRuntimeVersion": node.runtime,
                "kernelVersion": kernel,
                "kubeProxyVersion": node.kubelet,
                "kubeletVersion": node.kubelet,
                "machineID": rng.hex(32),
                "operatingSystem": if windows.is_some() { "windows" } else { "linux" },
                "osImage": os_image,
                "systemUUID": rng.uid()
            }
        }
    })
}

/// The node's image list, as the kubelet reports it (digest and tag names).
fn images(windows: Option<&WinBuild>, rng: &mut Rng) -> Value {
    let repos: Vec<(String, u64)> = match windows {
        Some(b) => {
            let t = b.image_tag;
            vec![
                (
                    format!("mcr.microsoft.com/windows/servercore:{t}"),
                    2_900_000_000,
                ),
                (
                    format!("mcr.microsoft.com/windows/nanoserver:{t}"),
                    118_000_000,
                ),
                (
                    format!("mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-{t}"),
                    5_700_000_000,
                ),
                (
                    format!("mcr.microsoft.com/windows/servercore/iis:windowsservercore-{t}"),
                    3_100_000_000,
                ),
                (
                    "mcr.microsoft.com/oss/kubernetes/pause:3.9".to_string(),
                    120_000_000,
                ),
                (
                    "docker.io/sigwindowstools/kube-proxy:v1.32.4-flannel-hostprocess".to_string(),
                    140_000_000,
                ),
                (
                    "mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi:v1.31.2-windows-hp"
                        .to_string(),
                    150_000_000,
                ),
                (
                    "mcr.microsoft.com/oss/kubernetes-csi/livenessprobe:v2.14.0".to_string(),
                    130_000_000,
                ),
                (
                    "mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar:v2.12.0"
                        .to_string(),
                    128_000_000,
                ),
                (
                    "docker.io/sigwindowstools/flannel:v0.22.1-hostprocess".to_string(),
                    145_000_000,
                ),
                (
                    "mcr.microsoft.com/azuremonitor/containerinsights/ciprod:win-3.1.24"
                        .to_string(),
                    990_000_000,
                ),
            ]
        }
        None => [
            ("registry.k8s.io/pause:3.9", 321_520),
            ("mcr.microsoft.com/oss/kubernetes/pause:3.6", 301_773),
            (
                "mcr.microsoft.com/oss/kubernetes/kube-proxy:v1.32.4-hotfix.20250420",
                31_570_000,
            ),
            ("docker.io/flannel/flannel:v0.25.7", 32_500_000),
            (
                "docker.io/flannel/flannel-cni-plugin:v1.5.1-flannel2",
                4_850_000,
            ),
            (
                "mcr.microsoft.com/oss/kubernetes/coredns:v1.11.3-2",
                18_600_000,
            ),
            (
                "mcr.microsoft.com/oss/kubernetes-csi/azuredisk-csi:v1.31.2",
                76_000_000,
            ),
            (
                "mcr.microsoft.com/oss/kubernetes-csi/azurefile-csi:v1.31.1",
                78_400_000,
            ),
            (
                "mcr.microsoft.com/oss/kubernetes-csi/livenessprobe:v2.14.0",
                9_400_000,
            ),
            (
                "mcr.microsoft.com/oss/kubernetes-csi/csi-node-driver-registrar:v2.12.0",
                9_300_000,
            ),
            (
                "mcr.microsoft.com/azuremonitor/containerinsights/ciprod:3.1.24",
                230_000_000,
            ),
            ("docker.io/library/nginx:1.27.2", 72_100_000),
            ("docker.io/library/redis:7.4.1", 45_300_000),
            ("docker.io/library/postgres:16.4", 160_000_000),
            ("ghcr.io/example/payments-api:2.14.3", 91_000_000),
            ("ghcr.io/example/checkout-web:5.2.0", 64_000_000),
            ("quay.io/prometheus/node-exporter:v1.8.2", 12_200_000),
            (
                "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
                19_500_000,
            ),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect(),
    };
    Value::Array(
        repos
            .into_iter()
            .map(|(name, size)| {
                let repo = name.split(':').next().unwrap_or(&name).to_string();
                json!({
                    "names": [format!("{repo}@sha256:{}", rng.hex(64)), name],
                    "sizeBytes": size + rng.below(1_000_000) as u64
                })
            })
            .collect(),
    )
}
