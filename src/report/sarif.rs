//! `--report sarif`: SARIF 2.1.0 for code-scanning dashboards and CI (GitHub code scanning, Azure
//! DevOps, GitLab). One rule per check part (`ruleId` = the finding's code, e.g.
//! `os-scheduling/untolerated-taint`), with the part's title and the check's documentation link;
//! one result per finding. A finding about a node file gets a physical location (`file:///C:/k/...`);
//! other subjects (Nodes, Pods, Services) get a logical location. Passes and skips are results of
//! kind `pass` / `notApplicable` with level `none`, so the log also says what was checked. Built
//! with the serde-sarif types.

use super::{Report, ReportFinding};
use crate::catalogue;
use crate::findings::Status;
use serde_sarif::sarif;
use std::collections::BTreeMap;

pub fn render(report: &Report) -> String {
    let mut rules: Vec<sarif::ReportingDescriptor> = Vec::new();
    let mut rule_index: BTreeMap<String, i64> = BTreeMap::new();
    for f in &report.findings {
        if rule_index.contains_key(&f.code) {
            continue;
        }
        rule_index.insert(f.code.clone(), rules.len() as i64);
        rules.push(rule(f));
    }
    let results: Vec<sarif::Result> = report
        .findings
        .iter()
        .map(|f| result(f, rule_index.get(&f.code).copied()))
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name(report.tool.name)
        .version(report.tool.version)
        .semantic_version(report.tool.version)
        .information_uri("https://github.com/kubernetes-sigs/sig-windows-tools")
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut s = serde_json::to_string_pretty(&log)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise the SARIF log: {e}\"}}"));
    s.push('\n');
    s
}

fn rule(f: &ReportFinding) -> sarif::ReportingDescriptor {
    let meta = catalogue::meta(&f.check);
    let part = f.code.split_once('/').map(|(_, p)| p).unwrap_or("");
    let part_title = meta
        .and_then(|m| m.parts.iter().find(|p| p.code == part))
        .map(|p| format!("{}: {}", f.title, p.title))
        .unwrap_or_else(|| f.title.clone());
    let explanation = meta
        .map(|m| {
            m.explanation
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| f.title.clone());
    let url = meta
        .and_then(|m| m.docs.iter().find_map(|d| d.url.clone()))
        .unwrap_or_else(|| "https://kubernetes.io/docs/concepts/windows/".to_string());
    sarif::ReportingDescriptor::builder()
        .id(f.code.clone())
        .name(f.check.clone())
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(part_title)
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(explanation)
                .build(),
        )
        .help_uri(url)
        .build()
}

fn level_and_kind(status: Status) -> (sarif::ResultLevel, sarif::ResultKind) {
    match status {
        Status::Fail | Status::Error => (sarif::ResultLevel::Error, sarif::ResultKind::Fail),
        Status::Warn => (sarif::ResultLevel::Warning, sarif::ResultKind::Fail),
        Status::Info => (sarif::ResultLevel::Note, sarif::ResultKind::Informational),
        Status::Pass => (sarif::ResultLevel::None, sarif::ResultKind::Pass),
        Status::Skip => (sarif::ResultLevel::None, sarif::ResultKind::NotApplicable),
    }
}

/// `C:\k\SourceVip.json` -> `file:///C:/k/SourceVip.json`.
fn file_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let encoded: String = p
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '#' => "%23".to_string(),
            '%' => "%25".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!("file:///{}", encoded.trim_start_matches('/'))
}

fn result(f: &ReportFinding, index: Option<i64>) -> sarif::Result {
    let (level, kind) = level_and_kind(f.status);
    let location = if f.subject.kind == "File" {
        sarif::Location::builder()
            .physical_location(
                sarif::PhysicalLocation::builder()
                    .artifact_location(
                        sarif::ArtifactLocation::builder()
                            .uri(file_uri(&f.subject.name))
                            .build(),
                    )
                    .build(),
            )
            .build()
    } else {
        let full = f.subject.display();
        sarif::Location::builder()
            .logical_locations(vec![sarif::LogicalLocation::builder()
                .name(f.subject.name.clone())
                .fully_qualified_name(full)
                .kind(f.subject.kind.to_ascii_lowercase())
                .build()])
            .build()
    };
    let mut text = f.message.clone();
    if let Some(fix) = &f.fix {
        text.push_str(&format!(" Fix: {}", fix.text));
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        "windoctor/v1".to_string(),
        format!("{}|{}", f.code, f.subject.display()),
    );
    let mut props = BTreeMap::new();
    props.insert("status".to_string(), serde_json::json!(f.status.as_str()));
    if let Some(node) = &f.node {
        props.insert("node".to_string(), serde_json::json!(node));
    }
    let builder = sarif::Result::builder()
        .rule_id(f.code.clone())
        .level(level)
        .kind(kind)
        .message(sarif::Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(props)
                .build(),
        );
    let mut result = builder.build();
    result.rule_index = index;
    if let Some(m) = &f.muted {
        // An accepted finding: SARIF viewers show it as suppressed, with the reason.
        result.suppressions = Some(vec![sarif::Suppression::builder()
            .kind(serde_json::json!("external"))
            .justification(format!("{} ({})", m.reason, m.by))
            .build()]);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_become_file_uris() {
        assert_eq!(
            file_uri(r"C:\k\SourceVip.json"),
            "file:///C:/k/SourceVip.json"
        );
        assert_eq!(
            file_uri(r"C:\Program Files\containerd\config.toml"),
            "file:///C:/Program%20Files/containerd/config.toml"
        );
    }
}
