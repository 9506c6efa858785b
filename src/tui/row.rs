//! One check of the checklist: its catalogue entry, its findings, what changed since the previous
//! run, and which findings the current scope admits.
//!
//! While a check is being run again its previous findings stay on screen (`previous`); when the new
//! ones arrive they are compared with them: a finding the previous run did not have is `fresh`, a
//! previous finding the new run no longer reports is kept in `gone`. Findings are the same when their
//! check, code, subject, node and status are (messages carry counts that move between runs).

use super::scope::Scope;
use super::state::CheckInfo;
use crate::findings::{self, Finding, Status};
use std::collections::HashSet;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum RowState {
    Pending,
    Done {
        findings: Vec<Finding>,
        elapsed: Duration,
    },
}

/// One check of the checklist.
#[derive(Debug, Clone)]
pub struct Row {
    pub info: CheckInfo,
    pub state: RowState,
    /// The findings of the previous run while the check runs again.
    pub previous: Option<Vec<Finding>>,
    /// Findings of the previous run that the latest run no longer reports.
    pub gone: Vec<Finding>,
    /// Per finding of `findings()`: whether the previous run did not have it (empty on a first run).
    pub fresh: Vec<bool>,
    /// Indices into `findings()` and `gone` of the findings in scope.
    pub scoped: Vec<usize>,
    pub scoped_gone: Vec<usize>,
    /// Per finding of `findings()`: its searchable text in lower case.
    haystacks: Vec<String>,
}

/// A line of the findings table: a finding of the latest run, or one that went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Current(usize),
    Gone(usize),
}

type Identity<'a> = (&'a str, &'a str, String, Option<&'a str>, Status);

fn identity(f: &Finding) -> Identity<'_> {
    (
        f.check.as_str(),
        f.code.as_str(),
        f.subject.display(),
        f.node.as_deref(),
        f.status,
    )
}

/// The lower-case text a search looks in: status, subject, node, message and evidence.
fn haystack(f: &Finding) -> String {
    let mut s = format!(
        "{} {} {} {}",
        f.status.as_str(),
        f.subject.display(),
        f.node.as_deref().unwrap_or(""),
        f.message
    );
    for e in &f.evidence {
        s.push('\n');
        s.push_str(&e.reference);
        s.push('\n');
        s.push_str(&e.excerpt);
    }
    s.to_lowercase()
}

impl Row {
    pub fn new(info: CheckInfo) -> Row {
        Row {
            info,
            state: RowState::Pending,
            previous: None,
            gone: Vec::new(),
            fresh: Vec::new(),
            scoped: Vec::new(),
            scoped_gone: Vec::new(),
            haystacks: Vec::new(),
        }
    }

    /// Whether the check has not reported for the current run (it may show the previous run's).
    pub fn is_pending(&self) -> bool {
        matches!(self.state, RowState::Pending)
    }

    /// Whether the check runs again and shows its previous findings meanwhile.
    pub fn is_refreshing(&self) -> bool {
        self.is_pending() && self.previous.is_some()
    }

    /// The findings shown: the latest run's, or the previous run's while the check runs again.
    pub fn findings(&self) -> &[Finding] {
        match &self.state {
            RowState::Done { findings, .. } => findings,
            RowState::Pending => self.previous.as_deref().unwrap_or(&[]),
        }
    }

    /// The status of all its findings; `None` while it has never reported. A check that finished
    /// without findings counts as skipped.
    pub fn status(&self) -> Option<Status> {
        if self.is_pending() && self.previous.is_none() {
            return None;
        }
        Some(findings::row_status(self.findings()).unwrap_or(Status::Skip))
    }

    /// The status of its findings in scope (see `status`).
    pub fn scoped_status(&self) -> Option<Status> {
        if self.is_pending() && self.previous.is_none() {
            return None;
        }
        let findings = self.findings();
        Some(
            findings::row_status(self.scoped.iter().map(|i| &findings[*i])).unwrap_or(Status::Skip),
        )
    }

    /// The findings in scope, in the order the check gave them.
    pub fn scoped_findings(&self) -> impl Iterator<Item = &Finding> {
        let findings = self.findings();
        self.scoped.iter().map(move |i| &findings[*i])
    }

    /// The finding a table entry stands for.
    pub fn entry(&self, entry: Entry) -> Option<&Finding> {
        match entry {
            Entry::Current(i) => self.findings().get(i),
            Entry::Gone(i) => self.gone.get(i),
        }
    }

    pub fn is_fresh(&self, i: usize) -> bool {
        self.fresh.get(i).copied().unwrap_or(false)
    }

    /// Whether finding `i` (lower case `needle`) matches a search.
    pub fn finding_matches(&self, i: usize, needle: &str) -> bool {
        self.haystacks.get(i).is_some_and(|h| h.contains(needle))
    }

    /// Whether `needle` (lower case) occurs in the check's id, title or area, or in a finding in
    /// scope.
    pub fn mentions(&self, needle: &str) -> bool {
        let hit = |s: &str| s.to_lowercase().contains(needle);
        hit(&self.info.id)
            || hit(&self.info.title)
            || hit(self.info.area.as_str())
            || self.scoped.iter().any(|i| self.finding_matches(*i, needle))
    }

    /// Records the check's findings for the current run, compared with the previous run's.
    pub fn set_done(&mut self, findings: Vec<Finding>, elapsed: Duration, scope: &Scope) {
        match self.previous.take() {
            Some(previous) => {
                let now: HashSet<Identity> = findings.iter().map(identity).collect();
                let before: HashSet<Identity> = previous.iter().map(identity).collect();
                self.fresh = findings
                    .iter()
                    .map(|f| !before.contains(&identity(f)))
                    .collect();
                self.gone = previous
                    .iter()
                    .filter(|f| !now.contains(&identity(f)))
                    .cloned()
                    .collect();
            }
            None => {
                self.fresh.clear();
                self.gone.clear();
            }
        }
        self.haystacks = findings.iter().map(haystack).collect();
        self.state = RowState::Done { findings, elapsed };
        self.rescope(scope);
    }

    /// Starts a new run of the check: its findings become the previous ones.
    pub fn begin_rerun(&mut self) {
        if let RowState::Done { findings, .. } =
            std::mem::replace(&mut self.state, RowState::Pending)
        {
            self.previous = Some(findings);
        }
        self.fresh.clear();
        self.gone.clear();
        self.scoped_gone.clear();
    }

    /// Recomputes which findings `scope` admits.
    pub fn rescope(&mut self, scope: &Scope) {
        self.scoped = (0..self.findings().len())
            .filter(|i| scope.admits(&self.findings()[*i]))
            .collect();
        self.scoped_gone = (0..self.gone.len())
            .filter(|i| scope.admits(&self.gone[*i]))
            .collect();
    }

    /// New and gone findings in scope.
    pub fn changes(&self) -> (usize, usize) {
        let new = self.scoped.iter().filter(|i| self.is_fresh(**i)).count();
        (new, self.scoped_gone.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Area;
    use crate::findings::Subject;

    fn finding(node: &str, status: Status, message: &str) -> Finding {
        Finding {
            check: "node-ready".into(),
            code: "node-ready".into(),
            node: Some(node.into()),
            title: "t".into(),
            status,
            subject: Subject::node(node),
            message: message.into(),
            evidence: vec![],
            fix: None,
            docs: vec![],
            muted: None,
        }
    }

    fn row() -> Row {
        Row::new(CheckInfo {
            id: "node-ready".into(),
            title: "Nodes are Ready".into(),
            area: Area::Node,
            inputs: vec![],
            explanation: String::new(),
            docs: vec![],
        })
    }

    #[test]
    fn a_rerun_marks_what_appeared_and_keeps_what_went_away() {
        let all = Scope::default();
        let mut r = row();
        r.set_done(
            vec![
                finding("a", Status::Fail, "a is not Ready (x3)"),
                finding("b", Status::Pass, "b is Ready"),
            ],
            Duration::ZERO,
            &all,
        );
        assert!(r.fresh.is_empty(), "a first run marks nothing");
        r.begin_rerun();
        assert!(r.is_refreshing());
        assert_eq!(r.status(), Some(Status::Fail), "the previous result stays");
        assert_eq!(r.findings().len(), 2);
        r.set_done(
            vec![
                finding("a", Status::Fail, "a is not Ready (x9)"),
                finding("b", Status::Fail, "b is not Ready"),
            ],
            Duration::ZERO,
            &all,
        );
        assert_eq!(r.fresh, [false, true], "a new message alone is no change");
        assert_eq!(r.gone.len(), 1);
        assert_eq!(r.gone[0].status, Status::Pass);
        assert_eq!(r.changes(), (1, 1));
    }

    #[test]
    fn scope_narrows_status_and_search() {
        let mut r = row();
        let scope = Scope {
            node: Some("b".into()),
            namespace: None,
        };
        r.set_done(
            vec![
                finding("a", Status::Fail, "a is not Ready"),
                finding("b", Status::Pass, "b is Ready"),
            ],
            Duration::ZERO,
            &scope,
        );
        assert_eq!(r.status(), Some(Status::Fail));
        assert_eq!(r.scoped_status(), Some(Status::Pass));
        assert!(r.mentions("b is ready"));
        assert!(!r.mentions("not ready"));
        r.rescope(&Scope::default());
        assert!(r.mentions("not ready"));
    }
}
