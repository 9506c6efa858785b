//! The module structure the project promises (README, "How it is built"): the top-level modules
//! of src/ import each other without a cycle, and each layer of the pipeline only looks down
//! (sources -> facts -> model -> checks -> findings -> front-ends). The graph is read from the code:
//! every `crate::<module>` path in non-test code of a module's files is an edge.
//!
//! Run `cargo test --test architecture -- --nocapture` to print the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each layer may not import.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "facts",
        &[
            "model", "checks", "sources", "engine", "report", "tui", "app", "commands", "probes",
        ],
    ),
    (
        "findings",
        &[
            "facts", "model", "checks", "sources", "engine", "report", "tui",
        ],
    ),
    (
        "model",
        &[
            "checks", "sources", "engine", "report", "tui", "app", "commands",
        ],
    ),
    (
        "checks",
        &[
            "sources", "engine", "report", "tui", "app", "commands", "probes",
        ],
    ),
    (
        "sources",
        &[
            "model", "checks", "engine", "report", "tui", "app", "commands",
        ],
    ),
    (
        "report",
        &[
            "sources", "engine", "checks", "tui", "app", "commands", "probes",
        ],
    ),
    ("engine", &["report", "tui", "app", "commands", "cli"]),
    (
        "probes",
        &["checks", "engine", "report", "tui", "app", "cli"],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments and without `#[cfg(test)]` items (test-only modules may
/// reach across layers to build fixtures).
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") {
            // Skip the next item: a one-line item, or a block up to its matching brace.
            let mut depth = 0i32;
            let mut opened = false;
            for next in lines.by_ref() {
                depth += next.matches('{').count() as i32 - next.matches('}').count() as i32;
                opened |= next.contains('{');
                if (opened && depth <= 0) || (!opened && next.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let top: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).ok()?;
            let first = rel
                .components()
                .next()?
                .as_os_str()
                .to_string_lossy()
                .to_string();
            Some(first.trim_end_matches(".rs").to_string())
        })
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Ok(rel) = f.strip_prefix(&src) else {
            continue;
        };
        let module = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .unwrap_or_default();
        if !top.contains(&module) {
            continue;
        }
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.ends_with("tests.rs") || name == "examples.rs" {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("source file reads");
        let code = production_code(&text);
        let entry = edges.entry(module.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let target: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if top.contains(&target) && target != module {
                entry.insert(target);
            }
        }
    }
    edges
}

fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(c) = visit(node, edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let edges = graph();
    for (from, to) in &edges {
        println!(
            "{from} -> {}",
            to.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    assert!(edges.len() > 10, "the graph was read: {edges:?}");
    if let Some(cycle) = find_cycle(&edges) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn each_layer_only_looks_down() {
    let edges = graph();
    let mut problems = Vec::new();
    for (layer, forbidden) in FORBIDDEN {
        for target in edges.get(*layer).into_iter().flatten() {
            if forbidden.contains(&target.as_str()) {
                problems.push(format!("{layer} imports {target}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_cycle_is_found() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    if let Some(s) = edges.get_mut("c") {
        s.clear();
    }
    assert_eq!(find_cycle(&edges), None);
}
