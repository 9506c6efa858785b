//! The objects a finding is about, and a `kubectl describe`-like summary of each as this run holds
//! it: a Node (labels, taints, addresses, system info, conditions, its pods, recent warning events),
//! a Pod (node, phase, owner, scheduling fields, containers with their state) or a DaemonSet
//! (counts, scheduling fields, images, its pods that are not running). Only what the run read is
//! shown, and the summary says when an input was not read. Text from the cluster is redacted and
//! its control characters are made visible.

use crate::engine::Gathered;
use crate::facts::k8s::{DaemonSet, Event, Node, Pod, PodSpec};
use crate::findings::Finding;
use crate::model::Model;

/// Most pods and events listed in one summary.
const MAX_LISTED: usize = 30;

/// An object the run may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

const DESCRIBED: [&str; 3] = ["Node", "Pod", "DaemonSet"];

/// The Nodes, Pods and DaemonSets `f` is about: its subject, its node, then the objects its
/// evidence names (`Kind/ns/name ...`, `pod log ns/pod/container`), without repeats.
pub fn related_objects(f: &Finding) -> Vec<ObjectRef> {
    let mut out: Vec<ObjectRef> = Vec::new();
    let mut add = |o: ObjectRef| {
        if DESCRIBED.contains(&o.kind.as_str()) && !out.contains(&o) {
            out.push(o);
        }
    };
    add(ObjectRef {
        kind: f.subject.kind.clone(),
        namespace: f.subject.namespace.clone(),
        name: f.subject.name.clone(),
    });
    if let Some(n) = &f.node {
        add(ObjectRef {
            kind: "Node".into(),
            namespace: None,
            name: n.clone(),
        });
    }
    for e in &f.evidence {
        if let Some(o) = parse_reference(&e.reference) {
            add(o);
        }
    }
    out
}

/// `related_objects`, each Pod followed by the DaemonSet that owns it (as the run's pod list says).
pub fn related_objects_in(gathered: Option<&Gathered>, f: &Finding) -> Vec<ObjectRef> {
    let mut out = Vec::new();
    for o in related_objects(f) {
        let owner = gathered.and_then(|g| {
            let ns = o.namespace.as_deref()?;
            (o.kind == "Pod").then_some(())?;
            let pod = Model::new(&g.world).pod_index().get(ns, &o.name)?;
            let r = pod.metadata.owner_references.first()?;
            (r.kind == "DaemonSet").then(|| ObjectRef {
                kind: "DaemonSet".into(),
                namespace: Some(ns.to_string()),
                name: r.name.clone(),
            })
        });
        if !out.contains(&o) {
            out.push(o);
        }
        if let Some(owner) = owner.filter(|d| !out.contains(d)) {
            out.push(owner);
        }
    }
    out
}

/// `Pod/ns/name .spec...`, `Node/name .status...`, `DaemonSet/ns/name`, `pod log ns/pod/c line 4`.
fn parse_reference(reference: &str) -> Option<ObjectRef> {
    if let Some(rest) = reference.strip_prefix("pod log ") {
        let mut parts = rest.split_whitespace().next()?.splitn(3, '/');
        return Some(ObjectRef {
            kind: "Pod".into(),
            namespace: Some(parts.next()?.to_string()),
            name: parts.next()?.to_string(),
        });
    }
    let head = reference.split_whitespace().next()?;
    let parts: Vec<&str> = head.split('/').collect();
    match (parts.first().copied()?, parts.len()) {
        ("Node", 2) => Some(ObjectRef {
            kind: "Node".into(),
            namespace: None,
            name: parts[1].to_string(),
        }),
        ("Pod" | "DaemonSet", 3) => Some(ObjectRef {
            kind: parts[0].to_string(),
            namespace: Some(parts[1].to_string()),
            name: parts[2].to_string(),
        }),
        _ => None,
    }
    .filter(|o| !o.name.is_empty())
}

/// One line of a summary; headings are set apart by the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescLine {
    pub text: String,
    pub heading: bool,
}

/// A describe-like summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub title: String,
    pub lines: Vec<DescLine>,
}

struct Out {
    lines: Vec<DescLine>,
}

impl Out {
    fn heading(&mut self, text: impl Into<String>) {
        if !self.lines.is_empty() {
            self.plain(String::new());
        }
        self.lines.push(DescLine {
            text: text.into(),
            heading: true,
        });
    }
    fn plain(&mut self, text: impl Into<String>) {
        for l in clean_lines(&text.into()) {
            self.lines.push(DescLine {
                text: l,
                heading: false,
            });
        }
    }
    fn field(&mut self, name: &str, value: impl AsRef<str>) {
        let value = value.as_ref();
        let value = if value.is_empty() { "(none)" } else { value };
        self.plain(format!("{:<22}{value}", format!("{name}:")));
    }
}

/// The summary of `obj` from what `gathered` holds; `findings` are the run's findings, for the
/// count of findings about the object.
pub fn describe(gathered: Option<&Gathered>, obj: &ObjectRef, findings: &[&Finding]) -> Described {
    let mut out = Out { lines: Vec::new() };
    let title = obj.display();
    let Some(g) = gathered else {
        out.plain("The run has not finished yet: wait for it, then open this again.");
        return Described {
            title,
            lines: out.lines,
        };
    };
    let model = Model::new(&g.world);
    let cluster = &g.world.facts.cluster;
    match obj.kind.as_str() {
        "Node" => match (cluster.nodes.ready(), model.node_named(&obj.name)) {
            (Some(_), Some(node)) => node_summary(&model, node, &mut out),
            (Some(_), None) => out.plain(format!(
                "The node list of this run has no Node {}.",
                obj.name
            )),
            (None, _) => out.plain(format!(
                "Nodes were not read in this run: {}",
                input_state(&cluster.nodes)
            )),
        },
        "Pod" => {
            let ns = obj.namespace.as_deref().unwrap_or("default");
            match (cluster.pods.ready(), model.pod_index().get(ns, &obj.name)) {
                (Some(_), Some(pod)) => pod_summary(&model, pod, &mut out),
                (Some(_), None) => out.plain(format!(
                    "The pod list of this run has no Pod {ns}/{} (it may have been replaced since).",
                    obj.name
                )),
                (None, _) => out.plain(format!("Pods were not read in this run: {}", input_state(&cluster.pods))),
            }
        }
        "DaemonSet" => {
            let ns = obj.namespace.as_deref().unwrap_or("default");
            match cluster.daemonsets.ready() {
                Some(list) => match list.iter().find(|d| {
                    d.metadata.namespace.as_deref().unwrap_or("default") == ns
                        && d.metadata.name == obj.name
                }) {
                    Some(ds) => daemonset_summary(&model, ds, &mut out),
                    None => out.plain(format!(
                        "The DaemonSet list of this run has no DaemonSet {ns}/{}.",
                        obj.name
                    )),
                },
                None => out.plain(format!(
                    "DaemonSets were not read in this run: {}",
                    input_state(&cluster.daemonsets)
                )),
            }
        }
        other => out.plain(format!("windoctor does not summarise {other} objects.")),
    }
    let about: Vec<&&Finding> = findings
        .iter()
        .filter(|f| {
            related_objects(f).first() == Some(obj)
                || (obj.kind == "Node" && f.node.as_deref() == Some(obj.name.as_str()))
        })
        .collect();
    if !about.is_empty() {
        out.heading("Findings about it in this run");
        for s in crate::findings::Status::ALL {
            let n = about.iter().filter(|f| f.status == s).count();
            if n > 0 {
                out.plain(format!("  {} {n}", s.label()));
            }
        }
    }
    Described {
        title,
        lines: out.lines,
    }
}

fn input_state<T>(input: &crate::facts::Input<T>) -> String {
    match input {
        crate::facts::Input::Ready(_) => "read".to_string(),
        crate::facts::Input::Missing(why) => format!("not captured ({why})"),
        crate::facts::Input::Failed(why) => format!("failed ({why})"),
    }
}

fn node_summary(model: &Model, node: &Node, out: &mut Out) {
    let info = &node.status.node_info;
    out.field("Name", node.name());
    out.field(
        "OS",
        format!("{} ({})", info.operating_system, info.os_image),
    );
    out.plain("Labels:");
    for (k, v) in &node.metadata.labels {
        out.plain(format!("  {k}={v}"));
    }
    let taints: Vec<String> = node
        .spec
        .taints
        .iter()
        .map(|t| match &t.value {
            Some(v) => format!("{}={}:{}", t.key, v, t.effect),
            None => format!("{}:{}", t.key, t.effect),
        })
        .collect();
    out.field("Taints", taints.join(", "));
    out.field("Unschedulable", node.spec.unschedulable.to_string());
    let addresses: Vec<String> = node
        .status
        .addresses
        .iter()
        .map(|a| format!("{} {}", a.type_, a.address))
        .collect();
    out.field("Addresses", addresses.join(", "));
    let cidrs = if node.spec.pod_cidrs.is_empty() {
        node.spec.pod_cidr.clone().unwrap_or_default()
    } else {
        node.spec.pod_cidrs.join(", ")
    };
    out.field("PodCIDRs", cidrs);
    if let Some(p) = &node.spec.provider_id {
        out.field("ProviderID", p);
    }
    out.heading("System Info");
    out.field("  Kernel Version", &info.kernel_version);
    out.field("  Kubelet Version", &info.kubelet_version);
    out.field("  Kube-Proxy Version", &info.kube_proxy_version);
    out.field("  Container Runtime", &info.container_runtime_version);
    out.field("  Architecture", &info.architecture);
    let resource = |m: &std::collections::BTreeMap<String, serde_json::Value>, k: &str| {
        m.get(k).map_or("-".to_string(), |v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    out.heading("Capacity / Allocatable");
    for k in ["cpu", "memory", "pods"] {
        out.plain(format!(
            "  {k:<8}{:>14} / {}",
            resource(&node.status.capacity, k),
            resource(&node.status.allocatable, k)
        ));
    }
    out.heading("Conditions");
    for c in &node.status.conditions {
        out.plain(format!(
            "  {:<20}{:<8}{:<28}{}",
            c.type_,
            c.status,
            c.reason.as_deref().unwrap_or(""),
            c.message.as_deref().unwrap_or("")
        ));
        if let Some(t) = &c.last_transition_time {
            out.plain(format!("  {:<20}since {t}", ""));
        }
    }
    if model.facts().cluster.pods.is_ready() {
        let pods: Vec<&Pod> = model.pod_lookup().on_node(node.name()).collect();
        out.heading(format!("Pods on this node ({})", pods.len()));
        pod_lines(pods.iter().copied(), out);
    }
    if let Some(events) = model.facts().cluster.events.ready() {
        let grouped = model.events_by_node(&[node], events.iter(), true);
        let list: Vec<&Event> = grouped.into_iter().flat_map(|(_, e)| e).collect();
        event_lines(&list, out);
    }
}

fn pod_lines<'p>(pods: impl Iterator<Item = &'p Pod>, out: &mut Out) {
    let pods: Vec<&Pod> = pods.collect();
    // Pods that are not running first: they are what an operator looks for.
    let mut sorted = pods.clone();
    sorted.sort_by_key(|p| p.status.phase.as_deref() == Some("Running"));
    for p in sorted.iter().take(MAX_LISTED) {
        let restarts: i64 = p
            .status
            .container_statuses
            .iter()
            .map(|c| c.restart_count)
            .sum();
        let waiting = p
            .status
            .container_statuses
            .iter()
            .find_map(|c| c.state.waiting.as_ref().and_then(|w| w.reason.clone()))
            .unwrap_or_default();
        out.plain(format!(
            "  {:<48} {:<10} restarts {:<4} {}",
            p.key(),
            p.status.phase.as_deref().unwrap_or("?"),
            restarts,
            waiting
        ));
    }
    if pods.len() > MAX_LISTED {
        out.plain(format!("  … and {} more", pods.len() - MAX_LISTED));
    }
}

fn event_lines(events: &[&Event], out: &mut Out) {
    out.heading(format!("Warning events ({})", events.len()));
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|e| std::cmp::Reverse(e.when().map(str::to_string)));
    for e in sorted.iter().take(MAX_LISTED) {
        out.plain(format!(
            "  {}  {}{}  {}",
            e.when().unwrap_or("-"),
            e.reason,
            e.count
                .filter(|n| *n > 1)
                .map_or(String::new(), |n| format!(" (x{n})")),
            e.reference()
        ));
        out.plain(format!(
            "      {}",
            crate::facts::cluster::clip(&e.message, 300)
        ));
    }
    if events.len() > MAX_LISTED {
        out.plain(format!("  … and {} more", events.len() - MAX_LISTED));
    }
}

fn scheduling_lines(spec: &PodSpec, out: &mut Out) {
    let selector: Vec<String> = spec
        .node_selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out.field("Node-Selectors", selector.join(", "));
    let tolerations: Vec<String> = spec
        .tolerations
        .iter()
        .map(|t| {
            format!(
                "{}{}{}",
                t.key.as_deref().unwrap_or("*"),
                t.value
                    .as_deref()
                    .map_or(String::new(), |v| format!("={v}")),
                t.effect
                    .as_deref()
                    .map_or(String::new(), |e| format!(":{e}"))
            )
        })
        .collect();
    out.field("Tolerations", tolerations.join(", "));
    if let Some(os) = &spec.os {
        out.field("OS", &os.name);
    }
    if let Some(rc) = &spec.runtime_class_name {
        out.field("RuntimeClass", rc);
    }
    if spec.host_network {
        out.field("Host Network", "true");
    }
}

fn pod_summary(model: &Model, pod: &Pod, out: &mut Out) {
    out.field("Name", pod.name());
    out.field("Namespace", pod.namespace());
    out.field("Node", pod.node_name().unwrap_or("(not scheduled)"));
    out.field("Status", pod.status.phase.as_deref().unwrap_or("?"));
    if let Some(r) = &pod.status.reason {
        out.field("Reason", r);
    }
    if let Some(m) = &pod.status.message {
        out.field("Message", m);
    }
    out.field("Pod IP", pod.status.pod_ip.as_deref().unwrap_or(""));
    out.field("Host IP", pod.status.host_ip.as_deref().unwrap_or(""));
    out.field("Controlled By", pod.owner().unwrap_or_default());
    scheduling_lines(&pod.spec, out);
    if pod.spec.host_process() {
        out.field("HostProcess", "true");
    }
    out.heading("Containers");
    for c in &pod.spec.containers {
        out.plain(format!("  {}:", c.name));
        out.plain(format!("    Image:     {}", c.image));
        if let Some(s) = pod
            .status
            .container_statuses
            .iter()
            .find(|s| s.name == c.name)
        {
            let state = if s.state.running.is_some() {
                "Running".to_string()
            } else if let Some(w) = &s.state.waiting {
                format!(
                    "Waiting: {} {}",
                    w.reason.as_deref().unwrap_or(""),
                    w.message.as_deref().unwrap_or("")
                )
            } else if let Some(t) = &s.state.terminated {
                format!(
                    "Terminated: {} (exit {})",
                    t.reason.as_deref().unwrap_or(""),
                    t.exit_code.map_or("?".to_string(), |c| c.to_string())
                )
            } else {
                "unknown".to_string()
            };
            out.plain(format!("    State:     {}", state.trim_end()));
            out.plain(format!("    Ready:     {}", s.ready));
            out.plain(format!("    Restarts:  {}", s.restart_count));
        }
    }
    if let Some(events) = model.facts().cluster.events.ready() {
        let list: Vec<&Event> = events
            .iter()
            .filter(|e| e.pod_key() == Some((pod.namespace(), pod.name())))
            .collect();
        event_lines(&list, out);
    }
}

fn daemonset_summary(model: &Model, ds: &DaemonSet, out: &mut Out) {
    let ns = ds.metadata.namespace.as_deref().unwrap_or("default");
    out.field("Name", &ds.metadata.name);
    out.field("Namespace", ns);
    let s = &ds.status;
    out.field(
        "Pods",
        format!(
            "{} desired, {} scheduled, {} ready, {} misscheduled, {} unavailable",
            s.desired_number_scheduled,
            s.current_number_scheduled,
            s.number_ready,
            s.number_misscheduled,
            s.number_unavailable.unwrap_or(0)
        ),
    );
    scheduling_lines(&ds.spec.template.spec, out);
    out.heading("Containers");
    for c in &ds.spec.template.spec.containers {
        out.plain(format!("  {}: {}", c.name, c.image));
    }
    if model.facts().cluster.pods.is_ready() {
        let pods: Vec<&Pod> = model
            .pod_lookup()
            .in_namespace(ns)
            .filter(|p| {
                p.metadata
                    .owner_references
                    .iter()
                    .any(|o| o.kind == "DaemonSet" && o.name == ds.metadata.name)
            })
            .collect();
        let not_running: Vec<&Pod> = pods
            .iter()
            .copied()
            .filter(|p| p.status.phase.as_deref() != Some("Running"))
            .collect();
        out.heading(format!(
            "Its pods: {} ({} not running)",
            pods.len(),
            not_running.len()
        ));
        pod_lines(pods.iter().copied(), out);
    }
}

/// Redacts `text`, expands tabs and makes control characters visible (`^[` for ESC), line by line.
pub fn clean_lines(text: &str) -> Vec<String> {
    let text = crate::redact::redact(text);
    text.lines().map(clean_line).collect()
}

fn clean_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\t' => {
                let pad = 4 - out.chars().count() % 4;
                out.extend(std::iter::repeat_n(' ', pad));
            }
            '\r' => {}
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from_u32(c as u32 + 0x40).unwrap_or('?'));
            }
            '\u{7f}' => out.push_str("^?"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Evidence, Status, Subject};

    #[test]
    fn related_objects_come_from_subject_node_and_evidence() {
        let mut f = Finding {
            check: "x".into(),
            code: "x".into(),
            node: Some("win-a".into()),
            title: "x".into(),
            status: Status::Fail,
            subject: Subject::namespaced("Deployment", "web", "iis"),
            message: String::new(),
            evidence: vec![],
            fix: None,
            docs: vec![],
            muted: None,
        };
        f.evidence(Evidence::api("Pod/web/iis-1 .spec.nodeName", "win-a"))
            .evidence(Evidence::api("Node/win-a .status", "x"))
            .evidence(Evidence::log(
                "pod log kube-system/flannel-x/flannel line 3",
                "x",
            ))
            .evidence(Evidence::event(
                "DaemonSet/kube-system/flannel FailedCreate",
                "x",
            ));
        let names: Vec<String> = related_objects(&f).iter().map(ObjectRef::display).collect();
        assert_eq!(
            names,
            [
                "Node/win-a",
                "Pod/web/iis-1",
                "Pod/kube-system/flannel-x",
                "DaemonSet/kube-system/flannel"
            ]
        );
    }

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(
            clean_lines("a\tb\x1b]52;c;x\x07\r\nnext"),
            ["a   b^[]52;c;x^G", "next"]
        );
    }

    #[test]
    fn without_a_run_it_says_to_wait() {
        let obj = ObjectRef {
            kind: "Node".into(),
            namespace: None,
            name: "n".into(),
        };
        let d = describe(None, &obj, &[]);
        assert_eq!(d.title, "Node/n");
        assert!(d.lines[0].text.contains("not finished"));
    }
}
