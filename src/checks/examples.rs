//! Runs every example of every check in `checks/*.toml`: each is a tiny bundle held in memory, read by
//! the same bundle reader as real bundles, and the check must reach the status the example expects.

use crate::catalogue::catalogue;
use crate::findings::{row_status, Status};
use crate::sources::{bundle, files::MemoryStore};

#[test]
fn every_catalogue_example_gives_its_expected_status() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for meta in catalogue() {
        for ex in &meta.examples {
            ran += 1;
            let store = MemoryStore::from_text(&ex.files);
            let mut facts = bundle::read_bundle(&store);
            crate::model::resolve_local_node(&mut facts, ex.node.as_deref());
            let result = super::run_on(&meta.id, &crate::model::World::new(facts));
            let expected = Status::parse(&ex.expect);
            let got = row_status(&result.findings);
            let mut problem = None;
            if got != expected {
                problem = Some(format!("status {got:?}, expected {:?}", ex.expect));
            } else if let Some(phrase) = &ex.message {
                if !result
                    .findings
                    .iter()
                    .any(|f| Some(f.status) == expected && f.message.contains(phrase.as_str()))
                {
                    problem = Some(format!("no {} finding mentions {phrase:?}", ex.expect));
                }
            }
            let placeholders = crate::catalogue::placeholders(meta);
            for f in &result.findings {
                if let Some(fix) = &f.fix {
                    for t in std::iter::once(&fix.text).chain(fix.commands.iter()) {
                        if t.contains("windoctor bug")
                            || placeholders.iter().any(|p| t.contains(&format!("<{p}>")))
                        {
                            problem = Some(format!(
                                "fix has an unfilled placeholder or unknown fix name: {t}"
                            ));
                        }
                    }
                }
            }
            if let Some(p) = problem {
                let detail: Vec<String> = result
                    .findings
                    .iter()
                    .map(|f| format!("    {} {}: {}", f.status, f.subject.display(), f.message))
                    .collect();
                failures.push(format!(
                    "{} / {}: {p}\n{}",
                    meta.id,
                    ex.name,
                    detail.join("\n")
                ));
            }
        }
    }
    assert!(ran > 0, "no examples ran");
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
