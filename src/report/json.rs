//! `--report json`: the report as pretty-printed JSON following `assets/report.schema.json`.

use super::Report;
use std::io::Write;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise report: {e}\"}}"));
    s.push('\n');
    s
}

/// [`render`]'s bytes, serialized straight into `out`.
pub fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_and_rendered_reports_are_the_same_bytes() {
        let world = crate::model::World::new(crate::sources::demo::facts());
        let findings = crate::checks::run_all(&world, &crate::checks::Selection::default());
        let report = super::super::test_report(&world, &findings);
        let mut written = Vec::new();
        write(&report, &mut written).expect("written");
        assert_eq!(String::from_utf8(written).expect("UTF-8"), render(&report));
    }
}
