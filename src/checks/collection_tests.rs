//! The node collector gathers what the checks read: every node file and directory the model and the
//! checks ask for, on the catalogue's examples, the demo and the test bundles, is in the plan the
//! live collector would follow for that node (`checks/data/node-paths.toml` plus the paths the
//! node's own components and services name). A check that starts reading a file nothing collects
//! fails here, instead of reading as "absent on the node" in live runs.

use crate::facts::node::{normalise_win_path, read_log, NodeFiles};
use crate::facts::Facts;
use crate::model::World;
use crate::sources::node::live::FilePlan;

/// The paths asked for while modelling `facts` and running every check on it.
fn reads_of(mut facts: Facts, node: Option<&str>) -> (Vec<(bool, String)>, Facts) {
    crate::model::resolve_local_node(&mut facts, node);
    read_log::start();
    let world = World::new(facts);
    for id in crate::catalogue::CHECK_IDS {
        let _ = super::run_on(id, &world);
    }
    (read_log::take(), world.facts)
}

fn parent(path: &str) -> String {
    let p = normalise_win_path(path);
    match p.rfind('\\') {
        Some(i) => p[..i].to_string(),
        None => p,
    }
}

/// The reads of `facts` that the collector's plan for the same node would not gather.
fn uncollected(facts: Facts, node: Option<&str>) -> Vec<String> {
    let (reads, facts) = reads_of(facts, node);
    let empty = NodeFiles::default();
    let files = facts.node.files.ready().unwrap_or(&empty);
    let plan = FilePlan::from_components(
        facts
            .node
            .processes
            .ready()
            .map(Vec::as_slice)
            .unwrap_or(&[]),
        facts
            .node
            .services
            .ready()
            .map(Vec::as_slice)
            .unwrap_or(&[]),
        |p| files.get(p).map(|f| f.text.clone()),
    );
    let norm = |v: &[String]| -> Vec<String> { v.iter().map(|p| normalise_win_path(p)).collect() };
    let (plan_files, cni_dirs, log_dirs, logs) = (
        norm(&plan.files),
        norm(&plan.cni_dirs),
        norm(&plan.log_dirs),
        norm(&plan.logs),
    );
    let mut missing = Vec::new();
    for (is_dir, path) in reads {
        let p = normalise_win_path(&path);
        let covered = if is_dir {
            cni_dirs.contains(&p) || log_dirs.contains(&p)
        } else {
            plan_files.contains(&p)
                || logs.contains(&p)
                || cni_dirs.contains(&parent(&p))
                || log_dirs.contains(&parent(&p))
        };
        if !covered && !missing.contains(&path) {
            missing.push(path);
        }
    }
    missing
}

#[test]
fn the_collector_gathers_every_node_file_the_checks_read() {
    let mut problems = Vec::new();
    let mut examined = 0;
    for meta in crate::catalogue::catalogue() {
        for ex in &meta.examples {
            if !ex.files.keys().any(|k| k.starts_with("node/")) {
                continue;
            }
            let store = crate::sources::files::MemoryStore::from_text(&ex.files);
            let facts = crate::sources::bundle::read_bundle(&store);
            examined += 1;
            for path in uncollected(facts, ex.node.as_deref()) {
                problems.push(format!("{} example {:?}: {path}", meta.id, ex.name));
            }
        }
    }
    examined += 1;
    for path in uncollected(crate::sources::demo::facts(), None) {
        problems.push(format!("demo: {path}"));
    }
    let bundles = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles");
    if let Ok(entries) = std::fs::read_dir(&bundles) {
        for entry in entries.flatten() {
            let Ok(store) = crate::sources::files::DirStore::open(&entry.path()) else {
                continue;
            };
            let facts = crate::sources::bundle::read_bundle(&store);
            if !facts.node.present {
                continue;
            }
            examined += 1;
            for path in uncollected(facts, None) {
                problems.push(format!("{}: {path}", entry.path().display()));
            }
        }
    }
    assert!(examined > 10, "only {examined} node parts examined");
    assert!(
        problems.is_empty(),
        "the checks read node paths the live collector does not gather (add them to \
         checks/data/node-paths.toml, or make the collector follow the flag that names them):\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_read_outside_the_plan_is_caught() {
    let store = crate::sources::files::MemoryStore::from_text(
        &[(
            "node/node.json".to_string(),
            r#"{"hostname":"WIN-1"}"#.to_string(),
        )]
        .into_iter()
        .collect(),
    );
    let facts = crate::sources::bundle::read_bundle(&store);
    read_log::start();
    if let Some(files) = facts.node.files.ready() {
        let _ = files.get(r"C:\somewhere\else.json");
        let _ = files.get(crate::catalogue::data::node_file("subnet_env"));
    }
    let reads = read_log::take();
    assert_eq!(reads.len(), 2);
    let empty = NodeFiles::default();
    let plan = FilePlan::from_components(&[], &[], |p| empty.get(p).map(|f| f.text.clone()));
    let planned: Vec<String> = plan.files.iter().map(|p| normalise_win_path(p)).collect();
    assert!(planned.contains(&normalise_win_path(r"C:\run\flannel\subnet.env")));
    assert!(!planned.contains(&normalise_win_path(r"C:\somewhere\else.json")));
}
