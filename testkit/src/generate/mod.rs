//! Synthetic clusters for tests and benchmarks: `N` nodes (a tenth of them
//! Windows, of mixed builds) and `M` pods with realistic specs and statuses,
//! plus the events, services, daemonsets, configmaps and runtime classes a
//! cluster of that size has. Deterministic from a seed: the same
//! [`GenerateSpec`] always gives byte-identical objects.
//!
//! The cluster is mostly healthy, with the problems the windoctor checks look
//! for sprinkled in at a few percent: Windows pods whose image does not match
//! the node build, Windows images without an OS node selector, sandbox and
//! HNS network failures, a NotReady Windows node, a Docker runtime, a flannel
//! VNI mismatch. Each Windows node runs a HostProcess kube-proxy and
//! flannel pod whose logs (current and previous) are generated, a few of
//! them crash-looping with real failure wordings, and every node has its
//! kubelet configuration (configz). `fakeapi --generate nodes=N,pods=M,seed=S`
//! serves one.

mod config;
mod events;
mod kubelet_config;
mod nodes;
mod rng;
mod system_logs;
mod workloads;

use std::fmt;

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::data::ClusterData;
use crate::resource::ResourceKind;

pub(crate) use rng::{timestamp, Rng};

/// What to generate: `nodes=N,pods=M,seed=S[,windows=P]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateSpec {
    /// Number of nodes; `windows_percent` of them (at least one) are Windows.
    pub nodes: usize,
    /// Number of pods, daemonset pods included.
    pub pods: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Percentage of the nodes that run Windows (default 10). Workloads follow the nodes: a
    /// Deployment is a Windows one with this probability.
    pub windows_percent: u32,
}

impl Default for GenerateSpec {
    fn default() -> Self {
        GenerateSpec {
            nodes: 50,
            pods: 1_500,
            seed: 1,
            windows_percent: 10,
        }
    }
}

impl GenerateSpec {
    /// A spec of `nodes` nodes and `pods` pods from `seed`.
    pub fn new(nodes: usize, pods: usize, seed: u64) -> GenerateSpec {
        GenerateSpec {
            nodes,
            pods,
            seed,
            windows_percent: 10,
        }
    }

    /// The same spec with `percent` of the nodes Windows.
    pub fn windows_percent(mut self, percent: u32) -> GenerateSpec {
        self.windows_percent = percent;
        self
    }

    /// Parses `nodes=N,pods=M,seed=S,windows=P` (any order; absent keys
    /// keep the defaults of 50 nodes, 1,500 pods, seed 1, 10 percent Windows
    /// nodes). Numbers may use `_` or a `k` suffix: `pods=150k`.
    pub fn parse(text: &str) -> anyhow::Result<GenerateSpec> {
        let mut spec = GenerateSpec::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .with_context(|| format!("expected KEY=VALUE in --generate, got {part:?}"))?;
            let number = parse_count(value)
                .with_context(|| format!("invalid number {value:?} for {key} in --generate"))?;
            match key.trim() {
                "nodes" => spec.nodes = usize::try_from(number)?,
                "pods" => spec.pods = usize::try_from(number)?,
                "seed" => spec.seed = number,
                "windows" => {
                    spec.windows_percent = u32::try_from(number)?;
                    if spec.windows_percent > 100 {
                        bail!(
                            "windows={number} in --generate is a percentage of the nodes (0-100)"
                        );
                    }
                }
                other => {
                    bail!("unknown --generate key {other:?} (expected nodes, pods, seed, windows)")
                }
            }
        }
        if spec.nodes == 0 {
            bail!("--generate needs at least one node");
        }
        Ok(spec)
    }

    /// How many of the nodes run Windows: `windows_percent` of them, at
    /// least one.
    pub fn windows_nodes(&self) -> usize {
        if self.nodes == 0 {
            0
        } else {
            (self.nodes * self.windows_percent.min(100) as usize / 100)
                .max(1)
                .min(self.nodes)
        }
    }

    /// How many namespaces the workloads spread over.
    pub fn namespaces(&self) -> usize {
        (self.pods / 500).max(3)
    }
}

impl fmt::Display for GenerateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nodes={},pods={},seed={}",
            self.nodes, self.pods, self.seed
        )?;
        if self.windows_percent != 10 {
            write!(f, ",windows={}", self.windows_percent)?;
        }
        Ok(())
    }
}

fn parse_count(text: &str) -> anyhow::Result<u64> {
    let clean: String = text.trim().chars().filter(|c| *c != '_').collect();
    let (digits, factor) = match clean.strip_suffix(['k', 'K']) {
        Some(d) => (d, 1_000),
        None => (clean.as_str(), 1),
    };
    Ok(digits.parse::<u64>()? * factor)
}

/// Where generated things go, as they are made.
pub trait Sink {
    /// One object of `kind`.
    fn object(&mut self, kind: ResourceKind, object: Value) -> anyhow::Result<()>;

    /// The log of `container` in pod `namespace/pod` (`previous` for the
    /// terminated instance). Ignored by default.
    fn log(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        text: String,
    ) -> anyhow::Result<()> {
        let _ = (namespace, pod, container, previous, text);
        Ok(())
    }

    /// The kubelet configuration of `node`. Ignored by default.
    fn configz(&mut self, node: &str, config: Value) -> anyhow::Result<()> {
        let _ = (node, config);
        Ok(())
    }
}

impl Sink for ClusterData {
    fn object(&mut self, kind: ResourceKind, object: Value) -> anyhow::Result<()> {
        self.add(kind, object)
    }

    fn log(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        text: String,
    ) -> anyhow::Result<()> {
        if previous {
            self.add_previous_log(namespace, pod, container, text);
        } else {
            self.add_log(namespace, pod, container, text);
        }
        Ok(())
    }

    fn configz(&mut self, node: &str, config: Value) -> anyhow::Result<()> {
        self.set_configz(node, config);
        Ok(())
    }
}

/// A [`Sink`] taking objects only.
struct Objects<'a>(&'a mut dyn FnMut(ResourceKind, Value) -> anyhow::Result<()>);

impl Sink for Objects<'_> {
    fn object(&mut self, kind: ResourceKind, object: Value) -> anyhow::Result<()> {
        (self.0)(kind, object)
    }
}

/// Builds the cluster `spec` describes, logs and kubelet configurations
/// included.
pub fn generate(spec: &GenerateSpec) -> anyhow::Result<ClusterData> {
    let mut data = ClusterData::new();
    data.set_version(version());
    generate_with(spec, &mut data)?;
    Ok(data)
}

/// Hands every generated object to `sink`, kind by kind: nodes, runtime
/// classes, daemonsets, pods, services, configmaps, then events.
pub fn generate_into(
    spec: &GenerateSpec,
    sink: &mut dyn FnMut(ResourceKind, Value) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    generate_with(spec, &mut Objects(sink))
}

/// Hands everything generated to `sink`: objects in the order of
/// [`generate_into`], each node's configz after the nodes, and the system
/// pods' logs after the pods.
pub fn generate_with(spec: &GenerateSpec, sink: &mut dyn Sink) -> anyhow::Result<()> {
    let plan = nodes::plan(spec);
    for object in nodes::objects(spec, &plan) {
        sink.object(ResourceKind::Nodes, object)?;
    }
    for node in &plan.nodes {
        sink.configz(&node.name, kubelet_config::configz(node))?;
    }
    for object in config::runtime_classes() {
        sink.object(ResourceKind::RuntimeClasses, object)?;
    }
    let workloads = workloads::plan(spec, &plan);
    for object in workloads::daemonsets(spec, &plan) {
        sink.object(ResourceKind::DaemonSets, object)?;
    }
    let mut pods = Vec::with_capacity(spec.pods);
    workloads::pods(spec, &plan, &workloads, &mut |pod, object| {
        pods.push(pod);
        sink.object(ResourceKind::Pods, object)
    })?;
    for pod in &pods {
        let (Some(system), Some(n)) = (pod.system, pod.node) else {
            continue;
        };
        let logs = system_logs::logs(pod, system, &plan.nodes[n]);
        sink.log(
            &pod.namespace,
            &pod.name,
            &pod.container,
            false,
            logs.current,
        )?;
        if let Some(previous) = logs.previous {
            sink.log(&pod.namespace, &pod.name, &pod.container, true, previous)?;
        }
    }
    for object in workloads::services(spec, &workloads) {
        sink.object(ResourceKind::Services, object)?;
    }
    for object in config::configmaps(spec, &workloads) {
        sink.object(ResourceKind::ConfigMaps, object)?;
    }
    events::events(spec, &plan, &pods, &mut |object| {
        sink.object(ResourceKind::Events, object)
    })
}

/// The `/version` body: Kubernetes v1.32, so that the kubectl dispatcher
/// picks its v1.32 build.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.4",
        "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
        "gitTreeState": "clean",
        "buildDate": "2025-04-22T16:02:27Z",
        "goVersion": "go1.23.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// The pod and service address plan shared by the generators.
pub(crate) const CLUSTER_CIDR: &str = "10.128.0.0/9";
pub(crate) const SERVICE_CIDR: &str = "10.96.0.0/12";
pub(crate) const DNS_IP: &str = "10.96.0.10";

/// `managedFields` as the API server stores them (kubectl drops them from
/// its output; clients still receive and parse them).
pub(crate) fn managed_fields(manager: &str, time: &str, status_manager: Option<&str>) -> Value {
    let mut entries = vec![json!({
        "apiVersion": "v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}, "f:spec": {".": {}}},
        "manager": manager,
        "operation": "Update",
        "time": time
    })];
    if let Some(status) = status_manager {
        entries.push(json!({
            "apiVersion": "v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:status": {"f:conditions": {".": {}}, "f:phase": {}}},
            "manager": status,
            "operation": "Update",
            "subresource": "status",
            "time": time
        }));
    }
    Value::Array(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() -> anyhow::Result<()> {
        let spec = GenerateSpec::parse("nodes=5000,pods=150k,seed=7")?;
        assert_eq!(spec, GenerateSpec::new(5000, 150_000, 7));
        assert_eq!(spec.to_string(), "nodes=5000,pods=150000,seed=7");
        assert_eq!(GenerateSpec::parse("pods=1_000")?.pods, 1000);
        assert_eq!(GenerateSpec::parse("")?, GenerateSpec::default());
        assert!(GenerateSpec::parse("nodes=0").is_err());
        assert!(GenerateSpec::parse("widgets=3").is_err());
        assert!(GenerateSpec::parse("nodes").is_err());
        assert!(GenerateSpec::parse("nodes=x").is_err());
        let one = GenerateSpec::parse("nodes=5000,pods=150k,seed=1,windows=1")?;
        assert_eq!(one, GenerateSpec::new(5000, 150_000, 1).windows_percent(1));
        assert_eq!(one.windows_nodes(), 50);
        assert_eq!(one.to_string(), "nodes=5000,pods=150000,seed=1,windows=1");
        assert_eq!(GenerateSpec::new(5000, 10, 1).windows_nodes(), 500);
        assert_eq!(GenerateSpec::new(5, 10, 1).windows_nodes(), 1);
        assert!(GenerateSpec::parse("windows=101").is_err());
        Ok(())
    }

    #[test]
    fn counts_and_determinism() -> anyhow::Result<()> {
        let spec = GenerateSpec::new(40, 900, 3);
        let a = generate(&spec)?;
        assert_eq!(a.len(ResourceKind::Nodes), 40);
        assert_eq!(a.len(ResourceKind::Pods), 900);
        assert!(a.len(ResourceKind::Events) > 100);
        assert!(a.len(ResourceKind::Services) > 10);
        assert!(a.len(ResourceKind::DaemonSets) >= 4);
        assert!(a.len(ResourceKind::ConfigMaps) >= 5);
        let b = generate(&spec)?;
        for kind in ResourceKind::ALL {
            assert_eq!(a.keys(kind), b.keys(kind), "{kind}");
        }
        let mut a = a;
        let mut b = b;
        a.prepare();
        b.prepare();
        for kind in ResourceKind::ALL {
            let ja: Vec<&[u8]> = a.objects(kind).iter().map(|o| &o.json[..]).collect();
            let jb: Vec<&[u8]> = b.objects(kind).iter().map(|o| &o.json[..]).collect();
            assert!(ja == jb, "{kind} differs between runs");
        }
        let other = generate(&GenerateSpec::new(40, 900, 4))?;
        assert_ne!(
            a.keys(ResourceKind::Pods),
            other.keys(ResourceKind::Pods),
            "another seed gives another cluster"
        );
        Ok(())
    }

    #[test]
    fn has_windows_nodes_of_mixed_builds_and_warnings() -> anyhow::Result<()> {
        let mut data = generate(&GenerateSpec::new(60, 3000, 1))?;
        data.prepare();
        let nodes: Vec<Value> = data
            .objects(ResourceKind::Nodes)
            .iter()
            .map(|o| serde_json::from_slice(&o.json))
            .collect::<Result<_, _>>()?;
        let windows: Vec<&Value> = nodes
            .iter()
            .filter(|n| n["metadata"]["labels"]["kubernetes.io/os"] == "windows")
            .collect();
        assert_eq!(windows.len(), 6);
        let builds: std::collections::BTreeSet<&str> = windows
            .iter()
            .filter_map(|n| n["status"]["nodeInfo"]["kernelVersion"].as_str())
            .map(|k| k.split('.').nth(2).unwrap_or(""))
            .collect();
        assert!(builds.len() >= 2, "mixed builds: {builds:?}");
        let events: Vec<Value> = data
            .objects(ResourceKind::Events)
            .iter()
            .map(|o| serde_json::from_slice(&o.json))
            .collect::<Result<_, _>>()?;
        let warnings = events.iter().filter(|e| e["type"] == "Warning").count();
        assert!(warnings > 0 && warnings * 10 < events.len(), "{warnings}");
        let sandbox = events
            .iter()
            .filter(|e| e["reason"] == "FailedCreatePodSandBox")
            .count();
        assert!(sandbox > 0, "Windows sandbox failures are present");
        Ok(())
    }
}
