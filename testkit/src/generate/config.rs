//! Generated configuration objects: the kube-system ConfigMaps the checks
//! read (flannel's net-conf.json with VXLAN VNI 4096 / port 4789, kubeadm's
//! ClusterConfiguration with the cluster and service CIDRs, kube-proxy,
//! kubelet and CoreDNS configuration), the `kube-root-ca.crt` every
//! namespace has, application ConfigMaps, and the Windows RuntimeClasses.

use serde_json::{json, Value};

use super::nodes::BUILDS;
use super::workloads::Workloads;
use super::{timestamp, GenerateSpec, Rng, CLUSTER_CIDR, DNS_IP, SERVICE_CIDR};

/// One RuntimeClass per Windows build, selecting nodes of that build.
pub(crate) fn runtime_classes() -> Vec<Value> {
    BUILDS
        .iter()
        .map(|b| {
            json!({
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "handler": "runhcs-wcow-process",
                "metadata": {"creationTimestamp": timestamp(120), "name": format!("windows-{}", b.image_tag),
                             "resourceVersion": "1201", "uid": format!("0c7e5b1a-51d2-4d5e-9a3b-7f0d2c1e{}", b.short.repeat(2))},
                "scheduling": {
                    "nodeSelector": {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": b.label},
                    "tolerations": [{"effect": "NoSchedule", "key": "os", "operator": "Equal", "value": "windows"}]
                }
            })
        })
        .collect()
}

fn configmap(namespace: &str, name: &str, data: Value, rng: &mut Rng) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": data,
        "metadata": {
            "creationTimestamp": timestamp(rng.below(5 * 86_400) as u64),
            "name": name,
            "namespace": namespace,
            "resourceVersion": format!("{}", 1_000 + rng.below(9_000_000)),
            "uid": rng.uid()
        }
    })
}

/// A certificate-shaped block (random base64; no key exists for it).
fn fake_certificate(rng: &mut Rng) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for _ in 0..17 {
        let line: String = (0..64).map(|_| B64[rng.below(64)] as char).collect();
        pem.push_str(&line);
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// Every ConfigMap of the cluster.
pub(crate) fn configmaps(spec: &GenerateSpec, work: &Workloads) -> Vec<Value> {
    let mut rng = Rng::new(spec.seed, 9);
    let ca = fake_certificate(&mut rng);
    let mut out = vec![
        configmap(
            "kube-flannel",
            "kube-flannel-cfg",
            json!({
                "cni-conf.json": "{\n  \"name\": \"cbr0\",\n  \"cniVersion\": \"0.3.1\",\n  \"plugins\": [\n    {\n      \"type\": \"flannel\",\n      \"delegate\": {\n        \"hairpinMode\": true,\n        \"isDefaultGateway\": true\n      }\n    },\n    {\n      \"type\": \"portmap\",\n      \"capabilities\": {\n        \"portMappings\": true\n      }\n    }\n  ]\n}\n",
                "net-conf.json": format!("{{\n  \"Network\": \"{CLUSTER_CIDR}\",\n  \"EnableNFTables\": false,\n  \"Backend\": {{\n    \"Type\": \"vxlan\",\n    \"VNI\": 4096,\n    \"Port\": 4789\n  }}\n}}\n")
            }),
            &mut rng,
        ),
        configmap(
            "kube-system",
            "kubeadm-config",
            json!({"ClusterConfiguration": format!(
                "apiServer: {{}}\napiVersion: kubeadm.k8s.io/v1beta4\ncertificatesDir: /etc/kubernetes/pki\nclusterName: kubernetes\ncontrollerManager: {{}}\ndns: {{}}\nencryptionAlgorithm: RSA-2048\netcd:\n  local:\n    dataDir: /var/lib/etcd\nimageRepository: registry.k8s.io\nkind: ClusterConfiguration\nkubernetesVersion: v1.32.4\nnetworking:\n  dnsDomain: cluster.local\n  podSubnet: {CLUSTER_CIDR}\n  serviceSubnet: {SERVICE_CIDR}\nproxy: {{}}\nscheduler: {{}}\n"
            )}),
            &mut rng,
        ),
        configmap(
            "kube-system",
            "kube-proxy",
            json!({
                "config.conf": format!("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nclusterCIDR: {CLUSTER_CIDR}\nkind: KubeProxyConfiguration\nmode: iptables\nwinkernel:\n  enableDSR: false\n  networkName: vxlan0\n  sourceVip: \"\"\n"),
                "kubeconfig.conf": "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: https://aks-prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443\n  name: default\n"
            }),
            &mut rng,
        ),
        configmap(
            "kube-system",
            "kubelet-config",
            json!({"kubelet": format!("apiVersion: kubelet.config.k8s.io/v1beta1\nauthentication:\n  anonymous:\n    enabled: false\ncgroupDriver: systemd\nclusterDNS:\n- {DNS_IP}\nclusterDomain: cluster.local\nkind: KubeletConfiguration\nmaxPods: 110\nsystemReserved:\n  memory: 2Gi\n")}),
            &mut rng,
        ),
        configmap(
            "kube-system",
            "coredns",
            json!({"Corefile": ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"}),
            &mut rng,
        ),
        configmap(
            "kube-system",
            "extension-apiserver-authentication",
            json!({
                "client-ca-file": ca,
                "requestheader-allowed-names": "[\"front-proxy-client\"]",
                "requestheader-client-ca-file": ca,
                "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]",
                "requestheader-group-headers": "[\"X-Remote-Group\"]",
                "requestheader-username-headers": "[\"X-Remote-User\"]"
            }),
            &mut rng,
        ),
    ];
    let system = ["kube-system", "kube-flannel", "monitoring", "default"];
    for namespace in system
        .iter()
        .map(|s| s.to_string())
        .chain(work.namespaces.iter().cloned())
    {
        out.push(configmap(
            &namespace,
            "kube-root-ca.crt",
            json!({"ca.crt": ca}),
            &mut rng,
        ));
    }
    for d in work.deployments.iter().filter(|d| d.has_config) {
        let settings = format!(
            "{{\n  \"Logging\": {{\"LogLevel\": {{\"Default\": \"Information\"}}}},\n  \"Backend\": \"http://backend.{}.svc.cluster.local:8080\",\n  \"FeatureFlags\": {{\"NewCheckout\": {}, \"Cache\": true}},\n  \"Instance\": \"{}\"\n}}\n",
            d.namespace,
            rng.chance(500),
            rng.hex(12)
        );
        out.push(configmap(
            &d.namespace,
            &format!("{}-config", d.name),
            json!({"appsettings.json": settings}),
            &mut rng,
        ));
    }
    out
}
