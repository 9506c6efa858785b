//! The failure-signature library: known failure wordings of Windows node components, kept as data
//! in `checks/signatures/<component>.toml` and compiled in.
//!
//! A signature names the check and part whose problem its wording shows, the status it gives, a
//! regex (Rust `regex` syntax), what the wording means and the fix, and — like a check's
//! `[patterns]` — real examples it must match (each cited `owner/repo#N` or
//! `owner/repo@commit:path`) and near misses it must not. The test suite validates every signature
//! with the same machinery as the patterns; `crate::model::signatures` matches them against the
//! text sources of a run. A signature whose wording a check already judges with one of its own
//! patterns names it in `judged_by`: it stays in the library (documented and tested) and the scan
//! leaves that wording to the check. docs/catalogue.md describes the format; docs/signatures.md is
//! generated from it.

use super::literal_gate::LiteralGate;
use super::{CheckMeta, PatternMeta};
use crate::findings::Status;
use include_dir::{include_dir, Dir};
use regex::Regex;
use serde::Deserialize;
use std::sync::OnceLock;

static SIGNATURE_FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/checks/signatures");

/// Where a wording is printed, as the research that found it recorded it (informative: the scan
/// reads every text source).
pub const SOURCES: &[&str] = &[
    "event",
    "kubelet-log",
    "kube-proxy-log",
    "containerd-log",
    "docker-log",
    "flanneld-log",
    "calico-log",
    "cni-log",
    "azure-cni-log",
    "hns-eventlog",
    "scm-eventlog",
    "pod-log",
    "termination-message",
    "node-condition",
];

/// The keys a `[[signature]]` may have.
const KEYS: &[&str] = &[
    "id",
    "check",
    "part",
    "status",
    "sources",
    "meaning",
    "fix",
    "commands",
    "fix_template",
    "judged_by",
    "overrides",
    "re",
    "about",
    "match",
    "nomatch",
];

/// One failure signature (`[[signature]]` in `checks/signatures/<component>.toml`).
#[derive(Debug, Deserialize)]
pub struct Signature {
    /// Lower-kebab, unique in the library: names the wording.
    pub id: String,
    /// The check whose problem the wording shows.
    pub check: String,
    /// The part of that check a match is a finding of (a `[[part]]` of `checks/<check>.toml`).
    pub part: String,
    /// `fail`, `warn` or `info`.
    pub status: String,
    /// Where the wording is printed (see [`SOURCES`]).
    pub sources: Vec<String>,
    /// What the wording means.
    pub meaning: String,
    /// What to do: a sentence (commands allowed), or the name of a fix template of the check
    /// (`fix_template`), used when the template needs no value a log line cannot give.
    #[serde(default)]
    pub fix: Option<String>,
    #[serde(default)]
    pub commands: Vec<String>,
    #[serde(default)]
    pub fix_template: Option<String>,
    /// The check's own pattern that judges this wording, when it has one (the scan skips it).
    #[serde(default)]
    pub judged_by: Option<String>,
    /// Less specific signatures this one replaces on a line both match (ids).
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The regex and its examples (`re`, `match`, `nomatch`), as a check's patterns have them.
    #[serde(flatten)]
    pub pattern: PatternMeta,
    /// The component file it comes from (`kubelet` for `checks/signatures/kubelet.toml`).
    #[serde(skip)]
    pub component: String,
}

impl Signature {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Info)
    }

    /// The fix a finding of this signature carries.
    pub fn fix(&self, meta: &CheckMeta) -> crate::findings::Fix {
        match (&self.fix_template, &self.fix) {
            (Some(name), _) => meta.fix(name, &[]),
            (None, Some(text)) => crate::findings::Fix {
                text: text.clone(),
                commands: self.commands.clone(),
                ..Default::default()
            },
            (None, None) => crate::findings::Fix::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    signature: Vec<Signature>,
}

/// The compiled library: every signature, and a literal gate over their regexes
/// ([`LiteralGate`]). A line is matched only against the signatures whose required text it holds,
/// each with its own regex, compiled the first time a line needs it. One `RegexSet` over all 216
/// took some 55 ms of CPU to build and as much again to match a large cluster's events.
#[derive(Debug)]
pub struct Library {
    pub signatures: Vec<Signature>,
    /// Per signature, the positions of the signatures it overrides.
    overrides: Vec<Vec<usize>>,
    /// Which signatures a line may match (positions as in `signatures`).
    gate: LiteralGate,
    /// Per signature, its regex once compiled (`None`: it does not compile, so it matches nothing;
    /// the test suite rules that out).
    compiled: Vec<OnceLock<Option<Regex>>>,
}

impl Library {
    fn new(signatures: Vec<Signature>, overrides: Vec<Vec<usize>>) -> Library {
        let patterns: Vec<&str> = signatures.iter().map(|s| s.pattern.re.as_str()).collect();
        let gate = LiteralGate::new(&patterns);
        let compiled = signatures.iter().map(|_| OnceLock::new()).collect();
        Library {
            signatures,
            overrides,
            gate,
            compiled,
        }
    }

    /// The regex of signature `i`, compiled on its own (the tests run its examples through it).
    #[cfg(test)]
    pub fn regex(&self, i: usize) -> Regex {
        Regex::new(&self.signatures[i].pattern.re).unwrap_or_else(|_| never())
    }

    /// Names each signature whose regex does not parse (the gate parsed them all; a run compiles
    /// a signature's regex only when a line needs it, the test suite compiles them all).
    fn unparsed_regexes(&self) -> Vec<String> {
        self.gate
            .unparsed()
            .iter()
            .filter_map(|(i, why)| {
                let s = self.signatures.get(*i)?;
                Some(format!(
                    "checks/signatures/{}.toml [{}]: regex does not parse: {why}",
                    s.component, s.id
                ))
            })
            .collect()
    }

    /// Every signature whose regex matches `line` (positions in `signatures`, ascending), before
    /// [`Library::matches`] drops the overridden and the judged ones.
    fn matching(&self, line: &str) -> Vec<usize> {
        // Most lines hold no signature's required text: the gate says so without a regex.
        self.gate
            .candidates(line)
            .into_iter()
            .filter(|&i| self.is_match(i, line))
            .collect()
    }

    /// Whether signature `i`'s regex matches `line` (compiling it on first use).
    fn is_match(&self, i: usize, line: &str) -> bool {
        self.compiled
            .get(i)
            .and_then(|cell| {
                cell.get_or_init(|| Regex::new(&self.signatures[i].pattern.re).ok())
                    .as_ref()
            })
            .is_some_and(|re| re.is_match(line))
    }

    /// The signatures whose wording `line` shows (positions in `signatures`), skipping those a
    /// check judges itself.
    ///
    /// A signature another matching one `overrides` is dropped; a signature `judged_by` a check's
    /// pattern is not given, though what it overrides stays dropped.
    pub fn matches(&self, line: &str) -> Vec<usize> {
        let all = self.matching(line);
        all.iter()
            .copied()
            .filter(|&i| {
                self.signatures[i].judged_by.is_none()
                    && !all.iter().any(|&j| self.overrides[j].contains(&i))
            })
            .collect()
    }
}

/// Loads and validates every signature file: TOML shape, unique kebab ids, known check and
/// declared part, status, sources, a fix, regexes that parse, a `judged_by` the check declares.
pub fn load() -> Result<Library, String> {
    let mut problems = Vec::new();
    let mut signatures: Vec<Signature> = Vec::new();
    for file in SIGNATURE_FILES.files() {
        let path = format!("checks/signatures/{}", file.path().display());
        let Some(stem) = path
            .strip_prefix("checks/signatures/")
            .and_then(|p| p.strip_suffix(".toml"))
        else {
            continue;
        };
        let Some(text) = file.contents_utf8() else {
            problems.push(format!("{path}: not UTF-8"));
            continue;
        };
        // `#[serde(flatten)]` lets unknown keys through: name them here.
        if let Ok(raw) = toml::from_str::<toml::Table>(text) {
            for (i, s) in raw
                .get("signature")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                for key in s.as_table().into_iter().flat_map(|t| t.keys()) {
                    if !KEYS.contains(&key.as_str()) {
                        problems.push(format!(
                            "{path}: signature {} has an unknown key {key:?} (known: {})",
                            i + 1,
                            KEYS.join(", ")
                        ));
                    }
                }
            }
        }
        match toml::from_str::<SignatureFile>(text) {
            Ok(f) => signatures.extend(f.signature.into_iter().map(|mut s| {
                s.component = stem.to_string();
                s
            })),
            Err(e) => problems.push(format!("{path}: {e}")),
        }
    }
    signatures.sort_by(|a, b| (&a.check, &a.id).cmp(&(&b.check, &b.id)));
    let mut ids = std::collections::BTreeSet::new();
    for s in &signatures {
        let here = format!("checks/signatures/{}.toml [{}]", s.component, s.id);
        if !super::is_kebab(&s.id) || !ids.insert(s.id.as_str()) {
            problems.push(format!("{here}: id must be lower-kebab and unique"));
        }
        match super::meta(&s.check) {
            None => problems.push(format!("{here}: no check {}", s.check)),
            Some(meta) => {
                if !meta.has_part(&s.part) {
                    problems.push(format!(
                        "{here}: part {} is not a [[part]] of checks/{}.toml",
                        s.part, s.check
                    ));
                }
                if let Some(t) = &s.fix_template {
                    if !meta.fixes.contains_key(t) {
                        problems.push(format!("{here}: checks/{}.toml has no fix {t}", s.check));
                    }
                }
                if let Some(p) = &s.judged_by {
                    if !meta.patterns.contains_key(p) {
                        problems.push(format!(
                            "{here}: checks/{}.toml has no pattern {p}",
                            s.check
                        ));
                    }
                }
            }
        }
        if !matches!(s.status.as_str(), "fail" | "warn" | "info") {
            problems.push(format!("{here}: status must be fail, warn or info"));
        }
        if s.fix.is_none() && s.fix_template.is_none() {
            problems.push(format!("{here}: needs a fix or a fix_template"));
        }
        if s.meaning.trim().len() < 20 {
            problems.push(format!("{here}: meaning is too thin"));
        }
        for src in &s.sources {
            if !SOURCES.contains(&src.as_str()) {
                problems.push(format!("{here}: unknown source {src}"));
            }
        }
    }
    let mut overrides = Vec::new();
    for s in &signatures {
        let mut mine = Vec::new();
        for id in &s.overrides {
            match signatures.iter().position(|o| &o.id == id) {
                Some(j) if signatures[j].id != s.id => mine.push(j),
                _ => problems.push(format!(
                    "checks/signatures/{}.toml [{}]: overrides {id:?}, which is not another signature",
                    s.component, s.id
                )),
            }
        }
        overrides.push(mine);
    }
    let library = Library::new(signatures, overrides);
    problems.extend(library.unparsed_regexes());
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    Ok(library)
}

#[cfg(test)]
fn never() -> Regex {
    Regex::new(r"[^\s\S]").expect("valid never-matching regex")
}

/// The library, loaded once. An invalid library (ruled out by the test suite before a release)
/// degrades to an empty one rather than stopping a run.
pub fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| match load() {
        Ok(l) => l,
        Err(e) => {
            debug_assert!(false, "the compiled-in signature library is invalid:\n{e}");
            Library::new(Vec::new(), Vec::new())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A regex that does not parse is named with its signature when the library loads, though a
    /// run compiles a signature's regex only when a line needs it.
    #[test]
    fn a_broken_regex_is_named_with_its_signature() {
        let signature = |id: &str, re: &str| {
            format!(
                r#"
[[signature]]
id = "{id}"
check = "hns-network"
part = "logged-failure"
status = "fail"
sources = ["event"]
re = '{re}'
meaning = 'a meaning long enough to pass'
fix = 'a fix'
match = [{{ text = '{re}', cite = "a/b#1" }}]
nomatch = [{{ text = 'another line', why = 'other' }}]
"#
            )
        };
        let text = signature("fine", "hnsCall failed") + &signature("broken", "(unclosed");
        let file: SignatureFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut signatures = file.signature;
        for s in &mut signatures {
            s.component = "hns".into();
        }
        let broken = signatures.split_off(1);
        let fine = Library::new(signatures, vec![Vec::new()]);
        assert!(fine.unparsed_regexes().is_empty());
        let mut signatures = fine.signatures;
        signatures.extend(broken);
        let lib = Library::new(signatures, vec![Vec::new(), Vec::new()]);
        let problems = lib.unparsed_regexes();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("checks/signatures/hns.toml [broken]: regex does not parse:"),
            "{problems:?}"
        );
        // The broken one matches nothing, and the library still matches the other.
        assert_eq!(lib.matches("the hnsCall failed here (unclosed"), vec![0]);
    }

    /// The gate drops no signature a line matches: on every example and near miss of the library,
    /// also in upper and lower case and with KELVIN SIGN and LONG S for k and s (which Unicode
    /// case folding matches), the library's regexes match exactly where one `RegexSet` over every
    /// signature does (before overrides and `judged_by`, which `matches` applies to both alike).
    #[test]
    fn the_gate_finds_what_one_regex_set_finds() {
        let lib = library();
        let set = regex::RegexSetBuilder::new(lib.signatures.iter().map(|s| &s.pattern.re))
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut lines: Vec<String> = Vec::new();
        for s in &lib.signatures {
            for e in s.pattern.matches.iter().chain(&s.pattern.nomatch) {
                let text = e.text();
                lines.push(text.to_string());
                lines.push(text.to_uppercase());
                lines.push(text.to_lowercase());
                lines.push(
                    text.replace(['k', 'K'], "\u{212A}")
                        .replace(['s', 'S'], "\u{017F}"),
                );
            }
        }
        let mut matched = 0;
        for line in &lines {
            let want: Vec<usize> = set.matches(line).into_iter().collect();
            matched += usize::from(!want.is_empty());
            assert_eq!(lib.matching(line), want, "{line:?}");
        }
        assert!(
            matched > 300,
            "only {matched} of {} lines match",
            lines.len()
        );
        assert!(
            lib.gate.ungated() < 10,
            "{} signatures have no required text",
            lib.gate.ungated()
        );
    }

    #[test]
    fn the_library_loads_and_is_valid() {
        let lib = load().unwrap_or_else(|e| panic!("{e}"));
        assert!(lib.signatures.len() >= 150, "{}", lib.signatures.len());
    }

    /// Every signature matches each of its examples (each cited, owner/repo#N or
    /// owner/repo@commit:path) and none of its near misses: the check patterns' test, run on the
    /// library.
    #[test]
    fn every_signature_matches_its_examples_and_not_its_near_misses() {
        let lib = library();
        let mut problems = Vec::new();
        let mut ran = 0;
        for (i, s) in lib.signatures.iter().enumerate() {
            let here = format!("checks/signatures/{}.toml [{}]", s.component, s.id);
            ran += crate::catalogue::tests::pattern_problems(
                &here,
                &s.pattern,
                &lib.regex(i),
                &mut problems,
            );
            if s.pattern.matches.iter().any(|e| e.cite().is_none()) {
                problems.push(format!("{here}: every example needs its citation"));
            }
        }
        assert!(ran >= 300, "only {ran} signature examples ran");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The scan's regex set finds each scanned signature on its own examples (unless a more
    /// specific signature overrides it there), and no example gives two signatures of one check:
    /// overlaps are settled by `overrides`.
    #[test]
    fn the_scan_finds_each_signature_on_its_examples() {
        let lib = library();
        for (i, s) in lib.signatures.iter().enumerate() {
            if s.judged_by.is_some() {
                continue;
            }
            for e in &s.pattern.matches {
                let found = lib.matches(e.text());
                let overridden = found.iter().any(|&j| lib.overrides[j].contains(&i));
                assert!(
                    found.contains(&i) || overridden,
                    "{}: the scan misses {:?}",
                    s.id,
                    e.text()
                );
            }
        }
    }

    #[test]
    fn an_example_gives_one_signature_of_its_check() {
        let lib = library();
        let mut problems = Vec::new();
        for s in &lib.signatures {
            for e in &s.pattern.matches {
                let same: Vec<&str> = lib
                    .matches(e.text())
                    .into_iter()
                    .filter(|&j| lib.signatures[j].check == s.check)
                    .map(|j| lib.signatures[j].id.as_str())
                    .collect();
                if same.len() > 1 {
                    problems.push(format!("{}: {:?} matches {same:?}", s.id, e.text()));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// At least three signatures for every check of the catalogue.
    #[test]
    fn every_check_has_three_signatures() {
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &library().signatures {
            *per.entry(s.check.as_str()).or_default() += 1;
        }
        let thin: Vec<String> = crate::catalogue::CHECK_IDS
            .iter()
            .filter(|id| per.get(*id).copied().unwrap_or(0) < 3)
            .map(|id| format!("{id}: {}", per.get(id).copied().unwrap_or(0)))
            .collect();
        assert!(
            thin.is_empty(),
            "checks with fewer than 3 signatures: {thin:?}"
        );
    }

    #[test]
    fn healthy_lines_match_no_signature() {
        let lib = library();
        for line in [
            "I0101 12:00:00.000000    1234 kubelet.go:2100] SyncLoop (PLEG): event for pod",
            "Successfully pulled image \"mcr.microsoft.com/oss/kubernetes/pause:3.9\" in 2.1s",
            "Created container kube-proxy",
            "Started container flannel",
            "I1120 10:00:00.000000 3000 proxier.go:1100] syncProxyRules complete",
            "Successfully assigned kube-system/kube-proxy-windows-abcde to win-1",
            "I1120 main.go:500] Wrote subnet file to c:\\run\\flannel\\subnet.env",
            "I1120 main.go:520] Running backend.",
            "Calico node started successfully",
            "The kubelet service entered the running state.",
        ] {
            let hits: Vec<&str> = lib
                .matches(line)
                .into_iter()
                .map(|i| lib.signatures[i].id.as_str())
                .collect();
            assert!(hits.is_empty(), "{line:?} matches {hits:?}");
        }
    }
}
