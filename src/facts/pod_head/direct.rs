//! The head of a pod read straight from the page text, in one structural pass.
//!
//! [`PodHead::read_copied`] copies the head's members out of the pod (`json_scan::prune`) and
//! parses the copy with serde_json: every pod's head is walked twice, and its strings are copied
//! once before being borrowed. [`read`] (what [`PodHead::read_at`] tries first) walks the pod once
//! with the same structural scanner, skips what the head does not read as `prune` does, and takes
//! the head's strings straight from the text. It reads only the plain shape the API server writes: each member once, keys and the strings it
//! keeps without escapes or control characters, names within [`MAX_NAME_BYTES`], labels as objects
//! of strings, lists as arrays of objects. Anything else (a `null` where a struct is read, a number
//! where a string is, a key given twice, an escape) gives `None`, and the caller reads the pod as
//! before, so that what is accepted, refused and said is the copy-and-parse reader's. The members
//! whose shape is richer (annotations, affinity, OS, `windowsOptions`) are parsed by serde_json
//! from their own text with the deserializers the copy is parsed with. The tests compare the two
//! readers on every fixture pod, on generated pods and on mutated ones.

use super::{HeadContainer, HeadContainerStatus, HeadLabels, HeadMeta, HeadSecurityContext};
use super::{HeadSpec, HeadState, HeadStatus, PodHead};
use crate::facts::json_scan::{skip_whitespace, value_end};
use crate::facts::k8s::{allowed_annotations, MAX_NAME_BYTES};
use serde::Deserialize;
use std::borrow::Cow;

/// The head of the pod whose JSON starts at byte `start` of `text`, with the offset just past the
/// pod, when the pod has the plain shape (see the module documentation); `None` otherwise.
pub(super) fn read(text: &str, start: usize) -> Option<(PodHead<'_>, usize)> {
    let mut head = PodHead::default();
    let mut seen = Seen::default();
    let end = members(text, start, |key, at| match key {
        "metadata" => seen.read(0, &mut head.metadata, metadata(text, at)),
        "spec" => seen.read(1, &mut head.spec, spec(text, at)),
        "status" => seen.read(2, &mut head.status, status(text, at)),
        _ => skip(text, at),
    })?;
    Some((head, end))
}

/// Which members of one object were met (at most 16), to refuse a key given twice: the derived
/// deserializers the copy is parsed with refuse it too.
#[derive(Default)]
struct Seen(u16);

impl Seen {
    /// The member numbered `bit`, read as `read`, stored in `slot` the first time it is met, with
    /// the offset just past it; `None` when it was met before or could not be read.
    fn read<T>(&mut self, bit: u32, slot: &mut T, read: Option<(T, usize)>) -> Option<usize> {
        let mask = 1u16 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        let (value, end) = read?;
        *slot = value;
        Some(end)
    }
}

/// Just past the value at `pos`, a member the head does not read.
fn skip(text: &str, pos: usize) -> Option<usize> {
    value_end(text.as_bytes(), pos).ok()
}

/// Walks the object at `start` (after no whitespace): `member` is given each key (without
/// escapes, else `None`) and the offset of its value, and gives the offset just past the value.
/// Gives the offset just past the object.
fn members<'t>(
    text: &'t str,
    start: usize,
    mut member: impl FnMut(&'t str, usize) -> Option<usize>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'{') {
        return None;
    }
    let mut pos = skip_whitespace(bytes, start + 1);
    if bytes.get(pos) == Some(&b'}') {
        return Some(pos + 1);
    }
    loop {
        let (key, key_end) = plain_string(text, pos)?;
        let colon = skip_whitespace(bytes, key_end);
        if bytes.get(colon) != Some(&b':') {
            return None;
        }
        let value = skip_whitespace(bytes, colon + 1);
        pos = skip_whitespace(bytes, member(key, value)?);
        match bytes.get(pos) {
            Some(b',') => pos = skip_whitespace(bytes, pos + 1),
            Some(b'}') => return Some(pos + 1),
            _ => return None,
        }
    }
}

/// Walks the array at `start`: `element` is given the offset of each element and gives the offset
/// just past it. `null` is an empty list, as the head's lists read it. Gives the offset just past
/// the array.
fn elements(
    text: &str,
    start: usize,
    mut element: impl FnMut(usize) -> Option<usize>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    if let Some(end) = null_at(bytes, start) {
        return Some(end);
    }
    if bytes.get(start) != Some(&b'[') {
        return None;
    }
    let mut pos = skip_whitespace(bytes, start + 1);
    if bytes.get(pos) == Some(&b']') {
        return Some(pos + 1);
    }
    loop {
        pos = skip_whitespace(bytes, element(pos)?);
        match bytes.get(pos) {
            Some(b',') => pos = skip_whitespace(bytes, pos + 1),
            Some(b']') => return Some(pos + 1),
            _ => return None,
        }
    }
}

/// The string at `pos` as it is in the text, when it has no escapes and no control characters
/// (which serde_json refuses), with the offset just past it. Most strings the head reads (keys,
/// names, labels) are short: one loop finds the closing quote and looks at every byte on the way;
/// a longer string's end is found by `memchr`.
fn plain_string(text: &str, pos: usize) -> Option<(&str, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(pos) != Some(&b'"') {
        return None;
    }
    let start = pos + 1;
    let rest = bytes.get(start..)?;
    let short = rest.len().min(32);
    let mut len = 0;
    while len < short {
        match rest[len] {
            b'"' => return Some((text.get(start..start + len)?, start + len + 1)),
            b'\\' | 0..=0x1f => return None,
            _ => len += 1,
        }
    }
    let len = len + memchr::memchr2(b'"', b'\\', &rest[len..])?;
    if rest[len] != b'"' || rest[short..len].iter().any(|&b| b < 0x20) {
        return None;
    }
    Some((text.get(start..start + len)?, start + len + 1))
}

/// Just past the `null` at `pos`, if there is one.
fn null_at(bytes: &[u8], pos: usize) -> Option<usize> {
    let end = pos + 4;
    (bytes.get(pos..end) == Some(b"null".as_slice())
        && !bytes.get(end).is_some_and(u8::is_ascii_alphanumeric))
    .then_some(end)
}

/// An optional string member (`null` is none), as `Option<String>` reads it.
fn optional_string(text: &str, pos: usize) -> Option<(Option<String>, usize)> {
    if let Some(end) = null_at(text.as_bytes(), pos) {
        return Some((None, end));
    }
    let (s, end) = plain_string(text, pos)?;
    Some((Some(s.to_string()), end))
}

/// An object name (`optional_object_name`): a string of at most [`MAX_NAME_BYTES`], or `null`.
fn optional_name(text: &str, pos: usize) -> Option<(Option<String>, usize)> {
    let (name, end) = optional_string(text, pos)?;
    if name.as_ref().is_some_and(|n| n.len() > MAX_NAME_BYTES) {
        return None;
    }
    Some((name, end))
}

/// An object's own name (`object_name`): as [`optional_name`], `null` the empty name.
fn name(text: &str, pos: usize) -> Option<(String, usize)> {
    let (name, end) = optional_name(text, pos)?;
    Some((name.unwrap_or_default(), end))
}

/// A borrowed string member (`Cow<str>`, `TransientStr`).
fn borrowed(text: &str, pos: usize) -> Option<(Cow<'_, str>, usize)> {
    let (s, end) = plain_string(text, pos)?;
    Some((Cow::Borrowed(s), end))
}

/// Labels or a node selector: an object of strings, in text order; `null` is none
/// (`null_as_default`). The pairs are kept as they come, a key given twice twice, as
/// [`HeadLabels`] keeps them.
fn labels(text: &str, pos: usize) -> Option<(HeadLabels<'_>, usize)> {
    if let Some(end) = null_at(text.as_bytes(), pos) {
        return Some((HeadLabels::default(), end));
    }
    let mut pairs = Vec::new();
    let end = members(text, pos, |key, at| {
        let (value, end) = plain_string(text, at)?;
        pairs.push((Cow::Borrowed(key), Cow::Borrowed(value)));
        Some(end)
    })?;
    Some((HeadLabels(pairs), end))
}

/// The value at `pos` read by serde_json with `read` from its own text, with the offset just past
/// it: for the members whose shape is richer than the plain one this module reads.
fn parsed<'t, T>(
    text: &'t str,
    pos: usize,
    read: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::StrRead<'t>>,
    ) -> serde_json::Result<T>,
) -> Option<(T, usize)> {
    let end = value_end(text.as_bytes(), pos).ok()?;
    let mut de = serde_json::Deserializer::from_str(text.get(pos..end)?);
    let value = read(&mut de).ok()?;
    de.end().ok()?;
    Some((value, end))
}

fn metadata(text: &str, pos: usize) -> Option<(HeadMeta<'_>, usize)> {
    let mut meta = HeadMeta::default();
    let mut seen = Seen::default();
    let end = members(text, pos, |key, at| match key {
        "name" => seen.read(0, &mut meta.name, name(text, at)),
        "namespace" => seen.read(1, &mut meta.namespace, optional_name(text, at)),
        "labels" => seen.read(2, &mut meta.labels, labels(text, at)),
        "annotations" => seen.read(
            3,
            &mut meta.annotations,
            parsed(text, at, |de| allowed_annotations(de)),
        ),
        _ => skip(text, at),
    })?;
    Some((meta, end))
}

fn spec(text: &str, pos: usize) -> Option<(HeadSpec<'_>, usize)> {
    let mut spec = HeadSpec::default();
    let mut seen = Seen::default();
    let end = members(text, pos, |key, at| match key {
        "nodeName" => seen.read(0, &mut spec.node_name, optional_name(text, at)),
        "nodeSelector" => seen.read(1, &mut spec.node_selector, labels(text, at)),
        "affinity" => seen.read(
            2,
            &mut spec.affinity,
            parsed(text, at, |de| Option::deserialize(de)),
        ),
        "os" => seen.read(
            3,
            &mut spec.os,
            parsed(text, at, |de| Option::deserialize(de)),
        ),
        "runtimeClassName" => seen.read(4, &mut spec.runtime_class_name, optional_string(text, at)),
        "securityContext" => seen.read(5, &mut spec.security_context, security_context(text, at)),
        "containers" => seen.read(6, &mut spec.containers, containers(text, at)),
        "initContainers" => seen.read(7, &mut spec.init_containers, containers(text, at)),
        _ => skip(text, at),
    })?;
    Some((spec, end))
}

/// A pod's or a container's `securityContext`: only `windowsOptions`, parsed by serde_json.
fn security_context(text: &str, pos: usize) -> Option<(Option<HeadSecurityContext>, usize)> {
    if let Some(end) = null_at(text.as_bytes(), pos) {
        return Some((None, end));
    }
    let mut context = HeadSecurityContext::default();
    let mut seen = Seen::default();
    let end = members(text, pos, |key, at| match key {
        "windowsOptions" => seen.read(
            0,
            &mut context.windows_options,
            parsed(text, at, |de| Option::deserialize(de)),
        ),
        _ => skip(text, at),
    })?;
    Some((Some(context), end))
}

fn containers(text: &str, pos: usize) -> Option<(Vec<HeadContainer<'_>>, usize)> {
    let mut list = Vec::new();
    let end = elements(text, pos, |at| {
        let mut container = HeadContainer::default();
        let mut seen = Seen::default();
        let end = members(text, at, |key, at| match key {
            "name" => seen.read(0, &mut container.name, borrowed(text, at)),
            "image" => seen.read(1, &mut container.image, borrowed(text, at)),
            "securityContext" => seen.read(
                2,
                &mut container.security_context,
                security_context(text, at),
            ),
            _ => skip(text, at),
        })?;
        list.push(container);
        Some(end)
    })?;
    Some((list, end))
}

fn status(text: &str, pos: usize) -> Option<(HeadStatus<'_>, usize)> {
    let mut status = HeadStatus::default();
    let mut seen = Seen::default();
    let end = members(text, pos, |key, at| match key {
        "phase" => seen.read(0, &mut status.phase, optional_string(text, at)),
        "containerStatuses" => seen.read(
            1,
            &mut status.container_statuses,
            container_statuses(text, at),
        ),
        _ => skip(text, at),
    })?;
    Some((status, end))
}

fn container_statuses(text: &str, pos: usize) -> Option<(Vec<HeadContainerStatus<'_>>, usize)> {
    let mut list = Vec::new();
    let end = elements(text, pos, |at| {
        let mut entry = HeadContainerStatus::default();
        let mut seen = Seen::default();
        let end = members(text, at, |key, at| match key {
            "name" => seen.read(0, &mut entry.name, borrowed(text, at)),
            "state" => seen.read(1, &mut entry.state, state(text, at)),
            _ => skip(text, at),
        })?;
        list.push(entry);
        Some(end)
    })?;
    Some((list, end))
}

/// A container's `state`: whether `running` holds anything but `null` (`presence`).
fn state(text: &str, pos: usize) -> Option<(HeadState, usize)> {
    let mut state = HeadState::default();
    let mut seen = Seen::default();
    let end = members(text, pos, |key, at| match key {
        "running" => seen.read(0, &mut state.running, presence(text, at)),
        _ => skip(text, at),
    })?;
    Some((state, end))
}

/// `Some(null)` when the value at `pos` is anything but `null`, as `presence` reads it (which has
/// serde_json check the value): an object of plain strings (`{"startedAt":"..."}`) is checked here,
/// anything else by serde_json.
fn presence(text: &str, pos: usize) -> Option<(Option<serde_json::Value>, usize)> {
    let present = |seen: bool| seen.then_some(serde_json::Value::Null);
    if let Some(end) = null_at(text.as_bytes(), pos) {
        return Some((None, end));
    }
    let plain = members(text, pos, |_, at| {
        plain_string(text, at).map(|(_, end)| end)
    });
    match plain {
        Some(end) => Some((present(true), end)),
        None => {
            let (seen, end) = parsed(text, pos, |de| {
                Option::<serde::de::IgnoredAny>::deserialize(de)
            })?;
            Some((present(seen.is_some()), end))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::pod_head::fixtures::fixture_pods;

    /// What the one-pass reader gives for the pod at `start`, as the copy-and-parse reader's
    /// answer is printed: `None` when it leaves the pod to that reader.
    fn one_pass(text: &str, start: usize) -> Option<String> {
        read(text, start).map(|read| format!("{:?}", Ok::<_, String>(read)))
    }

    fn copied(text: &str, start: usize) -> String {
        format!(
            "{:?}",
            PodHead::read_copied(text, start).map_err(|e| e.to_string())
        )
    }

    /// Asserts that the one-pass reader gives what the copy-and-parse reader gives whenever it
    /// reads the pod at all, and says whether it did.
    fn agrees(text: &str, start: usize) -> bool {
        match one_pass(text, start) {
            Some(read) => {
                assert_eq!(read, copied(text, start), "{text}");
                true
            }
            None => false,
        }
    }

    fn compact(pod: &str) -> String {
        serde_json::from_str::<serde_json::Value>(pod)
            .expect("fixture JSON")
            .to_string()
    }

    #[test]
    fn every_fixture_pod_reads_as_the_copy_does() {
        let pods = fixture_pods();
        let mut read = 0;
        for pod in &pods {
            // Indented as in the bundles, compact as the API server sends it.
            for text in [pod.clone(), compact(pod)] {
                read += usize::from(agrees(&text, 0));
            }
        }
        // The fixtures have the plain shape: the reader must not leave them all to the copy.
        assert_eq!(read, 2 * pods.len(), "pods read in one pass");
    }

    #[test]
    fn generated_pods_read_as_the_copy_does() {
        let spec = windoctor_testkit::GenerateSpec::parse("nodes=200,pods=3000,seed=7")
            .expect("a generator spec");
        let mut pods = Vec::new();
        windoctor_testkit::generate::generate_into(&spec, &mut |kind, object| {
            if kind == windoctor_testkit::ResourceKind::Pods {
                pods.push(object.to_string());
            }
            Ok(())
        })
        .expect("generates");
        assert_eq!(pods.len(), 3000);
        for pod in &pods {
            assert!(agrees(pod, 0), "left to the copy: {pod}");
        }
    }

    #[test]
    fn the_end_is_just_past_the_pod_in_a_page() {
        let pod = r#"{"metadata":{"name":"a","namespace":"n"},"spec":{"nodeName":"w1"}}"#;
        let text = format!("[{pod}  ,{pod}]");
        let (head, end) = read(&text, 1).expect("plain");
        assert_eq!(&text[1..end], pod);
        assert_eq!(head.into_pod().spec.node_name.as_deref(), Some("w1"));
        assert!(agrees(&text, 1));
    }

    /// Shapes the reader leaves to the copy-and-parse reader, each next to the plain one it
    /// differs from; both readers are asked, and must agree whenever the one-pass reader answers.
    #[test]
    fn other_shapes_are_left_to_the_copy() {
        let left = [
            // An escape in a string the head keeps, or in a key.
            r#"{"metadata":{"name":"a\u0062"}}"#,
            r#"{"metadata":{"labels":{"app":"w\"eb"}}}"#,
            r#"{"metad\u0061ta":{"name":"a"}}"#,
            // A control character, which serde_json refuses.
            "{\"metadata\":{\"name\":\"a\u{1}b\"}}",
            // Types the head's structs refuse.
            r#"{"metadata":null}"#,
            r#"{"metadata":{"name":7}}"#,
            r#"{"spec":{"containers":{"name":"c"}}}"#,
            r#"{"spec":{"containers":[{"name":null}]}}"#,
            r#"{"status":{"containerStatuses":[{"name":"c","state":null}]}}"#,
            r#"{"spec":{"securityContext":"x"}}"#,
            // A key given twice, at every level the head reads.
            r#"{"metadata":{"name":"a"},"metadata":{"name":"b"}}"#,
            r#"{"metadata":{"name":"a","name":"b"}}"#,
            r#"{"spec":{"containers":[{"image":"a","image":"b"}]}}"#,
            r#"{"status":{"containerStatuses":[{"state":{"running":{},"running":null}}]}}"#,
            // Labels as a list of pairs (accepted by the copy).
            r#"{"metadata":{"labels":[["app","web"]]}}"#,
            // A name longer than Kubernetes allows.
            &format!(r#"{{"metadata":{{"name":"{}"}}}}"#, "a".repeat(254)),
            // Not a pod at all, or cut short.
            "null",
            r#"{"metadata":{"name":"a"}"#,
            r#"{"metadata":{"name":"a"},"x":[1}"#,
        ];
        for text in left {
            assert_eq!(one_pass(text, 0), None, "{text}");
        }
        let plain = [
            r#"{"metadata":{"name":"ab"}}"#,
            r#"{"metadata":{"labels":{"app":"web","app":"api"}}}"#,
            r#"{"metadata":{"name":null,"namespace":null,"labels":null}}"#,
            r#"{"spec":{"containers":null,"nodeSelector":null,"securityContext":null}}"#,
            r#"{"status":{"containerStatuses":[{"name":"c","state":{"running":null}}]}}"#,
            r#"{"status":{"containerStatuses":[{"name":"c","state":{"running":{"at":[1]}}}]}}"#,
            &format!(r#"{{"metadata":{{"name":"{}"}}}}"#, "a".repeat(253)),
            r#" { "metadata" : { "name" : "a" } , "x" : { "y" : [ true , null ] } } "#.trim(),
            r#"{"metadata":{"annotations":{"windoctor.io/ignore":"os-scheduling","other":"\u0041"}}}"#,
            r#"{"spec":{"affinity":{"nodeAffinity":{}},"os":{"name":"windows"},"runtimeClassName":"w"}}"#,
            r#"{"spec":{"securityContext":{"windowsOptions":{"hostProcess":true}},"initContainers":[{"name":"i","securityContext":{"windowsOptions":{"hostProcess":true}}}]}}"#,
            "{}",
        ];
        for text in plain {
            assert!(agrees(text, 0), "left to the copy: {text}");
        }
    }

    /// The first member (`"key":value`) of an object that starts at or after `at` in compact
    /// JSON: where it starts and ends.
    fn member_at(bytes: &[u8], at: usize) -> Option<std::ops::Range<usize>> {
        let start = (at..bytes.len().saturating_sub(1))
            .find(|&i| matches!(bytes[i], b'{' | b',') && bytes[i + 1] == b'"')?
            + 1;
        let text = std::str::from_utf8(bytes).ok()?;
        let (_, key_end) = plain_string(text, start)?;
        if bytes.get(key_end) != Some(&b':') {
            return None;
        }
        let end = value_end(bytes, key_end + 1).ok()?;
        Some(start..end)
    }

    /// A small deterministic generator (xorshift), for the mutations below.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }

    /// Fixture pods broken in many small ways (a byte replaced by one that matters to JSON, a byte
    /// dropped, a member repeated): whenever the one-pass reader answers, it answers as the
    /// copy-and-parse reader does, errors included.
    #[test]
    fn mutated_pods_read_as_the_copy_does() {
        const BYTES: &[u8] = b"\"\\{}[],:0n 7t\x01";
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let pods: Vec<String> = fixture_pods().iter().map(|p| compact(p)).collect();
        let (mut tried, mut read) = (0, 0);
        for pod in &pods {
            for _ in 0..40 {
                let mut bytes = pod.clone().into_bytes();
                let at = rng.below(bytes.len());
                if !bytes[at].is_ascii() {
                    continue;
                }
                match rng.below(4) {
                    0 => bytes[at] = BYTES[rng.below(BYTES.len())],
                    1 => {
                        bytes.remove(at);
                    }
                    2 => {
                        // The member starting at or after `at` given twice.
                        let Some(member) = member_at(&bytes, at) else {
                            continue;
                        };
                        let twice = [&bytes[member.clone()], b","].concat();
                        bytes.splice(member.start..member.start, twice);
                    }
                    _ => {
                        // A run of the text repeated where it starts: often a member twice.
                        let len = rng.below(40).min(bytes.len() - at);
                        let run: Vec<u8> = bytes[at..at + len].to_vec();
                        if !run.is_ascii() {
                            continue;
                        }
                        bytes.splice(at..at, run);
                    }
                }
                let Ok(text) = String::from_utf8(bytes) else {
                    continue;
                };
                tried += 1;
                read += usize::from(agrees(&text, 0));
            }
        }
        assert!(tried > 1000, "mutations tried: {tried}");
        // Most mutations leave the head's members alone: those pods are still read in one pass.
        assert!(read > tried / 4, "read in one pass: {read} of {tried}");
    }
}
