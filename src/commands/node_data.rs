//! `capture`'s node-data part: every Windows node's data read through the API (see
//! `sources::nodeapi`), written as `nodes/NAME/` parts with the system pods' log tails under
//! `cluster/logs/NS/POD/CONTAINER.log` (`CONTAINER.previous.log`), so that a replay reads what a
//! live run read.

use super::capture::Summary;
use crate::facts::k8s::{Node, Pod};
use crate::facts::{Facts, Input};
use crate::sources::live::Connection;
use crate::sources::nodeapi::{self, NodeDataOptions, NodePart};
use serde_json::Value;
use std::path::Path;

/// Reads the node data of the Windows nodes among `nodes` (raw Node objects as listed) with the
/// system pods among `pods`, and writes it under `dir`.
pub async fn capture(
    conn: &Connection,
    nodes: &[Value],
    pods: &[Value],
    opts: &NodeDataOptions,
    fleet: Option<&crate::fleet::FleetRequest>,
    dir: &Path,
) -> Summary {
    let mut summary = Summary::default();
    let mut facts = Facts::default();
    facts.cluster.nodes = Input::Ready(slim::<Node>(nodes.iter()));
    // Only pods bound to a node can be system pods of one.
    facts.cluster.pods = Input::Ready(slim::<Pod>(
        pods.iter()
            .filter(|p| p.pointer("/spec/nodeName").is_some()),
    ));
    let plans = nodeapi::plan_nodes(&facts, opts.pods_per_node);
    if plans.is_empty() {
        return summary;
    }
    if opts.enabled {
        eprintln!(
            "windoctor capture: reading {} Windows node(s) through the API (system pod logs, configz, the kubelet's log directory)",
            plans.len()
        );
    }
    let mut opts = opts.clone();
    opts.progress = true;
    let started = std::time::Instant::now();
    let parts = crate::fleet::node_parts(&conn.client, plans, &opts, fleet).await;
    for part in &parts {
        write_part(dir, part, &mut summary);
    }
    eprintln!(
        "windoctor capture: node data of {} node(s) in {:.1} s",
        parts.len(),
        started.elapsed().as_secs_f64()
    );
    summary
}

/// Slim facts from the raw objects capture listed.
fn slim<'a, T: serde::de::DeserializeOwned>(items: impl Iterator<Item = &'a Value>) -> Vec<T> {
    items.filter_map(|v| T::deserialize(v).ok()).collect()
}

/// Writes one part's files: `nodes/NAME/...` and `cluster/logs/...`.
pub fn write_part(dir: &Path, part: &NodePart, summary: &mut Summary) {
    for (path, bytes) in part.bundle_files() {
        let target = dir.join(&path);
        let result = target
            .parent()
            .map(std::fs::create_dir_all)
            .unwrap_or(Ok(()))
            .and_then(|_| std::fs::write(&target, bytes));
        match result {
            Ok(()) => summary.written.push(path),
            Err(e) => summary
                .problems
                .push(format!("cannot write {}: {e}", target.display())),
        }
    }
}
