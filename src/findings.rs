//! Findings: what a check concludes, with its evidence and fix.
//!
//! A finding is the unit every front-end consumes: the TUI, the JSON/text/markdown reports and the exit
//! code all read `Finding`s and nothing else. A finding names the check that made it, one `Status`, the
//! object it is about (`Subject`), one sentence with the real values, the evidence it rests on, and a fix
//! whose commands carry the real names and addresses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of one finding, per docs/report.md.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skip,
    Info,
    Warn,
    Error,
    Fail,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Fail,
        Status::Error,
        Status::Warn,
        Status::Info,
        Status::Pass,
        Status::Skip,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Skip => "skip",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::Error => "error",
            Status::Fail => "fail",
        }
    }

    /// Severity used for `--fail-on` thresholds: pass/skip < info < warn < error < fail.
    pub fn severity(self) -> u8 {
        match self {
            Status::Pass | Status::Skip => 0,
            Status::Info => 1,
            Status::Warn => 2,
            Status::Error => 3,
            Status::Fail => 4,
        }
    }

    /// Rank used to summarise a check's findings into one row: a problem outranks an error, an error
    /// outranks a pass (a part that could not be read never hides behind a part that passed), and a
    /// pass outranks a skipped part.
    pub fn row_rank(self) -> u8 {
        match self {
            Status::Skip => 0,
            Status::Pass => 1,
            Status::Info => 2,
            Status::Warn => 3,
            Status::Error => 4,
            Status::Fail => 5,
        }
    }

    /// The glyph + word shown in terminals, so that status never depends on colour alone.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "✓ PASS",
            Status::Skip => "- SKIP",
            Status::Info => "i INFO",
            Status::Warn => "! WARN",
            Status::Error => "? ERROR",
            Status::Fail => "✗ FAIL",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text.trim().to_ascii_lowercase().as_str() {
            "pass" => Some(Status::Pass),
            "skip" => Some(Status::Skip),
            "info" => Some(Status::Info),
            "warn" | "warning" => Some(Status::Warn),
            "error" => Some(Status::Error),
            "fail" => Some(Status::Fail),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The object a finding is about: a Node, Pod, Service, file on the node, ConfigMap, input...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub namespace: Option<String>,
    pub name: String,
}

impl Subject {
    pub fn new(kind: &str, name: impl Into<String>) -> Self {
        Subject {
            kind: kind.to_string(),
            namespace: None,
            name: name.into(),
        }
    }
    pub fn namespaced(kind: &str, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Subject {
            kind: kind.to_string(),
            namespace: Some(namespace.into()),
            name: name.into(),
        }
    }
    pub fn node(name: impl Into<String>) -> Self {
        Subject::new("Node", name)
    }
    pub fn cluster() -> Self {
        Subject::new("Cluster", "cluster")
    }
    pub fn file(path: impl Into<String>) -> Self {
        Subject::new("File", path)
    }
    /// `kind/name` or `kind/namespace/name`, for text output.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// Where a piece of evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceSource {
    Api,
    Event,
    File,
    Process,
    Service,
    Log,
    Probe,
}

impl EvidenceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceSource::Api => "api",
            EvidenceSource::Event => "event",
            EvidenceSource::File => "file",
            EvidenceSource::Process => "process",
            EvidenceSource::Service => "service",
            EvidenceSource::Log => "log",
            EvidenceSource::Probe => "probe",
        }
    }
}

/// Which source of node data a piece of evidence came through: collected on the node (by
/// windoctor on the node, or by a fleet collector pod), a pod log tail, the kubelet's configz or
/// log directory (node log query included), or an API object (Node, Pod status and spec, events).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Node,
    PodLog,
    Configz,
    NodeLog,
    Api,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Node => "node",
            Origin::PodLog => "pod-log",
            Origin::Configz => "configz",
            Origin::NodeLog => "node-log",
            Origin::Api => "api",
        }
    }

    /// The origin of `evidence`, judged from how its reference is written (`pod log NS/POD/C`,
    /// `GET /api/v1/nodes/NAME/proxy/configz`, `node log query ?query=...`) and, for node files,
    /// logs, processes and services, from who made the node part it came from: `from_api` is
    /// `Some(true)` for a part made from what the API serves, `Some(false)` for one collected on
    /// the node, `None` when the finding is about no node part.
    pub fn of(evidence: &Evidence, from_api: Option<bool>) -> Option<Origin> {
        let r = evidence.reference.as_str();
        if r.starts_with("pod log ") {
            return Some(Origin::PodLog);
        }
        if r.contains("/proxy/configz") {
            return Some(Origin::Configz);
        }
        if r.starts_with("node log query") {
            return Some(Origin::NodeLog);
        }
        match evidence.source {
            EvidenceSource::Api | EvidenceSource::Event => {
                // Get-HnsNetwork, Get-NetIPAddress and the OS build are read on the node.
                let on_node = r.starts_with("Get-") || r.starts_with("Win32_");
                Some(if on_node && from_api != Some(true) {
                    Origin::Node
                } else {
                    Origin::Api
                })
            }
            EvidenceSource::Probe => None,
            EvidenceSource::File
            | EvidenceSource::Log
            | EvidenceSource::Process
            | EvidenceSource::Service => match from_api {
                Some(true) => Some(Origin::NodeLog),
                Some(false) => Some(Origin::Node),
                None => None,
            },
        }
    }
}

/// One piece of evidence: where to look (`reference`, e.g. `Node/win-1 .status.nodeInfo.kernelVersion`)
/// and the exact excerpt seen there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub source: EvidenceSource,
    #[serde(rename = "ref")]
    pub reference: String,
    pub excerpt: String,
    /// Which source of node data it came through (set when the check's findings are collected).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub origin: Option<Origin>,
}

impl Evidence {
    pub fn new(
        source: EvidenceSource,
        reference: impl Into<String>,
        excerpt: impl Into<String>,
    ) -> Self {
        Evidence {
            source,
            reference: reference.into(),
            excerpt: excerpt.into(),
            origin: None,
        }
    }
    pub fn api(reference: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Evidence::new(EvidenceSource::Api, reference, excerpt)
    }
    pub fn event(reference: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Evidence::new(EvidenceSource::Event, reference, excerpt)
    }
    pub fn file(reference: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Evidence::new(EvidenceSource::File, reference, excerpt)
    }
    pub fn process(reference: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Evidence::new(EvidenceSource::Process, reference, excerpt)
    }
    pub fn service(reference: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Evidence::new(EvidenceSource::Service, reference, excerpt)
    }
    pub fn log(reference: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Evidence::new(EvidenceSource::Log, reference, excerpt)
    }
    pub fn probe(reference: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Evidence::new(EvidenceSource::Probe, reference, excerpt)
    }
}

/// What to do about a finding: a sentence and the exact commands, with real values filled in.
/// `steps[i]` says where and how `commands[i]` runs (empty for fixes built by hand, e.g. in tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Fix {
    pub text: String,
    pub commands: Vec<String>,
    #[serde(default)]
    pub steps: Vec<StepMeta>,
}

impl Fix {
    /// Each command with what is known about it (a workstation command in any shell that only
    /// looks, when the fix carries no step data).
    pub fn described(&self) -> Vec<(&str, StepMeta)> {
        self.commands
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), self.steps.get(i).cloned().unwrap_or_default()))
            .collect()
    }
}

/// Where a fix command runs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    /// A machine with kubectl and the cluster's kubeconfig.
    #[default]
    Workstation,
    /// A Windows node of the cluster (an administrator prompt on it).
    WindowsNode,
    /// A Linux node of the cluster (a root shell on it).
    LinuxNode,
    /// Inside a pod (through `kubectl exec` or a debug container).
    Pod,
    /// The hypervisor or cloud console hosting a node's VM (Hyper-V host, vCenter).
    Hypervisor,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Workstation => "workstation",
            Place::WindowsNode => "windows-node",
            Place::LinuxNode => "linux-node",
            Place::Pod => "pod",
            Place::Hypervisor => "hypervisor",
        }
    }
    /// A heading for commands that run here.
    pub fn heading(self) -> &'static str {
        match self {
            Place::Workstation => "On your workstation (kubectl)",
            Place::WindowsNode => "On the Windows node",
            Place::LinuxNode => "On a Linux node",
            Place::Pod => "In a pod",
            Place::Hypervisor => "On the hypervisor host",
        }
    }
}

/// The shell a fix command is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Shell {
    /// Parses and runs the same in bash and in Windows PowerShell 5.1 / PowerShell 7 (plain
    /// `kubectl` lines).
    #[default]
    Any,
    /// Windows PowerShell 5.1 and PowerShell 7 alike.
    Powershell,
    /// Windows PowerShell 5.1 only (its native argument passing; PowerShell 7.3+ quotes differently).
    WindowsPowershell,
    /// PowerShell 7 only.
    Pwsh,
    /// bash (or another POSIX shell).
    Bash,
    /// cmd.exe.
    Cmd,
}

impl Shell {
    /// The shell named `name` (a `Shell::as_str` value), `Any` for anything else.
    pub fn from_str_or_any(name: &str) -> Shell {
        [
            Shell::Powershell,
            Shell::WindowsPowershell,
            Shell::Pwsh,
            Shell::Bash,
            Shell::Cmd,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
        .unwrap_or(Shell::Any)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Shell::Any => "any",
            Shell::Powershell => "powershell",
            Shell::WindowsPowershell => "windows-powershell",
            Shell::Pwsh => "pwsh",
            Shell::Bash => "bash",
            Shell::Cmd => "cmd",
        }
    }
    /// How a reader is told the shell ("" for commands that run in any of them).
    pub fn label(self) -> &'static str {
        match self {
            Shell::Any => "",
            Shell::Powershell => "PowerShell",
            Shell::WindowsPowershell => "Windows PowerShell 5.1",
            Shell::Pwsh => "PowerShell 7",
            Shell::Bash => "bash",
            Shell::Cmd => "cmd",
        }
    }
}

/// Where and how one fix command runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StepMeta {
    #[serde(rename = "where")]
    pub place: Place,
    pub shell: Shell,
    /// True when it changes something (a service, a file, an object); false when it only looks.
    pub changes: bool,
    /// Commands of one fix sharing this name are alternatives: run one of them, never all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
}

impl StepMeta {
    /// The marks a reader sees after the command (see `step_marks`).
    pub fn marks(&self) -> String {
        step_marks(
            self.shell.label(),
            self.changes,
            self.alternative.as_deref(),
        )
    }
}

/// The marks after a fix command: its shell when it matters, "changes" when it changes something,
/// and its alternative group ("one of A"); "" for a command any shell runs that only looks.
pub fn step_marks(shell_label: &str, changes: bool, alternative: Option<&str>) -> String {
    let mut marks: Vec<String> = Vec::new();
    if !shell_label.is_empty() {
        marks.push(shell_label.to_string());
    }
    if changes {
        marks.push("changes".to_string());
    }
    if let Some(a) = alternative {
        marks.push(format!("one of {a}"));
    }
    if marks.is_empty() {
        String::new()
    } else {
        format!("[{}]", marks.join(" · "))
    }
}

/// The heading of the commands that run at `place` (a `Place::as_str` value).
pub fn place_heading(place: &str) -> &'static str {
    [
        Place::Workstation,
        Place::WindowsNode,
        Place::LinuxNode,
        Place::Pod,
        Place::Hypervisor,
    ]
    .into_iter()
    .find(|p| p.as_str() == place)
    .map_or("Run", Place::heading)
}

/// The commands of a fix grouped by where they run, in their order: consecutive commands at one
/// place form one group, so a sequence (drain, restart on the node, uncordon) keeps its order.
pub fn group_by_place(fix: &Fix) -> Vec<(Place, Vec<(&str, StepMeta)>)> {
    let mut groups: Vec<(Place, Vec<(&str, StepMeta)>)> = Vec::new();
    for (command, meta) in fix.described() {
        match groups.last_mut() {
            Some((p, list)) if *p == meta.place => list.push((command, meta)),
            _ => groups.push((meta.place, vec![(command, meta)])),
        }
    }
    groups
}

/// One conclusion of one check about one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub check: String,
    /// The part of the check the finding is about, `<check>/<part>` (e.g.
    /// `os-scheduling/linux-daemonset-on-windows`): stable, so that `--only`/`--skip` and silencing
    /// can name one problem. Findings about an input that could not be read use `<check>/input`.
    pub code: String,
    /// The Windows node the finding is about, when it is about one node.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub node: Option<String>,
    pub title: String,
    pub status: Status,
    pub subject: Subject,
    pub message: String,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fix: Option<Fix>,
    pub docs: Vec<String>,
    /// Set when an accepted finding is muted (silencing file or `windoctor.io/ignore`
    /// annotation): it stays in reports, marked, and never changes the exit code.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub muted: Option<Muted>,
}

/// Why a finding is muted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Muted {
    pub reason: String,
    /// `silence file` or `annotation windoctor.io/ignore on <Kind>/<namespace>/<name>`.
    pub by: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires: Option<String>,
}

impl Finding {
    /// A stable id: a fingerprint of the check part, the subject and the node, the same in every
    /// run and format (FNV-1a, 64 bits, as 16 hex digits), so tools can track one finding over time.
    pub fn id(&self) -> String {
        let key = format!(
            "{}|{}|{}|{}|{}",
            self.code,
            self.subject.kind,
            self.subject.namespace.as_deref().unwrap_or(""),
            self.subject.name,
            self.node.as_deref().unwrap_or("")
        );
        let mut hash: u64 = 0xcbf29ce484222325;
        for b in key.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x100000001b3);
        }
        format!("{hash:016x}")
    }

    pub fn is_muted(&self) -> bool {
        self.muted.is_some()
    }

    pub fn evidence(&mut self, evidence: Evidence) -> &mut Self {
        self.evidence.push(evidence);
        self
    }

    pub fn with_fix(&mut self, fix: Fix) -> &mut Self {
        self.fix = Some(fix);
        self
    }
}

/// The status that stands for a set of findings (a check's row): see `Status::row_rank`.
pub fn row_status<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Option<Status> {
    row_status_of(findings.into_iter().map(|f| f.status))
}

/// The status that stands for a set of statuses (a check's row): see `Status::row_rank`.
pub fn row_status_of(statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
    statuses.into_iter().max_by_key(|s| s.row_rank())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_outranks_pass_in_a_row() {
        let mk = |status| Finding {
            check: "x".into(),
            code: String::new(),
            node: None,
            title: "x".into(),
            status,
            subject: Subject::cluster(),
            message: String::new(),
            evidence: vec![],
            fix: None,
            docs: vec![],
            muted: None,
        };
        let findings = [mk(Status::Pass), mk(Status::Error), mk(Status::Skip)];
        assert_eq!(row_status(&findings), Some(Status::Error));
        let findings = [mk(Status::Pass), mk(Status::Skip)];
        assert_eq!(row_status(&findings), Some(Status::Pass));
        assert_eq!(row_status(&[]), None);
    }

    #[test]
    fn statuses_parse_and_print() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("bogus"), None);
        assert!(Status::Fail.severity() > Status::Warn.severity());
    }
}
