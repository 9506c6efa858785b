//! Facts about the local Windows node (processes, services, HNS networks, adapters, environment and
//! the files the node checks read). Filled from a bundle's `node/` part or by the live collector,
//! which writes the same node part in memory first, so both paths share one parser.
//!
//! The node part is optional: `present` is false when no node data was captured at all, and then
//! every node-side check reports `skip`. When it is present, a file absent from `files` does not
//! exist on the node (docs/bundle.md). The submodules parse the node's own file formats (subnet.env,
//! SourceVip.json, cni.conf, containerd config.toml, kubelet flags, HNS JSON, klog tails); each
//! returns `Err` with a sentence saying what is wrong instead of panicking on odd input.

pub mod cmdline;
pub mod cni;
pub mod containerd;
pub mod eventlog;
pub mod flannel;
pub mod kubelet;
pub mod logs;
pub mod records;
pub mod remote;
pub mod sourcevip;
pub mod subnet_env;

use super::Input;
pub use records::{HnsNetwork, IpAddress, NetAdapter, NodeInfo, NssmParams, Process, WinService};
use std::collections::BTreeMap;

/// The message of every node input when the source has no node part.
pub const NOT_CAPTURED: &str =
    "node data not captured: run windoctor on the Windows node or use a bundle with a node/ part";

#[derive(Debug, Default)]
pub struct NodeFacts {
    /// True when the source has a node part (`node/node.json` exists or the live collector ran).
    pub present: bool,
    /// The collector that gathered this node part, when another tool did (node.json
    /// `collected_by`), e.g. `aks-collect-windows-logs`.
    pub collector: Option<String>,
    /// Records gathered only in part, with what they lack (node.json `partial`): checks that need
    /// the rest report `skip` with this reason.
    pub partial: BTreeMap<String, String>,
    /// Host name of the local machine as the node part recorded it.
    pub hostname: Input<String>,
    /// OS, hardware and collection details from `node/node.json`.
    pub info: Input<NodeInfo>,
    /// Running processes with full command lines (`node/processes.json`).
    pub processes: Input<Vec<Process>>,
    /// Windows services of interest with start mode and binary path (`node/services.json`).
    pub services: Input<Vec<WinService>>,
    /// `Get-HnsNetwork` (`node/hns-networks.json`).
    pub hns_networks: Input<Vec<HnsNetwork>>,
    /// `Get-NetAdapter` (`node/net-adapters.json`).
    pub adapters: Input<Vec<NetAdapter>>,
    /// `Get-NetIPAddress -AddressFamily IPv4` (`node/ip-addresses.json`, optional).
    pub ip_addresses: Input<Vec<IpAddress>>,
    /// Allow-listed machine environment, keys upper-cased (`node/env.json`).
    pub env: Input<BTreeMap<String, String>>,
    /// The node files the checks read (`node/files/C/...`). Ready whenever the node part is present.
    pub files: Input<NodeFiles>,
    /// Component log tails (`node/logs/*` and the `*.log` files among `files`), plus, for a part
    /// made from the API, the system pods' log tails (`pod log NS/POD/CONTAINER`) and the kubelet's
    /// served log files and node log query answers.
    pub logs: Input<Vec<NodeLog>>,
    /// Windows Event Log tails (`node/eventlog/NAME.json`): `Missing` when none was gathered.
    pub eventlogs: Input<Vec<eventlog::EventLogTail>>,
    /// The Node this part is about, when the bundle layout names it (`nodes/NAME/`).
    pub node_name: Option<String>,
    /// Who made the part: windoctor's collector on the node, or what the API serves.
    pub origin: remote::PartOrigin,
    /// The system pods on the node with their container statuses (`system-pods.json`).
    pub system_pods: Input<Vec<remote::SystemPod>>,
    /// The kubelet's running configuration (`configz.json`).
    pub configz: Input<remote::Configz>,
    /// How each source read through the API went for this node (node.json `sources`).
    pub sources: BTreeMap<remote::RemoteSource, remote::SourceNote>,
}

impl NodeFacts {
    /// A node part that is there but could not be read at all (an unreadable `node/` folder, a
    /// missing `--node-root`): every input is `Failed` with `why`.
    pub fn failed(why: &str) -> NodeFacts {
        let failed = || why.to_string();
        NodeFacts {
            present: true,
            hostname: Input::Failed(failed()),
            info: Input::Failed(failed()),
            processes: Input::Failed(failed()),
            services: Input::Failed(failed()),
            hns_networks: Input::Failed(failed()),
            adapters: Input::Failed(failed()),
            ip_addresses: Input::Failed(failed()),
            env: Input::Failed(failed()),
            files: Input::Failed(failed()),
            logs: Input::Failed(failed()),
            system_pods: Input::Failed(failed()),
            configz: Input::Failed(failed()),
            ..NodeFacts::absent()
        }
    }

    /// True when the node part is there and at least one of its inputs could be read.
    pub fn any_ready(&self) -> bool {
        self.present
            && (self.files.is_ready()
                || self.processes.is_ready()
                || self.services.is_ready()
                || self.hns_networks.is_ready()
                || self.adapters.is_ready()
                || self.ip_addresses.is_ready()
                || self.env.is_ready()
                || self.info.is_ready()
                || self.system_pods.is_ready()
                || self.configz.is_ready()
                || self.logs.is_ready())
    }

    /// Node facts with every input marked as not captured.
    pub fn absent() -> NodeFacts {
        let missing = || NOT_CAPTURED.to_string();
        NodeFacts {
            present: false,
            collector: None,
            partial: BTreeMap::new(),
            hostname: Input::Missing(missing()),
            info: Input::Missing(missing()),
            processes: Input::Missing(missing()),
            services: Input::Missing(missing()),
            hns_networks: Input::Missing(missing()),
            adapters: Input::Missing(missing()),
            ip_addresses: Input::Missing(missing()),
            env: Input::Missing(missing()),
            files: Input::Missing(missing()),
            logs: Input::Missing(missing()),
            eventlogs: Input::Missing(missing()),
            node_name: None,
            origin: remote::PartOrigin::Node,
            system_pods: Input::Missing(missing()),
            configz: Input::Missing(missing()),
            sources: BTreeMap::new(),
        }
    }

    /// The outcome recorded for `source`, if it was tried.
    pub fn source(&self, source: remote::RemoteSource) -> Option<&remote::SourceNote> {
        self.sources.get(&source)
    }

    /// One sentence naming the sources that could not be read for this node and what would
    /// provide them, for messages of checks that found too little (empty when nothing failed).
    pub fn unread_sources(&self) -> String {
        let mut parts = Vec::new();
        for (source, note) in &self.sources {
            if note.state != remote::SourceState::Read {
                parts.push(format!(
                    "{}: {} (needs {})",
                    source.name(),
                    note.detail,
                    source.provided_by()
                ));
            }
        }
        parts.join("; ")
    }
}

/// One node file as captured: its Windows path, how it was encoded, and its decoded text.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFile {
    /// The Windows path, e.g. `C:\k\SourceVip.json`.
    pub path: String,
    /// "UTF-8", "UTF-16LE with BOM", ... (from `sources::text::encoding_name`).
    pub encoding: &'static str,
    /// Decoded text with CRLF normalised to LF.
    pub text: String,
    /// Size in bytes as stored.
    pub size: usize,
}

/// Every captured node file, looked up by Windows path without regard to case.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeFiles {
    pub files: Vec<NodeFile>,
    /// Files that exist but could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
    /// What the node part covers. `None`: windoctor's own collector read everything the checks
    /// read, so a file it does not hold does not exist on the node. `Some(paths)`: only these files
    /// and directories (and everything below them) were looked at, as when the node part was made
    /// from another tool's collection or from what the API serves: a path outside them was not
    /// captured, which says nothing about the node.
    pub coverage: Option<Vec<String>>,
    /// Who made a partial node part, for messages ("collectlogs.ps1", "the node log API").
    pub captured_by: Option<String>,
}

/// `*` (not crossing `\`) and `?` over normalised Windows paths.
fn win_glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            win_glob(&p[1..], s) || (!s.is_empty() && s[0] != b'\\' && win_glob(p, &s[1..]))
        }
        (Some(b'?'), Some(c)) if *c != b'\\' => win_glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => win_glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// What is known about one node path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FileState<'a> {
    Present(&'a NodeFile),
    /// The node part exists and covers the path, and the file is not in it: it does not exist on
    /// the node.
    Absent,
    Unreadable(&'a str),
    /// The node part does not cover the path (a partial collection): nothing is known about it.
    /// The string names who made the node part.
    NotCaptured(&'a str),
}

/// In tests: every node path asked for on this thread, so that a test can show the node collector
/// gathers each file and directory the model and the checks read.
#[cfg(test)]
pub mod read_log {
    use std::cell::RefCell;

    thread_local! {
        static READS: RefCell<Option<Vec<(bool, String)>>> = const { RefCell::new(None) };
    }

    /// Starts recording on this thread.
    pub fn start() {
        READS.with(|r| *r.borrow_mut() = Some(Vec::new()));
    }

    /// Stops recording and gives what was asked: `(is_directory, path)`.
    pub fn take() -> Vec<(bool, String)> {
        READS.with(|r| r.borrow_mut().take().unwrap_or_default())
    }

    pub(super) fn note(is_dir: bool, path: &str) {
        READS.with(|r| {
            if let Some(v) = r.borrow_mut().as_mut() {
                v.push((is_dir, path.to_string()));
            }
        });
    }
}

impl NodeFiles {
    pub fn get(&self, path: &str) -> Option<&NodeFile> {
        #[cfg(test)]
        read_log::note(false, path);
        let want = normalise_win_path(path);
        self.files
            .iter()
            .find(|f| normalise_win_path(&f.path) == want)
    }

    pub fn state(&self, path: &str) -> FileState<'_> {
        if let Some(f) = self.get(path) {
            return FileState::Present(f);
        }
        match self.unreadable_reason(path) {
            Some(why) => FileState::Unreadable(why),
            None if self.covers(path) => FileState::Absent,
            None => FileState::NotCaptured(self.captured_by.as_deref().unwrap_or("the collection")),
        }
    }

    /// Why `path` could not be read: it, or a folder above it, exists but could not be read.
    pub fn unreadable_reason(&self, path: &str) -> Option<&str> {
        let want = normalise_win_path(path);
        self.unreadable
            .iter()
            .find(|(p, _)| {
                let p = normalise_win_path(p);
                want == p || want.starts_with(&format!("{}\\", p.trim_end_matches('\\')))
            })
            .map(|(_, why)| why.as_str())
    }

    /// What could not be read directly inside `dir` (files whose names end with one of
    /// `suffixes`), or `dir` itself or a folder above it when that could not be listed.
    pub fn unreadable_in_dir(&self, dir: &str, suffixes: &[&str]) -> Vec<(String, String)> {
        if let Some(why) = self.unreadable_reason(dir) {
            return vec![(display_win_path(dir), why.to_string())];
        }
        let mut prefix = normalise_win_path(dir);
        if !prefix.ends_with('\\') {
            prefix.push('\\');
        }
        self.unreadable
            .iter()
            .filter(|(p, _)| {
                normalise_win_path(p)
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| {
                        !rest.contains('\\') && suffixes.iter().any(|s| rest.ends_with(s))
                    })
            })
            .cloned()
            .collect()
    }

    /// True when the node part looked at `path` (always, for windoctor's own collector).
    pub fn covers(&self, path: &str) -> bool {
        let Some(coverage) = &self.coverage else {
            return true;
        };
        let want = normalise_win_path(path);
        coverage.iter().any(|c| {
            let c = normalise_win_path(c);
            // An entry with `*` or `?` is a pattern (`C:\k\*.log*`: the logs of C:\k only).
            if c.contains(['*', '?']) {
                return win_glob(c.as_bytes(), want.as_bytes());
            }
            want == c
                || want
                    .strip_prefix(&c)
                    .is_some_and(|rest| rest.starts_with('\\'))
        })
    }

    /// True when the node part looked at every file of the folder `dir` (always, for windoctor's
    /// own collector): the folder, or one above it, or `dir\*`, is covered.
    pub fn covers_dir(&self, dir: &str) -> bool {
        let Some(coverage) = &self.coverage else {
            return true;
        };
        let want = normalise_win_path(dir);
        let all = format!("{want}\\*");
        coverage.iter().any(|c| {
            let c = normalise_win_path(c);
            c == all
                || want == c
                || want
                    .strip_prefix(&c)
                    .is_some_and(|rest| rest.starts_with('\\'))
        })
    }

    /// Files directly inside `dir` (not below it) whose names end with one of `suffixes`.
    pub fn in_dir(&self, dir: &str, suffixes: &[&str]) -> Vec<&NodeFile> {
        #[cfg(test)]
        read_log::note(true, dir);
        let mut prefix = normalise_win_path(dir);
        if !prefix.ends_with('\\') {
            prefix.push('\\');
        }
        self.files
            .iter()
            .filter(|f| {
                let p = normalise_win_path(&f.path);
                p.strip_prefix(&prefix).is_some_and(|rest| {
                    !rest.contains('\\') && suffixes.iter().any(|s| rest.ends_with(s))
                })
            })
            .collect()
    }
}

/// A Windows path in one comparable form: backslashes, lower case, drive letter kept, `/` and
/// repeated separators folded, Unix-style absolute paths (`/var/lib/kubelet`) put on drive C.
pub fn normalise_win_path(path: &str) -> String {
    let p = path.trim().trim_matches('"').replace('/', "\\");
    let mut out = String::with_capacity(p.len() + 2);
    if p.starts_with('\\') && !p.starts_with("\\\\") {
        out.push_str("c:");
    }
    let mut last_sep = false;
    for c in p.chars() {
        if c == '\\' {
            if !last_sep {
                out.push('\\');
            }
            last_sep = true;
        } else {
            out.extend(c.to_lowercase());
            last_sep = false;
        }
    }
    if out.ends_with('\\') && out.len() > 3 {
        out.pop();
    }
    out
}

/// The display form of a Windows path: drive letter upper case, backslashes, `/x` put on `C:`.
pub fn display_win_path(path: &str) -> String {
    let p = path.trim().trim_matches('"').replace('/', "\\");
    let p = if p.starts_with('\\') && !p.starts_with("\\\\") {
        format!("C:{p}")
    } else {
        p
    };
    let mut chars = p.chars();
    match (chars.next(), chars.next()) {
        (Some(d), Some(':')) => format!("{}:{}", d.to_ascii_uppercase(), chars.as_str()),
        _ => p,
    }
}

/// `C:\k\SourceVip.json` -> `node/files/C/k/SourceVip.json` (the bundle layout of docs/bundle.md).
pub fn bundle_path(win_path: &str) -> Option<String> {
    let p = display_win_path(win_path);
    let (drive, rest) = p.split_once(":\\")?;
    if drive.len() != 1 || !drive.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let rest: Vec<&str> = rest.split('\\').filter(|s| !s.is_empty()).collect();
    if rest.is_empty() || rest.iter().any(|s| *s == ".." || *s == ".") {
        return None;
    }
    Some(format!("node/files/{drive}/{}", rest.join("/")))
}

/// `node/files/C/k/SourceVip.json` -> `C:\k\SourceVip.json`.
pub fn win_path_of_bundle(path: &str) -> Option<String> {
    let rest = path.replace('\\', "/");
    let lower = rest.to_ascii_lowercase();
    let rest = if lower.starts_with("node/files/") {
        &rest["node/files/".len()..]
    } else {
        return None;
    };
    let (drive, tail) = rest.split_once('/')?;
    if drive.len() != 1 {
        return None;
    }
    Some(format!(
        "{}:\\{}",
        drive.to_ascii_uppercase(),
        tail.replace('/', "\\")
    ))
}

/// Machine environment variables windoctor keeps (values of every other variable are never read
/// into facts or bundles): proxy settings and the names the node scripts pass to components.
pub fn is_allowed_env_key(key: &str) -> bool {
    matches!(
        key.to_ascii_uppercase().as_str(),
        "HTTP_PROXY"
            | "HTTPS_PROXY"
            | "NO_PROXY"
            | "NODE_NAME"
            | "KUBE_NETWORK"
            | "KUBECONFIG"
            | "CONTAINER_RUNTIME_ENDPOINT"
            | "CNI_PATH"
            | "PROCESSOR_ARCHITECTURE"
    )
}

/// A proxy URL without credentials: `http://user:pass@proxy:3128` -> `http://<redacted>@proxy:3128`.
pub fn strip_url_credentials(value: &str) -> String {
    value
        .split(',')
        .map(|part| match part.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((_, host)) if !host.contains('/') || rest.find('@') < rest.find('/') => {
                    format!("{scheme}://<redacted>@{host}")
                }
                _ => part.to_string(),
            },
            None => match part.split_once('@') {
                Some((_, host)) => format!("<redacted>@{host}"),
                None => part.to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A component log tail.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeLog {
    /// kubelet, kube-proxy, flanneld, containerd, docker, or the file stem when unknown.
    pub component: String,
    /// Where it was read: a Windows path or `node/logs/<name>`.
    pub path: String,
    pub text: String,
}

/// Which component a log file belongs to, judged from its name.
pub fn log_component(file_name: &str) -> String {
    let n = file_name.to_ascii_lowercase();
    for (needle, component) in [
        ("kube-proxy", "kube-proxy"),
        ("kubeproxy", "kube-proxy"),
        ("kubelet", "kubelet"),
        ("flanneld", "flanneld"),
        ("flannel", "flanneld"),
        ("containerd", "containerd"),
        ("dockerd", "docker"),
        ("docker", "docker"),
    ] {
        if n.contains(needle) {
            return component.to_string();
        }
    }
    n.split('.').next().unwrap_or(&n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_patterns_of_a_collector() {
        let files = NodeFiles {
            coverage: Some(vec![
                r"C:\k\*.log*".into(),
                r"C:\k\azurecni\netconf\10-azure.conflist".into(),
                r"C:\etc\cni\net.d\*".into(),
            ]),
            captured_by: Some("x.ps1".into()),
            ..Default::default()
        };
        assert!(files.covers(r"c:\K\kubelet.err.log"));
        assert!(files.covers(r"C:\k\kubelet.err-1.log"));
        assert!(!files.covers(r"C:\k\sub\kubelet.log"));
        assert!(!files.covers(r"C:\k\SourceVip.json"));
        assert!(files.covers_dir(r"C:\etc\cni\net.d"));
        assert!(!files.covers_dir(r"C:\k\azurecni\netconf"));
        assert!(!files.covers_dir(r"C:\k"));
        assert_eq!(files.state(r"C:\k\flanneld.log"), FileState::Absent);
        assert_eq!(
            files.state(r"C:\run\flannel\subnet.env"),
            FileState::NotCaptured("x.ps1")
        );
        assert!(NodeFiles::default().covers_dir(r"C:\k\cni\config"));
    }

    #[test]
    fn windows_paths_map_to_bundle_paths_and_back() {
        assert_eq!(
            bundle_path(r"C:\k\SourceVip.json").as_deref(),
            Some("node/files/C/k/SourceVip.json")
        );
        assert_eq!(
            bundle_path(r"c:\Program Files\containerd\config.toml").as_deref(),
            Some("node/files/C/Program Files/containerd/config.toml")
        );
        assert_eq!(
            bundle_path("/var/lib/kubelet/config.yaml").as_deref(),
            Some("node/files/C/var/lib/kubelet/config.yaml")
        );
        assert_eq!(bundle_path(r"C:\k\..\Windows\x"), None);
        assert_eq!(bundle_path("relative.txt"), None);
        assert_eq!(
            win_path_of_bundle("node/files/C/run/flannel/subnet.env").as_deref(),
            Some(r"C:\run\flannel\subnet.env")
        );
        assert_eq!(
            normalise_win_path(r"C:/K//cni\config\"),
            normalise_win_path(r"c:\k\cni\config")
        );
    }

    #[test]
    fn files_are_found_without_regard_to_case() {
        let files = NodeFiles {
            files: vec![NodeFile {
                path: r"C:\k\sourceVip.json".into(),
                encoding: "UTF-8",
                text: "{}".into(),
                size: 2,
            }],
            unreadable: vec![(r"C:\k\cni\config\cni.conf".into(), "denied".into())],
            ..Default::default()
        };
        assert!(matches!(
            files.state(r"C:\K\SourceVip.json"),
            FileState::Present(_)
        ));
        assert_eq!(files.state(r"C:\run\flannel\subnet.env"), FileState::Absent);
        assert_eq!(
            files.state(r"c:\k\cni\config\cni.conf"),
            FileState::Unreadable("denied")
        );
        assert_eq!(files.in_dir(r"C:\k", &[".json"]).len(), 1);
        assert_eq!(files.in_dir(r"C:\", &[".json"]).len(), 0);
    }

    #[test]
    fn a_partial_node_part_says_nothing_about_what_it_did_not_look_at() {
        let files = NodeFiles {
            coverage: Some(vec![
                r"C:\k".into(),
                r"C:\var\log\kubelet\kubelet.log".into(),
            ]),
            captured_by: Some("collectlogs.ps1".into()),
            ..Default::default()
        };
        assert_eq!(files.state(r"C:\k\SourceVip.json"), FileState::Absent);
        assert_eq!(files.state(r"C:\K\cni\config\cni.conf"), FileState::Absent);
        assert_eq!(
            files.state(r"C:\var\log\kubelet\kubelet.log"),
            FileState::Absent
        );
        assert_eq!(
            files.state(r"C:\run\flannel\subnet.env"),
            FileState::NotCaptured("collectlogs.ps1")
        );
        // A directory's name as a prefix of another name is not coverage.
        assert_eq!(
            files.state(r"C:\kx\file"),
            FileState::NotCaptured("collectlogs.ps1")
        );
    }

    #[test]
    fn environment_allow_list_and_credentials() {
        assert!(is_allowed_env_key("https_proxy"));
        assert!(!is_allowed_env_key("AWS_SECRET_ACCESS_KEY"));
        assert_eq!(
            strip_url_credentials("http://bob:s3cret@proxy.corp:3128/"),
            "http://<redacted>@proxy.corp:3128/"
        );
        assert_eq!(
            strip_url_credentials("http://proxy.corp:3128"),
            "http://proxy.corp:3128"
        );
        assert_eq!(strip_url_credentials(".svc,10.0.0.0/8"), ".svc,10.0.0.0/8");
    }
}
