//! Label and field selectors: parsing the `labelSelector` and `fieldSelector`
//! query parameters with the API server's syntax, and matching stored objects
//! against them. Parse errors carry the message the server would put in its
//! 400 Status.

use std::collections::BTreeMap;

use crate::data::StoredObject;
use crate::resource::ResourceKind;

/// One label requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelOp {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    GreaterThan(i64),
    LessThan(i64),
}

/// A parsed `labelSelector`: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<(String, LabelOp)>,
}

impl LabelSelector {
    /// Parses the selector syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
    /// `k notin (a,b)`, `k`, `!k`, `k>n`, `k<n`, joined by commas.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut requirements = Vec::new();
        for term in split_top_level(text) {
            let term = term.trim();
            if term.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(format!(
                    "unable to parse requirement: empty requirement in {text:?}"
                ));
            }
            requirements.push(parse_requirement(term)?);
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|(key, op)| {
            let value = labels.get(key);
            match op {
                LabelOp::Equals(v) => value == Some(v),
                LabelOp::NotEquals(v) => value != Some(v),
                LabelOp::In(set) => value.is_some_and(|v| set.contains(v)),
                LabelOp::NotIn(set) => !value.is_some_and(|v| set.contains(v)),
                LabelOp::Exists => value.is_some(),
                LabelOp::DoesNotExist => value.is_none(),
                LabelOp::GreaterThan(n) => value
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > *n),
                LabelOp::LessThan(n) => value
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v < *n),
            }
        })
    }
}

/// Splits at commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')
}

fn is_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

fn check_key(key: &str, term: &str) -> Result<String, String> {
    if key.is_empty() || !key.chars().all(is_key_char) {
        return Err(format!(
            "unable to parse requirement: invalid label key {key:?} in {term:?}"
        ));
    }
    Ok(key.to_string())
}

fn check_value(value: &str, term: &str) -> Result<String, String> {
    if !value.chars().all(is_value_char) {
        return Err(format!(
            "unable to parse requirement: invalid label value {value:?} in {term:?}"
        ));
    }
    Ok(value.to_string())
}

fn parse_requirement(term: &str) -> Result<(String, LabelOp), String> {
    if let Some(key) = term.strip_prefix('!') {
        return Ok((check_key(key.trim(), term)?, LabelOp::DoesNotExist));
    }
    let key_end = term.find(|c: char| !is_key_char(c)).unwrap_or(term.len());
    let key = check_key(&term[..key_end], term)?;
    let rest = term[key_end..].trim_start();
    if rest.is_empty() {
        return Ok((key, LabelOp::Exists));
    }
    let op = if let Some(v) = rest.strip_prefix("==") {
        LabelOp::Equals(check_value(v.trim(), term)?)
    } else if let Some(v) = rest.strip_prefix("!=") {
        LabelOp::NotEquals(check_value(v.trim(), term)?)
    } else if let Some(v) = rest.strip_prefix('=') {
        LabelOp::Equals(check_value(v.trim(), term)?)
    } else if let Some(v) = rest.strip_prefix('>') {
        LabelOp::GreaterThan(parse_integer(v, term)?)
    } else if let Some(v) = rest.strip_prefix('<') {
        LabelOp::LessThan(parse_integer(v, term)?)
    } else if let Some(v) = strip_word(rest, "notin") {
        LabelOp::NotIn(parse_set(v, term)?)
    } else if let Some(v) = strip_word(rest, "in") {
        LabelOp::In(parse_set(v, term)?)
    } else {
        return Err(format!(
            "unable to parse requirement: found {rest:?}, expected: in, notin, =, ==, !=, gt, lt"
        ));
    };
    Ok((key, op))
}

/// `rest` without the leading operator word `word`, if it starts with it
/// followed by a space or `(`.
fn strip_word<'a>(rest: &'a str, word: &str) -> Option<&'a str> {
    let after = rest.strip_prefix(word)?;
    after
        .starts_with(|c: char| c.is_whitespace() || c == '(')
        .then_some(after)
}

fn parse_integer(text: &str, term: &str) -> Result<i64, String> {
    text.trim().parse().map_err(|_| {
        format!("unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer in {term:?}")
    })
}

fn parse_set(text: &str, term: &str) -> Result<Vec<String>, String> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| {
            format!("unable to parse requirement: expected a (value, ...) set in {term:?}")
        })?;
    let values = inner
        .split(',')
        .map(|v| check_value(v.trim(), term))
        .collect::<Result<Vec<_>, _>>()?;
    if values.iter().all(String::is_empty) {
        return Err(format!(
            "unable to parse requirement: for 'in', 'notin' operators, values set can't be empty in {term:?}"
        ));
    }
    Ok(values)
}

/// A parsed `fieldSelector`: every term must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// (field label, wanted value, equal?)
    terms: Vec<(String, String, bool)>,
}

impl FieldSelector {
    /// Parses `a=b,c!=d,e==f` (values may escape `\,`, `\=` and `\\`) and
    /// checks that `kind` supports every field label.
    pub fn parse(text: &str, kind: ResourceKind) -> Result<FieldSelector, String> {
        let mut terms = Vec::new();
        for term in split_unescaped_commas(text) {
            if term.trim().is_empty() {
                continue;
            }
            let (field, value, equal) = split_term(term)
                .ok_or_else(|| format!("invalid selector: '{text}'; can't understand '{term}'"))?;
            let field = field.trim();
            if kind.info().field_label(field).is_none() {
                return Err(format!("field label not supported: {field}"));
            }
            terms.push((field.to_string(), unescape(value), equal));
        }
        Ok(FieldSelector { terms })
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `object` satisfies every term.
    pub(crate) fn matches(&self, kind: ResourceKind, object: &StoredObject) -> bool {
        self.terms
            .iter()
            .all(|(field, value, equal)| (object.field_value(kind, field) == value) == *equal)
    }
}

fn split_unescaped_commas(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Splits a term at its first operator, trying `!=`, `==` then `=` at each
/// position.
fn split_term(term: &str) -> Option<(&str, &str, bool)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        if rest.starts_with("!=") {
            return Some((&term[..i], &term[i + 2..], false));
        }
        if rest.starts_with("==") {
            return Some((&term[..i], &term[i + 2..], true));
        }
        if rest.starts_with('=') {
            return Some((&term[..i], &term[i + 1..], true));
        }
    }
    None
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(text: &str) -> LabelSelector {
        LabelSelector::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn label_operators() {
        let l = labels(&[
            ("app", "web"),
            ("kubernetes.io/os", "windows"),
            ("rank", "5"),
        ]);
        assert!(sel("").matches(&l));
        assert!(sel("app=web").matches(&l));
        assert!(sel("app == web").matches(&l));
        assert!(!sel("app!=web").matches(&l));
        assert!(sel("tier!=db").matches(&l));
        assert!(sel("kubernetes.io/os in (linux, windows)").matches(&l));
        assert!(!sel("kubernetes.io/os notin (linux,windows)").matches(&l));
        assert!(sel("tier notin (db)").matches(&l));
        assert!(!sel("tier in (db)").matches(&l));
        assert!(sel("app").matches(&l));
        assert!(sel("!tier").matches(&l));
        assert!(!sel("!app").matches(&l));
        assert!(sel("rank>4,rank<6").matches(&l));
        assert!(!sel("app=web,tier").matches(&l));
        assert!(sel("app=web, kubernetes.io/os in (windows),!tier").matches(&l));
    }

    #[test]
    fn label_errors() {
        for bad in [
            "app=we b",
            "app in ()",
            "=x",
            "app in x",
            "app ~ x",
            "a,,b",
            "rank>x",
        ] {
            let err = LabelSelector::parse(bad).err();
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.starts_with("unable to parse requirement")),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn field_parsing() {
        let s = FieldSelector::parse(
            "spec.nodeName=win-1,status.phase!=Running",
            ResourceKind::Pods,
        );
        assert_eq!(
            s.map(|s| s.terms),
            Ok(vec![
                ("spec.nodeName".into(), "win-1".into(), true),
                ("status.phase".into(), "Running".into(), false),
            ])
        );
        let s = FieldSelector::parse(r"metadata.name==a\,b", ResourceKind::Pods);
        assert_eq!(
            s.map(|s| s.terms),
            Ok(vec![("metadata.name".into(), "a,b".into(), true)])
        );
        assert_eq!(
            FieldSelector::parse("spec.nodeName=x", ResourceKind::Events),
            Err("field label not supported: spec.nodeName".to_string())
        );
        assert!(FieldSelector::parse("reason", ResourceKind::Events).is_err());
    }
}
