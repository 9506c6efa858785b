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
        out.push_str("\n\nSource:\n");
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
            out.push_str("\nRecognised wordings (regexes):\n\n");
            for (name, re) in &m.patterns {
                let _ = writeln!(out, "- `{name}`: `{}`", re.replace('|', "\\|"));
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
