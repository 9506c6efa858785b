//! The state of the screens opened from a check: the details (findings table and the selected
//! finding), the evidence viewer, the object summary, the commands view, and the node and namespace
//! pickers. Each holds what it shows, computed once when it is opened (an evidence's whole text, an
//! object's summary), so that drawing stays cheap on big clusters.

use super::describe::{Described, ObjectRef};
use super::evidence::SourceText;
use super::scope::{NamespaceEntry, NodeEntry};
use crate::findings::Finding;

/// How the findings table is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingSort {
    /// Worst first, then by subject.
    Status,
    Subject,
    Node,
    Message,
}

impl FindingSort {
    pub fn next(self) -> FindingSort {
        match self {
            FindingSort::Status => FindingSort::Subject,
            FindingSort::Subject => FindingSort::Node,
            FindingSort::Node => FindingSort::Message,
            FindingSort::Message => FindingSort::Status,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FindingSort::Status => "status",
            FindingSort::Subject => "subject",
            FindingSort::Node => "node",
            FindingSort::Message => "message",
        }
    }
}

/// The details of the selected check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailView {
    /// Position of the selected finding in the table (after scope, search and sort).
    pub selected: usize,
    /// First table line shown.
    pub offset: usize,
    /// Scroll position of the selected finding's pane.
    pub scroll: usize,
    pub sort: FindingSort,
    pub reverse: bool,
    /// Text the table is filtered by (`/` in the details).
    pub search: String,
}

impl Default for DetailView {
    fn default() -> Self {
        DetailView {
            selected: 0,
            offset: 0,
            scroll: 0,
            sort: FindingSort::Status,
            reverse: false,
            search: String::new(),
        }
    }
}

/// The evidence viewer: one finding's evidence, one piece at a time, with its whole text.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceView {
    pub finding: Finding,
    pub index: usize,
    pub text: SourceText,
    pub scroll: usize,
}

/// The summary of an object a finding is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectView {
    pub objects: Vec<ObjectRef>,
    pub index: usize,
    pub described: Described,
    pub scroll: usize,
    /// Opened from the evidence viewer (Esc goes back there).
    pub from_evidence: bool,
}

/// A line of the commands view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// `# Node/win-a: what the commands below are for` (a comment, so copying it is harmless).
    Heading(String),
    Command(String),
}

/// The commands view: only commands, no borders, one selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandsView {
    pub lines: Vec<CommandLine>,
    /// Index of the selected command among the `Command` lines.
    pub selected: usize,
    pub scroll: usize,
    /// Whether it shows every finding of the check in scope (else the selected finding).
    pub all: bool,
    /// The mouse capture to restore when leaving (the view turns it off for selecting text).
    pub restore_mouse: bool,
}

impl CommandsView {
    pub fn commands(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                CommandLine::Command(c) => Some(c.as_str()),
                CommandLine::Heading(_) => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Node,
    Namespace,
}

/// A picker over nodes or namespaces, filtered by what is typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub kind: PickerKind,
    pub filter: String,
    /// Position in `items()`.
    pub selected: usize,
    pub offset: usize,
    pub nodes: Vec<NodeEntry>,
    pub namespaces: Vec<NamespaceEntry>,
}

impl Picker {
    /// What can be picked: `None` (every node or namespace) first, then the entries matching the
    /// filter, as indices into `nodes` or `namespaces`.
    pub fn items(&self) -> Vec<Option<usize>> {
        let needle = self.filter.trim().to_lowercase();
        let names: Vec<&str> = match self.kind {
            PickerKind::Node => self.nodes.iter().map(|n| n.name.as_str()).collect(),
            PickerKind::Namespace => self.namespaces.iter().map(|n| n.name.as_str()).collect(),
        };
        std::iter::once(None)
            .chain(
                names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| needle.is_empty() || n.to_lowercase().contains(&needle))
                    .map(|(i, _)| Some(i)),
            )
            .collect()
    }

    /// The name of item `item` (`None` for "all").
    pub fn name(&self, item: Option<usize>) -> Option<String> {
        let i = item?;
        match self.kind {
            PickerKind::Node => self.nodes.get(i).map(|n| n.name.clone()),
            PickerKind::Namespace => self.namespaces.get(i).map(|n| n.name.clone()),
        }
    }

    pub fn noun(&self) -> &'static str {
        match self.kind {
            PickerKind::Node => "node",
            PickerKind::Namespace => "namespace",
        }
    }
}
