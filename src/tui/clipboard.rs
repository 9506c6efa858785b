//! Copying to the clipboard with the OSC 52 escape sequence: the terminal emulator (not the machine
//! windoctor runs on) puts the text on its clipboard, so it works over SSH and needs no clipboard
//! library. Inside tmux the sequence is also sent wrapped for passthrough, which tmux forwards when
//! `allow-passthrough` is on; with `set-clipboard on` tmux takes the plain sequence itself.

/// The OSC 52 sequence that sets the clipboard to `text`.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
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

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn osc52_carries_the_text_and_tmux_gets_a_wrapped_copy() {
        let s = osc52("kubectl get nodes");
        assert_eq!(s, "\x1b]52;c;a3ViZWN0bCBnZXQgbm9kZXM=\x07");
        let both = sequences("x", true);
        assert!(both.starts_with(&osc52("x")));
        assert!(both.contains("\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\"));
        assert_eq!(sequences("x", false), osc52("x"));
    }
}
