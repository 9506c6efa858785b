//! The live cluster source: the kube client, configured like kubectl (`--kubeconfig`, `KUBECONFIG`,
//! `--context`, in-cluster), lists each kind once, page by page, with a per-request timeout.
//!
//! Each page is deserialized straight into the slim fact types, so whole objects are never held. A
//! failed list (403, 404, timeout, unreachable server) turns that one input into `Failed` with the
//! reason ("cannot list events: forbidden ..."), and the other inputs are still read.

use crate::facts::k8s::{
    ConfigMap, DaemonSet, Event, Node, Pod, RuntimeClass, ServerVersion, Service,
};
use crate::facts::{ClusterFacts, Input};
use crate::sources::SourceKind;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Timeout of each API request.
    pub request_timeout: Duration,
    /// Items per list page (`limit`).
    pub page_size: u32,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            context: None,
            request_timeout: Duration::from_secs(15),
            page_size: 500,
        }
    }
}

/// A connected client and what to call it in reports.
pub struct Connection {
    pub client: Client,
    pub source: SourceKind,
}

/// Builds a client the way kubectl would find its configuration. The error says what to do.
pub async fn connect(opts: &LiveOptions) -> Result<Connection, String> {
    let kc_opts = KubeConfigOptions {
        context: opts.context.clone(),
        ..Default::default()
    };
    let (mut config, context) = if let Some(path) = &opts.kubeconfig {
        let kubeconfig = Kubeconfig::read_from(path)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
        let context = opts
            .context
            .clone()
            .or_else(|| kubeconfig.current_context.clone());
        let config = Config::from_custom_kubeconfig(kubeconfig, &kc_opts)
            .await
            .map_err(|e| format!("kubeconfig {} is not usable: {e}", path.display()))?;
        (config, context)
    } else if opts.context.is_some() {
        let config = Config::from_kubeconfig(&kc_opts).await.map_err(|e| {
            format!(
                "cannot use context {}: {e} (check `kubectl config get-contexts`)",
                opts.context.as_deref().unwrap_or("")
            )
        })?;
        (config, opts.context.clone())
    } else {
        match Config::from_kubeconfig(&kc_opts).await {
            Ok(config) => {
                let context = Kubeconfig::read().ok().and_then(|k| k.current_context);
                (config, context)
            }
            Err(kube_err) => match Config::incluster() {
                Ok(config) => (config, None),
                Err(_) => {
                    return Err(format!(
                        "no cluster configuration found: {kube_err}. Pass --kubeconfig or set KUBECONFIG, or run with --snapshot DIR or --demo"
                    ))
                }
            },
        }
    };
    config.read_timeout = Some(opts.request_timeout);
    config.connect_timeout = Some(opts.request_timeout);
    config.write_timeout = Some(opts.request_timeout);
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config)
        .map_err(|e| format!("cannot create a client for {server}: {e}"))?;
    Ok(Connection {
        client,
        source: SourceKind::Live {
            context,
            server: Some(server),
        },
    })
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct ListPage<T> {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default = "Vec::new", deserialize_with = "null_items")]
    items: Vec<T>,
}

fn null_items<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize, Default)]
struct ListMeta {
    #[serde(default, rename = "continue")]
    continue_token: Option<String>,
}

/// Lists every item at `path` (e.g. `/api/v1/pods`), following `continue` tokens.
/// `query` is extra query text such as `fieldSelector=type!=Normal`.
pub async fn list_all<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    query: &str,
    resource: &str,
    opts: &LiveOptions,
) -> Result<Vec<T>, String> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = format!("{path}?limit={}", opts.page_size);
        if !query.is_empty() {
            url.push('&');
            url.push_str(query);
        }
        if let Some(t) = &token {
            url.push_str("&continue=");
            url.push_str(&encode_query_value(t));
        }
        let page: ListPage<T> = request(client, &url, resource, opts).await?;
        items.extend(page.items);
        match page.metadata.continue_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    Ok(items)
}

async fn request<T: DeserializeOwned>(
    client: &Client,
    url: &str,
    resource: &str,
    opts: &LiveOptions,
) -> Result<T, String> {
    let req = http::Request::get(url)
        .body(Vec::new())
        .map_err(|e| format!("cannot build request {url}: {e}"))?;
    match tokio::time::timeout(opts.request_timeout, client.request::<T>(req)).await {
        Err(_) => Err(format!(
            "cannot list {resource}: timed out after {}s",
            opts.request_timeout.as_secs()
        )),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(describe_error(resource, &e)),
    }
}

/// "cannot list events: forbidden (events is forbidden: User ... cannot list ...)".
fn describe_error(resource: &str, e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => {
            let reason = match status.code {
                401 => "unauthorized: the credentials were rejected".to_string(),
                403 => "forbidden".to_string(),
                404 => "not found (the API server does not serve this resource)".to_string(),
                410 => "list expired while paging (retry)".to_string(),
                code => format!("HTTP {code} {}", status.reason),
            };
            if status.message.is_empty() {
                format!("cannot list {resource}: {reason}")
            } else {
                format!("cannot list {resource}: {reason} ({})", status.message)
            }
        }
        other => format!("cannot list {resource}: {other}"),
    }
}

fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The query that lists only events the checks read (warnings): Normal events are the bulk of a big
/// cluster's events and no check reads them.
pub const WARNING_EVENTS: &str = "fieldSelector=type%21%3DNormal";

/// Reads `/version`.
pub async fn read_version(client: &Client, opts: &LiveOptions) -> Input<ServerVersion> {
    match request::<ServerVersion>(client, "/version", "version", opts).await {
        Ok(v) => Input::Ready(v),
        Err(e) => Input::Failed(e.replace("cannot list version", "cannot read /version")),
    }
}

/// Reads every cluster input, each kind once, concurrently.
pub async fn collect_cluster(conn: &Connection, opts: &LiveOptions) -> ClusterFacts {
    let c = &conn.client;
    let version = read_version(c, opts);
    let (version, nodes, pods, events, services, daemonsets, configmaps, runtimeclasses) = tokio::join!(
        version,
        list_input::<Node>(c, "/api/v1/nodes", "", "nodes", opts),
        list_input::<Pod>(c, "/api/v1/pods", "", "pods", opts),
        list_input::<Event>(
            c,
            "/api/v1/events",
            "fieldSelector=type%21%3DNormal",
            "events",
            opts
        ),
        list_input::<Service>(c, "/api/v1/services", "", "services", opts),
        list_input::<DaemonSet>(c, "/apis/apps/v1/daemonsets", "", "daemonsets", opts),
        configmaps(c, opts),
        list_input::<RuntimeClass>(
            c,
            "/apis/node.k8s.io/v1/runtimeclasses",
            "",
            "runtimeclasses",
            opts
        ),
    );
    ClusterFacts {
        origin: Some(conn.source.describe()),
        version,
        nodes,
        pods,
        events,
        services,
        daemonsets,
        configmaps,
        runtimeclasses,
        logs: Vec::new(),
    }
}

pub async fn list_input<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    query: &str,
    resource: &str,
    opts: &LiveOptions,
) -> Input<Vec<T>> {
    match list_all(client, path, query, resource, opts).await {
        Ok(items) => Input::Ready(items),
        Err(e) => Input::Failed(e),
    }
}

/// ConfigMaps the checks read: everything in kube-system (kubeadm, kube-proxy, kubelet, flannel in
/// older installs) plus `kube-flannel-cfg` wherever it lives. Other namespaces are not listed.
pub async fn configmaps(client: &Client, opts: &LiveOptions) -> Input<Vec<ConfigMap>> {
    let (system, flannel) = tokio::join!(
        list_all::<ConfigMap>(
            client,
            "/api/v1/namespaces/kube-system/configmaps",
            "",
            "configmaps",
            opts
        ),
        list_all::<ConfigMap>(
            client,
            "/api/v1/configmaps",
            "fieldSelector=metadata.name%3Dkube-flannel-cfg",
            "configmaps",
            opts
        ),
    );
    match (system, flannel) {
        (Ok(mut a), Ok(b)) => {
            for cm in b {
                if !a.iter().any(|x| {
                    x.metadata.name == cm.metadata.name
                        && x.metadata.namespace == cm.metadata.namespace
                }) {
                    a.push(cm);
                }
            }
            // The API server's list order (namespace, then name), as in a bundle made with kubectl.
            a.sort_by(|x, y| {
                (&x.metadata.namespace, &x.metadata.name)
                    .cmp(&(&y.metadata.namespace, &y.metadata.name))
            });
            Input::Ready(a)
        }
        (Err(e), _) | (_, Err(e)) => Input::Failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_escaped() {
        assert_eq!(encode_query_value("eyJ2Ijoi+/="), "eyJ2Ijoi%2B%2F%3D");
    }
}
