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
    /// The part findings are emitted in (`part`); every finding must name one.
    part: Option<&'static str>,
    /// The node whose view was last asked for (node parts), for findings that name no Node.
    node_scope: Option<String>,
    /// Per node part gathered in part by another tool: whether this check's `node_reads` were all
    /// gathered (see `node_gate`).
    gated: BTreeMap<String, bool>,
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
            gated: BTreeMap::new(),
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
        debug_assert!(
            self.part.is_some(),
            "check {} emits a finding before naming its part (`ev.part(\"...\")`)",
            self.meta.id
        );
        self.meta
            .code(self.part.unwrap_or(crate::catalogue::INPUT_PART))
    }

    /// Runs `f` with findings emitted in the reserved part `input`, then restores the part.
    fn in_input_part<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let part = self.part.replace(crate::catalogue::INPUT_PART);
        let out = f(self);
        self.part = part;
        out
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

    /// Records a `skip` saying the inputs hold nothing for the check to examine (no Windows node,
    /// no Windows pod...), in the part `input`.
    pub fn not_applicable(&mut self, message: impl Into<String>) {
        self.in_input_part(|ev| {
            ev.emit(Status::Skip, Subject::cluster(), message);
        });
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

    /// The findings, each piece of evidence marked with the source of node data it came through
    /// (`Origin`): what the check used for that node.
    pub fn into_findings(self) -> Vec<Finding> {
        let model = self.model;
        let mut findings = self.findings;
        for f in &mut findings {
            let part = f.node.as_deref().and_then(|n| model.node_part(n));
            // On a layout whose node components are children of one service (RKE2), a fix
            // restarts that service, not the component's (there is no such service there).
            if let (Some(layout), Some(fix)) =
                (part.and_then(|p| model.part_layout(p)), f.fix.as_mut())
            {
                for command in &mut fix.commands {
                    if let Some(restart) = crate::model::layout::restart_on(layout, command) {
                        *command = restart;
                    }
                }
            }
            let from_api = part.map(|p| p.origin == crate::facts::node::remote::PartOrigin::Api);
            for e in &mut f.evidence {
                if e.origin.is_none() {
                    e.origin = crate::findings::Origin::of(e, from_api);
                }
            }
            // A node part made from the API says which of its sources could not be read and
            // what would provide them, wherever a check could not conclude.
            if let (Some(p), true, Status::Skip | Status::Error) =
                (part, from_api == Some(true), f.status)
            {
                let unread = p.unread_sources();
                if !unread.is_empty() && !f.message.contains("sources not read") {
                    f.message
                        .push_str(&format!(" (sources not read for this node: {unread})"));
                }
            }
        }
        findings
    }

    /// Records one finding per failure signature of this check seen in the run's text sources
    /// (`crate::model::signatures`): in the signature's part, with its status, meaning and fix, and
    /// the matched line as evidence. A line the check already shows as evidence is not repeated.
    pub fn signature_findings(&mut self) {
        let lib = crate::catalogue::signatures::library();
        let mut hits: Vec<(Subject, &'a crate::model::signatures::Hit)> = Vec::new();
        for view in self.model.node_views() {
            let name = view.name();
            for hit in view.signature_hits() {
                hits.push((Subject::node(name.clone()), hit));
            }
        }
        for hit in self.model.cluster_signature_hits() {
            if let Some(subject) = &hit.subject {
                hits.push((subject.clone(), hit));
            }
        }
        let saved = self.part;
        // The same line read in two places (a log file and the Event Log it was exported from) is
        // one finding with two pieces of evidence.
        let mut emitted: BTreeMap<(usize, String, String), usize> = BTreeMap::new();
        for (subject, hit) in hits {
            let sig = &lib.signatures[hit.signature];
            if sig.check != self.meta.id || self.shows_line(&hit.line) {
                continue;
            }
            let same = (
                hit.signature,
                subject.display(),
                hit.line
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .chars()
                    .take(200)
                    .collect::<String>(),
            );
            let evidence =
                crate::findings::Evidence::new(hit.source, hit.reference.clone(), hit.line.clone());
            if let Some(&i) = emitted.get(&same) {
                self.findings[i].evidence.push(evidence);
                continue;
            }
            emitted.insert(same, self.findings.len());
            self.part = Some(sig.part.as_str());
            let fix = sig.fix(self.meta);
            let times = match hit.count {
                1 => "once".to_string(),
                n => format!("{n} times"),
            };
            let finding = self.emit(
                sig.status(),
                subject,
                format!(
                    "{} (failure signature {}, seen {times})",
                    sig.meaning.trim_end_matches('.'),
                    sig.id
                ),
            );
            finding.evidence.push(evidence);
            if !fix.text.is_empty() {
                finding.fix = Some(fix);
            }
        }
        self.part = saved;
    }

    /// True when a finding of this check already shows `line` as evidence.
    fn shows_line(&self, line: &str) -> bool {
        let line = line.trim_end_matches('…');
        self.findings.iter().any(|f| {
            f.evidence.iter().any(|e| {
                let seen = e.excerpt.trim_end_matches('…');
                seen.contains(line) || (seen.len() > 40 && line.contains(seen))
            })
        })
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
                    self.in_input_part(|ev| {
                        ev.emit(
                            Status::Skip,
                            Subject::new("Input", name),
                            format!("not evaluated: {what}"),
                        );
                    });
                }
                None
            }
            Input::Failed(why) => {
                if self.reported_inputs.insert(key.to_string()) {
                    self.in_input_part(|ev| ev.unreadable(name, why));
                }
                None
            }
        }
    }

    /// Records the `error` finding for input `name`, unread because of `why`, with the evidence
    /// and the fix `input_fix` gives it.
    fn unreadable(&mut self, name: &str, why: &str) {
        let (evidence, fix) = super::input_fix::explain(name, why);
        let finding = self.emit(
            Status::Error,
            Subject::new("Input", name),
            format!("could not be evaluated: {why}"),
        );
        finding.evidence.extend(evidence);
        finding.fix = fix;
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
    /// The pods the sieve kept whole, in list order, as [`Eval::pods`] needs them: every pod on
    /// or aimed at a Windows node, on a node it could not place, or carrying what an other pod
    /// does not keep (annotations, security context, probes, environment); see `facts::share`.
    /// What a reading of only such pods takes instead of walking every pod.
    pub fn kept_pods(&mut self) -> Option<impl Iterator<Item = &'a Pod> + 'a> {
        self.pods()?;
        Some(self.model.pod_lookup().kept_whole())
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
            let why = summarise_unreadable(&cluster.unreadable_logs);
            self.in_input_part(|ev| ev.unreadable("logs", &why));
        }
        &cluster.logs
    }

    /// The API server's version as a semantic version, when `/version` was read and parses.
    pub fn server_semver(&self) -> Option<crate::facts::versions::Version> {
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
    /// skip/error is recorded) or when there is no Windows node (a `skip` saying so is recorded in
    /// the part `input`: the inputs hold nothing for the check to examine).
    pub fn windows_nodes_or_skip(&mut self) -> Option<(&'a Vec<Node>, Vec<&'a Node>)> {
        let nodes = self.nodes()?;
        let windows = self.model.windows_nodes();
        if windows.is_empty() {
            self.not_applicable(format!(
                "no Windows nodes in the cluster ({} nodes, none Windows)",
                nodes.len()
            ));
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
        if !self.node_gate(view) {
            return None;
        }
        self.need_keyed("node", &key, input)
    }

    /// For a node part another tool gathered in part: true when every `node_reads` of this check
    /// was gathered; otherwise records one `skip` per missing read (naming it and why) and gives
    /// false. Node parts windoctor captured itself always pass, and so do parts made from what the
    /// API serves: the node checks judge those themselves (`NodeView::from_api`), naming the
    /// sources the API could not give.
    fn node_gate(&mut self, view: &NodeView<'a>) -> bool {
        if view.from_api() {
            return true;
        }
        if view
            .raw
            .files
            .ready()
            .and_then(|f| f.coverage.as_ref())
            .is_none()
        {
            return true;
        }
        let name = view.name();
        if let Some(ok) = self.gated.get(&name) {
            return *ok;
        }
        let lacking: Vec<(String, String)> = self
            .meta
            .node_reads
            .iter()
            .filter_map(|r| super::node_gate::lacking(view, r))
            .collect();
        self.gated.insert(name.clone(), lacking.is_empty());
        for (input, why) in &lacking {
            let part = self.part.replace("input");
            self.emit(
                Status::Skip,
                Subject::new("Input", input.clone()),
                format!("not evaluated on {name}: {input} was not gathered ({why})"),
            );
            self.part = part;
        }
        lacking.is_empty()
    }

    /// A record another tool gathered only in part: records one `skip` saying what it lacks and
    /// gives `None`; otherwise gives the record.
    fn whole<T>(
        &mut self,
        view: &NodeView<'a>,
        record: &str,
        value: Option<&'a T>,
    ) -> Option<&'a T> {
        let value = value?;
        let Some(why) = view.raw.partial.get(record) else {
            return Some(value);
        };
        let name = view.name();
        if self
            .reported_inputs
            .insert(format!("partial:{record}@{name}"))
        {
            let part = self.part.replace("input");
            self.emit(
                Status::Skip,
                Subject::new("Input", format!("node/{record}")),
                format!("not evaluated on {name}: node/{record} was gathered only in part ({why})"),
            );
            self.part = part;
        }
        None
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
    /// The node's services, when gathered whole (with start modes and paths).
    pub fn node_services(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<WinService>> {
        let services = self.node_part(view, &view.raw.services);
        self.whole(view, "services", services)
    }
    /// The node's HNS networks, when gathered whole (with types and subnets).
    pub fn node_hns_networks(&mut self, view: &NodeView<'a>) -> Option<&'a Vec<HnsNetwork>> {
        let networks = self.node_part(view, &view.raw.hns_networks);
        self.whole(view, "hns-networks", networks)
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
