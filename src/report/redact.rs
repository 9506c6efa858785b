//! The report's last gates. `redact_report`: every string of the report (findings, environment,
//! source) goes through `crate::redact` before any writer sees it. `for_terminal`: the copy the
//! terminal-facing writers (text, markdown) print, with control characters escaped
//! (`crate::output`), so cluster or node data cannot drive the terminal.

use super::{Environment, Report, ReportFinding};
use crate::output::{escape_controls, escape_line};
use crate::redact::redact;

/// Applies `line` to every one-line string and `text` to every multi-line string of the report.
fn map_strings(report: &mut Report, line: &dyn Fn(&str) -> String, text: &dyn Fn(&str) -> String) {
    let opt = |s: &mut Option<String>| {
        if let Some(v) = s {
            *v = line(v);
        }
    };
    report.generated_at = line(&report.generated_at);
    opt(&mut report.source.context);
    opt(&mut report.source.server);
    opt(&mut report.source.path);
    map_environment(&mut report.environment, line);
    for f in &mut report.findings {
        map_finding(f, line, text);
    }
    if let Some(fleet) = &mut report.fleet {
        for c in &mut fleet.checks {
            c.message = text(&c.message);
            c.example = text(&c.example);
            for n in &mut c.nodes {
                *n = line(n);
            }
        }
        for n in &mut fleet.nodes {
            n.name = line(&n.name);
            for s in &mut n.sources {
                s.detail = text(&s.detail);
            }
        }
    }
}

fn map_environment(env: &mut Environment, line: &dyn Fn(&str) -> String) {
    let opt = |s: &mut Option<String>| {
        if let Some(v) = s {
            *v = line(v);
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
            *s = line(s);
        }
    }
    for n in &mut env.node_parts {
        *n = line(n);
    }
    if let Some(c) = &mut env.collection {
        let lists = c
            .not_gathered
            .iter_mut()
            .chain(c.partial.iter_mut())
            .chain(c.checks.iter_mut().flat_map(|x| x.lacked.iter_mut()));
        for l in lists {
            l.input = line(&l.input);
            l.reason = line(&l.reason);
            opt(&mut l.node);
        }
        for n in &mut c.notes {
            *n = line(n);
        }
    }
    if let Some(l) = &mut env.local_node {
        opt(&mut l.hostname);
        opt(&mut l.node_name);
        opt(&mut l.os);
        opt(&mut l.network_mode);
    }
}

fn map_finding(
    f: &mut ReportFinding,
    line: &dyn Fn(&str) -> String,
    text: &dyn Fn(&str) -> String,
) {
    for s in [&mut f.check, &mut f.code, &mut f.title] {
        *s = line(s);
    }
    if let Some(n) = &mut f.node {
        *n = line(n);
    }
    f.subject.kind = line(&f.subject.kind);
    f.subject.name = line(&f.subject.name);
    if let Some(ns) = &mut f.subject.namespace {
        *ns = line(ns);
    }
    f.message = text(&f.message);
    for e in &mut f.evidence {
        e.reference = line(&e.reference);
        e.excerpt = text(&e.excerpt);
    }
    if let Some(fix) = &mut f.fix {
        fix.text = text(&fix.text);
        for c in &mut fix.commands {
            *c = text(c);
        }
    }
    for d in &mut f.docs {
        *d = line(d);
    }
    if let Some(m) = &mut f.muted {
        m.reason = text(&m.reason);
        m.by = line(&m.by);
        if let Some(e) = &mut m.expires {
            *e = line(e);
        }
    }
}

/// Redacts every string of the report.
pub fn redact_report(report: &mut Report) {
    map_strings(report, &|s| redact(s), &|s| redact(s));
}

/// The report as a terminal may show it: control characters escaped in every string (newlines kept
/// only in messages, excerpts and fixes).
pub fn for_terminal(report: &Report) -> Report {
    let mut copy = report.clone();
    map_strings(&mut copy, &|s| escape_line(s).into_owned(), &|s| {
        escape_controls(s).into_owned()
    });
    copy
}
