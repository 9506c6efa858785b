//! Exit codes (README: statuses and exit codes) and how a run's findings map onto them.
//!
//! Decided with CI in mind: a run that could not look at what it was asked to look at must never
//! exit 0 and read as green.
//! - `error` findings count by default: `--fail-on` defaults to `error`, which is at or above
//!   `error` (so `fail` and `error` exit 1). Who accepts unreadable inputs (an RBAC role without
//!   events, say) passes `--fail-on fail`.
//! - Exit 3 when nothing could be evaluated, whatever `--fail-on` says: no cluster list, node input
//!   or probe result could be read (e.g. every list timed out although `/version` answered), or no
//!   check reached a verdict (every finding is `error` or `skip`, at least one `error`).

use crate::findings::{Finding, Status};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_NOTHING_EVALUATED: i32 = 3;

/// Whether no check reached a verdict: every finding that is not muted is `error` or `skip`, and at
/// least one is `error` (all-`skip` is a run where nothing applied, not one that failed to look;
/// muted findings never change the exit code).
pub fn no_verdict(findings: &[Finding]) -> bool {
    let mut any_error = false;
    for f in findings.iter().filter(|f| !f.is_muted()) {
        match f.status {
            Status::Error => any_error = true,
            Status::Skip => {}
            _ => return false,
        }
    }
    any_error
}

/// The exit code of a run: 3 when nothing could be evaluated (no input read, or no check reached a
/// verdict), else 1 when a finding is at or above `threshold` (a severity; `None` never fails),
/// else 0.
pub fn code(evaluated_anything: bool, findings: &[Finding], threshold: Option<u8>) -> i32 {
    if !evaluated_anything || no_verdict(findings) {
        return EXIT_NOTHING_EVALUATED;
    }
    match threshold {
        Some(t)
            if findings
                .iter()
                .any(|f| !f.is_muted() && f.status.severity() >= t && f.status.severity() > 0) =>
        {
            EXIT_FINDINGS
        }
        _ => EXIT_OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Subject;

    fn finding(status: Status) -> Finding {
        Finding {
            check: "c".into(),
            code: "c/x".into(),
            node: None,
            title: "t".into(),
            status,
            subject: Subject::new("Input", "events"),
            message: "m".into(),
            evidence: Vec::new(),
            fix: None,
            docs: Vec::new(),
            muted: None,
        }
    }

    #[test]
    fn a_run_that_evaluated_nothing_is_never_green() {
        use Status::*;
        let error_default = Some(Error.severity());
        let fail_only = Some(Fail.severity());
        // Every list timed out, /version answered: only errors and skips.
        let nothing = [finding(Error), finding(Skip), finding(Error)];
        assert_eq!(code(true, &nothing, error_default), EXIT_NOTHING_EVALUATED);
        assert_eq!(code(true, &nothing, fail_only), EXIT_NOTHING_EVALUATED);
        assert_eq!(code(true, &nothing, None), EXIT_NOTHING_EVALUATED);
        // Some verdicts and some errors: errors fail the run unless --fail-on fail.
        let partial = [finding(Pass), finding(Error)];
        assert_eq!(code(true, &partial, error_default), EXIT_FINDINGS);
        assert_eq!(code(true, &partial, fail_only), EXIT_OK);
        // Nothing applied (all skip) is not a failure to look.
        assert_eq!(code(true, &[finding(Skip)], error_default), EXIT_OK);
        assert_eq!(
            code(true, &[finding(Pass), finding(Fail)], fail_only),
            EXIT_FINDINGS
        );
        assert_eq!(
            code(false, &[finding(Pass)], error_default),
            EXIT_NOTHING_EVALUATED
        );
    }
}
