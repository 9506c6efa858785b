//! `GET /api/v1/nodes/NAME/proxy/...`: what the API server relays from a
//! node's kubelet. `configz` answers `{"kubeletconfig": ...}`; `logs/...`
//! behaves as the kubelet's log handler: Go's `http.FileServer` over the log
//! directory (HTML directory listings, whole files, redirects to the
//! canonical path, `404 page not found`), and, when the node log query is
//! enabled, `logs/?query=SERVICE&tailLines=N&pattern=RE` answering from the
//! stored query results.
//!
//! The kubelet's own code decides what a kubelet without the query does
//! (pkg/kubelet/kubelet.go, `Kubelet.Run`): unless the NodeLogQuery feature
//! gate and `enableSystemLogQuery` are both on, `logServer` is plain
//! `http.StripPrefix("/logs/", http.FileServer(http.Dir(nodeLogDir)))`, so the
//! query parameters are ignored and `logs/?query=kubelet` answers 200 with
//! the directory listing of the log directory. With the query on, a bad
//! parameter is 400 (`newNodeLogQuery`), a failed validation or a path
//! other than `/` is 406 (`path not allowed in query mode`). Validation
//! details below are approximations of `nodeLogQuery.validate`.

use regex::Regex;
use serde_json::Value;

use crate::data::ClusterData;
use crate::node_files::{clean_path, DirEntry, LogPath, NodeFiles};
use crate::options::ServerOptions;
use crate::query::Query;
use crate::resource::ResourceKind;
use crate::routes::{Reply, HTML, JSON, TEXT};
use crate::status::{self, ApiError, Target};

/// Largest `tailLines` the kubelet accepts (approximation).
const MAX_TAIL_LINES: usize = 100_000;

/// The parameters of a node log query; any of them switches a
/// query-enabled kubelet into query mode (`newNodeLogQuery` returns a query).
const QUERY_KEYS: [&str; 6] = [
    "query",
    "sinceTime",
    "untilTime",
    "tailLines",
    "pattern",
    "boot",
];

/// The target of node proxy errors: `nodes/proxy` of `node`.
pub(crate) fn target(node: &str) -> Target<'_> {
    Target {
        info: ResourceKind::Nodes.info(),
        subresource: Some("proxy"),
        namespace: None,
        name: Some(node),
        verb: "get",
    }
}

/// Answers `GET /api/v1/nodes/NODE/proxy/PATH?QUERY`. `path` keeps a
/// trailing `/` when the request had one.
pub(crate) fn answer(
    data: &ClusterData,
    options: &ServerOptions,
    node: &str,
    path: &str,
    query: &Query,
) -> Result<Reply, ApiError> {
    let node_object = data.get(ResourceKind::Nodes, "", node);
    let files = data.node_files(node);
    if node_object.is_none() && files.is_none() {
        let t = Target {
            subresource: None,
            ..target(node)
        };
        return Err(status::object_not_found(&t));
    }
    let address = node_object
        .and_then(|o| serde_json::from_slice::<Value>(&o.json).ok())
        .and_then(|n| internal_ip(&n))
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let Some(files) = files else {
        return Err(status::unreachable(&address));
    };
    if path == "configz" {
        return match &files.configz {
            Some(config) => {
                let mut body = b"{\"kubeletconfig\":".to_vec();
                body.extend_from_slice(config);
                body.push(b'}');
                Ok(Reply::bytes(200, JSON, body))
            }
            None => Err(status::unreachable(&address)),
        };
    }
    let rest = match path.strip_prefix("logs") {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => return Ok(go_error(404, "404 page not found")),
    };
    let query_mode = QUERY_KEYS.iter().any(|k| query.get(k).is_some());
    if options.node_log_query_enabled(node) && query_mode {
        return Ok(log_query(files, rest, query));
    }
    Ok(file_server(files, rest))
}

/// The node's InternalIP, for error wording.
fn internal_ip(node: &Value) -> Option<String> {
    node["status"]["addresses"]
        .as_array()?
        .iter()
        .find(|a| a["type"] == "InternalIP")
        .and_then(|a| a["address"].as_str())
        .map(str::to_string)
}

/// A reply as Go's `http.Error` writes it.
fn go_error(code: u16, message: &str) -> Reply {
    Reply::bytes(code, TEXT, format!("{message}\n").into_bytes())
        .with_header("x-content-type-options", "nosniff")
}

/// Go's `http.FileServer` over the node's log files; `rest` is the path
/// after `logs`, starting with `/`.
fn file_server(files: &NodeFiles, rest: &str) -> Reply {
    let cleaned = clean_path(rest);
    let last = cleaned.rsplit('/').next().unwrap_or("");
    match files.lookup(&cleaned) {
        LogPath::Missing => go_error(404, "404 page not found"),
        LogPath::Dir(entries) => {
            if !rest.ends_with('/') {
                return redirect(&format!("{last}/"));
            }
            Reply::bytes(200, HTML, dir_listing(&entries))
        }
        LogPath::File(contents) => {
            if rest.ends_with('/') {
                return redirect(&format!("../{last}"));
            }
            let content_type = if last.ends_with(".json") { JSON } else { TEXT };
            Reply::bytes(200, content_type, contents.to_vec()).with_header("accept-ranges", "bytes")
        }
    }
}

/// A 301 to `location`, relative to the request (Go's `localRedirect`).
fn redirect(location: &str) -> Reply {
    Reply::bytes(301, TEXT, Vec::new()).with_header("location", location)
}

/// A directory listing in the format of Go's `http.FileServer` (Go 1.21 and
/// later, which the kubelets of v1.29 on are built with).
pub(crate) fn dir_listing(entries: &[DirEntry]) -> Vec<u8> {
    let mut html = String::from(
        "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n",
    );
    for entry in entries {
        let mut name = entry.name.clone();
        if entry.is_dir {
            name.push('/');
        }
        html.push_str(&format!(
            "<a href=\"{}\">{}</a>\n",
            href(&name),
            html_escape(&name)
        ));
    }
    html.push_str("</pre>\n");
    html.into_bytes()
}

/// `url.URL{Path: name}.String()`: path escaping, and `./` before a first
/// segment holding a colon.
fn href(name: &str) -> String {
    let mut out = String::new();
    let first = name.split('/').next().unwrap_or("");
    if first.contains(':') {
        out.push_str("./");
    }
    for b in name.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `htmlReplacer`.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The node log query: `rest` is the path after `logs` and must be `/`.
fn log_query(files: &NodeFiles, rest: &str, query: &Query) -> Reply {
    let tail = match query.get_usize("tailLines") {
        Ok(tail) => tail,
        Err(e) => return go_error(400, &format!("tailLines: Invalid value: {e}")),
    };
    for key in ["sinceTime", "untilTime"] {
        // Validated, not applied: stored lines carry no year to compare.
        if let Some(v) = query.get(key).filter(|v| !v.is_empty()) {
            if !looks_rfc3339(v) {
                return go_error(
                    400,
                    &format!("{key}: Invalid value: {v:?}: parsing time {v:?} as RFC3339 failed"),
                );
            }
        }
    }
    if rest != "/" && !rest.is_empty() {
        return go_error(406, "path not allowed in query mode");
    }
    let queries: Vec<&str> = query
        .get_all("query")
        .into_iter()
        .filter(|q| !q.is_empty())
        .collect();
    if queries.is_empty() {
        return go_error(406, "query: Required value: query cannot be empty");
    }
    if tail.is_some_and(|t| t > MAX_TAIL_LINES) {
        return go_error(
            406,
            &format!("tailLines: Invalid value: must be between 0 and {MAX_TAIL_LINES}"),
        );
    }
    let pattern = match query.get("pattern").filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match Regex::new(p) {
            Ok(re) => Some(re),
            Err(e) => return go_error(406, &format!("pattern: Invalid value: {p:?}: {e}")),
        },
    };
    let is_file = |q: &str| q.contains(['/', '\\']);
    let file_queries = queries.iter().filter(|q| is_file(q)).count();
    if file_queries > 0 && file_queries < queries.len() {
        return go_error(
            406,
            "query: Invalid value: cannot specify a file and service",
        );
    }
    if file_queries > 1 {
        return go_error(
            406,
            "query: Invalid value: cannot specify more than one file",
        );
    }
    let mut text: Vec<u8> = Vec::new();
    for q in &queries {
        if is_file(q) {
            // One file: served as the file server would serve it.
            return file_server(files, &format!("/{}", clean_path(q)));
        }
        if let Some(body) = files.queries.get(*q) {
            text.extend_from_slice(body);
            if !text.is_empty() && !text.ends_with(b"\n") {
                text.push(b'\n');
            }
        }
    }
    let mut lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(re) = &pattern {
        lines.retain(|l| re.is_match(&String::from_utf8_lossy(l)));
    }
    if let Some(n) = tail {
        lines = lines.split_off(lines.len().saturating_sub(n));
    }
    let mut body = Vec::with_capacity(text.len());
    for line in lines {
        body.extend_from_slice(line);
        body.push(b'\n');
    }
    Reply::bytes(200, TEXT, body)
}

/// A loose RFC 3339 shape check: `YYYY-MM-DDTHH:MM:SS` then a zone.
fn looks_rfc3339(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
        && (v.ends_with('Z') || v.ends_with('z') || v[19..].contains(['+', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_format() {
        let entries = [
            DirEntry {
                name: "kubelet".into(),
                is_dir: true,
            },
            DirEntry {
                name: "a b?.log".into(),
                is_dir: false,
            },
            DirEntry {
                name: "c:d<e>".into(),
                is_dir: false,
            },
        ];
        assert_eq!(
            String::from_utf8_lossy(&dir_listing(&entries)),
            "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n\
             <a href=\"kubelet/\">kubelet/</a>\n\
             <a href=\"a%20b%3F.log\">a b?.log</a>\n\
             <a href=\"./c:d%3Ce%3E\">c:d&lt;e&gt;</a>\n</pre>\n"
        );
    }

    #[test]
    fn rfc3339() {
        assert!(looks_rfc3339("2026-11-05T10:00:00Z"));
        assert!(looks_rfc3339("2026-11-05T10:00:00.5+01:00"));
        assert!(!looks_rfc3339("yesterday"));
        assert!(!looks_rfc3339("2026-11-05 10:00:00"));
    }
}
