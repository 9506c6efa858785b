//! The live cluster source: the kube client, configured like kubectl (`--kubeconfig`, `KUBECONFIG`,
//! `--context`, in-cluster), reads each kind of the input table once, page by page
//! ([`paging`]), every request bounded ([`request`]).
//!
//! Pages are asked for gzip-compressed, as kubectl asks for them, and each item is deserialized
//! straight into the slim fact types, so whole objects are never held. Pods are parsed once the
//! Nodes and Services are in and pass through the pod sieve (`facts::share`), which keeps whole
//! only the Windows share of them. A failed list (403, 404, timeout, unreachable server, an answer
//! that is not the list asked for) turns that one input into `Failed` with the reason ("cannot list
//! events: forbidden (...)"), and the other inputs are still read. See docs/performance.md.

#[cfg(test)]
mod ahead_fixtures;
pub mod page_chain;
pub mod paging;
pub mod request;
pub mod written_ahead;

use crate::facts::cluster::ClusterInput;
use crate::facts::inputs::{CollectedItem, Fetch, InputSpec};
use crate::facts::k8s::{Pod, ServerVersion};
use crate::facts::pod_head::PodHead;
use crate::facts::share::PodSieve;
use crate::facts::Input;
use crate::sources::json_cursor::JsonCursor;
use crate::sources::SourceKind;
use futures_util::future::BoxFuture;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use paging::{item_key, ItemError, ListRequest, ListSink};
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use written_ahead::WrittenAhead;

pub use paging::{MAX_CONCURRENT_REQUESTS, MAX_PAGES, MAX_PAGE_BYTES};

#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Timeout of each API request.
    pub request_timeout: Duration,
    /// Items per list page (`limit`).
    pub page_size: u32,
    /// Time allowed for one list, all its pages (a server that keeps paging cannot keep the run
    /// going).
    pub list_timeout: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            kubeconfig: None,
            context: None,
            request_timeout: Duration::from_secs(15),
            page_size: 500,
            list_timeout: Duration::from_secs(300),
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
    // No per-read timeout of the client's own: every request runs under `request::get`'s timeout
    // for all of it, which names what timed out (a hung server is not a connect failure).
    config.read_timeout = None;
    // kube's own retry layer waits out 429/503/504 with a backoff of its own, hidden from the
    // request timeout's message and blind to the deadline: `request::get` retries instead, after
    // the server's Retry-After and only within the deadline.
    config.default_retry = false;
    config.connect_timeout = Some(opts.request_timeout);
    config.write_timeout = Some(opts.request_timeout);
    // Credentials in the URL (`https://user:PASS@host`) never reach a message or a report.
    let server = crate::redact::server_for_display(&config.cluster_url.to_string());
    // Building the client runs the kubeconfig's exec credential plugin, if it has one, and waits
    // for it: on the blocking pool, within the request timeout, so a plugin that hangs cannot.
    let timeout = opts.request_timeout;
    let build = tokio::task::spawn_blocking(move || Client::try_from(config));
    let client = match tokio::time::timeout(timeout, build).await {
        Err(_) => {
            return Err(format!(
                "the kubeconfig's credentials took longer than {}s to obtain (its exec credential plugin did not finish within --request-timeout); run the plugin by hand to see what it waits for",
                timeout.as_secs()
            ))
        }
        Ok(Err(e)) => return Err(format!("cannot create a client for {server}: {e}")),
        Ok(Ok(Err(e))) => {
            return Err(format!(
                "cannot create a client for {server}: {}",
                request::describe_client_error(&e)
            ))
        }
        Ok(Ok(Ok(client))) => client,
    };
    Ok(Connection {
        client,
        source: SourceKind::Live {
            context,
            server: Some(server),
        },
    })
}

/// Largest `/version` answer read.
const MAX_VERSION_BYTES: usize = 1 << 20;

/// Reads `/version`.
pub async fn read_version(client: &Client, opts: &LiveOptions) -> Input<ServerVersion> {
    let bounds = request::Bounds {
        timeout: opts.request_timeout,
        max_bytes: MAX_VERSION_BYTES,
        deadline: Instant::now() + opts.request_timeout * 4,
    };
    let body = match request::get(client, "/version", bounds).await {
        Ok(body) => body,
        Err(e) => return Input::Failed(format!("cannot read /version: {}", e.message())),
    };
    match serde_json::from_slice::<ServerVersion>(&body) {
        Ok(v) if !v.git_version.is_empty() || !v.major.is_empty() => Input::Ready(v),
        Ok(_) => Input::Failed(
            "cannot read /version: the answer has neither gitVersion nor major (not a Kubernetes API server?)"
                .to_string(),
        ),
        Err(e) => Input::Failed(format!("cannot read /version: not a version object: {e}")),
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

/// Collects the items of a list as they come.
pub struct Collect<T>(pub Vec<T>);

impl<T: ListItem> ListSink for Collect<T> {
    fn take_next(
        &mut self,
        item: &mut JsonCursor<'_>,
        _written: &mut WrittenAhead,
    ) -> Result<u64, ItemError> {
        let item: T = item.value().map_err(ItemError::Invalid)?;
        let (ns, name) = item.namespace_and_name();
        let key = item_key(ns, name);
        self.0.push(item);
        Ok(key)
    }
}

/// Pods through the sieve (when the Nodes could be read), kept in list order. The sieve parses each
/// pod's head from the page (`json_cursor`), and only pods kept whole are parsed again, whole, from
/// their text.
pub struct PodSink {
    sieve: Option<PodSieve>,
    pods: Vec<Pod>,
    watcher: Option<Box<dyn PodWatcher>>,
}

/// Sees the pod list as the sink keeps it, on the sink's thread: each pod as it is kept, then the
/// whole list once it is complete. The engine builds what the checks share of the pods this way
/// while the pages still arrive (`model::index::PodTable`), instead of once every pod is in.
pub trait PodWatcher: Send + 'static {
    /// Pod `i` of `pods` (the list so far; `i` is its last position) was kept.
    fn kept(&mut self, pods: &[Pod], i: usize);
    /// The list is complete and will not change: what the run keeps, as the input hands it on.
    /// `relabelled` are the positions, in list order, of the pods whose labels changed after they
    /// were kept (the sieve's last step, `PodSieve::finish`). Not called when the list fails.
    fn finished(self: Box<Self>, pods: &[Pod], relabelled: &[u32]);
}

impl PodSink {
    pub fn new(sieve: Option<PodSieve>, watcher: Option<Box<dyn PodWatcher>>) -> Self {
        PodSink {
            sieve,
            pods: Vec::new(),
            watcher,
        }
    }

    /// The pods as the run keeps them.
    pub fn finish(self) -> Vec<Pod> {
        let mut pods = self.pods;
        let relabelled = match self.sieve {
            Some(sieve) => sieve.finish(&mut pods),
            None => Vec::new(),
        };
        pods.shrink_to_fit();
        if let Some(watcher) = self.watcher {
            watcher.finished(&pods, &relabelled);
        }
        pods
    }
}

impl ListSink for PodSink {
    fn take_next(
        &mut self,
        item: &mut JsonCursor<'_>,
        _written: &mut WrittenAhead,
    ) -> Result<u64, ItemError> {
        let pod = match &mut self.sieve {
            Some(sieve) => item
                .read_at(PodHead::read_at)
                .and_then(|(head, json)| sieve.sift_head(head, json)),
            None => item.value::<Pod>(),
        }
        .map_err(ItemError::Invalid)?;
        let key = item_key(pod.metadata.namespace.as_deref(), pod.name());
        self.pods.push(pod);
        if let Some(watcher) = &mut self.watcher {
            watcher.kept(&self.pods, self.pods.len() - 1);
        }
        Ok(key)
    }
}

/// The one list of a `Fetch::List` row, or the first of the two ConfigMap lists.
pub fn list_request(spec: &InputSpec) -> Vec<ListRequest> {
    let list = |path: &str, query: &str| ListRequest {
        path: path.to_string(),
        query: query.to_string(),
        kind: spec.kind.to_string(),
        resource: spec.name.to_string(),
    };
    match spec.fetch {
        Fetch::List { path, query } => vec![list(path, query)],
        Fetch::ConfigMaps => vec![
            list("/api/v1/namespaces/kube-system/configmaps", ""),
            list(
                "/api/v1/configmaps",
                "fieldSelector=metadata.name%3Dkube-flannel-cfg",
            ),
        ],
        Fetch::Version => Vec::new(),
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
    let lists = list_request(spec);
    match spec.fetch {
        Fetch::List { .. } => {
            let Some(list) = lists.first() else {
                return Err(format!("{} is not a list", spec.name));
            };
            Ok(
                paging::list_each(client, list, opts, async { Collect(Vec::new()) })
                    .await?
                    .0,
            )
        }
        Fetch::ConfigMaps => {
            let (Some(system), Some(flannel)) = (lists.first(), lists.get(1)) else {
                return Err(format!("{} is not a list", spec.name));
            };
            let (system, flannel) = tokio::join!(
                paging::list_each(client, system, opts, async { Collect::<T>(Vec::new()) }),
                paging::list_each(client, flannel, opts, async { Collect::<T>(Vec::new()) }),
            );
            let (mut a, b) = (system?.0, flannel?.0);
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

/// Hands the pod list its sieve once the Nodes and Services are in: `Some(sieve)`, or `None` to
/// keep every pod whole (the Nodes could not be read).
pub type SieveSender = tokio::sync::oneshot::Sender<Option<PodSieve>>;

/// What the readers of the input table share: the pod list's wait for its sieve, and what watches
/// its pods as they are kept.
#[derive(Default)]
pub struct FetchContext {
    pub pod_sieve: Option<tokio::sync::oneshot::Receiver<Option<PodSieve>>>,
    pub pod_watcher: Option<Box<dyn PodWatcher>>,
}

impl FetchContext {
    /// A context whose pod list waits for the sieve sent on the returned sender.
    pub fn with_sieve() -> (FetchContext, SieveSender) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (
            FetchContext {
                pod_sieve: Some(rx),
                pod_watcher: None,
            },
            tx,
        )
    }
}

/// A fact type the live source can read for an input row.
pub trait FromLive: Sized + Send + 'static {
    fn fetch(
        client: Client,
        spec: InputSpec,
        opts: LiveOptions,
        ctx: &mut FetchContext,
    ) -> BoxFuture<'static, Input<Self>>;
}

impl FromLive for ServerVersion {
    fn fetch(
        client: Client,
        _: InputSpec,
        opts: LiveOptions,
        _: &mut FetchContext,
    ) -> BoxFuture<'static, Input<Self>> {
        Box::pin(async move { read_version(&client, &opts).await })
    }
}

/// Lists of every kind but pods: collected as they come.
impl<T: CollectedItem + ListItem> FromLive for Vec<T> {
    fn fetch(
        client: Client,
        spec: InputSpec,
        opts: LiveOptions,
        _: &mut FetchContext,
    ) -> BoxFuture<'static, Input<Self>> {
        Box::pin(async move {
            match read_list::<T>(&client, &spec, &opts).await {
                Ok(items) => Input::Ready(items),
                Err(e) => Input::Failed(e),
            }
        })
    }
}

/// Pods: the first page is requested at once, and parsed through the sieve once it arrives.
impl FromLive for Vec<Pod> {
    fn fetch(
        client: Client,
        spec: InputSpec,
        opts: LiveOptions,
        ctx: &mut FetchContext,
    ) -> BoxFuture<'static, Input<Self>> {
        let sieve = ctx.pod_sieve.take();
        let watcher = ctx.pod_watcher.take();
        Box::pin(async move {
            let Some(list) = list_request(&spec).into_iter().next() else {
                return Input::Failed(format!("{} is not a list", spec.name));
            };
            let sink = async move {
                let sieve = match sieve {
                    Some(rx) => rx.await.ok().flatten(),
                    None => None,
                };
                PodSink::new(sieve, watcher)
            };
            match paging::list_each(&client, &list, &opts, sink).await {
                Ok(sink) => Input::Ready(sink.finish()),
                Err(e) => Input::Failed(e),
            }
        })
    }
}

pub use crate::facts::inputs::WARNING_EVENTS;

macro_rules! define_fetch_all {
    ($($name:ident: $ty:ty, $fetch:expr, $bundle:literal, $kubectl:literal, $kind:literal, $api:literal;)*) => {
        /// One future per cluster input of the table, each reading its input and giving it back
        /// ready to be stored. The pod list waits for the sieve of `ctx` (see [`FetchContext`]).
        pub fn fetch_all(
            client: &Client,
            opts: &LiveOptions,
            ctx: &mut FetchContext,
        ) -> Vec<BoxFuture<'static, ClusterInput>> {
            vec![$({
                let spec = InputSpec {
                    name: stringify!($name),
                    fetch: $fetch,
                    bundle: $bundle,
                    kubectl: $kubectl,
                    kind: $kind,
                    api_version: $api,
                };
                let read = <$ty as FromLive>::fetch(client.clone(), spec, opts.clone(), ctx);
                Box::pin(async move { ClusterInput::$name(read.await) }) as BoxFuture<'static, ClusterInput>
            },)*]
        }
    };
}
crate::cluster_inputs!(define_fetch_all);
