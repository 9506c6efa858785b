//! Hostile cluster contents, planted into a [`ClusterData`] for robustness
//! tests of a client that writes what it reads to files and screens: pods
//! whose namespace or name is a path trick, secrets where they should not
//! be (annotations, container arguments, environment values, event
//! messages), an event message with a terminal escape sequence, and a node
//! whose name is huge (see [`ClusterData::add_node_with_huge_name`]).
//! Each helper returns what it planted so a test can look for it in the
//! client's output.

use serde_json::json;

use crate::data::ClusterData;
use crate::resource::ResourceKind;

/// Names that are path tricks when used as file or directory names.
pub const PATH_TRICKS: &[&str] = &[
    "..",
    "../../../../etc/passwd",
    "..\\..\\..\\Windows\\System32\\config\\SAM",
    "a/b",
    "C:\\Windows\\win.ini",
    "/etc/shadow",
    "con",
    "NUL.txt",
    "%2e%2e%2f%2e%2e%2f",
    "name\nwith\nnewlines",
    "\u{202e}gpj.exe",
    "$(touch pwned)",
    "*",
    "~root",
];

/// Namespaces used for the path-trick pods, themselves tricks.
pub const NAMESPACE_TRICKS: &[&str] = &["..", "../../tmp", "kube-system/../default"];

/// Secret values planted by [`plant_secrets`]: none of them may appear in a
/// client's redacted output.
pub const SECRETS: &[&str] = &[
    "hunter2-annotation-secret",
    "tok3n-in-args-0123456789",
    "P@ssw0rd-in-args",
    "db-passw0rd-in-env",
    "eyJhbGciOiJSUzI1NiJ9.event-bearer",
    "session=c00kie-in-event",
    "SecureString-in-event",
];

/// The terminal escape planted by [`plant_terminal_escape`]: OSC 52, which
/// asks a terminal to put text on the clipboard.
pub const TERMINAL_ESCAPE: &str = "\u{1b}]52;c;cm0gLXJmIH4K\u{7}";

/// Adds a pod (with a log) under every combination of [`NAMESPACE_TRICKS`]
/// and [`PATH_TRICKS`], plus path-trick names in `default`. Returns the
/// `(namespace, name)` pairs.
pub fn plant_path_tricks(data: &mut ClusterData) -> anyhow::Result<Vec<(String, String)>> {
    let mut planted = Vec::new();
    let namespaces = std::iter::once("default").chain(NAMESPACE_TRICKS.iter().copied());
    for namespace in namespaces {
        for name in PATH_TRICKS {
            data.add(
                ResourceKind::Pods,
                json!({
                    "metadata": {"name": name, "namespace": namespace, "uid": format!("uid-{}", planted.len())},
                    "spec": {"nodeName": "win-node-1", "containers": [{"name": name, "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}]},
                    "status": {"phase": "Running"}
                }),
            )?;
            data.add_log(
                namespace,
                name,
                name,
                format!("log of {namespace}/{name}\n"),
            );
            planted.push((namespace.to_string(), name.to_string()));
        }
    }
    Ok(planted)
}

/// Adds a pod and events carrying [`SECRETS`] in an annotation, container
/// arguments (`--token=...`, `-Password X`), an environment value and event
/// messages (`Authorization: Bearer ...`, `Cookie: ...`,
/// `ConvertTo-SecureString "..."`). Returns the secret values.
pub fn plant_secrets(data: &mut ClusterData) -> anyhow::Result<Vec<&'static str>> {
    data.add(
        ResourceKind::Pods,
        json!({
            "metadata": {
                "name": "leaky", "namespace": "default", "uid": "uid-leaky",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": format!("{{\"password\":\"{}\"}}", SECRETS[0])
                }
            },
            "spec": {
                "nodeName": "win-node-1",
                "containers": [{
                    "name": "app",
                    "image": "mcr.microsoft.com/windows/servercore:ltsc2022",
                    "command": ["powershell.exe"],
                    "args": [format!("--token={}", SECRETS[1]), "-Password", SECRETS[2]],
                    "env": [{"name": "DB_PASSWORD", "value": SECRETS[3]}]
                }]
            },
            "status": {"phase": "Running"}
        }),
    )?;
    let messages = [
        format!("GET /healthz failed: Authorization: Bearer {}", SECRETS[4]),
        format!("probe sent Cookie: {}", SECRETS[5]),
        format!(
            "script error: $p = ConvertTo-SecureString \"{}\" -AsPlainText -Force",
            SECRETS[6]
        ),
    ];
    for (i, message) in messages.iter().enumerate() {
        data.add(
            ResourceKind::Events,
            warning_event(&format!("leaky.{i}"), message),
        )?;
    }
    Ok(SECRETS.to_vec())
}

/// Adds a Warning event whose message holds [`TERMINAL_ESCAPE`]. Returns
/// the message.
pub fn plant_terminal_escape(data: &mut ClusterData) -> anyhow::Result<String> {
    let message = format!("Back-off restarting failed container {TERMINAL_ESCAPE}done");
    data.add(ResourceKind::Events, warning_event("escape.1", &message))?;
    Ok(message)
}

/// A Warning event about pod `default/leaky`.
fn warning_event(name: &str, message: &str) -> serde_json::Value {
    json!({
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "leaky", "uid": "uid-leaky"},
        "reason": "BackOff",
        "message": message,
        "type": "Warning",
        "count": 1,
        "source": {"component": "kubelet", "host": "win-node-1"}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plants_everything() -> anyhow::Result<()> {
        let mut data = ClusterData::new();
        let pairs = plant_path_tricks(&mut data)?;
        assert_eq!(
            pairs.len(),
            PATH_TRICKS.len() * (NAMESPACE_TRICKS.len() + 1)
        );
        assert_eq!(data.len(ResourceKind::Pods), pairs.len());
        let secrets = plant_secrets(&mut data)?;
        assert_eq!(secrets.len(), SECRETS.len());
        let message = plant_terminal_escape(&mut data)?;
        assert!(message.contains('\u{1b}'));
        assert_eq!(data.len(ResourceKind::Events), 4);
        Ok(())
    }
}
