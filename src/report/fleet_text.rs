//! Sentences about the fleet report shared by the text and markdown writers.

use super::fleet::FleetReport;
use std::collections::BTreeMap;

/// "37 read through the API, 3 collected on the node".
pub fn origins(fleet: &FleetReport) -> String {
    let api = fleet.nodes.iter().filter(|n| n.origin == "api").count();
    let node = fleet.nodes.len() - api;
    let mut parts = Vec::new();
    if api > 0 {
        parts.push(format!("{api} read through the API"));
    }
    if node > 0 {
        parts.push(format!("{node} collected on the node"));
    }
    parts.join(", ")
}

/// One line per source and reason that was not read, with the nodes it concerns (at most
/// `max_lines` lines): "configz failed on 2 node(s) (win-1, win-2): forbidden (...)".
pub fn unread_sources(fleet: &FleetReport, max_lines: usize) -> Vec<String> {
    let mut by_reason: BTreeMap<(&str, &str, &str), Vec<&str>> = BTreeMap::new();
    for n in &fleet.nodes {
        for s in &n.sources {
            if s.state != "read" {
                by_reason
                    .entry((s.source, s.state, s.detail.as_str()))
                    .or_default()
                    .push(n.name.as_str());
            }
        }
    }
    let mut lines: Vec<(usize, String)> = by_reason
        .into_iter()
        .map(|((source, state, detail), nodes)| {
            let shown: Vec<&str> = nodes.iter().take(5).copied().collect();
            let more = nodes.len().saturating_sub(5);
            (
                nodes.len(),
                format!(
                    "{source} {state} on {} node(s) ({}{}): {detail}",
                    nodes.len(),
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
            )
        })
        .collect();
    lines.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    lines.into_iter().take(max_lines).map(|(_, l)| l).collect()
}
