//! The checks and their catalogue agree: every finding a check emits on the catalogue's examples,
//! the demo and the test bundles carries a code its TOML declares (`<check>/<part>` or
//! `<check>/input`), and every `part("...")`, `pattern("...")` and `fix("...")` named in a check's
//! source is declared in its TOML, while every declared part, pattern and fix is named somewhere in
//! that source (a misspelled name would otherwise never match, or render "windoctor bug").

use crate::catalogue::{catalogue, CheckMeta};
use crate::facts::Facts;
use crate::model::World;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every check run on `facts` (with `node` as the local node); problems name `origin`.
fn undeclared_codes(mut facts: Facts, node: Option<&str>, origin: &str) -> Vec<String> {
    crate::model::resolve_local_node(&mut facts, node);
    let world = World::new(facts);
    let mut problems = Vec::new();
    for meta in catalogue() {
        let codes = meta.codes();
        for f in super::run_on(&meta.id, &world).findings {
            if !codes.contains(&f.code) {
                problems.push(format!(
                    "{origin}: {} emitted code {:?}, not declared in checks/{}.toml ({})",
                    meta.id, f.code, meta.id, f.message
                ));
            }
        }
    }
    problems
}

#[test]
fn every_finding_carries_a_declared_code() {
    let mut problems = Vec::new();
    let mut sources = 0;
    for meta in catalogue() {
        for ex in &meta.examples {
            let store = crate::sources::files::MemoryStore::from_text(&ex.files);
            let facts = crate::sources::bundle::read_bundle(&store);
            sources += 1;
            let origin = format!("{} example {:?}", meta.id, ex.name);
            problems.extend(undeclared_codes(facts, ex.node.as_deref(), &origin));
        }
    }
    problems.extend(undeclared_codes(
        crate::sources::demo::facts(),
        None,
        "demo",
    ));
    sources += 1;
    let bundles = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bundles");
    for entry in std::fs::read_dir(&bundles).into_iter().flatten().flatten() {
        let Ok(store) = crate::sources::files::DirStore::open(&entry.path()) else {
            continue;
        };
        sources += 1;
        let origin = entry.path().display().to_string();
        problems.extend(undeclared_codes(
            crate::sources::bundle::read_bundle(&store),
            None,
            &origin,
        ));
    }
    assert!(sources > 30, "only {sources} inputs examined");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The Rust files of check `meta`: `src/checks/<module>.rs` and everything below
/// `src/checks/<module>/`.
fn check_sources(meta: &CheckMeta) -> Vec<(PathBuf, String)> {
    let module = meta.id.replace('-', "_");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
    let mut files = vec![dir.join(format!("{module}.rs"))];
    let mut pending = vec![dir.join(&module)];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect()
}

/// The string literals passed as the first argument of `.name(` calls: `part("x")`,
/// `pattern(\n "x"`.
fn literals_of(call: &str, text: &str) -> Vec<String> {
    let re = regex::Regex::new(&format!(r#"\b{call}\(\s*"([^"\\]+)""#)).expect("valid regex");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

#[test]
fn named_parts_patterns_and_fixes_are_declared_and_declared_ones_are_used() {
    let mut problems = Vec::new();
    let quoted_re = regex::Regex::new(r#""([a-z0-9_-]+)""#).expect("valid regex");
    for meta in catalogue() {
        let sources = check_sources(meta);
        assert!(!sources.is_empty(), "no source for {}", meta.id);
        let all: String = sources.iter().map(|(_, t)| t.as_str()).collect();
        for (path, text) in &sources {
            let shown = path.display();
            for part in literals_of("part", text) {
                if !meta.has_part(&part) {
                    problems.push(format!(
                        "{shown}: part {part:?} is not a [[part]] of checks/{}.toml",
                        meta.id
                    ));
                }
            }
            for name in literals_of("pattern", text) {
                if !meta.patterns.contains_key(&name) {
                    problems.push(format!(
                        "{shown}: pattern {name:?} is not in [patterns] of checks/{}.toml",
                        meta.id
                    ));
                }
            }
            for name in literals_of("fix", text) {
                if !meta.fixes.contains_key(&name) {
                    problems.push(format!(
                        "{shown}: fix {name:?} is not in [fixes] of checks/{}.toml",
                        meta.id
                    ));
                }
            }
        }
        // Declared names must be used: as a call's literal or as a literal handed to one (names
        // chosen at run time, `ev.part(match ... { ... => "port-closed" })`, are string literals in
        // the same source; `Eval::part` checks those when they run).
        let quoted: BTreeSet<&str> = quoted_re
            .captures_iter(&all)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .collect();
        let by_signature = |code: &str| {
            crate::catalogue::signatures::library()
                .signatures
                .iter()
                .any(|s| s.check == meta.id && s.part == code)
        };
        for p in &meta.parts {
            if !quoted.contains(p.code.as_str()) && !by_signature(&p.code) {
                problems.push(format!(
                    "checks/{}.toml: part {} is never named by the check",
                    meta.id, p.code
                ));
            }
        }
        for name in meta.patterns.keys() {
            if !quoted.contains(name.as_str()) {
                problems.push(format!(
                    "checks/{}.toml: pattern {name} is not used by the check",
                    meta.id
                ));
            }
        }
        for name in meta.fixes.keys() {
            if !quoted.contains(name.as_str()) {
                problems.push(format!(
                    "checks/{}.toml: fix {name} is not used by the check",
                    meta.id
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_misspelled_name_is_caught() {
    let text = r#"ev.part("not-ready"); ev.pattern(
        "waitng"); ev.fix("restart_pod", &[]);"#;
    assert_eq!(literals_of("part", text), vec!["not-ready"]);
    assert_eq!(literals_of("pattern", text), vec!["waitng"]);
    assert_eq!(literals_of("fix", text), vec!["restart_pod"]);
    let meta = crate::catalogue::meta("flanneld-waiting").expect("check");
    assert!(!meta.patterns.contains_key("waitng"));
}

/// The node paths (names of `checks/data/node-paths.toml`) each accessor of the node model reads;
/// an accessor that reads no node file maps to nothing. An accessor a check calls that is not
/// listed here fails the test below, so a new one gets classified.
const ACCESSOR_PATHS: &[(&str, &[&str])] = &[
    ("net_conf", &["net_conf", "net_conf_start_ps1"]),
    ("subnet_env", &["subnet_env"]),
    ("source_vip", &["source_vip"]),
    ("source_vip_request", &["source_vip_request"]),
    ("cni_configs", &["cni_dirs"]),
    ("cni_dirs", &["cni_dirs"]),
    ("cni", &["cni_dirs"]),
    // The files of checks/data/layouts.toml, which the collector's plan holds for every node (the
    // collection test proves it), and the file kube-proxy's --config names (the plan follows it).
    ("layout", &[]),
    ("kube_proxy_config", &[]),
    ("service_cidr", &["cni_dirs"]),
    (
        "cluster_cidr",
        &["subnet_env", "net_conf", "net_conf_start_ps1"],
    ),
    ("flannel_evidence", &["cni_dirs", "subnet_env", "net_conf"]),
    ("kubelet", &["kubeadm_flags_env", "kubelet_config"]),
    ("kubelet_flag_command", &["kubeadm_flags_env"]),
    (
        "sandbox_settings",
        &["containerd_config", "kubeadm_flags_env", "kubelet_config"],
    ),
    ("sandbox_apply", &["containerd_config"]),
    ("api_server_host", &["node_kubeconfig"]),
    ("name", &[]),
    ("node_object", &[]),
    ("component", &[]),
    ("pod_cidr", &[]),
    ("node_ip", &[]),
    ("build", &[]),
    ("from_api", &[]),
];

#[test]
fn checks_declare_the_node_paths_they_read() {
    let paths = crate::catalogue::data::node_paths();
    let known = |name: &str| {
        paths.files.contains_key(name)
            || paths.kubeconfigs.contains_key(name)
            || name == "cni_dirs"
            || name == "log_dirs"
    };
    let accessor = regex::Regex::new(r"\bview\.([a-z_]+)\(").expect("valid regex");
    let mut problems = Vec::new();
    for meta in catalogue() {
        let mut needed: BTreeSet<String> = BTreeSet::new();
        for (path, text) in check_sources(meta) {
            for c in accessor.captures_iter(&text) {
                match ACCESSOR_PATHS.iter().find(|(a, _)| *a == &c[1]) {
                    Some((_, names)) => needed.extend(names.iter().map(|n| n.to_string())),
                    None => problems.push(format!(
                        "{}: view.{}() is not classified in ACCESSOR_PATHS",
                        path.display(),
                        &c[1]
                    )),
                }
            }
            needed.extend(literals_of("node_file", &text));
            if text.contains("ev.node_logs(") {
                needed.insert("log_dirs".to_string());
            }
        }
        for name in &meta.node_paths {
            if !known(name) {
                problems.push(format!(
                    "checks/{}.toml: node path {name} is not in checks/data/node-paths.toml",
                    meta.id
                ));
            }
        }
        for name in needed {
            if !meta.node_paths.contains(&name) {
                problems.push(format!(
                    "checks/{}.toml: reads node path {name} but does not list it in node_paths",
                    meta.id
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
