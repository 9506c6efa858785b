//! Matches the failure-signature library (`crate::catalogue::signatures`) against every text
//! source of a run, once: node log tails and Windows Event Log entries (per node part, when the node
//! model is built), and the cluster's events, pod logs and container state messages (termination
//! and waiting messages) of pods on Windows nodes (on first use, kept until pods or events change).
//!
//! A hit is a signature seen in one place (one log file, one Event Log, one event, one container):
//! the last matching line, where it was read, and how many lines matched there. `Eval` turns the
//! hits of a check into findings of the signature's part; nothing here records a finding.

use crate::catalogue::signatures::{library, Library};
use crate::facts::k8s::{Event, Pod, PodLog};
use crate::facts::node::eventlog::EventLogTail;
use crate::facts::node::logs::shorten;
use crate::facts::node::NodeLog;
use crate::findings::{EvidenceSource, Subject};
use std::collections::BTreeMap;

/// One signature seen in one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Position of the signature in the library.
    pub signature: usize,
    /// What the finding is about: the Node (node sources), the Pod, the event's object. `None`
    /// for node sources, whose Node name the view gives.
    pub subject: Option<Subject>,
    pub source: EvidenceSource,
    /// Where the line was read: `C:\k\kubelet.log:120`, `eventlog/System #7031 2024-06-07T10:00Z`,
    /// `Event Pod/ns/name FailedCreatePodSandBox`, `Pod/ns/name container c (terminated)`.
    pub reference: String,
    /// The matching line (the last one in that place), shortened.
    pub line: String,
    /// How many lines of that place matched.
    pub count: usize,
}

/// Collects hits, one per (signature, place), keeping the last line.
#[derive(Default)]
struct Collector {
    hits: BTreeMap<(usize, String), Hit>,
    order: Vec<(usize, String)>,
}

impl Collector {
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        lib: &Library,
        place: &str,
        subject: &Option<Subject>,
        source: EvidenceSource,
        reference: impl Fn() -> String,
        text: &str,
    ) {
        for signature in lib.matches(text) {
            let key = (signature, place.to_string());
            match self.hits.get_mut(&key) {
                Some(hit) => {
                    hit.count += 1;
                    hit.reference = reference();
                    hit.line = shorten(text.trim(), 400);
                }
                None => {
                    self.order.push(key.clone());
                    self.hits.insert(
                        key,
                        Hit {
                            signature,
                            subject: subject.clone(),
                            source,
                            reference: reference(),
                            line: shorten(text.trim(), 400),
                            count: 1,
                        },
                    );
                }
            }
        }
    }

    fn into_hits(mut self) -> Vec<Hit> {
        self.order
            .iter()
            .filter_map(|k| self.hits.remove(k))
            .collect()
    }
}

/// The hits in a node part's log tails and Event Log entries. Logs made from Event Log files
/// (component `eventlog:NAME`) are skipped: their entries are scanned as entries.
pub fn scan_node(logs: &[NodeLog], eventlogs: &[EventLogTail]) -> Vec<Hit> {
    let lib = library();
    let mut c = Collector::default();
    for log in logs
        .iter()
        .filter(|l| !l.component.starts_with("eventlog:"))
    {
        for (i, line) in log.text.lines().enumerate() {
            c.line(
                lib,
                &log.path,
                &None,
                EvidenceSource::Log,
                || format!("{}:{}", log.path, i + 1),
                line,
            );
        }
    }
    for tail in eventlogs {
        let place = format!("eventlog/{}", tail.name);
        for e in &tail.events {
            // Multi-line messages (Service Control Manager, HNS) are matched whole, on one line.
            let message = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
            c.line(
                lib,
                &place,
                &None,
                EvidenceSource::Log,
                || e.reference(&tail.name),
                &message,
            );
        }
    }
    c.into_hits()
}

/// The hits in the cluster's text sources about Windows nodes: events whose object is a Windows
/// Node or a pod on one, pod logs and container state messages of pods on Windows nodes.
/// `windows_pods` are the pods whose own `nodeName` is a Windows node; `windows_node(name)` says
/// whether a node runs Windows; `pod_on_windows(namespace, name)` whether the pod an event or log
/// names runs on a Windows node.
pub fn scan_cluster(
    events: &[Event],
    windows_pods: &[&Pod],
    logs: &[PodLog],
    windows_node: &dyn Fn(&str) -> bool,
    pod_on_windows: &dyn Fn(&str, &str) -> bool,
) -> Vec<Hit> {
    let lib = library();
    let mut c = Collector::default();
    for e in events {
        let o = &e.involved_object;
        let relevant = match o.kind.as_str() {
            "Node" => windows_node(&o.name),
            "Pod" => pod_on_windows(o.namespace.as_deref().unwrap_or("default"), &o.name),
            _ => false,
        };
        if !relevant {
            continue;
        }
        let subject = Some(match &o.namespace {
            Some(ns) => Subject::namespaced(&o.kind, ns.clone(), o.name.clone()),
            None => Subject::new(&o.kind, o.name.clone()),
        });
        let place = format!("event {}", e.reference());
        let message = e.message.split_whitespace().collect::<Vec<_>>().join(" ");
        c.line(
            lib,
            &place,
            &subject,
            EvidenceSource::Event,
            || format!("Event {}", e.reference()),
            &message,
        );
    }
    for pod in windows_pods {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let name = pod.metadata.name.as_str();
        let subject = Some(Subject::namespaced("Pod", ns, name));
        for cs in pod
            .status
            .container_statuses
            .iter()
            .chain(&pod.status.init_container_statuses)
        {
            let details = [
                ("state.terminated", cs.state.terminated.as_ref()),
                ("state.waiting", cs.state.waiting.as_ref()),
                ("lastState.terminated", cs.last_terminated.as_deref()),
            ];
            for (which, detail) in details {
                let Some(message) = detail.and_then(|d| d.message.as_deref()) else {
                    continue;
                };
                let place = format!("Pod/{ns}/{name} {} {which}", cs.name);
                let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
                c.line(
                    lib,
                    &place,
                    &subject,
                    EvidenceSource::Api,
                    || {
                        format!(
                            "Pod/{ns}/{name} .status.containerStatuses[{}].{which}.message",
                            cs.name
                        )
                    },
                    &message,
                );
            }
        }
    }
    for log in logs {
        if !pod_on_windows(&log.namespace, &log.pod) {
            continue;
        }
        let subject = Some(Subject::namespaced("Pod", &log.namespace, &log.pod));
        let place = format!("log {}/{}/{}", log.namespace, log.pod, log.container);
        for (i, line) in log.text.lines().enumerate() {
            c.line(
                lib,
                &place,
                &subject,
                EvidenceSource::Log,
                || {
                    format!(
                        "cluster/logs/{}/{}/{}.log:{}",
                        log.namespace,
                        log.pod,
                        log.container,
                        i + 1
                    )
                },
                line,
            );
        }
    }
    c.into_hits()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::node::eventlog::WinEvent;

    fn id(h: &Hit) -> &str {
        &library().signatures[h.signature].id
    }

    #[test]
    fn a_log_line_and_an_event_log_entry_become_hits() {
        let logs = vec![NodeLog {
            component: "kubelet".into(),
            path: r"C:\k\kubelet.log".into(),
            text: "I0422 ok\nE0422 16:33:34.925557    7636 kubelet.go:1852] skipping pod synchronization - PLEG is not healthy: pleg was last seen active 3m21.3659944s ago; threshold is 3m0s\nE0422 16:36:34.9 kubelet.go:1852] skipping pod synchronization - PLEG is not healthy: pleg was last seen active 3m9s ago; threshold is 3m0s\n".into(),
        }];
        let tail = EventLogTail {
            name: "System".into(),
            path: "node/eventlog/System.json".into(),
            events: vec![WinEvent {
                time_created: "2024-06-07T10:18:01Z".into(),
                provider: "Service Control Manager".into(),
                id: Some(7023),
                level: "Error".into(),
                message: "The kubelet service terminated with the following error: \r\nThe service did not respond to the start or control request in a timely fashion.".into(),
            }],
        };
        let hits = scan_node(&logs, &[tail]);
        let pleg = hits
            .iter()
            .find(|h| id(h) == "pleg-unhealthy")
            .expect("pleg");
        assert_eq!(pleg.count, 2);
        assert_eq!(pleg.reference, r"C:\k\kubelet.log:3");
        assert!(
            hits.iter()
                .any(|h| h.reference.starts_with("eventlog/System")),
            "{hits:?}"
        );
    }
}
