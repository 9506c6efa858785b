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
