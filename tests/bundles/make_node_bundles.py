#!/usr/bin/env python3
"""Writes the node test bundles under tests/bundles/node-* (cluster part + node part), including the
UTF-16LE/BOM/CRLF variants that are awkward to author by hand. Re-run after editing: python3 tests/bundles/make_node_bundles.py"""
import json, os, shutil
ROOT = os.path.dirname(os.path.abspath(__file__))

def w(bundle, path, content, enc="utf-8", crlf=False, bom=False):
    p = os.path.join(ROOT, bundle, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if isinstance(content, (dict, list)):
        content = json.dumps(content, indent=2)
    if crlf:
        content = content.replace("\r\n", "\n").replace("\n", "\r\n")
    if enc == "utf-16le":
        data = b"\xff\xfe" + content.encode("utf-16-le")
    else:
        data = (b"\xef\xbb\xbf" if bom else b"") + content.encode("utf-8")
    open(p, "wb").write(data)

CNICONF = json.dumps({"name": "vxlan0", "cniVersion": "0.3.1", "plugins": [
    {"type": "flannel", "delegate": {"hairpinMode": True, "isDefaultGateway": True}},
    {"type": "portmap", "capabilities": {"portMappings": True}}]}, indent=2)

def lst(kind, items, api="v1"):
    for i in items:
        i.setdefault("apiVersion", api); i.setdefault("kind", kind)
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}

def win_node(name, cidr, ip, host, build="17763.6054", kubelet="v1.30.4", annotations=None, labels=None, provider=None):
    b = build.split(".")[0]
    lab = {"kubernetes.io/os": "windows", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": host.lower(),
           "node.kubernetes.io/windows-build": f"10.0.{b}"}
    lab.update(labels or {})
    n = {"metadata": {"name": name, "labels": lab, "annotations": annotations or {}},
         "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
         "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
                    "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": host}],
                    "nodeInfo": {"kernelVersion": f"10.0.{build}", "kubeletVersion": kubelet, "kubeProxyVersion": kubelet,
                                 "osImage": "Windows Server 2019 Datacenter" if b == "17763" else "Windows Server 2022 Datacenter",
                                 "operatingSystem": "windows", "architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.20"}}}
    if provider: n["spec"]["providerID"] = provider
    return n

def linux_node(name, cidr, ip):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": ""},
             "annotations": {"flannel.alpha.coreos.com/backend-type": "vxlan", "flannel.alpha.coreos.com/backend-data": "{\"VNI\":4096,\"VtepMAC\":\"6a:1c:2f:00:11:22\"}"}},
            "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}], "addresses": [{"type": "InternalIP", "address": ip}],
                       "nodeInfo": {"kernelVersion": "5.15.0-112-generic", "kubeletVersion": "v1.30.4", "operatingSystem": "linux", "osImage": "Ubuntu 22.04.4 LTS", "containerRuntimeVersion": "containerd://1.7.12"}}}

NETCONF = '{\n  "Network": "10.244.0.0/16",\n  "Backend": {\n    "Type": "vxlan",\n    "VNI": 4096,\n    "Port": 4789\n  }\n}\n'
KUBEADM = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.4\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: 10.244.0.0/16\n  serviceSubnet: 10.96.0.0/12\n"

def cluster_common(b, nodes, extra_pods=None, events=None, daemonsets=None):
    w(b, "cluster/version.json", {"major": "1", "minor": "30", "gitVersion": "v1.30.4", "platform": "linux/amd64"})
    w(b, "cluster/nodes.json", lst("Node", nodes))
    w(b, "cluster/configmaps.json", lst("ConfigMap", [
        {"metadata": {"name": "kube-flannel-cfg", "namespace": "kube-flannel"}, "data": {"net-conf.json": NETCONF, "cni-conf.json": CNICONF}},
        {"metadata": {"name": "kubeadm-config", "namespace": "kube-system"}, "data": {"ClusterConfiguration": KUBEADM}}]))
    w(b, "cluster/services.json", lst("Service", [
        {"metadata": {"name": "kubernetes", "namespace": "default"}, "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.1", "ports": [{"port": 443, "protocol": "TCP"}]}},
        {"metadata": {"name": "kube-dns", "namespace": "kube-system"}, "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"}, "ports": [{"port": 53, "protocol": "UDP", "name": "dns"}]}}]))
    w(b, "cluster/pods.json", lst("Pod", extra_pods or []))
    w(b, "cluster/events.json", lst("Event", events or []))
    w(b, "cluster/daemonsets.json", lst("DaemonSet", daemonsets or [], "apps/v1"))
    w(b, "cluster/runtimeclasses.json", lst("RuntimeClass", [], "node.k8s.io/v1"))

def svc(name, app, params, state="Running", mode="Auto", stdout=None, env=None):
    n = {"Application": app, "AppParameters": params, "AppDirectory": "C:\\k"}
    if stdout: n["AppStdout"] = stdout; n["AppStderr"] = stdout
    if env: n["AppEnvironmentExtra"] = env
    return {"Name": name, "State": state, "StartMode": mode, "PathName": "C:\\k\\nssm.exe", "nssm": n}

# ------------------------------------------------------------------ healthy overlay node
b = "node-overlay-healthy"
shutil.rmtree(os.path.join(ROOT, b), ignore_errors=True)
FQDN = "win-2019-a.corp.example.com"
cluster_common(b, [linux_node("cp-1", "10.244.0.0/24", "10.0.0.5"),
                   win_node(FQDN, "10.244.4.0/24", "10.0.0.21", "WIN-2019-A",
                            annotations={"flannel.alpha.coreos.com/backend-type": "vxlan", "flannel.alpha.coreos.com/backend-data": "{\"VNI\":4096,\"VtepMAC\":\"00:15:5d:0a:01:15\"}",
                                         "flannel.alpha.coreos.com/public-ip": "10.0.0.21", "flannel.alpha.coreos.com/kube-subnet-manager": "true"},
                            provider=None)])
w(b, "node/node.json", {"hostname": "WIN-2019-A", "collected_at": "2026-11-20T09:30:00Z", "collector": "windoctor 0.1.0",
                        "os": {"caption": "Microsoft Windows Server 2019 Datacenter", "version": "10.0.17763", "build": "17763", "ubr": 6054},
                        "computer": {"manufacturer": "Dell Inc.", "model": "PowerEdge R640", "hypervisor_present": False},
                        "api_server": "https://10.0.0.5:6443"})
KP = f"--v=4 --proxy-mode=kernelspace --feature-gates=WinOverlay=true --hostname-override={FQDN} --kubeconfig=c:\\k\\config --network-name=vxlan0 --source-vip=10.244.4.2 --enable-dsr=false --log-dir=C:\\k --logtostderr=false"
KL = (f"--hostname-override={FQDN} --v=2 --pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6 --resolv-conf=\"\" "
      "--cluster-dns=10.96.0.10 --cluster-domain=cluster.local --kubeconfig=c:\\k\\config --cgroups-per-qos=false --enforce-node-allocatable=\"\" "
      "--container-runtime-endpoint=npipe:////./pipe/containerd-containerd --system-reserved=cpu=500m,memory=2Gi --windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS")
FL = "--kubeconfig-file=c:\\k\\config --iface=10.0.0.21 --ip-masq=1 --kube-subnet-mgr=1"
w(b, "node/services.json", [
    svc("kubelet", "C:\\k\\kubelet.exe", KL, stdout="C:\\k\\kubelet.log"),
    svc("kube-proxy", "C:\\k\\kube-proxy.exe", KP, stdout="C:\\k\\kube-proxy.log", env=["KUBE_NETWORK=vxlan0"]),
    svc("flanneld", "C:\\flannel\\flanneld.exe", FL, stdout="C:\\k\\flanneld.log", env=[f"NODE_NAME={FQDN}"]),
    {"Name": "containerd", "State": "Running", "StartMode": "Auto", "PathName": "\"C:\\Program Files\\containerd\\containerd.exe\" --register-service --run-service"}])
import shlex
def split(s): return s.replace('=""', '=').split(" ")
w(b, "node/processes.json", [
    {"name": "containerd.exe", "pid": 1880, "command_line": ["C:\\Program Files\\containerd\\containerd.exe", "--run-service"]},
    {"name": "kubelet.exe", "pid": 2140, "command_line": ["C:\\k\\kubelet.exe"] + split(KL)},
    {"name": "kube-proxy.exe", "pid": 3312, "command_line": ["C:\\k\\kube-proxy.exe"] + split(KP)},
    {"name": "flanneld.exe", "pid": 4410, "command_line": ["C:\\flannel\\flanneld.exe"] + split(FL)},
    {"name": "nssm.exe", "pid": 2012, "command_line": ["C:\\k\\nssm.exe"]}])
w(b, "node/hns-networks.json", [
    {"ActivityId": "2C7E1D2A-0F1B-4A55-9A50-1C3D7E4B5F60", "Name": "nat", "Type": "NAT", "ID": "A1B2C3D4-0000-4000-8000-000000000001",
     "Subnets": [{"AddressPrefix": "172.29.144.0/20", "GatewayAddress": "172.29.144.1"}]},
    {"ActivityId": "6F0E3B1C-2D4A-4B8C-9E1F-3A5B7C9D0E12", "Name": "vxlan0", "Type": "Overlay", "ID": "B7C1E0F2-1111-4111-8111-000000000002",
     "ManagementIP": "10.0.0.21", "NetworkAdapterName": "Ethernet", "DrMacAddress": "00-15-5D-0A-01-15",
     "Subnets": [{"AddressPrefix": "10.244.4.0/24", "GatewayAddress": "10.244.4.1",
                  "Policies": [{"Type": "VSID", "VSID": 4096}]}],
     "Policies": [{"Type": "RemoteSubnetRoute", "DestinationPrefix": "10.244.0.0/24", "ProviderAddress": "10.0.0.5", "DistributedRouterMacAddress": "6a-1c-2f-00-11-22"}]}])
w(b, "node/net-adapters.json", [
    {"Name": "vEthernet (Ethernet)", "InterfaceDescription": "Hyper-V Virtual Ethernet Adapter #2", "Status": "Up", "MacAddress": "00-15-5D-0A-01-15", "ifIndex": 14},
    {"Name": "Ethernet", "InterfaceDescription": "Intel(R) Ethernet Controller X710 for 10GbE SFP+", "Status": "Up", "MacAddress": "00-15-5D-0A-01-15", "ifIndex": 6},
    {"Name": "vEthernet (nat)", "InterfaceDescription": "Hyper-V Virtual Ethernet Adapter", "Status": "Up", "MacAddress": "00-15-5D-44-AC-01", "ifIndex": 22}])
w(b, "node/ip-addresses.json", [
    {"InterfaceAlias": "vEthernet (Ethernet)", "IPAddress": "10.0.0.21", "PrefixLength": 24},
    {"InterfaceAlias": "vEthernet (nat)", "IPAddress": "172.29.144.1", "PrefixLength": 20},
    {"InterfaceAlias": "Loopback Pseudo-Interface 1", "IPAddress": "127.0.0.1", "PrefixLength": 8}])
w(b, "node/env.json", {"HTTP_PROXY": "http://proxy.corp.example.com:3128", "HTTPS_PROXY": "http://proxy.corp.example.com:3128",
                       "NO_PROXY": "localhost,127.0.0.1,10.0.0.0/24,10.244.0.0/16,10.96.0.0/12,.corp.example.com,.svc,.cluster.local", "NODE_NAME": FQDN})
F = "node/files/C/"
w(b, F + "k/SourceVip.json", '{\r\n    "cniVersion":  "0.2.0",\r\n    "ip4":  {\r\n                "ip":  "10.244.4.2/24",\r\n                "gateway":  "10.244.4.1"\r\n            },\r\n    "dns":  {\r\n\r\n            }\r\n}\r\n', enc="utf-16le")
w(b, F + "k/SourceVipRequest.json", '{"cniVersion": "0.2.0", "name": "vxlan0", "ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.4.0/24"}]],"dataDir":"/var/lib/cni/networks"}}\r\n', enc="utf-16le")
w(b, F + "run/flannel/subnet.env", "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.4.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n", crlf=True)
w(b, F + "etc/kube-flannel/net-conf.json", NETCONF)
w(b, F + "k/cni/config/cni.conf", json.dumps({
    "cniVersion": "0.2.0", "name": "vxlan0", "type": "flannel", "capabilities": {"dns": True},
    "delegate": {"type": "win-overlay", "dns": {"Nameservers": ["10.96.0.10"], "Search": ["svc.cluster.local"]},
                 "policies": [{"Name": "EndpointPolicy", "Value": {"Type": "OutBoundNAT", "ExceptionList": ["10.244.0.0/16", "10.96.0.0/12", "10.0.0.0/24"]}},
                              {"Name": "EndpointPolicy", "Value": {"Type": "ROUTE", "DestinationPrefix": "10.96.0.0/12", "NeedEncap": True}}]}}, indent=4), crlf=True)
w(b, F + "Program Files/containerd/config.toml", 'version = 2\nroot = "C:\\\\ProgramData\\\\containerd\\\\root"\nstate = "C:\\\\ProgramData\\\\containerd\\\\state"\n\n[grpc]\n  address = "\\\\\\\\.\\\\pipe\\\\containerd-containerd"\n\n[plugins]\n  [plugins."io.containerd.grpc.v1.cri"]\n    sandbox_image = "mcr.microsoft.com/oss/kubernetes/pause:3.6"\n    [plugins."io.containerd.grpc.v1.cri".cni]\n      bin_dir = "C:\\\\k\\\\cni"\n      conf_dir = "C:\\\\k\\\\cni\\\\config"\n', crlf=True)
w(b, F + "k/flanneld.log", "I1120 09:01:02.113300    4410 main.go:211] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001 iface:[10.0.0.21] ipMasq:true subnetFile:C:\\run\\flannel\\subnet.env}\n"
  "I1120 09:01:02.420118    4410 kube.go:126] Waiting 10m0s for node controller to sync\n"
  "I1120 09:01:03.420520    4410 main.go:520] Found network config - Backend type: vxlan\n"
  "I1120 09:01:03.530011    4410 vxlan_windows.go:127] Waiting to get ManagementIP from HostComputeNetwork vxlan0\n"
  "I1120 09:01:09.002233    4410 vxlan_windows.go:140] Created HostComputeNetwork vxlan0\n"
  "I1120 09:01:09.120001    4410 main.go:370] Wrote subnet file to C:\\run\\flannel\\subnet.env\n"
  "I1120 09:01:09.120020    4410 main.go:374] Running backend.\n", crlf=True)
w(b, F + "k/kube-proxy.log", "I1120 09:02:11.000000    3312 server_others.go:183] Using Kernelspace Proxier.\nI1120 09:02:11.100000    3312 proxier.go:700] \"Hns Network found\" name=\"vxlan0\"\n", crlf=True)
w(b, F + "k/kubelet.log", "I1120 09:00:40.000000    2140 server.go:415] \"Kubelet version\" kubeletVersion=\"v1.30.4\"\n", crlf=True)

# ------------------------------------------------------------------ rejoined overlay node, everything stale
b = "node-overlay-rejoined"
shutil.rmtree(os.path.join(ROOT, b), ignore_errors=True)
FQDN = "win-2019-b.corp.example.com"
cluster_common(b, [linux_node("cp-1", "10.244.0.0/24", "10.0.0.5"),
                   win_node(FQDN, "10.244.9.0/24", "10.0.0.22", "WIN-2019-B",
                            annotations={"flannel.alpha.coreos.com/backend-type": "vxlan"})],
               events=[{"metadata": {"name": "iis-5f7c-x2.17a9c", "namespace": "web"}, "involvedObject": {"kind": "Pod", "namespace": "web", "name": "iis-5f7c-x2"},
                        "reason": "FailedCreatePodSandBox", "type": "Warning", "count": 41, "source": {"component": "kubelet", "host": FQDN},
                        "lastTimestamp": "2026-11-20T09:12:00Z",
                        "message": "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox \"0b1c\": plugin type=\"flannel\" name=\"vxlan0\" failed (add): open C:\\run\\flannel\\subnet.env: The system cannot find the file specified."}])
w(b, "node/node.json", {"hostname": "WIN-2019-B", "collected_at": "2026-11-20T09:30:00Z",
                        "os": {"caption": "Microsoft Windows Server 2019 Standard", "version": "10.0.17763", "build": 17763, "ubr": 6054},
                        "computer": {"manufacturer": "Microsoft Corporation", "model": "Virtual Machine", "hypervisor_present": True},
                        "api_server": "https://k8s-api.corp.example.com:6443"})
KP = "--v=4 --proxy-mode=kernelspace --feature-gates=WinOverlay=true --hostname-override=win-2019-b --kubeconfig=c:\\k\\config --network-name=vxlan0 --source-vip=10.244.3.2 --enable-dsr=false"
KL = "--hostname-override=win-2019-b --pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6 --kubeconfig=c:\\k\\config --cgroups-per-qos=false --enforce-node-allocatable= --cluster-dns=10.96.0.10"
w(b, "node/services.json", [
    svc("kubelet", "C:\\k\\kubelet.exe", KL, mode="Manual"),
    {"Name": "containerd", "State": "Running", "StartMode": "Auto", "PathName": "\"C:\\Program Files\\containerd\\containerd.exe\" --run-service"}])
w(b, "node/processes.json", [
    {"name": "kubelet.exe", "pid": 2140, "command_line": ["C:\\k\\kubelet.exe"] + KL.split(" ")},
    {"name": "kube-proxy.exe", "pid": 3312, "command_line": ["C:\\k\\kube-proxy.exe"] + KP.split(" ")},
    {"name": "containerd.exe", "pid": 1880, "command_line": ["C:\\Program Files\\containerd\\containerd.exe", "--run-service"]}])
w(b, "node/hns-networks.json", {"Name": "nat", "Type": "NAT", "Subnets": [{"AddressPrefix": "172.23.16.0/20", "GatewayAddress": "172.23.16.1"}]})
w(b, "node/net-adapters.json", [{"Name": "Ethernet", "InterfaceDescription": "Microsoft Hyper-V Network Adapter", "Status": "Up", "MacAddress": "00-15-5D-0A-01-16"}])
w(b, "node/ip-addresses.json", [{"InterfaceAlias": "Ethernet", "IPAddress": "10.0.0.22", "PrefixLength": 24}])
w(b, "node/env.json", {"HTTP_PROXY": "http://proxy.corp.example.com:3128", "HTTPS_PROXY": "http://proxy.corp.example.com:3128", "NO_PROXY": "localhost,127.0.0.1,10.244.0.0/16"})
w(b, F + "k/sourceVip.json", {"cniVersion": "0.4.0", "ips": [{"version": "4", "address": "10.244.3.2/24", "gateway": "10.244.3.1"}], "dns": {}})
w(b, F + "k/sourceVipRequest.json", '{"cniVersion": "0.2.0", "name": "vxlan0", "ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.3.0/24"}]],"dataDir":"/var/lib/cni/networks"}}\r\n', enc="utf-16le")
w(b, F + "etc/kube-flannel/net-conf.json", NETCONF)
w(b, F + "k/cni/config/cni.conf", '{\n    "cniVersion": "0.2.0",\n    "name": "vxlan0",\n    "type": "flannel",\n    "delegate": {\n        "type": "win-overlay",\n        "policies": [\n            {\n                "Name": "EndpointPolicy",\n                "Value": {\n                    "Type": "OutBoundNAT",\n                    "ExceptionList": [\n                        "10.244.0.0/16",  # Cluster subnet\n                        "10.96.0.0/12",   # Service subnet\n                        "10.0.0.0/24"     # Management (host) subnet\n                    ]\n                }\n            }\n        ]\n    }\n}\n', crlf=True)
w(b, F + "Program Files/containerd/config.toml", "version = 3\n\n[plugins]\n  [plugins.'io.containerd.cri.v1.images'.pinned_images]\n    sandbox = 'mcr.microsoft.com/oss/kubernetes/pause:3.6-windows-ltsc2022-amd64'\n  [plugins.'io.containerd.cri.v1.runtime'.cni]\n    conf_dir = 'C:\\k\\cni\\config'\n")
w(b, F + "k/flanneld.log", "Waiting for the Network to be created\n" * 40, crlf=True)

# ------------------------------------------------------------------ host-gw l2bridge node, sc.exe services, v2 conflist
b = "node-l2bridge-sc"
shutil.rmtree(os.path.join(ROOT, b), ignore_errors=True)
cluster_common(b, [linux_node("cp-1", "10.244.0.0/24", "192.168.10.5"), win_node("win-3", "10.244.6.0/24", "192.168.10.23", "WIN-3", build="20348.2700")],
               daemonsets=[{"metadata": {"name": "kube-proxy-windows", "namespace": "kube-system"},
                            "spec": {"template": {"metadata": {"labels": {"k8s-app": "kube-proxy-windows"}}, "spec": {
                                "nodeSelector": {"kubernetes.io/os": "windows"}, "hostNetwork": True,
                                "securityContext": {"windowsOptions": {"hostProcess": True, "runAsUserName": "NT AUTHORITY\\system"}},
                                "containers": [{"name": "kube-proxy", "image": "sigwindowstools/kube-proxy:v1.30.4-flannel-hostprocess",
                                                "command": ["pwsh"], "args": ["-file", "$env:CONTAINER_SANDBOX_MOUNT_POINT/kube-proxy/start.ps1"],
                                                "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
                                                        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]}]}}},
                            "status": {"desiredNumberScheduled": 1, "currentNumberScheduled": 1, "numberReady": 1}}])
w(b, "node/node.json", {"hostname": "WIN-3", "collected_at": "2026-11-20T10:00:00Z",
                        "os": {"caption": "Microsoft Windows Server 2022 Datacenter", "version": "10.0.20348", "build": "20348", "ubr": 2700},
                        "computer": {"manufacturer": "VMware, Inc.", "model": "VMware7,1"}})
w(b, "node/services.json", [
    {"name": "kubelet", "state": "Running", "start_mode": "Auto", "path_name": "C:\\k\\kubelet.exe --windows-service --hostname-override=$(hostname) --config=C:\\var\\lib\\kubelet\\config.yaml --kubeconfig=C:\\etc\\kubernetes\\kubelet.conf --pod-infra-container-image=registry.k8s.io/pause:3.9 --cgroups-per-qos=false --enforce-node-allocatable="},
    {"name": "kube-proxy", "state": "Running", "start_mode": "Auto", "path_name": "C:\\k\\kube-proxy.exe --windows-service --hostname-override=$(hostname) --proxy-mode=kernelspace --network-name=cbr0"},
    {"name": "flanneld", "state": "Running", "start_mode": "Auto", "path_name": "C:\\flannel\\flanneld.exe --kube-subnet-mgr=1 --iface=192.168.10.23"}])
w(b, "node/processes.json", [
    {"name": "kubelet.exe", "pid": 1012, "command_line": ["C:\\k\\kubelet.exe", "--windows-service", "--hostname-override=$(hostname)", "--config=C:\\var\\lib\\kubelet\\config.yaml", "--kubeconfig=C:\\etc\\kubernetes\\kubelet.conf", "--pod-infra-container-image=registry.k8s.io/pause:3.9", "--cgroups-per-qos=false", "--enforce-node-allocatable="]},
    {"name": "kube-proxy.exe", "pid": 1100, "command_line": ["C:\\k\\kube-proxy.exe", "--windows-service", "--hostname-override=$(hostname)", "--proxy-mode=kernelspace", "--network-name=cbr0"]},
    {"name": "flanneld.exe", "pid": 1200, "command_line": ["C:\\flannel\\flanneld.exe", "--kube-subnet-mgr=1", "--iface=192.168.10.23"]}])
w(b, "node/hns-networks.json", [{"Name": "cbr0", "Type": "L2Bridge", "ManagementIP": "192.168.10.23", "NetworkAdapterName": "Ethernet0",
                                  "Subnets": [{"AddressPrefix": "10.244.6.0/24", "GatewayAddress": "10.244.6.1"}]}])
w(b, "node/net-adapters.json", [{"Name": "vEthernet (Ethernet0)", "InterfaceDescription": "Hyper-V Virtual Ethernet Adapter", "Status": "Up", "MacAddress": "00-50-56-9A-11-22"},
                                 {"Name": "Ethernet0", "InterfaceDescription": "vmxnet3 Ethernet Adapter", "Status": "Up", "MacAddress": "00-50-56-9A-11-22"}])
w(b, "node/env.json", {})
w(b, F + "k/SourceVip.json", '{\r\n    "code":  11,\r\n    "msg":  "failed to allocate for range 0: no IP addresses available in range set: 10.244.6.1-10.244.6.254"\r\n}\r\n', enc="utf-16le")
w(b, F + "run/flannel/subnet.env", "FLANNEL_NETWORK=10.244.0.0/16\r\nFLANNEL_SUBNET=10.244.6.1/24\r\nFLANNEL_MTU=1500\r\nFLANNEL_IPMASQ=true\r\n", enc="utf-16le")
w(b, F + "etc/kube-flannel/net-conf.json", '{"Network": "10.244.0.0/16", "Backend": {"Type": "host-gw"}}')
w(b, F + "etc/cni/net.d/10-flannel.conflist", {"name": "cbr0", "cniVersion": "0.3.0", "plugins": [{"type": "flannel", "capabilities": {"portMappings": True, "dns": True},
    "delegate": {"type": "win-bridge", "policies": [
        {"name": "EndpointPolicy", "value": {"type": "OutBoundNAT", "settings": {"exceptions": ["10.244.0.0/16", "10.96.0.0/12", "0.0.0.0/0"]}}},
        {"name": "EndpointPolicy", "value": {"type": "SDNRoute", "settings": {"DestinationPrefix": "10.96.0.0/12", "NeedEncap": True}}}]}}]})
w(b, F + "Program Files/containerd/config.toml", '[plugins.cri]\n  sandbox_image = "registry.k8s.io/pause:3.9"\n  [plugins.cri.cni]\n    bin_dir = "C:/opt/cni/bin"\n    conf_dir = "C:/etc/cni/net.d"\n')
w(b, F + "var/lib/kubelet/config.yaml", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDNS:\n- 10.96.0.10\nclusterDomain: cluster.local\nsystemReserved:\n  memory: 1Gi\nevictionHard:\n  memory.available: 200Mi\n", crlf=True, bom=True)

# ------------------------------------------------------------------ malformed node files
b = "node-malformed"
shutil.rmtree(os.path.join(ROOT, b), ignore_errors=True)
cluster_common(b, [win_node("win-bad", "10.244.8.0/24", "10.0.0.30", "WIN-BAD")])
w(b, "node/node.json", {"hostname": "WIN-BAD", "os": {"caption": "Microsoft Windows Server 2019 Datacenter", "build": "17763"}})
w(b, "node/services.json", "{ this is not json")
w(b, "node/processes.json", '[{"name":"kubelet.exe","pid":"not-a-number","command_line":"C:\\\\k\\\\kubelet.exe --config=C:\\\\var\\\\lib\\\\kubelet\\\\config.yaml"}]')
w(b, "node/hns-networks.json", "Get-HnsNetwork : The term 'Get-HnsNetwork' is not recognized as the name of a cmdlet")
w(b, "node/net-adapters.json", "[1, 2, 3]")
w(b, "node/env.json", '"just a string"')
w(b, F + "k/SourceVip.json", "\x00\x01garbage{{{")
w(b, F + "k/SourceVipRequest.json", '{"ipam": {"type": "host-local"}}')
w(b, F + "run/flannel/subnet.env", "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=not-a-subnet\n")
w(b, F + "etc/kube-flannel/net-conf.json", '{"Network": 10244, "Backend": "vxlan"}')
w(b, F + "k/cni/config/cni.conf", '{"name": "cbr0", "type": "flannel", "delegate": {"type": "win-bridge", ')
w(b, F + "Program Files/containerd/config.toml", '[plugins."io.containerd.grpc.v1.cri"\nsandbox_image = "x"\n')
w(b, F + "var/lib/kubelet/config.yaml", "systemReserved: [memory: {\n  - ::\n")
w(b, F + "var/lib/kubelet/kubeadm-flags.env", "this line has no equals sign\n")

# ------------------------------------------------------------------ flannel node where flanneld never wrote anything
b = "node-subnet-env-missing"
shutil.rmtree(os.path.join(ROOT, b), ignore_errors=True)
cluster_common(b, [win_node("win-4.corp.example.com", "10.244.7.0/24", "10.0.0.24", "WIN-4", annotations={"flannel.alpha.coreos.com/backend-type": "vxlan"})])
w(b, "node/node.json", {"hostname": "win-4", "os": {"caption": "Microsoft Windows Server 2019 Datacenter", "build": "17763", "ubr": 5830}})
w(b, "node/processes.json", [{"name": "kubelet.exe", "pid": 2140, "command_line": ["C:\\k\\kubelet.exe", "--hostname-override=win-4.corp.example.com"]},
                             {"name": "flanneld.exe", "pid": 4410, "command_line": ["C:\\flannel\\flanneld.exe", "--kubeconfig-file=c:\\k\\config", "--iface=10.0.0.24", "--ip-masq=1", "--kube-subnet-mgr=1"]}])
print("ok")
