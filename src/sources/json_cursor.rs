//! A cursor over JSON text that parses one value at a time with serde_json and knows where each
//! value began and ended.
//!
//! A page of 500 pods is 2 MB of JSON. Splitting it into items (`Box<RawValue>`) and then parsing
//! each item's head reads every byte twice; a parse that starts at the item and is asked, when it
//! is done, how far it got reads them once and still gives the item's text (for the few pods kept
//! whole, and for capture's writer). serde_json tells the position through
//! `Deserializer::into_iter(..).byte_offset()`, which a fresh deserializer over the rest of the
//! text gives after each value. The cursor walks only the structure between values (`{`, `:`, `,`,
//! `[`, whitespace); every value is parsed by serde_json, except that a reader given the text at
//! the cursor ([`JsonCursor::read_at`], as `PodHead::read_at`) may scan it its own way.

use crate::facts::json_scan::skip_whitespace;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::fmt;

/// A structural error of the text around the values, worded like serde_json's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorError {
    what: String,
    offset: usize,
}

impl fmt::Display for CursorError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

/// An error reading at the cursor: a value serde_json refused, or the text between values.
#[derive(Debug)]
pub enum ReadError {
    Value(serde_json::Error),
    Structure(CursorError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ReadError::Value(e) => e.fmt(f),
            ReadError::Structure(e) => e.fmt(f),
        }
    }
}

impl From<serde_json::Error> for ReadError {
    fn from(e: serde_json::Error) -> Self {
        ReadError::Value(e)
    }
}

impl From<CursorError> for ReadError {
    fn from(e: CursorError) -> Self {
        ReadError::Structure(e)
    }
}

/// The deserializer a value at the cursor is read with.
pub type TextDeserializer<'a> = serde_json::Deserializer<serde_json::de::StrRead<'a>>;

/// A position in JSON text; see the module documentation.
#[derive(Debug, Clone)]
pub struct JsonCursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> JsonCursor<'a> {
    /// A cursor at the start of `text`.
    pub fn new(text: &'a str) -> Self {
        JsonCursor { text, pos: 0 }
    }

    /// A cursor at byte `pos` of `text` (a value's start found by an earlier walk).
    pub fn at(text: &'a str, pos: usize) -> Self {
        JsonCursor { text, pos }
    }

    /// The whole text the cursor walks.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The byte offset of the cursor in the text.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Reads the value at the cursor with `read`, which gets a deserializer over the rest of the
    /// text and must read exactly one value; the cursor then stands after that value. Errors
    /// name positions from the start of the value.
    pub fn read_with<V>(
        &mut self,
        read: impl FnOnce(&mut TextDeserializer<'a>) -> serde_json::Result<V>,
    ) -> serde_json::Result<V> {
        let rest = self.text.get(self.pos..).unwrap_or("");
        let mut de = serde_json::Deserializer::from_str(rest);
        let value = read(&mut de)?;
        self.pos += de.into_iter::<IgnoredAny>().byte_offset();
        Ok(value)
    }

    /// Parses the value at the cursor as a `T`.
    pub fn value<T: Deserialize<'a>>(&mut self) -> serde_json::Result<T> {
        self.read_with(|de| T::deserialize(de))
    }

    /// Parses the value at the cursor as a `T` and gives its text too.
    pub fn value_and_text<T: Deserialize<'a>>(&mut self) -> serde_json::Result<(T, &'a str)> {
        let start = self.pos;
        let value = self.value::<T>()?;
        Ok((value, self.text.get(start..self.pos).unwrap_or("")))
    }

    /// Reads the value at the cursor with `read`, which gets the whole text and the value's offset
    /// and gives what it read with the offset just past the value (as `PodHead::read_at` does);
    /// the cursor then stands there. Gives the value's text too.
    pub fn read_at<V, E>(
        &mut self,
        read: impl FnOnce(&'a str, usize) -> Result<(V, usize), E>,
    ) -> Result<(V, &'a str), E> {
        self.peek();
        let start = self.pos;
        let (value, end) = read(self.text, start)?;
        self.pos = end.max(start);
        Ok((value, self.text.get(start..self.pos).unwrap_or("")))
    }

    /// The text of the value at the cursor, checked by serde_json, and moves past it.
    pub fn skip_value(&mut self) -> serde_json::Result<&'a str> {
        self.value_and_text::<IgnoredAny>().map(|(_, text)| text)
    }

    /// The text from `start` (an earlier [`JsonCursor::offset`]) to the cursor.
    pub fn text_since(&self, start: usize) -> &'a str {
        self.text.get(start..self.pos).unwrap_or("")
    }

    /// Moves past whitespace and gives the next byte, if any.
    pub fn peek(&mut self) -> Option<u8> {
        let bytes = self.text.as_bytes();
        self.pos = skip_whitespace(bytes, self.pos);
        bytes.get(self.pos).copied()
    }

    /// Moves past whitespace and `byte` when it comes next; says whether it did.
    pub fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Moves past whitespace and `byte`, which must come next.
    pub fn expect(&mut self, byte: u8, inside: &str) -> Result<(), CursorError> {
        match self.peek() {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.error_here(format!("expected `{}` in {inside}", byte as char))),
            None => Err(self.error_here(format!("EOF while parsing {inside}"))),
        }
    }

    /// Moves past the `null` that comes next, if it does.
    pub fn eat_null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.text.get(self.pos..self.pos + 4) == Some("null") {
            self.pos += 4;
            return true;
        }
        false
    }

    /// After an object's `{` or a member: the next member's key (the cursor then stands at its
    /// value), or `None` at the object's `}`. `first` is whether no member was read yet.
    pub fn next_key(
        &mut self,
        first: bool,
        inside: &str,
    ) -> Result<Option<std::borrow::Cow<'a, str>>, ReadError> {
        if self.eat(b'}') {
            return Ok(None);
        }
        if !first {
            self.expect(b',', inside)?;
        }
        if self.peek() != Some(b'"') {
            return Err(self
                .error_here(format!("expected a key in {inside}"))
                .into());
        }
        let key = self.value::<std::borrow::Cow<'a, str>>()?;
        self.expect(b':', inside)?;
        self.peek();
        Ok(Some(key))
    }

    /// After an array's `[` or an element: whether another element follows (the cursor then
    /// stands at it), or `false` at the array's `]`. `first` is whether no element was read yet.
    pub fn next_element(&mut self, first: bool, inside: &str) -> Result<bool, CursorError> {
        if self.eat(b']') {
            return Ok(false);
        }
        if !first {
            self.expect(b',', inside)?;
        }
        match self.peek() {
            Some(_) => Ok(true),
            None => Err(self.error_here(format!("EOF while parsing {inside}"))),
        }
    }

    /// Checks that only whitespace follows.
    pub fn end(&mut self) -> Result<(), CursorError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error_here("trailing characters".to_string())),
        }
    }

    /// An error at the cursor's position.
    pub fn error_here(&self, what: String) -> CursorError {
        CursorError {
            what,
            offset: self.pos,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Walks a list object, giving each item's text as the cursor saw it.
    fn items(text: &str) -> Result<Vec<String>, String> {
        let mut c = JsonCursor::new(text);
        c.expect(b'{', "a list").map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let mut first = true;
        while let Some(key) = c.next_key(first, "a list").map_err(|e| e.to_string())? {
            first = false;
            if key != "items" {
                c.skip_value().map_err(|e| e.to_string())?;
                continue;
            }
            if c.eat_null() {
                continue;
            }
            c.expect(b'[', "items").map_err(|e| e.to_string())?;
            let mut first_item = true;
            while c
                .next_element(first_item, "items")
                .map_err(|e| e.to_string())?
            {
                first_item = false;
                let start = c.offset();
                let _: Value = c.value().map_err(|e| e.to_string())?;
                out.push(c.text_since(start).to_string());
            }
        }
        c.end().map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn each_value_is_parsed_once_and_its_text_is_known() {
        let text = "{ \"kind\" : \"PodList\",\r\n \"metadata\":{\"continue\":\"a,]}\"},\n\t\"items\" : [ {\"a\":\"}]\\\"\"} ,{\"b\":[1,{\"c\":null}]},\n7,\"x\" ] }\n";
        let got = items(text).expect("valid");
        assert_eq!(
            got,
            [r#"{"a":"}]\""}"#, r#"{"b":[1,{"c":null}]}"#, "7", r#""x""#]
        );
        for (item, want) in got.iter().zip([
            serde_json::json!({"a": "}]\""}),
            serde_json::json!({"b": [1, {"c": null}]}),
            serde_json::json!(7),
            serde_json::json!("x"),
        ]) {
            assert_eq!(serde_json::from_str::<Value>(item).expect("item"), want);
        }
        assert_eq!(
            items(r#"{"items":null}"#).expect("null"),
            Vec::<String>::new()
        );
        assert_eq!(
            items(r#"{"items":[]}"#).expect("empty"),
            Vec::<String>::new()
        );
        assert_eq!(items("{}").expect("no items"), Vec::<String>::new());
    }

    #[test]
    fn what_serde_json_refuses_as_a_whole_the_cursor_refuses() {
        let broken = [
            r#"{"items":[{"a":1}"#,
            r#"{"items":[{"a":1},]}"#,
            r#"{"items":[{"a":1} {"b":2}]}"#,
            r#"{"items":[{"a":1}]} x"#,
            r#"{"items":[{"a":1}],}"#,
            r#"{"items" [1]}"#,
            r#"{items:[1]}"#,
            r#"{"items":[1]"#,
            r#"{"items":[{"a":"x\q"}]}"#,
            r#"{"items":[{"a":tru}]}"#,
            r#"{"items":[01]}"#,
            r#"{"items":nul}"#,
            "",
            "[]",
        ];
        for text in broken {
            assert!(
                serde_json::from_str::<Value>(text).is_err() || !text.starts_with('{'),
                "{text} is valid JSON"
            );
            assert!(items(text).is_err(), "{text} was accepted");
        }
        let valid = r#"{"metadata":{},"items":[{"a":[]},{"b":{}},"x",1.5e3,true,false,null]}"#;
        assert_eq!(items(valid).expect("valid").len(), 7);
    }

    #[test]
    fn errors_say_where() {
        let err = items(r#"{"items":[{"a":1} {"b":2}]}"#).expect_err("missing comma");
        assert_eq!(err, "expected `,` in items at byte 18");
        let err = items(r#"{"items":[{"a":1}"#).expect_err("cut");
        assert_eq!(err, "EOF while parsing items at byte 17");
    }
}
