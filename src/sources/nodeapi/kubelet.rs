//! What the kubelet serves through the API server's node proxy: its running configuration
//! (`/configz`), its log directory (`/logs/`, Go's `http.FileServer` over `C:\var\log`) and, when
//! the NodeLogQuery feature is on, node log queries (`/logs/?query=kubelet`).
//!
//! Behaviour relied on (research notes in docs/remote-nodes.md cite the code):
//! - `/configz` answers `{"kubeletconfig": {...}}` (component-base configz; cmd/kubelet/app).
//! - `/logs/` answers an HTML listing (`<a href="kubelet/">kubelet/</a>`), files by path; a
//!   `Range: bytes=-N` header is honoured by Go's file server.
//! - Without the query feature the kubelet ignores `?query=` and answers the listing with 200: the
//!   answer is told apart by its `text/html` content type (pkg/kubelet/kubelet.go `Run`).
//! - `enableSystemLogHandler: false` answers 405 `logs endpoint is disabled.`;
//!   `enableDebuggingHandlers: false` answers 405 `Debug endpoints are disabled.` and no configz.

use super::http::{self, Answer, Keep};
use super::Shared;
use crate::facts::node::log_component;
use crate::facts::node::remote::{SourceNote, SourceState};
use crate::sources::live::paging::encode_component;

/// The outcome of one source for one node: the note for node.json and, when read, the files to
/// store (`node/...` path, bytes).
pub struct Read {
    pub note: SourceNote,
    pub files: Vec<(String, Vec<u8>)>,
    /// Windows paths the part covers (directories listed in full, files taken).
    pub coverage: Vec<String>,
}

impl Read {
    fn note(state: SourceState, detail: impl Into<String>) -> Read {
        Read {
            note: SourceNote {
                state,
                detail: detail.into(),
            },
            files: Vec::new(),
            coverage: Vec::new(),
        }
    }
}

/// Turns a refusal into the note saying why, and remembers a 403 so that other nodes do not ask.
pub fn refused(shared: &Shared, what: &str, answer: &Answer) -> Read {
    let message = answer.message();
    match answer.status {
        403 => {
            let detail = format!("forbidden ({message})");
            if let Ok(mut f) = shared.proxy_forbidden.lock() {
                f.get_or_insert_with(|| detail.clone());
            }
            Read::note(SourceState::Failed, detail)
        }
        401 => Read::note(
            SourceState::Failed,
            format!("unauthorized: the credentials were rejected ({message})"),
        ),
        404 => Read::note(
            SourceState::Missing,
            format!("{what} is not served (404: {message})"),
        ),
        405 => Read::note(
            SourceState::Missing,
            format!("the kubelet has {what} turned off (405: {message})"),
        ),
        code => Read::note(
            SourceState::Failed,
            format!("{what} answered HTTP {code}: {message}"),
        ),
    }
}

/// The 403 another node already got for `nodes/proxy`, if any.
fn already_forbidden(shared: &Shared) -> Option<Read> {
    let f = shared.proxy_forbidden.lock().ok()?.clone()?;
    Some(Read::note(
        SourceState::Failed,
        format!("{f} (asked once; not asked again for each node)"),
    ))
}

/// `GET /api/v1/nodes/NODE/proxy/configz`, stored as `node/configz.json`. Also says whether the
/// configuration turns the node log query off (`enableSystemLogQuery: false`).
pub async fn configz(shared: &Shared, node: &str) -> (Read, Option<bool>) {
    if let Some(r) = already_forbidden(shared) {
        return (r, None);
    }
    let url = format!("/api/v1/nodes/{}/proxy/configz", encode_component(node));
    let answer = match http::get(shared, &url, 1024 * 1024, Keep::Head, None).await {
        Ok(a) => a,
        Err(e) => return (Read::note(SourceState::Failed, e), None),
    };
    if answer.status != 200 {
        return (refused(shared, "configz", &answer), None);
    }
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return (
                Read::note(
                    SourceState::Failed,
                    format!("configz answered something that is not JSON ({e})"),
                ),
                None,
            )
        }
    };
    if !shared.take_bytes(answer.body.len() as u64) {
        return (budget_spent(), None);
    }
    let inner = value
        .get("kubeletconfig")
        .or_else(|| value.get("componentconfig"))
        .unwrap_or(&value);
    let query = inner.get("enableSystemLogQuery").and_then(|v| v.as_bool());
    let redacted = crate::redact::redact_json(value.clone());
    let body = serde_json::to_vec_pretty(&redacted).unwrap_or_default();
    let mut read = Read::note(
        SourceState::Read,
        format!("read ({} bytes)", answer.body.len()),
    );
    read.files.push(("node/configz.json".to_string(), body));
    (read, query)
}

fn budget_spent() -> Read {
    Read::note(
        SourceState::Failed,
        "not kept: the node-data phase's byte budget was spent (raise it or read fewer nodes)",
    )
}

/// Log directories of the node components, below the kubelet's log directory.
const COMPONENT_DIRS: [&str; 9] = [
    "kubelet",
    "kube-proxy",
    "containerd",
    "flanneld",
    "flannel",
    "csi-proxy",
    "calico",
    "antrea",
    "hybrid-overlay",
];

/// Rank of a served log file: components the checks read first, current files before rotated
/// ones, stderr (where klog writes) before stdout.
fn rank(name: &str) -> Option<(u8, u8)> {
    let lower = name.to_ascii_lowercase();
    let is_log = lower.ends_with(".log")
        || lower.ends_with(".info")
        || lower.ends_with(".warning")
        || lower.ends_with(".error");
    if !is_log {
        return None;
    }
    let component = match log_component(name).as_str() {
        "kubelet" => 0,
        "kube-proxy" => 1,
        "flanneld" => 2,
        "containerd" => 3,
        other if COMPONENT_DIRS.iter().any(|d| other.starts_with(d)) => 4,
        _ => return None,
    };
    let kind = if lower.ends_with(".err.log") || lower.ends_with(".error") {
        0
    } else if lower.ends_with(".info") || lower.ends_with(".log") {
        1
    } else {
        2
    };
    Some((component, kind))
}

/// The kubelet's log directory: its listing, the component directories in it, and the tails of
/// at most `files_per_node` component log files, stored as `node/node-logs/PATH`.
pub async fn node_logs(shared: &Shared, node: &str) -> Read {
    if let Some(r) = already_forbidden(shared) {
        return r;
    }
    let base = format!("/api/v1/nodes/{}/proxy/logs/", encode_component(node));
    let root = match http::get(shared, &base, 256 * 1024, Keep::Head, None).await {
        Ok(a) => a,
        Err(e) => return Read::note(SourceState::Failed, e),
    };
    if root.status != 200 {
        return refused(shared, "the log directory", &root);
    }
    if !root.is_html() {
        return Read::note(
            SourceState::Failed,
            "the log directory answered something that is not a directory listing",
        );
    }
    // (relative path, rank)
    let mut candidates: Vec<(String, (u8, u8))> = Vec::new();
    let mut listed: Vec<String> = Vec::new();
    for (name, is_dir) in parse_listing(&String::from_utf8_lossy(&root.body)) {
        if is_dir {
            let dir = name.trim_end_matches('/');
            if COMPONENT_DIRS.contains(&dir.to_ascii_lowercase().as_str()) {
                listed.push(dir.to_string());
            }
        } else if let Some(r) = rank(&name) {
            candidates.push((name, r));
        }
    }
    let mut full_dirs: Vec<String> = Vec::new();
    for dir in listed {
        let url = format!("{base}{}/", encode_path(&dir));
        let Ok(answer) = http::get(shared, &url, 256 * 1024, Keep::Head, None).await else {
            continue;
        };
        if answer.status != 200 || !answer.is_html() {
            continue;
        }
        let mut all_logs = true;
        for (name, is_dir) in parse_listing(&String::from_utf8_lossy(&answer.body)) {
            if is_dir {
                continue;
            }
            match rank(&name) {
                Some(r) => candidates.push((format!("{dir}/{name}"), r)),
                None => all_logs = false,
            }
        }
        if all_logs {
            full_dirs.push(dir);
        }
    }
    candidates.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let take = shared.opts.files_per_node;
    let skipped = candidates.len().saturating_sub(take);
    let mut read = Read::note(SourceState::Read, String::new());
    let mut taken: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for (path, _) in candidates.into_iter().take(take) {
        let url = format!("{base}{}", encode_path(&path));
        let limit = shared.opts.log_bytes;
        match http::get(shared, &url, limit, Keep::Tail, Some(limit)).await {
            Ok(a) if a.status == 200 || a.status == 206 => {
                if !shared.take_bytes(a.body.len() as u64) {
                    problems.push(format!("{path}: not kept (byte budget spent)"));
                    continue;
                }
                let text = crate::redact::redact(&crate::sources::text::decode(&a.body));
                read.files
                    .push((format!("node/node-logs/{path}"), text.into_bytes()));
                read.coverage.push(win_path(&path));
                taken.push(path);
            }
            Ok(a) => problems.push(format!("{path}: HTTP {} {}", a.status, a.message())),
            Err(e) => problems.push(format!("{path}: {e}")),
        }
    }
    // A directory counts as covered only when every file in it was taken.
    for dir in full_dirs {
        let prefix = format!("{dir}/");
        if skipped == 0 && problems.iter().all(|p| !p.starts_with(&prefix)) {
            read.coverage.push(win_path(&dir));
        }
    }
    read.note.detail = if taken.is_empty() {
        "read the listing of C:\\var\\log: no kubelet, kube-proxy, flanneld or containerd log file in it".to_string()
    } else {
        format!(
            "read the tails of {} file(s) of C:\\var\\log: {}{}{}",
            taken.len(),
            taken.join(", "),
            if skipped > 0 {
                format!(" ({skipped} more not taken)")
            } else {
                String::new()
            },
            if problems.is_empty() {
                String::new()
            } else {
                format!("; not read: {}", problems.join("; "))
            }
        )
    };
    read
}

/// Node log queries (KEP-2258) for the kubelet and containerd, tried once: an HTML answer is the
/// directory listing of a kubelet without the feature.
pub async fn log_query(shared: &Shared, node: &str, config_says: Option<bool>) -> Read {
    if config_says == Some(false) {
        return Read::note(
            SourceState::Missing,
            "the kubelet's configuration has enableSystemLogQuery: false",
        );
    }
    if let Some(r) = already_forbidden(shared) {
        return r;
    }
    let mut read = Read::note(SourceState::Read, String::new());
    let mut answered = Vec::new();
    for (i, service) in ["kubelet", "containerd"].into_iter().enumerate() {
        let url = format!(
            "/api/v1/nodes/{}/proxy/logs/?query={service}&tailLines={}",
            encode_component(node),
            shared.opts.tail_lines
        );
        let answer = match http::get(shared, &url, shared.opts.log_bytes, Keep::Tail, None).await {
            Ok(a) => a,
            Err(e) if i == 0 => return Read::note(SourceState::Failed, e),
            Err(_) => continue,
        };
        if answer.status != 200 {
            if i == 0 {
                return refused(shared, "the node log query", &answer);
            }
            continue;
        }
        if answer.is_html() {
            return Read::note(
                SourceState::Missing,
                "the kubelet answered ?query= with its log directory listing: the node log query is off (feature gate NodeLogQuery, enableSystemLogQuery)",
            );
        }
        let text = crate::sources::text::decode(&answer.body);
        if text.trim_start().starts_with("log not found for") {
            answered.push(format!("{service}: {}", text.trim()));
            continue;
        }
        if text.trim().is_empty() {
            answered.push(format!("{service}: nothing"));
            continue;
        }
        if !shared.take_bytes(answer.body.len() as u64) {
            answered.push(format!("{service}: not kept (byte budget spent)"));
            continue;
        }
        read.files.push((
            format!("node/node-logs/query/{service}.log"),
            crate::redact::redact(&text).into_bytes(),
        ));
        answered.push(format!("{service}: {} line(s)", text.lines().count()));
    }
    read.note.detail = format!("the node log query answered {}", answered.join("; "));
    if read.files.is_empty() {
        read.note.state = SourceState::Missing;
    }
    read
}

/// The entries of a Go `http.FileServer` listing: `(name, is_dir)`, names URL-decoded.
pub fn parse_listing(html: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in html.lines() {
        let Some(start) = line.find("<a href=\"") else {
            continue;
        };
        let rest = &line[start + 9..];
        let Some(end) = rest.find('"') else {
            continue;
        };
        let href = rest[..end].trim_start_matches("./");
        let name = percent_decode(href);
        if name.is_empty() || name.contains("..") || name.starts_with('/') {
            continue;
        }
        let is_dir = name.ends_with('/');
        if name.trim_end_matches('/').contains('/') {
            continue;
        }
        out.push((name, is_dir));
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// `kubelet/kubelet.log` -> `C:\var\log\kubelet\kubelet.log`.
fn win_path(rel: &str) -> String {
    format!(
        "{}\\{}",
        crate::facts::node::remote::KUBELET_LOG_DIR,
        rel.replace('/', "\\")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_of_go_file_servers() {
        let html =
            "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n\
<a href=\"containers/\">containers/</a>\n<a href=\"kubelet/\">kubelet/</a>\n\
<a href=\"a%20b%3F.log\">a b?.log</a>\n<a href=\"./c:d%3Ce%3E\">c:d&lt;e&gt;</a>\n</pre>\n";
        assert_eq!(
            parse_listing(html),
            [
                ("containers/".to_string(), true),
                ("kubelet/".to_string(), true),
                ("a b?.log".to_string(), false),
                ("c:d<e>".to_string(), false),
            ]
        );
        // Older Go: only the <pre> block.
        assert_eq!(
            parse_listing("<pre>\n<a href=\"kubelet.log\">kubelet.log</a>\n</pre>\n"),
            [("kubelet.log".to_string(), false)]
        );
        assert!(parse_listing("<a href=\"../x\">x</a>").is_empty());
    }

    #[test]
    fn ranks_component_logs() {
        assert!(rank("kubelet.err.log") < rank("kubelet.log"));
        assert!(rank("kubelet.log") < rank("kube-proxy.log"));
        assert_eq!(rank("setupapi.dev.txt"), None);
        assert_eq!(rank("random.log"), None);
        assert_eq!(
            win_path("kubelet/kubelet.log"),
            r"C:\var\log\kubelet\kubelet.log"
        );
    }
}
