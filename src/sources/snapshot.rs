//! Opening what `--snapshot PATH` names: a bundle folder, a bundle archive (`.zip`, `.tar.gz`,
//! `.tar`, the layout at its root or under one top folder), or another tool's collection as the
//! user received it (a folder or archive from OpenShift must-gather, AKS collect-windows-logs.ps1,
//! microsoft/SDN collectlogs.ps1, aks-periscope or the EKS log collector, archives nested inside
//! included), which is translated into windoctor's layout in memory (`collectors`).

use super::archive::{sniff_file, ArchiveStore, Limits, Overlay, SubStore};
use super::collectors;
use super::files::{DirStore, FileStore};
use std::path::Path;

/// True when `paths` hold windoctor's own bundle layout at their root.
pub fn is_bundle_layout(paths: &[String]) -> bool {
    paths.iter().any(|p| {
        let l = p.to_ascii_lowercase();
        l.starts_with("cluster/")
            || l.starts_with("node/")
            || l.starts_with("nodes/") && l.ends_with("/node.json")
            || l == "capture.json"
            || l == "probes/results.json"
    })
}

/// The one top folder all `paths` share, when the bundle layout is below it.
fn bundle_top_folder(paths: &[String]) -> Option<String> {
    let first = paths.first()?.split('/').next()?.to_string();
    let prefix = format!("{first}/");
    let inner: Vec<String> = paths
        .iter()
        .map(|p| p.strip_prefix(&prefix).map(str::to_string))
        .collect::<Option<Vec<_>>>()?;
    is_bundle_layout(&inner).then_some(first)
}

fn origin_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Opens `path` as a snapshot. Errors say what `path` should be.
pub fn open(path: &Path) -> Result<Box<dyn FileStore>, String> {
    open_with(path, Limits::default())
}

/// `open` with explicit archive limits (tests use small ones).
pub fn open_with(path: &Path, limits: Limits) -> Result<Box<dyn FileStore>, String> {
    let origin = origin_name(path);
    let (base, notes): (Box<dyn FileStore>, Vec<String>) = if path.is_dir() {
        let dir = DirStore::open(path)?;
        let paths = dir.paths();
        if is_bundle_layout(&paths) {
            return Ok(Box::new(dir));
        }
        if let Some(top) = bundle_top_folder(&paths) {
            return Ok(Box::new(DirStore::open(&path.join(top))?));
        }
        let root = path.to_path_buf();
        let local = move |p: &str| Some(root.join(p));
        let nested = ArchiveStore::nested_in(&dir, &local, limits, collectors::table::skip_archive);
        let notes = nested.notes().to_vec();
        if nested.is_empty() {
            (Box::new(dir), notes)
        } else {
            (Box::new(Overlay::new(Box::new(dir), nested)), notes)
        }
    } else if path.is_file() {
        if sniff_file(path).is_none() {
            return Err(format!(
                "{} is neither a bundle directory nor a .zip, .tar.gz or .tar archive",
                path.display()
            ));
        }
        let archive = ArchiveStore::open(path, limits, collectors::table::skip_archive)?;
        let notes = archive.notes().to_vec();
        let paths = archive.paths();
        if is_bundle_layout(&paths) {
            warn_notes(&notes);
            return Ok(Box::new(archive));
        }
        if let Some(top) = bundle_top_folder(&paths) {
            warn_notes(&notes);
            return Ok(Box::new(SubStore::new(Box::new(archive), &top)));
        }
        (Box::new(archive), notes)
    } else {
        return Err(format!(
            "{} is not a directory or an archive: it does not exist (expected a bundle directory, an archive of one, or a collector's output)",
            path.display()
        ));
    };
    match collectors::translate_store(base.as_ref(), &origin, notes.clone()) {
        Some(t) => Ok(Box::new(t.store)),
        None => {
            warn_notes(&notes);
            Ok(base)
        }
    }
}

/// Archive notes of a snapshot that is not a collection go to stderr (a collection's go into its
/// report).
fn warn_notes(notes: &[String]) {
    for n in notes {
        eprintln!("windoctor: snapshot: {n}");
    }
}
