//! The scope the operator looks at: one Windows node and/or one namespace. A finding is in a node's
//! scope when it is about that node (its `node` field), or when it is about no single node and
//! names the node (subject, message or evidence: a Deployment whose pods failed there, an event on
//! it). A finding is in a namespace's scope when its subject lives in that namespace or in none
//! (cluster-wide findings, Nodes), as `-n` scopes a report. Node names
//! compare like Node names do everywhere else: any case, short name against FQDN.
//!
//! Also here: the per-node summary the node picker lists (worst status and problem count of the
//! findings about each node), built once per opening from the findings and the environment.

use crate::facts::cluster::same_host;
use crate::findings::{self, Finding, Status};
use crate::model::environment::WindowsNodeSummary;
use std::collections::{BTreeMap, HashMap};

/// What the checklist, counts and details are narrowed to. `None` means everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub node: Option<String>,
    pub namespace: Option<String>,
}

impl Scope {
    pub fn is_everything(&self) -> bool {
        self.node.is_none() && self.namespace.is_none()
    }

    /// Whether `f` is in scope.
    pub fn admits(&self, f: &Finding) -> bool {
        if let Some(ns) = &self.namespace {
            if f.subject.namespace.as_deref().is_some_and(|n| n != ns) {
                return false;
            }
        }
        match &self.node {
            None => true,
            Some(node) => match &f.node {
                Some(n) => same_host(n, node),
                // An input that could not be read for the whole cluster (the API unreachable on a
                // refresh, a list refused) is why the node's own findings are missing: it stays,
                // so a failed read never looks like every finding being gone.
                None if f.subject.kind == "Input"
                    && f.subject.name != "node"
                    && !f.subject.name.starts_with("node/") =>
                {
                    true
                }
                None => mentioned_hosts(f).any(|h| same_host(h, node)),
            },
        }
    }

    /// `node akswin000007 · namespace web`, or `everything`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = &self.node {
            parts.push(format!("node {n}"));
        }
        if let Some(ns) = &self.namespace {
            parts.push(format!("namespace {ns}"));
        }
        if parts.is_empty() {
            "everything".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

/// Words of a finding's texts that could be host names: runs of letters, digits, `-`, `_` and `.`
/// (trailing dots dropped), from the subject name, the message and the evidence.
fn mentioned_hosts(f: &Finding) -> impl Iterator<Item = &str> {
    let texts = std::iter::once(f.subject.name.as_str())
        .chain(std::iter::once(f.message.as_str()))
        .chain(
            f.evidence
                .iter()
                .flat_map(|e| [e.reference.as_str(), e.excerpt.as_str()]),
        );
    texts.flat_map(host_words)
}

fn host_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map(|w| w.trim_matches('.'))
        .filter(|w| w.len() >= 2 && w.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// One line of the node picker.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeEntry {
    pub name: String,
    /// Worst status among the findings about the node; `None` when none is.
    pub worst: Option<Status>,
    /// Findings about the node that are fail, error or warn.
    pub problems: usize,
    pub findings: usize,
    /// From the Node object, when the run read it.
    pub summary: Option<WindowsNodeSummary>,
}

/// The Windows nodes of the environment plus any other node findings are about, each with the
/// worst status of its findings; worst first, then by name.
pub fn node_entries<'a>(
    windows_nodes: &[WindowsNodeSummary],
    findings: impl IntoIterator<Item = &'a Finding>,
) -> Vec<NodeEntry> {
    let mut entries: Vec<NodeEntry> = windows_nodes
        .iter()
        .map(|n| NodeEntry {
            name: n.name.clone(),
            worst: None,
            problems: 0,
            findings: 0,
            summary: Some(n.clone()),
        })
        .collect();
    // Lookup by lower-case full name and by short name (unique short names only).
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_short: HashMap<String, Option<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_name.insert(e.name.to_ascii_lowercase(), i);
        let short = short_name(&e.name);
        by_short
            .entry(short)
            .and_modify(|v| *v = None)
            .or_insert(Some(i));
    }
    let find = |name: &str,
                by_name: &HashMap<String, usize>,
                by_short: &HashMap<String, Option<usize>>| {
        let lower = name.to_ascii_lowercase();
        by_name
            .get(&lower)
            .copied()
            .or_else(|| by_short.get(&short_name(&lower)).copied().flatten())
    };
    let mut statuses: BTreeMap<usize, Vec<Status>> = BTreeMap::new();
    for f in findings {
        let mut hit: Vec<usize> = Vec::new();
        match &f.node {
            Some(n) => match find(n, &by_name, &by_short) {
                Some(i) => hit.push(i),
                None => {
                    entries.push(NodeEntry {
                        name: n.clone(),
                        worst: None,
                        problems: 0,
                        findings: 0,
                        summary: None,
                    });
                    let i = entries.len() - 1;
                    by_name.insert(n.to_ascii_lowercase(), i);
                    hit.push(i);
                }
            },
            None => {
                for w in mentioned_hosts(f) {
                    if let Some(i) = find(w, &by_name, &by_short) {
                        // A short word only counts when the node has a short name of its own.
                        if same_host(w, &entries[i].name) && !hit.contains(&i) {
                            hit.push(i);
                        }
                    }
                }
            }
        }
        for i in hit {
            statuses.entry(i).or_default().push(f.status);
        }
    }
    for (i, list) in statuses {
        let e = &mut entries[i];
        e.findings = list.len();
        e.problems = list
            .iter()
            .filter(|s| matches!(s, Status::Fail | Status::Error | Status::Warn))
            .count();
        e.worst = findings::row_status_of(list);
    }
    entries.sort_by(|a, b| {
        let rank = |e: &NodeEntry| std::cmp::Reverse(e.worst.map_or(0, |s| s.row_rank() + 1));
        rank(a)
            .cmp(&rank(b))
            .then(b.problems.cmp(&a.problems))
            .then_with(|| a.name.cmp(&b.name))
    });
    entries
}

fn short_name(name: &str) -> String {
    name.split('.').next().unwrap_or("").to_ascii_lowercase()
}

/// One line of the namespace picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceEntry {
    pub name: String,
    pub worst: Option<Status>,
    pub problems: usize,
    pub findings: usize,
}

/// The namespaces findings' subjects live in, worst first, then by name.
pub fn namespace_entries<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
) -> Vec<NamespaceEntry> {
    let mut by: BTreeMap<&str, Vec<Status>> = BTreeMap::new();
    for f in findings {
        if let Some(ns) = &f.subject.namespace {
            by.entry(ns.as_str()).or_default().push(f.status);
        }
    }
    let mut out: Vec<NamespaceEntry> = by
        .into_iter()
        .map(|(name, list)| NamespaceEntry {
            name: name.to_string(),
            problems: list
                .iter()
                .filter(|s| matches!(s, Status::Fail | Status::Error | Status::Warn))
                .count(),
            findings: list.len(),
            worst: findings::row_status_of(list),
        })
        .collect();
    out.sort_by(|a, b| {
        let rank = |e: &NamespaceEntry| std::cmp::Reverse(e.worst.map_or(0, |s| s.row_rank() + 1));
        rank(a)
            .cmp(&rank(b))
            .then(b.problems.cmp(&a.problems))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Evidence, Subject};

    fn finding(node: Option<&str>, subject: Subject, message: &str, status: Status) -> Finding {
        Finding {
            check: "x".into(),
            code: "x".into(),
            node: node.map(str::to_string),
            title: "x".into(),
            status,
            subject,
            message: message.into(),
            evidence: vec![],
            fix: None,
            docs: vec![],
            muted: None,
        }
    }

    fn summary(name: &str) -> WindowsNodeSummary {
        WindowsNodeSummary {
            name: name.into(),
            os_image: "Windows Server 2022 Datacenter".into(),
            kernel_version: "10.0.20348.2762".into(),
            build: Some(20348),
            container_runtime: "containerd://1.7.20".into(),
            kubelet_version: "v1.31.2".into(),
            ready: true,
        }
    }

    #[test]
    fn node_scope_keeps_cluster_input_errors() {
        let scope = Scope {
            node: Some("akswin000003".into()),
            namespace: None,
        };
        let unreachable = finding(
            None,
            Subject::new("Input", "nodes"),
            "cluster/nodes could not be read: connection refused (is the API server at 127.0.0.1:47611 running?)",
            Status::Error,
        );
        assert!(scope.admits(&unreachable));
        let other_node_input = finding(
            Some("akswin000004"),
            Subject::new("Input", "node"),
            "could not be evaluated",
            Status::Error,
        );
        assert!(!scope.admits(&other_node_input));
        let unnamed_node_input = finding(
            None,
            Subject::new("Input", "node/processes"),
            "not evaluated",
            Status::Skip,
        );
        assert!(!scope.admits(&unnamed_node_input));
    }

    #[test]
    fn node_scope_takes_the_node_field_then_mentions() {
        let scope = Scope {
            node: Some("akswin000007".into()),
            namespace: None,
        };
        let own = finding(
            Some("AKSWIN000007"),
            Subject::node("AKSWIN000007"),
            "x",
            Status::Fail,
        );
        let other = finding(
            Some("akswin000070"),
            Subject::node("akswin000070"),
            "mentions akswin000007 in passing",
            Status::Fail,
        );
        let mut deployment = finding(
            None,
            Subject::namespaced("Deployment", "web", "iis"),
            "its pods run on build 20348 node(s) akswin000072, akswin000007.corp.example.com",
            Status::Fail,
        );
        let unrelated = finding(
            None,
            Subject::namespaced("Deployment", "web", "iis"),
            "its pods run on akswin0000071 and akswin00000",
            Status::Fail,
        );
        assert!(scope.admits(&own));
        assert!(
            !scope.admits(&other),
            "a finding about another node stays out"
        );
        assert!(scope.admits(&deployment));
        assert!(!scope.admits(&unrelated));
        deployment.message = "nothing".into();
        deployment.evidence(Evidence::event(
            "Pod/web/iis-1 Failed",
            "Failed (x3) on akswin000007: pull",
        ));
        assert!(scope.admits(&deployment), "evidence counts");
    }

    #[test]
    fn namespace_scope_is_the_subjects_namespace() {
        let scope = Scope {
            node: None,
            namespace: Some("web".into()),
        };
        assert!(scope.admits(&finding(
            None,
            Subject::namespaced("Pod", "web", "a"),
            "",
            Status::Pass
        )));
        assert!(!scope.admits(&finding(
            None,
            Subject::namespaced("Pod", "web-2", "a"),
            "",
            Status::Pass
        )));
        assert!(
            scope.admits(&finding(None, Subject::node("n"), "", Status::Pass)),
            "cluster-wide findings stay, as with -n"
        );
        assert_eq!(scope.describe(), "namespace web");
        assert_eq!(Scope::default().describe(), "everything");
    }

    #[test]
    fn node_entries_rank_worst_first_and_add_nodes_only_findings_name() {
        let nodes = [summary("win-a"), summary("win-b.corp.example.com")];
        let findings = [
            finding(Some("win-a"), Subject::node("win-a"), "", Status::Pass),
            finding(
                None,
                Subject::namespaced("Deployment", "web", "iis"),
                "pods on win-b fail",
                Status::Warn,
            ),
            finding(Some("win-c"), Subject::file(r"C:\k\x"), "", Status::Error),
        ];
        let entries = node_entries(&nodes, &findings);
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["win-c", "win-b.corp.example.com", "win-a"]);
        assert_eq!(entries[0].worst, Some(Status::Error));
        assert!(entries[0].summary.is_none());
        assert_eq!(entries[1].worst, Some(Status::Warn));
        assert_eq!(entries[1].problems, 1);
        assert_eq!(entries[2].findings, 1);
    }

    #[test]
    fn namespace_entries_count_problems() {
        let findings = [
            finding(None, Subject::namespaced("Pod", "b", "x"), "", Status::Pass),
            finding(None, Subject::namespaced("Pod", "a", "x"), "", Status::Fail),
            finding(None, Subject::namespaced("Pod", "a", "y"), "", Status::Warn),
            finding(None, Subject::node("n"), "", Status::Fail),
        ];
        let e = namespace_entries(&findings);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "a");
        assert_eq!(e[0].problems, 2);
        assert_eq!(e[1].worst, Some(Status::Pass));
    }
}
