//! `--report markdown`: a bug report to paste into a GitHub issue. It follows the fields of the
//! Kubernetes bug template (what happened, what you expected, how to reproduce, anything else,
//! Kubernetes version, cloud provider, OS version, install tools, container runtime, related
//! plugins: kubernetes/kubernetes .github/ISSUE_TEMPLATE/bug-report.yaml) with the environment the
//! SIG Windows guide asks for, the failing and warning findings grouped per check part with their
//! evidence and fix, and the `/sig windows` line.
//!
//! It always fits a GitHub issue (65,536 characters; the report stays under [`MAX_CHARS`]): each
//! group shows a few subjects in full and counts the rest ("and 480 more nodes; see the JSON
//! report"), and groups that do not fit are summarised in one line each. Documentation is linked by
//! its kubernetes.io page; no local path (snapshot directory, files of this machine) is printed.
//! Every string is printed with its control characters escaped (`crate::output`).

use super::{Report, ReportFinding};
use crate::findings::Status;
use std::fmt::Write;

/// The report stays under this many characters (a GitHub issue body holds 65,536).
pub const MAX_CHARS: usize = 60_000;

/// Subjects shown in full per group; the rest are counted.
const SHOWN_PER_GROUP: usize = 3;

/// Characters of one evidence excerpt.
const EXCERPT_CHARS: usize = 600;

pub fn render(report: &Report) -> String {
    // Pasted into a terminal or an issue, it must not carry control characters from the cluster.
    let report = &super::redact::for_terminal(report);
    let mut out = String::new();
    header(report, &mut out);
    let problems: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| f.muted.is_none())
        .filter(|f| matches!(f.status, Status::Fail | Status::Warn | Status::Error))
        .collect();
    let muted = report.findings.iter().filter(|f| f.muted.is_some()).count();
    // Groups of findings by code, worst first, in catalogue order within a status.
    let mut groups: Vec<(String, Vec<&ReportFinding>)> = Vec::new();
    for f in &problems {
        match groups.iter_mut().find(|(code, _)| *code == f.code) {
            Some((_, v)) => v.push(f),
            None => groups.push((f.code.clone(), vec![f])),
        }
    }
    groups.sort_by_key(|(_, v)| {
        std::cmp::Reverse(v.iter().map(|f| f.status.row_rank()).max().unwrap_or(0))
    });

    out.push_str("### What happened?\n\n");
    if groups.is_empty() {
        out.push_str("windoctor found no failing or warning findings.\n\n");
    } else {
        let _ = writeln!(
            out,
            "windoctor found {} failing, {} warning and {} error findings in {} problem groups (findings are one conclusion about one object; the JSON report has all of them):\n",
            count(report, Status::Fail),
            count(report, Status::Warn),
            count(report, Status::Error),
            groups.len()
        );
    }
    if muted > 0 {
        let _ = writeln!(
            out,
            "{muted} accepted finding(s) are muted (silencing file or `windoctor.io/ignore` annotation) and left out here; the JSON report lists them with their reasons.\n"
        );
    }
    let tail = footer();
    let mut left_out: Vec<String> = Vec::new();
    for (code, findings) in &groups {
        let block = group_block(code, findings);
        if out.len() + block.len() + tail.len() + 2_000 < MAX_CHARS {
            out.push_str(&block);
        } else {
            left_out.push(format!(
                "- `{code}`: {} finding(s), e.g. {}",
                findings.len(),
                clip(&findings[0].message, 200)
            ));
        }
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} more problem groups (shortened to fit a GitHub issue; see the JSON report)</summary>\n",
            left_out.len()
        );
        for line in &left_out {
            if out.len() + line.len() + tail.len() + 200 >= MAX_CHARS {
                out.push_str("- ... (more in the JSON report)\n");
                break;
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("\n</details>\n\n");
    }
    out.push_str(&tail);
    if out.len() > MAX_CHARS {
        // The environment table of a huge fleet is the only part not bounded above.
        let mut cut = MAX_CHARS - tail.len() - 100;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n\n(shortened to fit a GitHub issue; see the JSON report)\n\n");
        out.push_str(&tail);
    }
    out
}

fn count(report: &Report, status: Status) -> usize {
    report.summary.get(status.as_str()).copied().unwrap_or(0)
}

fn header(report: &Report, out: &mut String) {
    let env = &report.environment;
    out.push_str("## Windows node troubleshooting report (windoctor)\n\n");
    let source = match report.source.kind {
        "live" => "a live cluster",
        "snapshot" => "a saved bundle",
        _ => "the embedded demo",
    };
    let _ = writeln!(
        out,
        "Generated by windoctor {} at {} from {source}.\n",
        report.tool.version, report.generated_at
    );
    out.push_str("### Kubernetes version\n\n");
    let _ = writeln!(
        out,
        "Server {} (`kubectl version`). Nodes: {} total, {} Linux, {} Windows.\n",
        env.server_version.as_deref().unwrap_or("unknown"),
        env.nodes.total,
        env.nodes.linux,
        env.nodes.windows
    );
    out.push_str("### Cloud provider / install tools\n\n_please fill in (e.g. AKS, EKS, GKE, kubeadm, RKE2, OpenShift)_\n\n");
    out.push_str("### OS version, container runtime, related plugins (CNI)\n\n");
    let _ = writeln!(
        out,
        "- **Networking**: {}",
        env.networking
            .as_deref()
            .unwrap_or("not determined from the cluster")
    );
    let mut runtimes: Vec<String> = env
        .windows_nodes
        .iter()
        .map(|n| n.container_runtime.clone())
        .collect();
    runtimes.sort();
    runtimes.dedup();
    let _ = writeln!(
        out,
        "- **Container runtime (Windows nodes)**: {}",
        if runtimes.is_empty() {
            "unknown".to_string()
        } else {
            runtimes.join(", ")
        }
    );
    if let Some(c) = &env.collection {
        let mut parts: Vec<String> = Vec::new();
        for p in &c.parts {
            let n = format!(
                "{}{} (mapping read from `{}`)",
                p.name,
                p.node
                    .as_deref()
                    .map(|n| format!(", node {n}"))
                    .unwrap_or_default(),
                p.source
            );
            if !parts.contains(&n) {
                parts.push(n);
            }
        }
        let _ = writeln!(out, "- **Collected by**: {}", parts.join("; "));
        for n in c.not_gathered.iter().take(20) {
            let _ = writeln!(
                out,
                "  - not gathered: `{}`{}: {}",
                n.input,
                n.node
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default(),
                n.reason
            );
        }
        if c.not_gathered.len() > 20 {
            let _ = writeln!(
                out,
                "  - and {} more (see `--report json`)",
                c.not_gathered.len() - 20
            );
        }
    }
    if let Some(local) = &env.local_node {
        let _ = writeln!(
            out,
            "- **Node windoctor ran on**: {}{}{}",
            local
                .node_name
                .as_deref()
                .or(local.hostname.as_deref())
                .unwrap_or("?"),
            local
                .os
                .as_deref()
                .map(|os| format!(", {os}"))
                .unwrap_or_default(),
            local
                .network_mode
                .as_deref()
                .map(|m| format!(", HNS networks {m}"))
                .unwrap_or_default()
        );
    }
    for l in &env.layouts {
        let _ = writeln!(
            out,
            "- **Layout of {}**: {} (`{}`){}",
            l.node,
            l.name,
            l.id,
            l.cni
                .as_deref()
                .map(|c| format!(", CNI {c}"))
                .unwrap_or_default()
        );
    }
    if !env.windows_nodes.is_empty() {
        out.push_str("\n| Windows node | OS image | kernel | runtime | kubelet | Ready |\n| --- | --- | --- | --- | --- | --- |\n");
        for n in env.windows_nodes.iter().take(10) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&n.name),
                cell(&n.os_image),
                cell(&n.kernel_version),
                cell(&n.container_runtime),
                cell(&n.kubelet_version),
                if n.ready { "yes" } else { "no" }
            );
        }
        if env.windows_nodes.len() > 10 {
            let not_ready = env.windows_nodes.iter().filter(|n| !n.ready).count();
            let _ = writeln!(
                out,
                "\nand {} more Windows nodes ({} of all {} not Ready); see the JSON report.",
                env.windows_nodes.len() - 10,
                not_ready,
                env.windows_nodes.len()
            );
        }
    }
    if let Some(fleet) = &report.fleet {
        fleet_section(fleet, out);
    }
    out.push('\n');
}

/// One problem group: the part, its worst status, a few subjects with evidence, the fix, the docs.
fn group_block(code: &str, findings: &[&ReportFinding]) -> String {
    let mut out = String::new();
    let worst = findings
        .iter()
        .max_by_key(|f| f.status.row_rank())
        .copied()
        .unwrap_or(findings[0]);
    let _ = writeln!(
        out,
        "\n#### {} `{code}`: {} ({} finding{})\n",
        worst.status.label(),
        worst.title,
        findings.len(),
        if findings.len() == 1 { "" } else { "s" }
    );
    for f in findings.iter().take(SHOWN_PER_GROUP) {
        let _ = writeln!(
            out,
            "- **{}** {}: {}",
            f.status.as_str(),
            cell(&f.subject.display()),
            clip(&f.message, 800)
        );
    }
    if findings.len() > SHOWN_PER_GROUP {
        let rest = &findings[SHOWN_PER_GROUP..];
        let mut kinds: Vec<String> = rest.iter().map(|f| f.subject.kind.to_lowercase()).collect();
        kinds.dedup();
        let names: Vec<String> = rest
            .iter()
            .take(8)
            .map(|f| f.subject.name.clone())
            .collect();
        let _ = writeln!(
            out,
            "- and {} more {}{} ({}{}); see the JSON report",
            rest.len(),
            if kinds.len() == 1 {
                kinds[0].as_str()
            } else {
                "object"
            },
            if rest.len() == 1 { "" } else { "s" },
            names.join(", "),
            if rest.len() > names.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    let evidence: Vec<&super::ReportEvidence> = worst.evidence.iter().take(3).collect();
    if !evidence.is_empty() {
        out.push_str("\n<details><summary>Evidence");
        let _ = write!(out, " ({})", worst.subject.display().replace('<', "&lt;"));
        out.push_str("</summary>\n\n```\n");
        for e in evidence {
            let _ = writeln!(
                out,
                "[{}] {}\n{}\n",
                e.source,
                e.reference,
                clip(&e.excerpt, EXCERPT_CHARS).replace("```", "'''")
            );
        }
        out.push_str("```\n</details>\n");
    }
    if let Some(fix) = &worst.fix {
        let _ = writeln!(out, "\n**Fix:** {}\n", fix.text);
        if !fix.commands.is_empty() {
            out.push_str("```\n");
            for c in fix.commands.iter().take(8) {
                let _ = writeln!(out, "{c}");
            }
            out.push_str("```\n");
        }
    }
    if let Some(url) = worst.docs.iter().find(|d| d.contains("://")) {
        let _ = writeln!(out, "\nDocumentation: {url}");
    }
    out
}

fn footer() -> String {
    "\n### What did you expect to happen?\n\n_please fill in_\n\n### How can we reproduce it (as minimally and precisely as possible)?\n\n_please fill in_\n\n### Anything else we need to know?\n\nAttach the JSON report (`windoctor --report json -o report.json`) for every finding with its evidence.\n\n/sig windows\n".to_string()
}

/// A value safe inside a table cell or a list item: no pipes, no line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn clip(s: &str, max: usize) -> String {
    let flat = s.replace('\r', "");
    match flat.char_indices().nth(max) {
        None => flat,
        Some((cut, _)) => format!("{}…", &flat[..cut]),
    }
}

/// The fleet table: per check part and status, how many Windows nodes, and the sources not read.
fn fleet_section(fleet: &super::fleet::FleetReport, out: &mut String) {
    let _ = writeln!(
        out,
        "\n### Windows nodes\n\n{} of {} Windows nodes have node data ({}).\n",
        fleet.node_parts,
        fleet.windows_nodes.max(fleet.node_parts),
        super::fleet_text::origins(fleet)
    );
    out.push_str("| status | check | nodes |\n| --- | --- | --- |\n");
    for c in &fleet.checks {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} |",
            c.status.label(),
            c.code,
            cell(&c.message)
        );
    }
    let unread = super::fleet_text::unread_sources(fleet, 20);
    if !unread.is_empty() {
        out.push_str("\nSources not read:\n\n");
        for line in unread {
            let _ = writeln!(out, "- {}", cell(&line));
        }
    }
}
