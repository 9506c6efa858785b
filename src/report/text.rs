//! `--report text`: a plain terminal listing, one block per check, problems first within a check,
//! status words always spelled out (no colour needed to read it).

use super::Report;
use super::ReportFinding;
use crate::findings::row_status_of;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    render_with(report, true)
}

/// The text report; without `verbose`, a summary: problems with their evidence and fixes, and one
/// line per check that passed or was skipped.
pub fn render_with(report: &Report, verbose: bool) -> String {
    // Cluster and node data never reach the terminal with their control characters.
    let report = &super::redact::for_terminal(report);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "windoctor {} — {}",
        report.tool.version,
        source_line(report)
    );
    let env = &report.environment;
    let _ = writeln!(
        out,
        "Kubernetes {} · {} nodes ({} Linux, {} Windows){}",
        env.server_version.as_deref().unwrap_or("unknown"),
        env.nodes.total,
        env.nodes.linux,
        env.nodes.windows,
        env.local_node
            .as_ref()
            .map(|l| format!(
                " · local node {}",
                l.node_name
                    .as_deref()
                    .or(l.hostname.as_deref())
                    .unwrap_or("?")
            ))
            .unwrap_or_default()
    );
    for l in &env.layouts {
        let _ = writeln!(
            out,
            "layout of {}: {} ({}){}",
            l.node,
            l.name,
            l.id,
            l.cni
                .as_deref()
                .map(|c| format!(" · CNI {c}"))
                .unwrap_or_default()
        );
    }
    if let Some(c) = &env.collection {
        let _ = writeln!(out, "{}", collection_line(c));
    }
    let _ = writeln!(out, "findings: {}\n", summary_line(report));
    if let Some(fleet) = &report.fleet {
        let _ = writeln!(
            out,
            "Windows nodes: {} of {} with node data ({})",
            fleet.node_parts,
            fleet.windows_nodes.max(fleet.node_parts),
            super::fleet_text::origins(fleet)
        );
        for c in &fleet.checks {
            let _ = writeln!(out, "  {:<8} {}", c.status.label(), c.message);
        }
        let unread = super::fleet_text::unread_sources(fleet, 10);
        if !unread.is_empty() {
            let _ = writeln!(out, "  sources not read:");
            for line in unread {
                let _ = writeln!(out, "    {line}");
            }
        }
        out.push('\n');
    }
    let mut ids: Vec<&str> = Vec::new();
    for f in &report.findings {
        if !ids.contains(&f.check.as_str()) {
            ids.push(&f.check);
        }
    }
    let mut fixes_shown: Vec<(&super::types::ReportFix, String)> = Vec::new();
    for id in ids {
        let mut findings: Vec<&ReportFinding> =
            report.findings.iter().filter(|f| f.check == id).collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.status.row_rank()));
        let Some(row) = row_status_of(findings.iter().map(|f| f.status)) else {
            continue;
        };
        let _ = writeln!(out, "{:<8} {} — {}", row.label(), id, findings[0].title);
        if !verbose && row.severity() == 0 {
            // A check that found nothing to report: its row says so; -v lists what it checked.
            continue;
        }
        for f in findings {
            if !verbose && f.status.severity() == 0 {
                continue;
            }
            let _ = writeln!(
                out,
                "    {:<8} {}: {}{}",
                f.status.label(),
                f.subject.display(),
                f.message,
                f.muted
                    .as_ref()
                    .map(|m| format!(" (muted: {})", m.reason))
                    .unwrap_or_default()
            );
            for e in f.evidence.iter().take(if verbose { usize::MAX } else { 3 }) {
                let _ = writeln!(
                    out,
                    "             [{}] {}: {}",
                    e.source,
                    e.reference,
                    one_line(&e.excerpt)
                );
            }
            if let Some(fix) = f.fix.as_ref().filter(|_| f.status.severity() > 0) {
                let said_before = fixes_shown.iter().find(|(shown, _)| *shown == fix);
                if let (Some((_, first)), false) = (said_before, verbose) {
                    // The same input error in every check that reads the input: one fix is enough.
                    let _ = writeln!(out, "             fix: as above ({first})");
                } else {
                    fixes_shown.push((fix, f.subject.display()));
                    let _ = writeln!(out, "             fix: {}", fix.text);
                    for (place, commands) in fix.by_place() {
                        let _ = writeln!(out, "               {place}:");
                        for (c, marks) in commands {
                            let sep = if marks.is_empty() { "" } else { "  " };
                            let _ = writeln!(out, "                 $ {c}{sep}{marks}");
                        }
                    }
                }
            }
        }
    }
    if !verbose {
        out.push_str("\n(rows are checks, worst finding first; -v also lists passes, skips and all evidence)\n");
    }
    out
}

pub fn source_line(report: &Report) -> String {
    let s = &report.source;
    match s.kind {
        "live" => format!(
            "live cluster, context {} ({})",
            s.context.as_deref().unwrap_or("in-cluster"),
            s.server.as_deref().unwrap_or("?")
        ),
        "snapshot" => format!("snapshot {}", s.path.as_deref().unwrap_or("?")),
        _ => "demo bundle (embedded)".to_string(),
    }
}

pub fn summary_line(report: &Report) -> String {
    crate::findings::Status::ALL
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                report.summary.get(s.as_str()).copied().unwrap_or(0),
                s.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn one_line(s: &str) -> String {
    let flat = s.replace('\n', " ⏎ ");
    if flat.chars().count() > 240 {
        let cut: String = flat.chars().take(237).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

/// "Collected by AKS collect-windows-logs.ps1 (node akswin000000) · not gathered: ..." for a
/// snapshot that is another tool's output.
pub fn collection_line(c: &super::Collection) -> String {
    let mut names: Vec<String> = Vec::new();
    for p in &c.parts {
        let n = match &p.node {
            Some(node) => format!("{} (node {node})", p.name),
            None => p.name.clone(),
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let mut missing: Vec<&str> = c.not_gathered.iter().map(|n| n.input.as_str()).collect();
    missing.sort();
    missing.dedup();
    let mut line = format!("Collected by {}", names.join(", "));
    if !missing.is_empty() {
        line.push_str(&format!(" · not gathered: {}", missing.join(", ")));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo with its events forbidden, as a report.
    fn demo_without_events() -> Report {
        let mut facts = crate::sources::demo::facts();
        facts.cluster.events = crate::facts::Input::Failed(
            r#"cannot list events: forbidden (events is forbidden: User "dev" cannot list resource "events" in API group "" at the cluster scope)"#
                .to_string(),
        );
        let world = crate::model::World::new(facts);
        let findings = crate::checks::run_all(&world, &crate::checks::Selection::default());
        super::super::test_report(&world, &findings)
    }

    #[test]
    fn an_input_error_shows_its_fix_once_and_points_back_to_it() {
        let report = demo_without_events();
        let errors = report
            .findings
            .iter()
            .filter(|f| f.subject.display() == "Input/events")
            .count();
        assert!(errors >= 3, "{errors} checks read events");
        let fix_line = "fix: The credentials windoctor used may not list events.";
        let text = render_with(&report, false);
        assert_eq!(text.matches(fix_line).count(), 1, "{text}");
        assert_eq!(
            text.matches("$ kubectl auth can-i list events -A").count(),
            1
        );
        assert_eq!(
            text.matches("fix: as above (Input/events)").count(),
            errors - 1
        );
        assert!(text.contains("[api] GET /api/v1/events?fieldSelector=type%21%3DNormal: forbidden (events is forbidden"));
        // Verbose shows every finding whole.
        let verbose = render_with(&report, true);
        assert_eq!(verbose.matches(fix_line).count(), errors);
    }
}
