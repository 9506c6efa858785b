//! The path patterns of the collector mappings: `/`-separated, matched without regard to case;
//! `*` and `?` inside one name, `**` for any number of folders, `{var}` for one whole name that the
//! target can reuse (`pod-log:{ns}/{pod}/{c}`).

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    /// `**`
    Any,
    /// `{name}`
    Capture(String),
    /// A name, possibly with `*` and `?`.
    Glob(String),
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    segments: Vec<Segment>,
}

/// What a match binds: the `{var}` names, plus `file` (the last name) and `stem` (it without its
/// extension).
pub type Captures = BTreeMap<String, String>;

impl Pattern {
    /// `None` for an empty pattern or a malformed capture.
    pub fn parse(text: &str) -> Option<Pattern> {
        let mut segments = Vec::new();
        for part in text.split('/') {
            if part.is_empty() {
                return None;
            }
            segments.push(if part == "**" {
                Segment::Any
            } else if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return None;
                }
                Segment::Capture(name.to_string())
            } else if part.contains(['{', '}']) {
                return None;
            } else {
                Segment::Glob(part.to_ascii_lowercase())
            });
        }
        (!segments.is_empty()).then_some(Pattern { segments })
    }

    /// Matches `path` (relative, `/`-separated); the captures when it matches.
    pub fn captures(&self, path: &str) -> Option<Captures> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut caps = Captures::new();
        if !match_from(&self.segments, &parts, &mut caps) {
            return None;
        }
        let file = parts.last().copied().unwrap_or_default();
        caps.insert("file".to_string(), file.to_string());
        let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
        caps.insert("stem".to_string(), stem.to_string());
        Some(caps)
    }

    pub fn matches(&self, path: &str) -> bool {
        self.captures(path).is_some()
    }
}

fn match_from(pattern: &[Segment], parts: &[&str], caps: &mut Captures) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((Segment::Any, rest)) => (0..=parts.len()).any(|skip| {
            let mut trial = caps.clone();
            if match_from(rest, &parts[skip..], &mut trial) {
                *caps = trial;
                true
            } else {
                false
            }
        }),
        Some((seg, rest)) => {
            let Some((first, tail)) = parts.split_first() else {
                return false;
            };
            match seg {
                Segment::Capture(name) => {
                    // A name captured twice must be the same name both times.
                    if let Some(prev) = caps.get(name) {
                        if !prev.eq_ignore_ascii_case(first) {
                            return false;
                        }
                    }
                    caps.insert(name.clone(), first.to_string());
                }
                Segment::Glob(g) => {
                    if !glob(g.as_bytes(), first.to_ascii_lowercase().as_bytes()) {
                        return false;
                    }
                }
                // Handled by the first arm of `match_from`.
                Segment::Any => return false,
            }
            match_from(rest, tail, caps)
        }
    }
}

/// `*` and `?` within one name (both sides lower-cased by the caller).
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Matches one file name against a one-name pattern (`WER-*.zip`).
pub fn matches_name(pattern: &str, name: &str) -> bool {
    glob(
        pattern.to_ascii_lowercase().as_bytes(),
        name.to_ascii_lowercase().as_bytes(),
    )
}

/// Fills `{var}` placeholders of a target from captures.
pub fn fill(template: &str, caps: &Captures) -> String {
    let mut out = template.to_string();
    for (k, v) in caps {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_captures_and_any_depth() {
        let p = Pattern::parse("namespaces/{ns}/pods/{pod}/{c}/*/logs/current.log").expect("p");
        let caps = p
            .captures("namespaces/default/pods/web-1/iis/iis/logs/current.log")
            .expect("match");
        assert_eq!(caps["ns"], "default");
        assert_eq!(caps["c"], "iis");
        assert_eq!(caps["file"], "current.log");
        assert!(Pattern::parse("*.log*")
            .expect("p")
            .matches("kubelet.err.log"));
        assert!(Pattern::parse("*.log*")
            .expect("p")
            .matches("Kubelet.err-1.LOG"));
        assert!(!Pattern::parse("*.log*")
            .expect("p")
            .matches("adapters/a.log"));
        let any = Pattern::parse("**/*.evtx").expect("p");
        assert!(any.matches("System.evtx"));
        assert!(any.matches("winevt/Application.evtx"));
        assert_eq!(
            any.captures("winevt/Microsoft-Windows-Hyper-V.evtx")
                .expect("m")["stem"],
            "Microsoft-Windows-Hyper-V"
        );
        assert!(Pattern::parse("a/{b").is_none());
        assert!(Pattern::parse("").is_none());
        assert!(matches_name("WER-*.zip", "wer-20240607.ZIP"));
        let mut caps = Captures::new();
        caps.insert("file".into(), "x.log".into());
        assert_eq!(fill(r"file:C:\k\{file}", &caps), r"file:C:\k\x.log");
    }
}
