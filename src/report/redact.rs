//! The report's last gate: every string of a finding (message, evidence, fix), the collection's
//! reasons and notes, and the server URL go through `crate::redact` before any writer sees the
//! report.

use super::Report;
use crate::redact::redact;

pub fn redact_report(report: &mut Report) {
    for f in &mut report.findings {
        f.message = redact(&f.message);
        for e in &mut f.evidence {
            e.reference = redact(&e.reference);
            e.excerpt = redact(&e.excerpt);
        }
        if let Some(m) = &mut f.muted {
            m.reason = redact(&m.reason);
        }
        if let Some(fix) = &mut f.fix {
            fix.text = redact(&fix.text);
            for c in &mut fix.commands {
                *c = redact(c);
            }
        }
    }
    if let Some(c) = &mut report.environment.collection {
        let lists = c
            .not_gathered
            .iter_mut()
            .chain(c.partial.iter_mut())
            .chain(c.checks.iter_mut().flat_map(|x| x.lacked.iter_mut()));
        for l in lists {
            l.reason = redact(&l.reason);
        }
        for n in &mut c.notes {
            *n = redact(n);
        }
    }
    if let Some(server) = &mut report.source.server {
        *server = redact(server);
    }
}
