//! The bundle reader end to end: the input is split into files (`path\0content\0...`) of an
//! in-memory bundle, which is read (cluster lists, versions, node part, probe results) and run
//! through every check, as `--snapshot` would.
#![no_main]
use libfuzzer_sys::fuzz_target;
use windoctor::sources::bundle;
use windoctor::sources::files::MemoryStore;

/// Paths the fuzzer's first bytes pick from when a chunk names no path of its own.
const PATHS: &[&str] = &[
    "cluster/version.json",
    "cluster/nodes.json",
    "cluster/pods.yaml",
    "cluster/events.json",
    "cluster/services.json",
    "cluster/daemonsets.json",
    "cluster/configmaps.json",
    "cluster/runtimeclasses.json",
    "cluster/logs/kube-system/kube-flannel-ds-windows/kube-flannel.log",
    "node/node.json",
    "node/processes.json",
    "node/services.json",
    "node/hns-networks.json",
    "node/net-adapters.json",
    "node/ip-addresses.json",
    "node/env.json",
    "node/files/C/run/flannel/subnet.env",
    "node/files/C/k/SourceVip.json",
    "node/files/C/k/cni/config/cni.conf",
    "node/files/C/Program Files/containerd/config.toml",
    "node/files/C/var/lib/kubelet/config.yaml",
    "node/files/C/var/lib/kubelet/kubeadm-flags.env",
    "node/files/C/etc/kube-flannel/net-conf.json",
    "node/files/C/k/flanneld.log",
    "probes/results.json",
];

fuzz_target!(|data: &[u8]| {
    let mut store = MemoryStore::default();
    for (i, chunk) in data.split(|b| *b == 0xFF).enumerate().take(PATHS.len()) {
        let (path, content) = match chunk.split_first() {
            Some((pick, rest)) => (PATHS[usize::from(*pick) % PATHS.len()], rest),
            None => (PATHS[i % PATHS.len()], chunk),
        };
        store.files.insert(path.to_string(), content.to_vec());
    }
    let facts = bundle::read_bundle(&store);
    let world = windoctor::model::World::new(facts);
    for id in windoctor::catalogue::CHECK_IDS {
        let _ = windoctor::checks::run_on(id, &world);
    }
});
