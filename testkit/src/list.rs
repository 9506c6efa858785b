//! List responses with the API server's chunking semantics: `limit` and
//! opaque `continue` tokens (base64url JSON carrying the list's resource
//! version and the offset to resume at), `remainingItemCount`, and label and
//! field selectors applied before paging. The body is assembled from the
//! stored JSON bytes without re-serializing objects.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::data::{ClusterData, StoredObject};
use crate::resource::ResourceKind;
use crate::select::{FieldSelector, LabelSelector};
use crate::status::{self, ApiError};

/// Token format version; tokens of another version are rejected.
const TOKEN_VERSION: &str = "windoctor-testkit/v1";

/// What a list request asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListRequest {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// `limit`; `None` or 0 lists everything.
    pub limit: Option<usize>,
    /// `continue`.
    pub continue_token: Option<String>,
    /// `resourceVersion`.
    pub resource_version: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ContinueToken {
    v: String,
    rv: u64,
    offset: usize,
}

/// Encodes a continue token.
pub(crate) fn encode_continue(resource_version: u64, offset: usize) -> String {
    let token = ContinueToken {
        v: TOKEN_VERSION.to_string(),
        rv: resource_version,
        offset,
    };
    // A struct of a string and two integers always serializes.
    let json = serde_json::to_vec(&token).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a continue token into the offset it resumes at, checking it
/// belongs to `resource_version`.
pub(crate) fn decode_continue(token: &str, resource_version: u64) -> Result<usize, ApiError> {
    let invalid =
        |detail: String| status::bad_request(&format!("continue key is not valid: {detail}"));
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|e| invalid(e.to_string()))?;
    let token: ContinueToken =
        serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    if token.v != TOKEN_VERSION {
        return Err(invalid(format!(
            "server does not recognize this encoded version {:?}",
            token.v
        )));
    }
    if token.rv == 0 {
        return Err(invalid(
            "incorrect encoded start resourceVersion".to_string(),
        ));
    }
    if token.rv != resource_version {
        return Err(status::expired());
    }
    Ok(token.offset)
}

/// Index range of the objects in `namespace` (all objects for `None`);
/// objects are sorted by namespace first.
fn namespace_range(objects: &[StoredObject], namespace: Option<&str>) -> (usize, usize) {
    match namespace {
        None => (0, objects.len()),
        Some(ns) => (
            objects.partition_point(|o| o.namespace.as_str() < ns),
            objects.partition_point(|o| o.namespace.as_str() <= ns),
        ),
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub(crate) struct ListPage {
    pub body: Vec<u8>,
    /// Whether a continue token was issued.
    pub more: bool,
    /// Number of items in the page.
    pub items: usize,
}

/// Builds the JSON body of a list of `kind` in `namespace` (all namespaces
/// for `None`). `max_page` caps a requested `limit`.
#[cfg(test)]
pub(crate) fn list_body(
    data: &ClusterData,
    kind: ResourceKind,
    namespace: Option<&str>,
    request: &ListRequest,
    max_page: Option<usize>,
) -> Result<Vec<u8>, ApiError> {
    list_page(data, kind, namespace, request, max_page, None).map(|p| p.body)
}

/// The effective page size: `limit` capped by `max_page`.
fn page_limit(request: &ListRequest, max_page: Option<usize>) -> Option<usize> {
    match (
        request.limit.filter(|&l| l > 0),
        max_page.filter(|&m| m > 0),
    ) {
        (Some(l), Some(m)) => Some(l.min(m)),
        (limit, _) => limit,
    }
}

/// Like [`list_body`], with the page's shape; `claimed_remaining` makes
/// every page claim that `remainingItemCount` (a hostile server).
pub(crate) fn list_page(
    data: &ClusterData,
    kind: ResourceKind,
    namespace: Option<&str>,
    request: &ListRequest,
    max_page: Option<usize>,
    claimed_remaining: Option<i64>,
) -> Result<ListPage, ApiError> {
    let rv = data.resource_version();
    let objects = data.objects(kind);
    let (lo, hi) = namespace_range(objects, namespace);
    let mut start = lo;
    if let Some(token) = request.continue_token.as_deref().filter(|t| !t.is_empty()) {
        if request
            .resource_version
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0")
        {
            return Err(status::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        start = decode_continue(token, rv)?.clamp(lo, hi);
    }
    let limit = page_limit(request, max_page);
    let matches =
        |o: &StoredObject| request.labels.matches(&o.labels) && request.fields.matches(kind, o);

    let info = kind.info();
    let mut body = Vec::with_capacity(256);
    let mut items: Vec<&StoredObject> = Vec::new();
    let mut next = hi;
    for (i, object) in objects.iter().enumerate().take(hi).skip(start) {
        if limit.is_some_and(|l| items.len() >= l) {
            next = i;
            break;
        }
        if matches(object) {
            items.push(object);
        }
    }
    let more = next < hi && objects[next..hi].iter().any(matches);

    body.extend_from_slice(b"{\"kind\":");
    push_json_string(&mut body, info.list_kind);
    body.extend_from_slice(b",\"apiVersion\":");
    push_json_string(&mut body, &info.api_version());
    body.extend_from_slice(b",\"metadata\":{\"resourceVersion\":");
    push_json_string(&mut body, &rv.to_string());
    if more {
        body.extend_from_slice(b",\"continue\":");
        push_json_string(&mut body, &encode_continue(rv, next));
    }
    if let Some(claimed) = claimed_remaining {
        body.extend_from_slice(format!(",\"remainingItemCount\":{claimed}").as_bytes());
    } else if more && request.labels.is_empty() && request.fields.is_empty() {
        body.extend_from_slice(format!(",\"remainingItemCount\":{}", hi - next).as_bytes());
    }
    body.extend_from_slice(b"},\"items\":[");
    let total: usize = items.iter().map(|o| o.json.len() + 1).sum();
    body.reserve(total + 2);
    for (i, object) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&object.json);
    }
    body.extend_from_slice(b"]}");
    Ok(ListPage {
        body,
        more,
        items: items.len(),
    })
}

/// A page of a list that never ends (a hostile server): always full (the
/// requested page size, 500 without one), cycling through the matching
/// objects, with a fresh continue token each time.
pub(crate) fn endless_page(
    data: &ClusterData,
    kind: ResourceKind,
    namespace: Option<&str>,
    request: &ListRequest,
    max_page: Option<usize>,
) -> Result<Vec<u8>, ApiError> {
    let rv = data.resource_version();
    let objects = data.objects(kind);
    let (lo, hi) = namespace_range(objects, namespace);
    let matching: Vec<&StoredObject> = objects[lo..hi]
        .iter()
        .filter(|o| request.labels.matches(&o.labels) && request.fields.matches(kind, o))
        .collect();
    let start = match request.continue_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => decode_continue(token, rv)?,
        None => 0,
    };
    let size = page_limit(request, max_page).unwrap_or(500);
    let info = kind.info();
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(b"{\"kind\":");
    push_json_string(&mut body, info.list_kind);
    body.extend_from_slice(b",\"apiVersion\":");
    push_json_string(&mut body, &info.api_version());
    body.extend_from_slice(b",\"metadata\":{\"resourceVersion\":");
    push_json_string(&mut body, &rv.to_string());
    body.extend_from_slice(b",\"continue\":");
    push_json_string(&mut body, &encode_continue(rv, start.saturating_add(size)));
    body.extend_from_slice(b"},\"items\":[");
    if !matching.is_empty() {
        for i in 0..size {
            if i > 0 {
                body.push(b',');
            }
            let object = matching[(start.wrapping_add(i)) % matching.len()];
            body.extend_from_slice(&object.json);
        }
    }
    body.extend_from_slice(b"]}");
    Ok(body)
}

pub(crate) fn push_json_string(body: &mut Vec<u8>, s: &str) {
    // Serializing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *body, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn data() -> anyhow::Result<ClusterData> {
        let mut data = ClusterData::new();
        for ns in ["a", "b", "c"] {
            for i in 0..5 {
                let app = if i % 2 == 0 { "even" } else { "odd" };
                data.add(
                    ResourceKind::Pods,
                    json!({"metadata": {"name": format!("p{i}"), "namespace": ns, "labels": {"app": app}}}),
                )?;
            }
        }
        data.prepare();
        Ok(data)
    }

    fn page(data: &ClusterData, ns: Option<&str>, request: &ListRequest) -> anyhow::Result<Value> {
        let body = list_body(data, ResourceKind::Pods, ns, request, None)
            .map_err(|e| anyhow::anyhow!("{}", String::from_utf8_lossy(&e.body)))?;
        Ok(serde_json::from_slice(&body)?)
    }

    fn collect(
        data: &ClusterData,
        ns: Option<&str>,
        mut request: ListRequest,
    ) -> anyhow::Result<Vec<String>> {
        let mut names = Vec::new();
        loop {
            let list = page(data, ns, &request)?;
            for item in list["items"].as_array().into_iter().flatten() {
                names.push(format!(
                    "{}/{}",
                    item["metadata"]["namespace"], item["metadata"]["name"]
                ));
            }
            match list["metadata"]["continue"].as_str() {
                Some(token) => request.continue_token = Some(token.to_string()),
                None => return Ok(names),
            }
        }
    }

    #[test]
    fn pages_cover_everything_once() -> anyhow::Result<()> {
        let data = data()?;
        let all = collect(&data, None, ListRequest::default())?;
        assert_eq!(all.len(), 15);
        for limit in 1..=16 {
            let request = ListRequest {
                limit: Some(limit),
                ..ListRequest::default()
            };
            assert_eq!(collect(&data, None, request)?, all, "limit {limit}");
        }
        Ok(())
    }

    #[test]
    fn metadata_fields() -> anyhow::Result<()> {
        let data = data()?;
        let request = ListRequest {
            limit: Some(4),
            ..ListRequest::default()
        };
        let first = page(&data, Some("b"), &request)?;
        assert_eq!(first["kind"], "PodList");
        assert_eq!(first["metadata"]["remainingItemCount"], 1);
        assert_eq!(
            first["metadata"]["resourceVersion"],
            data.resource_version().to_string()
        );
        let labels = ListRequest {
            limit: Some(1),
            labels: LabelSelector::parse("app=odd").map_err(anyhow::Error::msg)?,
            ..ListRequest::default()
        };
        let odd = collect(&data, Some("c"), labels.clone())?;
        assert_eq!(odd, ["\"c\"/\"p1\"", "\"c\"/\"p3\""]);
        let first = page(&data, Some("c"), &labels)?;
        assert!(first["metadata"].get("remainingItemCount").is_none());
        Ok(())
    }

    #[test]
    fn token_errors() -> anyhow::Result<()> {
        let data = data()?;
        let bad = ListRequest {
            continue_token: Some("%%%".into()),
            ..ListRequest::default()
        };
        let err = list_body(&data, ResourceKind::Pods, None, &bad, None).err();
        assert_eq!(err.map(|e| e.code), Some(400));
        let old = ListRequest {
            continue_token: Some(encode_continue(data.resource_version() + 7, 2)),
            ..ListRequest::default()
        };
        let err = list_body(&data, ResourceKind::Pods, None, &old, None).err();
        assert_eq!(err.map(|e| e.code), Some(410));
        Ok(())
    }
}
