//! Log tails (klog, flanneld, nssm-redirected stdout): finding the lines a check cares about and
//! their order. Only tails are ever read (logs can be gigabytes); the first line of a tail may be
//! cut, which these helpers tolerate.

use regex::Regex;

/// One log line and its 1-based number within the tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub number: usize,
    pub text: String,
}

/// The last line of `text` matching `re`.
pub fn last_match(text: &str, re: &Regex) -> Option<LogLine> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| re.is_match(l))
        .last()
        .map(|(i, l)| LogLine {
            number: i + 1,
            text: shorten(l.trim_end(), 400),
        })
}

/// The first line of `text` matching `re`.
pub fn first_match(text: &str, re: &Regex) -> Option<LogLine> {
    text.lines()
        .enumerate()
        .find(|(_, l)| re.is_match(l))
        .map(|(i, l)| LogLine {
            number: i + 1,
            text: shorten(l.trim_end(), 400),
        })
}

/// How many lines of `text` match `re`.
pub fn count_matches(text: &str, re: &Regex) -> usize {
    text.lines().filter(|l| re.is_match(l)).count()
}

/// Cuts `s` to at most `n` characters, marking the cut.
pub fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_and_last() {
        let re = Regex::new("Waiting for the Network").expect("re");
        let log = "I0101 a\nI0101 Waiting for the Network to be created\nI0101 b\nI0101 Waiting for the Network to be created\n";
        assert_eq!(first_match(log, &re).map(|l| l.number), Some(2));
        assert_eq!(last_match(log, &re).map(|l| l.number), Some(4));
        assert_eq!(count_matches(log, &re), 2);
        assert_eq!(shorten("abcdef", 3), "abc…");
    }
}

/// One `FLAG: --name="value"` line of a component's startup log, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedFlag {
    pub name: String,
    pub value: String,
    pub line: usize,
    /// The line as logged (shortened), for evidence.
    pub text: String,
}

/// The flags a Kubernetes component logged at startup. kubelet and kube-proxy print every flag as
/// `FLAG: --%s=%q` at verbosity 1 (kubernetes/component-base cli/flag PrintFlags), e.g. on Windows
/// `I0821 22:17:41.401015     884 flags.go:27] FLAG: --enforce-node-allocatable="[]"`
/// (Azure/aks-engine#722; rancher/rancher#17341). Defaults are printed too, so a value of `""`,
/// `[]` or `map[]` means the flag was not given. The last startup in the tail wins.
pub fn logged_flags(text: &str) -> Vec<LoggedFlag> {
    let mut out: Vec<LoggedFlag> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find("FLAG: --") else {
            continue;
        };
        let rest = &line[at + "FLAG: --".len()..];
        let Some((name, value)) = rest.split_once('=') else {
            continue;
        };
        let value = go_unquote(value.trim_end());
        out.retain(|f| f.name != name);
        out.push(LoggedFlag {
            name: name.to_ascii_lowercase(),
            value,
            line: i + 1,
            text: shorten(line.trim_end(), 400),
        });
    }
    out
}

/// Whether a logged flag value means "not given": `""`, `[]`, `map[]`.
pub fn is_unset_flag_value(value: &str) -> bool {
    matches!(value.trim(), "" | "[]" | "map[]")
}

/// Undoes Go's `%q` quoting (`"a\"b"` -> `a"b`, `\\` -> `\`); other text is kept.
fn go_unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return v.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn logged_flags_of_a_windows_kubelet() {
        let log = "I0821 22:17:41.401015     884 flags.go:27] FLAG: --enforce-node-allocatable=\"[]\"\n\
I0821 22:17:41.401015     884 flags.go:27] FLAG: --windows-priorityclass=\"ABOVE_NORMAL_PRIORITY_CLASS\"\n\
I0821 22:17:41.401015     884 flags.go:27] FLAG: --pod-infra-container-image=\"mcr.microsoft.com/oss/kubernetes/pause:1.4.1\"\n\
I0821 22:17:41.401015     884 flags.go:27] FLAG: --root-dir=\"C:\\\\var\\\\lib\\\\kubelet\"\n";
        let flags = logged_flags(log);
        assert_eq!(flags.len(), 4);
        assert!(is_unset_flag_value(&flags[0].value));
        assert_eq!(flags[1].value, "ABOVE_NORMAL_PRIORITY_CLASS");
        assert_eq!(flags[1].line, 2);
        assert_eq!(flags[3].value, r"C:\var\lib\kubelet");
    }
}
