//! `--report json`: the report as pretty-printed JSON following `assets/report.schema.json`.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise report: {e}\"}}"));
    s.push('\n');
    s
}
