//! Node data through the Kubernetes API, read-only, for every Windows node at once: the system
//! pods on the node (found by what they are, `plan`) with their container statuses and log tails
//! (`pods/log`), the kubelet's running configuration (`nodes/NAME/proxy/configz`), the files of
//! its log directory and node log queries where the kubelet supports them
//! (`nodes/NAME/proxy/logs/`, `kubelet`).
//!
//! Each node's answers become a node part made from the API (`PartOrigin::Api`), laid out as a
//! bundle's `nodes/NAME/` directory in memory (`part`), so a live run, `capture` and a replay read
//! the same bytes with the same reader. Every source is optional: a 403, a 404, a disabled
//! feature or a timeout is recorded in the part's node.json (`sources`) with the API's words, and
//! checks say which source was missing and what would provide it.
//!
//! Bounded for big clusters: at most `concurrency` requests in flight, a timeout per request, an
//! overall deadline, byte limits per log and a byte budget for the whole phase. A source the API
//! refuses with 403 for one node is not asked again for the others (RBAC is cluster-wide).

mod http;
mod kubelet;
mod part;
mod plan;

pub use part::{read_api_part, NodePart, COLLECTOR, NOT_SERVED};
pub use plan::{may_be_system_pod, plan_nodes, system_pod, NodePlan};

use crate::facts::Facts;
use kube::Client;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bounds and switches of the node-data phase.
#[derive(Debug, Clone)]
pub struct NodeDataOptions {
    /// Read node data through the API at all (`--no-node-data` turns it off).
    pub enabled: bool,
    /// Requests in flight at once, over all nodes.
    pub concurrency: usize,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// The whole phase ends by then; nodes not read by then say so.
    pub deadline: Duration,
    /// Lines of each pod log tail (`tailLines`) and node log query (`tailLines`).
    pub tail_lines: u32,
    /// Bytes of each log tail (`limitBytes`, or the end of a served log file).
    pub log_bytes: u64,
    /// Bytes kept over the whole phase; past it, further bodies are dropped and said so.
    pub total_bytes: u64,
    /// Log files taken from each kubelet's log directory.
    pub files_per_node: usize,
    /// System pods looked at per node.
    pub pods_per_node: usize,
    /// Print per-node progress on stderr.
    pub progress: bool,
}

impl Default for NodeDataOptions {
    fn default() -> Self {
        NodeDataOptions {
            enabled: true,
            concurrency: 8,
            request_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(120),
            tail_lines: 300,
            log_bytes: 64 * 1024,
            total_bytes: 96 * 1024 * 1024,
            files_per_node: 6,
            pods_per_node: 8,
            progress: false,
        }
    }
}

/// What the phase shares between nodes: the request slots, the byte budget, and the sources the
/// API refused with 403 (not asked again).
pub(crate) struct Shared {
    pub client: Client,
    pub opts: NodeDataOptions,
    pub slots: tokio::sync::Semaphore,
    pub bytes: AtomicU64,
    pub pod_log_forbidden: std::sync::Mutex<Option<String>>,
    pub proxy_forbidden: std::sync::Mutex<Option<String>>,
    pub requests: AtomicUsize,
    pub budget_hit: AtomicBool,
}

impl Shared {
    /// Takes `n` bytes from the phase's budget; false (and nothing taken) when it is spent.
    pub fn take_bytes(&self, n: u64) -> bool {
        let before = self.bytes.fetch_add(n, Ordering::Relaxed);
        if before + n > self.opts.total_bytes {
            self.bytes.fetch_sub(n, Ordering::Relaxed);
            self.budget_hit.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
}

/// How the phase went, for progress lines and the benchmark.
#[derive(Debug, Clone, Default)]
pub struct PhaseStats {
    pub nodes: usize,
    pub requests: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    pub timed_out: usize,
}

/// Reads the node data of every Windows node of `facts` through the API. Returns one part per
/// node (in node-name order) and what it cost. Never fails as a whole: what could not be read is
/// recorded in each part.
pub async fn read_all(
    client: &Client,
    facts: &Facts,
    opts: &NodeDataOptions,
) -> (Vec<NodePart>, PhaseStats) {
    let plans = plan_nodes(facts, opts.pods_per_node);
    read_planned(client, plans, opts).await
}

/// Reads the planned nodes (see [`plan_nodes`]).
pub async fn read_planned(
    client: &Client,
    plans: Vec<NodePlan>,
    opts: &NodeDataOptions,
) -> (Vec<NodePart>, PhaseStats) {
    let started = Instant::now();
    let total = plans.len();
    let shared = Arc::new(Shared {
        client: client.clone(),
        opts: opts.clone(),
        slots: tokio::sync::Semaphore::new(opts.concurrency.max(1)),
        bytes: AtomicU64::new(0),
        pod_log_forbidden: std::sync::Mutex::new(None),
        proxy_forbidden: std::sync::Mutex::new(None),
        requests: AtomicUsize::new(0),
        budget_hit: AtomicBool::new(false),
    });
    let names: Vec<String> = plans.iter().map(|p| p.node.clone()).collect();
    let mut set = tokio::task::JoinSet::new();
    // Nodes are started a few more than the request slots at a time, so that memory holds only
    // the parts being read plus the finished ones.
    let mut pending = plans.into_iter();
    let in_flight = opts.concurrency.max(1) * 2;
    for plan in pending.by_ref().take(in_flight) {
        let shared = Arc::clone(&shared);
        set.spawn(async move { part::read_node(&shared, plan).await });
    }
    let deadline = tokio::time::Instant::now() + opts.deadline;
    let mut done: Vec<NodePart> = Vec::with_capacity(total);
    let mut last_report = Instant::now();
    loop {
        let next = tokio::time::timeout_at(deadline, set.join_next()).await;
        match next {
            Ok(Some(Ok(part))) => {
                done.push(part);
                if let Some(plan) = pending.next() {
                    let shared = Arc::clone(&shared);
                    set.spawn(async move { part::read_node(&shared, plan).await });
                }
                if opts.progress
                    && (last_report.elapsed() > Duration::from_secs(2) || done.len() == total)
                {
                    last_report = Instant::now();
                    eprintln!(
                        "windoctor: node data: {}/{total} Windows nodes read through the API ({} requests, {} KiB)",
                        done.len(),
                        shared.requests.load(Ordering::Relaxed),
                        shared.bytes.load(Ordering::Relaxed) / 1024
                    );
                }
            }
            Ok(Some(Err(_))) => {}
            Ok(None) => break,
            Err(_) => {
                set.abort_all();
                break;
            }
        }
    }
    let mut timed_out = 0;
    for name in names {
        if !done.iter().any(|p| p.node == name) {
            timed_out += 1;
            done.push(part::deadline_passed(&name, opts.deadline));
        }
    }
    done.sort_by(|a, b| a.node.cmp(&b.node));
    let stats = PhaseStats {
        nodes: total,
        requests: shared.requests.load(Ordering::Relaxed),
        bytes: shared.bytes.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        timed_out,
    };
    // `WINDOCTOR_TIMINGS=1`: what the phase cost, for scripts/bench-node-data.sh.
    if crate::clock::timings_wanted() {
        eprintln!(
            "windoctor: timing: node data: {} nodes, {} requests, {} KiB kept, {:.3} s, {} past the deadline",
            stats.nodes,
            stats.requests,
            stats.bytes / 1024,
            stats.elapsed.as_secs_f64(),
            stats.timed_out
        );
    }
    if opts.progress && timed_out > 0 {
        eprintln!(
            "windoctor: node data: the {} s deadline passed with {timed_out} of {total} Windows nodes unread",
            opts.deadline.as_secs()
        );
    }
    (done, stats)
}
