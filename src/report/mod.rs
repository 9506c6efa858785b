//! Reports: the serde types of `windoctor.report/v1` (`types`, kept apart from the internal
//! `Finding` and the model), built from findings and an environment summary, redacted as a whole
//! (`redact`), and one writer module per format. Every writer receives an already-redacted `Report`.

pub mod fleet;
mod fleet_text;
pub mod json;
pub mod junit;
pub mod markdown;
mod redact;
pub mod sarif;
pub mod schema;
pub mod text;
mod types;

pub use types::*;

use crate::facts::SourceKind;
use crate::findings::{Finding, Status};
use crate::model::environment::EnvironmentSummary;
use std::collections::BTreeMap;

pub const SCHEMA: &str = "windoctor.report/v1";
/// The schema's version within v1 (docs/report.md lists what each adds).
pub const SCHEMA_VERSION: &str = "1.1";

/// The output formats of `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Json,
    Markdown,
    Text,
    /// JUnit XML (one suite per check, one case per finding).
    Junit,
    /// SARIF 2.1.0 (one rule per check part, one result per finding).
    Sarif,
}

/// How to render: what the text report shows, and the `--fail-on` threshold JUnit follows.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// The text report lists passes, skips and every finding's evidence.
    pub verbose: bool,
    /// `--fail-on` as a severity (`None`: never): findings at or above it are JUnit failures.
    pub threshold: Option<u8>,
}

impl ReportFormat {
    pub fn render(self, report: &Report) -> String {
        self.render_with(
            report,
            &RenderOptions {
                verbose: true,
                threshold: Some(Status::Fail.severity()),
            },
        )
    }
    pub fn render_with(self, report: &Report, options: &RenderOptions) -> String {
        match self {
            ReportFormat::Json => json::render(report),
            ReportFormat::Markdown => markdown::render(report),
            ReportFormat::Text => text::render_with(report, options.verbose),
            ReportFormat::Junit => junit::render(report, options.threshold),
            ReportFormat::Sarif => sarif::render(report),
        }
    }
    /// Writes the report in this format to `out`. JSON is serialized straight into it (a big
    /// cluster's report is megabytes, which need not be held as one string first); the other
    /// formats are rendered, then written.
    pub fn write_with(
        self,
        report: &Report,
        options: &RenderOptions,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        match self {
            ReportFormat::Json => json::write(report, out),
            other => out.write_all(other.render_with(report, options).as_bytes()),
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Markdown => "md",
            ReportFormat::Text => "txt",
            ReportFormat::Junit => "xml",
            ReportFormat::Sarif => "sarif",
        }
    }
}

/// The report of `findings` over `world` as the tests build it: from the demo, at a fixed time.
#[cfg(test)]
pub(crate) fn test_report(world: &crate::model::World, findings: &[Finding]) -> Report {
    build(
        &crate::model::Model::new(world).environment(),
        &SourceKind::Demo,
        findings,
        "2026-12-06T00:00:00Z".to_string(),
    )
}

/// Assembles the report from findings and the environment summary, then redacts every string that
/// could carry a secret.
pub fn build(
    environment: &EnvironmentSummary,
    source: &SourceKind,
    findings: &[Finding],
    generated_at: String,
) -> Report {
    let mut summary = BTreeMap::new();
    for s in Status::ALL {
        summary.insert(
            s.as_str(),
            findings.iter().filter(|f| f.status == s).count(),
        );
    }
    let fleet = fleet::build(environment, findings);
    let muted = findings.iter().filter(|f| f.is_muted()).count();
    if muted > 0 {
        summary.insert("muted", muted);
    }
    let mut environment = Environment::from_summary(environment);
    if let Some(c) = environment.collection.as_mut() {
        c.add_check_lacks(findings);
    }
    let mut report = Report {
        schema: SCHEMA,
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "windoctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        generated_at,
        source: Source::from_kind(source),
        environment,
        summary,
        findings: findings.iter().map(ReportFinding::from_finding).collect(),
        fleet,
    };
    // Two findings of one part about one subject (e.g. a pass and a skip of a cluster-wide part)
    // share a fingerprint: the later ones get `-2`, `-3`... in report order, which is stable.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in &mut report.findings {
        let n = seen.entry(f.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            f.id = format!("{}-{n}", f.id);
        }
    }
    redact::redact_report(&mut report);
    report
}
