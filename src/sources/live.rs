//! The live cluster source: the kube client, configured like kubectl (`--kubeconfig`, `KUBECONFIG`,
//! `--context`, in-cluster), lists each kind once, page by page, with a per-request timeout.
//!
//! Pages are asked for gzip-compressed, as kubectl asks for them, and each is deserialized straight
//! into the slim fact types, so whole objects are never held.
//! Pages are pipelined (the next one is requested as soon as this one's head names it, and this one
//! is parsed meanwhile), at most `MAX_CONCURRENT_REQUESTS` list requests are in flight at once, and
//! paging is bounded. A failed list (403, 404, timeout, unreachable server) turns that one input
//! into `Failed` with the reason ("cannot list events: forbidden ..."), and the other inputs are
//! still read. See docs/performance.md.

use crate::facts::cluster::ClusterInput;
use crate::facts::inputs::{Fetch, InputSpec};
use crate::facts::k8s::ServerVersion;
use crate::facts::Input;
use crate::sources::SourceKind;
use futures_util::future::BoxFuture;
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
    let client = Client::try_from(config).map_err(|e| {
        format!(
            "cannot create a client for {server}: {}",
            super::kube_error::describe(&e)
        )
    })?;
    Ok(Connection {
        client,
        source: SourceKind::Live {
            context,
            server: Some(crate::redact::server_for_display(&server)),
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
#[serde(rename_all = "camelCase")]
struct ListMeta {
    #[serde(default, rename = "continue")]
    continue_token: Option<String>,
    #[serde(default)]
    remaining_item_count: Option<u64>,
}

/// At most this many list requests are in flight at once, whatever the number of kinds: the scan
/// stays a polite client of a busy API server (priority and fairness counts each request).
pub const MAX_CONCURRENT_REQUESTS: usize = 4;

/// Upper bound of pages followed for one list (a server that keeps sending `continue` tokens
/// cannot keep the scan looping): 100,000 pages of 500 items.
pub const MAX_PAGES: usize = 100_000;

static REQUEST_SLOTS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(MAX_CONCURRENT_REQUESTS);

/// What the head of a page (the fields before `items`) says about the next page.
#[derive(Debug, PartialEq)]
enum Head {
    /// `metadata` came first: the continue token, if any.
    Continue(Option<String>),
    /// `items` came first (or the body is not a list): wait for the full parse.
    Unknown,
}

/// Reads only the head of a list body: the API server writes `kind`, `apiVersion` and `metadata`
/// before `items`, so the next page can be requested before this one is parsed.
fn page_head(body: &str) -> Head {
    struct HeadVisitor<'a>(&'a mut Head);
    impl<'de> serde::de::Visitor<'de> for HeadVisitor<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "metadata" => {
                        let meta: ListMeta = map.next_value()?;
                        *self.0 = Head::Continue(meta.continue_token.filter(|t| !t.is_empty()));
                        return Ok(());
                    }
                    "items" => return Ok(()),
                    _ => {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
            }
            Ok(())
        }
    }
    let mut head = Head::Unknown;
    let mut de = serde_json::Deserializer::from_str(body);
    // Stopping at `metadata` leaves the rest unread, which the deserializer reports as an error:
    // only what the visitor recorded matters.
    let _ = serde::Deserializer::deserialize_map(&mut de, HeadVisitor(&mut head));
    head
}

/// Lists every item at `path` (e.g. `/api/v1/pods`), following `continue` tokens.
/// `query` is extra query text such as `fieldSelector=type!=Normal`.
///
/// Pages are pipelined: as soon as a page's head names the next page, that page is requested, and
/// this one is parsed (on a blocking thread, straight into the slim types) while it travels. At most
/// two pages of one list are held at a time, and every page is reduced to its facts before the next
/// but one is read.
pub async fn list_all<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    path: &str,
    query: &str,
    resource: &str,
    opts: &LiveOptions,
) -> Result<Vec<T>, String> {
    let url = |token: Option<&str>| {
        let mut url = format!("{path}?limit={}", opts.page_size);
        if !query.is_empty() {
            url.push('&');
            url.push_str(query);
        }
        if let Some(t) = token {
            url.push_str("&continue=");
            url.push_str(&encode_query_value(t));
        }
        url
    };
    let fetch = |url: String| {
        let (client, resource, opts) = (client.clone(), resource.to_string(), opts.clone());
        tokio::spawn(async move { fetch_page(&client, &url, &resource, &opts).await })
    };
    let mut items: Vec<T> = Vec::new();
    let mut pending = Some(fetch(url(None)));
    let mut last_token: Option<String> = None;
    let mut pages = 0usize;
    let outcome = loop {
        let Some(in_flight) = pending.take() else {
            break Ok(());
        };
        pages += 1;
        if pages > MAX_PAGES {
            break Err(format!(
                "cannot list {resource}: the server kept paging after {MAX_PAGES} pages"
            ));
        }
        let body = match in_flight.await {
            Ok(Ok(body)) => body,
            Ok(Err(e)) => break Err(e),
            Err(e) => break Err(format!("cannot list {resource}: {e}")),
        };
        let mut next = match page_head(&body) {
            Head::Continue(token) => Some(token),
            Head::Unknown => None,
        };
        if let Some(Some(token)) = &next {
            if last_token.as_deref() == Some(token.as_str()) {
                break Err(format!(
                    "cannot list {resource}: the server repeated a continue token"
                ));
            }
            pending = Some(fetch(url(Some(token))));
        }
        let parsed =
            tokio::task::spawn_blocking(move || serde_json::from_str::<ListPage<T>>(&body))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
        let page = match parsed {
            Ok(page) => page,
            Err(e) => {
                break Err(format!(
                    "cannot list {resource}: invalid list response: {e}"
                ))
            }
        };
        if items.is_empty() {
            // The first page says how many items follow: reserve once instead of doubling.
            let remaining = page.metadata.remaining_item_count.unwrap_or(0);
            items.reserve_exact(page.items.len() + usize::try_from(remaining).unwrap_or(0));
        }
        items.extend(page.items);
        if next.is_none() {
            let token = page.metadata.continue_token.filter(|t| !t.is_empty());
            if token.is_some() && token == last_token {
                break Err(format!(
                    "cannot list {resource}: the server repeated a continue token"
                ));
            }
            if let Some(t) = &token {
                pending = Some(fetch(url(Some(t))));
            }
            next = Some(token);
        }
        last_token = next.flatten();
    };
    if let Some(in_flight) = pending {
        in_flight.abort();
    }
    outcome?;
    items.shrink_to_fit();
    Ok(items)
}

/// One page's body, holding one of the [`MAX_CONCURRENT_REQUESTS`] slots while it is requested.
async fn fetch_page(
    client: &Client,
    url: &str,
    resource: &str,
    opts: &LiveOptions,
) -> Result<String, String> {
    let _slot = REQUEST_SLOTS
        .acquire()
        .await
        .map_err(|e| format!("cannot list {resource}: {e}"))?;
    let req = http::Request::get(url)
        .body(Vec::new())
        .map_err(|e| format!("cannot build request {url}: {e}"))?;
    match tokio::time::timeout(opts.request_timeout, client.request_text(req)).await {
        Err(_) => Err(format!(
            "cannot list {resource}: timed out after {}s",
            opts.request_timeout.as_secs()
        )),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(describe_error(resource, &e)),
    }
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
        other => format!(
            "cannot list {resource}: {}",
            super::kube_error::describe(other)
        ),
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

pub use crate::facts::inputs::WARNING_EVENTS;

/// Reads `/version`.
pub async fn read_version(client: &Client, opts: &LiveOptions) -> Input<ServerVersion> {
    match request::<ServerVersion>(client, "/version", "version", opts).await {
        Ok(v) => Input::Ready(v),
        Err(e) => Input::Failed(e.replace("cannot list version", "cannot read /version")),
    }
}

pub async fn list_input<T: DeserializeOwned + Send + 'static>(
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

/// An item of a list, with the namespace and name that identify it.
pub trait ListItem: DeserializeOwned + Send + 'static {
    fn namespace_and_name(&self) -> (Option<&str>, &str);
}

macro_rules! list_items {
    ($($t:ty),*) => {
        $(impl ListItem for $t {
            fn namespace_and_name(&self) -> (Option<&str>, &str) {
                (self.metadata.namespace.as_deref(), self.metadata.name.as_str())
            }
        })*
    };
}
list_items!(
    crate::facts::k8s::Node,
    crate::facts::k8s::Pod,
    crate::facts::k8s::Event,
    crate::facts::k8s::Service,
    crate::facts::k8s::DaemonSet,
    crate::facts::k8s::ConfigMap,
    crate::facts::k8s::RuntimeClass
);

/// Raw objects, as capture lists them.
impl ListItem for serde_json::Value {
    fn namespace_and_name(&self) -> (Option<&str>, &str) {
        (
            self.pointer("/metadata/namespace")
                .and_then(serde_json::Value::as_str),
            self.pointer("/metadata/name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(""),
        )
    }
}

/// Reads the items of a list input the way its row says: one paginated list, or the ConfigMaps
/// windoctor reads (everything in kube-system, plus `kube-flannel-cfg` wherever it lives, in the
/// API server's list order).
pub async fn read_list<T: ListItem>(
    client: &Client,
    spec: &InputSpec,
    opts: &LiveOptions,
) -> Result<Vec<T>, String> {
    match spec.fetch {
        Fetch::List { path, query } => list_all(client, path, query, spec.name, opts).await,
        Fetch::ConfigMaps => {
            let (system, flannel) = tokio::join!(
                list_all::<T>(
                    client,
                    "/api/v1/namespaces/kube-system/configmaps",
                    "",
                    spec.name,
                    opts
                ),
                list_all::<T>(
                    client,
                    "/api/v1/configmaps",
                    "fieldSelector=metadata.name%3Dkube-flannel-cfg",
                    spec.name,
                    opts
                ),
            );
            let (mut a, b) = (system?, flannel?);
            for item in b {
                if !a
                    .iter()
                    .any(|x| x.namespace_and_name() == item.namespace_and_name())
                {
                    a.push(item);
                }
            }
            a.sort_by(|x, y| x.namespace_and_name().cmp(&y.namespace_and_name()));
            Ok(a)
        }
        Fetch::Version => Err(format!("{} is not a list", spec.name)),
    }
}

/// A fact type the live source can read for an input row.
pub trait FromLive: Sized + Send + 'static {
    fn fetch(client: Client, spec: InputSpec, opts: LiveOptions)
        -> BoxFuture<'static, Input<Self>>;
}

impl FromLive for ServerVersion {
    fn fetch(client: Client, _: InputSpec, opts: LiveOptions) -> BoxFuture<'static, Input<Self>> {
        Box::pin(async move { read_version(&client, &opts).await })
    }
}

impl<T: ListItem> FromLive for Vec<T> {
    fn fetch(
        client: Client,
        spec: InputSpec,
        opts: LiveOptions,
    ) -> BoxFuture<'static, Input<Self>> {
        Box::pin(async move {
            match read_list::<T>(&client, &spec, &opts).await {
                Ok(items) => Input::Ready(items),
                Err(e) => Input::Failed(e),
            }
        })
    }
}

macro_rules! define_fetch_all {
    ($($name:ident: $ty:ty, $fetch:expr, $bundle:literal, $kubectl:literal, $kind:literal, $api:literal;)*) => {
        /// One future per cluster input of the table, each reading its input and giving it back
        /// ready to be stored.
        pub fn fetch_all(client: &Client, opts: &LiveOptions) -> Vec<BoxFuture<'static, ClusterInput>> {
            vec![$({
                let spec = InputSpec {
                    name: stringify!($name),
                    fetch: $fetch,
                    bundle: $bundle,
                    kubectl: $kubectl,
                    kind: $kind,
                    api_version: $api,
                };
                let read = <$ty as FromLive>::fetch(client.clone(), spec, opts.clone());
                Box::pin(async move { ClusterInput::$name(read.await) }) as BoxFuture<'static, ClusterInput>
            },)*]
        }
    };
}
crate::cluster_inputs!(define_fetch_all);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_escaped() {
        assert_eq!(encode_query_value("eyJ2Ijoi+/="), "eyJ2Ijoi%2B%2F%3D");
    }

    #[test]
    fn page_heads_name_the_next_page_before_the_items() {
        assert_eq!(
            page_head(
                r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5","continue":"abc"},"items":[{"x":1}]}"#
            ),
            Head::Continue(Some("abc".into()))
        );
        assert_eq!(
            page_head(r#"{"kind":"PodList","metadata":{"continue":""},"items":[]}"#),
            Head::Continue(None)
        );
        assert_eq!(
            page_head(r#"{"items":[],"metadata":{"continue":"abc"}}"#),
            Head::Unknown
        );
        assert_eq!(page_head("not json"), Head::Unknown);
    }
}
