//! `Eval`: what one check sees while it runs. It reads the model (never the raw facts), asks for
//! each input it needs, and records findings.
//!
//! Asking for an input that is not ready records one `skip` (not captured) or `error` (could not be
//! read) finding naming it, once per input (and node), and gives `None`: a check cannot mistake an
//! unreadable input for a healthy one. Findings are made with `emit(status, subject, message)` and
//! carry the check's citations; fixes are rendered from the catalogue's templates with real values.

use crate::catalogue::CheckMeta;
use crate::facts::k8s::{
    ConfigMap, DaemonSet, Event, Node, Pod, PodLog, RuntimeClass, ServerVersion, Service,
};
use crate::facts::node::{
    HnsNetwork, IpAddress, NetAdapter, NodeFiles, NodeInfo, NodeLog, Process, WinService,
};
use crate::facts::probes::ProbeResults;
use crate::facts::Input;
use crate::findings::{Finding, Fix, Status, Subject};
use crate::model::node::NodeView;
use crate::model::Model;
use std::collections::{BTreeMap, BTreeSet};

/// The evaluation context of one check: the model, the check's metadata, and the findings so far.
pub struct Eval<'a> {
    model: Model<'a>,
    pub meta: &'a CheckMeta,
    findings: Vec<Finding>,
    reported_inputs: BTreeSet<String>,
    /// The part findings are emitted in (`part`); the check's first part until one is named.
    part: Option<&'static str>,
    /// The node whose view was last asked for (node parts), for findings that name no Node.
    node_scope: Option<String>,
}

impl<'a> Eval<'a> {
    pub fn new(model: Model<'a>, meta: &'a CheckMeta) -> Self {
        Eval {
            model,
            meta,
            findings: Vec::new(),
            reported_inputs: BTreeSet::new(),
            part: None,
            node_scope: None,
        }
    }

    /// Emits the next findings in part `code` of this check (declared as `[[part]]` in its TOML).
    pub fn part(&mut self, code: &'static str) -> &mut Self {
        debug_assert!(
            self.meta.has_part(code),
            "check {} emits in part {code}, which checks/{}.toml does not declare",
            self.meta.id,
            self.meta.id
        );
        self.part = Some(code);
        self
    }

    fn current_code(&self) -> String {
        match self.part {
            Some(p) => self.meta.code(p),
            None => match self.meta.parts.first() {
                Some(p) => self.meta.code(&p.code),
                None => self.meta.id.clone(),
            },
        }
    }

    /// The Windows node a finding about `subject` is about: the Node it names, the node of the Pod
    /// it names, else the node part being examined.
    fn node_of(&self, subject: &Subject) -> Option<String> {
        match subject.kind.as_str() {
            "Node" => Some(subject.name.clone()),
            "Pod" => self
                .model
                .pod_index()
                .get(
                    subject.namespace.as_deref().unwrap_or("default"),
                    &subject.name,
                )
                .and_then(|p| p.node_name())
                .map(str::to_string)
                .filter(|n| self.model.windows_hosts().contains(n)),
            "Cluster" | "Input" => self.node_scope.clone(),
            _ => self.node_scope.clone(),
        }
    }

    /// The shared derivations: indexes, the IP plan, node views.
    pub fn model(&self) -> Model<'a> {
        self.model
    }

    /// Records a finding and returns it for adding evidence and a fix.
    pub fn emit(
        &mut self,
        status: Status,
        subject: Subject,
        message: impl Into<String>,
    ) -> &mut Finding {
        let code = self.current_code();
        let node = self.node_of(&subject);
        self.findings.push(Finding {
            check: self.meta.id.clone(),
            code,
            node,
            title: self.meta.title.clone(),
            status,
            subject,
            message: message.into(),
            evidence: Vec::new(),
            fix: None,
            docs: self.meta.citations(),
            muted: None,
        });
        let muted = self.model.ignore_annotation(
            &self.findings[self.findings.len() - 1].subject,
            &self.meta.id,
            &self.findings[self.findings.len() - 1].code,
        );
        if let Some(m) = muted {
            let last = self.findings.len() - 1;
            self.findings[last].muted = Some(m);
        }
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }

    /// The fix template `key` of this check with real values.
    pub fn fix(&self, key: &str, vars: &[(&str, &str)]) -> Fix {
        self.meta.fix(key, vars)
    }

    pub fn pattern(&self, name: &str) -> &'a regex::Regex {
        self.meta.pattern(name)
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    /// Gives the input if it is ready; otherwise records one `skip` (not captured) or `error` (could
    /// not be read) finding naming it, once per `key`, and gives `None`.
    fn need_keyed<T>(&mut self, name: &str, key: &str, input: &'a Input<T>) -> Option<&'a T> {
        debug_assert!(
            self.meta.inputs.iter().any(|i| i == name),
            "check {} reads input {name} which its checks/{}.toml does not declare",
            self.meta.id,
            self.meta.id
        );
        match input {
            Input::Ready(t) => Some(t),
            Input::Missing(what) => {
                if self.reported_inputs.insert(key.to_string()) {
                    let part = self.part.replace("input");
                    self.emit(
                        Status::Skip,
                        Subject::new("Input", name),
                        format!("not evaluated: {what}"),
                    );
                    self.part = part;
                }
                None
            }
            Input::Failed(why) => {
                if self.reported_inputs.insert(key.to_string()) {
                    let part = self.part.replace("input");
                    self.emit(
                        Status::Error,
                        Subject::new("Input", name),
                        format!("could not be evaluated: {why}"),
                    );
                    self.part = part;
                }
                None
            }
        }
    }

    fn need<T>(&mut self, name: &str, input: &'a Input<T>) -> Option<&'a T> {
        self.need_keyed(name, name, input)
    }

    // ------------------------------------------------------------ cluster inputs

    pub fn version(&mut self) -> Option<&'a ServerVersion> {
        self.need("version", &self.model.facts().cluster.version)
    }
    pub fn nodes(&mut self) -> Option<&'a Vec<Node>> {
        self.need("nodes", &self.model.facts().cluster.nodes)
    }
    pub fn pods(&mut self) -> Option<&'a Vec<Pod>> {
        self.need("pods", &self.model.facts().cluster.pods)
    }
    pub fn events(&mut self) -> Option<&'a Vec<Event>> {
        self.need("events", &self.model.facts().cluster.events)
    }
    pub fn services(&mut self) -> Option<&'a Vec<Service>> {
        self.need("services", &self.model.facts().cluster.services)
    }
    pub fn daemonsets(&mut self) -> Option<&'a Vec<DaemonSet>> {
        self.need("daemonsets", &self.model.facts().cluster.daemonsets)
    }
    pub fn configmaps(&mut self) -> Option<&'a Vec<ConfigMap>> {
        self.need("configmaps", &self.model.facts().cluster.configmaps)
    }
    pub fn runtimeclasses(&mut self) -> Option<&'a Vec<RuntimeClass>> {
        self.need("runtimeclasses", &self.model.facts().cluster.runtimeclasses)
    }

    /// Pod logs a bundle holds (`cluster/logs/`); empty when none were captured. Logs that are in
    /// the bundle but cannot be read are recorded as one `error` naming them: what they hold is
    /// unknown, so the check cannot vouch for them.
    pub fn pod_logs(&mut self) -> &'a [PodLog] {
        let cluster = &self.model.facts().cluster;
        if !cluster.unreadable_logs.is_empty() && self.reported_inputs.insert("logs".to_string()) {
            let part = self.part.replace("input");
            self.emit(
                Status::Error,
                Subject::new("Input", "logs"),
                format!(
                    "could not be evaluated: {}",
                    summarise_unreadable(&cluster.unreadable_logs)
                ),
            );
            self.part = part;
        }
        &cluster.logs
    }

    /// The API server's version as a semantic version, when `/version` was read and parses.
    pub fn server_semver(&self) -> Option<crate::facts::versions::Semver> {
        self.model.facts().cluster.server_semver()
    }

    /// The results of the active probes (`--probe`, or `probes/results.json` of a bundle).
    pub fn probes(&mut self) -> Option<&'a ProbeResults> {
        self.need("probes", &self.model.facts().probes.results)
    }

    /// Probe results when there are any, without recording anything.
    pub fn probes_if_run(&self) -> Option<&'a ProbeResults> {
        self.model.facts().probes.results.ready()
    }

    /// All nodes and the Windows ones among them. `None` when nodes could not be read (the
    /// skip/error is recorded) or when there is no Windows node (a `skip` saying so is recorded).
    pub fn windows_nodes_or_skip(&mut self) -> Option<(&'a Vec<Node>, Vec<&'a Node>)> {
        let nodes = self.nodes()?;
        let windows = self.model.windows_nodes();
        if windows.is_empty() {
            self.emit(
                Status::Skip,
                Subject::cluster(),
                format!(
                    "no Windows nodes in the cluster ({} nodes, none Windows)",
                    nodes.len()
                ),
            );
            return None;
        }
        Some((nodes, windows))
    }

    /// Windows nodes, or `None` (with the skip/error recorded) when nodes could not be read.
    pub fn windows_nodes(&mut self) -> Option<Vec<&'a Node>> {
        self.nodes()?;
        Some(self.model.windows_nodes())
    }

    /// The Windows nodes and the events, for the cluster part of a check whose node part also
    /// runs: `None`, quietly, when there is no Windows node (the node part speaks for the check),
    /// or when nodes or events could not be read (already reported as `skip`/`error`).
    pub fn windows_nodes_and_events(&mut self) -> Option<(Vec<&'a Node>, &'a [Event])> {
        let windows = self.windows_nodes().filter(|w| !w.is_empty())?;
        Some((windows, self.events()?))
    }

    // ------------------------------------------------------------ node inputs

    /// The node parts of this run, each as a view. When there is none, records the `skip` saying
    /// node data was not captured (once) and gives an empty list.
    pub fn node_views(&mut self) -> Vec<NodeView<'a>> {
        let views = self.model.node_views();
        if views.is_empty() {
            self.need("node", &self.model.facts().node.files);
        }
        views
    }

    /// The local node's view, recording the `skip` when no node part was captured.
    pub fn local_node(&mut self) -> Option<NodeView<'a>> {
        self.node_views().into_iter().next()
    }

    fn node_part<T>(&mut self, view: &NodeView<'a>, input: &'a Input<T>) -> Option<&'a T> {
        let name = view.name();
        let key = format!("node@{name}");
        self.node_scope = Some(name);
        self.need_keyed("node", &key, input)
    }

    /// The node files (ready whenever the node part is present). `None`, with one `error` naming
    /// them, when a file or folder the node model reads exists but could not be read: whatever the
    /// check concluded from the rest could rest on what was not read.
    pub fn node_files(&mut self, view: &NodeView<'a>) -> Option<&'a NodeFiles> {
        let files = self.node_part(view, &view.raw.files)?;
        let blocked = view.unreadable_inputs();
        if blocked.is_empty() {
            return Some(files);
        }
        if self
            .reported_inputs
            .insert(format!("node-files@{}", view.name()))
        {
            let part = self.part.replace("input");
            self.emit(
                Status::Error,
                Subject::new("Input", "node"),
                format!("could not be evaluated: {}", summarise_unreadable(blocked)),
            );
            self.part = part;
        }
        None
    }
    pub fn node_processes(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<Process>> {
        self.node_part(view, &view.raw.processes)
    }
    pub fn node_services(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<WinService>> {
        self.node_part(view, &view.raw.services)
    }
    pub fn node_hns_networks(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<HnsNetwork>> {
        self.node_part(view, &view.raw.hns_networks)
    }
    pub fn node_adapters(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<NetAdapter>> {
        self.node_part(view, &view.raw.adapters)
    }
    pub fn node_ip_addresses(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<IpAddress>> {
        self.node_part(view, &view.raw.ip_addresses)
    }
    pub fn node_env(&mut self, view: &NodeView<'a>) -> Option<&'a BTreeMap<String, String>> {
        self.node_part(view, &view.raw.env)
    }
    pub fn node_logs(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<NodeLog>> {
        self.node_part(view, &view.raw.logs)
    }
    pub fn node_info(&mut self, view: &NodeView<'a>) -> Option<&'a NodeInfo> {
        self.node_part(view, &view.raw.info)
    }
}

/// The first few of `list` (path and why), and how many more there are.
fn summarise_unreadable(list: &[(String, String)]) -> String {
    const SHOWN: usize = 3;
    let shown: Vec<String> = list
        .iter()
        .take(SHOWN)
        .map(|(path, why)| {
            if why.contains(path.as_str()) {
                why.clone()
            } else {
                format!("{path}: {why}")
            }
        })
        .collect();
    let more = list.len().saturating_sub(SHOWN);
    format!(
        "{}{} (they exist but could not be read)",
        shown.join("; "),
        if more > 0 {
            format!("; and {more} more")
        } else {
            String::new()
        }
    )
}
