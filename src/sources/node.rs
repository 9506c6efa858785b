//! The node part of a bundle (`node/`): what was captured on the Windows node.
//!
//! `node/node.json` marks the node part as present; from then on a file absent under `node/files/`
//! means the file does not exist on the node (SPEC section 3).

use super::files::FileStore;
use crate::facts::{Facts, Input};

pub fn read_node_part(store: &dyn FileStore, facts: &mut Facts) {
    let Ok(Some(bytes)) = store.read("node/node.json") else {
        facts.node.present = false;
        facts.node.hostname = Input::Missing(
            "node/node.json was not captured (no node part in this bundle)".to_string(),
        );
        return;
    };
    facts.node.present = true;
    let text = super::text::decode(&bytes);
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => {
            facts.node.hostname = match v.get("hostname").and_then(|h| h.as_str()) {
                Some(h) => Input::Ready(h.to_string()),
                None => Input::Failed("node/node.json has no \"hostname\"".to_string()),
            };
            if facts.local_node_name.is_none() {
                facts.local_node_name = v
                    .get("node_name")
                    .and_then(|n| n.as_str())
                    .map(str::to_string);
            }
        }
        Err(e) => {
            facts.node.hostname = Input::Failed(format!("node/node.json is not valid JSON: {e}"))
        }
    }
}
