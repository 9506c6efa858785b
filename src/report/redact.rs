//! The report's last gates. `redact_report`: every string of the report (findings, environment,
//! source) goes through `crate::redact` before any writer sees it. `for_terminal`: the copy the
//! terminal-facing writers (text, markdown) print, with control characters escaped
//! (`crate::output`), so cluster or node data cannot drive the terminal.

use super::{Environment, Report, ReportFinding};
use crate::output::{escape_controls, escape_line};
use crate::redact::redact_cow;
use std::borrow::Cow;

/// What is done to one string: its new text, or the same text borrowed when nothing changes (the
/// string is then left as it is, not copied).
type Rewrite = dyn for<'s> Fn(&'s str) -> Cow<'s, str> + Sync;

/// Applies `f` to `s` in place.
fn rewrite(s: &mut String, f: &Rewrite) {
    let changed = match f(s) {
        Cow::Owned(v) => Some(v),
        Cow::Borrowed(_) => None,
    };
    if let Some(v) = changed {
        *s = v;
    }
}

/// Findings per thread, at least, before their strings are rewritten on more than one thread.
const FINDINGS_PER_THREAD: usize = 512;

/// Applies `line` to every one-line string and `text` to every multi-line string of the report.
fn map_strings(report: &mut Report, line: &Rewrite, text: &Rewrite) {
    let opt = |s: &mut Option<String>| {
        if let Some(v) = s {
            rewrite(v, line);
        }
    };
    rewrite(&mut report.generated_at, line);
    opt(&mut report.source.context);
    opt(&mut report.source.server);
    opt(&mut report.source.path);
    map_environment(&mut report.environment, line);
    map_findings(&mut report.findings, line, text);
    if let Some(fleet) = &mut report.fleet {
        for c in &mut fleet.checks {
            rewrite(&mut c.message, text);
            rewrite(&mut c.example, text);
            for n in &mut c.nodes {
                rewrite(n, line);
            }
        }
        for n in &mut fleet.nodes {
            rewrite(&mut n.name, line);
            for s in &mut n.sources {
                rewrite(&mut s.detail, text);
            }
        }
    }
}

/// The findings' strings, on several threads when there are thousands of findings (a big
/// cluster's report): each string is redacted on its own, so the order does not matter.
fn map_findings(findings: &mut [ReportFinding], line: &Rewrite, text: &Rewrite) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(findings.len() / FINDINGS_PER_THREAD)
        .max(1);
    if threads == 1 {
        findings.iter_mut().for_each(|f| map_finding(f, line, text));
        return;
    }
    let per_thread = findings.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in findings.chunks_mut(per_thread) {
            scope.spawn(move || part.iter_mut().for_each(|f| map_finding(f, line, text)));
        }
    });
}

fn map_environment(env: &mut Environment, line: &Rewrite) {
    let opt = |s: &mut Option<String>| {
        if let Some(v) = s {
            rewrite(v, line);
        }
    };
    opt(&mut env.server_version);
    opt(&mut env.networking);
    for n in &mut env.windows_nodes {
        for s in [
            &mut n.name,
            &mut n.os_image,
            &mut n.kernel_version,
            &mut n.container_runtime,
            &mut n.kubelet_version,
        ] {
            rewrite(s, line);
        }
    }
    for n in &mut env.node_parts {
        rewrite(n, line);
    }
    if let Some(c) = &mut env.collection {
        let lists = c
            .not_gathered
            .iter_mut()
            .chain(c.partial.iter_mut())
            .chain(c.checks.iter_mut().flat_map(|x| x.lacked.iter_mut()));
        for l in lists {
            rewrite(&mut l.input, line);
            rewrite(&mut l.reason, line);
            opt(&mut l.node);
        }
        for n in &mut c.notes {
            rewrite(n, line);
        }
    }
    if let Some(l) = &mut env.local_node {
        opt(&mut l.hostname);
        opt(&mut l.node_name);
        opt(&mut l.os);
        opt(&mut l.network_mode);
    }
}

fn map_finding(f: &mut ReportFinding, line: &Rewrite, text: &Rewrite) {
    for s in [&mut f.check, &mut f.code, &mut f.title] {
        rewrite(s, line);
    }
    if let Some(n) = &mut f.node {
        rewrite(n, line);
    }
    rewrite(&mut f.subject.kind, line);
    rewrite(&mut f.subject.name, line);
    if let Some(ns) = &mut f.subject.namespace {
        rewrite(ns, line);
    }
    rewrite(&mut f.message, text);
    for e in &mut f.evidence {
        rewrite(&mut e.reference, line);
        rewrite(&mut e.excerpt, text);
    }
    if let Some(fix) = &mut f.fix {
        rewrite(&mut fix.text, text);
        for c in &mut fix.commands {
            rewrite(c, text);
        }
        for step in &mut fix.steps {
            rewrite(&mut step.command, text);
        }
    }
    for d in &mut f.docs {
        rewrite(d, line);
    }
    if let Some(m) = &mut f.muted {
        rewrite(&mut m.reason, text);
        rewrite(&mut m.by, line);
        if let Some(e) = &mut m.expires {
            rewrite(e, line);
        }
    }
}

/// Redacts every string of the report.
pub fn redact_report(report: &mut Report) {
    map_strings(report, &redact_cow, &redact_cow);
}

/// The report as a terminal may show it: control characters escaped in every string (newlines kept
/// only in messages, excerpts and fixes).
pub fn for_terminal(report: &Report) -> Report {
    let mut copy = report.clone();
    map_strings(&mut copy, &escape_line, &escape_controls);
    copy
}

#[cfg(test)]
mod tests {
    use crate::findings::Evidence;

    /// A report of thousands of findings (its strings redacted on several threads) hides every
    /// planted secret, leaves the other strings as they were, and keeps the findings in order.
    #[test]
    fn a_big_report_is_redacted_whole_and_in_order() {
        let world = crate::model::World::new(crate::sources::demo::facts());
        let demo = crate::checks::run_all(&world, &crate::checks::Selection::default());
        let secret = "Authorization: Bearer abcdefghijklmnop123";
        let mut findings = Vec::new();
        for i in 0..4 * super::FINDINGS_PER_THREAD {
            let mut f = demo[i % demo.len()].clone();
            f.message = format!("{} (copy {i})", f.message);
            f.evidence.push(Evidence::log(
                format!("planted {i}"),
                format!("GET / {secret}"),
            ));
            findings.push(f);
        }
        let report = super::super::test_report(&world, &findings);
        assert_eq!(report.findings.len(), findings.len());
        for (i, (r, f)) in report.findings.iter().zip(&findings).enumerate() {
            assert_eq!(r.message, f.message, "finding {i}");
            let planted = r.evidence.last().expect("planted evidence");
            assert_eq!(planted.reference, format!("planted {i}"));
            assert!(
                !planted.excerpt.contains("abcdefghijklmnop123"),
                "{planted:?}"
            );
            assert!(
                planted.excerpt.starts_with("GET / Authorization: Bearer "),
                "{planted:?}"
            );
        }
    }
}
