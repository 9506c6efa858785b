//! One-line text inputs (the checklist search, the findings search, the pickers' filters): typed
//! characters and pasted text go into the text and nowhere else, so nothing typed or pasted into
//! an input can act as a hotkey. A paste is text: line breaks and tabs become spaces and other
//! control characters are dropped, so a pasted `node⏎wem` searches for `node wem`.

/// Longest text an input keeps; a paste beyond it is cut.
pub const MAX_LEN: usize = 200;

/// Appends one typed character.
pub fn type_char(text: &mut String, c: char) {
    if !c.is_control() && text.chars().count() < MAX_LEN {
        text.push(c);
    }
}

/// Appends pasted text as plain text.
pub fn paste(text: &mut String, pasted: &str) {
    for c in pasted.chars() {
        let c = match c {
            '\r' | '\n' | '\t' => ' ',
            c if c.is_control() => continue,
            c => c,
        };
        // Runs of line breaks (CRLF) give one space.
        if c == ' ' && text.ends_with(' ') {
            continue;
        }
        if text.chars().count() >= MAX_LEN {
            break;
        }
        text.push(c);
    }
}

/// Deletes the last character.
pub fn delete_char(text: &mut String) {
    text.pop();
}

/// Deletes the last word and the spaces after it (Ctrl-W).
pub fn delete_word(text: &mut String) {
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    text.truncate(start);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paste_is_plain_text() {
        let mut t = String::from("x");
        paste(&mut t, "node\r\nwem\t\x1b[31mred\x07");
        assert_eq!(t, "xnode wem [31mred");
    }

    #[test]
    fn typing_and_deleting() {
        let mut t = String::new();
        for c in "akswin 0007".chars() {
            type_char(&mut t, c);
        }
        type_char(&mut t, '\u{1b}');
        assert_eq!(t, "akswin 0007");
        delete_char(&mut t);
        assert_eq!(t, "akswin 000");
        delete_word(&mut t);
        assert_eq!(t, "akswin ");
        delete_word(&mut t);
        assert_eq!(t, "");
    }

    #[test]
    fn long_pastes_are_cut() {
        let mut t = String::new();
        paste(&mut t, &"a".repeat(1000));
        assert_eq!(t.len(), MAX_LEN);
    }
}
