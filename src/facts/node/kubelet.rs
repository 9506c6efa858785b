//! The kubelet's settings as the node configures them: flags (`--system-reserved=memory=2Gi`),
//! `kubeadm-flags.env` (`KUBELET_KUBEADM_ARGS="..."`), and the KubeletConfiguration file named by
//! `--config` (YAML: `systemReserved`, `evictionHard`, `enforceNodeAllocatable`, `clusterDNS`).
//! Also Kubernetes quantities (`2Gi`, `1500Mi`, `2G`) as bytes.

use serde_json::Value;
use std::collections::BTreeMap;

/// `KUBELET_KUBEADM_ARGS` (or any `NAME="..."`) lines of kubeadm-flags.env, split into words.
pub fn parse_kubeadm_flags_env(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut found = false;
    for line in text.lines() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {line:?} is not NAME=\"--flags ...\""));
        };
        if key.trim().ends_with("_ARGS") {
            found = true;
            // The value is one quoted word holding the space-separated flags.
            for outer in super::cmdline::split_shell(value.trim()) {
                words.extend(super::cmdline::split_shell(&outer));
            }
        }
    }
    if !found {
        return Err("it sets no KUBELET_KUBEADM_ARGS".to_string());
    }
    Ok(words)
}

/// The fields of a KubeletConfiguration file that the checks read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KubeletConfigFile {
    pub system_reserved: BTreeMap<String, String>,
    pub kube_reserved: BTreeMap<String, String>,
    pub eviction_hard: BTreeMap<String, String>,
    pub eviction_soft: BTreeMap<String, String>,
    pub enforce_node_allocatable: Option<Vec<String>>,
    pub cluster_dns: Vec<String>,
    /// `cgroupsPerQOS`, when written.
    pub cgroups_per_qos: Option<bool>,
}

/// A component configuration file (YAML or JSON, with or without a BOM) as a JSON value; an
/// empty or unparseable file is an error saying which.
fn config_document(text: &str) -> Result<Value, String> {
    let t = text.trim_start_matches('\u{feff}');
    if t.trim().is_empty() {
        return Err("the file is empty".to_string());
    }
    let v: Value = if t.trim_start().starts_with('{') {
        serde_json::from_str(t).map_err(|e| format!("not valid JSON: {e}"))?
    } else {
        serde_saphyr::from_str(t).map_err(|e| {
            format!(
                "not valid YAML: {}",
                e.to_string().lines().next().unwrap_or("")
            )
        })?
    };
    Ok(v)
}

/// Parses a KubeletConfiguration (YAML or JSON).
pub fn parse_config_file(text: &str) -> Result<KubeletConfigFile, String> {
    let v = config_document(text)?;
    parse_config_value(&v)
}

/// The fields the checks read from a KubeletConfiguration already parsed as JSON (a config file,
/// or the kubelet's running configuration served at configz).
pub fn parse_config_value(v: &Value) -> Result<KubeletConfigFile, String> {
    if !v.is_object() {
        return Err("not a KubeletConfiguration object".to_string());
    }
    let map = |key: &str| -> BTreeMap<String, String> {
        v.get(key)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, x)| {
                        (
                            k.clone(),
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let list = |key: &str| -> Option<Vec<String>> {
        v.get(key).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
    };
    Ok(KubeletConfigFile {
        system_reserved: map("systemReserved"),
        kube_reserved: map("kubeReserved"),
        eviction_hard: map("evictionHard"),
        eviction_soft: map("evictionSoft"),
        enforce_node_allocatable: list("enforceNodeAllocatable"),
        cluster_dns: list("clusterDNS").unwrap_or_default(),
        cgroups_per_qos: v.get("cgroupsPerQOS").and_then(Value::as_bool),
    })
}

/// `memory=2Gi,cpu=500m` -> {memory: 2Gi, cpu: 500m}.
pub fn parse_resource_list(value: &str) -> BTreeMap<String, String> {
    value
        .split(',')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// A Kubernetes quantity in bytes: `2Gi`, `2048Mi`, `2G`, `2147483648`, `1.5Gi`.
pub fn quantity_bytes(q: &str) -> Option<u64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(q.len());
    let (num, unit) = q.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "m" => 1e-3,
        _ => return None,
    };
    let bytes = n * mult;
    (bytes.is_finite() && (0.0..1.8e19).contains(&bytes)).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeadm_flags_env_and_config_file() {
        let w = parse_kubeadm_flags_env(
            "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=npipe:////./pipe/containerd-containerd --pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6\"\r\n",
        )
        .expect("ok");
        assert_eq!(w.len(), 2);
        assert!(parse_kubeadm_flags_env("# nothing\n").is_err());
        let c = parse_config_file(
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nsystemReserved:\n  memory: 2Gi\nevictionHard:\n  memory.available: 100Mi\nenforceNodeAllocatable: []\nclusterDNS:\n- 10.96.0.10\n",
        )
        .expect("yaml");
        assert_eq!(
            c.system_reserved.get("memory").map(String::as_str),
            Some("2Gi")
        );
        assert_eq!(c.enforce_node_allocatable, Some(vec![]));
        assert_eq!(c.cluster_dns, vec!["10.96.0.10"]);
        assert!(parse_config_file(": : :\n  - [").is_err());
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity_bytes("2Gi"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(quantity_bytes("2048Mi"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(quantity_bytes("2G"), Some(2_000_000_000));
        assert_eq!(quantity_bytes("1.5Gi"), Some(1_610_612_736));
        assert_eq!(quantity_bytes("lots"), None);
        assert_eq!(quantity_bytes("5Xi"), None);
        assert_eq!(
            parse_resource_list("cpu=500m, memory=2Gi")
                .get("memory")
                .map(String::as_str),
            Some("2Gi")
        );
    }
}

/// The settings windoctor reads from a KubeProxyConfiguration file (kube-proxy `--config`), e.g.
/// OpenShift WMCO's `C:\k\kube-proxy.conf`, which holds `hostnameOverride` and `winkernel.sourceVip`
/// instead of flags (openshift/windows-machine-config-operator@0be4b9ccb94d8450f918724a93fb4c7d89d6eefe:
/// pkg/servicescm/services.go#L153-L194).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KubeProxyConfigFile {
    pub hostname_override: Option<String>,
    pub cluster_cidr: Option<String>,
    pub source_vip: Option<String>,
    pub network_name: Option<String>,
}

/// Parses a KubeProxyConfiguration (YAML or JSON).
pub fn parse_kube_proxy_config(text: &str) -> Result<KubeProxyConfigFile, String> {
    let v = config_document(text)?;
    if !v.is_object() {
        return Err("not a KubeProxyConfiguration object".to_string());
    }
    let text_at = |path: &[&str]| -> Option<String> {
        let mut cur = &v;
        for key in path {
            cur = cur.get(*key)?;
        }
        cur.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Ok(KubeProxyConfigFile {
        hostname_override: text_at(&["hostnameOverride"]),
        cluster_cidr: text_at(&["clusterCIDR"]),
        source_vip: text_at(&["winkernel", "sourceVip"]),
        network_name: text_at(&["winkernel", "networkName"]),
    })
}
