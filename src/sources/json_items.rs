//! Streaming the items out of a large JSON list (`{"kind":"List","items":[...]}` as kubectl writes
//! it, or a bare array of objects) without holding the file: a byte scanner finds where each item
//! begins and ends, and each item alone is parsed (`from_json_bytes`) into its slim fact
//! type. Only the item being read is buffered, so memory is the facts kept; and because the scan is
//! a tight loop over large reads, it runs many times faster than `serde_json::from_reader`, which
//! reads byte by byte through `io::Read`.
//!
//! The scanner follows strings (and their escapes) and brackets, and checks that brackets pair up
//! outside the items; each item is fully validated by serde_json. The other top-level fields
//! (`apiVersion`, `kind`, `metadata`) are skipped. An item that lies whole in the buffer is
//! delimited by the structural scanner (`facts::json_scan`, 64 bytes at a time), most of a list's
//! bytes; the byte loop takes the items cut by a read and the malformed ones, so that both paths
//! give the same items and the same errors (a test holds them to it).

use crate::facts::json_scan;
use serde::de::DeserializeOwned;
use std::io::Read;

/// Bytes read from the file at a time: large enough that few items are cut by a read (those take
/// the byte loop). The buffer holds one read and the item in progress.
const READ_BYTES: usize = 1024 * 1024;

/// Parses the items of the JSON list read from `reader` into `T`s. `what` names the file.
pub fn parse_items<T: DeserializeOwned>(reader: impl Read, what: &str) -> Result<Vec<T>, String> {
    let mut items = Vec::new();
    parse_items_each(reader, what, &mut |item: T| {
        items.push(item);
        Ok(())
    })?;
    Ok(items)
}

/// Parses the items of the JSON list read from `reader` one by one and hands each to `each`
/// (which may stop the list with an error). `what` names the file.
pub fn parse_items_each<T: DeserializeOwned>(
    reader: impl Read,
    what: &str,
    each: &mut dyn FnMut(T) -> Result<(), String>,
) -> Result<(), String> {
    items_each_bytes(reader, what, &mut |count, item| {
        let parsed = from_json_bytes::<T>(item)
            .map_err(|e| format!("item {count} is not a valid object: {e}"))?;
        each(parsed)
    })
}

/// Takes an item's position in the list and its bytes; an error stops the list.
pub type ItemBytes<'a> = dyn FnMut(usize, &[u8]) -> Result<(), String> + 'a;

/// Hands the bytes of each item of the JSON list read from `reader` to `each`, with its position
/// in the list, unparsed (the scanner has only found where it begins and ends): for readers that
/// parse items their own way (the pod sieve reads each pod's head first). `what` names the file.
pub fn items_each_bytes(
    mut reader: impl Read,
    what: &str,
    each: &mut ItemBytes<'_>,
) -> Result<(), String> {
    let mut scanner = Scanner::default();
    let mut count = 0usize;
    let mut buf: Vec<u8> = Vec::with_capacity(READ_BYTES);
    let mut chunk = vec![0u8; READ_BYTES];
    loop {
        let n = reader
            .read(&mut chunk)
            .map_err(|e| format!("{what}: cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        let scanned = buf.len();
        buf.extend_from_slice(&chunk[..n]);
        scanner
            .scan(&buf, scanned, &mut |item| {
                each(count, item)?;
                count += 1;
                Ok(())
            })
            .map_err(|e| format!("{what}: {e}"))?;
        // Keep only the item in progress (if any); everything before it is done with.
        let keep_from = scanner.item_start.unwrap_or(buf.len());
        buf.drain(..keep_from);
        scanner.item_start = scanner.item_start.map(|_| 0);
    }
    scanner.finish().map_err(|e| format!("{what}: {e}"))
}

/// Parses one JSON document from bytes: as text when it is valid UTF-8 (one check for the whole
/// document instead of one per string), else with the byte parser, whose error names the bad byte.
fn from_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// The item that starts at `start`, when all of it is in `buf` and it is well formed (strings
/// closed, brackets paired by kind, at most 128 deep): delimited by the structural scanner
/// (`facts::json_scan`), which reads 64 bytes at a time, many times faster than this module's byte
/// loop. An item cut by the end of a read, or malformed, is left to the byte loop, so that it
/// fails as it always did.
fn whole_item(buf: &[u8], start: usize) -> Option<&[u8]> {
    let end = json_scan::value_end(buf, start).ok()?;
    buf.get(start..end)
}

/// Where the scan is in the document.
#[derive(Default)]
struct Scanner {
    /// Open brackets, outermost first.
    open: Vec<u8>,
    in_string: bool,
    escaped: bool,
    /// The top-level value's first byte, once seen.
    top: Option<u8>,
    /// The last string at the top level of an object (a key, when a `:` follows), up to 16 bytes.
    key: Vec<u8>,
    reading_key: bool,
    /// After `"items":`, waiting for its `[`.
    items_next: bool,
    /// Nesting depth of the items array's elements, while inside it.
    items_depth: Option<usize>,
    /// The items array was found (and may be closed by now).
    items_seen: bool,
    /// Offset in the buffer where the item in progress starts.
    item_start: Option<usize>,
}

impl Scanner {
    /// Scans `buf[from..]`, calling `emit` with each complete item.
    fn scan(
        &mut self,
        buf: &[u8],
        from: usize,
        emit: &mut dyn FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut pos = from;
        while let Some(&b) = buf.get(pos) {
            pos += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    self.reading_key = false;
                } else if self.reading_key {
                    if self.key.len() < 16 {
                        self.key.push(b);
                    }
                } else {
                    // The rest of a string up to its next quote or backslash holds nothing the
                    // scan needs: jump there (most of a list's bytes are inside strings).
                    let rest = buf.get(pos..).unwrap_or_default();
                    pos += memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
                }
                continue;
            }
            let i = pos - 1;
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'"' => {
                    self.in_string = true;
                    if self.open == [b'{'] {
                        self.reading_key = true;
                        self.key.clear();
                    }
                    self.not_expecting_items()?;
                }
                b':' if self.open == [b'{']
                    && self.key == b"items"
                    && self.item_start.is_none() =>
                {
                    self.items_next = true;
                }
                b'{' | b'[' => {
                    if self.top.is_none() {
                        self.top = Some(b);
                        if b == b'[' {
                            self.items_depth = Some(1);
                            self.items_seen = true;
                        }
                    } else if self.items_next {
                        if b != b'[' {
                            return Err("not valid JSON: `items` is not a list".to_string());
                        }
                        self.items_next = false;
                        self.items_depth = Some(self.open.len() + 1);
                        self.items_seen = true;
                    } else if self.items_depth == Some(self.open.len()) {
                        if b != b'{' {
                            return Err(
                                "not valid JSON: an item of the list is not an object".to_string()
                            );
                        }
                        if let Some(item) = whole_item(buf, i) {
                            emit(item)?;
                            pos = i + item.len();
                            continue;
                        }
                        self.item_start = Some(i);
                    }
                    self.open.push(b);
                }
                b'}' | b']' => {
                    let want = if b == b'}' { b'{' } else { b'[' };
                    if self.open.pop() != Some(want) {
                        return Err(format!("not valid JSON: unexpected `{}`", b as char));
                    }
                    match self.items_depth {
                        Some(d) if self.open.len() == d => {
                            if let Some(start) = self.item_start.take() {
                                emit(&buf[start..=i])?;
                            }
                        }
                        Some(d) if self.open.len() + 1 == d => self.items_depth = None,
                        _ => {}
                    }
                }
                _ => {
                    if self.top.is_none() {
                        return Err("not valid JSON: does not start with `{` or `[`".to_string());
                    }
                    if self.items_next {
                        if b == b'n' {
                            // `"items": null`: an empty list.
                            self.items_next = false;
                            self.items_seen = true;
                        } else {
                            return Err("not valid JSON: `items` is not a list".to_string());
                        }
                    } else if self.items_depth == Some(self.open.len()) && b != b',' {
                        return Err(
                            "not valid JSON: an item of the list is not an object".to_string()
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn not_expecting_items(&self) -> Result<(), String> {
        if self.items_next {
            return Err("not valid JSON: `items` is not a list".to_string());
        }
        if self.items_depth == Some(self.open.len()) {
            return Err("not valid JSON: an item of the list is not an object".to_string());
        }
        Ok(())
    }

    /// Checks that the document ended where it should.
    fn finish(&self) -> Result<(), String> {
        if self.top.is_none() {
            return Ok(());
        }
        if self.in_string || !self.open.is_empty() {
            return Err(
                "not valid JSON: the file ends before the list is closed (is it truncated?)"
                    .to_string(),
            );
        }
        if !self.items_seen {
            return Err("a large JSON object without `items` (expected a List as `kubectl get ... -o json` writes it)".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn items(text: &str) -> Result<Vec<Value>, String> {
        parse_items(text.as_bytes(), "pods.json")
    }

    /// Reads one byte at a time, so every item and string crosses a read boundary.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn lists_and_arrays_give_their_items() {
        let list = r#"{"apiVersion":"v1","items":[{"metadata":{"name":"a","labels":{"x":"}]\"["}}},
            {"metadata":{"name":"b"},"spec":{"containers":[{"args":["[",{"k":"items"}]}]}}],
            "kind":"List","metadata":{"resourceVersion":""}}"#;
        let got = items(list).expect("list");
        let whole: Value = serde_json::from_str(list).expect("valid");
        assert_eq!(Value::Array(got), whole["items"]);
        let trickled: Vec<Value> = parse_items(Trickle(list.as_bytes()), "p").expect("trickle");
        assert_eq!(Value::Array(trickled), whole["items"]);

        // A string ending in an escaped backslash, and long strings the scan jumps through.
        let paths = r#"{"items":[{"p":"C:\\k\\","q":"x}x]x{x[x\"x"},{"p":"\\"}]}"#;
        let whole: Value = serde_json::from_str(paths).expect("valid");
        assert_eq!(Value::Array(items(paths).expect("paths")), whole["items"]);
        let trickled: Vec<Value> = parse_items(Trickle(paths.as_bytes()), "p").expect("trickle");
        assert_eq!(Value::Array(trickled), whole["items"]);

        let array = r#" [ {"a":1} , {"b":[2,{"c":"]"}]} ] "#;
        assert_eq!(items(array).expect("array").len(), 2);
        // `items` after other keys, `items` as a value elsewhere, and null or empty items.
        let later = r#"{"kind":"items","metadata":{"items":[1]},"items":[{"a":1}]}"#;
        assert_eq!(items(later).expect("later").len(), 1);
        assert!(items(r#"{"kind":"List","items":null}"#)
            .expect("null")
            .is_empty());
        assert!(items(r#"{"items":[]}"#).expect("empty").is_empty());
        assert!(items("").expect("empty file").is_empty());
    }

    #[test]
    fn broken_documents_are_errors_naming_the_file() {
        for (text, why) in [
            (r#"{"items":[{"a":1},{"b":"#, "truncated"),
            (r#"{"items":[{"a":1}"#, "truncated"),
            (r#"{"items":[{"a":1]]}"#, "unexpected"),
            (r#"{"items":{"a":1}}"#, "not a list"),
            (r#"{"items":[1,2]}"#, "not an object"),
            (r#"{"items":["a"]}"#, "not an object"),
            (r#"{"items":[{"a":tru}]}"#, "item 0"),
            (r#"{"kind":"Pod","metadata":{}}"#, "without `items`"),
            ("kind: List", "does not start"),
        ] {
            let e = items(text).expect_err(text);
            assert!(
                e.starts_with("pods.json: ") && e.contains(why),
                "{text}: {e}"
            );
        }
    }

    /// Property: on mutated lists (cuts, flips, inserted brackets, quotes and backslashes) the
    /// scanner never panics, reads the same items or fails with the same error whether the items
    /// come whole (the structural scanner finds their ends) or cut by reads (the byte loop), and
    /// whenever serde_json accepts the whole document as a list of objects, the scanner gives
    /// exactly its items. Seeded xorshift, so a failure reproduces.
    #[test]
    fn mutated_lists_never_panic_and_valid_ones_agree_with_serde_json() {
        let seed = r#"{"apiVersion":"v1","items":[{"metadata":{"name":"a\"]","labels":{"k":"v"}},"spec":{"c":[1,[2],{"d":null}]}},{"metadata":{"name":"b"}}],"kind":"List","metadata":{}}"#;
        let noise = [
            b'{', b'}', b'[', b']', b'"', b'\\', b',', b':', b' ', b'n', b'1',
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        let mut agreed = 0;
        for _ in 0..5000 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len() + 1);
                match next(3) {
                    0 => bytes.truncate(at),
                    1 if at < bytes.len() => bytes[at] = noise[next(noise.len())],
                    _ => bytes.insert(at, noise[next(noise.len())]),
                }
            }
            let scanned = parse_items::<Value>(bytes.as_slice(), "f");
            // Read whole, complete items take the structural scanner's path; trickled, every item
            // is cut by a read and takes the byte loop: both give the same items or the same error.
            let trickled = parse_items::<Value>(Trickle(&bytes), "f");
            assert_eq!(scanned, trickled, "{}", String::from_utf8_lossy(&bytes));
            let whole = serde_json::from_slice::<Value>(&bytes).ok();
            let expected = whole.as_ref().and_then(|v| match v {
                Value::Array(a) => Some(a.clone()),
                Value::Object(o) => o.get("items").and_then(Value::as_array).cloned(),
                _ => None,
            });
            if let Some(expected) = expected.filter(|items| items.iter().all(Value::is_object)) {
                agreed += 1;
                assert_eq!(
                    scanned.as_ref().ok(),
                    Some(&expected),
                    "{}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
        assert!(agreed > 100, "enough valid mutants to compare: {agreed}");
    }
}
