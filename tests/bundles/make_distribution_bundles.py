#!/usr/bin/env python3
"""Writes the distribution bundles under tests/bundles/<layout>-healthy and <layout>-<fault>.

The node parts (node/services.json, processes.json, hns-networks.json, files/..., eventlog/...) of each
<layout>-healthy bundle are copies of real-shaped samples researched from each distribution's public
scripts (the sources are cited in checks/data/layouts/<layout>.toml and docs/distributions.md); this
script only adds node.json and the cluster part around them, and derives each broken bundle from its
healthy one by the change its real failure makes (cited beside each fault below).

Re-run after editing: python3 tests/bundles/make_distribution_bundles.py"""
import json, os, shutil

ROOT = os.path.dirname(os.path.abspath(__file__))

# layout -> (node.json hostname, Node name, InternalIP, podCIDR or None, Windows build, kubelet version)
# Host names as each distribution names its machines: AKS' upper-case NetBIOS name (kubeproxystart.ps1
# --hostname-override=$env:computername), EKS/OpenShift on AWS the EC2 private DNS name (FQDN host name,
# Node named by the FQDN), GKE the instance name, the others a short name.
NODES = {
    "aks": ("AKSWIN000002", "akswin000002", "10.224.0.33", None, "20348.2849", "v1.30.6"),
    "eks": ("EC2AMAZ-7Q1LJ4K", "ip-10-0-45-17.eu-west-1.compute.internal", "10.0.45.17", None, "20348.2849", "v1.30.4-eks-a737599"),
    "gke": ("gke-cluster-1-win-pool-8f3a1c2d-x7kq", "gke-cluster-1-win-pool-8f3a1c2d-x7kq", "10.128.0.23", "10.64.3.0/24", "17763.6414", "v1.30.5-gke.1014001"),
    "rke2": ("win-rke2-01", "win-rke2-01", "10.1.2.50", None, "20348.2849", "v1.31.6"),
    "rke2-flannel": ("win-rke2-01", "win-rke2-01", "10.1.2.50", "10.42.1.0/24", "20348.2849", "v1.31.6"),
    "kubeadm-hostprocess": ("win-kadm-01", "win-kadm-01", "10.1.3.21", "10.244.2.0/24", "20348.2849", "v1.31.4"),
    "openshift-wmco": ("ip-10-0-142-7.us-east-2.compute.internal", "ip-10-0-142-7.us-east-2.compute.internal", "10.0.142.7", None, "20348.2849", "v1.30.7+d4b8e2c"),
    "calico-manual": ("WIN-CALICO-01", "win-calico-01", "10.1.4.31", None, "17763.6414", "v1.30.4"),
    "calico-hostprocess": ("win-calhpc-01", "win-calhpc-01", "10.1.5.41", None, "20348.2849", "v1.31.4"),
    "sdn-flannel": ("WIN-SDN-01", "win-sdn-01", "10.1.6.61", "10.244.3.0/24", "17763.6414", "v1.30.4"),
}


def w(path, content, crlf=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(content, (dict, list)):
        content = json.dumps(content, indent=2)
    if crlf:
        content = content.replace("\r\n", "\n").replace("\n", "\r\n")
    with open(path, "wb") as f:
        f.write(content.encode("utf-8"))


def read_json(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"\xff\xfe"):
        return json.loads(raw[2:].decode("utf-16-le"))
    return json.loads(raw.decode("utf-8-sig"))


# spec.providerID as each cloud's cloud provider sets it (the format hypervisors.toml matches).
PROVIDER = {
    "aks": "azure:///subscriptions/0d7c6b1e-3f1a-4c1e-9d5e-2a7b8c9d0e1f/resourceGroups/mc_rg_aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/akswin/virtualMachines/2",
    "eks": "aws:///eu-west-1a/i-0a1b2c3d4e5f67890",
    "gke": "gce://my-project/us-central1-a/gke-cluster-1-win-pool-8f3a1c2d-x7kq",
    "openshift-wmco": "aws:///us-east-2a/i-0f1e2d3c4b5a69780",
}


def win_node(layout, ready=True):
    host, name, ip, cidr, build, kubelet = NODES[layout]
    node = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/os": "windows", "kubernetes.io/hostname": name,
            "node.kubernetes.io/windows-build": "10.0." + build.split(".")[0]}},
        "spec": {},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                            "reason": "KubeletReady" if ready else "KubeletNotReady",
                            "lastTransitionTime": "2026-11-20T08:00:00Z"}],
            "nodeInfo": {"operatingSystem": "windows", "architecture": "amd64",
                         "osImage": "Windows Server 2022 Datacenter" if build.startswith("20348") else "Windows Server 2019 Datacenter",
                         "kernelVersion": "10.0." + build, "kubeletVersion": kubelet, "kubeProxyVersion": kubelet,
                         "containerRuntimeVersion": "containerd://1.7.20"}},
    }
    if layout in PROVIDER:
        node["spec"]["providerID"] = PROVIDER[layout]
    if cidr:
        node["spec"]["podCIDR"] = cidr
        node["spec"]["podCIDRs"] = [cidr]
    return node


# Win32_ComputerSystem Manufacturer/Model as each cloud's VMs report them.
COMPUTER = {
    "aks": ("Microsoft Corporation", "Virtual Machine"),
    "eks": ("Amazon EC2", "m5.xlarge"),
    "openshift-wmco": ("Amazon EC2", "m5a.large"),
    "gke": ("Google", "Google Compute Engine"),
}

# Service CIDR and cluster DNS address per layout, as the samples' kubelet flags / configs set them.
SERVICES = {
    "aks": ("10.0.0.1", "10.0.0.10"),
    "eks": ("172.20.0.1", "172.20.0.10"),
    "gke": ("10.0.0.1", "10.0.0.10"),
    "rke2": ("10.43.0.1", "10.43.0.10"),
    "rke2-flannel": ("10.43.0.1", "10.43.0.10"),
    "kubeadm-hostprocess": ("10.96.0.1", "10.96.0.10"),
    "openshift-wmco": ("172.30.0.1", "172.30.0.10"),
    "calico-manual": ("10.96.0.1", "10.96.0.10"),
    "calico-hostprocess": ("10.96.0.1", "10.96.0.10"),
    "sdn-flannel": ("10.96.0.1", "10.96.0.10"),
}


def services_json(layout):
    api, dns = SERVICES[layout]
    def svc(ns, name, ip, ports):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip], "ports": ports}}
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [
        svc("default", "kubernetes", api, [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]),
        svc("kube-system", "kube-dns", dns, [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                                              {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]),
    ]}


def node_json(layout):
    host, node_name, _, _, build, _ = NODES[layout]
    b, ubr = build.split(".")
    maker, model = COMPUTER.get(layout, ("Microsoft Corporation", "Virtual Machine"))
    return {
        "hostname": host,
        "node_name": node_name,
        "collected_at": "2026-11-20T09:30:00Z",
        "collector": "windoctor 0.1.0",
        "os": {"caption": "Microsoft Windows Server 2022 Datacenter" if b == "20348" else "Microsoft Windows Server 2019 Datacenter",
               "version": "10.0." + b, "build": b, "ubr": int(ubr)},
        "computer": {"manufacturer": maker, "model": model, "hypervisor_present": True},
    }


def write_cluster(bundle, layout, ready=True):
    lst = {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
           "items": [win_node(layout, ready)]}
    w(os.path.join(bundle, "cluster", "nodes.json"), lst)


def healthy(layout):
    """Completes <layout>-healthy (its node part is checked in) with node.json and cluster/nodes.json."""
    bundle = os.path.join(ROOT, layout + "-healthy")
    w(os.path.join(bundle, "node", "node.json"), node_json(layout))
    write_cluster(bundle, layout)
    w(os.path.join(bundle, "cluster", "services.json"), services_json(layout))
    return bundle


def derive(layout, fault):
    src = os.path.join(ROOT, layout + "-healthy")
    dst = os.path.join(ROOT, f"{layout}-{fault}")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    return dst


def edit_json(path, fn):
    data = read_json(path)
    data = fn(data)
    w(path, data)


def without_network(names):
    def fn(nets):
        return [n for n in nets if n.get("Name") not in names]
    return fn


def main():
    for layout in NODES:
        healthy(layout)
    adjust_healthy()
    faults()


def adjust_healthy():
    """Healthy-node details the copied samples leave out."""
    # microsoft/SDN's helper.psm1 default --pod-infra-container-image=mcr.microsoft.com/k8s/core/pause:1.2.0
    # has no wincat (port-forward-wincat rightly fails on it); a healthy node runs a pause image with
    # wincat, mcr.microsoft.com/oss/kubernetes/pause:3.9 (kubernetes/website intro-windows-in-kubernetes.md:
    # wincat since mcr.microsoft.com/oss/kubernetes/pause:1.4.1).
    p = os.path.join(ROOT, "sdn-flannel-healthy", "node", "processes.json")
    procs = read_json(p)
    for pr in procs:
        pr["command_line"] = [a.replace("mcr.microsoft.com/k8s/core/pause:1.2.0", "mcr.microsoft.com/oss/kubernetes/pause:3.9")
                              for a in pr.get("command_line") or []]
    w(p, procs)
    # Calico HostProcess nodes are joined with kubeadm (sig-windows-tools PrepareNode.ps1): the kubelet's
    # --config=/var/lib/kubelet/config.yaml is kubeadm's KubeletConfiguration, as on kubeadm-hostprocess.
    src = os.path.join(ROOT, "kubeadm-hostprocess-healthy", "node", "files", "C", "var", "lib", "kubelet", "config.yaml")
    dst = os.path.join(ROOT, "calico-hostprocess-healthy", "node", "files", "C", "var", "lib", "kubelet", "config.yaml")
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)


def faults():
    # AKS: the pod network `azure` is gone after azure-vnet failed with "Element not found" while
    # kube-proxy still runs with KUBE_NETWORK=azure (Azure/aks-engine#168: only 2 of the 3 HNS networks
    # left; kubeproxystart.ps1 waits for "Network [azure]"). Here also pods ran, so the network must exist.
    d = derive("aks", "azure-network-missing")
    edit_json(os.path.join(d, "node", "hns-networks.json"), without_network({"azure"}))
    # A pod had a VNet address on the node, so azure-vnet had created `azure` once.
    w(os.path.join(d, "cluster", "pods.json"), {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": [{
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "iis-7d9c6f5b8-2xk4q", "namespace": "default"},
        "spec": {"nodeName": "akswin000002", "nodeSelector": {"kubernetes.io/os": "windows"},
                 "containers": [{"name": "iis", "image": "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022"}]},
        "status": {"phase": "Running", "podIP": "10.224.0.41", "hostIP": "10.224.0.33",
                   "conditions": [{"type": "Ready", "status": "False"}]}}]})

    # EKS: the vpcbr<MAC> network the bootstrapper creates is gone (aws/amazon-vpc-cni-plugins
    # bridge_windows.go#L71-L131 names it from the conf name and ENI MAC; kube-proxy runs with
    # KUBE_NETWORK=vpcbr<mac>, BootstrapperService.cs#L466-L470).
    d = derive("eks", "vpcbr-missing")
    edit_json(os.path.join(d, "node", "hns-networks.json"), lambda nets: [])

    # GKE: the l2bridge.conf OutBoundNAT exceptions lost the GKE non-masquerade ranges that hold the pod
    # range (k8s-node-setup.psm1 Configure_Containerd_CniNetworking writes them; seed FAQ: pod traffic
    # to the cluster must not be NATed).
    d = derive("gke", "exception-list-no-cluster")
    p = os.path.join(d, "node", "files", "C", "etc", "kubernetes", "cni", "config", "l2bridge.conf")
    text = open(p, "rb").read().decode("utf-8")
    text = text.replace('"10.0.0.0/8",', '').replace('"10.0.0.0/8"', '')
    open(p, "wb").write(text.encode("utf-8"))

    # RKE2: containerd's conf_dir no longer points at agent\etc\cni (rancher/rke2#7771: "no network
    # config found in C:\\Program Files\\containerd\\cni\\conf").
    d = derive("rke2", "cni-conf-dir-wrong")
    p = os.path.join(d, "node", "files", "C", "var", "lib", "rancher", "rke2", "agent", "etc", "containerd", "config.toml")
    text = open(p, "rb").read().decode("utf-8")
    import re
    text = re.sub(r'(conf_dir\s*=\s*)"[^"]*"', r'\1"C:\\\\Program Files\\\\containerd\\\\cni\\\\conf"', text)
    open(p, "wb").write(text.encode("utf-8"))
    shutil.rmtree(os.path.join(d, "node", "files", "C", "var", "lib", "rancher", "rke2", "agent", "etc", "cni"))

    # kubeadm + HostProcess flannel: the node got no podCIDR, flanneld got no lease, so flannel.4096 and
    # subnet.env are missing (kubernetes-sigs/sig-windows-tools#345).
    d = derive("kubeadm-hostprocess", "no-lease")
    edit_json(os.path.join(d, "node", "hns-networks.json"), without_network({"flannel.4096"}))
    os.remove(os.path.join(d, "node", "files", "C", "run", "flannel", "subnet.env"))
    nodes = read_json(os.path.join(d, "cluster", "nodes.json"))
    for n in nodes["items"]:
        n["spec"].pop("podCIDR", None)
        n["spec"].pop("podCIDRs", None)
        n["status"]["conditions"][0].update(status="False", reason="KubeletNotReady")
    w(os.path.join(d, "cluster", "nodes.json"), nodes)

    # OpenShift: hybrid-overlay-node failed (WS2019 with a custom VXLAN port,
    # openshift/windows-machine-config-operator#340) and created neither overlay network.
    d = derive("openshift-wmco", "hybrid-overlay-missing")
    edit_json(os.path.join(d, "node", "hns-networks.json"), lambda nets: [])

    # Calico manual: no Calico network (projectcalico/calico#8219: kube-proxy waits for HNS network Calico).
    d = derive("calico-manual", "calico-network-missing")
    edit_json(os.path.join(d, "node", "hns-networks.json"), without_network({"Calico"}))

    # Calico HostProcess: the service CIDR left out of the conflist's ExceptionList (the operator
    # renders it from the service CIDRs, tigera/operator pkg/render/windows.go#L150-L344).
    d = derive("calico-hostprocess", "exception-list-empty")
    p = os.path.join(d, "node", "files", "C", "etc", "cni", "net.d", "10-calico.conflist")
    conf = read_json(p)
    def strip(v):
        if isinstance(v, dict):
            for k in list(v):
                if k == "ExceptionList":
                    v[k] = []
                else:
                    strip(v[k])
        elif isinstance(v, list):
            for x in v:
                strip(x)
    strip(conf)
    w(p, json.dumps(conf, separators=(",", ":")))

    # microsoft/SDN: kube-proxy asks for cbr0 on an overlay node (kubernetes/kubernetes#79515).
    d = derive("sdn-flannel", "wrong-network-name")
    p = os.path.join(d, "node", "processes.json")
    procs = read_json(p)
    for pr in procs:
        cl = pr.get("command_line") or []
        if cl and "kube-proxy" in cl[0].lower():
            pr["command_line"] = [("--network-name=cbr0" if a.startswith("--network-name") else a) for a in cl]
    w(p, procs)


if __name__ == "__main__":
    main()
