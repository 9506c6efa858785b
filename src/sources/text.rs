//! Text decoding for files as Windows writes them: UTF-8 with or without BOM, UTF-16LE/BE with BOM
//! (PowerShell 5 `>` redirection and `Out-File` default), and CRLF line ends.

/// Decodes bytes into a `String`, honouring a UTF-8 or UTF-16 byte-order mark (encoding_rs),
/// detecting BOM-less UTF-16LE (every other byte zero, as some PowerShell pipelines write it),
/// replacing invalid sequences, and normalising CRLF to LF.
pub fn decode(bytes: &[u8]) -> String {
    let encoding = match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, _)) => encoding,
        None if looks_like_utf16le(bytes) => encoding_rs::UTF_16LE,
        None => encoding_rs::UTF_8,
    };
    // Removes the BOM of the encoding it was told, and only that one.
    let (text, _) = encoding.decode_with_bom_removal(bytes);
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.into_owned()
    }
}

fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(64)];
    sample.len() >= 4
        && sample.len() % 2 == 0
        && sample.chunks_exact(2).all(|c| c[1] == 0 && c[0] != 0)
}

/// Which encoding `decode` found, for evidence ("UTF-16LE with BOM").
pub fn encoding_name(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        "UTF-8 with BOM"
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        "UTF-16LE with BOM"
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        "UTF-16BE with BOM"
    } else if looks_like_utf16le(bytes) {
        "UTF-16LE without BOM"
    } else {
        "UTF-8"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn decodes_windows_encodings_and_crlf() {
        assert_eq!(decode(&utf16le_bom("{\"a\":1}\r\n")), "{\"a\":1}\n");
        assert_eq!(decode(b"\xEF\xBB\xBFA=1\r\nB=2\r\n"), "A=1\nB=2\n");
        assert_eq!(decode(b"plain"), "plain");
        assert_eq!(encoding_name(&utf16le_bom("x")), "UTF-16LE with BOM");
        let no_bom: Vec<u8> = "hello"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode(&no_bom), "hello");
    }

    #[test]
    fn odd_bytes_do_not_panic() {
        let _ = decode(&[0xFF, 0xFE, 0x41]);
        let _ = decode(&[0xFF]);
        let _ = decode(&[]);
    }
}
