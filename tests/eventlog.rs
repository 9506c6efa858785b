//! The Windows Event Log as a source: `node/eventlog/NAME.json` tails in the shape Windows PowerShell
//! 5.1 writes them (UTF-16LE with BOM, `\/Date(ms)\/` times, one object for one event) are read into
//! typed facts, and an entry whose message is a known failure wording becomes the evidence of a
//! finding of the signature's check and part. A node part without Event Log tails says they were not
//! gathered.

use std::path::{Path, PathBuf};
use windoctor::checks;
use windoctor::facts::Input;
use windoctor::findings::Status;
use windoctor::model::World;
use windoctor::sources::{bundle, files::DirStore};

fn bundle_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("bundles")
        .join(name)
}

fn world(name: &str) -> World {
    let store = DirStore::open(&bundle_dir(name)).expect("bundle opens");
    let mut facts = bundle::read_bundle(&store);
    windoctor::model::resolve_local_node(&mut facts, None);
    World::new(facts)
}

#[test]
fn event_log_tails_are_read_into_typed_facts() {
    let w = world("node-eventlog-crash");
    let Input::Ready(tails) = &w.facts.node.eventlogs else {
        panic!("eventlogs: {:?}", w.facts.node.eventlogs)
    };
    let system = tails.iter().find(|t| t.name == "System").expect("System");
    assert_eq!(system.events.len(), 2);
    let first = &system.events[0];
    assert_eq!(first.id, Some(7023));
    assert_eq!(first.provider, "Service Control Manager");
    assert_eq!(first.level, "Error");
    assert_eq!(first.time_created, "2025-12-06T11:00:00Z");
    assert!(first.message.contains("did not respond to the start"));
    // One event: ConvertTo-Json wrote a single object, not an array.
    let kubelet = tails.iter().find(|t| t.name == "kubelet").expect("kubelet");
    assert_eq!(kubelet.events.len(), 1);
    assert_eq!(kubelet.events[0].provider, "kubelet");
}

#[test]
fn an_event_log_entry_becomes_evidence_of_a_finding() {
    let w = world("node-eventlog-crash");
    let findings = checks::run_on("node-services", &w).findings;
    let crash = findings
        .iter()
        .find(|f| {
            f.evidence
                .iter()
                .any(|e| e.reference.starts_with("eventlog/System"))
        })
        .unwrap_or_else(|| panic!("no finding cites the Event Log: {findings:#?}"));
    assert_eq!(crash.status, Status::Fail);
    assert_eq!(crash.code, "node-services/service-stopped");
    assert!(
        crash.message.contains("scm-start-timeout-text"),
        "{}",
        crash.message
    );
    let e = &crash.evidence[0];
    assert_eq!(
        e.reference,
        "eventlog/System Service Control Manager #7023 2025-12-06T11:00:00Z"
    );
    assert!(e
        .excerpt
        .contains("The kubelet service terminated with the following error"));
    assert!(crash.fix.is_some());
    // The healthy kubelet line and the 7036 "entered the running state" event match nothing.
    let all: Vec<_> = windoctor::catalogue::CHECK_IDS
        .iter()
        .flat_map(|id| checks::run_on(id, &w).findings)
        .filter(|f| {
            f.evidence
                .iter()
                .any(|e| e.reference.starts_with("eventlog/"))
        })
        .collect();
    assert_eq!(all.len(), 1, "{all:#?}");
}

#[test]
fn a_node_part_without_event_log_tails_says_they_were_not_gathered() {
    let w = world("node-overlay-healthy");
    match &w.facts.node.eventlogs {
        Input::Missing(why) => assert!(why.contains("not gathered"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_cli_reports_the_event_log_evidence() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_windoctor"))
        .stdin(std::process::Stdio::null())
        .arg("--snapshot")
        .arg(bundle_dir("node-eventlog-crash"))
        .args(["--only", "node-services", "--report", "json"])
        .output()
        .expect("windoctor runs");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("the report is JSON");
    let text = report.to_string();
    assert!(
        text.contains("eventlog/System Service Control Manager #7023"),
        "{text}"
    );
}
