//! Property test: no node file parser panics, whatever the bytes. Each parser gets random bytes and
//! mutations of realistic seeds (byte flips, cuts, insertions of quotes, brackets, NULs, BOMs,
//! UTF-16 re-encodings, huge numbers), decoded the way the bundle reader decodes files. Then whole
//! node parts made of such files go through the bundle reader and every check.
//!
//! The generator is a seeded xorshift, so a failure reproduces; `WINDOCTOR_FUZZ_ITERATIONS` raises
//! the count for longer runs.

use std::collections::BTreeMap;
use windoctor::facts::node::{
    cmdline, cni, containerd, flannel, kubelet, records, sourcevip, subnet_env,
};
use windoctor::sources::files::MemoryStore;
use windoctor::sources::{bundle, text};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "FLANNEL_NETWORK=10.244.0.0/16\r\nFLANNEL_SUBNET=10.244.4.1/24\r\nFLANNEL_MTU=1450\r\nFLANNEL_IPMASQ=true\r\n",
    r#"{"ip4":{"ip":"10.244.4.2/24","gateway":"10.244.4.1"},"dns":{}}"#,
    r#"{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.244.7.2/24"}]}"#,
    r#"{"code":11,"msg":"no IP addresses available in range set"}"#,
    r#"{"cniVersion":"0.2.0","name":"vxlan0","ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.4.0/24"}]]}}"#,
    r#"{"cniVersion":"0.2.0","name":"cbr0","type":"flannel","delegate":{"type":"win-bridge","policies":[{"Name":"EndpointPolicy","Value":{"Type":"OutBoundNAT","ExceptionList":["10.244.0.0/16","10.96.0.0/12"]}},{"Name":"EndpointPolicy","Value":{"Type":"ROUTE","DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}]}}"#,
    r#"{"name":"flannel.4096","plugins":[{"type":"flannel","delegate":{"type":"win-overlay","policies":[{"name":"EndpointPolicy","value":{"type":"OutBoundNAT","settings":{"exceptions":["10.244.0.0/16"]}}}]}}]}"#,
    "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"mcr.microsoft.com/oss/kubernetes/pause:3.6\"\n  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n    conf_dir = \"C:\\\\k\\\\cni\\\\config\"\n",
    "version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.10'\n",
    "[plugins.cri]\nsandbox_image = \"kubeletwin/pause\"\n",
    r#"{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","VNI":4096,"Port":4789,"name":"vxlan0"}}"#,
    "KUBELET_KUBEADM_ARGS=\"--pod-infra-container-image=registry.k8s.io/pause:3.9 --enforce-node-allocatable=\"\r\n",
    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nsystemReserved:\n  memory: 2Gi\nevictionHard:\n  memory.available: 100Mi\nclusterDNS:\n- 10.96.0.10\n",
    r#"[{"Name":"kubelet","State":"Running","StartMode":"Auto","PathName":"C:\\k\\nssm.exe","nssm":{"Application":"C:\\k\\kubelet.exe","AppParameters":"--v=2","AppEnvironmentExtra":["NODE_NAME=win-1"]}}]"#,
    r#"[{"name":"kube-proxy.exe","pid":3312,"command_line":["C:\\k\\kube-proxy.exe","--hostname-override=win-1"]},{"Name":"x","ProcessId":1,"CommandLine":"\"C:\\a b\\c.exe\" --x=\"y z\""}]"#,
    r#"[{"Name":"vxlan0","Type":"Overlay","ManagementIP":"10.0.0.21","NetworkAdapterName":"Ethernet","Subnets":[{"AddressPrefix":"10.244.4.0/24","GatewayAddress":"10.244.4.1"}]}]"#,
    r#"[{"Name":"vEthernet (Ethernet)","InterfaceDescription":"Hyper-V Virtual Ethernet Adapter","Status":"Up","MacAddress":"00-15-5D-0A-01-15"}]"#,
    r#"[{"InterfaceAlias":"Ethernet","IPAddress":"10.0.0.21","PrefixLength":24}]"#,
    r#"{"HTTP_PROXY":"http://u:p@proxy:3128","NO_PROXY":"10.0.0.0/8,.svc"}"#,
    "[SC] QueryServiceConfig SUCCESS\r\n\r\nSERVICE_NAME: kubelet\r\n        START_TYPE         : 2   AUTO_START\r\n        BINARY_PATH_NAME   : C:\\k\\kubelet.exe --windows-service\r\n        STATE              : 4  RUNNING\r\n",
    "$cmd = \"C:\\k\\kubelet.exe $global:KubeletArgs --pod-infra-container-image=`\"x`\" --enforce-node-allocatable=`\"`\"\"",
];

const INSERTS: &[&[u8]] = &[
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\\",
    b"\0",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"=",
    b"\n",
    b"\r\n",
    b"99999999999999999999999",
    b"-1",
    b"/",
    b"/99",
    b"::",
    b"'",
    b"`",
    b"\xf0\x9f\x92\xa9",
    b"#",
    b"//",
    b"$(",
    b"nan",
    b"1e999",
    b"null",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(6) {
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let cut = rng.below(v.len());
                v.truncate(cut);
            }
            2 => {
                let i = rng.below(v.len() + 1);
                let ins = INSERTS[rng.below(INSERTS.len())];
                v.splice(i..i, ins.iter().copied());
            }
            3 if v.len() > 2 => {
                let a = rng.below(v.len());
                let b = rng.below(v.len());
                let (a, b) = (a.min(b), a.max(b));
                v.drain(a..b);
            }
            4 => {
                // Re-encode as UTF-16LE with a BOM, as PowerShell's Out-File does.
                let s = String::from_utf8_lossy(&v).into_owned();
                let mut out = vec![0xFF, 0xFE];
                for u in s.encode_utf16() {
                    out.extend_from_slice(&u.to_le_bytes());
                }
                v = out;
            }
            5 => {
                let n = rng.below(64);
                for _ in 0..n {
                    v.push((rng.next() & 0xFF) as u8);
                }
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let dup: Vec<u8> = v[..i].to_vec();
                v.extend(dup);
            }
        }
    }
    v
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(200);
    (0..n).map(|_| (rng.next() & 0xFF) as u8).collect()
}

fn iterations() -> usize {
    std::env::var("WINDOCTOR_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

/// Every parser on one input (decoded like a bundle file).
fn parse_everything(bytes: &[u8]) {
    let t = text::decode(bytes);
    let _ = text::encoding_name(bytes);
    let _ = subnet_env::parse(&t);
    let _ = sourcevip::parse(&t);
    let _ = sourcevip::parse_request(&t);
    let _ = cni::parse(&t);
    let _ = containerd::parse(&t);
    let _ = flannel::parse(&t);
    let _ = kubelet::parse_kubeadm_flags_env(&t);
    let _ = kubelet::parse_config_file(&t);
    let _ = kubelet::quantity_bytes(&t);
    let _ = kubelet::parse_resource_list(&t);
    let _ = records::parse_processes(&t);
    let _ = records::parse_services(&t);
    let _ = records::parse_hns(&t);
    let _ = records::parse_adapters(&t);
    let _ = records::parse_ip_addresses(&t);
    let _ = records::parse_sc_output("kubelet", &t);
    let _ = windoctor::sources::node::parse_env(&t);
    let words = cmdline::split_windows(&t);
    let _ = cmdline::split_shell(&t);
    let _ = cmdline::parse_flags(&words);
    let _ = cmdline::script_invocation(&t, "kubelet.exe");
    let _ = windoctor::facts::node::bundle_path(&t);
    let _ = windoctor::facts::node::normalise_win_path(&t);
}

#[test]
fn parsers_never_panic_on_mutated_or_random_input() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for i in 0..iterations() {
        let bytes = if i % 4 == 0 {
            random_bytes(&mut rng)
        } else {
            let seed = SEEDS[rng.below(SEEDS.len())].as_bytes();
            mutate(&mut rng, seed)
        };
        parse_everything(&bytes);
    }
}

/// Paths of a node part, with the seed each one starts from.
const NODE_FILES: &[(&str, usize)] = &[
    ("node/files/C/run/flannel/subnet.env", 0),
    ("node/files/C/k/SourceVip.json", 1),
    ("node/files/C/k/SourceVipRequest.json", 4),
    ("node/files/C/k/cni/config/cni.conf", 5),
    ("node/files/C/etc/cni/net.d/10-flannel.conflist", 6),
    ("node/files/C/Program Files/containerd/config.toml", 7),
    ("node/files/C/etc/kube-flannel/net-conf.json", 10),
    ("node/files/C/var/lib/kubelet/kubeadm-flags.env", 11),
    ("node/files/C/var/lib/kubelet/config.yaml", 12),
    ("node/services.json", 13),
    ("node/processes.json", 14),
    ("node/hns-networks.json", 15),
    ("node/net-adapters.json", 16),
    ("node/ip-addresses.json", 17),
    ("node/env.json", 18),
    ("node/files/C/k/flanneld.log", 20),
];

#[test]
fn whole_node_parts_of_mutated_files_run_through_every_check() {
    let mut rng = Rng(0x0bad_cafe_f00d_0002);
    let rounds = (iterations() / 30).max(20);
    for _ in 0..rounds {
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        files.insert(
            "node/node.json".into(),
            mutate(&mut rng, br#"{"hostname":"WIN-1","os":{"caption":"Microsoft Windows Server 2019","build":"17763","ubr":6054},"computer":{"manufacturer":"Microsoft Corporation","model":"Virtual Machine"},"api_server":"https://10.0.0.5:6443"}"#),
        );
        files.insert(
            "cluster/nodes.json".into(),
            br#"{"kind":"List","items":[{"metadata":{"name":"win-1","labels":{"kubernetes.io/os":"windows"}},"spec":{"podCIDR":"10.244.4.0/24"},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.21"}]}}]}"#.to_vec(),
        );
        for (path, seed) in NODE_FILES {
            if rng.below(5) != 0 {
                files.insert(path.to_string(), mutate(&mut rng, SEEDS[*seed].as_bytes()));
            }
        }
        let store = MemoryStore { files };
        let mut facts = bundle::read_bundle(&store);
        windoctor::model::resolve_local_node(&mut facts, None);
        let world = windoctor::model::World::new(facts);
        for id in windoctor::catalogue::CHECK_IDS {
            let r = windoctor::checks::run_on(id, &world);
            assert!(!r.findings.is_empty(), "{id} gave no finding");
        }
    }
}
