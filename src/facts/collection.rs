//! Where a snapshot came from when it is another tool's output: which collector made it (OpenShift
//! must-gather, AKS collect-windows-logs.ps1, microsoft/SDN collectlogs.ps1, aks-periscope, the EKS
//! log collector), one entry per node or cluster part found, what the collection never gathers and
//! why, and notes on what was skipped while reading it (archives left closed, evtx files, refused
//! archive entries). Written as `collection.json` by the translation and read back with the bundle.

use serde::{Deserialize, Serialize};

/// One part of a collection: a collector's output for one node (or for the cluster).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectedPart {
    /// The collector's id, e.g. `aks-collect-windows-logs`.
    pub collector: String,
    /// Its name, e.g. `AKS collect-windows-logs.ps1`.
    pub name: String,
    /// The script and commit windoctor's mapping was read from.
    pub source: String,
    /// The folder of the snapshot holding this part (empty: the snapshot itself).
    pub root: String,
    /// The node part it became (`nodes/NAME/`), when it is about a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// An input the collection does not have, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotGathered {
    /// A bundle input: `cluster/pods`, `node/processes`, `node/files`, `node/eventlog/System`...
    pub input: String,
    pub reason: String,
    /// The node part it is about, for node inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// What the snapshot's collection is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionInfo {
    pub parts: Vec<CollectedPart>,
    #[serde(default)]
    pub not_gathered: Vec<NotGathered>,
    /// Inputs gathered only in part (`cluster/pods`: only some namespaces), with what is missing.
    #[serde(default)]
    pub partial: Vec<NotGathered>,
    /// Cluster inputs whose files could not be read, as `cluster/NAME` -> reason.
    #[serde(default)]
    pub errors: Vec<NotGathered>,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl CollectionInfo {
    /// The collectors that made the snapshot, each named once, in the order found.
    pub fn collectors(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.parts {
            if !out.contains(&p.collector.as_str()) {
                out.push(&p.collector);
            }
        }
        out
    }

    /// Why the cluster input `name` (e.g. `pods`) was not gathered, if the collection says.
    pub fn cluster_reason(&self, name: &str) -> Option<&str> {
        let key = format!("cluster/{name}");
        self.not_gathered
            .iter()
            .find(|n| n.input == key)
            .map(|n| n.reason.as_str())
    }

    /// Why the cluster input `name` could not be read, if the translation failed on it.
    pub fn cluster_error(&self, name: &str) -> Option<&str> {
        let key = format!("cluster/{name}");
        self.errors
            .iter()
            .find(|n| n.input == key)
            .map(|n| n.reason.as_str())
    }
}
