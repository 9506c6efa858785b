//! `capture`'s node-data part: every Windows node's data read through the API (see
//! `sources::nodeapi`), written as `nodes/NAME/` parts with the system pods' log tails under
//! `cluster/logs/NS/POD/CONTAINER.log` (`CONTAINER.previous.log`), so that a replay reads what a
//! live run read. It is planned from what the streamed lists kept: the Nodes (slim) and the system
//! pods of the Windows nodes (`sources::nodeapi::system_pod`), never the whole pod list.

use super::capture::lists::WriteFailure;
use super::capture::output::{checked_parts, Output};
use crate::facts::k8s::{Node, Pod};
use crate::facts::{Facts, Input};
use crate::sources::bundle::CaptureError;
use crate::sources::nodeapi::{self, NodeDataOptions, NodePart};
use kube::Client;

/// What the node-data part wrote, and the files it could not write under a safe name.
#[derive(Debug, Default)]
pub struct NodeData {
    pub written: Vec<String>,
    pub skipped: Vec<CaptureError>,
}

/// Reads the node data of the Windows nodes among `nodes` with their system pods `pods`, and
/// writes it through `out`; a write error is the capture's `failure`.
pub async fn capture(
    client: &Client,
    nodes: &[Node],
    pods: Vec<Pod>,
    opts: &NodeDataOptions,
    fleet: Option<&crate::fleet::FleetRequest>,
    out: &Output,
    failure: &WriteFailure,
) -> NodeData {
    let mut written = NodeData::default();
    let mut facts = Facts::default();
    facts.cluster.nodes = Input::Ready(nodes.to_vec());
    facts.cluster.pods = Input::Ready(pods);
    let plans = nodeapi::plan_nodes(&facts, opts.pods_per_node);
    if plans.is_empty() {
        return written;
    }
    if opts.enabled {
        crate::safe_eprintln!(
            "windoctor capture: reading {} Windows node(s) through the API (system pod logs, configz, the kubelet's log directory)",
            plans.len()
        );
    }
    let mut opts = opts.clone();
    opts.progress = true;
    let started = std::time::Instant::now();
    let parts = crate::fleet::node_parts(client, plans, &opts, fleet).await;
    for part in &parts {
        if write_part(out, part, &mut written, failure).is_err() {
            return written;
        }
    }
    crate::safe_eprintln!(
        "windoctor capture: node data of {} node(s) in {:.1} s",
        parts.len(),
        started.elapsed().as_secs_f64()
    );
    written
}

/// Writes one part's files: `nodes/NAME/...` and `cluster/logs/...`. A path made of names from the
/// API that is not safe in a bundle is recorded as skipped; a write error stops the capture.
fn write_part(
    out: &Output,
    part: &NodePart,
    written: &mut NodeData,
    failure: &WriteFailure,
) -> Result<(), ()> {
    for (path, bytes) in part.bundle_files() {
        if let Err(why) = checked_parts(&path) {
            written.skipped.push(CaptureError {
                path: format!("nodes/{}", part.node),
                reason: format!("not written: {}", crate::redact::redact(&why)),
            });
            continue;
        }
        match out.write(&path, bytes) {
            Ok(()) => written.written.push(path),
            Err(why) => {
                failure.set(why);
                return Err(());
            }
        }
    }
    Ok(())
}
