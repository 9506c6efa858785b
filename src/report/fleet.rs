//! The fleet report: when a run holds node data of Windows nodes (read through the API, collected
//! by `windoctor fleet`, or on the node), the node checks' findings per node and aggregated per
//! check part and status ("SourceVip.json is stale: fail on 3 of 40 Windows nodes: a, b, c"), and
//! per node which sources were read. Built from findings and the environment summary only.

use crate::findings::{Finding, Status};
use crate::model::environment::EnvironmentSummary;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// Nodes named in an aggregated line before "and N more".
const NAMED: usize = 10;

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct FleetReport {
    /// Windows nodes in the cluster (or, without a node list, nodes with findings).
    pub windows_nodes: usize,
    /// Nodes with a node part in this run.
    pub node_parts: usize,
    pub nodes: Vec<FleetNode>,
    /// One line per check part and status over the nodes, worst first.
    pub checks: Vec<FleetCheck>,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct FleetNode {
    pub name: String,
    /// `node` (collected on the node) or `api` (read through the API).
    #[schemars(extend("enum" = ["node", "api"]))]
    pub origin: &'static str,
    pub sources: Vec<FleetSource>,
    /// Findings about this node per status.
    pub summary: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct FleetSource {
    /// pod-log, configz, node-log, node-log-query, fleet.
    #[schemars(extend("enum" = ["pod-log", "configz", "node-log", "node-log-query", "fleet"]))]
    pub source: &'static str,
    /// read, missing, failed.
    #[schemars(extend("enum" = ["read", "missing", "failed"]))]
    pub state: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[schemars(deny_unknown_fields)]
pub struct FleetCheck {
    #[schemars(schema_with = "super::schema::check_id")]
    pub check: String,
    pub code: String,
    pub status: Status,
    /// How many nodes have at least one finding of this part with this status.
    pub count: usize,
    /// Out of how many Windows nodes.
    pub of: usize,
    /// The nodes, in name order.
    pub nodes: Vec<String>,
    /// "<title>: fail on 3 of 40 Windows nodes: a, b, c".
    pub message: String,
    /// One finding's message, as an example of what the nodes share.
    pub example: String,
}

/// The fleet report of `findings`, `None` when no finding is about a node part.
pub fn build(env: &EnvironmentSummary, findings: &[Finding]) -> Option<FleetReport> {
    let part_names: Vec<&str> = env.node_parts.iter().map(|p| p.name.as_str()).collect();
    let about_parts: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.node.as_deref().is_some_and(|n| part_names.contains(&n)))
        .collect();
    // One node part collected on this machine is the ordinary single-node report.
    let several = env.node_parts.len() > 1 || env.node_parts.iter().any(|p| p.origin == "api");
    if !several || about_parts.is_empty() {
        return None;
    }
    let of = env.windows_node_count.max(env.node_parts.len());
    let mut groups: BTreeMap<(String, Status), (String, Vec<String>, String)> = BTreeMap::new();
    for f in &about_parts {
        let node = f.node.clone().unwrap_or_default();
        let entry = groups
            .entry((f.code.clone(), f.status))
            .or_insert_with(|| (f.check.clone(), Vec::new(), f.message.clone()));
        if !entry.1.contains(&node) {
            entry.1.push(node);
        }
    }
    let mut checks: Vec<FleetCheck> = groups
        .into_iter()
        .map(|((code, status), (check, mut nodes, example))| {
            nodes.sort();
            let label = crate::catalogue::meta(&check)
                .map(|m| {
                    let part = code.split('/').nth(1);
                    m.parts
                        .iter()
                        .find(|p| Some(p.code.as_str()) == part)
                        .map(|p| p.title.clone())
                        .unwrap_or_else(|| m.title.clone())
                })
                .unwrap_or_else(|| check.clone());
            let shown: Vec<&str> = nodes.iter().take(NAMED).map(String::as_str).collect();
            let more = nodes.len().saturating_sub(NAMED);
            let message = format!(
                "{label}: {status} on {} of {of} Windows nodes: {}{}",
                nodes.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
            FleetCheck {
                check,
                code,
                status,
                count: nodes.len(),
                of,
                nodes,
                message,
                example,
            }
        })
        .collect();
    let order = |c: &FleetCheck| {
        (
            std::cmp::Reverse(c.status.row_rank()),
            crate::catalogue::CHECK_IDS
                .iter()
                .position(|id| *id == c.check),
            c.code.clone(),
        )
    };
    checks.sort_by_key(order);
    let nodes = env
        .node_parts
        .iter()
        .map(|p| {
            let mut summary: BTreeMap<&'static str, usize> =
                Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
            for f in about_parts
                .iter()
                .filter(|f| f.node.as_deref() == Some(p.name.as_str()))
            {
                *summary.entry(f.status.as_str()).or_default() += 1;
            }
            FleetNode {
                name: p.name.clone(),
                origin: p.origin,
                sources: p
                    .sources
                    .iter()
                    .map(|(source, state, detail)| FleetSource {
                        source,
                        state,
                        detail: detail.clone(),
                    })
                    .collect(),
                summary,
            }
        })
        .collect();
    Some(FleetReport {
        windows_nodes: env.windows_node_count,
        node_parts: env.node_parts.len(),
        nodes,
        checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Subject;
    use crate::model::environment::NodePartSummary;

    fn finding(check: &str, node: &str, status: Status) -> Finding {
        Finding {
            check: check.into(),
            code: check.into(),
            node: Some(node.into()),
            title: "t".into(),
            status,
            subject: Subject::node(node),
            message: format!("{node} message"),
            evidence: vec![],
            fix: None,
            docs: vec![],
            muted: None,
        }
    }

    #[test]
    fn aggregates_per_check_and_status() {
        let env = EnvironmentSummary {
            windows_node_count: 40,
            node_parts: ["a", "b", "c", "d"]
                .iter()
                .map(|n| NodePartSummary {
                    name: n.to_string(),
                    local: false,
                    origin: "api",
                    sources: vec![("configz", "read", "read (1 bytes)".into())],
                })
                .collect(),
            ..Default::default()
        };
        let findings = vec![
            finding("flannel-sourcevip", "c", Status::Fail),
            finding("flannel-sourcevip", "a", Status::Fail),
            finding("flannel-sourcevip", "b", Status::Fail),
            finding("flannel-sourcevip", "d", Status::Pass),
            finding("node-ready", "a", Status::Pass),
        ];
        let fleet = build(&env, &findings).expect("fleet");
        assert_eq!(fleet.checks[0].status, Status::Fail);
        assert_eq!(fleet.checks[0].nodes, ["a", "b", "c"]);
        assert!(
            fleet.checks[0]
                .message
                .ends_with(": fail on 3 of 40 Windows nodes: a, b, c"),
            "{}",
            fleet.checks[0].message
        );
        assert_eq!(fleet.nodes.len(), 4);
        assert_eq!(fleet.nodes[0].summary["fail"], 1);
        assert!(build(&EnvironmentSummary::default(), &findings).is_none());
    }
}
