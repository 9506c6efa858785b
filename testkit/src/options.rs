//! `ServerOptions`: how the fake API server behaves beyond serving its data.
//! Injected failures per resource (403, 404 as if the API group were absent,
//! any status code, delays), a server-side page size cap, bearer-token
//! enforcement, the port and gzip threshold. Built with chained setters:
//! `ServerOptions::new().forbid("events").max_page(100)`.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::collectors::{CollectorBehaviour, PodClock};
use crate::hostile::{Hostile, WrongKind};

/// Token the kubeconfig carries and, with [`ServerOptions::require_token`],
/// the server demands.
pub const DEFAULT_TOKEN: &str = "windoctor-testkit-token";

/// User named in Forbidden messages.
pub const DEFAULT_USER: &str = "system:serviceaccount:default:windoctor";

/// A failure injected on every request for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 403 Forbidden, worded as RBAC would.
    Forbidden,
    /// 404, as when the resource's API group is not served; the resource is
    /// also left out of discovery.
    NotFound,
    /// Any status code with a generic Status body.
    Status(u16),
}

/// Options for [`crate::FakeApiServer::start`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub(crate) port: u16,
    pub(crate) failures: HashMap<String, Failure>,
    pub(crate) delays: HashMap<String, Duration>,
    pub(crate) max_page: Option<usize>,
    pub(crate) require_token: bool,
    pub(crate) token: String,
    pub(crate) user: String,
    pub(crate) gzip_min_bytes: usize,
    pub(crate) node_log_query_off: bool,
    pub(crate) node_log_query_off_nodes: BTreeSet<String>,
    pub(crate) collectors: HashMap<String, CollectorBehaviour>,
    pub(crate) default_collector: Option<CollectorBehaviour>,
    pub(crate) pod_clock: PodClock,
    pub(crate) pod_steps: (u32, u32),
    pub(crate) hostile: Hostile,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            port: 0,
            failures: HashMap::new(),
            delays: HashMap::new(),
            max_page: None,
            require_token: false,
            token: DEFAULT_TOKEN.to_string(),
            user: DEFAULT_USER.to_string(),
            gzip_min_bytes: 0,
            node_log_query_off: false,
            node_log_query_off_nodes: BTreeSet::new(),
            collectors: HashMap::new(),
            default_collector: None,
            pod_clock: PodClock::default(),
            pod_steps: (1, 1),
            hostile: Hostile::default(),
        }
    }
}

/// Normalizes a resource name given to an option: `Events` -> `events`,
/// `pods/log` stays a subresource key.
fn key(resource: &str) -> String {
    resource.trim().to_ascii_lowercase()
}

impl ServerOptions {
    /// Defaults: an ephemeral port, no failures, no page cap, no token
    /// required, gzip whenever the client accepts it.
    pub fn new() -> Self {
        ServerOptions::default()
    }

    /// Listen on `port` of 127.0.0.1 (0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Answer every request on `resource` (plural name such as `events`,
    /// `pods/log` for logs, `nodes/proxy` for the kubelet proxy) with 403
    /// Forbidden.
    pub fn forbid(mut self, resource: &str) -> Self {
        self.failures.insert(key(resource), Failure::Forbidden);
        self
    }

    /// Act as if `resource`'s API group were not served: 404 on its paths and
    /// absent from discovery.
    pub fn not_found(mut self, resource: &str) -> Self {
        self.failures.insert(key(resource), Failure::NotFound);
        self
    }

    /// Answer every request on `resource` with HTTP `code` (e.g. 500) and a
    /// Status body.
    pub fn status(mut self, resource: &str, code: u16) -> Self {
        self.failures.insert(key(resource), Failure::Status(code));
        self
    }

    /// Wait `delay` before answering each request on `resource`.
    pub fn delay(mut self, resource: &str, delay: Duration) -> Self {
        self.delays.insert(key(resource), delay);
        self
    }

    /// Never return more than `max` items per list response, whatever
    /// `limit` the client asked for (lists without `limit` are not capped,
    /// as on the real server).
    pub fn max_page(mut self, max: usize) -> Self {
        self.max_page = Some(max);
        self
    }

    /// Demand `Authorization: Bearer <token>` on every request (401
    /// otherwise). kube-rs sends the kubeconfig's token to http:// servers;
    /// kubectl (client-go) sends no credentials to an http:// server, so it
    /// always gets 401 with this on.
    pub fn require_token(mut self, require: bool) -> Self {
        self.require_token = require;
        self
    }

    /// The bearer token the kubeconfig carries and the server checks.
    pub fn token(mut self, token: &str) -> Self {
        self.token = token.to_string();
        self
    }

    /// The user named in Forbidden messages.
    pub fn user(mut self, user: &str) -> Self {
        self.user = user.to_string();
        self
    }

    /// Compress only bodies of at least `bytes` (the real server's threshold
    /// is 128 KiB; the default 0 compresses every body when asked).
    pub fn gzip_min_bytes(mut self, bytes: usize) -> Self {
        self.gzip_min_bytes = bytes;
        self
    }

    /// Answer node log queries (`nodes/NODE/proxy/logs/?query=...`) as every
    /// kubelet without the NodeLogQuery feature (gate or
    /// `enableSystemLogQuery`) does: the query parameters are ignored and the
    /// log directory listing comes back.
    pub fn disable_node_log_query(mut self) -> Self {
        self.node_log_query_off = true;
        self
    }

    /// Like [`ServerOptions::disable_node_log_query`], for node `node` only.
    pub fn disable_node_log_query_on(mut self, node: &str) -> Self {
        self.node_log_query_off_nodes.insert(node.to_string());
        self
    }

    /// What a pod created through the API on node `node` (its
    /// `spec.nodeName`, or `kubernetes.io/hostname` node selector) does; see
    /// [`CollectorBehaviour`]. Also settable while serving with
    /// [`crate::ServerHandle::set_collector`].
    pub fn collector(mut self, node: &str, behaviour: CollectorBehaviour) -> Self {
        self.collectors.insert(node.to_string(), behaviour);
        self
    }

    /// What created pods on nodes without their own behaviour do (default:
    /// run with an empty log, then succeed).
    pub fn default_collector(mut self, behaviour: CollectorBehaviour) -> Self {
        self.default_collector = Some(behaviour);
        self
    }

    /// When created pods move on a step (default: on every request on
    /// pods).
    pub fn pod_clock(mut self, clock: PodClock) -> Self {
        self.pod_clock = clock;
        self
    }

    /// How many steps a created pod stays Pending, then Running (default 1
    /// and 1).
    pub fn pod_steps(mut self, pending: u32, running: u32) -> Self {
        self.pod_steps = (pending, running);
        self
    }

    /// Hostile: every list page claims `metadata.remainingItemCount: count`
    /// (e.g. 100,000,000) whatever it holds.
    pub fn remaining_item_count(mut self, count: i64) -> Self {
        self.hostile.remaining_item_count = Some(count);
        self
    }

    /// Hostile: lists never end; every page is full (the requested `limit`,
    /// 500 without one), cycling through the objects, with a fresh continue
    /// token each time.
    pub fn endless_pages(mut self) -> Self {
        self.hostile.endless_pages = true;
        self
    }

    /// Hostile: list bodies carry a string field of `bytes` bytes
    /// (`windoctorTestkitPadding`), generated while sent (chunked), gzipped
    /// on the fly when the client accepts gzip.
    pub fn huge_body(mut self, bytes: u64) -> Self {
        self.hostile.huge_body = Some(bytes);
        self
    }

    /// Hostile: lists come as a small gzip body (`Content-Encoding: gzip`
    /// whatever the client accepts) that inflates to a list of `bytes` bytes.
    /// Built on the first request (about a second per GiB) and cached.
    pub fn gzip_bomb(mut self, bytes: u64) -> Self {
        self.hostile.gzip_bomb = Some(bytes);
        self
    }

    /// Hostile: lists answer 200 with something else; see [`WrongKind`].
    pub fn wrong_kind(mut self, wrong: WrongKind) -> Self {
        self.hostile.wrong_kind = Some(wrong);
        self
    }

    /// Hostile: bodies are sent at about `bytes_per_sec` bytes a second,
    /// after the headers.
    pub fn trickle(mut self, bytes_per_sec: u64) -> Self {
        self.hostile.trickle = Some(bytes_per_sec);
        self
    }

    /// Hostile: the first `times` requests get 429 TooManyRequests with
    /// `Retry-After: retry_after_secs`.
    pub fn too_many_requests(mut self, retry_after_secs: u64, times: usize) -> Self {
        self.hostile.too_many_requests = Some((retry_after_secs, times));
        self
    }

    /// Hostile: requests are accepted and never answered (after the 429s of
    /// [`ServerOptions::too_many_requests`], if both are on).
    pub fn hang(mut self) -> Self {
        self.hostile.hang = true;
        self
    }

    /// Limits the hostile modes to requests on these resources (plural
    /// names, `pods/log`, `nodes/proxy`); by default they apply to every
    /// request but health checks (list shapes to every list).
    pub fn hostile_only_for(mut self, resources: &[&str]) -> Self {
        self.hostile.scope = Some(resources.iter().map(|r| key(r)).collect());
        self
    }

    pub(crate) fn node_log_query_enabled(&self, node: &str) -> bool {
        !self.node_log_query_off && !self.node_log_query_off_nodes.contains(node)
    }

    pub(crate) fn failure(&self, resource: &str) -> Option<Failure> {
        self.failures.get(resource).copied()
    }

    pub(crate) fn delay_for(&self, resource: &str) -> Option<Duration> {
        self.delays.get(resource).copied()
    }
}
