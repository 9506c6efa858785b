//! The kubelets' running configuration (`/configz`) of the generated nodes:
//! a KubeletConfiguration as the kubelet reports it. Windows nodes have no
//! cgroupDriver, `enforceNodeAllocatable: []` and, on most of them,
//! `systemReserved: {memory: 2Gi}`; a deterministic few lack the
//! reservation. Linux nodes use the systemd cgroup driver.

use serde_json::{json, Value};

use super::nodes::NodePlan;
use super::DNS_IP;

/// Whether Windows node `w` (index among Windows nodes) reserves no memory
/// for the system.
pub(crate) fn lacks_system_reserved(w: usize) -> bool {
    w % 9 == 4
}

/// The `kubeletconfig` of `node`.
pub(crate) fn configz(node: &NodePlan) -> Value {
    let mut config = json!({
        "enableServer": true,
        "podLogsDir": if node.is_windows() { "C:\\var\\log\\pods" } else { "/var/log/pods" },
        "syncFrequency": "1m0s",
        "fileCheckFrequency": "20s",
        "httpCheckFrequency": "20s",
        "address": "0.0.0.0",
        "port": 10250,
        "rotateCertificates": true,
        "authentication": {
            "x509": {"clientCAFile": if node.is_windows() { "C:\\k\\ca.crt" } else { "/etc/kubernetes/certs/ca.crt" }},
            "webhook": {"enabled": true, "cacheTTL": "2m0s"},
            "anonymous": {"enabled": false}
        },
        "authorization": {"mode": "Webhook", "webhook": {"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}}
    });
    let more = json!({
        "registryPullQPS": 5,
        "registryBurst": 10,
        "eventRecordQPS": 50,
        "eventBurst": 100,
        "enableDebuggingHandlers": true,
        "healthzPort": 10248,
        "healthzBindAddress": "127.0.0.1",
        "clusterDomain": "cluster.local",
        "clusterDNS": [DNS_IP],
        "streamingConnectionIdleTimeout": "4h0m0s",
        "nodeStatusUpdateFrequency": "10s",
        "nodeStatusReportFrequency": "5m0s",
        "imageMinimumGCAge": "2m0s",
        "imageGCHighThresholdPercent": 85,
        "imageGCLowThresholdPercent": 80,
        "volumeStatsAggPeriod": "1m0s",
        "cpuManagerPolicy": "none",
        "runtimeRequestTimeout": "2m0s",
        "maxPods": if node.is_windows() { 30 } else { 110 }
    });
    let rest = json!({
        "podPidsLimit": -1,
        "resolvConf": if node.is_windows() { "" } else { "/run/systemd/resolve/resolv.conf" },
        "cpuCFSQuota": true,
        "maxOpenFiles": 1_000_000,
        "contentType": "application/vnd.kubernetes.protobuf",
        "kubeAPIQPS": 50,
        "kubeAPIBurst": 100,
        "serializeImagePulls": true,
        "evictionHard": {"memory.available": if node.is_windows() { "500Mi" } else { "750Mi" }, "nodefs.available": "10%", "nodefs.inodesFree": "5%"},
        "evictionPressureTransitionPeriod": "5m0s",
        "enableControllerAttachDetach": true,
        "makeIPTablesUtilChains": true,
        "featureGates": {"RotateKubeletServerCertificate": true},
        "containerLogMaxSize": "50Mi",
        "containerLogMaxFiles": 5,
        "enableSystemLogHandler": true,
        "enableSystemLogQuery": node.is_windows(),
        "shutdownGracePeriod": "0s",
        "shutdownGracePeriodCriticalPods": "0s",
        "enableProfilingHandler": true,
        "enableDebugFlagsHandler": true,
        "registerNode": true,
        "containerRuntimeEndpoint": if node.is_windows() { "npipe://./pipe/containerd-containerd" } else { "unix:///run/containerd/containerd.sock" }
    });
    for part in [more, rest] {
        if let (Value::Object(into), Value::Object(from)) = (&mut config, part) {
            into.extend(from);
        }
    }
    if node.is_windows() {
        config["enforceNodeAllocatable"] = json!([]);
        config["featureGates"]["NodeLogQuery"] = json!(true);
        if !lacks_system_reserved(node.os_index) {
            config["systemReserved"] = json!({"memory": "2Gi"});
        }
        config["kubeReserved"] = json!({"cpu": "100m", "memory": "1843Mi"});
    } else {
        config["cgroupDriver"] = json!("systemd");
        config["cgroupsPerQOS"] = json!(true);
        config["enforceNodeAllocatable"] = json!(["pods"]);
        config["systemReserved"] = json!({"cpu": "100m", "memory": "1Gi"});
        config["kubeReserved"] = json!({"cpu": "180m", "memory": "1843Mi"});
    }
    config
}
