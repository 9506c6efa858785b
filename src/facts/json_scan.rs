//! A structural JSON scanner: where a value ends, and a copy of a value that keeps only chosen
//! members.
//!
//! A pod is about 4 KB of JSON, and the pod sieve (`facts::share`) reads perhaps a fifth of it: the
//! names, the node, the images. serde_json skips the rest (managed fields, environment, probes,
//! volumes, conditions) by parsing it, which was most of a big cluster's scan. This scanner looks
//! only at quotes, backslashes and brackets, 64 bytes at a time (SSE2 on x86-64, a plain loop
//! elsewhere), and so skips a member several times faster. [`prune`] copies a value with only the
//! members a [`Keep`] plan names; serde_json then parses that copy, and fully checks what it reads.
//! What is dropped is checked for structure only: strings closed, no backslash outside them,
//! brackets matched and nested at most 128 deep (serde_json's own limit). A malformed number or a
//! raw control character inside a dropped member goes unnoticed, as it would have no effect on
//! what is read.

/// How deep arrays and objects may nest, as in serde_json.
const MAX_DEPTH: usize = 128;

/// A structural error, with the byte offset where it was found. Readers fall back to serde_json
/// for the words they show; these are for tests and fuzzing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    pub what: &'static str,
    pub offset: usize,
}

fn fail<T>(what: &'static str, offset: usize) -> Result<T, ScanError> {
    Err(ScanError { what, offset })
}

/// Which members of a value [`prune`] keeps.
#[derive(Debug)]
pub enum Keep {
    /// The value as it is.
    Whole,
    /// Of an object, the members with these keys, each pruned by its own plan; a value that is not
    /// an object is kept whole (its reader then judges it).
    Members(&'static [(&'static str, Keep)]),
    /// Of an array, every element pruned by this plan; a value that is not an array is kept whole.
    Each(&'static Keep),
}

/// The offset of the first byte at or after `pos` that is not JSON whitespace.
pub fn skip_whitespace(text: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = text.get(pos) {
        pos += 1;
    }
    pos
}

/// Where the next element of an array starts, from `pos` (just past its `[`, or what
/// [`after_element`] gave): `None` at the `]` or the end of the text.
pub fn element_start(text: &[u8], pos: usize) -> Option<usize> {
    let pos = skip_whitespace(text, pos);
    text.get(pos).filter(|&&b| b != b']').map(|_| pos)
}

/// Just past the comma after the array element that ends at `end`: `None` when no comma follows
/// (the array ends there, or the text is not an array).
pub fn after_element(text: &[u8], end: usize) -> Option<usize> {
    let pos = skip_whitespace(text, end);
    (text.get(pos) == Some(&b',')).then_some(pos + 1)
}

/// The offset just past the value that starts at `start` (no whitespace before it).
pub fn value_end(text: &[u8], start: usize) -> Result<usize, ScanError> {
    match text.get(start) {
        Some(b'"') => string_end(text, start),
        Some(b'{' | b'[') => container_end(text, start),
        Some(_) => scalar_end(text, start),
        None => fail("EOF while parsing a value", start),
    }
}

/// The offset just past the string whose opening quote is at `start`.
fn string_end(text: &[u8], start: usize) -> Result<usize, ScanError> {
    string_span(text, start).map(|(end, _)| end)
}

/// [`string_end`], and whether the string has escapes. Most strings (keys, names) are short, and a
/// plain loop finds their end before a vectorized search would have started.
fn string_span(text: &[u8], start: usize) -> Result<(usize, bool), ScanError> {
    let mut pos = start + 1;
    let mut escapes = false;
    let short_end = text.len().min(pos + 32);
    while pos < short_end {
        match text[pos] {
            b'"' => return Ok((pos + 1, escapes)),
            b'\\' => {
                escapes = true;
                pos += 2;
            }
            _ => pos += 1,
        }
    }
    loop {
        let rest = text.get(pos..).unwrap_or_default();
        match memchr::memchr2(b'"', b'\\', rest) {
            Some(i) if rest[i] == b'"' => return Ok((pos + i + 1, escapes)),
            // A backslash escapes the byte after it (`\u` escapes carry only hex digits after).
            Some(i) => {
                escapes = true;
                pos += i + 2;
            }
            None => return fail("EOF while parsing a string", text.len()),
        }
    }
}

/// The offset just past a number, `true`, `false` or `null` starting at `start`.
fn scalar_end(text: &[u8], start: usize) -> Result<usize, ScanError> {
    let len = text
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
        .count();
    if len == 0 {
        return fail("expected value", start);
    }
    Ok(start + len)
}

/// Where quotes, backslashes and brackets are in 64 bytes, one bit per byte.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Marks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

/// `{` and `[` differ only in bit 5, as do `}` and `]`: setting it folds each pair into one byte.
const FOLDED_OPEN: u8 = b'{';
const FOLDED_CLOSE: u8 = b'}';
const FOLD: u8 = 0x20;

#[cfg(target_arch = "x86_64")]
fn marks(block: &[u8; 64]) -> Marks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut marks = Marks::default();
    for (k, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86-64 baseline, and the unaligned load reads exactly the
        // 16 bytes of `lane`, a slice of `block`.
        let (quote, backslash, open, close) = unsafe {
            let v = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            let folded = _mm_or_si128(v, _mm_set1_epi8(FOLD as i8));
            let mask = |x, byte: u8| {
                u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(byte as i8))) as u16)
            };
            (
                mask(v, b'"'),
                mask(v, b'\\'),
                mask(folded, FOLDED_OPEN),
                mask(folded, FOLDED_CLOSE),
            )
        };
        let shift = 16 * k;
        marks.quote |= quote << shift;
        marks.backslash |= backslash << shift;
        marks.open |= open << shift;
        marks.close |= close << shift;
    }
    marks
}

#[cfg(not(target_arch = "x86_64"))]
fn marks(block: &[u8; 64]) -> Marks {
    portable_marks(block)
}

/// [`marks`] one byte at a time: the reference the SSE2 version is tested against.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn portable_marks(block: &[u8; 64]) -> Marks {
    let mut marks = Marks::default();
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => marks.quote |= bit,
            b'\\' => marks.backslash |= bit,
            _ => {}
        }
        match b | FOLD {
            FOLDED_OPEN => marks.open |= bit,
            FOLDED_CLOSE => marks.close |= bit,
            _ => {}
        }
    }
    marks
}

/// The bytes that a backslash escapes, given the block's backslashes; `carry` says whether the
/// block's first byte is escaped (by a backslash ending the previous block) and is set for the next.
fn escaped(backslash: u64, carry: &mut bool) -> u64 {
    let mut escaped = 0u64;
    let mut backslash = backslash;
    if std::mem::take(carry) {
        escaped |= 1;
        backslash &= !1;
    }
    while backslash != 0 {
        let i = backslash.trailing_zeros();
        backslash &= !(1u64 << i);
        if i == 63 {
            *carry = true;
            break;
        }
        escaped |= 1u64 << (i + 1);
        backslash &= !(1u64 << (i + 1));
    }
    escaped
}

/// Bit k set when an odd number of bits 0..=k of `x` are set: which bytes lie inside a string,
/// from its opening quote to before its closing one.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// Where [`container_end`] stands between blocks of 64 bytes.
struct Nesting {
    /// One bit per open bracket, innermost lowest: set for `{`, clear for `[`.
    brackets: u128,
    depth: usize,
    /// All ones while the block starts inside a string.
    in_string: u64,
    /// Whether the block's first byte is escaped by a backslash ending the previous block.
    escape_carry: bool,
}

impl Nesting {
    /// Follows the brackets of the block at offset `pos`; gives the offset just past the bracket
    /// that closes the outermost one, if it is in this block.
    fn scan(&mut self, block: &[u8; 64], pos: usize) -> Result<Option<usize>, ScanError> {
        let marks = marks(block);
        let mut quote = marks.quote;
        if marks.backslash != 0 || self.escape_carry {
            quote &= !escaped(marks.backslash, &mut self.escape_carry);
        }
        let inside = prefix_xor(quote) ^ self.in_string;
        self.in_string = ((inside as i64) >> 63) as u64;
        // A backslash escapes only inside a string; outside one it is not JSON at all (and the
        // escape found for it above would be wrong).
        let stray = marks.backslash & !inside;
        if stray != 0 {
            return fail(
                "a backslash outside a string",
                pos + stray.trailing_zeros() as usize,
            );
        }
        let mut brackets = (marks.open | marks.close) & !inside;
        while brackets != 0 {
            let i = brackets.trailing_zeros() as usize;
            brackets &= brackets - 1;
            let byte = block[i];
            // Braces have the fold bit set, square brackets do not.
            let brace = u128::from(byte & FOLD != 0);
            if byte | FOLD == FOLDED_OPEN {
                if self.depth == MAX_DEPTH {
                    return fail("recursion limit exceeded", pos + i);
                }
                self.brackets = (self.brackets << 1) | brace;
                self.depth += 1;
                continue;
            }
            if self.depth == 0 || self.brackets & 1 != brace {
                return fail("mismatched bracket", pos + i);
            }
            self.brackets >>= 1;
            self.depth -= 1;
            if self.depth == 0 {
                return Ok(Some(pos + i + 1));
            }
        }
        Ok(None)
    }
}

/// The offset just past the object or array whose opening bracket is at `start`.
fn container_end(text: &[u8], start: usize) -> Result<usize, ScanError> {
    let mut nesting = Nesting {
        brackets: 0,
        depth: 0,
        in_string: 0,
        escape_carry: false,
    };
    let mut pos = start;
    while let Some(block) = text.get(pos..pos + 64).and_then(|b| b.try_into().ok()) {
        if let Some(end) = nesting.scan(block, pos)? {
            return Ok(end);
        }
        pos += 64;
    }
    if let Some(tail) = text.get(pos..).filter(|t| !t.is_empty()) {
        let mut padded = [0u8; 64];
        padded[..tail.len()].copy_from_slice(tail);
        if let Some(end) = nesting.scan(&padded, pos)? {
            return Ok(end);
        }
    }
    fail("EOF while parsing a list or an object", text.len())
}

/// Copies the value that starts at `start` (no whitespace before it) into `out`, keeping only what
/// `keep` names, and gives the offset just past the value in `text`.
pub fn prune(text: &str, start: usize, keep: &Keep, out: &mut String) -> Result<usize, ScanError> {
    let bytes = text.as_bytes();
    match (keep, bytes.get(start)) {
        (Keep::Members(members), Some(b'{')) => prune_object(text, start, members, out),
        (Keep::Each(element), Some(b'[')) => prune_array(text, start, element, out),
        _ => {
            let end = value_end(bytes, start)?;
            out.push_str(slice(text, start, end)?);
            Ok(end)
        }
    }
}

fn slice(text: &str, start: usize, end: usize) -> Result<&str, ScanError> {
    match text.get(start..end) {
        Some(s) => Ok(s),
        None => fail("a value that does not end on a character boundary", start),
    }
}

fn prune_object(
    text: &str,
    start: usize,
    members: &[(&str, Keep)],
    out: &mut String,
) -> Result<usize, ScanError> {
    let bytes = text.as_bytes();
    out.push('{');
    let mut pos = skip_whitespace(bytes, start + 1);
    if bytes.get(pos) == Some(&b'}') {
        out.push('}');
        return Ok(pos + 1);
    }
    let mut wrote = false;
    loop {
        if bytes.get(pos) != Some(&b'"') {
            return fail("expected a key in an object", pos);
        }
        let (key_end, key_escapes) = string_span(bytes, pos)?;
        let key_text = slice(text, pos, key_end)?;
        let colon = skip_whitespace(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            return fail("expected `:` in an object", colon);
        }
        let value_start = skip_whitespace(bytes, colon + 1);
        match kept_member(key_text, key_escapes, members) {
            Some(plan) => {
                if wrote {
                    out.push(',');
                }
                out.push_str(key_text);
                out.push(':');
                pos = prune(text, value_start, plan, out)?;
                wrote = true;
            }
            None => pos = value_end(bytes, value_start)?,
        }
        pos = skip_whitespace(bytes, pos);
        match bytes.get(pos) {
            Some(b',') => pos = skip_whitespace(bytes, pos + 1),
            Some(b'}') => {
                out.push('}');
                return Ok(pos + 1);
            }
            _ => return fail("expected `,` or `}` in an object", pos),
        }
    }
}

/// The plan of the member whose key, quotes included, is `key_text`: compared as written, or as
/// decoded when the key has escapes.
fn kept_member<'p>(key_text: &str, escapes: bool, members: &'p [(&str, Keep)]) -> Option<&'p Keep> {
    let raw = key_text.get(1..key_text.len() - 1).unwrap_or_default();
    let decoded;
    let key = if escapes {
        decoded = serde_json::from_str::<String>(key_text).ok()?;
        decoded.as_str()
    } else {
        raw
    };
    members
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, plan)| plan)
}

fn prune_array(
    text: &str,
    start: usize,
    element: &Keep,
    out: &mut String,
) -> Result<usize, ScanError> {
    let bytes = text.as_bytes();
    out.push('[');
    let mut pos = skip_whitespace(bytes, start + 1);
    if bytes.get(pos) == Some(&b']') {
        out.push(']');
        return Ok(pos + 1);
    }
    loop {
        pos = prune(text, pos, element, out)?;
        pos = skip_whitespace(bytes, pos);
        match bytes.get(pos) {
            Some(b',') => {
                out.push(',');
                pos = skip_whitespace(bytes, pos + 1);
            }
            Some(b']') => {
                out.push(']');
                return Ok(pos + 1);
            }
            _ => return fail("expected `,` or `]` in a list", pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn end(text: &str) -> Result<usize, ScanError> {
        value_end(text.as_bytes(), 0)
    }

    /// An array's elements, walked with `element_start`, `value_end` and `after_element`, with
    /// blanks anywhere a server may put them; the walk stops at `]`, at the end of the text and
    /// where no comma follows an element.
    #[test]
    fn array_elements_are_walked_to_the_end_and_no_further() {
        fn walk(text: &str) -> Vec<&str> {
            let bytes = text.as_bytes();
            let mut seen = Vec::new();
            let mut next = Some(1);
            while let Some(pos) = next.and_then(|at| element_start(bytes, at)) {
                let end = value_end(bytes, pos).expect("a valid element");
                seen.push(&text[pos..end]);
                next = after_element(bytes, end);
            }
            seen
        }
        assert_eq!(
            walk("[ {\"a\":[1,2]} ,\n\"x,]\" ,7 ]"),
            [r#"{"a":[1,2]}"#, r#""x,]""#, "7"]
        );
        assert_eq!(walk("[]"), Vec::<&str>::new());
        assert_eq!(walk("[ \t]"), Vec::<&str>::new());
        assert_eq!(walk("[1 2]"), ["1"], "no comma: the walk stops");
        assert_eq!(walk("[1,"), ["1"], "the text ends");
        assert_eq!(element_start(b"[", 1), None);
        assert_eq!(after_element(b"1 ]", 1), None);
        assert_eq!(after_element(b"1 ,2", 1), Some(3));
    }

    /// serde_json's own idea of where the first value of `text` ends.
    fn serde_end(text: &str) -> usize {
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        values
            .next()
            .and_then(|v| v.ok())
            .map(|_| ())
            .expect("valid");
        values.byte_offset()
    }

    #[test]
    fn values_end_where_serde_json_says() {
        let long_string = format!("\"{}\"", "x".repeat(200));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let cases = [
            r#"{"a":1} ,"#,
            r#"[1,2,[3,{"b":"}]"}]] x"#,
            r#""plain" ,"#,
            r#""esc\"aped\\" ]"#,
            r#"{"path":"C:\\var\\run\\","q":"\"{["} trailing"#,
            "123.5e-3,",
            "true]",
            "null}",
            r#"{"k":"é ü 中文 😀 [{"}"#,
            &long_string,
            &deep,
        ];
        for case in cases {
            assert_eq!(end(case), Ok(serde_end(case)), "{case}");
        }
    }

    #[test]
    fn backslash_runs_across_block_boundaries() {
        // Put a run of backslashes so that it ends on each position around the 64-byte boundary:
        // an even run leaves the next quote closing the string, an odd one escapes it.
        for run in 1..=5 {
            for pad in 55..70 {
                let inner = format!("{}{}", "a".repeat(pad), "\\".repeat(run * 2));
                let text = format!("[\"{inner}\",\"]\"] tail");
                assert_eq!(end(&text), Ok(serde_end(&text)), "run {run} pad {pad}");
                let odd = format!("[\"{}\\\"]\" , \"x\"] tail", "a".repeat(pad));
                assert_eq!(end(&odd), Ok(serde_end(&odd)), "odd, pad {pad}");
            }
        }
    }

    #[test]
    fn strings_spanning_blocks_hide_their_brackets() {
        for pad in 0..130 {
            let text = format!("{{\"a\":\"{}{{[}}]\",\"b\":[{{}}]}} tail", "y".repeat(pad));
            assert_eq!(end(&text), Ok(serde_end(&text)), "pad {pad}");
        }
    }

    #[test]
    fn broken_structure_is_refused() {
        let too_deep = "[".repeat(129) + &"]".repeat(129);
        let cases = [
            ("{\"a\":1", "EOF while parsing a list or an object"),
            ("[1,2", "EOF while parsing a list or an object"),
            ("{\"a\":[1}", "mismatched bracket"),
            ("[{]", "mismatched bracket"),
            ("\"never closed", "EOF while parsing a string"),
            ("\"ends in a backslash\\", "EOF while parsing a string"),
            ("", "EOF while parsing a value"),
            (",", "expected value"),
            (too_deep.as_str(), "recursion limit exceeded"),
            // Outside a string a backslash escapes nothing: `\"` there would hide a quote.
            (r#"{"name":[a\"]","x":"}"}"#, "a backslash outside a string"),
            (r#"[1,\"]"]"#, "a backslash outside a string"),
        ];
        for (text, what) in cases {
            let error = end(text).expect_err(text);
            assert_eq!(error.what, what, "{text}");
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_sse2_marks_are_the_portable_ones() {
        let mut block = [0u8; 64];
        for round in 0..256usize {
            for (i, b) in block.iter_mut().enumerate() {
                *b = (round.wrapping_mul(31) ^ i.wrapping_mul(97)) as u8;
            }
            block[round % 64] = b'"';
            block[(round * 7) % 64] = b'\\';
            block[(round * 11) % 64] = b'[';
            block[(round * 13) % 64] = b'}';
            assert_eq!(marks(&block), portable_marks(&block), "round {round}");
        }
    }

    /// A small deterministic generator (64-bit LCG) for the random documents below.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    /// A random value nested up to `depth`, with strings full of what the scanner looks for.
    fn random_value(rng: &mut Lcg, depth: u32) -> Value {
        const PIECES: [&str; 12] = [
            "a",
            "\"",
            "\\",
            "{",
            "}",
            "[",
            "]",
            "C:\\var\\",
            "é",
            "😀",
            "name",
            " ",
        ];
        let leaf = depth == 0 || rng.below(3) == 0;
        match (leaf, rng.below(4)) {
            (true, 0) => Value::from(rng.below(1_000_000) as i64 - 500_000),
            (true, 1) => Value::Bool(rng.below(2) == 0),
            (true, 2) => Value::Null,
            (true, _) => Value::String(
                (0..rng.below(90))
                    .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
                    .collect(),
            ),
            (false, 0 | 1) => Value::Array(
                (0..rng.below(6))
                    .map(|_| random_value(rng, depth - 1))
                    .collect(),
            ),
            (false, _) => Value::Object(
                (0..rng.below(6))
                    .map(|i| {
                        let key = ["name", "image", "x\"y", "{k}", "spec"][(i % 5) as usize];
                        (format!("{key}{i}"), random_value(rng, depth - 1))
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn random_documents_end_where_serde_json_says() {
        let mut rng = Lcg(7);
        for round in 0..2000 {
            let value = random_value(&mut rng, 6);
            for text in [
                value.to_string(),
                serde_json::to_string_pretty(&value).expect("serializes"),
            ] {
                let text = format!("{text} ,");
                assert_eq!(end(&text), Ok(serde_end(&text)), "round {round}: {text}");
            }
        }
    }

    const RANDOM_PLAN: Keep = Keep::Members(&[
        ("name0", Keep::Whole),
        (
            "spec4",
            Keep::Members(&[("image1", Keep::Whole), ("x\"y2", Keep::Whole)]),
        ),
        (
            "{k}3",
            Keep::Each(&Keep::Members(&[("name0", Keep::Whole)])),
        ),
    ]);

    /// What [`RANDOM_PLAN`] keeps of `value`, built on serde_json's values: the reference.
    fn planned(value: &Value, keep: &Keep) -> Value {
        match (keep, value) {
            (Keep::Members(members), Value::Object(map)) => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| {
                        let (_, plan) = members.iter().find(|(name, _)| name == k)?;
                        Some((k.clone(), planned(v, plan)))
                    })
                    .collect(),
            ),
            (Keep::Each(element), Value::Array(items)) => {
                Value::Array(items.iter().map(|v| planned(v, element)).collect())
            }
            _ => value.clone(),
        }
    }

    #[test]
    fn random_documents_prune_as_the_reference() {
        let mut rng = Lcg(11);
        for round in 0..2000 {
            let value = random_value(&mut rng, 6);
            let text = serde_json::to_string_pretty(&value).expect("serializes");
            let mut out = String::new();
            let end = prune(&text, 0, &RANDOM_PLAN, &mut out).expect("prunes");
            assert_eq!(end, text.len(), "round {round}");
            let kept: Value = serde_json::from_str(&out).expect("the copy is JSON");
            assert_eq!(kept, planned(&value, &RANDOM_PLAN), "round {round}: {text}");
        }
    }

    const CONTAINER: Keep = Keep::Members(&[("name", Keep::Whole), ("image", Keep::Whole)]);
    const PLAN: Keep = Keep::Members(&[
        (
            "metadata",
            Keep::Members(&[("name", Keep::Whole), ("labels", Keep::Whole)]),
        ),
        (
            "spec",
            Keep::Members(&[("containers", Keep::Each(&CONTAINER))]),
        ),
    ]);

    fn pruned(text: &str) -> Result<(String, usize), ScanError> {
        let mut out = String::new();
        let end = prune(text, 0, &PLAN, &mut out)?;
        Ok((out, end))
    }

    #[test]
    fn prune_keeps_the_planned_members_only() {
        let pod = r#"{ "apiVersion" : "v1", "metadata": {"managedFields":[{"f:x":{}}],"name":"p-1",
            "labels":{"app":"a"}}, "spec":{"containers":[{"env":[{"name":"X","value":"}"}],
            "image":"mcr.microsoft.com/windows/nanoserver:ltsc2022","name":"c"},{"name":"d"}],
            "volumes":[]}, "status":{"phase":"Running"}} ,"#;
        let (out, end) = pruned(pod).expect("prunes");
        assert_eq!(end, serde_end(pod));
        let kept: Value = serde_json::from_str(&out).expect("the copy is JSON");
        assert_eq!(
            kept,
            serde_json::json!({
                "metadata": {"name": "p-1", "labels": {"app": "a"}},
                "spec": {"containers": [
                    {"image": "mcr.microsoft.com/windows/nanoserver:ltsc2022", "name": "c"},
                    {"name": "d"}
                ]}
            })
        );
    }

    #[test]
    fn prune_keeps_odd_shapes_whole_for_the_reader_to_judge() {
        let cases = [
            (r#"{"metadata":null}"#, r#"{"metadata":null}"#),
            (
                r#"{"metadata":"x","spec":7}"#,
                r#"{"metadata":"x","spec":7}"#,
            ),
            (
                r#"{"spec":{"containers":null}}"#,
                r#"{"spec":{"containers":null}}"#,
            ),
            (
                r#"{"spec":{"containers":[7]}}"#,
                r#"{"spec":{"containers":[7]}}"#,
            ),
            (r#"[1,2]"#, r#"[1,2]"#),
            (r#"{}"#, r#"{}"#),
            (r#"{"other":1}"#, r#"{}"#),
            // A key written with escapes is the key it decodes to.
            (
                r#"{"met\u0061data":{"name":"n"}}"#,
                r#"{"met\u0061data":{"name":"n"}}"#,
            ),
            // Duplicates stay, for the reader to refuse.
            (
                r#"{"metadata":{"name":"a","name":"b"}}"#,
                r#"{"metadata":{"name":"a","name":"b"}}"#,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                pruned(text).map(|(out, _)| out),
                Ok(expected.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn prune_refuses_broken_structure() {
        for text in [
            r#"{"metadata":{"name":"a"}"#,
            r#"{"metadata" {"name":"a"}}"#,
            r#"{"metadata":{"name":"a"} "spec":{}}"#,
            r#"{"spec":{"containers":[{"name":"a"} {}]}}"#,
            r#"{"other":[1,2}"#,
            r#"{7:1}"#,
        ] {
            assert!(pruned(text).is_err(), "{text}");
        }
    }
}
