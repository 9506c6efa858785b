//! A literal gate in front of many regexes: for each regex, the strings one of which every text it
//! matches must contain (its required factors, ASCII case aside), found once in the regex's syntax
//! tree, and one Aho-Corasick automaton over all of them. A line that holds none of a regex's
//! factors cannot match it, so only the regexes whose factors a line holds (its candidates) are
//! run on it. This replaces one `RegexSet` over the whole failure-signature library: compiling that
//! set took about 55 ms of CPU per run and matching a few thousand event messages against it as
//! much again, while most lines hold no factor of any signature.
//!
//! The gate is exact: it never drops a regex that could match. A factor is built only from parts
//! that match exactly one character (a literal, or a class of a letter's two ASCII cases and, under
//! Unicode case folding, `K` with KELVIN SIGN and `s` with LONG S), joined across zero-width
//! assertions; the line is searched with those two signs folded to their letters. A regex with no
//! factor of at least [`MIN_FACTOR`] bytes, or one that does not parse, is a candidate for every
//! line.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};
use std::borrow::Cow;

/// The shortest factor worth gating on: shorter ones are in nearly every line.
const MIN_FACTOR: usize = 3;

/// At most this many alternatives make one required set (`a|b|c`); more and the regex is ungated.
const MAX_ALTERNATIVES: usize = 16;

/// The non-ASCII characters Unicode simple case folding puts in an ASCII letter's class, and that
/// letter: the line is searched with them folded.
const FOLDED_SIGNS: [(char, u8); 2] = [('\u{212A}', b'k'), ('\u{017F}', b's')];

/// The gate over a list of regexes (positions as in that list).
#[derive(Debug)]
pub struct LiteralGate {
    /// One automaton over every gated regex's factors (ASCII case-insensitive).
    automaton: Option<AhoCorasick>,
    /// Per automaton pattern, the regex whose factor it is.
    owner: Vec<usize>,
    /// The regexes with no factor: candidates for every line.
    ungated: Vec<usize>,
    /// How many regexes the gate is for.
    len: usize,
    /// The regexes that do not parse, with the parser's words (they are ungated).
    unparsed: Vec<(usize, String)>,
}

impl LiteralGate {
    /// The gate over `patterns` (regex syntax as the `regex` crate takes it).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> LiteralGate {
        let mut factors: Vec<Vec<u8>> = Vec::new();
        let mut owner = Vec::new();
        let mut ungated = Vec::new();
        let mut unparsed = Vec::new();
        for (i, pattern) in patterns.iter().enumerate() {
            match factors_of(pattern.as_ref()) {
                Ok(Some(set)) => {
                    for factor in set {
                        factors.push(factor);
                        owner.push(i);
                    }
                }
                Ok(None) => ungated.push(i),
                Err(why) => {
                    unparsed.push((i, why));
                    ungated.push(i);
                }
            }
        }
        let automaton = if factors.is_empty() {
            None
        } else {
            match AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&factors)
            {
                Ok(a) => Some(a),
                Err(_) => {
                    // Too big to build: every regex is a candidate for every line.
                    ungated = (0..patterns.len()).collect();
                    owner.clear();
                    None
                }
            }
        };
        LiteralGate {
            automaton,
            owner,
            ungated,
            len: patterns.len(),
            unparsed,
        }
    }

    /// The regexes that may match `line`, ascending, each once.
    pub fn candidates(&self, line: &str) -> Vec<usize> {
        let mut seen = vec![false; self.len];
        for &i in &self.ungated {
            seen[i] = true;
        }
        if let Some(automaton) = &self.automaton {
            let text = fold_signs(line);
            for m in automaton.find_overlapping_iter(text.as_bytes()) {
                if let Some(&i) = self.owner.get(m.pattern().as_usize()) {
                    seen[i] = true;
                }
            }
        }
        seen.iter()
            .enumerate()
            .filter_map(|(i, &s)| s.then_some(i))
            .collect()
    }

    /// How many regexes have no factor (candidates for every line).
    pub fn ungated(&self) -> usize {
        self.ungated.len()
    }

    /// The regexes that do not parse (positions), with the parser's words.
    pub fn unparsed(&self) -> &[(usize, String)] {
        &self.unparsed
    }
}

/// `line` with the signs of [`FOLDED_SIGNS`] replaced by their ASCII letters.
fn fold_signs(line: &str) -> Cow<'_, str> {
    if line.is_ascii() || !FOLDED_SIGNS.iter().any(|(c, _)| line.contains(*c)) {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match FOLDED_SIGNS.iter().find(|(sign, _)| *sign == c) {
            Some((_, letter)) => out.push(char::from(*letter)),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The strings one of which every text `pattern` matches contains (ASCII case aside), or `None`
/// when there is no such set worth gating on; the parser's words when `pattern` does not parse.
fn factors_of(pattern: &str) -> Result<Option<Vec<Vec<u8>>>, String> {
    let hir = regex_syntax::Parser::new()
        .parse(pattern)
        .map_err(|e| e.to_string())?;
    Ok(required(&hir).filter(|set| score(set) >= MIN_FACTOR))
}

/// How good a required set is: the length of its shortest string.
fn score(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

/// The one string `hir` matches, when it matches exactly one (ASCII case aside).
fn exact(hir: &Hir) -> Option<Vec<u8>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(Vec::new()),
        // A literal with one of the folded signs would not be found in the folded line.
        HirKind::Literal(literal) => {
            let text = String::from_utf8_lossy(&literal.0);
            (!FOLDED_SIGNS.iter().any(|(sign, _)| text.contains(*sign))).then(|| literal.0.to_vec())
        }
        HirKind::Class(class) => one_char(class).map(|c| vec![c]),
        HirKind::Capture(capture) => exact(&capture.sub),
        HirKind::Repetition(rep) if rep.min == 1 && rep.max == Some(1) => exact(&rep.sub),
        HirKind::Concat(parts) => {
            let mut all = Vec::new();
            for part in parts {
                all.extend(exact(part)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// The single ASCII byte a class matches (lowercase for a letter in either case), when it matches
/// one character: the character itself, or a letter's cases with the signs of [`FOLDED_SIGNS`].
fn one_char(class: &Class) -> Option<u8> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut chars: Vec<u32> = Vec::new();
    for (start, end) in ranges {
        if end - start >= 3 || chars.len() > 3 {
            return None;
        }
        chars.extend(start..=end);
    }
    let ascii: Vec<u8> = chars
        .iter()
        .filter_map(|&c| u8::try_from(c).ok().filter(u8::is_ascii))
        .collect();
    let lower = ascii.first()?.to_ascii_lowercase();
    let all_one_letter = ascii.iter().all(|b| b.to_ascii_lowercase() == lower)
        && chars.iter().all(|&c| {
            u8::try_from(c).is_ok_and(|b| b.is_ascii())
                || FOLDED_SIGNS
                    .iter()
                    .any(|(sign, letter)| u32::from(*sign) == c && *letter == lower)
        });
    all_one_letter.then_some(lower)
}

/// A set of strings one of which every text `hir` matches contains.
fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    if let Some(one) = exact(hir) {
        return (!one.is_empty()).then(|| vec![one]);
    }
    match hir.kind() {
        HirKind::Capture(capture) => required(&capture.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub),
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(required(branch)?);
                if all.len() > MAX_ALTERNATIVES {
                    return None;
                }
            }
            Some(all)
        }
        HirKind::Concat(parts) => {
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut keep = |set: Vec<Vec<u8>>| {
                if best.as_ref().is_none_or(|b| score(&set) > score(b)) {
                    best = Some(set);
                }
            };
            let mut run: Vec<u8> = Vec::new();
            for part in parts {
                match exact(part) {
                    Some(text) => run.extend(text),
                    None => {
                        if !run.is_empty() {
                            keep(vec![std::mem::take(&mut run)]);
                        }
                        if let Some(set) = required(part) {
                            keep(set);
                        }
                    }
                }
            }
            if !run.is_empty() {
                keep(vec![run]);
            }
            best
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factors(pattern: &str) -> Option<Vec<String>> {
        factors_of(pattern).ok().flatten().map(|set| {
            set.into_iter()
                .map(|f| String::from_utf8_lossy(&f).into_owned())
                .collect()
        })
    }

    #[test]
    fn the_longest_exact_run_is_the_factor() {
        // Case-insensitive letters are one character each, K and S included (their Unicode class
        // holds KELVIN SIGN and LONG S, which the search folds).
        assert_eq!(
            factors(r"(?i)error creating HNSNetwork:"),
            Some(vec!["error creating hnsnetwork:".to_string()])
        );
        // A group of alternatives breaks the run; the longer side is kept.
        assert_eq!(
            factors(r"(?i)(ovsdb-server|ovs-vswitchd) is not running, starting it again"),
            Some(vec![" is not running, starting it again".to_string()])
        );
        // \S+ breaks the run.
        assert_eq!(
            factors(r"(?i)failed to start \S+ service with output"),
            Some(vec![" service with output".to_string()])
        );
        // Zero-width assertions do not.
        assert_eq!(
            factors(r"\bhnsCall\b failed"),
            Some(vec!["hnsCall failed".to_string()])
        );
    }

    #[test]
    fn alternatives_make_a_set_and_short_or_missing_factors_ungate() {
        assert_eq!(
            factors(r"(?i)(?:element not found|access is denied)"),
            Some(vec![
                "element not found".to_string(),
                "access is denied".to_string()
            ])
        );
        // One branch without a factor leaves the whole alternation without one.
        assert_eq!(factors(r"(?i)(?:element not found|\d+)"), None);
        assert_eq!(factors(r"ab\d+cd"), None);
        assert_eq!(factors(r".*"), None);
        assert_eq!(factors(r"(unclosed"), None);
        // An optional part is not required.
        assert_eq!(
            factors(r"(?i)Failed to install OVS(Ext)? driver"),
            Some(vec!["failed to install ovs".to_string()])
        );
    }

    #[test]
    fn candidates_are_exact_for_case_and_folded_signs() {
        let patterns = [
            r"(?i)network \S+ not found",
            r"(?i)kubelet",
            r"\d{3}",
            r"CaseSensitive",
        ];
        let gate = LiteralGate::new(&patterns);
        assert_eq!(gate.ungated(), 1);
        let regexes: Vec<regex::Regex> = patterns
            .iter()
            .map(|p| regex::Regex::new(p).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        for line in [
            "NETWORK vxlan0 NOT FOUND",
            "the \u{212A}UBELET stopped",
            "kube\u{017F}ervice",
            "casesensitive is not the same",
            "CaseSensitive is",
            "nothing here",
            "",
            "ünïcödé network x not found 404",
        ] {
            let candidates = gate.candidates(line);
            for (i, re) in regexes.iter().enumerate() {
                if re.is_match(line) {
                    assert!(
                        candidates.contains(&i),
                        "{line:?} matches {:?} but the gate drops it",
                        patterns[i]
                    );
                }
            }
            assert!(candidates.contains(&2), "ungated regexes are candidates");
        }
        assert_eq!(gate.candidates("nothing here"), vec![2]);
        assert_eq!(gate.candidates("the \u{212A}UBELET stopped"), vec![1, 2]);
    }
}
