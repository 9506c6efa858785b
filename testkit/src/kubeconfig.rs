//! Kubeconfig files pointing at a fake API server: one cluster (the plain
//! http URL), one token user, one context named `fake` made current. The
//! cluster carries `certificate-authority-data` with a dummy self-signed CA
//! certificate because kube-rs loads and parses the CA bundle even for http
//! servers; no private key for it exists anywhere.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Name of the context (and of the cluster and user) the kubeconfig defines.
pub const CONTEXT_NAME: &str = "fake";

/// A well-formed self-signed P-256 CA certificate, generated once for this
/// crate; its key was discarded, so it can vouch for nothing.
pub const DUMMY_CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBsDCCAVegAwIBAgIUOUiuCm4DWRD7Xlm6vCTCeOe3c6swCgYIKoZIzj0EAwIw
JTEjMCEGA1UEAwwad2luZG9jdG9yLXRlc3RraXQgZHVtbXkgQ0EwIBcNMjYxMTIz
MDQwNDExWhgPMjEyNjEwMzAwNDA0MTFaMCUxIzAhBgNVBAMMGndpbmRvY3Rvci10
ZXN0a2l0IGR1bW15IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJVHGW52J
S9FtgdL+6fL3pkcR7u90ZdZyjwScFXwhfbu8PQdFACFzPmp2AXC0z8fR+A/pKofk
RurVqFTJgKexqqNjMGEwHQYDVR0OBBYEFDiTOVFyR/yF/4DfLMxlO6qaXyWIMB8G
A1UdIwQYMBaAFDiTOVFyR/yF/4DfLMxlO6qaXyWIMA8GA1UdEwEB/wQFMAMBAf8w
DgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0cAMEQCIBp0UVnlfGKcGAUsC558
3WwIVOlqrMU2QR5KoFp+b2s3AiAJA5riR0s0ml+l52eCJWv+y6770QDSK00KsfLt
LG0tHg==
-----END CERTIFICATE-----
";

/// A YAML string scalar (JSON strings are valid YAML double-quoted
/// scalars).
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The kubeconfig text for a server at `server_url` accepting `token`.
pub fn kubeconfig_yaml(server_url: &str, token: &str) -> String {
    let ca = STANDARD.encode(DUMMY_CA_PEM);
    format!(
        "apiVersion: v1
kind: Config
preferences: {{}}
clusters:
- name: {CONTEXT_NAME}
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
- name: {CONTEXT_NAME}
  user:
    token: {token}
contexts:
- name: {CONTEXT_NAME}
  context:
    cluster: {CONTEXT_NAME}
    user: {CONTEXT_NAME}
    namespace: default
current-context: {CONTEXT_NAME}
",
        server = quoted(server_url),
        token = quoted(token),
    )
}

/// Writes `dir/kubeconfig` and returns its path.
pub fn write_kubeconfig(dir: &Path, server_url: &str, token: &str) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("kubeconfig");
    write_kubeconfig_file(&path, server_url, token)?;
    Ok(path)
}

/// Writes a kubeconfig to exactly `path`.
pub fn write_kubeconfig_file(path: &Path, server_url: &str, token: &str) -> anyhow::Result<()> {
    fs::write(path, kubeconfig_yaml(server_url, token))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_back() -> anyhow::Result<()> {
        let text = kubeconfig_yaml("http://127.0.0.1:1234", "tok");
        let docs = crate::bundle::parse_yaml(&text)?;
        let config = &docs[0];
        assert_eq!(config["current-context"], "fake");
        assert_eq!(
            config["clusters"][0]["cluster"]["server"],
            "http://127.0.0.1:1234"
        );
        assert_eq!(config["users"][0]["user"]["token"], "tok");
        let ca = config["clusters"][0]["cluster"]["certificate-authority-data"]
            .as_str()
            .unwrap_or_default();
        assert_eq!(STANDARD.decode(ca)?, DUMMY_CA_PEM.as_bytes());
        Ok(())
    }
}
