//! Silencing accepted findings, the way popeye's spinach file and polaris's exemptions do it: a
//! file of rules (`--silence FILE`, or the `WINDOCTOR_SILENCE` environment variable) and an object
//! annotation (`windoctor.io/ignore: "check-or-code,..."` on Pods, Nodes, Services and DaemonSets,
//! applied where findings are made). A muted finding stays in every report, marked muted with its
//! reason, and never changes the exit code.
//!
//! ```yaml
//! # .windoctor-silence.yaml
//! mute:
//!   - check: os-scheduling/linux-daemonset-on-windows   # a check id or a `<check>/<part>` code
//!     namespace: monitoring                            # optional; `rx:` makes it a regex
//!     name: rx:node-exporter.*                         # optional: the subject's name
//!     kind: DaemonSet                                  # optional: the subject's kind
//!     node: rx:akswin.*                                # optional: the Windows node
//!     reason: node-exporter has a Windows variant scheduled separately   # required
//!     expires: 2027-01-31                              # optional: after it the rule stops muting
//! ```

use crate::findings::{Finding, Muted};
use regex::Regex;
use serde::Deserialize;
use std::path::Path;

/// The annotation that mutes findings about the object it is on.
pub const IGNORE_ANNOTATION: &str = "windoctor.io/ignore";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    mute: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    check: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    node: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

/// A text matcher: exact (case-sensitive, as Kubernetes names are), or a regex with `rx:`.
#[derive(Debug)]
enum Pattern {
    Exact(String),
    Regex(Regex),
}

impl Pattern {
    fn parse(text: &str, field: &str, rule: usize) -> Result<Pattern, String> {
        match text.strip_prefix("rx:") {
            Some(re) => Regex::new(&format!("^(?:{re})$"))
                .map(Pattern::Regex)
                .map_err(|e| format!("rule {rule}: {field} {text:?} is not a regex: {e}")),
            None => Ok(Pattern::Exact(text.to_string())),
        }
    }
    fn matches(&self, value: Option<&str>) -> bool {
        let Some(v) = value else { return false };
        match self {
            Pattern::Exact(e) => e == v,
            Pattern::Regex(r) => r.is_match(v),
        }
    }
}

/// One rule of the silencing file.
#[derive(Debug)]
pub struct Rule {
    check: String,
    kind: Option<Pattern>,
    namespace: Option<Pattern>,
    name: Option<Pattern>,
    node: Option<Pattern>,
    reason: String,
    expires: Option<String>,
}

impl Rule {
    fn matches(&self, f: &Finding) -> bool {
        let names_check = self.check == f.check || self.check == f.code;
        names_check
            && self
                .kind
                .as_ref()
                .is_none_or(|p| p.matches(Some(&f.subject.kind)))
            && self
                .namespace
                .as_ref()
                .is_none_or(|p| p.matches(f.subject.namespace.as_deref()))
            && self
                .name
                .as_ref()
                .is_none_or(|p| p.matches(Some(&f.subject.name)))
            && self
                .node
                .as_ref()
                .is_none_or(|p| p.matches(f.node.as_deref()))
    }
}

/// The rules of a silencing file, with the ones that expired set apart.
#[derive(Debug, Default)]
pub struct Silence {
    rules: Vec<Rule>,
    /// Rules past their `expires` date: not applied; the operator is told.
    pub expired: Vec<String>,
}

impl Silence {
    /// Reads a silencing file. Errors name the file and the rule, and say what to change.
    pub fn load(path: &Path, today: &str) -> Result<Silence, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the silencing file {}: {e}", path.display()))?;
        Silence::parse(&text, today).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses silencing rules; `today` (YYYY-MM-DD) decides which have expired.
    pub fn parse(text: &str, today: &str) -> Result<Silence, String> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| {
            format!(
                "not a silencing file (a `mute:` list of rules with check and reason): {}",
                e.to_string().lines().next().unwrap_or("")
            )
        })?;
        let mut out = Silence::default();
        for (i, raw) in file.mute.into_iter().enumerate() {
            let n = i + 1;
            if raw.reason.trim().is_empty() {
                return Err(format!(
                    "rule {n} ({}) has no reason: say why the finding is accepted",
                    raw.check
                ));
            }
            let known = crate::catalogue::meta(raw.check.split('/').next().unwrap_or(""))
                .is_some_and(|m| match raw.check.split_once('/') {
                    None => true,
                    Some((_, part)) => m.has_part(part) || m.parts.is_empty(),
                });
            if !known {
                return Err(format!(
                    "rule {n}: {:?} is not a check id or a check part (see `windoctor --help` and docs/checks.md)",
                    raw.check
                ));
            }
            if let Some(d) = &raw.expires {
                let valid = d.len() == 10
                    && d.as_bytes()[4] == b'-'
                    && d.as_bytes()[7] == b'-'
                    && d.chars().filter(|c| c.is_ascii_digit()).count() == 8;
                if !valid {
                    return Err(format!(
                        "rule {n}: expires {d:?} is not a date (YYYY-MM-DD)"
                    ));
                }
                if d.as_str() < today {
                    out.expired.push(format!(
                        "rule {n} ({}) expired on {d}: its findings are no longer muted",
                        raw.check
                    ));
                    continue;
                }
            }
            let pattern = |v: &Option<String>, field: &str| -> Result<Option<Pattern>, String> {
                v.as_deref()
                    .map(|t| Pattern::parse(t, field, n))
                    .transpose()
            };
            out.rules.push(Rule {
                kind: pattern(&raw.kind, "kind")?,
                namespace: pattern(&raw.namespace, "namespace")?,
                name: pattern(&raw.name, "name")?,
                node: pattern(&raw.node, "node")?,
                check: raw.check,
                reason: raw.reason.trim().to_string(),
                expires: raw.expires,
            });
        }
        Ok(out)
    }

    /// Marks the findings a rule matches as muted (an annotation's mute, made earlier, stays).
    pub fn apply(&self, findings: &mut [Finding]) {
        for f in findings.iter_mut().filter(|f| f.muted.is_none()) {
            if let Some(rule) = self.rules.iter().find(|r| r.matches(f)) {
                f.muted = Some(Muted {
                    reason: rule.reason.clone(),
                    by: "silence file".to_string(),
                    expires: rule.expires.clone(),
                });
            }
        }
    }
}

/// The checks and codes an `windoctor.io/ignore` annotation value names.
pub fn ignored_by_annotation(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Today's date, YYYY-MM-DD, from the same clock as the reports.
pub fn today() -> String {
    crate::clock::now_rfc3339().chars().take(10).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Status, Subject};

    fn finding(check: &str, code: &str, subject: Subject, node: Option<&str>) -> Finding {
        Finding {
            check: check.into(),
            code: code.into(),
            node: node.map(str::to_string),
            title: "t".into(),
            status: Status::Warn,
            subject,
            message: "m".into(),
            evidence: vec![],
            fix: None,
            docs: vec![],
            muted: None,
        }
    }

    #[test]
    fn rules_match_by_check_code_subject_and_node() {
        let s = Silence::parse(
            "mute:\n- check: os-scheduling\n  namespace: monitoring\n  name: rx:node-exporter.*\n  reason: has a Windows variant\n- check: node-ready\n  node: rx:akswin00000[0-4]\n  reason: being replaced\n  expires: 2099-01-01\n",
            "2026-12-05",
        )
        .expect("parses");
        let mut fs = vec![
            finding(
                "os-scheduling",
                "os-scheduling",
                Subject::namespaced("DaemonSet", "monitoring", "node-exporter-lnx"),
                None,
            ),
            finding(
                "os-scheduling",
                "os-scheduling",
                Subject::namespaced("DaemonSet", "other", "node-exporter"),
                None,
            ),
            finding(
                "node-ready",
                "node-ready",
                Subject::node("akswin000003"),
                Some("akswin000003"),
            ),
            finding(
                "node-ready",
                "node-ready",
                Subject::node("akswin000007"),
                Some("akswin000007"),
            ),
        ];
        s.apply(&mut fs);
        let muted: Vec<bool> = fs.iter().map(|f| f.muted.is_some()).collect();
        assert_eq!(muted, [true, false, true, false]);
        assert_eq!(
            fs[0].muted.as_ref().map(|m| m.reason.as_str()),
            Some("has a Windows variant")
        );
        assert_eq!(
            fs[2].muted.as_ref().and_then(|m| m.expires.as_deref()),
            Some("2099-01-01")
        );
    }

    #[test]
    fn bad_files_say_what_to_change_and_expired_rules_stop_muting() {
        let no_reason = Silence::parse("mute:\n- check: node-ready\n  reason: ' '\n", "2026-12-05");
        assert!(no_reason.unwrap_err().contains("no reason"));
        let unknown = Silence::parse("mute:\n- check: no-such-check\n  reason: x\n", "2026-12-05");
        assert!(unknown.unwrap_err().contains("not a check id"));
        let bad_rx = Silence::parse(
            "mute:\n- check: node-ready\n  name: 'rx:('\n  reason: x\n",
            "2026-12-05",
        );
        assert!(bad_rx.unwrap_err().contains("not a regex"));
        let bad_date = Silence::parse(
            "mute:\n- check: node-ready\n  reason: x\n  expires: soon\n",
            "2026-12-05",
        );
        assert!(bad_date.unwrap_err().contains("not a date"));
        let expired = Silence::parse(
            "mute:\n- check: node-ready\n  reason: x\n  expires: 2026-01-01\n",
            "2026-12-05",
        )
        .expect("parses");
        assert_eq!(expired.expired.len(), 1);
        let mut fs = vec![finding(
            "node-ready",
            "node-ready",
            Subject::node("a"),
            Some("a"),
        )];
        expired.apply(&mut fs);
        assert!(fs[0].muted.is_none());
    }

    #[test]
    fn annotation_values_list_checks_and_codes() {
        assert_eq!(
            ignored_by_annotation("os-scheduling, pod-spec-compat/privileged-container"),
            vec!["os-scheduling", "pod-spec-compat/privileged-container"]
        );
        assert!(ignored_by_annotation(" ").is_empty());
    }
}
