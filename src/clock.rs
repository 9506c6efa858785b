//! The time stamps reports and bundles carry: now in RFC 3339 UTC, or `WINDOCTOR_NOW` for
//! reproducible output (tests, the report corpus).

/// Current UTC time in RFC 3339, or the value of `WINDOCTOR_NOW` (for reproducible output).
pub fn now_rfc3339() -> String {
    if let Ok(fixed) = std::env::var("WINDOCTOR_NOW") {
        return fixed;
    }
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}
