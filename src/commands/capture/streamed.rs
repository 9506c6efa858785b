//! What capture writes of each object the API sent, sanitized while the object's JSON text is
//! read and written straight to the output bytes: no `serde_json::Value` tree is built and freed
//! per object (for a full capture of 150,000 pods that tree was most of the time). The rules:
//! managed fields, unread annotations and ConfigMap keys are left out; environment values become
//! the host names windoctor reads from them; every string goes through
//! [`crate::redact::redact_cow`]; the value of a secret-named key, of a secret-named entry's
//! `value` and the array element after a secret flag become `<redacted>`; `apiVersion` and
//! `kind` are added when the item lacks them. A value where only the redaction rules apply (a
//! pod's status, volumes, probes) is copied as the API sent it when no string in it is one the
//! rules change ([`copies_as_is`]). The Value-based rules this writer replaced are kept
//! in the tests as their reference; members may come out in another order than theirs (a Value
//! sorts its keys), the JSON is the same.

use crate::facts::k8s::{
    dns_candidates, is_allowed_annotation, is_allowed_configmap_key, is_kept_node_image_name,
};
use crate::redact::{is_secret_flag, is_secret_key, redact_cow, REDACTED};
use crate::sources::json_cursor::JsonCursor;
use crate::sources::live::written_ahead::ItemWriter;
use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The item's `metadata.namespace` and `metadata.name` as written (for the list's item key), and a
/// Pod's `spec.nodeName` (whether capture must read the pod whole for its node's part).
pub use crate::sources::live::written_ahead::ItemNames;

/// What an item keeps of the parts windoctor never reads and the sanitizing rules keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// Everything the rules keep (a full capture).
    Kept,
    /// Also left out: a Node's `status.images` entries that name no pause image by tag. windoctor
    /// reads only those names there (`facts::k8s::is_kept_node_image_name`), and the list is half
    /// of a Node's text (the kubelet lists up to 50 images). The Windows-share archive leaves them
    /// out.
    LeftOut,
}

/// Appends the sanitized JSON of one list item (`raw`, the item's text as the API sent it) to
/// `out`. On an error `out` may hold part of the item: the caller drops what it appended.
pub fn write_item(
    raw: &str,
    kind: &str,
    api_version: &str,
    out: &mut Vec<u8>,
) -> Result<ItemNames, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(raw);
    let names = write_value(&mut de, kind, api_version, Unread::Kept, out)?;
    de.end()?;
    Ok(names)
}

/// As [`write_item`], for the item at `item` in a page being read: the cursor moves past it.
/// `unread` says what it keeps of what windoctor never reads.
pub fn write_item_at(
    item: &mut JsonCursor<'_>,
    kind: &str,
    api_version: &str,
    unread: Unread,
    out: &mut Vec<u8>,
) -> Result<ItemNames, serde_json::Error> {
    item.read_with(|de| write_value(de, kind, api_version, unread, out))
}

/// [`write_item_at`] for the helper that writes a big page's items ahead of the pager
/// (`sources::live::written_ahead`): the items of one list of `kind`, as the pager's sink writes
/// them.
pub struct ItemsAhead {
    pub kind: &'static str,
    pub api_version: &'static str,
}

impl ItemWriter for ItemsAhead {
    fn write(&self, text: &str, start: usize, out: &mut Vec<u8>) -> Option<(ItemNames, usize)> {
        let mut item = JsonCursor::at(text, start);
        let names =
            write_item_at(&mut item, self.kind, self.api_version, Unread::Kept, out).ok()?;
        Some((names, item.offset()))
    }
}

/// Reads one item's value from `de`, writing it sanitized to `out`.
fn write_value<'de, D: Deserializer<'de>>(
    de: D,
    kind: &str,
    api_version: &str,
    unread: Unread,
    out: &mut Vec<u8>,
) -> Result<ItemNames, D::Error> {
    let mut ctx = Ctx {
        out,
        names: ItemNames::default(),
        api_version,
        kind,
        whole_copies: true,
    };
    let root = Place::Root(Kind::of(kind, unread));
    ValueSeed::new(&mut ctx, root, Text::Redact).deserialize(de)?;
    Ok(ctx.names)
}

/// The kinds whose objects have rules of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pod,
    DaemonSet,
    ConfigMap,
    /// A Node whose unread images are left out ([`Unread::LeftOut`]).
    NodeReadImagesOnly,
    Other,
}

impl Kind {
    fn of(kind: &str, unread: Unread) -> Kind {
        match (kind, unread) {
            ("Pod", _) => Kind::Pod,
            ("DaemonSet", _) => Kind::DaemonSet,
            ("ConfigMap", _) => Kind::ConfigMap,
            ("Node", Unread::LeftOut) => Kind::NodeReadImagesOnly,
            _ => Kind::Other,
        }
    }
}

/// Where a value sits in the item, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Root(Kind),
    /// The item's `metadata`.
    Metadata,
    /// `metadata.annotations`: only allowed keys are kept.
    Annotations,
    /// A ConfigMap's `data`: only the keys windoctor reads are kept.
    ConfigMapData,
    /// A DaemonSet's `spec` and `spec.template`, on the way to the pod spec.
    DaemonSetSpec,
    DaemonSetTemplate,
    /// A pod spec (a Pod's `spec`, a DaemonSet's `spec.template.spec`).
    PodSpec,
    /// `containers`, `initContainers`, `ephemeralContainers` of a pod spec, and one of them.
    Containers,
    Container,
    /// A container's `env`, and one of its entries.
    Env,
    EnvEntry,
    /// A Node's `status`, its `images`, one entry, the entry's `names` and one name (only for
    /// [`Kind::NodeReadImagesOnly`]).
    NodeStatus,
    NodeImages,
    NodeImage,
    NodeImageNames,
    NodeImageName,
    /// Anywhere else: only the redaction rules apply.
    Plain,
}

impl Place {
    /// The place of the member `key` of an object at this place; `None` when it is left out.
    fn member(self, key: &str) -> Option<Place> {
        let place = match (self, key) {
            (Place::Root(_), "metadata") => Place::Metadata,
            (Place::Root(Kind::Pod), "spec") => Place::PodSpec,
            (Place::Root(Kind::DaemonSet), "spec") => Place::DaemonSetSpec,
            (Place::Root(Kind::ConfigMap), "binaryData") => return None,
            (Place::Root(Kind::ConfigMap), "data") => Place::ConfigMapData,
            (Place::Metadata, "managedFields") => return None,
            (Place::Metadata, "annotations") => Place::Annotations,
            (Place::Annotations, key) if !is_allowed_annotation(key) => return None,
            (Place::ConfigMapData, key) if !is_allowed_configmap_key(key) => return None,
            (Place::DaemonSetSpec, "template") => Place::DaemonSetTemplate,
            (Place::DaemonSetTemplate, "spec") => Place::PodSpec,
            (Place::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
                Place::Containers
            }
            (Place::Container, "env") => Place::Env,
            (Place::Root(Kind::NodeReadImagesOnly), "status") => Place::NodeStatus,
            (Place::NodeStatus, "images") => Place::NodeImages,
            (Place::NodeImage, "names") => Place::NodeImageNames,
            _ => Place::Plain,
        };
        Some(place)
    }

    /// The place of the elements of an array at this place.
    fn element(self) -> Place {
        match self {
            Place::Containers => Place::Container,
            Place::Env => Place::EnvEntry,
            Place::NodeImages => Place::NodeImage,
            Place::NodeImageNames => Place::NodeImageName,
            _ => Place::Plain,
        }
    }
}

/// What becomes of a string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    /// Written redacted.
    Redact,
    /// Written as `<redacted>` (the element after a secret flag).
    Hide,
    /// Written as `<redacted>` when the member's key names a secret, else redacted. The key is
    /// looked at only for a string value.
    HideIfSecretKey,
    /// Kept back until the object ends: an object's `value`, hidden when its `name` is secret.
    Defer,
    /// An environment entry's `value`: kept back as the host names read from it, or left out.
    EnvValue,
}

/// What the writing of one value gave its parent.
#[derive(Debug, Default)]
struct Outcome {
    /// Nothing of it is to be kept: the parent removes the member.
    dropped: bool,
    /// A string kept back ([`Text::Defer`], [`Text::EnvValue`]): the parent writes it at its end.
    deferred: Option<String>,
    /// The value was a string that is a secret flag (`--token`), asked for in arrays.
    secret_flag: bool,
    /// The value was a string that is a secret key name (`DB_PASSWORD`), asked for `name`.
    secret_name: bool,
    /// The string as written, asked for the item's namespace and name.
    written: Option<String>,
    /// The value was `null`.
    null: bool,
    /// At [`Place::NodeImageName`]: whether windoctor keeps the string as a pause image's name.
    pause_name: Option<bool>,
    /// At [`Place::NodeImageNames`], an array: whether every element was a string, and whether
    /// windoctor keeps one of them.
    names: Option<(bool, bool)>,
    /// At [`Place::NodeImage`]: an entry windoctor does not read (an object with at most one
    /// `names`, null or strings none of which windoctor keeps), left out of the list.
    unread_image: bool,
}

/// What the whole item's writing shares.
struct Ctx<'a> {
    out: &'a mut Vec<u8>,
    names: ItemNames,
    api_version: &'a str,
    kind: &'a str,
    /// Whether a value at [`Place::Plain`] may be copied as it was sent when the rules would
    /// change nothing in it ([`copies_as_is`]); off inside a value the rules have to read.
    whole_copies: bool,
}

/// Which facts about a string value the parent wants back.
#[derive(Debug, Clone, Copy, Default)]
struct Asks {
    flag: bool,
    name: bool,
    written: bool,
}

/// Reads one value and writes it sanitized.
struct ValueSeed<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    /// The key of the member this value is (empty in arrays and at the top).
    key: &'c str,
    place: Place,
    text: Text,
    asks: Asks,
    /// A comma to write before the value (array elements after the first).
    comma: bool,
}

impl<'c, 'a> ValueSeed<'c, 'a> {
    fn new(ctx: &'c mut Ctx<'a>, place: Place, text: Text) -> Self {
        ValueSeed {
            ctx,
            key: "",
            place,
            text,
            asks: Asks::default(),
            comma: false,
        }
    }

    /// A string value; `plain` when its JSON text had no escapes, so that it is written back as
    /// it was read (serde_json escapes only what valid JSON text cannot hold unescaped).
    fn string(self, s: &str, plain: bool) -> Outcome {
        let mut outcome = Outcome {
            secret_flag: self.asks.flag && is_secret_flag(s),
            secret_name: self.asks.name && is_secret_key(s),
            pause_name: (self.place == Place::NodeImageName).then(|| is_kept_node_image_name(s)),
            ..Outcome::default()
        };
        let hide = match self.text {
            Text::Hide => true,
            Text::HideIfSecretKey => is_secret_key(self.key),
            Text::Redact | Text::Defer | Text::EnvValue => false,
        };
        match self.text {
            _ if hide => write_str(self.ctx.out, REDACTED),
            Text::Redact | Text::HideIfSecretKey | Text::Hide => {
                let redacted = redact_cow(s);
                match &redacted {
                    Cow::Borrowed(same) if plain => write_plain_str(self.ctx.out, same),
                    _ => write_str(self.ctx.out, &redacted),
                }
                if self.asks.written {
                    outcome.written = Some(redacted.into_owned());
                }
            }
            Text::Defer => outcome.deferred = Some(s.to_string()),
            Text::EnvValue => {
                let kept = dns_candidates(s);
                if kept.is_empty() {
                    outcome.dropped = true;
                } else {
                    outcome.deferred = Some(kept.join(" "));
                }
            }
        }
        outcome
    }

    /// A value other than a string: an environment entry's `value` that is not a string is left
    /// out (as the Value path removes it).
    fn other(&self) -> Outcome {
        Outcome {
            dropped: self.text == Text::EnvValue,
            ..Outcome::default()
        }
    }

    fn number<N: serde::Serialize>(self, n: N) -> Result<Outcome, serde_json::Error> {
        serde_json::to_writer(&mut *self.ctx.out, &n)?;
        Ok(self.other())
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Outcome;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Outcome, D::Error> {
        if self.comma {
            self.ctx.out.push(b',');
        }
        if self.place == Place::Plain && self.ctx.whole_copies {
            let raw = <&'de RawValue>::deserialize(deserializer)?;
            return self.plain_value(raw.get()).map_err(de_error);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> ValueSeed<'_, '_> {
    /// A value at [`Place::Plain`], as the API sent it (valid JSON: serde_json read it as a raw
    /// value). Most of a pod is such values (its status, volumes, probes, tolerations), and
    /// most hold nothing the rules change: those are copied as they are, instead of read and
    /// written again member by member. Strings without escapes are written as [`Self::string`]
    /// writes them; anything else is read by the rules, with no copies inside.
    fn plain_value(self, raw: &'de str) -> serde_json::Result<Outcome> {
        match raw.as_bytes().first() {
            Some(b'{' | b'[') if copies_as_is(raw) => {
                self.ctx.out.extend_from_slice(raw.as_bytes());
                Ok(self.other())
            }
            Some(b'"') if !raw.as_bytes().contains(&b'\\') => {
                let text = raw.get(1..raw.len() - 1).unwrap_or_default();
                Ok(self.string(text, true))
            }
            _ => {
                let ValueSeed {
                    ctx,
                    key,
                    place,
                    text,
                    asks,
                    comma: _,
                } = self;
                ctx.whole_copies = false;
                let mut de = serde_json::Deserializer::from_str(raw);
                let seed = ValueSeed {
                    ctx: &mut *ctx,
                    key,
                    place,
                    text,
                    asks,
                    comma: false,
                };
                let done = seed.deserialize(&mut de);
                ctx.whole_copies = true;
                done
            }
        }
    }
}

/// Whether the rules would write `raw`, the text of a valid JSON object or array at
/// [`Place::Plain`], with nothing changed but its spelling (member order, escapes, numbers), so
/// that it can be copied as it is. That holds when none of its strings is one the rules change:
/// every string is one [`redact_cow`] leaves alone and no secret flag (whose next element an
/// array hides); no member with a string value has a key that names a secret (the value is
/// hidden), and no `name` member a string value that does (its object's `value` is hidden). A
/// `false` only means the rules read it. Escaped strings are judged by their decoded text.
fn copies_as_is(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let next_token = |from: usize| {
        bytes
            .get(from..)
            .and_then(|rest| rest.iter().position(|b| !b.is_ascii_whitespace()))
            .map(|skipped| from + skipped)
    };
    let mut at = 0;
    // The string value that follows is a `name` member's.
    let mut value_of_name = false;
    while let Some(quote) = bytes.get(at..).and_then(|rest| memchr::memchr(b'"', rest)) {
        let start = at + quote + 1;
        let (mut end, mut escaped) = (start, false);
        loop {
            match bytes
                .get(end..)
                .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
            {
                Some(found) if bytes[end + found] == b'\\' => {
                    escaped = true;
                    end += found + 2;
                }
                Some(found) => {
                    end += found;
                    break;
                }
                None => return false,
            }
        }
        let Some(spelled) = raw.get(start..end) else {
            return false;
        };
        let text: Cow<str> = if escaped {
            match raw.get(start - 1..=end).map(serde_json::from_str::<String>) {
                Some(Ok(decoded)) => Cow::Owned(decoded),
                _ => return false,
            }
        } else {
            Cow::Borrowed(spelled)
        };
        at = end + 1;
        let after = next_token(at);
        if after.map(|i| bytes[i]) == Some(b':') {
            // A key: what matters is whether its value is a string.
            let string_value = after
                .and_then(|colon| next_token(colon + 1))
                .is_some_and(|i| bytes[i] == b'"');
            if string_value && is_secret_key(&text) {
                return false;
            }
            value_of_name = string_value && text == "name";
            continue;
        }
        if (value_of_name && is_secret_key(&text))
            || is_secret_flag(&text)
            || matches!(redact_cow(&text), Cow::Owned(_))
        {
            return false;
        }
        value_of_name = false;
    }
    true
}

/// A serde_json error as the deserializer's error.
fn de_error<E: serde::de::Error>(e: serde_json::Error) -> E {
    E::custom(e)
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Outcome;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Outcome, E> {
        self.ctx
            .out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(self.other())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Outcome, E> {
        self.number(v).map_err(de_error)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Outcome, E> {
        self.number(v).map_err(de_error)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Outcome, E> {
        self.number(v).map_err(de_error)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Outcome, E> {
        Ok(self.string(v, false))
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Outcome, E> {
        Ok(self.string(v, true))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Outcome, E> {
        self.ctx.out.extend_from_slice(b"null");
        Ok(Outcome {
            null: true,
            ..self.other()
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Outcome, A::Error> {
        let mut outcome = self.other();
        let place = self.place;
        let element = place.element();
        let ctx = self.ctx;
        ctx.out.push(b'[');
        let (mut first, mut after_secret_flag) = (true, false);
        let (mut all_strings, mut a_pause_name) = (true, false);
        loop {
            let mark = ctx.out.len();
            let seed = ValueSeed {
                ctx: &mut *ctx,
                key: "",
                place: element,
                text: if after_secret_flag {
                    Text::Hide
                } else {
                    Text::Redact
                },
                asks: Asks {
                    flag: true,
                    ..Asks::default()
                },
                comma: !first,
            };
            let Some(done) = seq.next_element_seed(seed)? else {
                break;
            };
            all_strings &= done.pause_name.is_some();
            a_pause_name |= done.pause_name == Some(true);
            if done.unread_image {
                ctx.out.truncate(mark);
                continue;
            }
            first = false;
            after_secret_flag = done.secret_flag;
        }
        ctx.out.push(b']');
        if place == Place::NodeImageNames {
            outcome.names = Some((all_strings, a_pause_name));
        }
        Ok(outcome)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outcome, A::Error> {
        let outcome = self.other();
        let place = self.place;
        let ctx = self.ctx;
        ctx.out.push(b'{');
        let mut first = true;
        let (mut kept_back, mut secret_entry) = (None::<String>, false);
        let (mut has_api_version, mut has_kind) = (false, false);
        // An image entry's `names` members, and whether they leave it unread by windoctor.
        let (mut names_members, mut names_unread) = (0u32, true);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let Some(child) = place.member(&key) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let text = if place == Place::EnvEntry && key == "value" {
                Text::EnvValue
            } else if key == "value" {
                Text::Defer
            } else {
                Text::HideIfSecretKey
            };
            let mark = ctx.out.len();
            if !first {
                ctx.out.push(b',');
            }
            match &key {
                // Borrowed: the key's text had no escapes, and is written back as it was read.
                Cow::Borrowed(plain) => write_plain_str(ctx.out, plain),
                Cow::Owned(escaped) => write_str(ctx.out, escaped),
            }
            ctx.out.push(b':');
            let asks = Asks {
                flag: false,
                name: key == "name",
                written: (place == Place::Metadata && (key == "name" || key == "namespace"))
                    || (place == Place::PodSpec && key == "nodeName"),
            };
            let seed = ValueSeed {
                ctx: &mut *ctx,
                key: &key,
                place: child,
                text,
                asks,
                comma: false,
            };
            let done = map.next_value_seed(seed)?;
            if key == "name" {
                secret_entry = done.secret_name;
            }
            if child == Place::NodeImageNames {
                names_members += 1;
                names_unread &= done.null || done.names.is_some_and(|(all, pause)| all && !pause);
            }
            let left_out = done.dropped || done.deferred.is_some();
            if key == "value" {
                kept_back = done.deferred;
            }
            if done.written.is_some() {
                match (place, key.as_ref()) {
                    (Place::PodSpec, _) => ctx.names.node_name = done.written,
                    (_, "name") => ctx.names.name = done.written,
                    _ => ctx.names.namespace = done.written,
                }
            }
            if left_out {
                ctx.out.truncate(mark);
                continue;
            }
            first = false;
            if matches!(place, Place::Root(_)) {
                has_api_version |= key == "apiVersion";
                has_kind |= key == "kind";
            }
        }
        let mut member = |out: &mut Vec<u8>, key: &str, value: &str| {
            if !first {
                out.push(b',');
            }
            first = false;
            write_str(out, key);
            out.push(b':');
            write_str(out, value);
        };
        if let Some(value) = kept_back {
            let value = if secret_entry {
                Cow::Borrowed(REDACTED)
            } else {
                redact_cow(&value)
            };
            member(ctx.out, "value", &value);
        }
        if matches!(place, Place::Root(_)) {
            if !has_api_version {
                member(ctx.out, "apiVersion", &redact_cow(ctx.api_version));
            }
            if !has_kind {
                member(ctx.out, "kind", &redact_cow(ctx.kind));
            }
        }
        ctx.out.push(b'}');
        Ok(Outcome {
            unread_image: place == Place::NodeImage && names_members <= 1 && names_unread,
            ..outcome
        })
    }
}

/// Reads an object key, borrowed from the text when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// Writes `s`, read from JSON text without escapes, as it was: such text holds nothing that
/// serde_json would escape (quotes, backslashes, control characters).
fn write_plain_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// A whole list (`{"apiVersion":"v1","kind":"List","items":[...]}`) of items held as values (the
/// few ConfigMaps, merged and sorted before they are written), each sanitized as [`write_item`]
/// does it.
pub fn write_list(
    items: &[serde_json::Value],
    kind: &str,
    api_version: &str,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[".to_vec();
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_item(&item.to_string(), kind, api_version, &mut out)?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// Writes `s` as a JSON string, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail, and a &str always serializes.
    let _ = serde_json::to_writer(out, s);
}

/// The rules as capture applied them before this writer, on a `serde_json::Value`: kept as the
/// reference the tests hold the writer to.
#[cfg(test)]
mod reference {
    use serde_json::{json, Value};

    /// An item of a list, completed and sanitized, as it is written.
    pub fn item(mut item: Value, kind: &str, api_version: &str) -> Value {
        if let Some(obj) = item.as_object_mut() {
            obj.entry("apiVersion")
                .or_insert_with(|| json!(api_version));
            obj.entry("kind").or_insert_with(|| json!(kind));
        }
        sanitize_object(&mut item, kind);
        crate::redact::redact_json(item)
    }

    /// Drops the parts of an object windoctor never reads and that may hold secrets.
    fn sanitize_object(item: &mut Value, kind: &str) {
        if let Some(meta) = item.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                ann.retain(|k, _| crate::facts::k8s::is_allowed_annotation(k));
            }
        }
        match kind {
            "Pod" => strip_env(item.get_mut("spec")),
            "DaemonSet" => strip_env(item.pointer_mut("/spec/template/spec")),
            "ConfigMap" => {
                if let Some(obj) = item.as_object_mut() {
                    obj.remove("binaryData");
                    if let Some(data) = obj.get_mut("data").and_then(Value::as_object_mut) {
                        data.retain(|k, _| crate::facts::k8s::is_allowed_configmap_key(k));
                    }
                }
            }
            _ => {}
        }
    }

    /// Environment values are replaced by the service-like host names windoctor reads from them.
    fn strip_env(spec: Option<&mut Value>) {
        let Some(spec) = spec else { return };
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
                continue;
            };
            for c in containers {
                let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) else {
                    continue;
                };
                for var in env {
                    let Some(obj) = var.as_object_mut() else {
                        continue;
                    };
                    if let Some(Value::String(v)) = obj.remove("value") {
                        let kept = crate::facts::k8s::dns_candidates(&v);
                        if !kept.is_empty() {
                            obj.insert("value".into(), Value::String(kept.join(" ")));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reference as sanitize;
    use super::*;
    use serde_json::{json, Value};

    /// The streamed result, parsed back, and the Value path's result.
    fn both(item: &Value, kind: &str) -> (Value, Value, ItemNames) {
        let raw = item.to_string();
        let mut out = Vec::new();
        let names = write_item(&raw, kind, "v1", &mut out).expect("valid JSON is written");
        let streamed: Value = serde_json::from_slice(&out).expect("the output is JSON");
        let by_value = sanitize::item(item.clone(), kind, "v1");
        (streamed, by_value, names)
    }

    fn assert_same(item: Value, kind: &str) -> Value {
        let (streamed, by_value, _) = both(&item, kind);
        assert_eq!(streamed, by_value, "kind {kind}, item {item}");
        streamed
    }

    /// A Node's `status.images` as the kubelet reports them (largest first, a digest name and a
    /// tag name per image; the AKS Windows pause image as `mcr.microsoft.com/oss/kubernetes/pause`),
    /// with the odd shapes the facts accept (`names` null or missing) and one secret planted.
    fn node_with_images() -> Value {
        json!({
            "metadata": {"name": "akswin000001", "labels": {"kubernetes.io/os": "windows"}},
            "status": {
                "images": [
                    {"names": ["mcr.microsoft.com/windows/servercore@sha256:9a2b", "mcr.microsoft.com/windows/servercore:ltsc2022"], "sizeBytes": 2_000_000_000u64},
                    {"names": ["mcr.microsoft.com/oss/kubernetes/pause@sha256:4f1a", "mcr.microsoft.com/oss/kubernetes/pause:3.9"], "sizeBytes": 300_000_000u64},
                    {"names": null, "sizeBytes": 1},
                    {"sizeBytes": 2},
                    {"names": ["registry.example/app:1?token=hunter2"], "sizeBytes": 3},
                    {"names": ["docker.io/rancher/mirrored-pause:3.6"], "sizeBytes": 4},
                    {"names": ["registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097"], "sizeBytes": 5}
                ],
                "nodeInfo": {"kubeletVersion": "v1.31.2"}
            }
        })
    }

    #[test]
    fn an_archive_keeps_only_the_node_images_windoctor_reads() {
        let item = node_with_images();
        let raw = item.to_string();
        let mut out = Vec::new();
        let mut cursor = JsonCursor::new(&raw);
        write_item_at(&mut cursor, "Node", "v1", Unread::LeftOut, &mut out).expect("written");
        let trimmed: Value = serde_json::from_slice(&out).expect("the output is JSON");
        let names: Vec<String> = trimmed["status"]["images"]
            .as_array()
            .expect("images")
            .iter()
            .flat_map(|i| i["names"].as_array().cloned().unwrap_or_default())
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect();
        assert_eq!(
            names,
            [
                "mcr.microsoft.com/oss/kubernetes/pause@sha256:4f1a",
                "mcr.microsoft.com/oss/kubernetes/pause:3.9",
                "docker.io/rancher/mirrored-pause:3.6"
            ]
        );
        assert!(!String::from_utf8_lossy(&out).contains("hunter2"));
        // What windoctor reads of the node is the same as from the node the API sent.
        let read = |v: &Value| {
            serde_json::from_value::<crate::facts::k8s::Node>(v.clone()).expect("a Node")
        };
        assert_eq!(read(&trimmed), read(&item));
        assert_eq!(trimmed["status"]["nodeInfo"], item["status"]["nodeInfo"]);

        // A full capture keeps every entry, as the sanitizing rules alone do.
        let mut full = Vec::new();
        let mut cursor = JsonCursor::new(&raw);
        write_item_at(&mut cursor, "Node", "v1", Unread::Kept, &mut full).expect("written");
        let full: Value = serde_json::from_slice(&full).expect("JSON");
        assert_eq!(full, sanitize::item(item, "Node", "v1"));
    }

    #[test]
    fn image_entries_of_other_shapes_are_kept_for_the_reader_to_judge() {
        for entry in [
            json!({"names": "mcr.microsoft.com/windows/nanoserver:ltsc2022"}),
            json!({"names": [7]}),
            json!("mcr.microsoft.com/windows/nanoserver:ltsc2022"),
            json!({"names": ["a:1"], "names ": ["b:1"], "sizeBytes": 1}),
        ] {
            let item = json!({"metadata": {"name": "n"}, "status": {"images": [entry.clone()]}});
            let mut out = Vec::new();
            let raw = item.to_string();
            write_item_at(
                &mut JsonCursor::new(&raw),
                "Node",
                "v1",
                Unread::LeftOut,
                &mut out,
            )
            .expect("written");
            let written: Value = serde_json::from_slice(&out).expect("JSON");
            let kept = written["status"]["images"].as_array().map(Vec::len);
            // The last entry's second key differs from `names`: it is an ordinary member, and
            // the entry names no pause image, so it is left out; the others are kept as sent.
            if entry.get("names ").is_some() {
                assert_eq!(kept, Some(0), "{entry}");
            } else {
                assert_eq!(kept, Some(1), "{entry}");
            }
        }
        // Two `names` members: serde refuses the entry, so it stays for the reader to refuse.
        let raw =
            r#"{"metadata":{"name":"n"},"status":{"images":[{"names":["a:1"],"names":["b:1"]}]}}"#;
        let mut out = Vec::new();
        write_item_at(
            &mut JsonCursor::new(raw),
            "Node",
            "v1",
            Unread::LeftOut,
            &mut out,
        )
        .expect("written");
        assert!(String::from_utf8_lossy(&out).contains("b:1"));
    }

    /// A pod as the API serves it, with secrets planted where capture must not let them out.
    fn planted_pod() -> Value {
        json!({
            "metadata": {
                "name": "web-0", "namespace": "shop",
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"password\":\"hunter2\"}",
                    "experimental.windows.kubernetes.io/isolation-type": "hyperv",
                    "windoctor.io/ignore": "pause-image"
                },
                "labels": {"app": "web", "token": "abc"}
            },
            "spec": {
                "nodeName": "akswin000001",
                "containers": [{
                    "name": "web",
                    "image": "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022",
                    "args": ["--token", "s3cr3t", "--port=80", "-Password", "P@ss", "--verbose"],
                    "command": ["powershell", "-Command", "curl -u admin:hunter2 http://x"],
                    "env": [
                        {"name": "DB_HOST", "value": "postgres.shop.svc:5432"},
                        {"name": "DB_PASSWORD", "value": "db.shop"},
                        {"value": "redis.cache", "name": "API_TOKEN"},
                        {"name": "GREETING", "value": "hello world"},
                        {"name": "COUNT", "value": 3},
                        {"name": "FROM", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
                    ]
                }],
                "initContainers": [{"name": "init", "env": [{"name": "URL", "value": "https://user:pw@repo.example.com"}]}],
                "imagePullSecrets": [{"name": "regcred"}]
            },
            "status": {
                "phase": "Running",
                "message": "Authorization: Bearer abcdefghijklmnop",
                "containerStatuses": [{"name": "web", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}, "restartCount": 2, "ratio": 0.5}]
            }
        })
    }

    #[test]
    fn a_pod_with_planted_secrets_comes_out_as_the_value_path_writes_it() {
        let out = assert_same(planted_pod(), "Pod");
        let text = out.to_string();
        for secret in [
            "hunter2",
            "s3cr3t",
            "P@ss",
            "abcdefghijklmnop",
            "managedFields",
            ":pw@",
        ] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert_eq!(out["apiVersion"], "v1");
        assert_eq!(out["kind"], "Pod");
        let env = &out["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], "postgres.shop.svc");
        assert_eq!(env[1]["value"], REDACTED);
        assert_eq!(env[2]["value"], REDACTED);
        assert!(env[3].get("value").is_none());
        assert!(env[4].get("value").is_none());
    }

    #[test]
    fn lists_are_written_as_kubectl_does_without_secrets() {
        let pod = json!({
            "metadata": {"name": "web", "namespace": "default",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"secret\":1}", "team": "a"}},
            "spec": {"containers": [{"name": "c", "image": "i", "env": [
                {"name": "DB_PASSWORD", "value": "hunter2"},
                {"name": "CACHE", "value": "redis.cache:6379"},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]}]}
        });
        let bytes = write_list(&[pod], "Pod", "v1").expect("written");
        let list: Value = serde_json::from_slice(&bytes).expect("JSON");
        let text = list.to_string();
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("managedFields"));
        assert!(!text.contains("last-applied"));
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"][0]["kind"], "Pod");
        assert_eq!(
            list["items"][0]["spec"]["containers"][0]["env"][1]["value"],
            "redis.cache"
        );
        let cm = json!({"metadata": {"name": "kubeadm-config"},
            "data": {"ClusterConfiguration": "networking: {}", "token": "abcdef.0123456789abcdef"},
            "binaryData": {"x": "AAAA"}});
        let bytes = write_list(&[cm.clone(), cm], "ConfigMap", "v1").expect("written");
        let list: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(list["items"].as_array().map(Vec::len), Some(2));
        assert!(list["items"][0]["data"].get("token").is_none());
        assert!(list["items"][0].get("binaryData").is_none());
    }

    #[test]
    fn the_item_names_are_those_written() {
        let (_, _, names) = both(&planted_pod(), "Pod");
        assert_eq!(names.namespace.as_deref(), Some("shop"));
        assert_eq!(names.name.as_deref(), Some("web-0"));
        assert_eq!(names.node_name.as_deref(), Some("akswin000001"));
        let (_, _, names) = both(&json!({"metadata": {"name": "n1"}}), "Node");
        let only_name = ItemNames {
            name: Some("n1".into()),
            ..ItemNames::default()
        };
        assert_eq!(names, only_name);
    }

    #[test]
    fn daemonsets_configmaps_and_other_kinds_follow_their_rules() {
        let ds = json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "kube-proxy-windows", "namespace": "kube-system"},
            "spec": {"template": {"spec": {"containers": [{"name": "kube-proxy", "env": [
                {"name": "KUBERNETES_SERVICE_HOST", "value": "10.0.0.1"},
                {"name": "NODE", "value": "api.internal"}
            ]}]}}}
        });
        assert_same(ds, "DaemonSet");
        let cm = json!({
            "metadata": {"name": "kube-flannel-cfg", "namespace": "kube-flannel"},
            "data": {"net-conf.json": "{\"Network\":\"10.244.0.0/16\"}", "secret.txt": "x"},
            "binaryData": {"blob": "AAAA"}
        });
        let out = assert_same(cm, "ConfigMap");
        assert!(out["data"].get("secret.txt").is_none() && out.get("binaryData").is_none());
        // Outside a pod spec `env` has no special rule; only redaction applies.
        let svc = json!({"metadata": {"name": "s"}, "spec": {"env": [{"name": "X", "value": "a b"}],
            "ports": [{"port": 443, "weight": -1.25e3}], "selector": null, "x": [true, false, []], "y": {}}});
        assert_same(svc, "Service");
        // Not an object: only redaction.
        assert_same(json!(["--password", "x", 1]), "Service");
        assert_same(json!("Bearer abcdefghijkl"), "Pod");
    }

    #[test]
    fn escaped_keys_and_strings_are_read_and_written_as_json() {
        let raw = r#"{"metadata":{"na\u006de":"a\"b\\c\u00e9\n","annotations":{"x\/y":"z"}},"k\"ey":"tab\there"}"#;
        let item: Value = serde_json::from_str(raw).expect("test JSON");
        let mut out = Vec::new();
        let names = write_item(raw, "Node", "v1", &mut out).expect("written");
        let streamed: Value = serde_json::from_slice(&out).expect("JSON");
        assert_eq!(streamed, sanitize::item(item, "Node", "v1"));
        assert_eq!(names.name.as_deref(), Some("a\"b\\c\u{e9}\n"));
    }

    /// A value at a plain place is copied as sent when the rules change nothing in it, and read by
    /// the rules when they would change something anywhere inside it, however deep.
    #[test]
    fn plain_values_are_copied_as_sent_only_when_the_rules_change_nothing() {
        // As the API server spells it: members in its order, `1.50`, an escaped Windows path.
        let clean = r#"{"metadata":{"name":"w"},"status":{"phase":"Running","ratio":1.50,"path":"C:\\var\\run","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-11-11T23:37:04Z"}]}}"#;
        let mut out = Vec::new();
        write_item(clean, "Pod", "v1", &mut out).expect("written");
        let text = String::from_utf8(out).expect("UTF-8");
        let status = &clean[clean.find(r#""status""#).expect("status")..clean.len() - 1];
        assert!(text.contains(status), "{status} not copied as sent: {text}");

        // Each holds, somewhere in a plain value, one thing the rules hide.
        let planted = [
            (
                r#"{"spec":{"params":[{"name":"DB_PASSWORD","value":"hunter2"}]}}"#,
                "hunter2",
            ),
            (
                r#"{"spec":{"params":[{"value":"hunter2","name":"API_TOKEN"}]}}"#,
                "hunter2",
            ),
            (r#"{"spec":{"x":{"y":{"password":"hunter2"}}}}"#, "hunter2"),
            (r#"{"spec":{"args":[["--token","hunter2"]]}}"#, "hunter2"),
            (
                r#"{"status":{"message":"Authorization: Bearer hunter2hunter2"}}"#,
                "hunter2",
            ),
            (r#"{"status":{"m":"pass\u0077ord=hunter2"}}"#, "hunter2"),
            (r#"{"status":{"pass\u0077ord":"hunter2"}}"#, "hunter2"),
        ];
        for (raw, secret) in planted {
            let item: Value = serde_json::from_str(raw).expect("test JSON");
            for kind in ["Pod", "Service"] {
                let written = assert_same(item.clone(), kind).to_string();
                assert!(!written.contains(secret), "{secret} left in {written}");
                let mut out = Vec::new();
                write_item(raw, kind, "v1", &mut out).expect("written");
                let text = String::from_utf8(out).expect("UTF-8");
                assert!(!text.contains(secret), "{secret} left in {text}");
            }
        }
    }

    #[test]
    fn invalid_json_is_an_error_not_a_partial_item() {
        for raw in [r#"{"a":"#, r#"{"a":1}}"#, "", r#"{"a":tru}"#, r#"[1,]"#] {
            let mut out = Vec::new();
            assert!(write_item(raw, "Pod", "v1", &mut out).is_err(), "{raw}");
        }
    }

    /// Random JSON from a small alphabet of keys (those the rules name, secret names and flags)
    /// and strings, so every rule meets every shape, compared with the Value path.
    #[test]
    fn random_items_come_out_as_the_value_path_writes_them() {
        const KEYS: [&str; 22] = [
            "metadata",
            "spec",
            "template",
            "containers",
            "initContainers",
            "env",
            "name",
            "value",
            "annotations",
            "managedFields",
            "data",
            "binaryData",
            "namespace",
            "password",
            "auth",
            "x",
            "net-conf.json",
            "windoctor.io/ignore",
            "status",
            "items",
            "apiVersion",
            "kind",
        ];
        const TEXTS: [&str; 12] = [
            "--token",
            "-Password",
            "plain",
            "DB_PASSWORD",
            "db.shop",
            "redis.cache:6379",
            "token=abc123",
            "http://u:p@h",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
            "",
            "x\"y\\z",
            "API_KEY",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        fn build(depth: u32, next: &mut dyn FnMut(usize) -> usize) -> Value {
            let pick = if depth == 0 { next(4) } else { next(7) };
            match pick {
                0 => Value::String(TEXTS[next(TEXTS.len())].to_string()),
                1 => json!(next(1000) as i64 - 500),
                2 => Value::Bool(next(2) == 0),
                3 => Value::Null,
                4 => json!(next(1000) as f64 / 8.0),
                5 => Value::Array((0..next(5)).map(|_| build(depth - 1, next)).collect()),
                _ => {
                    let mut map = serde_json::Map::new();
                    for _ in 0..next(6) {
                        map.insert(KEYS[next(KEYS.len())].to_string(), build(depth - 1, next));
                    }
                    Value::Object(map)
                }
            }
        }
        for round in 0..3000 {
            let item = build(6, &mut next);
            let kind = ["Pod", "DaemonSet", "ConfigMap", "Node"][round % 4];
            assert_same(item, kind);
        }
    }
}
