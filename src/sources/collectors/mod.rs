//! Snapshots that other tools made: OpenShift must-gather, AKS collect-windows-logs.ps1,
//! microsoft/SDN collectlogs.ps1, aks-periscope and the EKS log collector. `detect` recognises
//! each collector's output from its files (several nodes in one collection are several parts),
//! and `translate` turns it into a bundle in windoctor's own layout using the mapping data of
//! `checks/data/collectors/` (`table`), so the bundle reader and every check run on it unchanged.
//!
//! One file per collector says how its parts are named (node names from archive names, host names
//! or `oc adm node-logs` prefixes); `formats` parses the text the collectors write; `pattern`
//! matches the mapping's paths.

mod aks;
mod eks;
pub mod formats;
mod must_gather;
pub mod pattern;
mod periscope;
mod sdn;
pub mod table;
pub mod translate;

use crate::facts::collection::CollectionInfo;
use crate::sources::files::FileStore;
use pattern::Pattern;
use std::collections::{BTreeMap, BTreeSet};
use table::{Collector, Detect};
pub use translate::{Found, TranslatedStore};

/// The folders and files of a store, for detection: each folder's direct children.
pub struct Tree {
    children: BTreeMap<String, BTreeSet<String>>,
    files: BTreeSet<String>,
}

impl Tree {
    pub fn new(paths: &[String]) -> Tree {
        let mut children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut files = BTreeSet::new();
        for p in paths {
            files.insert(p.clone());
            let mut dir = String::new();
            for part in p.split('/') {
                children
                    .entry(dir.clone())
                    .or_default()
                    .insert(part.to_string());
                if !dir.is_empty() {
                    dir.push('/');
                }
                dir.push_str(part);
            }
        }
        Tree { children, files }
    }

    fn join(dir: &str, name: &str) -> String {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    }

    /// Every folder, the root ("") first.
    pub fn dirs(&self) -> impl Iterator<Item = &String> {
        self.children.keys()
    }

    /// True when some path below `dir` matches `pattern` (relative to `dir`).
    pub fn has(&self, dir: &str, pattern: &str) -> bool {
        let Some(p) = Pattern::parse(pattern) else {
            return false;
        };
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        // A literal first name narrows the search quickly.
        let first = pattern.split('/').next().unwrap_or("");
        if !first.contains(['*', '?', '{'])
            && !self
                .children
                .get(dir)
                .is_some_and(|c| c.iter().any(|n| n.eq_ignore_ascii_case(first)))
        {
            return false;
        }
        self.files
            .range(prefix.clone()..)
            .take_while(|f| f.starts_with(&prefix))
            .any(|f| p.matches(&f[prefix.len()..]) || dir_matches(&p, &f[prefix.len()..]))
    }

    /// The direct children of `dir`.
    pub fn children(&self, dir: &str) -> impl Iterator<Item = &String> {
        self.children.get(dir).into_iter().flatten()
    }

    pub fn is_file(&self, path: &str) -> bool {
        self.files.contains(path)
    }
}

/// True when a folder on the way to `file` matches `p` (a pattern naming a folder, `x/**`).
fn dir_matches(p: &Pattern, file: &str) -> bool {
    let mut end = 0;
    while let Some(i) = file[end..].find('/') {
        end += i;
        if p.matches(&file[..end]) {
            return true;
        }
        end += 1;
    }
    false
}

fn detect_matches(tree: &Tree, dir: &str, d: &Detect) -> bool {
    if let Some(folder) = &d.folder {
        let name = dir.rsplit('/').next().unwrap_or(dir);
        if !name.eq_ignore_ascii_case(folder) {
            return false;
        }
    }
    !d.all.is_empty()
        && d.all
            .iter()
            .all(|group| group.iter().any(|p| tree.has(dir, p)))
        && !d.none.iter().any(|p| tree.has(dir, p))
}

fn claimed(claims: &[String], dir: &str) -> bool {
    claims
        .iter()
        .any(|c| c.is_empty() || dir == c || dir.starts_with(&format!("{c}/")))
}

/// Every collection found in `store`. `origin` is the snapshot's own file or folder name (it names
/// the node when the collection is the snapshot itself, as an AKS zip is).
pub fn detect(store: &dyn FileStore, origin: &str) -> Vec<Found> {
    let paths = store.paths();
    let tree = Tree::new(&paths);
    let mut found: Vec<Found> = Vec::new();
    let mut claims: Vec<String> = Vec::new();
    let mut duplicates: Vec<String> = Vec::new();
    for collector in table::all() {
        let dirs: Vec<String> = tree.dirs().cloned().collect();
        for dir in dirs {
            if claimed(&claims, &dir) {
                continue;
            }
            let Some(d) = collector
                .detect
                .iter()
                .find(|d| detect_matches(&tree, &dir, d))
            else {
                continue;
            };
            let mut data = vec![(collector, dir.clone())];
            if let (Some(delegate), Some(sub)) = (&collector.delegate, &d.node_data) {
                if let Some(inner) = table::by_id(delegate) {
                    data.push((inner, Tree::join(&dir, sub)));
                }
            }
            let name = if dir.is_empty() {
                origin.to_string()
            } else {
                dir.rsplit('/').next().unwrap_or(&dir).to_string()
            };
            let (node, hostname) = node_of(collector, store, &tree, &dir, &name, d);
            claims.push(dir.clone());
            // The same collection twice (a folder and the archive it came from, side by side):
            // read the first only.
            if let Some(first) = found.iter().find(|f: &&Found| {
                f.collector.id == collector.id
                    && f.node == node
                    && last_name(&f.root, origin) == last_name(&dir, origin)
            }) {
                duplicates.push(format!(
                    "{} holds the same {} collection as {}: read once",
                    if dir.is_empty() { origin } else { &dir },
                    collector.name,
                    if first.root.is_empty() {
                        origin
                    } else {
                        &first.root
                    }
                ));
                continue;
            }
            found.push(Found {
                collector,
                root: dir,
                node,
                hostname,
                data,
                notes: Vec::new(),
            });
        }
    }
    if let Some(first) = found.first_mut() {
        first.notes = duplicates;
    }
    found
}

/// The last name of a collection's folder without an archive extension (`x_logs.zip` -> `x_logs`).
fn last_name(root: &str, origin: &str) -> String {
    let name = if root.is_empty() {
        origin
    } else {
        root.rsplit('/').next().unwrap_or(root)
    };
    let lower = name.to_ascii_lowercase();
    for ext in [".tar.gz", ".tgz", ".zip", ".tar"] {
        if let Some(stem) = lower.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    lower
}

/// The node (and host) a collection is about, as each collector tells it.
fn node_of(
    collector: &Collector,
    store: &dyn FileStore,
    tree: &Tree,
    dir: &str,
    name: &str,
    d: &Detect,
) -> (Option<String>, Option<String>) {
    match collector.id.as_str() {
        "aks-collect-windows-logs" => aks::node_of(store, tree, dir, name),
        "aks-periscope" => periscope::node_of(store, tree, dir, name, d),
        "sdn-collectlogs" => sdn::node_of(store, tree, dir, name),
        "eks-log-collector" => eks::node_of(store, tree, dir, name),
        "openshift-must-gather" => must_gather::node_of(),
        _ => (None, None),
    }
}

/// Reads a small text file of the collection, decoded.
fn small_text(store: &dyn FileStore, tree: &Tree, dir: &str, name: &str) -> Option<String> {
    let path = Tree::join(dir, name);
    let real = if tree.is_file(&path) {
        path
    } else {
        store.find(&path)?
    };
    store
        .read_tail(&real)
        .ok()
        .flatten()
        .map(|b| crate::sources::text::decode(&b))
}

/// The result of reading a snapshot that is another tool's output.
pub struct Translation {
    pub store: TranslatedStore,
    pub info: CollectionInfo,
}

/// Recognises and translates `store`; `None` when no collector's output is in it.
pub fn translate_store(
    store: &dyn FileStore,
    origin: &str,
    notes: Vec<String>,
) -> Option<Translation> {
    let found = detect(store, origin);
    if found.is_empty() {
        return None;
    }
    let mut notes = notes;
    for f in &found {
        notes.extend(f.notes.iter().cloned());
    }
    let (store, info) = translate::translate(store, &found, origin, notes);
    Some(Translation { store, info })
}
