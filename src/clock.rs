//! The time stamps reports and bundles carry: now in RFC 3339 UTC, or `WINDOCTOR_NOW` for
//! reproducible output (tests, the report corpus); and whether `WINDOCTOR_TIMINGS` asks for the
//! run's timings on stderr.

/// Current UTC time in RFC 3339, or the value of `WINDOCTOR_NOW` (for reproducible output).
pub fn now_rfc3339() -> String {
    if let Ok(fixed) = std::env::var("WINDOCTOR_NOW") {
        return fixed;
    }
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// Whether `WINDOCTOR_TIMINGS` asks for timing lines on stderr (`windoctor: timing: ...`): when
/// each input arrived, what each check, the node-data phase and the report took, for the
/// benchmark scripts and docs/performance.md. Any value but empty or `0` asks.
pub fn timings_wanted() -> bool {
    std::env::var_os("WINDOCTOR_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
}
