//! Text bound for a terminal: the one gate every terminal-facing writer (the text and markdown
//! reports, stderr, the TUI) passes strings from cluster or node data through. It redacts secrets
//! (`crate::redact`) and escapes control characters, so that an event message holding
//! `ESC ] 52 ; c ; ... BEL` (OSC 52, which sets the clipboard), a cursor movement, a carriage return
//! that overwrites a line, or a right-to-left override that reorders what is read, shows up as
//! visible text (`\x1B]52;c;...\x07`) instead of acting on the terminal.
//!
//! Escaped: C0 controls except tab (and newline where a text may span lines), DEL, C1 controls
//! (U+0080..U+009F: 8-bit CSI/OSC/DCS), and the Unicode bidirectional overrides and isolates.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as it is. `keep_newline`: a newline is allowed (texts
/// that span lines); it is escaped in one-line fields (names, ids).
fn is_hostile(c: char, keep_newline: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !keep_newline,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidirectional embeddings, overrides and isolates (CVE-2021-42574, "Trojan Source").
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

fn escape(text: &str, keep_newline: bool) -> Cow<'_, str> {
    // CRLF is a line end, not an overwrite: keep it as a newline where newlines are kept.
    if !text.chars().any(|c| is_hostile(c, keep_newline)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && keep_newline && chars.peek() == Some(&'\n') {
            continue;
        }
        if !is_hostile(c, keep_newline) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02X}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:X}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// `text` with control characters escaped; newlines and tabs are kept (messages, excerpts, fixes).
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// `text` with control characters escaped, newlines too (names, ids, one-line fields).
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// What a terminal may show of `text`: secrets redacted, control characters escaped (newlines kept).
/// The report writers, stderr and the TUI's rendered strings use this.
pub fn for_terminal(text: &str) -> String {
    escape_controls(&crate::redact::redact(text)).into_owned()
}

/// Like [`for_terminal`], for one-line fields: newlines are escaped too.
pub fn line_for_terminal(text: &str) -> String {
    escape_line(&crate::redact::redact(text)).into_owned()
}

/// Writes one line to stderr through [`for_terminal`]. Use [`crate::safe_eprintln!`] for the
/// `eprintln!` shape.
pub fn eprint_safe(line: &str) {
    use std::io::Write as _;
    let mut text = for_terminal(line);
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `eprintln!` with the line redacted and control characters escaped ([`output::for_terminal`]).
///
/// [`output::for_terminal`]: crate::output::for_terminal
#[macro_export]
macro_rules! safe_eprintln {
    ($($arg:tt)*) => {
        $crate::output::eprint_safe(&format!($($arg)*))
    };
}

/// Every string of a finding made safe for a terminal (redacted, control characters escaped), for
/// front-ends that show findings themselves (the TUI) and for reports.
pub fn finding_for_terminal(f: &mut crate::findings::Finding) {
    let line = |s: &mut String| *s = line_for_terminal(s);
    let text = |s: &mut String| *s = for_terminal(s);
    line(&mut f.check);
    line(&mut f.code);
    line(&mut f.title);
    if let Some(n) = &mut f.node {
        line(n);
    }
    line(&mut f.subject.kind);
    line(&mut f.subject.name);
    if let Some(ns) = &mut f.subject.namespace {
        line(ns);
    }
    text(&mut f.message);
    for e in &mut f.evidence {
        line(&mut e.reference);
        text(&mut e.excerpt);
    }
    if let Some(fix) = &mut f.fix {
        text(&mut fix.text);
        fix.commands.iter_mut().for_each(text);
    }
    f.docs.iter_mut().for_each(line);
    if let Some(m) = &mut f.muted {
        text(&mut m.reason);
        line(&mut m.by);
        if let Some(e) = &mut m.expires {
            line(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_and_friends_are_made_visible() {
        let hostile = "Back-off \u{1b}]52;c;cm0gLXJmIH4K\u{7}done";
        let safe = escape_controls(hostile);
        assert!(
            !safe.contains('\u{1b}') && !safe.contains('\u{7}'),
            "{safe}"
        );
        assert_eq!(safe, "Back-off \\x1B]52;c;cm0gLXJmIH4K\\x07done");
        // 8-bit CSI, a carriage return overwriting the line, a right-to-left override.
        let safe = escape_controls("a\u{9b}2Jb\rc\u{202e}d");
        assert_eq!(safe, "a\\u{9B}2Jb\\x0Dc\\u{202E}d");
        assert!(safe.chars().all(|c| !is_hostile(c, true)));
    }

    #[test]
    fn ordinary_text_and_line_ends_are_kept() {
        assert!(matches!(escape_controls("plain text"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("a\tb\r\nc\n"), "a\tb\nc\n");
        assert_eq!(escape_line("a\nb"), "a\\x0Ab");
        assert_eq!(escape_controls("ünïcödé — ✓"), "ünïcödé — ✓");
    }

    #[test]
    fn terminal_text_is_redacted_too() {
        let out = for_terminal("server http://admin:PASS-9@10.0.0.1:6443\u{1b}[2J");
        assert!(!out.contains("PASS-9") && !out.contains('\u{1b}'), "{out}");
    }
}
