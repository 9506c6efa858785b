//! Exit codes (README: statuses and exit codes) and how a run's findings map onto them.

use crate::findings::Finding;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_NOTHING_EVALUATED: i32 = 3;

/// The exit code of a run: 3 when nothing could be evaluated, else 1 when a finding is at or
/// above `threshold` (a severity; `None` never fails), else 0.
pub fn code(evaluated_anything: bool, findings: &[Finding], threshold: Option<u8>) -> i32 {
    if !evaluated_anything {
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
