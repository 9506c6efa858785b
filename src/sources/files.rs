//! Read-only file stores a bundle can live in: a directory, the demo embedded in the binary, or an
//! in-memory map (the catalogue's examples). Paths are `/`-separated and relative to the bundle root,
//! and lookups ignore case, because Windows paths are case-insensitive and scripts spell
//! `SourceVip.json` and `sourceVip.json` alike. A store tells "absent" (`Ok(None)`) from "there but
//! unreadable" (`Err`, `refused`), so that an unreadable input is an error and never reads as absent
//! or empty.

use include_dir::Dir;
use std::collections::BTreeMap;
use std::path::Path;

/// Largest file a store hands out whole; logs are read as tails of this size.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// How much of a log's end is read.
pub const LOG_TAIL_BYTES: u64 = 2 * 1024 * 1024;

pub trait FileStore: Send + Sync {
    /// All file paths, relative, `/`-separated, in their real case.
    fn paths(&self) -> Vec<String>;
    /// Reads a file by its real relative path.
    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String>;
    /// What to call this store in messages (a directory path, "embedded demo").
    fn describe(&self) -> String;

    /// Finds `path` without regard to case and reads it: `Ok(None)` when absent, `Err` when it (or
    /// a folder above it) is there but cannot be read.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        match self.find(path) {
            Some(real) => self.read_exact(&real, None).map(Some),
            None => self.refused(path).map_or(Ok(None), Err),
        }
    }

    /// Like `read`, but only the last `LOG_TAIL_BYTES` of the file.
    fn read_tail(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        match self.find(path) {
            Some(real) => self.read_exact(&real, Some(LOG_TAIL_BYTES)).map(Some),
            None => self.refused(path).map_or(Ok(None), Err),
        }
    }

    /// Why `path`, which is not among the readable files, cannot be read although something is
    /// there: it is a directory, a special file or a link leading out of the store, or it lies in a
    /// folder that cannot be listed. `None` when nothing is there.
    fn refused(&self, _path: &str) -> Option<String> {
        None
    }

    /// Everything at or under `dir` that is there but cannot be read, with why (see `refused`).
    fn refused_under(&self, _dir: &str) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The real path of `path`, compared without regard to case.
    fn find(&self, path: &str) -> Option<String> {
        let want = normalise(path);
        self.paths().into_iter().find(|p| normalise(p) == want)
    }

    /// Real paths under `dir` (recursive), compared without regard to case.
    fn list(&self, dir: &str) -> Vec<String> {
        let mut prefix = normalise(dir);
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        self.paths()
            .into_iter()
            .filter(|p| normalise(p).starts_with(&prefix))
            .collect()
    }

    /// A reader over `path` (its real relative path) when this store would rather stream it than
    /// hand it out whole: a large UTF-8 JSON file on disk, such as the pods list of a big cluster,
    /// positioned after any byte-order mark. `None` means: use `read`.
    fn json_stream(&self, _path: &str) -> Option<Box<dyn std::io::BufRead + '_>> {
        None
    }

    fn exists(&self, path: &str) -> bool {
        self.find(path).is_some()
    }
}

fn normalise(path: &str) -> String {
    path.replace('\\', "/")
        .trim_start_matches("./")
        .trim_start_matches('/')
        .to_lowercase()
}

/// A bundle directory on disk. Reads never leave it (`super::confined`): a symbolic link is read
/// only when it leads to a file inside the bundle; anything else that is there but cannot be read
/// (a folder that cannot be listed, a link out, a FIFO, a directory where a file is expected) is
/// remembered with the reason, so that the reader reports `error` instead of "not captured".
pub struct DirStore {
    root: super::confined::Root,
    paths: Vec<String>,
    /// Normalised relative path -> (relative path, why it cannot be read).
    refused: BTreeMap<String, (String, String)>,
    /// Normalised relative paths of the directories (a file expected there is "a directory").
    dirs: std::collections::BTreeSet<String>,
    /// UTF-8 JSON files larger than this are streamed (`json_stream`) instead of read whole.
    stream_above: u64,
}

impl DirStore {
    pub fn open(root: &Path) -> Result<DirStore, String> {
        let confined = super::confined::Root::open(root).map_err(|e| {
            format!("{e} (expected a bundle directory as written by `windoctor capture`)")
        })?;
        let mut store = DirStore {
            root: confined,
            paths: Vec::new(),
            refused: BTreeMap::new(),
            dirs: Default::default(),
            stream_above: STREAM_JSON_ABOVE,
        };
        let mut walk = Walk {
            root: &store.root,
            paths: Vec::new(),
            refused: BTreeMap::new(),
            dirs: Default::default(),
        };
        walk.dir(root, 0);
        let Walk {
            mut paths,
            refused,
            dirs,
            ..
        } = walk;
        paths.sort();
        store.paths = paths;
        store.refused = refused;
        store.dirs = dirs;
        Ok(store)
    }

    /// Streams UTF-8 JSON files larger than `bytes` (default [`STREAM_JSON_ABOVE`]).
    pub fn stream_above(mut self, bytes: u64) -> Self {
        self.stream_above = bytes;
        self
    }

    fn open_file(&self, path: &str) -> Result<std::fs::File, String> {
        let full = self.root.path().join(path);
        self.root.open_file(&full).map_err(|r| match r {
            super::confined::Refused::Absent => {
                format!("cannot read {}: it is gone", full.display())
            }
            super::confined::Refused::Unreadable(why) => why,
        })
    }
}

/// UTF-8 JSON files (and archive entries) larger than this are parsed item by item as they are read
/// instead of being held whole: a big cluster's lists then cost the items kept, not their text.
pub const STREAM_JSON_ABOVE: u64 = 4 * 1024 * 1024;

/// Whether text starting with `head` can be parsed as a stream: UTF-8 JSON (an object or array,
/// after an optional BOM). `Some(n)`: skip `n` bytes of BOM first. UTF-16 (a NUL among the first
/// bytes or its BOM), YAML and anything else are read whole, which names the file and its size
/// when it is too large.
pub fn json_stream_start(head: &[u8]) -> Option<usize> {
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let first = head[bom..].iter().find(|b| !b.is_ascii_whitespace())?;
    (matches!(first, b'{' | b'[') && !head.contains(&0)).then_some(bom)
}

/// Buffer used to look at the first bytes of a file before streaming it (the reads that follow are
/// larger and bypass it).
const STREAM_PEEK_BYTES: usize = 64 * 1024;

/// Deepest folder nesting a bundle walk follows.
const MAX_DEPTH: usize = 24;

/// One walk over a bundle directory.
struct Walk<'a> {
    root: &'a super::confined::Root,
    paths: Vec<String>,
    refused: BTreeMap<String, (String, String)>,
    dirs: std::collections::BTreeSet<String>,
}

impl Walk<'_> {
    fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(self.root.path()).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    fn refuse(&mut self, path: &Path, why: String) {
        if let Some(rel) = self.relative(path) {
            self.refused.insert(normalise(&rel), (rel, why));
        }
    }

    fn dir(&mut self, dir: &Path, depth: usize) {
        if depth > MAX_DEPTH {
            self.refuse(
                dir,
                format!(
                    "{} is nested too deep (more than {MAX_DEPTH} folders)",
                    dir.display()
                ),
            );
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.refuse(dir, format!("cannot list {}: {e}", dir.display()));
                return;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.refuse(dir, format!("cannot list {}: {e}", dir.display()));
                    continue;
                }
            };
            let path = entry.path();
            let kind = match entry.file_type() {
                Ok(k) => k,
                Err(e) => {
                    self.refuse(&path, format!("cannot read {}: {e}", path.display()));
                    continue;
                }
            };
            if kind.is_dir() {
                if let Some(rel) = self.relative(&path) {
                    self.dirs.insert(normalise(&rel));
                }
                self.dir(&path, depth + 1);
            } else if kind.is_file() {
                if let Some(rel) = self.relative(&path) {
                    self.paths.push(rel);
                }
            } else if kind.is_symlink() {
                // Followed only to a file inside the bundle; folders behind links are not walked.
                match self.root.resolve(&path) {
                    Ok(real) if real.is_file() => {
                        if let Some(rel) = self.relative(&path) {
                            self.paths.push(rel);
                        }
                    }
                    Ok(_) => self.refuse(
                        &path,
                        format!(
                            "{} is a symbolic link to a folder: not followed",
                            path.display()
                        ),
                    ),
                    Err(super::confined::Refused::Unreadable(why)) => self.refuse(&path, why),
                    Err(super::confined::Refused::Absent) => self.refuse(
                        &path,
                        format!("{} is a symbolic link to nothing", path.display()),
                    ),
                }
            } else {
                self.refuse(
                    &path,
                    format!(
                        "{} is not a regular file (a pipe, socket or device)",
                        path.display()
                    ),
                );
            }
        }
    }
}

impl FileStore for DirStore {
    fn paths(&self) -> Vec<String> {
        self.paths.clone()
    }

    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        use std::io::{Read, Seek, SeekFrom};
        let full = self.root.path().join(path);
        let mut f = self.open_file(path)?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let limit = tail.unwrap_or(MAX_FILE_BYTES);
        if len > limit {
            if tail.is_none() {
                return Err(format!(
                    "{} is {len} bytes, larger than the {MAX_FILE_BYTES} bytes windoctor reads",
                    full.display()
                ));
            }
            f.seek(SeekFrom::Start(len - limit))
                .map_err(|e| format!("cannot read {}: {e}", full.display()))?;
        }
        let mut buf = Vec::with_capacity(len.min(limit) as usize);
        f.take(limit)
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read {}: {e}", full.display()))?;
        Ok(buf)
    }

    fn refused(&self, path: &str) -> Option<String> {
        let want = normalise(path);
        if self.dirs.contains(&want) {
            return Some(format!(
                "{} is a directory, not a file",
                self.root.path().join(path).display()
            ));
        }
        // The path itself, or the nearest folder above it that could not be listed.
        let mut at = want.as_str();
        loop {
            if let Some((_, why)) = self.refused.get(at) {
                return Some(why.clone());
            }
            match at.rfind('/') {
                Some(i) => at = &at[..i],
                None => return None,
            }
        }
    }

    fn refused_under(&self, dir: &str) -> Vec<(String, String)> {
        let want = normalise(dir);
        let prefix = format!("{want}/");
        let mut out: Vec<(String, String)> = self
            .refused
            .iter()
            .filter(|(k, _)| {
                **k == want || k.starts_with(&prefix) || want.starts_with(&format!("{k}/"))
            })
            .map(|(_, (rel, why))| (rel.clone(), why.clone()))
            .collect();
        out.sort();
        out
    }

    fn json_stream(&self, path: &str) -> Option<Box<dyn std::io::BufRead + '_>> {
        use std::io::{BufRead, BufReader};
        let file = self.open_file(path).ok()?;
        if file.metadata().ok()?.len() <= self.stream_above {
            return None;
        }
        let mut reader = BufReader::with_capacity(STREAM_PEEK_BYTES, file);
        let bom = json_stream_start(reader.fill_buf().ok()?)?;
        reader.consume(bom);
        Some(Box::new(reader))
    }

    fn describe(&self) -> String {
        self.root.path().display().to_string()
    }
}

/// A bundle compiled into the binary (the demo).
pub struct EmbeddedStore {
    dir: &'static Dir<'static>,
    name: String,
}

impl EmbeddedStore {
    pub fn new(dir: &'static Dir<'static>, name: &str) -> Self {
        EmbeddedStore {
            dir,
            name: name.to_string(),
        }
    }
}

fn embedded_files<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    out.extend(dir.files());
    for d in dir.dirs() {
        embedded_files(d, out);
    }
}

impl FileStore for EmbeddedStore {
    fn paths(&self) -> Vec<String> {
        let mut files = Vec::new();
        embedded_files(self.dir, &mut files);
        files
            .iter()
            .map(|f| f.path().to_string_lossy().replace('\\', "/"))
            .collect()
    }

    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        let file = self
            .dir
            .get_file(path)
            .ok_or_else(|| format!("{path} is not in the {}", self.name))?;
        let bytes = file.contents();
        Ok(match tail {
            Some(n) if bytes.len() as u64 > n => bytes[bytes.len() - n as usize..].to_vec(),
            _ => bytes.to_vec(),
        })
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// A bundle held in memory: the catalogue's examples and tests.
#[derive(Default)]
pub struct MemoryStore {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl MemoryStore {
    pub fn from_text(files: &BTreeMap<String, String>) -> Self {
        MemoryStore {
            files: files
                .iter()
                .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
                .collect(),
        }
    }
}

impl FileStore for MemoryStore {
    fn paths(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        let bytes = self
            .files
            .get(path)
            .ok_or_else(|| format!("{path} not found"))?;
        Ok(match tail {
            Some(n) if bytes.len() as u64 > n => bytes[bytes.len() - n as usize..].to_vec(),
            _ => bytes.clone(),
        })
    }

    fn describe(&self) -> String {
        "in-memory bundle".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case_and_separators() {
        let mut m = MemoryStore::default();
        m.files
            .insert("node/files/C/k/SourceVip.json".into(), b"{}".to_vec());
        assert!(m.exists("node/files/c/K/sourceVip.json"));
        assert!(m.exists("node\\files\\C\\k\\SOURCEVIP.JSON"));
        assert_eq!(m.list("node/files/C/k").len(), 1);
        assert_eq!(m.read("node/files/C/run/flannel/subnet.env"), Ok(None));
    }

    #[test]
    fn dir_store_reads_tails() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("node/logs")).expect("mkdir");
        let big = "x".repeat((LOG_TAIL_BYTES + 10) as usize) + "END";
        std::fs::write(dir.path().join("node/logs/kubelet.log"), &big).expect("write");
        let store = DirStore::open(dir.path()).expect("open");
        let tail = store
            .read_tail("node/logs/KUBELET.log")
            .expect("read")
            .expect("present");
        assert_eq!(tail.len() as u64, LOG_TAIL_BYTES);
        assert!(tail.ends_with(b"END"));
        assert!(DirStore::open(&dir.path().join("nope")).is_err());
    }

    /// What is there but cannot be read is refused with why, never absent: a directory where a
    /// file belongs, a link out of the bundle (or into a folder), and everything under them.
    #[cfg(unix)]
    #[test]
    fn dir_store_refuses_what_it_cannot_read() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("nodes.json"), "{}").expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        let cluster = dir.path().join("cluster");
        std::fs::create_dir_all(cluster.join("events.json")).expect("mkdir");
        std::os::unix::fs::symlink(
            outside.path().join("nodes.json"),
            cluster.join("nodes.json"),
        )
        .expect("link");
        std::os::unix::fs::symlink(outside.path(), cluster.join("logs")).expect("link");
        std::fs::write(cluster.join("real.json"), "{}").expect("write");
        std::os::unix::fs::symlink("real.json", cluster.join("pods.json")).expect("link");
        let store = DirStore::open(dir.path()).expect("open");
        let err = store.read("cluster/events.json").unwrap_err();
        assert!(err.contains("is a directory"), "{err}");
        let err = store.read("cluster/Nodes.json").unwrap_err();
        assert!(
            err.contains("outside") && err.contains("not followed"),
            "{err}"
        );
        let err = store.read_tail("cluster/logs/ns/pod/c.log").unwrap_err();
        assert!(err.contains("not followed"), "{err}");
        assert_eq!(store.refused_under("cluster/logs").len(), 1);
        assert_eq!(store.read("cluster/pods.json"), Ok(Some(b"{}".to_vec())));
        assert_eq!(store.read("cluster/services.json"), Ok(None));
    }
}
