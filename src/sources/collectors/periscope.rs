//! aks-periscope: blobs are stored as `<RUN_ID>/<node>/<key>` and each node's zip as
//! `<node>.zip` (`Azure/aks-periscope@c55d8b9:pkg/exporter/azureblob_exporter.go#L88`,
//! `cmd/aks-periscope/aks-periscope.go#L185-L191`), so the folder (or zip) name is the node. On the
//! node itself (`C:\k\periscope-diagnostic-output\logs`) the AKS transcript names it.

use super::table::Detect;
use super::{aks, Tree};
use crate::sources::files::FileStore;

pub fn node_of(
    store: &dyn FileStore,
    tree: &Tree,
    dir: &str,
    name: &str,
    d: &Detect,
) -> (Option<String>, Option<String>) {
    if d.folder.is_some() {
        let logs = Tree::join(dir, d.node_data.as_deref().unwrap_or("logs"));
        return aks::node_of(store, tree, &logs, "");
    }
    let node = name.strip_suffix(".zip").unwrap_or(name);
    (Some(node.to_string()), None)
}
