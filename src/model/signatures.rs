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
        self.matched(lib.matches(text), place, subject, source, reference, text);
    }

    /// [`Collector::line`] for a line whose signatures were matched already (`found`).
    fn matched(
        &mut self,
        found: Vec<usize>,
        place: &str,
        subject: &Option<Subject>,
        source: EvidenceSource,
        reference: impl Fn() -> String,
        text: &str,
    ) {
        for signature in found {
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

/// The signatures each event's message shows, matched ahead of the hits: a live run matches the
/// events once they and the library are in, while the pods are still being read, so that the
/// hits, which also need every pod, are only a lookup for them. Covers the events of one list
/// (position by position); [`scan_cluster`] uses it only for a list of that length.
#[derive(Debug, Default)]
pub struct EventSignatures {
    /// Per event of the list: the signatures its message shows (empty for other kinds' events).
    found: Vec<Vec<usize>>,
}

impl EventSignatures {
    /// The signatures event `i`'s message shows, when these matches are for a list of `len` events.
    fn of(&self, i: usize, len: usize) -> Option<&[usize]> {
        (self.found.len() == len)
            .then(|| self.found.get(i).map(Vec::as_slice))
            .flatten()
    }
}

/// An event's message as the signatures are matched against it: on one line (multi-line
/// messages are matched whole).
fn event_line(e: &Event) -> Option<String> {
    matches!(e.involved_object.kind.as_str(), "Node" | "Pod")
        .then(|| e.message.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The lines of `events` the signatures are matched against, one per event (`None` for an event
/// about neither a Node nor a Pod), to be matched off the run's main path with [`match_events`].
pub fn event_lines(events: &[Event]) -> Vec<Option<String>> {
    events.iter().map(event_line).collect()
}

/// Matches the library against the lines of [`event_lines`].
pub fn match_events(lines: &[Option<String>]) -> EventSignatures {
    let lib = library();
    EventSignatures {
        found: lines
            .iter()
            .map(|l| l.as_deref().map(|l| lib.matches(l)).unwrap_or_default())
            .collect(),
    }
}

/// The hits in the cluster's text sources about Windows nodes: events whose object is a Windows
/// Node or a pod on one, pod logs and container state messages of pods on Windows nodes.
/// `matched`, when given, holds the events' signatures matched ahead (see [`EventSignatures`]).
/// `windows_pods` are the pods whose own `nodeName` is a Windows node; `windows_node(name)` says
/// whether a node runs Windows; `pod_on_windows(namespace, name)` whether the pod an event or log
/// names runs on a Windows node.
pub fn scan_cluster(
    events: &[Event],
    matched: Option<&EventSignatures>,
    windows_pods: &[&Pod],
    logs: &[PodLog],
    windows_node: &dyn Fn(&str) -> bool,
    pod_on_windows: &dyn Fn(&str, &str) -> bool,
) -> Vec<Hit> {
    let lib = library();
    let mut c = Collector::default();
    for (i, e) in events.iter().enumerate() {
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
        let message = event_line(e).unwrap_or_default();
        let found = match matched.and_then(|m| m.of(i, events.len())) {
            Some(found) => found.to_vec(),
            None => lib.matches(&message),
        };
        c.matched(
            found,
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

    /// The demo, with a Warning event on a pod of a Windows node for each signature that reads
    /// events (its first example as the message), and one about a pod of a Linux node, whose
    /// name is given (its event is no hit).
    fn demo_with_signature_events() -> (crate::facts::Facts, String) {
        let mut facts = crate::sources::demo::facts();
        let model_facts = crate::sources::demo::facts();
        let world = crate::model::World::new(model_facts);
        let model = crate::model::Model::new(&world);
        let hosts = model.windows_hosts();
        let pods = world.facts.cluster.pods.ready().expect("demo pods");
        let on_windows = pods
            .iter()
            .find(|p| p.node_name().is_some_and(|n| hosts.contains(n)))
            .expect("a demo pod on a Windows node");
        let on_linux = pods
            .iter()
            .find(|p| p.node_name().is_some_and(|n| !hosts.contains(n)))
            .expect("a demo pod on a Linux node");
        let event = |pod: &Pod, message: &str| -> Event {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "planted", "namespace": pod.namespace()},
                "involvedObject": {"kind": "Pod", "namespace": pod.namespace(), "name": pod.name()},
                "reason": "Failed", "type": "Warning", "message": message
            }))
            .expect("an event")
        };
        let messages: Vec<&str> = library()
            .signatures
            .iter()
            .filter(|s| s.judged_by.is_none() && s.sources.iter().any(|x| x == "event"))
            .filter_map(|s| s.pattern.matches.first())
            .map(|e| e.text())
            .collect();
        // The Linux pod's event says what the first Windows one says: only its pod tells them apart.
        let planted: Vec<Event> = messages
            .iter()
            .map(|m| event(on_windows, m))
            .chain(messages.first().map(|m| event(on_linux, m)))
            .collect();
        if let crate::facts::Input::Ready(events) = &mut facts.cluster.events {
            events.extend(planted);
        }
        (facts, on_linux.name().to_string())
    }

    /// The events' signatures matched ahead give the hits the hits' own matching gives; matches
    /// made for an earlier events list are not used, and those of the list now stored are (here:
    /// matches that found nothing, so no event hit is left).
    #[test]
    fn events_matched_ahead_give_the_same_hits() {
        use crate::model::{Model, World};
        let (facts, linux_pod) = demo_with_signature_events();
        let own = World::new(facts);
        let expected = Model::new(&own).cluster_signature_hits().to_vec();
        assert!(
            !expected
                .iter()
                .any(|h| h.subject.as_ref().is_some_and(|s| s.name == linux_pod)),
            "{expected:#?}"
        );
        let event_hits = expected
            .iter()
            .filter(|h| h.source == EvidenceSource::Event)
            .count();
        assert!(event_hits >= 20, "{event_hits} event hits: {expected:#?}");

        let mut ahead = World::new(demo_with_signature_events().0);
        let (generation, lines) = ahead.event_lines();
        ahead.store_event_signatures(generation, match_events(&lines));
        assert_eq!(Model::new(&ahead).cluster_signature_hits(), expected);

        let mut stale = World::new(demo_with_signature_events().0);
        stale.store_event_signatures(generation + 1, match_events(&vec![None; lines.len()]));
        assert_eq!(Model::new(&stale).cluster_signature_hits(), expected);

        let mut used = World::new(demo_with_signature_events().0);
        used.store_event_signatures(generation, match_events(&vec![None; lines.len()]));
        let left = Model::new(&used).cluster_signature_hits();
        assert_eq!(left.len(), expected.len() - event_hits);
        assert!(left.iter().all(|h| h.source != EvidenceSource::Event));

        // Matches made for a list of another length are not used either.
        let mut other = World::new(demo_with_signature_events().0);
        other.store_event_signatures(generation, match_events(&vec![None; lines.len() + 1]));
        assert_eq!(Model::new(&other).cluster_signature_hits(), expected);
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
