//! Gathering what a run reads, except the live cluster lists (which the engine streams): the demo
//! or a bundle read whole, this machine's node part, and deciding which Node the local machine is.

use crate::facts::Facts;
use crate::plan::{RunPlan, SourceChoice};
use crate::sources::{self, SourceKind};

/// The facts of an offline source (demo or bundle) and what to call it. Errors are configuration
/// errors (exit 2) that say what to do.
pub(crate) fn offline(plan: &RunPlan) -> Result<Option<(Facts, SourceKind)>, String> {
    match &plan.source {
        SourceChoice::Demo => Ok(Some((sources::demo::facts(), SourceKind::Demo))),
        SourceChoice::Snapshot(dir) => {
            let store = sources::snapshot::open(dir)?;
            let record = sources::bundle::CaptureRecord::read(store.as_ref());
            let mut path = dir.display().to_string();
            if record.incomplete() {
                path.push_str(&format!(
                    " (incomplete capture: capture.json lists {} error(s))",
                    record.errors.len()
                ));
            }
            Ok(Some((
                sources::bundle::read_bundle(store.as_ref()),
                SourceKind::Snapshot { path },
            )))
        }
        SourceChoice::Live => Ok(None),
    }
}

/// Collects the local node part for a live run (on a Windows node, or from `--node-root`). Without
/// either, the node part stays absent and node checks report `skip`.
pub(crate) async fn node_part(plan: &RunPlan, facts: &mut Facts) {
    sources::node::live::gather_into(plan.node_root.clone(), plan.node_name.clone(), facts).await;
}
