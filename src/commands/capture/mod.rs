//! `windoctor capture [PATH] [--full]`: writes a bundle (docs/bundle.md) that `windoctor --snapshot
//! PATH` replays with the same findings.
//!
//! By default it writes the Windows share of the cluster, what the checks need, as one `.zip`
//! archive small enough to attach to a GitHub issue (`./windoctor-capture-<time>.zip`, or
//! `PATH.zip`); a `PATH` without `.zip` is a new directory. `--full` writes every object of the
//! lists read. The cluster part is streamed page by page into the files as it arrives ([`lists`]),
//! sanitized and redacted ([`streamed`]); then the data of every Windows node read through the
//! API (`commands::node_data`: `nodes/NAME/` parts and the system pods' log tails, unless
//! `--no-node-data`), and the flannel and kube-proxy log tails of Windows nodes it did not write
//! ([`logs`]). The node part is the live node collector's output (on a Windows node, or from
//! `--node-root DIR`), written byte for byte, so a replay parses exactly what the live run parsed.
//! With `--probe`, the probe phase runs on the captured facts and its results become
//! `probes/results.json`.
//!
//! What could not be read is recorded in `capture.json` (`{"complete": bool, "errors": [{"path",
//! "reason"}]}`), so the replay reports `error` for it as the live run did. Everything is written
//! under a temporary name and moved into place at the end ([`output`]): a capture that fails to
//! write (a full disk) or is interrupted leaves nothing that replays as healthy, and a capture
//! never writes into, overwrites or deletes anything it did not create.
//!
//! Exit codes: 0 a bundle was written (when `capture.json` lists inputs that could not be read,
//! stderr says so and the replay reports them as errors, as the live run does); 2 usage (the target
//! exists, a flag is wrong); 3 nothing kept (no cluster and no node part, writing failed, or
//! interrupted: 130).

pub mod lists;
pub mod logs;
pub mod output;
pub mod pipe;
pub mod sanitize;
pub mod streamed;

pub use lists::Scope;

use crate::exit::{EXIT_NOTHING_EVALUATED, EXIT_OK, EXIT_USAGE};
use crate::facts::cluster::same_host;
use crate::facts::inputs::CLUSTER_INPUTS;
use crate::plan::RunPlan;
use crate::sources::bundle::{CaptureError, CAPTURE_RECORD};
use crate::sources::files::{FileStore, MemoryStore};
use crate::sources::live;
use lists::WriteFailure;
use output::Output;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the capture wrote and what it could not read.
#[derive(Debug, Default)]
struct Outcome {
    written: Vec<String>,
    errors: Vec<CaptureError>,
    /// Log tails that could not be had (not an input of the checks' live run).
    logs_skipped: Vec<CaptureError>,
    /// Notes for stderr that are not errors of the bundle (no node part on this machine).
    notes: Vec<String>,
}

/// The default target: `windoctor-capture-YYYYMMDD-HHMMSS.zip` in the current directory.
pub fn default_target() -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    PathBuf::from(format!("windoctor-capture-{stamp}.zip"))
}

pub async fn run(plan: &RunPlan, target: Option<&Path>, scope: Scope) -> i32 {
    let started = std::time::Instant::now();
    let target = target.map(Path::to_path_buf).unwrap_or_else(default_target);
    let out = match Output::create(&target) {
        Ok(out) => Arc::new(out),
        Err(e) => {
            crate::safe_eprintln!("windoctor capture: {e}");
            return EXIT_USAGE;
        }
    };
    let failure = WriteFailure::default();
    let outcome = tokio::select! {
        outcome = capture(plan, &out, scope, &failure) => outcome,
        signal = interrupted() => {
            out.abandon();
            crate::safe_eprintln!("windoctor capture: interrupted ({signal}); nothing was kept");
            return 130;
        }
    };
    if let Some(why) = failure.get() {
        out.abandon();
        crate::safe_eprintln!("windoctor capture: {why}");
        crate::safe_eprintln!(
            "windoctor capture: the capture failed and nothing was kept at {} (free space or choose another place, and run it again)",
            target.display()
        );
        return EXIT_NOTHING_EVALUATED;
    }
    for note in &outcome.notes {
        crate::safe_eprintln!("windoctor capture: {note}");
    }
    let cluster_read = CLUSTER_INPUTS
        .iter()
        .any(|i| outcome.written.iter().any(|w| w.starts_with(i.bundle)));
    let node_written = outcome.written.iter().any(|w| w.starts_with("node/"));
    if !cluster_read && !node_written {
        out.abandon();
        for e in &outcome.errors {
            crate::safe_eprintln!("windoctor capture: {}: {}", e.path, e.reason);
        }
        crate::safe_eprintln!("windoctor capture: nothing could be captured; nothing was kept");
        return EXIT_NOTHING_EVALUATED;
    }
    let record = json!({
        "complete": outcome.errors.is_empty(),
        "errors": outcome.errors,
        "logs_not_captured": outcome.logs_skipped,
        "scope": match scope { Scope::WindowsShare => "windows-share", Scope::Full => "full" },
        "windoctor": env!("CARGO_PKG_VERSION"),
    });
    let record = serde_json::to_vec_pretty(&record).unwrap_or_default();
    if let Err(why) = out.write(CAPTURE_RECORD, &record) {
        out.abandon();
        crate::safe_eprintln!("windoctor capture: {why}; nothing was kept");
        return EXIT_NOTHING_EVALUATED;
    }
    // `WINDOCTOR_TIMINGS=1`: when everything was written, and how long moving it into place took
    // (assembling and syncing an archive).
    let finishing = std::time::Instant::now();
    let finished = out.finish();
    if crate::clock::timings_wanted() {
        crate::safe_eprintln!(
            "windoctor: timing: capture written after {:.3} s, moved into place in {:.1} ms",
            finishing.duration_since(started).as_secs_f64(),
            finishing.elapsed().as_secs_f64() * 1000.0
        );
    }
    let path = match finished {
        Ok(path) => path,
        Err(why) => {
            crate::safe_eprintln!("windoctor capture: {why}");
            return EXIT_NOTHING_EVALUATED;
        }
    };
    for e in &outcome.logs_skipped {
        crate::safe_eprintln!("windoctor capture: note: {}: {}", e.path, e.reason);
    }
    for e in &outcome.errors {
        crate::safe_eprintln!("windoctor capture: not captured: {}: {}", e.path, e.reason);
    }
    let size = std::fs::metadata(&path)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| format!(" ({:.1} MB)", m.len() as f64 / 1e6))
        .unwrap_or_default();
    crate::safe_eprintln!(
        "windoctor capture: wrote {} file(s) to {}{size}{}; replay with: windoctor --snapshot {}",
        outcome.written.len() + 1,
        path.display(),
        if outcome.errors.is_empty() {
            String::new()
        } else {
            format!(
                "; INCOMPLETE: {} input(s) could not be read (listed in {CAPTURE_RECORD}, reported as errors on replay)",
                outcome.errors.len()
            )
        },
        path.display()
    );
    EXIT_OK
}

/// Ctrl-C, or SIGTERM/SIGHUP on Unix: the capture stops and removes its working directory.
async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return "interrupt";
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "interrupt",
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupt"
    }
}

/// Reads and writes everything; write errors end up in `failure`.
async fn capture(
    plan: &RunPlan,
    out: &Arc<Output>,
    scope: Scope,
    failure: &WriteFailure,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut probe_request = plan.probe.clone();
    let opts = plan.live.clone();
    let mut cluster = lists::Cluster::default();
    match live::connect(&opts).await {
        Ok(conn) => {
            crate::safe_eprintln!(
                "windoctor capture: listing the cluster ({}) into {}",
                conn.source.describe(),
                out.target().display()
            );
            if let (Some(request), crate::sources::SourceKind::Live { server, .. }) =
                (probe_request.as_mut(), &conn.source)
            {
                request.suggested_target = server.as_deref().and_then(crate::probes::server_target);
            }
            cluster = lists::capture_cluster(&conn.client, &opts, out, scope, failure).await;
            outcome.written.append(&mut cluster.written);
            outcome.errors.append(&mut cluster.errors);
            if (plan.node_data.enabled || plan.fleet.is_some()) && failure.get().is_none() {
                let nodes = super::node_data::capture(
                    &conn.client,
                    &cluster.nodes,
                    std::mem::take(&mut cluster.system_pods),
                    &plan.node_data,
                    plan.fleet.as_ref(),
                    out,
                    failure,
                )
                .await;
                outcome.written.extend(nodes.written);
                outcome.logs_skipped.extend(nodes.skipped);
            }
            if failure.get().is_none() {
                // The flannel and kube-proxy tails the node-data part did not write already.
                let logs = logs::capture_logs(
                    &conn.client,
                    &opts,
                    out,
                    &cluster.logs,
                    &outcome.written,
                    failure,
                )
                .await;
                outcome.written.extend(logs.written);
                outcome.logs_skipped.extend(logs.skipped);
            }
        }
        Err(e) => {
            for input in CLUSTER_INPUTS {
                outcome.errors.push(CaptureError {
                    path: format!("{}.json", input.bundle),
                    reason: format!("no cluster connection: {e}"),
                });
            }
        }
    }
    if failure.get().is_some() {
        return outcome;
    }
    let node_names: Vec<String> = cluster.nodes.iter().map(|n| n.name().to_string()).collect();
    let node_root = plan.node_root.clone();
    let cli_node = plan.node_name.clone();
    let collected = tokio::task::spawn_blocking(move || {
        crate::sources::node::live::collect_this_machine(node_root.as_deref(), cli_node.as_deref())
    })
    .await
    .ok()
    .flatten();
    let mut node_store = None;
    match collected {
        Some(mut store) => {
            if plan.node_name.is_none() {
                name_local_node(&mut store, &node_names);
            }
            match write_node_store(out, &store) {
                Ok(paths) => outcome.written.extend(paths),
                Err(e) => {
                    failure.set(e);
                    return outcome;
                }
            }
            node_store = Some(store);
        }
        None => outcome.notes.push(
            "node part not captured: not running on a Windows node and no --node-root DIR given"
                .to_string(),
        ),
    }
    match probe_request {
        Some(request) => {
            capture_probes(
                &request,
                cluster,
                node_store.as_ref(),
                plan,
                out,
                &mut outcome,
                failure,
            )
            .await
        }
        // The Nodes and Services the lists kept (on a big cluster, 5,000 and 16,000 objects) are
        // not freed one by one: the capture ends once its bundle is finished, and freeing them
        // took some 55 ms at the end of every capture of 5,000 nodes. Nothing in them cleans up
        // on drop.
        None => std::mem::forget(cluster),
    }
    outcome
}

/// Runs the probe phase on the captured facts (the NodePort and ClusterIP plans come from its
/// Services and Nodes, the local node from the node part) and writes `probes/results.json`. A
/// phase that fails is recorded and no file is written: the replay then says the probes were not
/// run, and never passes them.
async fn capture_probes(
    request: &crate::probes::ProbeRequest,
    cluster: lists::Cluster,
    node: Option<&MemoryStore>,
    plan: &RunPlan,
    out: &Output,
    outcome: &mut Outcome,
    failure: &WriteFailure,
) {
    use crate::facts::probes::BUNDLE_FILE;
    use crate::facts::{Facts, Input};
    let mut facts = Facts::default();
    facts.cluster.nodes = Input::Ready(cluster.nodes);
    facts.cluster.services = Input::Ready(cluster.services);
    if let Some(store) = node {
        crate::sources::node::read_node_part(store, &mut facts);
    }
    crate::model::resolve_local_node(&mut facts, plan.node_name.as_deref());
    crate::safe_eprintln!("windoctor capture: running the probes you asked for (--probe)");
    let config = crate::probes::ProbeConfig::default();
    let probes = crate::probes::run_phase(request, &facts, &config).await;
    match probes.results {
        Input::Ready(results) => {
            let json =
                crate::redact::redact(&crate::sources::probe_results::to_bundle_json(&results));
            match out.write(BUNDLE_FILE, json.as_bytes()) {
                Ok(()) => outcome.written.push(BUNDLE_FILE.to_string()),
                Err(e) => failure.set(e),
            }
        }
        Input::Failed(e) | Input::Missing(e) => outcome.errors.push(CaptureError {
            path: BUNDLE_FILE.to_string(),
            reason: format!("the probes were not run: {e}"),
        }),
    }
}

/// Records which Node the host is (host name matched against the captured Node names) in
/// node.json, so that a replay knows it without `--node`.
fn name_local_node(store: &mut MemoryStore, node_names: &[String]) {
    let Some(bytes) = store.files.get("node/node.json") else {
        return;
    };
    let Ok(mut v) = serde_json::from_slice::<Value>(bytes) else {
        return;
    };
    let Some(host) = v
        .get("hostname")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    if let Some(n) = node_names.iter().find(|n| same_host(n, &host)) {
        v["node_name"] = json!(n);
        if let Ok(text) = serde_json::to_string_pretty(&v) {
            store
                .files
                .insert("node/node.json".into(), text.into_bytes());
        }
    }
}

/// Writes every file of `store` into the existing directory `dir`, with the same confinement as a
/// capture: checked paths, directories made one component at a time (never through a symlink),
/// files created new (never overwritten). Returns the paths written.
pub fn write_store(dir: &Path, store: &MemoryStore) -> Result<Vec<String>, String> {
    let mut written = Vec::new();
    for path in store.paths() {
        let bytes = store.read_exact(&path, None)?;
        let path = path.replace('\\', "/");
        let parts = output::checked_parts(&path)?;
        let mut at = dir.to_path_buf();
        for d in &parts[..parts.len() - 1] {
            at.push(d);
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(format!("{} is not a directory", at.display())),
                Err(_) => std::fs::create_dir(&at)
                    .map_err(|e| format!("cannot create {}: {e}", at.display()))?,
            }
        }
        at.push(parts[parts.len() - 1]);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&at)
            .map_err(|e| format!("cannot create {}: {e}", at.display()))?;
        std::io::Write::write_all(&mut f, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", at.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Writes every file of `store` (each path checked) through `out`. Returns the paths written.
fn write_node_store(out: &Output, store: &MemoryStore) -> Result<Vec<String>, String> {
    let mut written = Vec::new();
    for path in store.paths() {
        let bytes = store.read_exact(&path, None)?;
        let path = path.replace('\\', "/");
        out.write(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_node_is_named_from_the_node_list() {
        let mut store = MemoryStore::default();
        store
            .files
            .insert("node/node.json".into(), br#"{"hostname":"WIN-1"}"#.to_vec());
        name_local_node(
            &mut store,
            &["linux-1".into(), "win-1.corp.example.com".into()],
        );
        let v: Value = serde_json::from_slice(&store.files["node/node.json"]).expect("json");
        assert_eq!(v["node_name"], "win-1.corp.example.com");
    }

    #[test]
    fn the_default_target_is_a_new_archive_here() {
        let t = default_target();
        let name = t.to_string_lossy();
        assert!(
            name.starts_with("windoctor-capture-") && name.ends_with(".zip"),
            "{name}"
        );
        assert_eq!(output::Form::of(&t), output::Form::Zip);
    }
}
