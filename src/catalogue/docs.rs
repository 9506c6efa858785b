//! Renders `docs/checks.md` from the catalogue, so the documentation can never drift from the data.
//!
//! The test `docs_checks_md_is_current` compares the committed file with this rendering; run
//! `WINDOCTOR_BLESS=1 cargo test docs_checks_md_is_current` to rewrite it after editing `checks/`.

use super::{CheckMeta, Scope};
use std::fmt::Write;

pub fn render_checks_md(metas: &[CheckMeta]) -> String {
    let mut out = String::new();
    out.push_str("# windoctor checks\n\n");
    out.push_str("<!-- Generated from checks/*.toml by `WINDOCTOR_BLESS=1 cargo test docs_checks_md_is_current`. Do not edit by hand. -->\n\n");
    out.push_str(
        "Scope: C = cluster API, N = local Windows node, A = active probe (opt-in, `--probe`).\n\n",
    );
    out.push_str("| id | scope | area | title |\n| --- | --- | --- | --- |\n");
    for m in metas {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} |",
            m.id,
            m.id,
            scope_letters(m),
            m.area.as_str(),
            m.title
        );
    }
    for m in metas {
        let _ = write!(
            out,
            "\n## {}\n\n**{}** (scope {}, area {})\n\n",
            m.id,
            m.title,
            scope_letters(m),
            m.area.as_str()
        );
        out.push_str(m.explanation.trim());
        out.push_str("\n\nParts (each finding carries its code; `--only`/`--skip` take it):\n\n");
        for p in &m.parts {
            let _ = writeln!(out, "- `{}`: {}", m.code(&p.code), p.title.trim());
        }
        let _ = writeln!(
            out,
            "- `{}`: an input was not captured or could not be read, or holds nothing to examine",
            m.code(super::INPUT_PART)
        );
        if !m.node_paths.is_empty() {
            out.push_str("\nNode paths read (`checks/data/node-paths.toml`):\n\n");
            for name in &m.node_paths {
                let _ = writeln!(out, "- {}", node_path_text(name));
            }
        }
        out.push_str("\nSource:\n");
        for d in &m.docs {
            match &d.url {
                Some(url) => {
                    let _ = writeln!(out, "- `{}` § {} ({url})", d.file, d.section);
                }
                None => {
                    let _ = writeln!(out, "- `{}` § {}", d.file, d.section);
                }
            }
        }
        if !m.fixes.is_empty() {
            out.push_str("\nFixes (placeholders are filled with the real values):\n");
            for (name, fix) in &m.fixes {
                let _ = writeln!(out, "\n- *{name}*: {}", fix.text.trim());
                if !fix.commands.is_empty() {
                    out.push_str("\n  ```\n");
                    for c in &fix.commands {
                        let _ = writeln!(out, "  {c}");
                    }
                    out.push_str("  ```\n");
                }
            }
        }
        if !m.patterns.is_empty() {
            out.push_str("\nRecognised wordings (regexes, each tested on its examples):\n");
            for (name, p) in &m.patterns {
                let _ = writeln!(
                    out,
                    "\n- `{name}`{}: `{}`",
                    p.about
                        .as_deref()
                        .map(|a| format!(" ({})", a.trim()))
                        .unwrap_or_default(),
                    code_span(&p.re)
                );
                let example = p
                    .matches
                    .iter()
                    .find(|e| e.cite().is_some())
                    .or(p.matches.first());
                if let Some(e) = example {
                    let _ = write!(out, "  e.g. `{}`", code_span(&clip(e.text(), 160)));
                    match e.cite() {
                        Some(c) => {
                            let _ = writeln!(out, " ({c})");
                        }
                        None => out.push('\n'),
                    }
                }
            }
        }
        if !m.examples.is_empty() {
            out.push_str("\nExamples (run by the test suite):\n\n");
            for e in &m.examples {
                let _ = writeln!(out, "- {}: **{}**", e.name, e.expect);
            }
        }
    }
    out
}

/// Renders `docs/signatures.md`: the failure-signature library (`checks/signatures/`), per check.
pub fn render_signatures_md(lib: &super::signatures::Library, metas: &[CheckMeta]) -> String {
    let mut out = String::new();
    out.push_str("# windoctor failure signatures\n\n");
    out.push_str("<!-- Generated from checks/signatures/*.toml by `WINDOCTOR_BLESS=1 cargo test docs_signatures_md_is_current`. Do not edit by hand. -->\n\n");
    out.push_str(
        "windoctor matches these wordings against every text source it has: node log files, Windows \
         Event Log entries, pod logs of pods on Windows nodes, events about Windows nodes and their \
         pods, and container termination and waiting messages. A match becomes a finding of the \
         check and part named, with the matched line as evidence. Each signature was seen in a real \
         public issue or source (cited) and is tested against near misses that must not match. A \
         signature marked *judged by* is left to that pattern of its check, which reads the \
         wording with more context.\n\n",
    );
    out.push_str("| check | signatures |\n| --- | --- |\n");
    let mut total = 0;
    for m in metas {
        let n = lib.signatures.iter().filter(|s| s.check == m.id).count();
        total += n;
        let _ = writeln!(out, "| [`{}`](#{}) | {n} |", m.id, m.id);
    }
    let _ = writeln!(out, "| **total** | **{total}** |");
    for m in metas {
        let _ = write!(out, "\n## {}\n\n{}\n", m.id, m.title);
        for s in lib.signatures.iter().filter(|s| s.check == m.id) {
            let _ = write!(
                out,
                "\n### `{}`\n\n- code `{}`, status **{}**, from `checks/signatures/{}.toml`; seen in: {}\n- regex: `{}`\n- meaning: {}\n",
                s.id,
                m.code(&s.part),
                s.status,
                s.component,
                s.sources.join(", "),
                code_span(&s.pattern.re),
                s.meaning.trim()
            );
            let fix = s.fix(m);
            if !fix.text.is_empty() {
                let _ = writeln!(out, "- fix: {}", fix.text.trim());
            }
            if let Some(p) = &s.judged_by {
                let _ = writeln!(out, "- judged by the check's pattern `{p}`");
            }
            if !s.overrides.is_empty() {
                let _ = writeln!(
                    out,
                    "- more specific than (replaces on a line both match): {}",
                    s.overrides
                        .iter()
                        .map(|o| format!("`{o}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            for e in &s.pattern.matches {
                let _ = writeln!(
                    out,
                    "- example ({}): `{}`",
                    e.cite().unwrap_or("constructed"),
                    code_span(&clip(e.text(), 300))
                );
            }
            for e in &s.pattern.nomatch {
                let _ = writeln!(out, "- near miss: `{}`", code_span(&clip(e.text(), 300)));
            }
        }
    }
    out
}

/// A node path named in `checks/data/node-paths.toml`, as the docs show it.
fn node_path_text(name: &str) -> String {
    let paths = super::data::node_paths();
    if let Some(p) = paths.files.get(name).or(paths.kubeconfigs.get(name)) {
        return format!("`{p}` ({name})");
    }
    let list = match name {
        "cni_dirs" => &paths.cni_dirs,
        "log_dirs" => &paths.log_dirs,
        _ => return format!("{name} (unknown)"),
    };
    let shown: Vec<String> = list.iter().map(|p| format!("`{p}`")).collect();
    format!("{} ({name})", shown.join(", "))
}

/// Text safe inside a Markdown table-free code span: `|` escaped, backticks replaced.
fn code_span(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace('\n', " ")
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}...")
}

fn scope_letters(m: &CheckMeta) -> String {
    let mut s = String::new();
    for (scope, letter) in [
        (Scope::Cluster, "C"),
        (Scope::Node, "N"),
        (Scope::Probe, "A"),
    ] {
        if m.has_scope(scope) {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(letter);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_signatures_md_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/signatures.md");
        let want = render_signatures_md(
            crate::catalogue::signatures::library(),
            crate::catalogue::catalogue(),
        );
        if std::env::var_os("WINDOCTOR_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write docs/signatures.md");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/signatures.md is stale: run `WINDOCTOR_BLESS=1 cargo test docs_signatures_md_is_current` and commit it"
        );
    }

    #[test]
    fn docs_checks_md_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks.md");
        let want = render_checks_md(crate::catalogue::catalogue());
        if std::env::var_os("WINDOCTOR_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write docs/checks.md");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/checks.md is stale: run `WINDOCTOR_BLESS=1 cargo test docs_checks_md_is_current` and commit it"
        );
        for id in crate::catalogue::CHECK_IDS {
            assert!(
                have.contains(&format!("## {id}\n")),
                "docs/checks.md lacks {id}"
            );
        }
    }
}
