//! Test pages for the helper that works ahead of the pager (`written_ahead`): the
//! fixture pods as the API server sends them, repeated into a page big enough for a helper, and
//! where each item starts as the pager finds it (found here on its own, not by the helper's walk).

use crate::facts::json_scan::{skip_whitespace, value_end};
use crate::facts::pod_head::fixtures::fixture_pods;

/// The fixture pods, compact (as the API server sends them).
pub fn compact_pods() -> Vec<String> {
    fixture_pods()
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .map(|v| v.to_string())
        .collect()
}

/// A `PodList` page of `pods` repeated `copies` times, with blanks between the items as a server
/// may send them, and an item that is no valid pod (`metadata.name` 7) at `broken` (if any); with
/// the offset just past the items' `[`.
pub fn page(pods: &[String], copies: usize, broken: Option<usize>) -> (String, usize) {
    let mut text = String::from("{\"kind\":\"PodList\",\"items\":[");
    let items_start = text.len();
    let mut n = 0;
    for _ in 0..copies {
        for pod in pods {
            if n > 0 {
                text.push_str(" ,\n");
            }
            if broken == Some(n) {
                text.push_str(r#"{"metadata":{"name":7}}"#);
            } else {
                text.push_str(pod);
            }
            n += 1;
        }
    }
    text.push_str("]}");
    (text, items_start)
}

/// Every item's start, as the pager finds them (what the sink is asked at).
pub fn starts(text: &str, items_start: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut pos = items_start;
    loop {
        pos = skip_whitespace(bytes, pos);
        if bytes.get(pos).is_none_or(|&b| b == b']') {
            return out;
        }
        out.push(pos);
        let end = value_end(bytes, pos).expect("the test page is valid JSON");
        pos = skip_whitespace(bytes, end);
        if bytes.get(pos) == Some(&b',') {
            pos += 1;
        }
    }
}
