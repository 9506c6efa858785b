//! The troubles an input can have, as data (`checks/data/input-errors.toml`): for each, a regex over
//! the reason windoctor gives for an input it could not read (a 403 from the API server, an
//! unreachable server, a broken bundle file...), the inputs it applies to, real reasons it must
//! take and near misses it must leave, and the fix an operator follows. The first trouble that
//! applies to the input and finds the reason gives the `error` finding its fix
//! (`checks::input_fix` fills it in).

use super::fixes::FixTemplate;
use super::PatternExample;
use regex::Regex;
use serde::Deserialize;
use std::sync::OnceLock;

/// `checks/data/input-errors.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputErrors {
    /// In the order they are tried.
    #[serde(rename = "trouble")]
    pub troubles: Vec<Trouble>,
}

/// One kind of trouble reading an input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trouble {
    /// Lower-kebab, unique.
    pub id: String,
    /// Which inputs it applies to.
    pub inputs: Applies,
    /// The regex (Rust `regex` syntax) over the reason.
    pub re: String,
    /// What the trouble is, for docs.
    pub about: String,
    /// Reasons it must take.
    #[serde(rename = "match")]
    pub matches: Vec<PatternExample>,
    /// Reasons it must leave to another trouble.
    pub nomatch: Vec<PatternExample>,
    pub fix: FixTemplate,
}

/// `inputs = "any"`, `"cluster"` (the cluster lists and `/version`), or a list of input names.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Applies {
    Kind(String),
    Names(Vec<String>),
}

impl Applies {
    /// True when it applies to the input `name` (`cluster_input`: a row of the cluster input table).
    pub fn covers(&self, name: &str, cluster_input: bool) -> bool {
        match self {
            Applies::Kind(k) if k == "any" => true,
            Applies::Kind(k) if k == "cluster" => cluster_input,
            Applies::Kind(_) => false,
            Applies::Names(names) => names.iter().any(|n| n == name),
        }
    }
}

impl InputErrors {
    /// The first trouble that applies to `input` (`cluster_input`: a row of the cluster input
    /// table) and whose regex finds `reason`.
    pub fn trouble_for(&self, input: &str, cluster_input: bool, reason: &str) -> Option<&Trouble> {
        self.troubles
            .iter()
            .zip(compiled())
            .find(|(t, re)| t.inputs.covers(input, cluster_input) && re.is_match(reason))
            .map(|(t, _)| t)
    }
}

/// The table, loaded once. Panics only if the compiled-in data is broken, which the test suite
/// rules out before a release.
pub fn input_errors() -> &'static InputErrors {
    static CELL: OnceLock<InputErrors> = OnceLock::new();
    super::data::once(&CELL, "input-errors.toml")
}

/// Each trouble's regex, in table order; one that does not compile (ruled out by the tests) never
/// matches.
fn compiled() -> &'static [Regex] {
    static CELL: OnceLock<Vec<Regex>> = OnceLock::new();
    CELL.get_or_init(|| {
        input_errors()
            .troubles
            .iter()
            .map(|t| {
                Regex::new(&t.re)
                    .unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("valid never-matching regex"))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An input each trouble applies to, for trying its examples.
    fn an_input_of(t: &Trouble) -> &str {
        match &t.inputs {
            Applies::Kind(k) if k == "any" || k == "cluster" => "pods",
            Applies::Kind(_) => "",
            Applies::Names(n) => n.first().map(String::as_str).unwrap_or(""),
        }
    }

    fn first(input: &str, reason: &str) -> Option<&'static str> {
        let cluster = crate::facts::inputs::spec(input).is_some();
        input_errors()
            .trouble_for(input, cluster, reason)
            .map(|t| t.id.as_str())
    }

    #[test]
    fn every_trouble_is_well_formed_and_takes_its_examples_first() {
        let table = input_errors();
        let mut problems = Vec::new();
        let mut ids = std::collections::BTreeSet::new();
        for t in &table.troubles {
            let here = format!("checks/data/input-errors.toml trouble {}", t.id);
            if !ids.insert(t.id.as_str()) {
                problems.push(format!("{here}: id used twice"));
            }
            if let Applies::Kind(k) = &t.inputs {
                if k != "any" && k != "cluster" {
                    problems.push(format!("{here}: inputs = {k:?} (any, cluster or a list)"));
                }
            }
            if let Applies::Names(names) = &t.inputs {
                for n in names {
                    if !crate::facts::inputs::all_names().any(|x| x == n) {
                        problems.push(format!("{here}: unknown input {n:?}"));
                    }
                }
            }
            let re = match Regex::new(&t.re) {
                Ok(re) => re,
                Err(e) => {
                    problems.push(format!("{here}: regex does not compile: {e}"));
                    continue;
                }
            };
            if t.matches.is_empty() || t.nomatch.is_empty() {
                problems.push(format!("{here}: needs a `match` and a `nomatch` example"));
            }
            let input = an_input_of(t);
            for e in &t.matches {
                if let Some(c) = e.cite() {
                    if !super::super::tests::is_citation(c) {
                        problems.push(format!("{here}: citation {c:?} is not owner/repo#N"));
                    }
                }
                let first = first(input, e.text());
                if first != Some(t.id.as_str()) {
                    problems.push(format!(
                        "{here}: {:?} is taken by {first:?}, not by this trouble",
                        e.text()
                    ));
                }
            }
            for e in &t.nomatch {
                if re.is_match(e.text()) {
                    problems.push(format!("{here}: near miss {:?} matches", e.text()));
                }
            }
            for (i, (_, meta)) in t.fix.steps().into_iter().enumerate() {
                if let Err(e) = meta {
                    problems.push(format!("{here}: fix command {} {e}", i + 1));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(table.troubles.len() >= 8);
    }

    #[test]
    fn a_trouble_applies_only_to_its_inputs() {
        let broken_file = "cluster/pods.json: not valid JSON: expected value at line 1 column 1";
        assert_eq!(first("pods", broken_file), Some("cluster-file"));
        // Pod logs are not a cluster list: no kubectl command writes them.
        assert_eq!(
            first("logs", "cluster/logs/kube-system/x/x.log: not UTF-8"),
            Some("other-bundle-file")
        );
        assert_eq!(
            first("pods", "cluster/logs/kube-system/x/x.log: not UTF-8"),
            Some("cluster-file")
        );
        assert_eq!(
            first("node", "node/hns.json is not valid JSON: EOF"),
            Some("node-file")
        );
        assert_eq!(first("pods", "something unheard of"), None);
    }
}
