//! Parsing Kubernetes objects as kubectl writes them: JSON or YAML, a `List` (or `NodeList`...) or a
//! single object, one or several YAML documents, in any of the encodings `text::decode` handles.

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Parses `bytes` into objects of type `T`. `what` names the file for error messages.
pub fn parse_objects<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<Vec<T>, String> {
    let text = super::text::decode(bytes);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(empty_file(what, bytes.len()));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        parse_json(trimmed, what)
    } else {
        parse_yaml(&text, what)
    }
}

#[derive(Deserialize)]
struct ListShape<T> {
    #[serde(default = "none")]
    items: Option<Vec<T>>,
}

fn none<T>() -> Option<T> {
    None
}

fn parse_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<Vec<T>, String> {
    if text.starts_with('[') {
        return serde_json::from_str::<Vec<T>>(text)
            .map_err(|e| format!("{what}: not valid JSON objects: {e}"));
    }
    match serde_json::from_str::<ListShape<T>>(text) {
        Ok(ListShape { items: Some(items) }) => Ok(items),
        Ok(ListShape { items: None }) => serde_json::from_str::<T>(text)
            .map(|o| vec![o])
            .map_err(|e| format!("{what}: not a valid object: {e}")),
        Err(e) => Err(format!("{what}: not valid JSON: {e}")),
    }
}

fn parse_yaml<T: DeserializeOwned>(text: &str, what: &str) -> Result<Vec<T>, String> {
    // Documents are parsed one by one, straight into the target type, so that YAML 1.1 scalars such as
    // `y` or `on` stay strings where the type wants a string.
    let mut out = Vec::new();
    let mut documents = 0;
    for doc in split_documents(text) {
        if doc
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        documents += 1;
        match serde_saphyr::from_str::<ListShape<T>>(doc) {
            Ok(ListShape { items: Some(items) }) => out.extend(items),
            Ok(ListShape { items: None }) => out.push(
                serde_saphyr::from_str::<T>(doc)
                    .map_err(|e| format!("{what}: not a valid object: {e}"))?,
            ),
            Err(e) => return Err(format!("{what}: neither JSON nor valid YAML: {e}")),
        }
    }
    if documents == 0 {
        return Err(format!(
            "{what} holds no object, only comments or document markers: capture it again (an empty list is written as {{\"items\": []}})"
        ));
    }
    Ok(out)
}

/// The error for a file with nothing in it: an empty list is `{"items": []}`, never an empty file,
/// so an empty file is a capture that went wrong (a full disk, an interrupted write).
pub fn empty_file(what: &str, bytes: usize) -> String {
    format!(
        "{what} is empty ({bytes} bytes{}): it was not written completely; capture it again (an empty list is written as {{\"items\": []}})",
        if bytes == 0 { "" } else { ", only whitespace" }
    )
}

fn split_documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    docs.push(&text[start..]);
    docs
}

/// Parses `GET /version` or `kubectl version -o json` (which wraps it in `serverVersion`).
pub fn parse_version(bytes: &[u8], what: &str) -> Result<crate::facts::k8s::ServerVersion, String> {
    let text = super::text::decode(bytes);
    if text.trim().is_empty() {
        return Err(empty_file(what, bytes.len()));
    }
    let value: serde_json::Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text).map_err(|e| format!("{what}: not valid JSON: {e}"))?
    } else {
        serde_saphyr::from_str(&text)
            .map_err(|e| format!("{what}: neither JSON nor valid YAML: {e}"))?
    };
    let server = value.get("serverVersion").cloned().unwrap_or(value);
    if server.get("gitVersion").is_none() && server.get("minor").is_none() {
        return Err(format!("{what}: has no serverVersion/gitVersion (expected `kubectl version -o json` or GET /version)"));
    }
    serde_json::from_value(server).map_err(|e| format!("{what}: not a version object: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::k8s::Node;

    #[test]
    fn accepts_list_single_object_yaml_and_multi_doc() {
        let list = br#"{"apiVersion":"v1","kind":"List","items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]}"#;
        assert_eq!(
            parse_objects::<Node>(list, "nodes.json")
                .expect("list")
                .len(),
            2
        );
        let single = br#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"a"}}"#;
        assert_eq!(
            parse_objects::<Node>(single, "n").expect("single")[0]
                .metadata
                .name,
            "a"
        );
        let yaml = b"apiVersion: v1\nkind: List\nitems:\n- metadata:\n    name: y\n";
        assert_eq!(
            parse_objects::<Node>(yaml, "n.yaml").expect("yaml")[0]
                .metadata
                .name,
            "y"
        );
        let multi = b"metadata:\n  name: one\n---\nmetadata:\n  name: two\n";
        assert_eq!(
            parse_objects::<Node>(multi, "n.yaml").expect("multi").len(),
            2
        );
        assert!(parse_objects::<Node>(b"{not json", "bad.json")
            .unwrap_err()
            .contains("bad.json"));
        // Nothing at all is a capture that went wrong, never an empty list.
        for nothing in [
            &b""[..],
            b"  \r\n\t",
            b"\xEF\xBB\xBF\n",
            b"# only a comment\n---\n",
        ] {
            let e = parse_objects::<Node>(nothing, "cluster/events.json").unwrap_err();
            assert!(
                e.contains("cluster/events.json") && e.contains("capture it again"),
                "{e}"
            );
        }
        assert!(parse_objects::<Node>(br#"{"items":[]}"#, "e")
            .expect("list")
            .is_empty());
        assert!(parse_version(b"\n", "cluster/version.json")
            .unwrap_err()
            .contains("empty"));
    }

    #[test]
    fn version_accepts_both_shapes() {
        let v = parse_version(br#"{"clientVersion":{"gitVersion":"v1.32.0"},"serverVersion":{"major":"1","minor":"30","gitVersion":"v1.30.4"}}"#, "v")
            .expect("kubectl version");
        assert_eq!(v.git_version, "v1.30.4");
        let v = parse_version(
            br#"{"major":"1","minor":"29+","gitVersion":"v1.29.1-eks-1"}"#,
            "v",
        )
        .expect("GET /version");
        assert_eq!(v.minor, "29+");
        assert!(parse_version(br#"{"clientVersion":{"gitVersion":"v1"}}"#, "v").is_err());
    }
}
