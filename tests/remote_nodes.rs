//! Node data through the API gives the node checks the same findings as windoctor run on the
//! node. One Windows node, `win-1`, is described twice: as a node part collected on the node
//! (processes, kubelet config file, log files) and as what the API serves about it (HostProcess
//! system pods with statuses and log tails, configz, the kubelet's log directory). For each node
//! check with a read-only API source, the problem findings (check, part, status) about win-1
//! agree, and the API run's evidence came through pod-log, configz, node-log or api. For every
//! node check, a fleet collection (the node part returned by a collector pod's log) gives the
//! findings of the on-node run.

use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use windoctor::findings::{Finding, Status};
use windoctor::sources::files::MemoryStore;
use windoctor_testkit::{
    ClusterData, CollectorBehaviour, FakeApiServer, ResourceKind, ServerOptions,
};

const NODE: &str = "win-1";

fn nodes() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": NODE, "labels": {"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.17763"}},
            "spec": {"podCIDR": "10.244.1.0/24", "taints": [{"key": "os", "value": "windows", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                "addresses": [{"type": "InternalIP", "address": "172.16.0.10"}],
                "nodeInfo": {"kernelVersion": "10.0.17763.6054", "kubeletVersion": "v1.31.2", "kubeProxyVersion": "v1.31.2",
                    "operatingSystem": "windows", "osImage": "Windows Server 2019 Datacenter", "architecture": "amd64",
                    "containerRuntimeVersion": "containerd://1.7.20"}}}),
        json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "linux-1", "labels": {"kubernetes.io/os": "linux"}},
            "spec": {"podCIDR": "10.244.0.0/24"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                "addresses": [{"type": "InternalIP", "address": "172.16.0.5"}],
                "nodeInfo": {"kernelVersion": "6.8.0", "kubeletVersion": "v1.31.2", "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04", "architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.20"}}}),
    ]
}

#[allow(clippy::too_many_arguments)] // a pod fixture: each argument is one field of the manifest
fn host_process_pod(
    ns: &str,
    name: &str,
    ds: &str,
    container: &str,
    image: &str,
    command: Value,
    args: Value,
    status: Value,
) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds, "uid": "1"}]},
        "spec": {"nodeName": NODE, "hostNetwork": true, "nodeSelector": {"kubernetes.io/os": "windows"},
            "securityContext": {"windowsOptions": {"hostProcess": true, "runAsUserName": "NT AUTHORITY\\system"}},
            "containers": [{"name": container, "image": image, "command": command, "args": args,
                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]}]},
        "status": status})
}

fn pods() -> Vec<Value> {
    vec![
        host_process_pod(
            "kube-system",
            "kube-proxy-windows-x7k2p",
            "kube-proxy-windows",
            "kube-proxy",
            "sigwindowstools/kube-proxy:v1.31.2-flannel-hostprocess",
            json!(["kube-proxy.exe"]),
            json!([
                "--hostname-override=win-old",
                "--v=4",
                "--proxy-mode=kernelspace",
                "--network-name=vxlan0"
            ]),
            json!({"phase": "Running", "containerStatuses": [{"name": "kube-proxy", "ready": true, "restartCount": 0,
                "image": "sigwindowstools/kube-proxy:v1.31.2-flannel-hostprocess", "state": {"running": {"startedAt": "2026-11-20T08:00:00Z"}}}]}),
        ),
        host_process_pod(
            "kube-flannel",
            "kube-flannel-ds-windows-amd64-q9d4w",
            "kube-flannel-ds-windows-amd64",
            "kube-flannel",
            "docker.io/sigwindowstools/flannel:v0.22.1-hostprocess",
            json!(["powershell"]),
            json!([
                "-file",
                "$env:CONTAINER_SANDBOX_MOUNT_POINT/flannel/start.ps1"
            ]),
            json!({"phase": "Running", "containerStatuses": [{"name": "kube-flannel", "ready": false, "restartCount": 12,
                "image": "docker.io/sigwindowstools/flannel:v0.22.1-hostprocess",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=kube-flannel"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": "2026-11-20T09:00:45Z"}}}]}),
        ),
    ]
}

fn cluster_lists() -> Vec<(&'static str, Value)> {
    let list = |items: Vec<Value>| json!({"apiVersion": "v1", "kind": "List", "items": items});
    vec![
        (
            "cluster/version.json",
            json!({"major": "1", "minor": "31", "gitVersion": "v1.31.2", "platform": "linux/amd64"}),
        ),
        ("cluster/nodes.json", list(nodes())),
        ("cluster/pods.json", list(pods())),
        (
            "cluster/services.json",
            list(vec![json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system"},
            "spec": {"clusterIP": "10.96.0.10", "type": "ClusterIP", "ports": [{"port": 53, "protocol": "UDP"}]}})]),
        ),
        (
            "cluster/configmaps.json",
            list(vec![
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                "data": {"ClusterConfiguration": "networking:\n  serviceSubnet: 10.96.0.0/12\n  podSubnet: 10.244.0.0/16\n"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-flannel-cfg", "namespace": "kube-flannel"},
                "data": {"net-conf.json": "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":4096,\"Port\":4789}}"}}),
            ]),
        ),
        ("cluster/daemonsets.json", list(vec![])),
        ("cluster/events.json", list(vec![])),
        ("cluster/runtimeclasses.json", list(vec![])),
    ]
}

/// flanneld's log of a node whose network was never created (microsoft/SDN#371 wording).
const FLANNEL_LOG: &str = "I1120 09:00:00.003120    1111 main.go:212] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001 kubeSubnetMgr:true}\n\
I1120 09:00:01.013440    1111 main.go:386] Found network config - Backend type: vxlan\n\
Waiting for the Network to be created\n\
I1120 09:00:11.000000    1111 vxlan_windows.go:127] Waiting to get ManagementIP from HostComputeNetwork flannel.4096\n\
Waiting for the Network to be created\n\
I1120 09:00:21.000000    1111 vxlan_windows.go:127] Waiting to get ManagementIP from HostComputeNetwork flannel.4096\n\
E1120 09:00:45.220117    1111 main.go:333] Error registering network: failed to acquire lease: node \"win-1\" pod cidr not assigned\n";

/// The kubelet's log: its startup flags (Azure/aks-engine#722 shape) and a port-forward to a pod
/// whose pause image has no wincat.
const KUBELET_LOG: &str = "I1120 08:00:00.401015     884 flags.go:64] FLAG: --windows-priorityclass=\"ABOVE_NORMAL_PRIORITY_CLASS\"\n\
I1120 08:00:00.401015     884 flags.go:64] FLAG: --pod-infra-container-image=\"mcr.microsoft.com/oss/kubernetes/pause:3.6-windows-ltsc2022-amd64\"\n\
I1120 08:00:00.401015     884 flags.go:64] FLAG: --node-ip=\"\"\n\
E1120 09:10:00.000000     884 server.go:788] \"Error executing port forward\" err=\"unable to do port forwarding: wincat not found\"\n";

const KUBELET_CONFIG: &str = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nsystemReserved:\n  memory: 1Gi\nclusterDNS:\n- 10.0.0.10\nenforceNodeAllocatable: []\n";

/// The node part windoctor's collector makes on win-1.
fn on_node_part() -> MemoryStore {
    let mut m = MemoryStore::default();
    let put = |m: &mut MemoryStore, p: &str, v: &str| {
        m.files.insert(p.to_string(), v.as_bytes().to_vec());
    };
    put(&mut m, "node/node.json", &json!({"hostname": "WIN-1", "node_name": NODE,
        "collector": "windoctor 0.1.0",
        "os": {"caption": "Microsoft Windows Server 2019 Datacenter", "version": "10.0.17763", "build": "17763", "ubr": 6054}}).to_string());
    put(&mut m, "node/processes.json", &json!([
        {"name": "kubelet.exe", "pid": 884, "command_line": ["C:\\k\\kubelet.exe", "--config=C:\\var\\lib\\kubelet\\config.yaml",
            "--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS",
            "--pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6-windows-ltsc2022-amd64"]},
        {"name": "kube-proxy.exe", "pid": 1200, "command_line": ["C:\\hpc\\kube-proxy.exe", "--hostname-override=win-old", "--v=4", "--proxy-mode=kernelspace", "--network-name=vxlan0"]},
        {"name": "containerd.exe", "pid": 700, "command_line": ["C:\\Program Files\\containerd\\containerd.exe", "--run-service"]}
    ]).to_string());
    put(&mut m, "node/services.json", "[]");
    put(
        &mut m,
        "node/files/C/var/lib/kubelet/config.yaml",
        KUBELET_CONFIG,
    );
    put(&mut m, "node/files/C/k/flanneld.log", FLANNEL_LOG);
    // sig-windows-tools' HostProcess flannel writes its CNI configuration (10-flannel.conf).
    put(
        &mut m,
        "node/files/C/etc/cni/net.d/10-flannel.conf",
        r#"{"name":"flannel.4096","cniVersion":"0.3.0","type":"flannel","capabilities":{"portMappings":true,"dns":true},"delegate":{"type":"win-overlay","policies":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16","10.96.0.0/12"]}}]}}"#,
    );
    put(
        &mut m,
        "node/files/C/var/log/kubelet/kubelet.log",
        KUBELET_LOG,
    );
    m
}

fn on_node_findings() -> Vec<Finding> {
    let mut store = on_node_part();
    for (path, v) in cluster_lists() {
        store
            .files
            .insert(path.to_string(), v.to_string().into_bytes());
    }
    let mut facts = windoctor::sources::bundle::read_bundle(&store);
    windoctor::model::resolve_local_node(&mut facts, None);
    let world = windoctor::model::World::new(facts);
    windoctor::checks::run_all(&world, &Default::default())
}

/// What the API serves about the cluster and win-1.
fn served() -> ClusterData {
    let mut data = ClusterData::new();
    for (path, v) in cluster_lists() {
        if path == "cluster/version.json" {
            data.set_version(v);
            continue;
        }
        let kind = match path {
            "cluster/nodes.json" => ResourceKind::Nodes,
            "cluster/pods.json" => ResourceKind::Pods,
            "cluster/services.json" => ResourceKind::Services,
            "cluster/configmaps.json" => ResourceKind::ConfigMaps,
            "cluster/daemonsets.json" => ResourceKind::DaemonSets,
            "cluster/events.json" => ResourceKind::Events,
            _ => ResourceKind::RuntimeClasses,
        };
        data.add_document(kind, v).expect("list");
    }
    data.add(
        ResourceKind::Namespaces,
        json!({"metadata": {"name": "windoctor"}}),
    )
    .expect("ns");
    for ns in ["default", "kube-system", "kube-flannel"] {
        data.add(ResourceKind::Namespaces, json!({"metadata": {"name": ns}}))
            .expect("ns");
    }
    data.add_log(
        "kube-system",
        "kube-proxy-windows-x7k2p",
        "kube-proxy",
        "I1120 08:00:01.120400    1200 server.go:484] \"Kube-proxy version\" version=\"v1.31.2\"\n",
    );
    data.add_log("kube-flannel", "kube-flannel-ds-windows-amd64-q9d4w", "kube-flannel",
        "I1120 09:10:00.003120    1117 main.go:212] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001 kubeSubnetMgr:true}\n");
    data.add_previous_log(
        "kube-flannel",
        "kube-flannel-ds-windows-amd64-q9d4w",
        "kube-flannel",
        FLANNEL_LOG,
    );
    data.set_configz(NODE, json!({"kubeletconfig": {
        "systemReserved": {"memory": "1Gi"}, "clusterDNS": ["10.0.0.10"], "enforceNodeAllocatable": [],
        "evictionHard": {"memory.available": "500Mi", "nodefs.available": "10%", "imagefs.available": "15%"},
        "enableSystemLogQuery": false, "containerRuntimeEndpoint": "npipe://./pipe/containerd-containerd"}}));
    data.add_node_log(NODE, "kubelet/kubelet.log", KUBELET_LOG);
    data
}

fn live_findings(
    data: ClusterData,
    options: ServerOptions,
    fleet: Option<windoctor::fleet::FleetRequest>,
) -> (Vec<Finding>, windoctor_testkit::BackgroundServer) {
    let server = FakeApiServer::start_background(data, options).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    let mut plan = windoctor::plan::RunPlan::demo();
    plan.source = windoctor::plan::SourceChoice::Live;
    plan.live.kubeconfig = Some(kubeconfig);
    plan.fleet = fleet;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (findings, _) = runtime
        .block_on(windoctor::engine::run_to_end(&plan))
        .expect("the live run finishes");
    (findings, server)
}

/// `(code, status)` of the problem findings (fail, warn, error) of `check` about win-1.
fn problems(findings: &[Finding], check: &str) -> BTreeSet<(String, Status)> {
    findings
        .iter()
        .filter(|f| f.check == check && f.node.as_deref() == Some(NODE))
        .filter(|f| matches!(f.status, Status::Fail | Status::Warn | Status::Error))
        .filter(|f| f.subject.kind != "Input")
        .map(|f| (f.code.clone(), f.status))
        .collect()
}

/// The node checks with a read-only API source, and what the fixture gives each.
const API_CHECKS: [&str; 7] = [
    "node-ready",                   // flannel's container statuses (pods)
    "flanneld-waiting",             // flannel's previous log (pod-log)
    "kubelet-config",               // systemReserved (configz)
    "ip-plan",                      // clusterDNS (configz)
    "kube-proxy-hostname-override", // kube-proxy's command line (pod spec)
    "pause-image",                  // --pod-infra-container-image (FLAG lines, node-log)
    "port-forward-wincat",          // the wincat error (node-log)
];

#[test]
fn api_evidence_gives_the_on_node_findings() {
    let on_node = on_node_findings();
    let (api, server) = live_findings(served(), ServerOptions::new(), None);
    for check in API_CHECKS {
        let want = problems(&on_node, check);
        assert!(
            !want.is_empty(),
            "the fixture has a {check} problem on the node: {on_node:#?}"
        );
        let got = problems(&api, check);
        assert_eq!(got, want, "{check}: API run vs on-node run");
        // The API run's problem findings rest on what the API served.
        for f in api.iter().filter(|f| {
            f.check == check
                && f.node.as_deref() == Some(NODE)
                && matches!(f.status, Status::Fail | Status::Warn)
        }) {
            assert!(!f.evidence.is_empty(), "{check}: {f:#?}");
            for e in &f.evidence {
                let origin = e.origin.map(|o| o.as_str());
                assert!(
                    matches!(origin, Some("pod-log" | "configz" | "node-log" | "api")),
                    "{check}: evidence {e:?} came through {origin:?}"
                );
            }
        }
    }
    // node-services: kube-proxy runs as a HostProcess pod, seen the same way.
    let passes = |findings: &[Finding]| -> BTreeSet<String> {
        findings
            .iter()
            .filter(|f| f.check == "node-services" && f.status == Status::Pass)
            .map(|f| f.subject.display())
            .collect()
    };
    assert_eq!(passes(&api), passes(&on_node));
    assert!(passes(&api)
        .iter()
        .any(|s| s.contains("kube-proxy-windows")));
    // Only reads.
    let writes: Vec<String> = server
        .write_requests()
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert!(writes.is_empty(), "a read-only run wrote: {writes:?}");
    let log = server.request_log();
    for path in [
        format!("/api/v1/nodes/{NODE}/proxy/configz"),
        format!("/api/v1/nodes/{NODE}/proxy/logs/"),
        "/api/v1/namespaces/kube-flannel/pods/kube-flannel-ds-windows-amd64-q9d4w/log".to_string(),
    ] {
        assert!(log.iter().any(|r| r.path == path), "{path} read: {log:?}");
    }
    // enableSystemLogQuery: false in configz: the query is not even tried.
    assert!(!log.iter().any(|r| r.query.contains("query=kubelet")));
}

#[test]
fn a_refused_source_is_named_and_never_passes() {
    let options = ServerOptions::new()
        .forbid("nodes/proxy")
        .forbid("pods/log");
    let (api, server) = live_findings(served(), options, None);
    // Flannel's crash loop still shows in its container status; its log could not be read.
    assert!(problems(&api, "node-ready")
        .contains(&("node-ready/process-missing".to_string(), Status::Fail)));
    for check in [
        "kubelet-config",
        "flanneld-waiting",
        "pause-image",
        "port-forward-wincat",
    ] {
        let about: Vec<&Finding> = api
            .iter()
            .filter(|f| f.check == check && f.node.as_deref() == Some(NODE))
            .collect();
        assert!(
            !about.iter().any(|f| f.status == Status::Pass),
            "{check} passed on unread input: {about:#?}"
        );
    }
    let skip = api
        .iter()
        .find(|f| f.check == "kubelet-config" && f.node.as_deref() == Some(NODE))
        .expect("kubelet-config says something about win-1");
    assert!(
        skip.message.contains("configz: forbidden") && skip.message.contains("nodes/proxy"),
        "{}",
        skip.message
    );
    // Each refused source was asked once, not once per node and file.
    let proxy = server
        .request_log()
        .iter()
        .filter(|r| r.path.contains("/proxy/"))
        .count();
    assert!(proxy <= 2, "{proxy} proxy requests after a 403");
}

#[test]
fn a_fleet_collection_gives_the_on_node_findings_for_every_node_check() {
    use windoctor::fleet::payload;
    let on_node = on_node_findings();
    let log = payload::encode("store", &payload::store_json(&on_node_part()));
    let options = ServerOptions::new().collector(NODE, CollectorBehaviour::runs(log));
    let mut req = windoctor::fleet::FleetRequest::new("windoctor");
    req.poll = Duration::from_millis(20);
    req.progress = false;
    let (fleet, server) = live_findings(served(), options, Some(req));
    let node_checks: BTreeSet<&str> = on_node
        .iter()
        .filter(|f| f.node.as_deref() == Some(NODE))
        .map(|f| f.check.as_str())
        .collect();
    for check in node_checks {
        let key = |fs: &[Finding]| -> BTreeSet<(String, Status)> {
            fs.iter()
                .filter(|f| f.check == check && f.node.as_deref() == Some(NODE))
                .map(|f| (f.code.clone(), f.status))
                .collect()
        };
        assert_eq!(
            key(&fleet),
            key(&on_node),
            "{check}: fleet run vs on-node run"
        );
    }
    let writes: Vec<String> = server
        .write_requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        writes
            .iter()
            .any(|w| w.starts_with("POST /api/v1/namespaces/windoctor/pods")),
        "{writes:?}"
    );
    assert!(
        writes
            .iter()
            .any(|w| w.starts_with("DELETE /api/v1/namespaces/windoctor/pods/")),
        "{writes:?}"
    );
    assert!(
        writes
            .iter()
            .all(|w| w.contains("/namespaces/windoctor/pods")),
        "writes only collector pods: {writes:?}"
    );
}

#[test]
fn capture_writes_what_the_api_gave_and_the_replay_finds_the_same() {
    let server = FakeApiServer::start_background(served(), ServerOptions::new()).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    let mut plan = windoctor::plan::RunPlan::demo();
    plan.source = windoctor::plan::SourceChoice::Live;
    plan.live.kubeconfig = Some(kubeconfig);
    let bundle = dir.path().join("bundle");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (live, _) = runtime
        .block_on(windoctor::engine::run_to_end(&plan))
        .expect("the live run finishes");
    let code = runtime.block_on(windoctor::commands::capture::run(
        &plan,
        Some(&bundle),
        windoctor::commands::capture::Scope::Full,
    ));
    assert_eq!(code, 0);
    for path in [
        "nodes/win-1/node.json",
        "nodes/win-1/system-pods.json",
        "nodes/win-1/configz.json",
        "nodes/win-1/node-logs/kubelet/kubelet.log",
        "cluster/logs/kube-flannel/kube-flannel-ds-windows-amd64-q9d4w/kube-flannel.previous.log",
        "cluster/logs/kube-flannel/kube-flannel-ds-windows-amd64-q9d4w/kube-flannel.log",
    ] {
        assert!(bundle.join(path).is_file(), "{path} written");
    }
    let store = windoctor::sources::files::DirStore::open(&bundle).expect("bundle");
    let mut facts = windoctor::sources::bundle::read_bundle(&store);
    windoctor::model::resolve_local_node(&mut facts, None);
    let replay =
        windoctor::checks::run_all(&windoctor::model::World::new(facts), &Default::default());
    let about = |fs: &[Finding]| -> BTreeSet<(String, String, Status, String)> {
        fs.iter()
            .filter(|f| f.node.as_deref() == Some(NODE))
            .map(|f| (f.check.clone(), f.code.clone(), f.status, f.message.clone()))
            .collect()
    };
    assert_eq!(
        about(&replay),
        about(&live),
        "capture -> replay changes no finding about win-1"
    );
}

/// A kube-proxy run by hand in an application namespace (no DaemonSet, no HostProcess) is no
/// system pod, but capture fetches its log tail in both scopes, as for every kube-proxy or flannel
/// pod on a Windows node: the full capture's quick test of which pods to read whole must not pass
/// it over.
#[test]
fn capture_fetches_the_logs_of_a_kube_proxy_outside_the_system_namespaces() {
    let mut data = served();
    data.add(
        ResourceKind::Namespaces,
        json!({"metadata": {"name": "shop"}}),
    )
    .expect("ns");
    data.add(
        ResourceKind::Pods,
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "kube-proxy-manual", "namespace": "shop"},
            "spec": {"nodeName": NODE, "containers": [{"name": "kube-proxy",
                "image": "sigwindowstools/kube-proxy:v1.31.2-flannel-hostprocess"}]},
            "status": {"phase": "Running"}}),
    )
    .expect("pod");
    data.add_log(
        "shop",
        "kube-proxy-manual",
        "kube-proxy",
        "I1120 08:00:01.120400    4711 server.go:484] \"Kube-proxy version\" version=\"v1.31.2\"\n",
    );
    let server = FakeApiServer::start_background(data, ServerOptions::new()).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = server.write_kubeconfig(dir.path()).expect("kubeconfig");
    let mut plan = windoctor::plan::RunPlan::demo();
    plan.source = windoctor::plan::SourceChoice::Live;
    plan.live.kubeconfig = Some(kubeconfig);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (scope, name) in [
        (windoctor::commands::capture::Scope::Full, "full"),
        (windoctor::commands::capture::Scope::WindowsShare, "share"),
    ] {
        let bundle = dir.path().join(name);
        let code = runtime.block_on(windoctor::commands::capture::run(
            &plan,
            Some(&bundle),
            scope,
        ));
        assert_eq!(code, 0, "{name}");
        let log = bundle.join("cluster/logs/shop/kube-proxy-manual/kube-proxy.log");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(text.contains("4711"), "{name}: {}", log.display());
    }
}
