//! containerd's `config.toml` on Windows (`C:\Program Files\containerd\config.toml`): the sandbox
//! (pause) image and the CNI directories, in each of the layouts containerd has used.
//!
//! - version 1: `[plugins.cri] sandbox_image = ...`, `[plugins.cri.cni] conf_dir = ...`
//! - version 2: `[plugins."io.containerd.grpc.v1.cri"] sandbox_image = ...` and `.cni`
//! - version 3 (containerd 2.x): `[plugins."io.containerd.cri.v1.images".pinned_images]
//!   sandbox = ...` and `[plugins."io.containerd.cri.v1.runtime".cni] conf_dir = ...`

use toml::Value;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerdConfig {
    /// `version = N` at the top, if written.
    pub version: Option<i64>,
    /// The sandbox image and the TOML key that set it.
    pub sandbox_image: Option<(String, &'static str)>,
    /// CNI configuration directories and the key that set each.
    pub cni_conf_dirs: Vec<(String, &'static str)>,
    pub cni_bin_dirs: Vec<(String, &'static str)>,
}

const SANDBOX_KEYS: [(&[&str], &str); 3] = [
    (
        &[
            "plugins",
            "io.containerd.cri.v1.images",
            "pinned_images",
            "sandbox",
        ],
        r#"plugins."io.containerd.cri.v1.images".pinned_images.sandbox"#,
    ),
    (
        &["plugins", "io.containerd.grpc.v1.cri", "sandbox_image"],
        r#"plugins."io.containerd.grpc.v1.cri".sandbox_image"#,
    ),
    (
        &["plugins", "cri", "sandbox_image"],
        "plugins.cri.sandbox_image",
    ),
];

const CNI_TABLES: [(&[&str], &str); 3] = [
    (
        &["plugins", "io.containerd.cri.v1.runtime", "cni"],
        r#"plugins."io.containerd.cri.v1.runtime".cni"#,
    ),
    (
        &["plugins", "io.containerd.grpc.v1.cri", "cni"],
        r#"plugins."io.containerd.grpc.v1.cri".cni"#,
    ),
    (&["plugins", "cri", "cni"], "plugins.cri.cni"),
];

/// Parses config.toml; `Err` carries the TOML error (with its line) in one sentence.
pub fn parse(text: &str) -> Result<ContainerdConfig, String> {
    let t = text.trim_start_matches('\u{feff}');
    let root: toml::Table = t.parse().map_err(|e: toml::de::Error| {
        // toml's message spans several lines (position, source excerpt, caret, reason): keep the
        // position and the reason.
        let text = e.to_string();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let first = lines.first().copied().unwrap_or("");
        let reason = lines
            .iter()
            .rev()
            .find(|l| !l.starts_with('|') && !l.starts_with(|c: char| c.is_ascii_digit()))
            .copied()
            .unwrap_or("");
        let reason = reason.trim_start_matches(['|', '^', ' ']);
        if reason.is_empty() || reason == first {
            format!("not valid TOML: {first}")
        } else {
            format!("not valid TOML: {first}: {reason}")
        }
    })?;
    let root = Value::Table(root);
    let mut conf = ContainerdConfig {
        version: root.get("version").and_then(Value::as_integer),
        ..Default::default()
    };
    for (path, key) in SANDBOX_KEYS {
        if let Some(image) = lookup(&root, path).and_then(Value::as_str) {
            conf.sandbox_image = Some((image.to_string(), key));
            break;
        }
    }
    for (path, key) in CNI_TABLES {
        if let Some(table) = lookup(&root, path) {
            if let Some(d) = table.get("conf_dir").and_then(Value::as_str) {
                conf.cni_conf_dirs.push((d.to_string(), key));
            }
            if let Some(d) = table.get("bin_dir").and_then(Value::as_str) {
                conf.cni_bin_dirs.push((d.to_string(), key));
            }
        }
    }
    Ok(conf)
}

fn lookup<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = root;
    for p in path {
        cur = cur.get(*p)?;
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_layouts() {
        let v1 = parse("[plugins.cri]\n  sandbox_image = \"mcr.microsoft.com/oss/kubernetes/pause:1.4.1\"\n[plugins.cri.cni]\n  conf_dir = \"C:\\\\k\\\\cni\\\\config\"\n").expect("v1");
        assert_eq!(
            v1.sandbox_image.as_ref().map(|s| s.1),
            Some("plugins.cri.sandbox_image")
        );
        assert_eq!(v1.cni_conf_dirs[0].0, r"C:\k\cni\config");
        let v2 = parse("version = 2\r\n[plugins.\"io.containerd.grpc.v1.cri\"]\r\n  sandbox_image = \"registry.k8s.io/pause:3.9\"\r\n  [plugins.\"io.containerd.grpc.v1.cri\".cni]\r\n    bin_dir = \"C:/opt/cni/bin\"\r\n    conf_dir = \"C:/etc/cni/net.d\"\r\n").expect("v2");
        assert_eq!(v2.version, Some(2));
        assert_eq!(
            v2.sandbox_image.as_ref().map(|s| s.0.as_str()),
            Some("registry.k8s.io/pause:3.9")
        );
        assert_eq!(v2.cni_conf_dirs[0].0, "C:/etc/cni/net.d");
        let v3 = parse("version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'mcr.microsoft.com/oss/kubernetes/pause:3.10'\n[plugins.'io.containerd.cri.v1.runtime'.cni]\n  conf_dir = 'C:\\Program Files\\containerd\\cni\\conf'\n").expect("v3");
        assert_eq!(v3.version, Some(3));
        assert!(v3
            .sandbox_image
            .as_ref()
            .is_some_and(|s| s.0.ends_with("pause:3.10")));
        assert!(parse("[plugins.cri\nsandbox_image=")
            .unwrap_err()
            .contains("TOML"));
        assert_eq!(parse("").expect("empty").sandbox_image, None);
    }
}
