//! What the fake cluster knows of each node's kubelet beyond the Node
//! object: its running configuration (served at `nodes/NAME/proxy/configz`),
//! the files under its log directory (`C:\var\log`, served at
//! `nodes/NAME/proxy/logs/...`) and canned node log query results
//! (`.../logs/?query=NAME`). Paths are kept `/`-separated and relative to
//! the log directory.

use std::collections::BTreeMap;
use std::sync::Arc;

/// One node's kubelet data.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeFiles {
    /// The `kubeletconfig` value, as JSON.
    pub configz: Option<Arc<[u8]>>,
    /// Log files by path relative to the log directory (`kubelet/kubelet.log`).
    pub logs: BTreeMap<String, Arc<[u8]>>,
    /// Node log query results by query (`kubelet`).
    pub queries: BTreeMap<String, Arc<[u8]>>,
}

/// An entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct DirEntry {
    pub name: String,
    pub is_dir: bool,
}

/// What a path under the log directory is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogPath {
    Dir(Vec<DirEntry>),
    File(Arc<[u8]>),
    Missing,
}

/// Normalizes a log path: `\` to `/`, no leading or trailing `/`, no `.`
/// segments, `..` resolved without leaving the root (as Go's `path.Clean`
/// does for the kubelet's file server).
pub(crate) fn clean_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

impl NodeFiles {
    /// What `path` (already cleaned; empty for the root) is.
    pub fn lookup(&self, path: &str) -> LogPath {
        if let Some(file) = self.logs.get(path) {
            return LogPath::File(Arc::clone(file));
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut entries: Vec<DirEntry> = Vec::new();
        for key in self.logs.keys().filter(|k| k.starts_with(&prefix)) {
            let rest = &key[prefix.len()..];
            let entry = match rest.split_once('/') {
                Some((dir, _)) => DirEntry {
                    name: dir.to_string(),
                    is_dir: true,
                },
                None => DirEntry {
                    name: rest.to_string(),
                    is_dir: false,
                },
            };
            if entries.last() != Some(&entry) {
                entries.push(entry);
            }
        }
        if entries.is_empty() && !path.is_empty() {
            return LogPath::Missing;
        }
        entries.sort();
        entries.dedup();
        LogPath::Dir(entries)
    }

    /// Whether anything is stored for the node.
    pub fn is_empty(&self) -> bool {
        self.configz.is_none() && self.logs.is_empty() && self.queries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> NodeFiles {
        let mut f = NodeFiles::default();
        for path in [
            "kubelet/kubelet.log",
            "kubelet/kubelet.err.log",
            "containerd/containerd.log",
            "setup.log",
        ] {
            f.logs.insert(path.to_string(), Arc::from(path.as_bytes()));
        }
        f
    }

    #[test]
    fn lists_and_finds() {
        let f = files();
        let root = match f.lookup("") {
            LogPath::Dir(entries) => entries,
            other => panic!("{other:?}"),
        };
        let names: Vec<(&str, bool)> = root.iter().map(|e| (e.name.as_str(), e.is_dir)).collect();
        assert_eq!(
            names,
            [
                ("containerd", true),
                ("kubelet", true),
                ("setup.log", false)
            ]
        );
        assert!(matches!(f.lookup("kubelet"), LogPath::Dir(e) if e.len() == 2));
        assert!(matches!(f.lookup("setup.log"), LogPath::File(_)));
        assert_eq!(f.lookup("nope"), LogPath::Missing);
        assert_eq!(NodeFiles::default().lookup(""), LogPath::Dir(Vec::new()));
    }

    #[test]
    fn cleans_paths() {
        assert_eq!(clean_path("/kubelet//kubelet.log"), "kubelet/kubelet.log");
        assert_eq!(clean_path("..\\..\\Windows\\win.ini"), "Windows/win.ini");
        assert_eq!(clean_path("a/./b/../c/"), "a/c");
        assert_eq!(clean_path(""), "");
    }
}
