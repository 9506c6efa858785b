//! The check catalogue: metadata of every check, kept as data in `checks/*.toml` and compiled in.
//!
//! Each TOML file describes one check of SPEC section 5: its stable id, title, scope, area, the seed
//! document section it implements, an explanation, named fix templates (text and commands with
//! `{placeholder}` values the check fills in), named regexes for matching event and log wordings, and
//! example inputs (small bundles) with the status they must produce, which the test suite runs. The
//! Rust side of a check is one function in `crate::checks`; everything an operator reads lives here.

pub mod docs;

use include_dir::{include_dir, Dir};
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

static CHECK_FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/checks");

/// The stable check ids, in catalogue order (the `order` of each `checks/<id>.toml`).
pub const CHECK_IDS: &[&str] = crate::checks::GENERATED_IDS;

/// Where a check can look: the cluster API, the local node, or an opt-in active probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Cluster,
    Node,
    Probe,
}

/// The area a check belongs to, used to group and filter checks in the TUI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Node,
    Networking,
    Flannel,
    Images,
    Scheduling,
    Cluster,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Node => "node",
            Area::Networking => "networking",
            Area::Flannel => "flannel",
            Area::Images => "images",
            Area::Scheduling => "scheduling",
            Area::Cluster => "cluster",
        }
    }
}

/// A citation of the seed documentation: file, section heading path, and the public page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocRef {
    /// Seed document file name, e.g. `001_50144ffaf5c40f78.txt`.
    pub file: String,
    /// The section heading (or FAQ question) as it is written in that file.
    pub section: String,
    /// The public English page of the same section.
    #[serde(default)]
    pub url: Option<String>,
}

impl DocRef {
    /// The text a finding carries in `docs[]`.
    pub fn citation(&self) -> String {
        format!("{} § {}", self.file, self.section)
    }
}

/// A fix template. `{name}` placeholders are filled with values the check supplies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixTemplate {
    pub text: String,
    #[serde(default)]
    pub commands: Vec<String>,
}

/// A worked example: a tiny bundle (relative path -> file content) and what the check must conclude.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    /// The check's row status on these inputs.
    pub expect: String,
    /// A phrase that must appear in one finding's message with that status.
    #[serde(default)]
    pub message: Option<String>,
    /// Extra arguments as `--node` would give them.
    #[serde(default)]
    pub node: Option<String>,
    pub files: BTreeMap<String, String>,
}

/// One part of a check: a problem (or a group of them) with a stable sub-code that `--only`,
/// `--skip` and silencing can name, e.g. `os-scheduling/linux-daemonset-on-windows`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartMeta {
    /// Lower-kebab name, unique within the check.
    pub code: String,
    /// What the part looks at, as a heading.
    pub title: String,
}

/// Everything the catalogue knows about one check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckMeta {
    pub id: String,
    /// Position in the catalogue.
    pub order: i64,
    pub title: String,
    pub scope: Vec<Scope>,
    pub area: Area,
    /// The inputs the check reads (see `crate::checks::INPUT_NAMES`); a front-end may run the check
    /// as soon as these have arrived.
    pub inputs: Vec<String>,
    /// What the node part of the check reads, for node parts gathered in part by another tool
    /// (see `crate::checks::Eval`'s node gate): `file:<Windows path>`, `cni-configs`,
    /// `containerd-config`, `args:<component>`, `kubelet-flags`, `logs:<component>`; `a|b` is
    /// satisfied by either. A check whose read was not gathered reports `skip` naming it.
    #[serde(default)]
    pub node_reads: Vec<String>,
    pub docs: Vec<DocRef>,
    pub explanation: String,
    /// The parts of the check; every finding names one (see `PartMeta`).
    #[serde(default, rename = "part")]
    pub parts: Vec<PartMeta>,
    #[serde(default)]
    pub fixes: BTreeMap<String, FixTemplate>,
    #[serde(default)]
    pub patterns: BTreeMap<String, String>,
    #[serde(default, rename = "example")]
    pub examples: Vec<Example>,
    #[serde(skip)]
    compiled: OnceLock<BTreeMap<String, Regex>>,
}

impl CheckMeta {
    /// The regex named `name` in this check's `[patterns]` table.
    ///
    /// Patterns are validated by the catalogue test, so a missing or broken one is a programming
    /// error caught before release; at run time it degrades to a regex that never matches.
    pub fn pattern(&self, name: &str) -> &Regex {
        static NEVER: OnceLock<Regex> = OnceLock::new();
        let compiled = self.compiled.get_or_init(|| {
            self.patterns
                .iter()
                .filter_map(|(k, v)| Regex::new(v).ok().map(|r| (k.clone(), r)))
                .collect()
        });
        compiled.get(name).unwrap_or_else(|| {
            NEVER.get_or_init(|| Regex::new(r"[^\s\S]").expect("valid never-matching regex"))
        })
    }

    /// The fix named `key` with `{placeholders}` replaced by `vars`.
    pub fn fix(&self, key: &str, vars: &[(&str, &str)]) -> crate::findings::Fix {
        match self.fixes.get(key) {
            Some(t) => crate::findings::Fix {
                text: fill(&t.text, vars),
                commands: t.commands.iter().map(|c| fill(c, vars)).collect(),
            },
            None => crate::findings::Fix {
                text: format!("(windoctor bug: check {} has no fix named {key})", self.id),
                commands: vec![],
            },
        }
    }

    pub fn citations(&self) -> Vec<String> {
        let mut out: Vec<String> = self.docs.iter().map(DocRef::citation).collect();
        out.extend(self.docs.iter().filter_map(|d| d.url.clone()));
        out.dedup();
        out
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scope.contains(&scope)
    }

    /// The full code of part `part`: `<check>/<part>`.
    pub fn code(&self, part: &str) -> String {
        format!("{}/{part}", self.id)
    }

    pub fn has_part(&self, part: &str) -> bool {
        part == "input" || self.parts.iter().any(|p| p.code == part)
    }
}

/// Replaces each `{name}` in `template` by its value; unknown placeholders stay visible as `<name>`.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if is_placeholder(&after[..end]) => {
                let name = &after[..end];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('<');
                        out.push_str(name);
                        out.push('>');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every `{placeholder}` name used in a check's fix templates.
pub fn placeholders(meta: &CheckMeta) -> Vec<String> {
    let mut out = Vec::new();
    for t in meta.fixes.values() {
        for text in std::iter::once(&t.text).chain(t.commands.iter()) {
            let mut rest = text.as_str();
            while let Some(start) = rest.find('{') {
                let after = &rest[start + 1..];
                match after.find('}') {
                    Some(end) if is_placeholder(&after[..end]) => {
                        out.push(after[..end].to_string());
                        rest = &after[end + 1..];
                    }
                    _ => rest = after,
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn is_placeholder(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Errors found while loading the catalogue (bad TOML, unknown/duplicate/missing ids, bad regexes).
pub fn load_all() -> Result<Vec<CheckMeta>, String> {
    let mut metas = Vec::new();
    let mut problems = Vec::new();
    for file in CHECK_FILES.files() {
        let path = file.path().display().to_string();
        if !path.ends_with(".toml") {
            continue;
        }
        let text = match file.contents_utf8() {
            Some(t) => t,
            None => {
                problems.push(format!("{path}: not UTF-8"));
                continue;
            }
        };
        match toml::from_str::<CheckMeta>(text) {
            Ok(meta) => {
                if format!("{}.toml", meta.id) != path {
                    problems.push(format!(
                        "{path}: file name must be <id>.toml (id is {})",
                        meta.id
                    ));
                }
                for (name, re) in &meta.patterns {
                    if let Err(e) = Regex::new(re) {
                        problems.push(format!("{path}: pattern {name} does not compile: {e}"));
                    }
                }
                metas.push(meta);
            }
            Err(e) => problems.push(format!("{path}: {e}")),
        }
    }
    for id in CHECK_IDS {
        match metas.iter().filter(|m| m.id == *id).count() {
            0 => problems.push(format!("check {id} has no checks/{id}.toml")),
            1 => {}
            n => problems.push(format!("check {id} is described {n} times")),
        }
    }
    for m in &metas {
        if !CHECK_IDS.contains(&m.id.as_str()) {
            problems.push(format!(
                "checks/{}.toml: check id {} has no function file src/checks/{}.rs",
                m.id,
                m.id,
                m.id.replace('-', "_")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    metas.sort_by_key(|m| CHECK_IDS.iter().position(|id| *id == m.id));
    Ok(metas)
}

/// The catalogue, loaded once. Panics only if the compiled-in data is broken, which the test suite
/// rules out before a release.
pub fn catalogue() -> &'static [CheckMeta] {
    static CATALOGUE: OnceLock<Vec<CheckMeta>> = OnceLock::new();
    CATALOGUE.get_or_init(|| match load_all() {
        Ok(m) => m,
        Err(e) => panic!("the compiled-in check catalogue is invalid:\n{e}"),
    })
}

/// The ids of the checks with a part in `scope` (e.g. every check with a node side), in catalogue
/// order.
pub fn ids_in_scope(scope: Scope) -> Vec<&'static str> {
    catalogue()
        .iter()
        .filter(|m| m.has_scope(scope))
        .map(|m| m.id.as_str())
        .collect()
}

pub fn meta(id: &str) -> Option<&'static CheckMeta> {
    catalogue().iter().find(|m| m.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_known_and_marks_unknown() {
        assert_eq!(
            fill("kubectl describe node {node}", &[("node", "win-1")]),
            "kubectl describe node win-1"
        );
        assert_eq!(fill("x {missing} y", &[]), "x <missing> y");
        assert_eq!(fill(r#"{"json": {a}}"#, &[("a", "1")]), r#"{"json": 1}"#);
    }

    /// The check ids users and tools rely on (`--only`, silencing, reports): checks may be added,
    /// never removed or renamed.
    const STABLE_IDS: [&str; 26] = [
        "node-ready",
        "node-services",
        "windows-version",
        "pause-image",
        "image-os-match",
        "os-scheduling",
        "pod-spec-compat",
        "container-runtime",
        "flannel-vxlan",
        "flannel-subnet-env",
        "flannel-sourcevip",
        "flanneld-waiting",
        "kube-proxy-hostname-override",
        "hns-network",
        "cni-exception-list",
        "icmp-vs-tcp",
        "nodeport-self-access",
        "service-ip-from-node",
        "mac-spoofing",
        "dns-windows",
        "port-forward-wincat",
        "proxy-env",
        "ip-plan",
        "kubelet-config",
        "service-limits",
        "version-skew",
    ];

    #[test]
    fn catalogue_loads_every_registered_check_once_and_keeps_the_stable_ids() {
        let metas = load_all().unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = metas.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, CHECK_IDS.to_vec());
        let mut order: Vec<i64> = metas.iter().map(|m| m.order).collect();
        let sorted = order.clone();
        order.sort();
        assert_eq!(order, sorted, "catalogue order follows `order`");
        for id in STABLE_IDS {
            assert!(ids.contains(&id), "stable check id {id} is gone");
        }
        // The stable ids keep their relative order.
        let positions: Vec<usize> = STABLE_IDS
            .iter()
            .filter_map(|id| ids.iter().position(|i| i == id))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn every_check_cites_a_seed_section_and_has_pass_and_problem_examples() {
        for m in catalogue() {
            assert!(!m.docs.is_empty(), "{} cites no seed document", m.id);
            assert!(
                m.explanation.trim().len() > 40,
                "{} explanation is too thin",
                m.id
            );
            let statuses: Vec<&str> = m.examples.iter().map(|e| e.expect.as_str()).collect();
            assert!(
                statuses.contains(&"pass")
                    || m.id == "nodeport-self-access"
                    || m.id == "service-ip-from-node",
                "{} has no passing example",
                m.id
            );
            assert!(
                statuses
                    .iter()
                    .any(|s| matches!(*s, "fail" | "warn" | "info")),
                "{} has no example that finds a problem",
                m.id
            );
            for s in statuses {
                assert!(
                    crate::findings::Status::parse(s).is_some(),
                    "{}: bad expect {s}",
                    m.id
                );
            }
        }
    }

    #[test]
    fn ids_in_scope_selects_by_declared_scope() {
        let node = ids_in_scope(Scope::Node);
        assert!(node.contains(&"node-services") && node.contains(&"pause-image"));
        assert!(!node.contains(&"service-limits"), "{node:?}");
        let probe = ids_in_scope(Scope::Probe);
        assert!(probe.contains(&"icmp-vs-tcp") && !probe.contains(&"node-ready"));
    }

    #[test]
    fn citations_name_real_seed_headings() {
        let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seed-docs");
        if !seed.is_dir() {
            eprintln!("skipping: {} not present", seed.display());
            return;
        }
        for m in catalogue() {
            for d in &m.docs {
                let text = std::fs::read_to_string(seed.join(&d.file)).unwrap_or_else(|e| {
                    panic!("{}: cites {} which cannot be read: {e}", m.id, d.file)
                });
                let last = d.section.rsplit(" › ").next().unwrap_or(&d.section);
                assert!(
                    text.contains(last),
                    "{}: section {:?} not found in {}",
                    m.id,
                    last,
                    d.file
                );
            }
        }
    }
}
