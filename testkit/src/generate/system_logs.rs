//! Log tails of the generated Windows system pods (HostProcess kube-proxy
//! and flannel), current and previous, in klog's format
//! (`I1120 09:00:00.000000    4321 file.go:123] message`). A deterministic
//! few crash-loop, and their previous instance ends with a failure worded
//! as in public issues:
//! - kube-proxy (winkernel): `"Policy creation failed"
//!   err="hcnCreateLoadBalancer failed in Win32: The specified port already
//!   exists. (0x803b0013) ..."` (microsoft/hcsshim#1043,
//!   kubernetes/community#8883);
//! - flannel: `Waiting for the Network to be created` (microsoft/SDN#371)
//!   and `Error registering network: failed to acquire lease: node "NAME"
//!   pod cidr not assigned` (MicrosoftDocs/Virtualization-Documentation#1013).

use super::nodes::NodePlan;
use super::timestamp;
use super::workloads::{PodFact, Problem, SystemPod};

/// Whether the `pod` of the Windows node with index `w` among Windows nodes
/// crash-loops.
pub(crate) fn crashloops(pod: SystemPod, w: usize) -> bool {
    match pod {
        SystemPod::KubeProxy => w % 13 == 5,
        SystemPod::Flannel => w % 11 == 3,
    }
}

/// The current and (for a restarted container) previous log of a system pod.
pub(crate) struct PodLogs {
    pub current: String,
    pub previous: Option<String>,
}

/// One klog line at `secs` into the generated month.
fn klog(severity: char, secs: u64, micros: u32, pid: u32, at: &str, message: &str) -> String {
    // timestamp() is `2026-11-DDTHH:MM:SSZ`.
    let ts = timestamp(secs);
    let (month, day, time) = (&ts[5..7], &ts[8..10], &ts[11..19]);
    format!("{severity}{month}{day} {time}.{micros:06} {pid:>7} {at}] {message}\n")
}

/// The logs of `fact` (a system pod) on `node`.
pub(crate) fn logs(fact: &PodFact, system: SystemPod, node: &NodePlan) -> PodLogs {
    let w = node.os_index;
    let base = 19 * 86_400 + (w as u64 % 600) * 7;
    let pid = 1_000 + (w as u32 * 37) % 8_000;
    let crashing = fact.problem == Problem::CrashLoop;
    match system {
        SystemPod::KubeProxy => {
            let start = |t: u64, pid: u32| {
                let mut log = String::new();
                log += &klog(
                    'I',
                    t,
                    120_400,
                    pid,
                    "server.go:484",
                    "\"Kube-proxy version\" version=\"v1.32.4\"",
                );
                log += &klog(
                    'I',
                    t,
                    183_022,
                    pid,
                    "server_windows.go:121",
                    "\"Using kernelspace Proxier.\"",
                );
                log += &klog(
                    'I',
                    t + 1,
                    4_213,
                    pid,
                    "proxier.go:686",
                    &format!("\"Hns Network\" networkName=\"vxlan0\" networkType=\"Overlay\" nodeName={:?}", node.name),
                );
                log += &klog(
                    'I',
                    t + 1,
                    93_771,
                    pid,
                    "config.go:199",
                    "\"Starting service config controller\"",
                );
                log
            };
            if crashing {
                let mut previous = start(base, pid);
                previous += &klog(
                    'E',
                    base + 4,
                    512_345,
                    pid,
                    "proxier.go:1202",
                    "\"Policy creation failed\" err=\"hcnCreateLoadBalancer failed in Win32: The specified port already exists. (0x803b0013) {\\\"Success\\\":false,\\\"Error\\\":\\\"The specified port already exists. \\\",\\\"ErrorCode\\\":2151350291}\"",
                );
                previous += &klog('E', base + 4, 513_002, pid, "proxier.go:1150", "\"Failed to sync proxy rules\" err=\"failed to create load balancer for service kube-system/kube-dns:dns\"");
                PodLogs {
                    current: start(base + 300, pid + 4),
                    previous: Some(previous),
                }
            } else {
                let mut current = start(base, pid);
                current += &klog(
                    'I',
                    base + 2,
                    731_200,
                    pid,
                    "proxier.go:1105",
                    "\"Syncing proxy rules complete\" elapsed=\"412.6ms\"",
                );
                PodLogs {
                    current,
                    previous: None,
                }
            }
        }
        SystemPod::Flannel => {
            let start = |t: u64, pid: u32| {
                let mut log = String::new();
                log += &klog('I', t, 3_120, pid, "main.go:212", "CLI flags config: {etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 etcdPrefix:/coreos.com/network kubeSubnetMgr:true ifaceCanReach: ipMasq:false}");
                log += &klog(
                    'I',
                    t,
                    512_030,
                    pid,
                    "kube.go:139",
                    "Waiting 10m0s for node controller to sync",
                );
                log += &klog(
                    'I',
                    t + 1,
                    13_440,
                    pid,
                    "main.go:386",
                    "Found network config - Backend type: vxlan",
                );
                log
            };
            if crashing {
                let mut previous = start(base, pid);
                for i in 0..3 {
                    previous += "Waiting for the Network to be created\n";
                    previous += &klog(
                        'I',
                        base + 11 + 10 * i,
                        0,
                        pid,
                        "vxlan_windows.go:127",
                        "Waiting to get ManagementIP from HostComputeNetwork flannel.4096",
                    );
                }
                previous += &klog(
                    'E',
                    base + 45,
                    220_117,
                    pid,
                    "main.go:333",
                    &format!("Error registering network: failed to acquire lease: node {:?} pod cidr not assigned", node.name),
                );
                PodLogs {
                    current: start(base + 600, pid + 6),
                    previous: Some(previous),
                }
            } else {
                let mut current = start(base, pid);
                current += &klog(
                    'I',
                    base + 2,
                    880_005,
                    pid,
                    "main.go:457",
                    "Running backend.",
                );
                current += &klog(
                    'I',
                    base + 2,
                    880_420,
                    pid,
                    "vxlan_network_windows.go:71",
                    "watching for new subnet leases",
                );
                PodLogs {
                    current,
                    previous: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn klog_format() {
        assert_eq!(
            klog('I', 19 * 86_400 + 3_600, 5, 4_321, "file.go:123", "message"),
            "I1120 01:00:00.000005    4321 file.go:123] message\n"
        );
    }
}
