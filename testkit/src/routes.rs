//! Request routing: maps a method, path and query onto discovery, version,
//! list, get, log and node proxy handlers, applying the bearer-token check
//! and the failures and delays injected through [`ServerOptions`].
//! Independent of hyper: it takes plain strings and returns a [`Reply`].

use serde_json::Value;

use crate::body::Payload;
use crate::collectors::PodClock;
use crate::data::ClusterData;
use crate::discovery;
use crate::hostile;
use crate::list::ListRequest;
use crate::logs;
use crate::node_proxy;
use crate::options::{Failure, ServerOptions};
use crate::pod_writes;
use crate::query::{self, Query};
use crate::resource::ResourceKind;
use crate::select::{FieldSelector, LabelSelector};
use crate::status::{self, ApiError, Target};
use crate::store::Store;

/// Content type of JSON replies.
pub(crate) const JSON: &str = "application/json";
/// Content type of log and health replies.
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";
/// Content type of the kubelet's directory listings.
pub(crate) const HTML: &str = "text/html; charset=utf-8";

/// A response before transport encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    /// Headers besides content type and encoding.
    pub headers: Vec<(&'static str, String)>,
    pub body: Payload,
    /// Send the body at most this many bytes a second.
    pub trickle: Option<u64>,
}

impl Reply {
    /// A reply with status `status` and a plain body.
    pub fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            body: Payload::Bytes(body),
            trickle: None,
        }
    }

    /// Adds header `name: value`.
    pub fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }

    pub(crate) fn json(body: Vec<u8>) -> Reply {
        Reply::bytes(200, JSON, body)
    }

    pub(crate) fn value(value: &Value) -> Reply {
        Reply::json(value.to_string().into_bytes())
    }

    pub(crate) fn text(body: Vec<u8>) -> Reply {
        Reply::bytes(200, TEXT, body)
    }
}

impl From<ApiError> for Reply {
    fn from(err: ApiError) -> Reply {
        Reply::bytes(err.code, JSON, err.body)
    }
}

/// What the request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Version,
    Health,
    ApiVersions,
    GroupList,
    Group(String),
    ResourceList {
        group: String,
        version: String,
    },
    Collection {
        kind: ResourceKind,
        namespace: Option<String>,
    },
    Object {
        kind: ResourceKind,
        namespace: Option<String>,
        name: String,
    },
    Log {
        namespace: String,
        pod: String,
    },
    /// `/api/v1/nodes/NODE/proxy/PATH`; `path` keeps a trailing `/`.
    NodeProxy {
        node: String,
        path: String,
    },
    Unknown,
}

impl Route {
    /// Whether the route reads or writes pods (created pods move on).
    fn touches_pods(&self) -> bool {
        matches!(
            self,
            Route::Collection {
                kind: ResourceKind::Pods,
                ..
            } | Route::Object {
                kind: ResourceKind::Pods,
                ..
            } | Route::Log { .. }
        )
    }

    /// The resource (options key) the route touches, if any.
    fn resource_key(&self) -> Option<&'static str> {
        match self {
            Route::Collection { kind, .. } | Route::Object { kind, .. } => Some(kind.plural()),
            Route::Log { .. } => Some("pods/log"),
            Route::NodeProxy { .. } => Some("nodes/proxy"),
            _ => None,
        }
    }
}

fn parse_route(path: &str) -> Route {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| query::decode(s, false))
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::ApiVersions,
        ["apis"] => Route::GroupList,
        ["apis", group] => Route::Group(group.to_string()),
        ["api", "v1", "nodes", node, "proxy", rest @ ..] => {
            let mut proxied = rest.join("/");
            if path.ends_with('/') && !rest.is_empty() {
                proxied.push('/');
            }
            Route::NodeProxy {
                node: node.to_string(),
                path: proxied,
            }
        }
        ["api", version, rest @ ..] => resource_route("", version, rest),
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest),
        _ => Route::Unknown,
    }
}

/// Routes below `/api/VERSION` or `/apis/GROUP/VERSION`.
fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let kind_in = |plural: &str| {
        ResourceKind::from_path(group, plural).filter(|k| k.info().version == version)
    };
    let owned = |s: &str| s.to_string();
    match rest {
        [] => Route::ResourceList {
            group: owned(group),
            version: owned(version),
        },
        [plural] => match kind_in(plural) {
            Some(kind) => Route::Collection {
                kind,
                namespace: None,
            },
            None => Route::Unknown,
        },
        [plural, name] => match kind_in(plural) {
            Some(kind) if !kind.namespaced() => Route::Object {
                kind,
                namespace: None,
                name: owned(name),
            },
            _ => Route::Unknown,
        },
        ["namespaces", ns, plural] => match kind_in(plural) {
            Some(kind) if kind.namespaced() => Route::Collection {
                kind,
                namespace: Some(owned(ns)),
            },
            _ => Route::Unknown,
        },
        ["namespaces", ns, plural, name] => match kind_in(plural) {
            Some(kind) if kind.namespaced() => Route::Object {
                kind,
                namespace: Some(owned(ns)),
                name: owned(name),
            },
            _ => Route::Unknown,
        },
        ["namespaces", ns, "pods", pod, "log"] if group.is_empty() && version == "v1" => {
            Route::Log {
                namespace: owned(ns),
                pod: owned(pod),
            }
        }
        _ => Route::Unknown,
    }
}

/// The server a request reaches.
pub(crate) struct Server<'a> {
    pub store: &'a Store,
    pub options: &'a ServerOptions,
    /// `host:port` the server listens on, for `/api`.
    pub address: &'a str,
}

/// Everything a read is answered from.
pub(crate) struct Context<'a> {
    pub data: &'a ClusterData,
    pub options: &'a ServerOptions,
    /// `host:port` the server listens on, for `/api`.
    pub address: &'a str,
}

/// The parts of a request routing looks at.
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The request body (read for writes only).
    pub body: &'a [u8],
}

/// Answers one request. Delays injected for the addressed resource are
/// awaited here.
pub(crate) async fn handle(server: &Server<'_>, request: &Request<'_>) -> Reply {
    let route = parse_route(request.path);
    if route == Route::Health {
        return Reply::text(b"ok".to_vec());
    }
    if server.options.require_token {
        let expected = format!("Bearer {}", server.options.token);
        if request.authorization != Some(expected.as_str()) {
            return status::unauthorized().into();
        }
    }
    if let Some(delay) = route
        .resource_key()
        .and_then(|k| server.options.delay_for(k))
    {
        tokio::time::sleep(delay).await;
    }
    let hostile = &server.options.hostile;
    let hostile_here = hostile.applies(route.resource_key());
    if let Some((seconds, times)) = hostile.too_many_requests.filter(|_| hostile_here) {
        if server.store.take_throttle(times) {
            let reply: Reply = status::too_many_requests(seconds).into();
            return reply.with_header("retry-after", &seconds.to_string());
        }
    }
    if hostile_here && hostile.hang {
        std::future::pending::<()>().await;
    }
    let mut reply = answer_request(server, request, &route);
    if hostile_here {
        reply.trickle = hostile.trickle;
    }
    reply
}

/// Answers a request past authentication, delays and throttling.
fn answer_request(server: &Server<'_>, request: &Request<'_>, route: &Route) -> Reply {
    let touches_pods = route.touches_pods();
    if touches_pods {
        server.store.sync_pods();
    }
    let query = Query::parse(request.query);
    let result = match request.method {
        "GET" | "HEAD" => {
            let data = server.store.snapshot();
            let ctx = Context {
                data: &data,
                options: server.options,
                address: server.address,
            };
            answer(&ctx, route, &query)
        }
        "POST" | "DELETE" => write(server, request, route),
        other => Err(status::method_not_allowed(&format!("method {other}"))),
    };
    let read = matches!(request.method, "GET" | "HEAD");
    if touches_pods && read && server.options.pod_clock == PodClock::PerRequest {
        server.store.advance_pods(1);
    }
    match result {
        Ok(reply) => reply,
        Err(err) => err.into(),
    }
}

/// The write verbs: creating and deleting pods.
fn write(server: &Server<'_>, request: &Request<'_>, route: &Route) -> Result<Reply, ApiError> {
    let unsupported = || status::method_not_allowed(&format!("method {} here", request.method));
    match (request.method, route) {
        (
            "POST",
            Route::Collection {
                kind: ResourceKind::Pods,
                namespace: Some(namespace),
            },
        ) => {
            let t = target(ResourceKind::Pods, Some(namespace), None, "create");
            injected_in(server.options, "pods", &t)?;
            pod_writes::create(server.store, namespace, request.body)
        }
        (
            "DELETE",
            Route::Object {
                kind: ResourceKind::Pods,
                namespace: Some(namespace),
                name,
            },
        ) => {
            let t = target(ResourceKind::Pods, Some(namespace), Some(name), "delete");
            injected_in(server.options, "pods", &t)?;
            pod_writes::delete(server.store, namespace, name)
        }
        _ => Err(unsupported()),
    }
}

fn target<'a>(
    kind: ResourceKind,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    verb: &'a str,
) -> Target<'a> {
    Target {
        info: kind.info(),
        subresource: None,
        namespace,
        name,
        verb,
    }
}

/// Applies an injected failure for `key`, if any.
fn injected(ctx: &Context<'_>, key: &str, target: &Target<'_>) -> Result<(), ApiError> {
    injected_in(ctx.options, key, target)
}

/// Applies an injected failure for `key` from `options`, if any.
fn injected_in(options: &ServerOptions, key: &str, target: &Target<'_>) -> Result<(), ApiError> {
    match options.failure(key) {
        None => Ok(()),
        Some(Failure::Forbidden) => Err(status::forbidden(target, &options.user)),
        Some(Failure::NotFound) => Err(status::path_not_found()),
        Some(Failure::Status(code)) => Err(status::injected(target, code)),
    }
}

fn answer(ctx: &Context<'_>, route: &Route, query: &Query) -> Result<Reply, ApiError> {
    match route {
        Route::Health => Ok(Reply::text(b"ok".to_vec())),
        Route::Version => Ok(Reply::json(ctx.data.version_json().to_vec())),
        Route::ApiVersions => Ok(Reply::value(&discovery::api_versions(ctx.address))),
        Route::GroupList => Ok(Reply::value(&discovery::api_group_list(ctx.options))),
        Route::Group(group) => discovery::api_group(ctx.options, group)
            .map(|v| Reply::value(&v))
            .ok_or_else(status::path_not_found),
        Route::ResourceList { group, version } => {
            discovery::api_resource_list(ctx.options, group, version)
                .map(|v| Reply::value(&v))
                .ok_or_else(status::path_not_found)
        }
        Route::Collection { kind, namespace } => {
            let t = target(*kind, namespace.as_deref(), None, "list");
            injected(ctx, kind.plural(), &t)?;
            if query.get_bool("watch") {
                return Err(status::method_not_allowed("watch"));
            }
            let request = list_request(*kind, query)?;
            hostile::list_reply(
                ctx.data,
                &ctx.options.hostile,
                *kind,
                namespace.as_deref(),
                &request,
                ctx.options.max_page,
            )
        }
        Route::Object {
            kind,
            namespace,
            name,
        } => {
            let t = target(*kind, namespace.as_deref(), Some(name), "get");
            injected(ctx, kind.plural(), &t)?;
            let object = ctx
                .data
                .get(*kind, namespace.as_deref().unwrap_or(""), name)
                .ok_or_else(|| status::object_not_found(&t))?;
            Ok(Reply::json(object.json.to_vec()))
        }
        Route::Log { namespace, pod } => {
            let mut t = target(ResourceKind::Pods, Some(namespace), Some(pod), "get");
            t.subresource = Some("log");
            injected(ctx, "pods/log", &t)?;
            logs::pod_log(ctx.data, namespace, pod, query).map(Reply::text)
        }
        Route::NodeProxy { node, path } => {
            injected(ctx, "nodes/proxy", &node_proxy::target(node))?;
            node_proxy::answer(ctx.data, ctx.options, node, path, query)
        }
        Route::Unknown => Err(status::path_not_found()),
    }
}

fn list_request(kind: ResourceKind, query: &Query) -> Result<ListRequest, ApiError> {
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or(""))
        .map_err(|e| status::bad_request(&e))?;
    let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or(""), kind)
        .map_err(|e| status::bad_request(&e))?;
    let limit = query
        .get_usize("limit")
        .map_err(|e| status::bad_request(&e))?;
    Ok(ListRequest {
        labels,
        fields,
        limit,
        continue_token: query.get("continue").map(str::to_string),
        resource_version: query.get("resourceVersion").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(parse_route("/version"), Route::Version);
        assert_eq!(parse_route("/api/"), Route::ApiVersions);
        assert_eq!(
            parse_route("/api/v1/pods"),
            Route::Collection {
                kind: ResourceKind::Pods,
                namespace: None
            }
        );
        assert_eq!(
            parse_route("/apis/apps/v1/namespaces/kube-system/daemonsets/calico"),
            Route::Object {
                kind: ResourceKind::DaemonSets,
                namespace: Some("kube-system".into()),
                name: "calico".into()
            }
        );
        assert_eq!(
            parse_route("/api/v1/namespaces/default"),
            Route::Object {
                kind: ResourceKind::Namespaces,
                namespace: None,
                name: "default".into()
            }
        );
        assert_eq!(
            parse_route("/api/v1/namespaces/a/pods/p/log"),
            Route::Log {
                namespace: "a".into(),
                pod: "p".into()
            }
        );
        assert_eq!(parse_route("/api/v1/pods/p"), Route::Unknown);
        assert_eq!(parse_route("/api/v1/namespaces/a/nodes"), Route::Unknown);
        assert_eq!(parse_route("/apis/apps/v2/daemonsets"), Route::Unknown);
        assert_eq!(parse_route("/openapi/v3"), Route::Unknown);
        assert_eq!(parse_route("/api/v1/daemonsets"), Route::Unknown);
    }
}
