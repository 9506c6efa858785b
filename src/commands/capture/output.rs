//! Where a capture writes: a new directory, or a `.zip` archive, always built under a temporary name
//! beside the target and moved into place only when everything was written.
//!
//! The rules the operator relies on:
//! - **Never mixes, never overwrites, never deletes what it did not write.** A target that exists
//!   (a file, a symlink, a non-empty directory) is refused before anything is read. The work
//!   happens in `.NAME.windoctor-partial-PID` (mode 0700) next to it; only that is removed when a
//!   capture fails or is interrupted.
//! - **Confined.** Every path is relative, `/`-separated and checked component by component (no
//!   `..`, no absolute or drive paths, no separators or control characters inside a name); paths
//!   built from API data (namespaces, pod and container names) must also be valid Kubernetes
//!   names ([`is_kubernetes_name`]).
//! - **No symlinks followed.** Directories are created one component at a time inside the private
//!   temporary directory, files with `create_new` (which fails on an existing name, symlink or not),
//!   and the final move is a rename (directory) or a hard link that fails if the name is taken
//!   (archive).
//! - **Streamed.** Each file is written as its data arrives; in an archive each file is its own
//!   deflated member, compressed while it is written, and the members are copied (not compressed
//!   again) into the archive at the end. The compressing or copying of a big file happens on a
//!   writer thread of its own (`pipe`), beside the reading. A folder's files are synced as they
//!   grow and once more when complete; an archive is synced once it is assembled.

use super::pipe::{Destination, Pipe};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The deflate level of the archive's members (see [`Output`]'s member writer).
const ARCHIVE_LEVEL: i64 = 2;

/// The form of the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A bundle directory.
    Folder,
    /// One `.zip` archive holding the bundle under one top folder.
    Zip,
}

impl Form {
    /// The form a target path asks for: `*.zip` is an archive, anything else a directory.
    pub fn of(target: &Path) -> Form {
        let zip = target
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        if zip {
            Form::Zip
        } else {
            Form::Folder
        }
    }
}

/// A capture being written.
#[derive(Debug)]
pub struct Output {
    form: Form,
    target: PathBuf,
    /// The private working directory: the bundle itself (folder) or the archive's members.
    work: PathBuf,
    /// Directories made inside `work`, relative.
    made: Mutex<HashSet<String>>,
    /// Archive members written so far: bundle path and member file.
    members: Mutex<Vec<(String, PathBuf)>>,
    /// The archive's top folder.
    top: String,
    /// Members started so far, for unique member file names.
    started: std::sync::atomic::AtomicUsize,
}

/// Why a target cannot be written; capture exits 2 with it.
pub fn check_target(target: &Path) -> Result<Form, String> {
    let form = Form::of(target);
    if target
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz") || e.eq_ignore_ascii_case("tgz"))
    {
        return Err(format!(
            "{}: windoctor capture writes .zip archives (or a directory); name the file .zip",
            target.display()
        ));
    }
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(form),
        Err(e) => Err(format!("cannot use {}: {e}", target.display())),
        Ok(meta) if meta.is_dir() && form == Form::Folder => {
            let empty = std::fs::read_dir(target)
                .map(|mut d| d.next().is_none())
                .map_err(|e| format!("cannot read {}: {e}", target.display()))?;
            if empty {
                Ok(form)
            } else {
                Err(format!(
                    "{} already exists and is not empty: capture writes a new bundle and never mixes two captures or overwrites files; give a new directory (or remove the old one)",
                    target.display()
                ))
            }
        }
        Ok(_) => Err(format!(
            "{} already exists: capture never overwrites a file; give a new name",
            target.display()
        )),
    }
}

impl Output {
    /// Starts a capture to `target` (checked with [`check_target`] first).
    pub fn create(target: &Path) -> Result<Output, String> {
        let form = check_target(target)?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty() && n != "." && n != "..")
            .ok_or_else(|| format!("{} does not name a file or directory", target.display()))?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(format!(
                "{} does not exist: create the directory the capture goes into first",
                parent.display()
            ));
        }
        let work = parent.join(format!(".{name}.windoctor-partial-{}", std::process::id()));
        let builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        let builder = {
            use std::os::unix::fs::DirBuilderExt;
            let mut private = builder;
            private.mode(0o700);
            private
        };
        builder
            .create(&work)
            .map_err(|e| format!("cannot create {}: {e}", work.display()))?;
        let top = name
            .strip_suffix(".zip")
            .or_else(|| name.strip_suffix(".ZIP"))
            .unwrap_or(&name)
            .to_string();
        Ok(Output {
            form,
            target: target.to_path_buf(),
            work,
            made: Mutex::new(HashSet::new()),
            members: Mutex::new(Vec::new()),
            top,
            started: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub fn form(&self) -> Form {
        self.form
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The private working directory (removed by [`Output::abandon`]).
    pub fn work_dir(&self) -> &Path {
        &self.work
    }

    /// A new file at bundle path `path`, to be written as data arrives and then
    /// [`OutFile::finish`]ed.
    pub fn file(&self, path: &str) -> Result<OutFile, String> {
        let parts = checked_parts(path)?;
        match self.form {
            Form::Folder => {
                let dir = self.make_dirs(&parts[..parts.len() - 1])?;
                let full = dir.join(parts[parts.len() - 1]);
                let file = create_new(&full)?;
                Ok(OutFile {
                    path: path.to_string(),
                    pipe: Pipe::new(Box::new(PlainFile { file, unsynced: 0 })),
                })
            }
            Form::Zip => {
                let mut members = self
                    .members
                    .lock()
                    .map_err(|_| "the archive's member list is unusable".to_string())?;
                if members.iter().any(|(p, _)| p == path) {
                    return Err(format!("{path} was already written"));
                }
                let n = self
                    .started
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let member = self.work.join(format!("member-{n}.zip"));
                members.push((path.to_string(), member.clone()));
                drop(members);
                let file = create_new(&member)?;
                let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(256 * 1024, file));
                // Level 2 (zlib-rs's `deflate_fast`) instead of the default 6: at 5,000 nodes and
                // 150,000 pods the archive grows from 13.0 MB (level 6) and 15.0 MB (level 3,
                // `deflate_medium`) to 15.9 MB, well under GitHub's 25 MB attachment limit, and
                // level 2 took about 0.4 s less CPU than level 3 there. Level 1 (`deflate_quick`)
                // made 21.9 MB, too close to the limit. (Measured before the Nodes' unread image
                // entries were left out, ec4f420: the archive is 11.3 MB at level 2 since.)
                let options = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .compression_level(Some(ARCHIVE_LEVEL))
                    .large_file(true);
                zip.start_file(format!("{}/{path}", self.top), options)
                    .map_err(|e| format!("cannot start {path} in the archive: {e}"))?;
                Ok(OutFile {
                    path: path.to_string(),
                    pipe: Pipe::new(Box::new(Member(zip))),
                })
            }
        }
    }

    /// Writes a whole small file.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let mut f = self.file(path)?;
        f.write_all(bytes)
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        f.finish()
    }

    /// Drops a file written by this capture (a list that could not be read to its end).
    pub fn discard(&self, path: &str) {
        match self.form {
            Form::Folder => {
                if let Ok(parts) = checked_parts(path) {
                    let _ = std::fs::remove_file(self.work.join(parts.join("/")));
                }
            }
            Form::Zip => {
                if let Ok(mut members) = self.members.lock() {
                    if let Some(i) = members.iter().position(|(p, _)| p == path) {
                        let (_, member) = members.remove(i);
                        let _ = std::fs::remove_file(member);
                    }
                }
            }
        }
    }

    /// Makes `dirs` (checked components) under the working directory, one at a time.
    fn make_dirs(&self, dirs: &[&str]) -> Result<PathBuf, String> {
        let mut made = self
            .made
            .lock()
            .map_err(|_| "the list of directories made is unusable".to_string())?;
        let mut at = self.work.clone();
        let mut rel = String::new();
        for d in dirs {
            at.push(d);
            if !rel.is_empty() {
                rel.push('/');
            }
            rel.push_str(d);
            if made.contains(&rel) {
                continue;
            }
            std::fs::create_dir(&at).map_err(|e| format!("cannot create {}: {e}", at.display()))?;
            made.insert(rel.clone());
        }
        Ok(at)
    }

    /// Moves the finished capture into place and returns its path. On failure the working
    /// directory is left for the caller to abandon.
    pub fn finish(&self) -> Result<PathBuf, String> {
        match self.form {
            Form::Folder => {
                // An empty directory given as the target is replaced (it held nothing).
                if self.target.is_dir() {
                    std::fs::remove_dir(&self.target).map_err(|e| {
                        format!("cannot replace the empty {}: {e}", self.target.display())
                    })?;
                }
                std::fs::rename(&self.work, &self.target).map_err(|e| {
                    format!(
                        "cannot move the capture to {}: {e} (it is in {})",
                        self.target.display(),
                        self.work.display()
                    )
                })?;
                Ok(self.target.clone())
            }
            Form::Zip => {
                let archive = self.work.join("archive.zip");
                self.assemble(&archive)?;
                // A hard link fails if the name was taken meanwhile: nothing is overwritten.
                std::fs::hard_link(&archive, &self.target)
                    .or_else(|_| {
                        // File systems without hard links: rename only if still absent.
                        if std::fs::symlink_metadata(&self.target).is_ok() {
                            Err(std::io::Error::new(
                                std::io::ErrorKind::AlreadyExists,
                                "the name was taken while capturing",
                            ))
                        } else {
                            std::fs::rename(&archive, &self.target)
                        }
                    })
                    .map_err(|e| format!("cannot write {}: {e}", self.target.display()))?;
                let _ = std::fs::remove_dir_all(&self.work);
                Ok(self.target.clone())
            }
        }
    }

    /// Copies every member (already compressed) into one archive.
    fn assemble(&self, archive: &Path) -> Result<(), String> {
        let members = self
            .members
            .lock()
            .map_err(|_| "the archive's member list is unusable".to_string())?;
        let file = create_new(archive)?;
        let mut zip = zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, file));
        for (path, member) in members.iter() {
            let f = File::open(member)
                .map_err(|e| format!("cannot reopen {path} for the archive: {e}"))?;
            let mut part = zip::ZipArchive::new(f)
                .map_err(|e| format!("cannot reopen {path} for the archive: {e}"))?;
            let entry = part
                .by_index_raw(0)
                .map_err(|e| format!("cannot reopen {path} for the archive: {e}"))?;
            zip.raw_copy_file(entry)
                .map_err(|e| format!("cannot add {path} to the archive: {e}"))?;
        }
        let mut inner = zip
            .finish()
            .map_err(|e| format!("cannot finish the archive: {e}"))?;
        inner
            .flush()
            .map_err(|e| format!("cannot write the archive: {e}"))?;
        inner
            .get_ref()
            .sync_all()
            .map_err(|e| format!("cannot write the archive: {e}"))
    }

    /// Removes the working directory and everything in it (all written by this capture).
    pub fn abandon(&self) {
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

/// A file being written, its bytes handed to a writer thread in chunks (`pipe`).
pub struct OutFile {
    path: String,
    pipe: Pipe,
}

/// A file of a folder capture. Chunks are large, so no buffer sits above the file. What is written
/// is synced every [`SYNC_EVERY`] bytes, so that the sync that completes the file (before the
/// folder is moved into place) does not wait for half a gigabyte at once.
struct PlainFile {
    file: File,
    unsynced: usize,
}

/// How many bytes a folder capture's file writes between two syncs.
const SYNC_EVERY: usize = 32 << 20;

impl Write for PlainFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(buf)?;
        self.unsynced += written;
        if self.unsynced >= SYNC_EVERY {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(written)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Destination for PlainFile {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        self.file.sync_all()
    }
}

/// An archive member, deflated as its chunks are written (each chunk is one pass of the
/// compressor, which is why serde_json's small writes never reach it directly).
struct Member(zip::ZipWriter<BufWriter<File>>);

impl Write for Member {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl Destination for Member {
    /// Writes the member's trailer. The member is not synced: it is copied into the archive,
    /// which is synced once whole ([`Output::finish`]), and then removed.
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        self.0.finish().map_err(std::io::Error::other)?.flush()
    }
}

impl OutFile {
    /// The bundle path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Writes what is left, flushes and closes the file; an error (a full disk) names it.
    pub fn finish(self) -> Result<(), String> {
        let path = self.path;
        self.pipe
            .finish()
            .map_err(|e| format!("cannot write {path}: {e}"))
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pipe.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.pipe.flush()
    }
}

fn create_new(path: &Path) -> Result<File, String> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// The components of a bundle path, each checked: relative, no `.` or `..`, no empty component,
/// no backslash, colon or control character, at most 255 bytes.
pub fn checked_parts(path: &str) -> Result<Vec<&str>, String> {
    let parts: Vec<&str> = path.split('/').collect();
    let bad = |why: &str| Err(format!("{path:?} is not a safe path in a bundle: {why}"));
    if parts.len() > 32 {
        return bad("too deep");
    }
    for p in &parts {
        if p.is_empty() {
            return bad("empty component (absolute path or //)");
        }
        if *p == "." || *p == ".." {
            return bad("`.` or `..`");
        }
        if p.len() > 255 {
            return bad("a name longer than 255 bytes");
        }
        if p.chars().any(|c| c == '\\' || c == ':' || c.is_control()) {
            return bad("a backslash, colon or control character in a name");
        }
    }
    Ok(parts)
}

/// A valid Kubernetes object name (DNS-1123 subdomain: lower-case letters, digits, `-` and `.`,
/// starting and ending alphanumeric, at most 253 bytes), and so a safe file name.
pub fn is_kubernetes_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
        && !name.split('.').any(|label| label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_confined() {
        for bad in [
            "../x",
            "cluster/../../etc/passwd",
            "/etc/shadow",
            "cluster//x",
            "a\\b",
            "C:/x",
            "name\nwith",
            ".",
        ] {
            assert!(checked_parts(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            checked_parts("node/files/C/Program Files/containerd/config.toml")
                .map(|p| p.len())
                .ok(),
            Some(6)
        );
        for name in [
            "..",
            "../../tmp",
            "a/b",
            "",
            "Caps",
            "-x",
            "x-",
            "a..b",
            "name\nwith",
        ] {
            assert!(!is_kubernetes_name(name), "{name:?}");
        }
        assert!(is_kubernetes_name("kube-flannel-ds-windows-amd64-x7k2p"));
        assert!(is_kubernetes_name("kube-system"));
    }

    #[test]
    fn targets_that_exist_are_refused_and_empty_directories_reused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let full = tmp.path().join("full");
        std::fs::create_dir(&full).expect("mkdir");
        std::fs::write(full.join("x"), "mine").expect("write");
        assert!(check_target(&full).is_err());
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        assert_eq!(check_target(&empty), Ok(Form::Folder));
        let file = tmp.path().join("a.zip");
        std::fs::write(&file, "x").expect("write");
        assert!(check_target(&file).is_err());
        assert!(check_target(&tmp.path().join("b.tar.gz")).is_err());
        assert_eq!(check_target(&tmp.path().join("new.zip")), Ok(Form::Zip));
    }

    #[test]
    fn folders_and_archives_are_moved_into_place_only_when_finished() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let folder = tmp.path().join("bundle");
        let out = Output::create(&folder).expect("create");
        out.write("cluster/nodes.json", b"{}").expect("write");
        out.write("cluster/pods.json", b"{}").expect("write");
        assert!(
            out.write("cluster/nodes.json", b"{}").is_err(),
            "no overwrite"
        );
        assert!(!folder.exists(), "not in place before finish");
        out.finish().expect("finish");
        assert_eq!(
            std::fs::read(folder.join("cluster/pods.json")).ok(),
            Some(b"{}".to_vec())
        );

        let archive = tmp.path().join("capture.zip");
        let out = Output::create(&archive).expect("create");
        out.write("cluster/nodes.json", b"{\"items\":[]}")
            .expect("write");
        out.finish().expect("finish");
        let mut zip = zip::ZipArchive::new(File::open(&archive).expect("open")).expect("zip");
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("capture/cluster/nodes.json").expect("member"),
            &mut text,
        )
        .expect("read");
        assert_eq!(text, "{\"items\":[]}");
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 2, "no working directory left: {left:?}");

        let failed = Output::create(&tmp.path().join("failed")).expect("create");
        failed.write("x.json", b"1").expect("write");
        failed.abandon();
        assert!(!failed.work_dir().exists() && !tmp.path().join("failed").exists());
    }
}
