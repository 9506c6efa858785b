//! Files written from inside the TUI: the report (JSON or Markdown, the same writers as `--report`)
//! and a Markdown file with every fix in the scope on screen, each in a new file in the current directory whose name carries
//! the time (`windoctor-report-20260123-041640.json`); an existing file is never overwritten.

use super::state::App;
use crate::findings::Status;
use crate::report::{self, ReportFormat};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The report of the finished run in `format`, with the findings as they are now (after reruns).
pub fn report_text(
    app: &App,
    format: ReportFormat,
    generated_at: String,
) -> Result<String, String> {
    let gathered = app
        .gathered
        .as_ref()
        .ok_or_else(|| "the run has not finished yet".to_string())?;
    let report = report::build(
        &gathered.environment(),
        &gathered.source,
        &app.all_findings(),
        generated_at,
    );
    Ok(format.render(&report))
}

/// Every finding in scope that is not a pass or skip and has a fix, worst first, as Markdown.
pub fn fixes_markdown(app: &App, generated_at: &str) -> String {
    let mut findings: Vec<_> = app
        .scoped_findings()
        .into_iter()
        .filter(|f| !matches!(f.status, Status::Pass | Status::Skip))
        .collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.status.row_rank()));
    let (with_fix, without): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.fix.is_some());
    let source = app
        .source
        .as_ref()
        .map_or_else(|| "unknown source".to_string(), |s| s.describe());
    let mut out = String::from("# windoctor fixes\n\n");
    out.push_str(&format!("Generated {generated_at} from {source}"));
    if let Some(node) = &app.local_node {
        out.push_str(&format!(", local node {node}"));
    }
    out.push_str(".\n");
    if !app.scope.is_everything() {
        out.push_str(&format!(
            "\nOnly findings about {} (the scope picked in the TUI).\n",
            app.scope.describe()
        ));
    }
    let pending = app.pending();
    if pending > 0 {
        out.push_str(&format!(
            "\n{pending} check(s) had not finished when this was written.\n"
        ));
    }
    if with_fix.is_empty() {
        out.push_str("\nNo finding needs a fix.\n");
    }
    for f in &with_fix {
        let Some(fix) = &f.fix else { continue };
        out.push_str(&format!(
            "\n## {} {} — {}\n\n{}\n\n{}\n",
            f.status.label(),
            f.check,
            f.subject.display(),
            f.message,
            fix.text
        ));
        if !fix.commands.is_empty() {
            out.push_str("\n```\n");
            for c in &fix.commands {
                out.push_str(c);
                out.push('\n');
            }
            out.push_str("```\n");
        }
    }
    if !without.is_empty() {
        out.push_str("\n## Findings without a fix\n\n");
        for f in &without {
            out.push_str(&format!(
                "- {} {} — {}: {}\n",
                f.status.label(),
                f.check,
                f.subject.display(),
                f.message
            ));
        }
    }
    out
}

/// `2026-01-23T04:16:40.123Z` -> `20260123-041640`.
pub fn file_stamp(rfc3339: &str) -> String {
    let (date, time) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let time: String = digits(time.split(['.', 'Z', '+', '-']).next().unwrap_or(""));
    format!("{}-{}", digits(date), time)
}

/// Writes `contents` to a new file `DIR/STEM.EXT` (or `STEM-2.EXT`, ... when that exists).
pub fn write_new(dir: &Path, stem: &str, ext: &str, contents: &str) -> std::io::Result<PathBuf> {
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                file.write_all(contents.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "too many files named {stem}*.{ext} in {}",
        dir.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_file_name_safe() {
        assert_eq!(file_stamp("2026-01-23T04:16:40.123456Z"), "20260123-041640");
        assert_eq!(file_stamp("2026-01-23T04:16:40+02:00"), "20260123-041640");
    }

    #[test]
    fn never_overwrites_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_new(dir.path(), "windoctor-fixes-x", "md", "one").unwrap();
        let b = write_new(dir.path(), "windoctor-fixes-x", "md", "two").unwrap();
        assert_ne!(a, b);
        assert!(b.ends_with("windoctor-fixes-x-2.md"));
        assert_eq!(std::fs::read_to_string(a).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(b).unwrap(), "two");
    }
}
