//! Copying to the clipboard with the OSC 52 escape sequence, as crossterm's `CopyToClipboard`
//! writes it: the terminal emulator (not the machine windoctor runs on) puts the text on its
//! clipboard, so it works over SSH and needs no clipboard library. Inside tmux the sequence is also
//! sent wrapped in tmux's DCS passthrough, which tmux forwards to the outer terminal when
//! `allow-passthrough` is on; with `set-clipboard on` tmux takes the plain sequence itself.

use ratatui::crossterm::clipboard::CopyToClipboard;
use ratatui::crossterm::Command;

/// The OSC 52 sequence that sets the clipboard to `text` (`ESC ] 52 ; c ; base64 ESC \`).
pub fn osc52(text: &str) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = CopyToClipboard::to_clipboard_from(text).write_ansi(&mut out);
    out
}

/// `osc52(text)` wrapped in tmux's DCS passthrough (escape characters doubled).
pub fn tmux_passthrough(text: &str) -> String {
    format!(
        "\x1bPtmux;{}\x1b\\",
        osc52(text).replace('\x1b', "\x1b\x1b")
    )
}

/// Everything to write to the terminal to copy `text`, given whether we run inside tmux.
pub fn sequences(text: &str, in_tmux: bool) -> String {
    let mut out = osc52(text);
    if in_tmux {
        out.push_str(&tmux_passthrough(text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_in_base64() {
        // RFC 4648 vectors through crossterm's encoder.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(
                osc52(plain),
                format!("\x1b]52;c;{encoded}\x1b\\"),
                "{plain:?}"
            );
        }
        assert_eq!(
            osc52("kubectl get nodes"),
            "\x1b]52;c;a3ViZWN0bCBnZXQgbm9kZXM=\x1b\\"
        );
    }

    #[test]
    fn tmux_gets_a_wrapped_copy_with_escapes_doubled() {
        let both = sequences("x", true);
        assert!(both.starts_with(&osc52("x")));
        assert!(both.ends_with("\x1bPtmux;\x1b\x1b]52;c;eA==\x1b\x1b\\\x1b\\"));
        assert_eq!(sequences("x", false), osc52("x"));
    }
}
