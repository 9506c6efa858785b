//! `--report junit`: JUnit XML for CI systems that show test results (Jenkins, GitLab, Azure
//! Pipelines, GitHub test reporters). One test suite per check, one test case per finding (named by
//! its code and subject). A finding at or above `--fail-on` is a `<failure>` (`error` findings an
//! `<error>`), a skip is `<skipped>`, and everything else passes with its message as system-out,
//! so the XML agrees with windoctor's exit code. Written with the quick-junit crate; control
//! characters from cluster data are escaped first (`crate::output`).

use super::{Report, ReportFinding};
use crate::findings::Status;
use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

pub fn render(report: &Report, threshold: Option<u8>) -> String {
    // XML 1.0 cannot carry most control characters, and CI pages show these strings: escaped.
    let report = &super::redact::for_terminal(report);
    let mut suites = quick_junit::Report::new("windoctor");
    let mut ids: Vec<&str> = Vec::new();
    for f in &report.findings {
        if !ids.contains(&f.check.as_str()) {
            ids.push(&f.check);
        }
    }
    for id in ids {
        let mut suite = TestSuite::new(id);
        for f in report.findings.iter().filter(|f| f.check == id) {
            suite.add_test_case(case(f, threshold));
        }
        suites.add_test_suite(suite);
    }
    match suites.to_string() {
        Ok(s) => without_root_skipped_count(&s),
        Err(e) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- windoctor could not write JUnit XML: {} -->\n<testsuites name=\"windoctor\"/>\n",
            e.to_string().replace("--", "- -")
        ),
    }
}

/// The JUnit XSD that CI servers validate against (Jenkins' junit-10.xsd, which pytest ships)
/// allows `skipped` on `<testsuite>` but not on the root `<testsuites>`, where quick-junit writes
/// it: the root keeps name, tests, failures and errors.
fn without_root_skipped_count(xml: &str) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml.to_string();
    };
    let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
    let root = &xml[start..end];
    let Some(attr) = root.find(" skipped=\"") else {
        return xml.to_string();
    };
    let value_end = root[attr + 10..]
        .find('"')
        .map_or(root.len(), |e| attr + 10 + e + 1);
    format!(
        "{}{}{}",
        &xml[..start + attr],
        &root[value_end..],
        &xml[end..]
    )
}

fn case(f: &ReportFinding, threshold: Option<u8>) -> TestCase {
    let name = format!("{} {}", f.code, f.subject.display());
    let failing = f.muted.is_none()
        && threshold.is_some_and(|t| f.status.severity() >= t && f.status.severity() > 0);
    let mut detail = f.message.clone();
    for e in &f.evidence {
        detail.push_str(&format!("\n[{}] {}: {}", e.source, e.reference, e.excerpt));
    }
    if let Some(fix) = &f.fix {
        detail.push_str(&format!("\nfix: {}", fix.text));
        for c in &fix.commands {
            detail.push_str(&format!("\n  {c}"));
        }
    }
    let status = match f.status {
        Status::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(f.message.clone());
            s
        }
        Status::Error if failing => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(f.message.clone())
                .set_type("error")
                .set_description(detail.clone());
            s
        }
        status if failing => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(f.message.clone())
                .set_type(status.as_str())
                .set_description(detail.clone());
            s
        }
        _ => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(f.check.clone());
    if !failing && f.status != Status::Skip {
        case.set_system_out(format!("{}: {detail}", f.status.as_str()));
    }
    case
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_root_loses_only_its_skipped_count() {
        let xml = "<?xml version=\"1.0\"?>\n<testsuites name=\"windoctor\" tests=\"3\" skipped=\"1\" failures=\"0\" errors=\"0\">\n<testsuite name=\"a\" tests=\"3\" skipped=\"1\">";
        assert_eq!(
            super::without_root_skipped_count(xml),
            "<?xml version=\"1.0\"?>\n<testsuites name=\"windoctor\" tests=\"3\" failures=\"0\" errors=\"0\">\n<testsuite name=\"a\" tests=\"3\" skipped=\"1\">"
        );
    }
}
