//! Kubeconfig files pointing at a fake API server: one cluster (the plain
//! http URL), one user (a bearer token, or an exec credential plugin
//! stanza), one context named `fake` made current. The
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

/// An exec credential plugin the kubeconfig's user runs for its token
/// (`users[].user.exec`), instead of carrying one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecPlugin {
    /// The program to run.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// `client.authentication.k8s.io/v1` unless changed.
    pub api_version: String,
}

impl ExecPlugin {
    /// A plugin running `command` with no arguments.
    pub fn new(command: impl Into<String>) -> ExecPlugin {
        ExecPlugin {
            command: command.into(),
            args: Vec::new(),
            env: Vec::new(),
            api_version: "client.authentication.k8s.io/v1".to_string(),
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<String>) -> ExecPlugin {
        self.args.push(arg.into());
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> ExecPlugin {
        self.env.push((name.into(), value.into()));
        self
    }

    /// The `exec:` stanza, indented for `users[].user`.
    fn stanza(&self) -> String {
        let list = |items: Vec<String>| format!("[{}]", items.join(", "));
        let args = list(self.args.iter().map(|a| quoted(a)).collect());
        let env = list(
            self.env
                .iter()
                .map(|(n, v)| format!("{{name: {}, value: {}}}", quoted(n), quoted(v)))
                .collect(),
        );
        format!(
            "    exec:\n      apiVersion: {}\n      command: {}\n      args: {args}\n      env: {env}\n      interactiveMode: Never\n      provideClusterInfo: false\n",
            quoted(&self.api_version),
            quoted(&self.command),
        )
    }
}

/// What an exec plugin prints on stdout to hand over `token`: an
/// `ExecCredential` of `client.authentication.k8s.io/v1`.
pub fn exec_credential_json(token: &str) -> String {
    serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token}
    })
    .to_string()
}

/// The kubeconfig text for a server at `server_url` accepting `token`.
pub fn kubeconfig_yaml(server_url: &str, token: &str) -> String {
    kubeconfig_with_user(server_url, &format!("    token: {}\n", quoted(token)))
}

/// The kubeconfig text for a server at `server_url` whose user gets its
/// token from `plugin`.
pub fn kubeconfig_exec_yaml(server_url: &str, plugin: &ExecPlugin) -> String {
    kubeconfig_with_user(server_url, &plugin.stanza())
}

/// The kubeconfig text with `user` (indented lines) as the user's body.
fn kubeconfig_with_user(server_url: &str, user: &str) -> String {
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
{user}contexts:
- name: {CONTEXT_NAME}
  context:
    cluster: {CONTEXT_NAME}
    user: {CONTEXT_NAME}
    namespace: default
current-context: {CONTEXT_NAME}
",
        server = quoted(server_url),
    )
}

/// What a client needs from a kubeconfig of the current context: the
/// server URL, the bearer token and the CA bundle, as written here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `clusters[].cluster.server`.
    pub server: String,
    /// `users[].user.token`, if the user has one.
    pub token: Option<String>,
    /// Decoded `certificate-authority-data`, if any.
    pub ca_pem: Option<Vec<u8>>,
}

/// Reads the current context's server, token and CA from kubeconfig
/// `text`.
pub fn read_client_config(text: &str) -> anyhow::Result<ClientConfig> {
    let docs = crate::bundle::parse_yaml(text)?;
    let config = docs.first().context("the kubeconfig is empty")?;
    let current = config["current-context"].as_str().unwrap_or(CONTEXT_NAME);
    let named = |list: &str, name: &str| {
        config[list]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["name"] == name))
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    };
    let context = &named("contexts", current)["context"];
    let cluster_name = context["cluster"].as_str().unwrap_or(current);
    let user_name = context["user"].as_str().unwrap_or(current);
    let cluster = &named("clusters", cluster_name)["cluster"];
    let server = cluster["server"]
        .as_str()
        .with_context(|| format!("cluster {cluster_name:?} has no server"))?
        .to_string();
    let token = named("users", user_name)["user"]["token"]
        .as_str()
        .map(str::to_string);
    let ca_pem = match cluster["certificate-authority-data"].as_str() {
        Some(data) => Some(
            STANDARD
                .decode(data.trim())
                .context("certificate-authority-data is not base64")?,
        ),
        None => None,
    };
    Ok(ClientConfig {
        server,
        token,
        ca_pem,
    })
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

    #[test]
    fn reads_client_config() -> anyhow::Result<()> {
        let config = read_client_config(&kubeconfig_yaml("http://127.0.0.1:9", "t0k"))?;
        assert_eq!(config.server, "http://127.0.0.1:9");
        assert_eq!(config.token.as_deref(), Some("t0k"));
        assert_eq!(config.ca_pem.as_deref(), Some(DUMMY_CA_PEM.as_bytes()));
        assert!(read_client_config("kind: Config\n").is_err());
        Ok(())
    }

    #[test]
    fn exec_stanza_parses_back() -> anyhow::Result<()> {
        let plugin = ExecPlugin::new("/bin/plugin \"x\"")
            .arg("--token")
            .arg("a b")
            .env("MODE", "hang");
        let text = kubeconfig_exec_yaml("http://127.0.0.1:1", &plugin);
        let docs = crate::bundle::parse_yaml(&text)?;
        let exec = &docs[0]["users"][0]["user"]["exec"];
        assert_eq!(exec["command"], "/bin/plugin \"x\"");
        assert_eq!(exec["args"], serde_json::json!(["--token", "a b"]));
        assert_eq!(exec["env"][0]["value"], "hang");
        assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1");
        assert!(docs[0]["users"][0]["user"].get("token").is_none());
        Ok(())
    }
}
