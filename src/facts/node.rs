//! Facts about the local Windows node (processes, services, HNS networks, adapters, environment and
//! the files the node checks read). Filled from a bundle's `node/` part or by the live collector.
//!
//! The node part is optional: `present` is false when no node data was captured at all, and then
//! every node-side check reports `skip`.

use super::Input;

#[derive(Debug, Default)]
pub struct NodeFacts {
    /// True when the source has a node part (`node/node.json` exists or the live collector ran).
    pub present: bool,
    /// Host name of the local machine as the node part recorded it.
    pub hostname: Input<String>,
}
