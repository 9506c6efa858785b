//! Opt-in fleet collection (`windoctor fleet --namespace NS`): for each Windows node (or the ones
//! named) a short-lived HostProcess pod pinned to the node runs windoctor's node collector
//! (`script`, or windoctor.exe from `--collector-image`) and prints the node part in its log
//! (`payload`); windoctor reads it and deletes the pod. This is the only part of windoctor that
//! sends write requests, and only when asked for.
//!
//! Pods always go: each node's pod is deleted when its collection ends (success, failure,
//! timeout), every pod still registered is deleted on Ctrl-C and SIGTERM, and every run first
//! deletes the leftovers an earlier, killed run left (found by label). Bounded: at most
//! `concurrency` nodes at once, a deadline per node (also the pod's `activeDeadlineSeconds`) and
//! one for the whole collection; per-node progress goes to stderr. A pod refused by Pod Security
//! admission or a policy engine is that node's error, in the API server's words.

mod api;
pub mod manifest;
pub mod payload;
pub mod script;

pub use manifest::Collector;

use crate::sources::files::MemoryStore;
use crate::sources::nodeapi::NodePart;
use kube::Client;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the operator asked the fleet collection to do.
#[derive(Debug, Clone)]
pub struct FleetRequest {
    /// The namespace the collector pods are created in (it must allow privileged pods).
    pub namespace: String,
    /// The nodes to collect; empty: every Windows node.
    pub nodes: Vec<String>,
    pub collector: Collector,
    /// Nodes collected at once.
    pub concurrency: usize,
    /// Per node: the pod's `activeDeadlineSeconds`, and how long windoctor waits for it.
    pub node_timeout: Duration,
    /// The whole collection.
    pub deadline: Duration,
    /// How often a pod's status is read.
    pub poll: Duration,
    /// Timeout of each API request.
    pub request_timeout: Duration,
    /// Delete every registered pod and exit on Ctrl-C and SIGTERM.
    pub handle_signals: bool,
    /// Per-node progress lines on stderr.
    pub progress: bool,
    /// Labels this run's pods (`windoctor.io/run`).
    pub run: String,
}

impl FleetRequest {
    pub fn new(namespace: &str) -> FleetRequest {
        FleetRequest {
            namespace: namespace.to_string(),
            nodes: Vec::new(),
            collector: Collector::Embedded,
            concurrency: 4,
            node_timeout: Duration::from_secs(300),
            deadline: Duration::from_secs(900),
            poll: Duration::from_secs(2),
            request_timeout: Duration::from_secs(15),
            handle_signals: false,
            progress: true,
            run: run_id(),
        }
    }
}

/// A fresh run id: time and process, enough to tell runs apart (a label value).
pub fn run_id() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!("{:x}-{:x}", now, std::process::id())
}

/// One node's collection: its node part (`node/...`), or why not.
pub struct FleetOutcome {
    pub node: String,
    pub result: Result<MemoryStore, String>,
}

/// The pods created and not yet deleted, for cleanup on interruption.
#[derive(Clone, Default)]
struct Registry(Arc<Mutex<BTreeSet<String>>>);

impl Registry {
    fn add(&self, name: &str) {
        if let Ok(mut s) = self.0.lock() {
            s.insert(name.to_string());
        }
    }
    fn remove(&self, name: &str) {
        if let Ok(mut s) = self.0.lock() {
            s.remove(name);
        }
    }
    fn all(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }
}

fn say(req: &FleetRequest, line: String) {
    if req.progress {
        eprintln!("windoctor fleet: {line}");
    }
}

/// Deletes the collector pods an earlier run left in the namespace (found by label). Returns how
/// many were deleted.
pub async fn delete_leftovers(client: &Client, req: &FleetRequest) -> Result<usize, String> {
    delete_selected(client, req, &manifest::selector()).await
}

/// Deletes the collector pods of this run that are still there: those whose creation the API
/// server saw but whose answer never reached the task that was cut short.
async fn delete_this_runs_pods(client: &Client, req: &FleetRequest) -> Result<usize, String> {
    let selector = format!(
        "{},{}={}",
        manifest::selector(),
        manifest::RUN_LABEL,
        req.run
    );
    delete_selected(client, req, &selector).await
}

/// Deletes the pods of `req.namespace` that `selector` selects; gives how many.
async fn delete_selected(
    client: &Client,
    req: &FleetRequest,
    selector: &str,
) -> Result<usize, String> {
    let url = format!(
        "/api/v1/namespaces/{}/pods?labelSelector={}",
        api::query_value(&req.namespace),
        api::query_value(selector)
    );
    let reply = api::call(client, "GET", &url, None, req.request_timeout).await?;
    if !reply.ok() {
        return Err(format!(
            "cannot list collector pods in {}: HTTP {} {}",
            req.namespace,
            reply.status,
            reply.message()
        ));
    }
    let names: Vec<String> = reply
        .json()
        .and_then(|v| {
            v.get("items").and_then(Value::as_array).map(|items| {
                items
                    .iter()
                    // A pod already being deleted (graceful deletion) is not deleted twice.
                    .filter(|i| i.pointer("/metadata/deletionTimestamp").is_none())
                    .filter_map(|i| i.pointer("/metadata/name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
        })
        .unwrap_or_default();
    let mut deleted = 0;
    for name in names {
        if delete_pod(client, req, &name).await.is_ok() {
            deleted += 1;
            say(
                req,
                format!("deleted leftover collector pod {}/{name}", req.namespace),
            );
        }
    }
    Ok(deleted)
}

async fn delete_pod(client: &Client, req: &FleetRequest, name: &str) -> Result<(), String> {
    let url = format!(
        "/api/v1/namespaces/{}/pods/{}",
        api::query_value(&req.namespace),
        api::query_value(name)
    );
    let reply = api::call(client, "DELETE", &url, None, req.request_timeout).await?;
    if reply.ok() || reply.status == 404 {
        Ok(())
    } else {
        Err(format!("HTTP {} {}", reply.status, reply.message()))
    }
}

/// Collects `nodes` (the request's own list when it names nodes). Leftovers of earlier runs are
/// deleted first. Never fails as a whole: each node has its outcome.
pub async fn collect(client: &Client, nodes: &[String], req: &FleetRequest) -> Vec<FleetOutcome> {
    let targets: Vec<String> = if req.nodes.is_empty() {
        nodes.to_vec()
    } else {
        req.nodes.clone()
    };
    match delete_leftovers(client, req).await {
        Ok(0) => {}
        Ok(n) => say(
            req,
            format!("deleted {n} collector pod(s) an earlier run left"),
        ),
        Err(e) => say(
            req,
            format!("could not look for leftover collector pods: {e}"),
        ),
    }
    let registry = Registry::default();
    let (cancel_tx, mut cancel_rx) = tokio::sync::watch::channel(false);
    if req.handle_signals {
        tokio::spawn(async move {
            wait_for_signal().await;
            let _ = cancel_tx.send(true);
        });
    }
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + req.deadline;
    let mut set = tokio::task::JoinSet::new();
    let mut pending = targets.clone().into_iter();
    for node in pending.by_ref().take(req.concurrency.max(1)) {
        set.spawn(collect_node(
            client.clone(),
            req.clone(),
            node,
            registry.clone(),
        ));
    }
    let mut done: Vec<FleetOutcome> = Vec::new();
    let mut interrupted = false;
    let mut set_finished = false;
    loop {
        tokio::select! {
            next = set.join_next() => match next {
                Some(Ok(outcome)) => {
                    done.push(outcome);
                    if let Some(node) = pending.next() {
                        set.spawn(collect_node(client.clone(), req.clone(), node, registry.clone()));
                    }
                }
                Some(Err(_)) => {}
                None => {
                    set_finished = true;
                    break;
                }
            },
            _ = tokio::time::sleep_until(deadline) => {
                say(req, format!("the collection's deadline ({} s) passed: stopping", req.deadline.as_secs()));
                set.abort_all();
                break;
            }
            changed = cancel_rx.changed() => {
                if changed.is_ok() && *cancel_rx.borrow() {
                    interrupted = true;
                    set.abort_all();
                    break;
                }
            }
        }
    }
    while set.join_next().await.is_some() {}
    // Pods of nodes whose collection was cut short.
    let left = registry.all();
    for name in &left {
        match delete_pod(client, req, name).await {
            Ok(()) => say(req, format!("deleted collector pod {}/{name}", req.namespace)),
            Err(e) => say(
                req,
                format!(
                    "could not delete collector pod {}/{name}: {e} (a later `windoctor fleet` run deletes it)",
                    req.namespace
                ),
            ),
        }
    }
    // A task cut short between the pod's creation and its answer never registered the pod: find
    // the pods of this run by label.
    let unregistered = if interrupted || !set_finished {
        match delete_this_runs_pods(client, req).await {
            Ok(n) => n,
            Err(e) => {
                say(
                    req,
                    format!("could not look for this run's collector pods: {e} (a later `windoctor fleet` run deletes them)"),
                );
                0
            }
        }
    } else {
        0
    };
    if interrupted {
        say(
            req,
            format!(
                "interrupted: {} collector pod(s) deleted",
                left.len() + unregistered
            ),
        );
        std::process::exit(130);
    }
    for node in targets {
        if !done.iter().any(|o| o.node == node) {
            done.push(FleetOutcome {
                node,
                result: Err(format!(
                    "not collected: the fleet collection's deadline ({} s) passed first",
                    req.deadline.as_secs()
                )),
            });
        }
    }
    say(
        req,
        format!(
            "{} of {} node(s) collected in {:.1} s",
            done.iter().filter(|o| o.result.is_ok()).count(),
            done.len(),
            started.elapsed().as_secs_f64()
        ),
    );
    done
}

/// Resolves on Ctrl-C, or SIGTERM where there is one.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Creates the collector pod on `node`, waits for it, reads its output, and deletes it.
async fn collect_node(
    client: Client,
    req: FleetRequest,
    node: String,
    registry: Registry,
) -> FleetOutcome {
    let manifest = manifest::pod(
        &req.namespace,
        &node,
        &req.run,
        &req.collector,
        req.node_timeout.as_secs(),
    );
    let url = format!(
        "/api/v1/namespaces/{}/pods",
        api::query_value(&req.namespace)
    );
    let body = serde_json::to_vec(&manifest).unwrap_or_default();
    let created = match api::call(&client, "POST", &url, Some(body), req.request_timeout).await {
        Ok(r) => r,
        Err(e) => return failed(&req, node, format!("cannot create the collector pod: {e}")),
    };
    if !created.ok() {
        let message = created.message();
        let why = match created.status {
            403 => format!("the collector pod was refused: {message}"),
            404 => format!(
                "namespace {} does not exist: create it, labelled pod-security.kubernetes.io/enforce=privileged (assets/rbac/fleet.yaml), or pass another --namespace ({message})",
                req.namespace
            ),
            code => format!("the collector pod could not be created: HTTP {code} {message}"),
        };
        return failed(&req, node, why);
    }
    let Some(name) = created.json().and_then(|v| {
        v.pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string)
    }) else {
        return failed(
            &req,
            node,
            "the API server answered the pod creation without a pod name".to_string(),
        );
    };
    registry.add(&name);
    say(
        &req,
        format!("{node}: created collector pod {}/{name}", req.namespace),
    );
    let result = wait_and_read(&client, &req, &node, &name).await;
    match delete_pod(&client, &req, &name).await {
        Ok(()) => {
            registry.remove(&name);
            say(
                &req,
                format!("{node}: deleted collector pod {}/{name}", req.namespace),
            );
        }
        Err(e) => say(
            &req,
            format!(
                "{node}: could not delete collector pod {}/{name}: {e}",
                req.namespace
            ),
        ),
    }
    match &result {
        Ok(store) => say(
            &req,
            format!(
                "{node}: collected ({} files, {} KiB)",
                store.files.len(),
                store.files.values().map(Vec::len).sum::<usize>() / 1024
            ),
        ),
        Err(e) => say(&req, format!("{node}: error: {e}")),
    }
    FleetOutcome { node, result }
}

fn failed(req: &FleetRequest, node: String, why: String) -> FleetOutcome {
    say(req, format!("{node}: error: {why}"));
    FleetOutcome {
        node,
        result: Err(why),
    }
}

/// Waits for the pod to end (or its deadline), then reads and decodes its log.
async fn wait_and_read(
    client: &Client,
    req: &FleetRequest,
    node: &str,
    name: &str,
) -> Result<MemoryStore, String> {
    let ns = api::query_value(&req.namespace);
    let pod_url = format!("/api/v1/namespaces/{ns}/pods/{}", api::query_value(name));
    // The kubelet ends the pod at its activeDeadlineSeconds (counted from its start); windoctor
    // waits as long, plus two polls for the status to arrive.
    let until = Instant::now() + req.node_timeout + req.poll * 2;
    let mut waiting: Option<String> = None;
    let mut said_running = false;
    loop {
        let reply = api::call(client, "GET", &pod_url, None, req.request_timeout).await?;
        if reply.status == 404 {
            return Err(format!("the collector pod {name} disappeared before it finished (deleted by someone else?)"));
        }
        if !reply.ok() {
            return Err(format!(
                "cannot read the collector pod {name}: HTTP {} {}",
                reply.status,
                reply.message()
            ));
        }
        let pod = reply.json().unwrap_or(Value::Null);
        let phase = pod
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        let status = pod
            .pointer("/status/containerStatuses/0")
            .cloned()
            .unwrap_or(json!({}));
        match phase {
            "Succeeded" => break,
            "Failed" => {
                let reason = pod
                    .pointer("/status/reason")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if reason == "DeadlineExceeded" {
                    return Err(format!(
                        "the collector did not finish within its activeDeadlineSeconds ({} s)",
                        req.node_timeout.as_secs()
                    ));
                }
                let t = status
                    .pointer("/state/terminated")
                    .cloned()
                    .unwrap_or(json!({}));
                let code = t.get("exitCode").and_then(Value::as_i64).unwrap_or(-1);
                let message = t
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let tail: Vec<&str> = message.lines().rev().take(5).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                return Err(format!(
                    "the collector failed with exit code {code}{}",
                    if tail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", tail.join(" / "))
                    }
                ));
            }
            "Running" if !said_running => {
                said_running = true;
                say(req, format!("{node}: collector running"));
            }
            _ => {}
        }
        if let Some(w) = status.pointer("/state/waiting") {
            let reason = w.get("reason").and_then(Value::as_str).unwrap_or("waiting");
            let message = w.get("message").and_then(Value::as_str).unwrap_or("");
            let now = if message.is_empty() {
                reason.to_string()
            } else {
                format!("{reason}: {message}")
            };
            if waiting.as_deref() != Some(now.as_str()) && reason != "ContainerCreating" {
                say(req, format!("{node}: collector waiting: {now}"));
            }
            waiting = Some(now);
        }
        if Instant::now() >= until {
            return Err(match (phase, waiting) {
                ("Running", _) => format!(
                    "the collector did not finish within {} s",
                    req.node_timeout.as_secs()
                ),
                (_, Some(w)) => format!(
                    "the collector pod never started within {} s: {w}",
                    req.node_timeout.as_secs()
                ),
                _ => format!(
                    "the collector pod never started within {} s",
                    req.node_timeout.as_secs()
                ),
            });
        }
        tokio::time::sleep(req.poll).await;
    }
    let log_url = format!(
        "/api/v1/namespaces/{ns}/pods/{}/log?container=collector&limitBytes={}",
        api::query_value(name),
        48 * 1024 * 1024
    );
    let log = api::call(
        client,
        "GET",
        &log_url,
        None,
        req.request_timeout.max(Duration::from_secs(60)),
    )
    .await?;
    if !log.ok() {
        return Err(format!(
            "cannot read the collector's log: HTTP {} {}",
            log.status,
            log.message()
        ));
    }
    let text = String::from_utf8_lossy(&log.body);
    let (kind, json) = payload::decode(&text)?;
    let label = format!("windoctor fleet (HostProcess pod {}/{name})", req.namespace);
    payload::node_part(&kind, &json, node, &label)
}

/// Joins a node's fleet outcome with what the API gave for it (`part`, from the node-data phase):
/// a collected node part replaces the API's node.json and records but keeps its system pods,
/// configz and served logs; a failed collection turns every record the fleet would have given
/// into an error naming why, so checks report `error` for that node.
pub fn merge(part: &mut NodePart, outcome: &FleetOutcome) {
    let api_meta: Value = part
        .store
        .files
        .get("node/node.json")
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_else(|| json!({"node_name": part.node}));
    let api_sources = api_meta
        .get("sources")
        .cloned()
        .unwrap_or_else(|| json!({}));
    match &outcome.result {
        Ok(store) => {
            let mut meta: Value = store
                .files
                .get("node/node.json")
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_else(|| json!({}));
            if let (Some(Value::Object(mine)), Value::Object(theirs)) =
                (meta.get_mut("sources"), api_sources)
            {
                for (k, v) in theirs {
                    mine.entry(k).or_insert(v);
                }
            }
            for (path, bytes) in &store.files {
                part.store.files.insert(path.clone(), bytes.clone());
            }
            part.store.files.insert(
                "node/node.json".to_string(),
                serde_json::to_vec_pretty(&meta).unwrap_or_default(),
            );
        }
        Err(why) => {
            let mut meta = api_meta;
            let message = format!("the fleet collection of {} failed: {why}", part.node);
            let errors: serde_json::Map<String, Value> = crate::sources::node::RECORD_FILES
                .iter()
                .map(|(p, _)| p.to_string())
                .chain(std::iter::once("system".to_string()))
                .map(|p| (p, json!(message)))
                .collect();
            meta["errors"] = Value::Object(errors);
            if let Some(obj) = meta.as_object_mut() {
                obj.remove("not_collected");
            }
            meta["sources"]["fleet"] = json!({"state": "failed", "detail": why});
            part.store.files.insert(
                "node/node.json".to_string(),
                serde_json::to_vec_pretty(&meta).unwrap_or_default(),
            );
        }
    }
}

/// An empty API part of `node`, for a fleet collection run without the node-data phase.
pub fn bare_part(node: &str) -> NodePart {
    let mut store = MemoryStore::default();
    store.files.insert(
        "node/node.json".to_string(),
        serde_json::to_vec_pretty(&json!({
            "node_name": node,
            "origin": crate::facts::node::remote::API_ORIGIN,
            "collector": crate::sources::nodeapi::COLLECTOR,
            "coverage": [],
            "sources": {},
        }))
        .unwrap_or_default(),
    );
    NodePart {
        node: node.to_string(),
        store,
    }
}

/// The node parts of a run: what the API serves about each planned Windows node (when the
/// node-data phase is on) and, with a fleet request, the fleet collection of the nodes, run at the
/// same time and joined per node.
pub async fn node_parts(
    client: &Client,
    plans: Vec<crate::sources::nodeapi::NodePlan>,
    opts: &crate::sources::nodeapi::NodeDataOptions,
    fleet: Option<&FleetRequest>,
) -> Vec<NodePart> {
    let names: Vec<String> = plans.iter().map(|p| p.node.clone()).collect();
    let api = async {
        if opts.enabled {
            crate::sources::nodeapi::read_planned(client, plans, opts)
                .await
                .0
        } else {
            Vec::new()
        }
    };
    let collected = async {
        match fleet {
            Some(req) => collect(client, &names, req).await,
            None => Vec::new(),
        }
    };
    let (mut parts, outcomes) = tokio::join!(api, collected);
    for outcome in &outcomes {
        match parts.iter_mut().find(|p| p.node == outcome.node) {
            Some(part) => merge(part, outcome),
            None => {
                let mut part = bare_part(&outcome.node);
                merge(&mut part, outcome);
                parts.push(part);
            }
        }
    }
    parts.sort_by(|a, b| a.node.cmp(&b.node));
    parts
}
