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
