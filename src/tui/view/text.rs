//! Text layout helpers: word wrapping and truncation by display width (so `✓`, CJK section names of
//! the Korean seed docs and combining marks measure right). The detail and help views wrap their text
//! themselves, so that line numbers (for scrolling to a finding) are known before rendering.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of `s`.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` columns, ending with `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Word-wraps `text` to `max` columns. Explicit line breaks are kept; words longer than a line are
/// split; an empty text gives one empty line.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut used = 0;
        for word in para.split_whitespace() {
            let w = width(word);
            if used > 0 && used + 1 + w <= max {
                line.push(' ');
                line.push_str(word);
                used += 1 + w;
                continue;
            }
            if used > 0 {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            if w <= max {
                line.push_str(word);
                used = w;
                continue;
            }
            // A word longer than the line: split it by characters.
            for c in word.chars() {
                let cw = c.width().unwrap_or(0);
                if used + cw > max {
                    out.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        }
        out.push(line);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Cuts one line into pieces of at most `max` columns, keeping every character (spacing included);
/// an empty line gives one empty piece. For logs and files, whose spacing matters.
pub fn wrap_chars(line: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max && !piece.is_empty() {
            out.push(std::mem::take(&mut piece));
            used = 0;
        }
        piece.push(c);
        used += w;
    }
    out.push(piece);
    out
}

/// Wraps `text` into lines of `width` columns, each starting with `indent` spaces, in `style`.
pub fn block(text: &str, indent: usize, width: usize, style: Style) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    wrap(text, width.saturating_sub(indent))
        .into_iter()
        .map(|l| Line::from(vec![Span::raw(pad.clone()), Span::styled(l, style)]))
        .collect()
}

/// Like `block`, but keeps each line of `text` as it is (spacing included) where it fits, and
/// word-wraps only the lines that do not (for commands and evidence excerpts).
pub fn verbatim(text: &str, indent: usize, width: usize, style: Style) -> Vec<Line<'static>> {
    let pad = " ".repeat(indent);
    let max = width.saturating_sub(indent).max(1);
    let mut out = Vec::new();
    for line in text.lines() {
        let pieces = if self::width(line) <= max {
            vec![line.to_string()]
        } else {
            wrap(line, max)
        };
        for piece in pieces {
            out.push(Line::from(vec![
                Span::raw(pad.clone()),
                Span::styled(piece, style),
            ]));
        }
    }
    if out.is_empty() {
        out.push(Line::from(pad));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_on_words_and_splits_long_ones() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("one\n\ntwo", 10), ["one", "", "two"]);
        assert_eq!(wrap("", 10), [""]);
    }

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("hello world", 8), "hello w…");
        assert_eq!(truncate("short", 8), "short");
        assert_eq!(truncate("트러블슈팅", 5), "트러…");
        assert_eq!(width("✓ PASS"), 6);
    }

    #[test]
    fn wrap_chars_keeps_spacing() {
        assert_eq!(wrap_chars("ab  cd", 3), ["ab ", " cd"]);
        assert_eq!(wrap_chars("", 3), [""]);
        assert_eq!(wrap_chars("트러블", 4), ["트러", "블"]);
    }

    #[test]
    fn verbatim_keeps_spacing_and_breaks_long_lines() {
        let lines = verbatim("a  b\nxx yy zz\nxxxxxxxx", 2, 7, Style::new());
        let texts: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(texts, ["  a  b", "  xx yy", "  zz", "  xxxxx", "  xxx"]);
    }
}
