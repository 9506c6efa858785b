//! Archives a snapshot can come as: zip (including the backslash entry names Windows PowerShell 5.1
//! `Compress-Archive` writes), tar and tar.gz, and archives nested inside them or inside a snapshot
//! folder. Everything is read into memory, never written anywhere, and bounded: entry count, bytes
//! kept per entry and in total, bytes decompressed in total and nesting depth all have limits, so a
//! zip bomb or an archive of a million entries ends in a note, not in exhausted memory.
//!
//! Entry names are made safe before use: `\` becomes `/`, a leading `/`, `./` or drive letter is
//! dropped, and an entry whose name climbs out of the archive (`..`) is refused. Symbolic and hard
//! links are skipped (their target is never followed). Files larger than windoctor reads whole keep
//! only their tail when they are logs, and are recorded as too large otherwise, as `DirStore` does.

use super::files::{
    json_stream_start, FileStore, LOG_TAIL_BYTES, MAX_FILE_BYTES, STREAM_JSON_ABOVE,
};
use std::collections::BTreeMap;
use std::io::{Read, Seek};
use std::path::Path;

/// The bounds of one archive read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Entries read in total, nested archives included.
    pub max_entries: usize,
    /// Largest file kept whole (larger log files keep their tail).
    pub max_file_bytes: u64,
    /// How much of a large log file's end is kept.
    pub log_tail_bytes: u64,
    /// Bytes kept in memory in total.
    pub max_kept_bytes: u64,
    /// Bytes decompressed in total (the bound on time a zip bomb can cost).
    pub max_read_bytes: u64,
    /// How deep archives inside archives are opened (1 = only archives inside the top one).
    pub max_depth: usize,
    /// Largest nested archive opened (it is held in memory while it is read).
    pub max_nested_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 200_000,
            max_file_bytes: MAX_FILE_BYTES,
            log_tail_bytes: LOG_TAIL_BYTES,
            max_kept_bytes: 768 * 1024 * 1024,
            max_read_bytes: 8 * 1024 * 1024 * 1024,
            max_depth: 3,
            max_nested_bytes: 512 * 1024 * 1024,
        }
    }
}

/// One entry as kept.
#[derive(Debug, Clone)]
enum Stored {
    Whole(Vec<u8>),
    /// The last bytes of a log larger than `max_file_bytes`, and its full size.
    Tail(Vec<u8>, u64),
    /// Not kept, with why (too large, over the memory budget).
    Dropped(String),
    /// A JSON list of the archive file itself, larger than [`STREAM_JSON_ABOVE`]: not kept, but
    /// streamed from the file again when read (`json_stream`, or whole by `read_exact`).
    Streamed,
}

/// The kind of archive a file or entry holds, judged from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    TarGz,
    Tar,
}

/// The archive kind of a file's first bytes (at least 262 of them for tar).
pub fn sniff(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::TarGz)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// The archive kind of `path` when it is a file holding one.
pub fn sniff_file(path: &Path) -> Option<Kind> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return None,
        }
    }
    sniff(&head[..n])
}

/// True when `name` looks like an archive windoctor opens when nested (by its extension).
pub fn is_archive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".zip") || n.ends_with(".tar.gz") || n.ends_with(".tgz") || n.ends_with(".tar")
}

/// Turns an entry name into a safe relative `/` path, or says why it is refused.
pub fn safe_name(raw: &str) -> Result<String, String> {
    if raw.contains('\0') {
        return Err("its name contains a NUL character".to_string());
    }
    let unified = raw.replace('\\', "/");
    let mut rest = unified.as_str();
    // A drive letter (C:/...) or a leading slash makes a name absolute: keep it relative.
    if rest.len() >= 2 && rest.as_bytes()[1] == b':' && rest.as_bytes()[0].is_ascii_alphabetic() {
        rest = &rest[2..];
    }
    let mut parts = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => continue,
            ".." => return Err("its name climbs out of the archive (..)".to_string()),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err("its name is empty".to_string());
    }
    Ok(parts.join("/"))
}

fn is_log_like(name: &str) -> bool {
    let n = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    n.ends_with(".log")
        || n.contains(".log.")
        || n.ends_with(".err")
        || n.ends_with(".out")
        || n.ends_with(".txt")
        || n.ends_with(".csv")
        || n.ends_with(".info")
        || n.ends_with(".warning")
        || n.ends_with(".error")
}

/// Decides whether a nested archive is opened: `Some(reason)` leaves it closed.
pub type NestedFilter = fn(&str) -> Option<&'static str>;

/// A snapshot archive read into memory: its entries by safe relative path, and notes on what was
/// skipped or refused.
#[derive(Debug, Default)]
pub struct ArchiveStore {
    name: String,
    entries: BTreeMap<String, Stored>,
    notes: Vec<String>,
    kept: u64,
    /// The archive file and its kind, when the store was opened from one: JSON entries too large
    /// to keep are streamed from it again (`json_stream`).
    file: Option<(std::path::PathBuf, Kind, u64)>,
}

impl ArchiveStore {
    /// Reads the archive file at `path`.
    pub fn open(path: &Path, limits: Limits, filter: NestedFilter) -> Result<ArchiveStore, String> {
        let kind = sniff_file(path).ok_or_else(|| {
            format!(
                "{} is neither a directory nor a .zip, .tar.gz or .tar archive",
                path.display()
            )
        })?;
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut reader = Reading::new(limits, filter);
        reader.stream_json_above = Some(STREAM_JSON_ABOVE);
        reader.read_archive(kind, Source::File(file), "", 0)?;
        let mut store = reader.finish(path.display().to_string());
        store.file = Some((path.to_path_buf(), kind, limits.max_read_bytes));
        Ok(store)
    }

    /// Reads archive bytes already in memory (tests, nested archives).
    pub fn from_bytes(
        name: &str,
        bytes: Vec<u8>,
        limits: Limits,
        filter: NestedFilter,
    ) -> Result<ArchiveStore, String> {
        let kind = sniff(&bytes).ok_or_else(|| format!("{name} is not a zip or tar archive"))?;
        let mut reader = Reading::new(limits, filter);
        reader.read_archive(kind, Source::Bytes(bytes), "", 0)?;
        Ok(reader.finish(name.to_string()))
    }

    /// Opens the archives found among `store`'s files (a snapshot folder holding zips), each
    /// mounted at its own path as a folder: `a/b.zip` holds `a/b.zip/<entry>`.
    pub fn nested_in(
        store: &dyn FileStore,
        local: &dyn Fn(&str) -> Option<std::path::PathBuf>,
        limits: Limits,
        filter: NestedFilter,
    ) -> ArchiveStore {
        let mut reader = Reading::new(limits, filter);
        for path in store.paths() {
            if !is_archive_name(&path) {
                continue;
            }
            if let Some(reason) = filter(&path) {
                reader.note(format!("{path} was not opened: {reason}"));
                continue;
            }
            let Some(file) = local(&path).and_then(|p| std::fs::File::open(p).ok()) else {
                continue;
            };
            let mut head = [0u8; 512];
            let n = file.try_clone().ok().map_or(0, |mut f| {
                let mut n = 0;
                while n < head.len() {
                    match f.read(&mut head[n..]) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += k,
                    }
                }
                n
            });
            let Some(kind) = sniff(&head[..n]) else {
                reader.note(format!("{path} is named like an archive but is not one"));
                continue;
            };
            let Ok(file) = std::fs::File::open(local(&path).unwrap_or_default()) else {
                continue;
            };
            if let Err(e) = reader.read_archive(kind, Source::File(file), &format!("{path}/"), 1) {
                reader.note(format!("{path} could not be read as an archive: {e}"));
            }
        }
        reader.finish(store.describe())
    }

    /// What was skipped, refused or cut while reading, one sentence each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Bytes held in memory.
    pub fn kept_bytes(&self) -> u64 {
        self.kept
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The sending end of a streamed entry: each write is one chunk for the reader.
struct ChunkWriter(std::sync::mpsc::SyncSender<Vec<u8>>);

impl std::io::Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.send(buf.to_vec()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader stopped")
        })?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The receiving end: the chunks in order, then the end of the stream.
struct ChunkReader {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(next) => {
                    self.chunk = next;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Streams the entry of the archive file `path` whose safe name is `wanted` into `out`, at most
/// `limit` bytes decompressed (a big JSON list of a capture archive, read item by item).
fn stream_entry(
    path: &Path,
    kind: Kind,
    wanted: &str,
    limit: u64,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    match kind {
        Kind::Zip => {
            let mut zip = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
                if safe_name(entry.name()).as_deref() == Ok(wanted) {
                    std::io::copy(&mut (&mut entry).take(limit), out).map_err(|e| e.to_string())?;
                    return Ok(());
                }
            }
        }
        Kind::TarGz | Kind::Tar => {
            let reader: Box<dyn Read> = if kind == Kind::TarGz {
                Box::new(flate2::read::GzDecoder::new(file))
            } else {
                Box::new(file)
            };
            let mut tar = tar::Archive::new(reader);
            for entry in tar.entries().map_err(|e| e.to_string())? {
                let mut entry = entry.map_err(|e| e.to_string())?;
                let name = entry.path_bytes().into_owned();
                if safe_name(&String::from_utf8_lossy(&name)).as_deref() == Ok(wanted) {
                    std::io::copy(&mut (&mut entry).take(limit), out).map_err(|e| e.to_string())?;
                    return Ok(());
                }
            }
        }
    }
    Err(format!("{wanted} is not in the archive"))
}

impl FileStore for ArchiveStore {
    /// A `.json` entry too large to keep in memory (the pods list of a big cluster's capture) is
    /// streamed from the archive file again, on a thread that inflates it into a pipe, so that the
    /// bundle reader parses it item by item as it does a file in a folder.
    fn json_stream(&self, path: &str) -> Option<Box<dyn std::io::BufRead + '_>> {
        let (file, kind, limit) = self.file.clone()?;
        match self.entries.get(path)? {
            Stored::Dropped(_) if path.to_ascii_lowercase().ends_with(".json") => {}
            Stored::Streamed => {}
            _ => return None,
        }
        // A few chunks in flight at most: memory stays bounded however large the entry is.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let wanted = path.to_string();
        std::thread::spawn(move || {
            // A failure ends the stream early: the parser then reports a truncated list.
            let mut writer = std::io::BufWriter::with_capacity(256 * 1024, ChunkWriter(tx));
            if stream_entry(&file, kind, &wanted, limit, &mut writer).is_ok() {
                let _ = std::io::Write::flush(&mut writer);
            }
        });
        Some(Box::new(std::io::BufReader::new(ChunkReader {
            rx,
            chunk: Vec::new(),
            at: 0,
        })))
    }

    fn paths(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        let entry = self
            .entries
            .get(path)
            .ok_or_else(|| format!("{path} is not in {}", self.name))?;
        let cut = |bytes: &[u8]| match tail {
            Some(n) if bytes.len() as u64 > n => bytes[bytes.len() - n as usize..].to_vec(),
            _ => bytes.to_vec(),
        };
        match entry {
            Stored::Whole(bytes) => Ok(cut(bytes)),
            Stored::Tail(bytes, total) => match tail {
                Some(_) => Ok(cut(bytes)),
                None => Err(format!(
                    "{path} in {} is {total} bytes, larger than the {MAX_FILE_BYTES} bytes windoctor reads",
                    self.name
                )),
            },
            Stored::Dropped(why) => Err(format!("{path} in {}: {why}", self.name)),
            Stored::Streamed => {
                let (file, kind, _) = self
                    .file
                    .clone()
                    .ok_or_else(|| format!("{path} in {}: not kept", self.name))?;
                let mut bytes = Vec::new();
                stream_entry(&file, kind, path, MAX_FILE_BYTES, &mut bytes)
                    .map_err(|e| format!("{path} in {}: {e}", self.name))?;
                Ok(cut(&bytes))
            }
        }
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// Where an archive's bytes come from.
enum Source {
    File(std::fs::File),
    Bytes(Vec<u8>),
}

/// The decompressed bytes left to read, shared by every archive of one read.
type Left = std::rc::Rc<std::cell::Cell<u64>>;

/// Counts decompressed bytes against the shared budget.
struct Budget<R> {
    inner: R,
    left: Left,
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left.get();
        if left == 0 {
            return Err(std::io::Error::other(
                "the archive expands beyond the bytes windoctor decompresses",
            ));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left.set(left - n as u64);
        Ok(n)
    }
}

/// The state of one bounded read (an archive and everything nested in it).
struct Reading {
    limits: Limits,
    filter: NestedFilter,
    entries: BTreeMap<String, Stored>,
    notes: Vec<String>,
    kept: u64,
    read_left: Left,
    count: usize,
    truncated: bool,
    /// Set when reading an archive file: its own JSON entries larger than this are not kept
    /// (`Stored::Streamed`).
    stream_json_above: Option<u64>,
}

/// What reading one entry's data gave.
enum Data {
    Whole(Vec<u8>),
    Tail(Vec<u8>, u64),
    TooLarge(u64),
}

impl Reading {
    fn new(limits: Limits, filter: NestedFilter) -> Reading {
        Reading {
            limits,
            filter,
            entries: BTreeMap::new(),
            notes: Vec::new(),
            kept: 0,
            read_left: std::rc::Rc::new(std::cell::Cell::new(limits.max_read_bytes)),
            count: 0,
            truncated: false,
            stream_json_above: None,
        }
    }

    fn note(&mut self, note: String) {
        // A hostile archive can produce a note per entry: keep the first ones and a count.
        if self.notes.len() < 50 {
            self.notes.push(note);
        } else if self.notes.len() == 50 {
            self.notes
                .push("more entries were skipped or refused (notes stop at 50)".to_string());
        }
    }

    fn finish(mut self, name: String) -> ArchiveStore {
        if self.truncated {
            self.notes.insert(
                0,
                format!(
                    "only the first {} entries were read: the archive holds more",
                    self.limits.max_entries
                ),
            );
        }
        ArchiveStore {
            name,
            entries: self.entries,
            notes: self.notes,
            kept: self.kept,
            file: None,
        }
    }

    /// Counts one more entry; false once the limit is reached.
    fn admit(&mut self) -> bool {
        if self.count >= self.limits.max_entries {
            self.truncated = true;
            return false;
        }
        self.count += 1;
        true
    }

    fn read_archive(
        &mut self,
        kind: Kind,
        source: Source,
        prefix: &str,
        depth: usize,
    ) -> Result<(), String> {
        match (kind, source) {
            (Kind::Zip, Source::File(f)) => self.read_zip(f, prefix, depth),
            (Kind::Zip, Source::Bytes(b)) => self.read_zip(std::io::Cursor::new(b), prefix, depth),
            (Kind::TarGz, Source::File(f)) => {
                let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f));
                self.read_tar(gz, prefix, depth)
            }
            (Kind::TarGz, Source::Bytes(b)) => {
                let gz = flate2::read::MultiGzDecoder::new(std::io::Cursor::new(b));
                self.read_tar(gz, prefix, depth)
            }
            (Kind::Tar, Source::File(f)) => {
                self.read_tar(std::io::BufReader::new(f), prefix, depth)
            }
            (Kind::Tar, Source::Bytes(b)) => self.read_tar(std::io::Cursor::new(b), prefix, depth),
        }
    }

    fn read_zip<R: Read + Seek>(
        &mut self,
        mut source: R,
        prefix: &str,
        depth: usize,
    ) -> Result<(), String> {
        // The central directory is parsed whole by the zip crate: refuse one that declares more
        // entries than windoctor reads before it is parsed.
        if let Some(declared) = zip_declared_entries(&mut source) {
            if declared > (self.limits.max_entries - self.count.min(self.limits.max_entries)) as u64
            {
                return Err(format!(
                    "the zip declares {declared} entries, more than the {} windoctor reads",
                    self.limits.max_entries
                ));
            }
        }
        let mut zip =
            zip::ZipArchive::new(source).map_err(|e| format!("not a readable zip archive: {e}"))?;
        for i in 0..zip.len() {
            if !self.admit() {
                break;
            }
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.note(format!("zip entry {i} could not be read: {e}"));
                    continue;
                }
            };
            let raw = entry.name().to_string();
            if entry.is_dir() || raw.ends_with('/') || raw.ends_with('\\') {
                continue;
            }
            if entry.is_symlink() {
                self.note(format!(
                    "{prefix}{raw} was skipped: it is a symbolic link (never followed)"
                ));
                continue;
            }
            let name = match safe_name(&raw) {
                Ok(n) => format!("{prefix}{n}"),
                Err(why) => {
                    self.note(format!("{prefix}{raw} was refused: {why}"));
                    continue;
                }
            };
            let declared = entry.size();
            let result = self.read_data(&mut entry, &name, declared);
            self.store(name, result, depth);
        }
        Ok(())
    }

    fn read_tar<R: Read>(&mut self, source: R, prefix: &str, depth: usize) -> Result<(), String> {
        // Every byte of the stream counts, including the entries that are skipped.
        let budget = Budget {
            inner: source,
            left: self.read_left.clone(),
        };
        let mut archive = tar::Archive::new(budget);
        let entries = archive
            .entries()
            .map_err(|e| format!("not a readable tar archive: {e}"))?;
        for entry in entries {
            if self.count >= self.limits.max_entries {
                self.truncated = true;
                break;
            }
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    self.note(format!("reading stopped early: {e}"));
                    break;
                }
            };
            let kind = entry.header().entry_type();
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if kind.is_dir() {
                continue;
            }
            self.count += 1;
            if kind.is_symlink() || kind.is_hard_link() {
                self.note(format!(
                    "{prefix}{raw} was skipped: it is a link (never followed)"
                ));
                continue;
            }
            if !(kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse()) {
                continue;
            }
            let name = match safe_name(&raw) {
                Ok(n) => format!("{prefix}{n}"),
                Err(why) => {
                    self.note(format!("{prefix}{raw} was refused: {why}"));
                    continue;
                }
            };
            let declared = entry.size();
            let data = read_bounded(&mut entry, &name, declared, &self.limits);
            let stop = data.is_err();
            self.store(name, data, depth);
            if stop {
                break;
            }
        }
        Ok(())
    }

    fn read_data<R: Read>(
        &mut self,
        reader: &mut R,
        name: &str,
        declared: u64,
    ) -> Result<Data, String> {
        let mut counted = Budget {
            inner: reader,
            left: self.read_left.clone(),
        };
        read_bounded(&mut counted, name, declared, &self.limits)
    }

    fn store(&mut self, name: String, data: Result<Data, String>, depth: usize) {
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                self.note(format!("{name} could not be read: {e}"));
                self.entries.insert(name, Stored::Dropped(e));
                return;
            }
        };
        if is_archive_name(&name) {
            if let Data::Whole(bytes) = &data {
                if let Some(kind) = sniff(bytes) {
                    if let Some(reason) = (self.filter)(&name) {
                        self.note(format!("{name} was not opened: {reason}"));
                        return;
                    }
                    if depth >= self.limits.max_depth {
                        self.note(format!(
                            "{name} was not opened: archives nested deeper than {} levels are not read",
                            self.limits.max_depth
                        ));
                        return;
                    }
                    let Data::Whole(bytes) = data else { return };
                    if let Err(e) = self.read_archive(
                        kind,
                        Source::Bytes(bytes),
                        &format!("{name}/"),
                        depth + 1,
                    ) {
                        self.note(format!("{name} could not be read as an archive: {e}"));
                    }
                    return;
                }
            }
        }
        let streamed = |bytes: &[u8]| {
            depth == 0
                && name.to_ascii_lowercase().ends_with(".json")
                && self
                    .stream_json_above
                    .is_some_and(|above| bytes.len() as u64 > above)
                && json_stream_start(&bytes[..bytes.len().min(64 * 1024)]) == Some(0)
        };
        let stored = match data {
            Data::Whole(bytes) if streamed(&bytes) => Stored::Streamed,
            Data::Whole(bytes) | Data::Tail(bytes, _)
                if self.kept + bytes.len() as u64 > self.limits.max_kept_bytes =>
            {
                let why = format!(
                    "not kept: the archive holds more than the {} bytes windoctor keeps in memory",
                    self.limits.max_kept_bytes
                );
                self.note(format!("{name} was {why}"));
                Stored::Dropped(why)
            }
            Data::Whole(bytes) => {
                self.kept += bytes.len() as u64;
                Stored::Whole(bytes)
            }
            Data::Tail(bytes, total) => {
                self.kept += bytes.len() as u64;
                Stored::Tail(bytes, total)
            }
            Data::TooLarge(total) => Stored::Dropped(format!(
                "it is {total} bytes or more, larger than the {} bytes windoctor reads",
                self.limits.max_file_bytes
            )),
        };
        if self.entries.contains_key(&name) {
            self.note(format!(
                "{name} appears more than once in the archive: the first copy is used"
            ));
            return;
        }
        self.entries.insert(name, stored);
    }
}

/// Reads one entry: whole up to `max_file_bytes`; beyond that the tail of a log, or nothing.
/// Archive entries (by name) may be read up to `max_nested_bytes` so that they can be opened.
fn read_bounded<R: Read>(
    reader: &mut R,
    name: &str,
    declared: u64,
    limits: &Limits,
) -> Result<Data, String> {
    let whole_limit = if is_archive_name(name) {
        limits.max_nested_bytes.max(limits.max_file_bytes)
    } else {
        limits.max_file_bytes
    };
    let log = is_log_like(name);
    if declared > whole_limit && !log {
        return Ok(Data::TooLarge(declared));
    }
    let mut buf = Vec::with_capacity(declared.min(whole_limit).min(1 << 20) as usize);
    reader
        .by_ref()
        .take(whole_limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if (buf.len() as u64) <= whole_limit {
        return Ok(Data::Whole(buf));
    }
    if !log {
        return Ok(Data::TooLarge(buf.len() as u64));
    }
    // A log larger than whole files may be: keep a ring of its last bytes.
    let keep = limits.log_tail_bytes as usize;
    let mut total = buf.len() as u64;
    let start = buf.len().saturating_sub(keep);
    let mut tail: Vec<u8> = buf.split_off(start);
    drop(buf);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        total += n as u64;
        tail.extend_from_slice(&chunk[..n]);
        if tail.len() > 2 * keep {
            let cut = tail.len() - keep;
            tail.drain(..cut);
        }
    }
    if tail.len() > keep {
        let cut = tail.len() - keep;
        tail.drain(..cut);
    }
    Ok(Data::Tail(tail, total))
}

/// The entry count a zip's end-of-central-directory record declares (zip64 included), if found.
fn zip_declared_entries<R: Read + Seek>(source: &mut R) -> Option<u64> {
    use std::io::SeekFrom;
    let len = source.seek(SeekFrom::End(0)).ok()?;
    let window = len.min(66 * 1024);
    source.seek(SeekFrom::Start(len - window)).ok()?;
    let mut buf = vec![0u8; window as usize];
    source.read_exact(&mut buf).ok()?;
    source.seek(SeekFrom::Start(0)).ok()?;
    let pos = buf.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let eocd = buf.get(pos..pos + 22)?;
    let total = u16::from_le_bytes([eocd[10], eocd[11]]) as u64;
    if total != 0xFFFF {
        return Some(total);
    }
    // zip64: the locator sits just before the EOCD and points at the zip64 record.
    let loc = buf.get(pos.checked_sub(20)?..pos)?;
    if &loc[..4] != b"PK\x06\x07" {
        return Some(total);
    }
    let at = u64::from_le_bytes(loc[8..16].try_into().ok()?);
    source.seek(SeekFrom::Start(at)).ok()?;
    let mut rec = [0u8; 56];
    source.read_exact(&mut rec).ok()?;
    source.seek(SeekFrom::Start(0)).ok()?;
    if &rec[..4] != b"PK\x06\x06" {
        return None;
    }
    Some(u64::from_le_bytes(rec[32..40].try_into().ok()?))
}

/// A store seen from one of its folders: `inner`'s paths under `prefix`, with the prefix removed
/// (a bundle archived under one top folder).
pub struct SubStore {
    inner: Box<dyn FileStore>,
    prefix: String,
}

impl SubStore {
    pub fn new(inner: Box<dyn FileStore>, folder: &str) -> SubStore {
        SubStore {
            inner,
            prefix: format!("{}/", folder.trim_end_matches('/')),
        }
    }
}

impl FileStore for SubStore {
    fn paths(&self) -> Vec<String> {
        self.inner
            .paths()
            .into_iter()
            .filter_map(|p| p.strip_prefix(&self.prefix).map(str::to_string))
            .collect()
    }
    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        self.inner
            .read_exact(&format!("{}{path}", self.prefix), tail)
    }
    fn describe(&self) -> String {
        format!(
            "{} ({})",
            self.inner.describe(),
            self.prefix.trim_end_matches('/')
        )
    }
    fn json_stream(&self, path: &str) -> Option<Box<dyn std::io::BufRead + '_>> {
        self.inner.json_stream(&format!("{}{path}", self.prefix))
    }
}

/// Two stores as one: the files of `base` and those of `extra` (archives opened inside a folder).
pub struct Overlay {
    base: Box<dyn FileStore>,
    extra: ArchiveStore,
}

impl Overlay {
    pub fn new(base: Box<dyn FileStore>, extra: ArchiveStore) -> Overlay {
        Overlay { base, extra }
    }
}

impl FileStore for Overlay {
    fn paths(&self) -> Vec<String> {
        let mut p = self.base.paths();
        p.extend(self.extra.paths());
        p
    }
    fn read_exact(&self, path: &str, tail: Option<u64>) -> Result<Vec<u8>, String> {
        if self.extra.entries.contains_key(path) {
            self.extra.read_exact(path, tail)
        } else {
            self.base.read_exact(path, tail)
        }
    }
    fn describe(&self) -> String {
        self.base.describe()
    }
    fn json_stream(&self, path: &str) -> Option<Box<dyn std::io::BufRead + '_>> {
        self.base.json_stream(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn no_filter(_: &str) -> Option<&'static str> {
        None
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                w.start_file(*name, opts).expect("start");
                w.write_all(data).expect("write");
            }
            w.finish().expect("finish");
        }
        out.into_inner()
    }

    #[test]
    fn json_lists_too_large_to_keep_are_streamed_from_the_archive_file() {
        let pods = format!(
            "{{\"kind\":\"PodList\",\"items\":[{}]}}",
            vec!["{\"metadata\":{\"name\":\"p\"}}"; 400].join(",")
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("capture.zip");
        std::fs::write(
            &path,
            zip_of(&[
                ("report/cluster/pods.json", pods.as_bytes()),
                ("report/cluster/big.log", &[b'x'; 5000]),
            ]),
        )
        .expect("write");
        let limits = Limits {
            max_file_bytes: 1024,
            ..Limits::default()
        };
        let store = ArchiveStore::open(&path, limits, no_filter).expect("opens");
        assert!(store.read_exact("report/cluster/pods.json", None).is_err());
        let mut streamed = String::new();
        store
            .json_stream("report/cluster/pods.json")
            .expect("streamed")
            .read_to_string(&mut streamed)
            .expect("reads");
        assert_eq!(streamed, pods);
        assert!(store.json_stream("report/cluster/big.log").is_none());
    }

    /// The lists of a big capture archive are not held: read as a stream or whole, from the file.
    #[test]
    fn big_json_lists_of_an_archive_file_are_streamed_not_kept() {
        let item = "{\"metadata\":{\"name\":\"kube-proxy-windows-abcde\"}}";
        let count = (STREAM_JSON_ABOVE as usize / item.len()) + 10;
        let pods = format!(
            "{{\"kind\":\"PodList\",\"items\":[{}]}}",
            vec![item; count].join(",")
        );
        // UTF-16LE, as PowerShell's `>` writes it: read whole, never streamed.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "{\"items\":[]}".repeat(count / 2).encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("capture.zip");
        std::fs::write(
            &path,
            zip_of(&[
                ("windoctor-capture/cluster/pods.json", pods.as_bytes()),
                ("windoctor-capture/cluster/nodes.json", b"{\"items\":[]}"),
                ("windoctor-capture/node/hns.json", &utf16),
            ]),
        )
        .expect("write");
        let store = ArchiveStore::open(&path, Limits::default(), no_filter).expect("opens");
        assert!(
            store.kept_bytes() < STREAM_JSON_ABOVE + 1024,
            "kept {} bytes",
            store.kept_bytes()
        );
        let mut streamed = String::new();
        store
            .json_stream("windoctor-capture/cluster/pods.json")
            .expect("streamed")
            .read_to_string(&mut streamed)
            .expect("reads");
        assert_eq!(streamed, pods);
        let whole = store
            .read_exact("windoctor-capture/cluster/pods.json", None)
            .expect("read whole from the file");
        assert_eq!(whole, pods.as_bytes());
        assert!(store
            .json_stream("windoctor-capture/cluster/nodes.json")
            .is_none());
        assert!(store
            .json_stream("windoctor-capture/node/hns.json")
            .is_none());
        assert_eq!(
            store
                .read_exact("windoctor-capture/node/hns.json", None)
                .expect("kept")
                .len(),
            utf16.len()
        );
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(
            safe_name(r"system\kubelet\x.csv").as_deref(),
            Ok("system/kubelet/x.csv")
        );
        assert_eq!(safe_name("/etc/passwd").as_deref(), Ok("etc/passwd"));
        assert_eq!(safe_name(r"C:\k\a.log").as_deref(), Ok("k/a.log"));
        assert_eq!(safe_name("./a/./b").as_deref(), Ok("a/b"));
        assert!(safe_name("../../etc/passwd").is_err());
        assert!(safe_name(r"a\..\..\b").is_err());
        assert!(safe_name("").is_err());
    }

    #[test]
    fn backslash_zip_entries_and_nested_zips() {
        let inner = zip_of(&[("inner/file.txt", b"hello")]);
        let outer = zip_of(&[
            (r"system\kubelet\kubelet-service.csv", b"#TYPE x\r\n"),
            ("nested.zip", &inner),
        ]);
        let store =
            ArchiveStore::from_bytes("t.zip", outer, Limits::default(), no_filter).expect("zip");
        assert!(store.exists("system/kubelet/kubelet-service.csv"));
        assert_eq!(
            store.read("nested.zip/inner/file.txt").expect("read"),
            Some(b"hello".to_vec())
        );
    }

    #[test]
    fn tar_gz_with_links_and_traversal() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name as a hostile archive would.
            let bytes = name.as_bytes();
            h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            h.set_cksum();
            tar.append(&h, data).expect("append");
        };
        add("top/cluster/nodes.json", b"{}");
        add("../../evil.txt", b"x");
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        tar.append_link(&mut link, "top/link", "/etc/passwd")
            .expect("link");
        let raw = tar.into_inner().expect("tar");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).expect("gz");
        let bytes = gz.finish().expect("gz");
        let store =
            ArchiveStore::from_bytes("t.tgz", bytes, Limits::default(), no_filter).expect("tgz");
        assert_eq!(store.paths(), vec!["top/cluster/nodes.json".to_string()]);
        let notes = store.notes().join("\n");
        assert!(notes.contains("climbs out"), "{notes}");
        assert!(notes.contains("link"), "{notes}");
    }

    #[test]
    fn bombs_and_entry_floods_are_bounded() {
        // 64 MiB of zeros compress to ~64 KiB; limits make it "too large" without keeping it.
        let zeros = vec![0u8; 64 * 1024 * 1024];
        let bomb = zip_of(&[
            ("cluster/pods.json", &zeros),
            ("node/logs/kubelet.log", &zeros),
        ]);
        drop(zeros);
        let limits = Limits {
            max_file_bytes: 1024 * 1024,
            log_tail_bytes: 4096,
            ..Limits::default()
        };
        let store = ArchiveStore::from_bytes("bomb.zip", bomb, limits, no_filter).expect("zip");
        assert!(store.read("cluster/pods.json").is_err());
        assert_eq!(
            store
                .read_tail("node/logs/kubelet.log")
                .expect("tail")
                .map(|b| b.len()),
            Some(4096)
        );
        assert!(store.kept_bytes() <= 4096);

        let names: Vec<String> = (0..10_000).map(|i| format!("f/{i}.txt")).collect();
        let flood: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
        let flood = zip_of(&flood);
        let all =
            ArchiveStore::from_bytes("flood.zip", flood.clone(), Limits::default(), no_filter)
                .expect("zip");
        assert_eq!(all.paths().len(), 10_000);
        let capped = Limits {
            max_entries: 1000,
            ..Limits::default()
        };
        let refused = ArchiveStore::from_bytes("flood.zip", flood, capped, no_filter);
        assert!(matches!(refused, Err(e) if e.contains("declares 10000 entries")));
    }

    #[test]
    fn decompression_budget_stops_reading() {
        let zeros = vec![0u8; 8 * 1024 * 1024];
        let zip = zip_of(&[("a.log", &zeros), ("b.log", &zeros), ("c.log", &zeros)]);
        let limits = Limits {
            max_read_bytes: 10 * 1024 * 1024,
            ..Limits::default()
        };
        let store = ArchiveStore::from_bytes("z.zip", zip, limits, no_filter).expect("zip");
        assert!(store.read("a.log").expect("a").is_some());
        assert!(
            store.read("c.log").is_err(),
            "the third file is over budget"
        );
    }

    #[test]
    fn nesting_depth_is_bounded() {
        let mut z = zip_of(&[("deep.txt", b"bottom")]);
        for i in 0..6 {
            z = zip_of(&[(&format!("level{i}.zip"), &z)]);
        }
        let store =
            ArchiveStore::from_bytes("n.zip", z, Limits::default(), no_filter).expect("zip");
        assert!(store.paths().is_empty());
        assert!(store.notes().iter().any(|n| n.contains("nested deeper")));
    }
}
