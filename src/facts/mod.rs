//! Facts: plain data the checks read, with no I/O.
//!
//! Sources (a bundle directory, the embedded demo, the live cluster, the local node) fill a `Facts`.
//! Every input is an `Input<T>`: ready, not captured (the check reports `skip` and names it), or
//! failed to read (the check reports `error` with the reason). Checks never see a missing input as an
//! empty one, so an unreadable input can never turn into a `pass`.

pub mod cluster;
pub mod collection;
pub mod details;
pub mod inputs;
pub mod json_scan;
pub mod k8s;
pub mod network;
pub mod node;
pub mod pod_head;
pub mod probes;
pub mod share;
pub mod versions;
pub mod windows;

pub use cluster::ClusterFacts;
pub use node::NodeFacts;
pub use probes::ProbeFacts;

/// Which source a run used, for the report header and the TUI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    Live {
        context: Option<String>,
        server: Option<String>,
    },
    Snapshot {
        path: String,
    },
    Demo,
}

impl SourceKind {
    /// One line naming the source, for headers, stderr and files written: credentials in the server
    /// URL (`http://admin:PASS@...`) are redacted and control characters escaped.
    pub fn describe(&self) -> String {
        crate::output::line_for_terminal(&self.describe_raw())
    }

    fn describe_raw(&self) -> String {
        match self {
            SourceKind::Live { context, server } => format!(
                "live: context {} ({})",
                context.as_deref().unwrap_or("(in-cluster)"),
                server.as_deref().unwrap_or("unknown server")
            ),
            SourceKind::Snapshot { path } => format!("snapshot: {path}"),
            SourceKind::Demo => "demo: embedded broken mixed cluster".to_string(),
        }
    }
}

/// One input of the checks and whether it could be had.
#[derive(Debug, Clone, PartialEq)]
pub enum Input<T> {
    Ready(T),
    /// Not captured: the source does not have it (e.g. `cluster/events.json` absent from a bundle).
    /// The string names the input as an operator would look for it.
    Missing(String),
    /// Could not be read: the string says why, e.g. `cannot list events: forbidden (...)`.
    Failed(String),
}

impl<T> Default for Input<T> {
    fn default() -> Self {
        Input::Missing("input not collected".to_string())
    }
}

impl<T> Input<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Input::Ready(t) => Some(t),
            _ => None,
        }
    }
    pub fn is_ready(&self) -> bool {
        matches!(self, Input::Ready(_))
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Input<U> {
        match self {
            Input::Ready(t) => Input::Ready(f(t)),
            Input::Missing(m) => Input::Missing(m),
            Input::Failed(e) => Input::Failed(e),
        }
    }
}

/// How an input stands once a source is done with it: ready with a count of items, not captured,
/// or failed with the reason.
#[derive(Debug, Clone, PartialEq)]
pub enum InputOutcome {
    Ready(usize),
    Missing(String),
    Failed(String),
}

/// How many items a ready input holds, for progress lines.
pub trait Count {
    fn count(&self) -> usize;
}

impl<T> Count for Vec<T> {
    fn count(&self) -> usize {
        self.len()
    }
}

impl Count for k8s::ServerVersion {
    fn count(&self) -> usize {
        1
    }
}

impl<T: Count> Input<T> {
    pub fn outcome(&self) -> InputOutcome {
        match self {
            Input::Ready(v) => InputOutcome::Ready(v.count()),
            Input::Missing(m) => InputOutcome::Missing(m.clone()),
            Input::Failed(e) => InputOutcome::Failed(e.clone()),
        }
    }
}

/// Everything the checks may read in one run.
#[derive(Debug, Default)]
pub struct Facts {
    pub cluster: ClusterFacts,
    pub node: NodeFacts,
    /// Node parts of other Windows nodes (`nodes/NAME/` of a bundle, or read through the API in a
    /// live run), each naming its Node, in name order.
    pub remote_nodes: Vec<NodeFacts>,
    /// Which collector made the snapshot, when it is another tool's output.
    pub collection: Option<collection::CollectionInfo>,
    pub probes: ProbeFacts,
    /// The Node name the local machine is (from `--node`, node.json, or hostname matching).
    pub local_node_name: Option<String>,
}

impl Facts {
    /// The Node object of the local machine, if both are known.
    pub fn local_node(&self) -> Option<&k8s::Node> {
        let name = self.local_node_name.as_deref()?;
        self.cluster
            .nodes
            .ready()?
            .iter()
            .find(|n| n.metadata.name == name)
    }
}

#[cfg(test)]
mod source_kind_tests {
    use super::SourceKind;

    #[test]
    fn descriptions_carry_no_credentials_or_controls() {
        let live = SourceKind::Live {
            context: Some("ctx\u{1b}]0;title\u{7}".to_string()),
            server: Some("http://admin:PASS-w0rd@127.0.0.1:6443/".to_string()),
        };
        let text = live.describe();
        assert!(!text.contains("PASS-w0rd"), "{text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("127.0.0.1:6443"), "{text}");
    }
}
