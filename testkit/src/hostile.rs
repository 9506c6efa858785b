//! Hostile server modes, for robustness tests of a client: lists that lie
//! about what remains, never end, are padded to a huge size (streamed, never
//! built in memory), come as a small gzip body that inflates to a huge one,
//! or are of the wrong kind; bodies trickled out slowly; 429 with
//! `Retry-After`; requests never answered. Set with [`ServerOptions`]
//! methods and limited to some resources with
//! [`ServerOptions::hostile_only_for`].

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::body::{self, Payload};
use crate::data::ClusterData;
use crate::list::{self, ListRequest};
use crate::resource::ResourceKind;
use crate::routes::{Reply, JSON};
use crate::status::ApiError;

#[cfg(doc)]
use crate::ServerOptions;

/// What a list request gets instead of its list, under
/// [`ServerOptions::wrong_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongKind {
    /// 200 with a list of another kind (a `ConfigMapList` for pods, a
    /// `PodList` for configmaps).
    OtherList,
    /// 200 with a single object instead of a list.
    NotAList,
    /// 200 with a `Status` object (`"status":"Failure"`).
    StatusOk,
    /// 200 with `"items": null` and a continue token, every page.
    NullItems,
    /// 200 with an HTML page (`text/html`), as a login proxy or a load
    /// balancer's error page answers.
    Html,
    /// 302 Found to another address, as a proxy in front of the API server
    /// that wants a browser login does.
    Redirect,
}

/// The hostile modes in force.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hostile {
    pub remaining_item_count: Option<i64>,
    pub endless_pages: bool,
    pub huge_body: Option<u64>,
    pub gzip_bomb: Option<u64>,
    pub wrong_kind: Option<WrongKind>,
    pub trickle: Option<u64>,
    /// `Retry-After` seconds and how many requests get 429.
    pub too_many_requests: Option<(u64, usize)>,
    pub hang: bool,
    /// Resource keys the modes apply to; `None` for every request.
    pub scope: Option<BTreeSet<String>>,
}

impl Hostile {
    /// Whether the modes apply to a request on resource `key` (`None` for
    /// discovery and `/version`).
    pub fn applies(&self, key: Option<&str>) -> bool {
        match (&self.scope, key) {
            (None, _) => true,
            (Some(scope), Some(key)) => scope.contains(key),
            (Some(_), None) => false,
        }
    }

    /// Whether any mode changes list bodies.
    fn shapes_lists(&self) -> bool {
        self.remaining_item_count.is_some()
            || self.endless_pages
            || self.huge_body.is_some()
            || self.gzip_bomb.is_some()
            || self.wrong_kind.is_some()
    }
}

/// The reply to a list request of `kind` in `namespace`, under the hostile
/// modes when they apply, and with a node of a huge name when the data has
/// one.
pub(crate) fn list_reply(
    data: &ClusterData,
    hostile: &Hostile,
    kind: ResourceKind,
    namespace: Option<&str>,
    request: &ListRequest,
    max_page: Option<usize>,
) -> Result<Reply, ApiError> {
    let active = hostile.shapes_lists() && hostile.applies(Some(kind.plural()));
    if active {
        if let Some(wrong) = hostile.wrong_kind {
            return wrong_kind(data, wrong, kind, namespace, request, max_page);
        }
        if let Some(bytes) = hostile.gzip_bomb {
            let mut reply = Reply::json(Vec::new());
            reply.body = Payload::Gzipped(gzip_bomb(kind, bytes));
            return Ok(reply);
        }
        if hostile.endless_pages {
            let body = list::endless_page(data, kind, namespace, request, max_page)?;
            return Ok(pad(Reply::json(body), hostile.huge_body));
        }
    }
    let claimed = if active {
        hostile.remaining_item_count
    } else {
        None
    };
    let page = list::list_page(data, kind, namespace, request, max_page, claimed)?;
    let unfiltered = request.labels.is_empty() && request.fields.is_empty();
    if let (ResourceKind::Nodes, Some(len), false, true) =
        (kind, data.huge_node_name(), page.more, unfiltered)
    {
        return Ok(with_huge_node(page.body, page.items > 0, len));
    }
    let reply = Reply::json(page.body);
    Ok(if active {
        pad(reply, hostile.huge_body)
    } else {
        reply
    })
}

/// Pads a list body with a giant string field, streamed.
fn pad(mut reply: Reply, bytes: Option<u64>) -> Reply {
    let Some(len) = bytes else { return reply };
    if let Payload::Bytes(body) = &mut reply.body {
        if body.ends_with(b"}") {
            let mut prefix = std::mem::take(body);
            prefix.pop();
            prefix.extend_from_slice(b",\"windoctorTestkitPadding\":\"");
            reply.body = Payload::Filled {
                prefix,
                byte: b'x',
                len,
                suffix: b"\"}".to_vec(),
            };
        }
    }
    reply
}

/// Appends the node whose name is `len` bytes long to the last page of a
/// node list, generating the name while it is sent.
fn with_huge_node(mut body: Vec<u8>, has_items: bool, len: u64) -> Reply {
    // The body ends with `]}`.
    body.truncate(body.len().saturating_sub(2));
    if has_items {
        body.push(b',');
    }
    body.extend_from_slice(b"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"");
    let suffix = b"\",\"labels\":{\"kubernetes.io/os\":\"windows\"}},\"status\":{\"nodeInfo\":{\"operatingSystem\":\"windows\"}}}]}".to_vec();
    let mut reply = Reply::json(Vec::new());
    reply.body = Payload::Filled {
        prefix: body,
        byte: b'w',
        len,
        suffix,
    };
    reply
}

/// The answers of [`WrongKind`].
fn wrong_kind(
    data: &ClusterData,
    wrong: WrongKind,
    kind: ResourceKind,
    namespace: Option<&str>,
    request: &ListRequest,
    max_page: Option<usize>,
) -> Result<Reply, ApiError> {
    let rv = data.resource_version();
    match wrong {
        // As an OAuth proxy's sign-in page: a proxy answers instead of the API server.
        WrongKind::Html => Ok(Reply::bytes(
            200,
            "text/html; charset=utf-8",
            b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in to continue</body></html>".to_vec(),
        )),
        WrongKind::Redirect => Ok(Reply::bytes(302, "text/html; charset=utf-8", b"<a href=\"https://login.example.com/oauth2/start\">Found</a>.".to_vec())
            .with_header("location", "https://login.example.com/oauth2/start")),
        WrongKind::OtherList => {
            let other = if kind == ResourceKind::ConfigMaps {
                ResourceKind::Pods
            } else {
                ResourceKind::ConfigMaps
            };
            let plain = ListRequest {
                limit: request.limit,
                ..ListRequest::default()
            };
            let namespace = namespace.filter(|_| other.namespaced());
            let page = list::list_page(data, other, namespace, &plain, max_page, None)?;
            Ok(Reply::json(page.body))
        }
        WrongKind::NotAList => {
            let body = data
                .objects(kind)
                .first()
                .map(|o| o.json.to_vec())
                .unwrap_or_else(|| {
                    format!(
                        "{{\"apiVersion\":\"{}\",\"kind\":\"{}\",\"metadata\":{{\"name\":\"not-a-list\"}}}}",
                        kind.info().api_version(),
                        kind.kind()
                    )
                    .into_bytes()
                });
            Ok(Reply::json(body))
        }
        WrongKind::StatusOk => Ok(Reply::bytes(
            200,
            JSON,
            br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: etcdserver: request timed out","reason":"InternalError","code":500}"#.to_vec(),
        )),
        WrongKind::NullItems => {
            let offset = match request.continue_token.as_deref().filter(|t| !t.is_empty()) {
                Some(token) => list::decode_continue(token, rv)?,
                None => 0,
            };
            let mut body = Vec::new();
            body.extend_from_slice(b"{\"kind\":");
            list::push_json_string(&mut body, kind.info().list_kind);
            body.extend_from_slice(b",\"apiVersion\":");
            list::push_json_string(&mut body, &kind.info().api_version());
            body.extend_from_slice(b",\"metadata\":{\"resourceVersion\":");
            list::push_json_string(&mut body, &rv.to_string());
            body.extend_from_slice(b",\"continue\":");
            list::push_json_string(&mut body, &list::encode_continue(rv, offset + 1));
            body.extend_from_slice(b"},\"items\":null}");
            Ok(Reply::json(body))
        }
    }
}

/// A gzip body that inflates to a `kind` list of `bytes` bytes (spaces
/// between `[` and `]`). Built once per kind and size and kept for the
/// process.
fn gzip_bomb(kind: ResourceKind, bytes: u64) -> Arc<[u8]> {
    type Cache = Mutex<HashMap<(ResourceKind, u64), Arc<[u8]>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(cache.entry((kind, bytes)).or_insert_with(|| {
        let info = kind.info();
        let prefix = format!(
            "{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":{{\"resourceVersion\":\"1\"}},\"items\":[",
            info.list_kind,
            info.api_version()
        );
        let head = prefix.len() as u64 + 2;
        Arc::from(body::gzip_filled(
            prefix.into_bytes(),
            b' ',
            bytes.saturating_sub(head),
            b"]}".to_vec(),
        ))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn scope() {
        let mut h = Hostile::default();
        assert!(h.applies(None) && h.applies(Some("pods")));
        h.scope = Some(BTreeSet::from(["pods".to_string()]));
        assert!(h.applies(Some("pods")));
        assert!(!h.applies(Some("nodes")) && !h.applies(None));
    }

    #[test]
    fn bomb_inflates_to_a_list() -> anyhow::Result<()> {
        let bomb = gzip_bomb(ResourceKind::Pods, 5_000_000);
        assert!(bomb.len() < 50_000, "{}", bomb.len());
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bomb[..]).read_to_end(&mut out)?;
        assert_eq!(out.len(), 5_000_000);
        let list: serde_json::Value = serde_json::from_slice(&out)?;
        assert_eq!(list["kind"], "PodList");
        assert_eq!(list["items"], serde_json::json!([]));
        Ok(())
    }
}
