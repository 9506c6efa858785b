//! Reads that stay inside a directory: a bundle (`--snapshot DIR`) or a copy of a node's `C:\`
//! (`--node-root DIR`). A path is opened only when its real location (every symbolic link and `..`
//! resolved) is inside the directory; on Linux the file actually opened is checked again through
//! `/proc/self/fd`, so a link swapped in between the check and the open is caught too. What cannot
//! be read is an error that says why (outside the root, a directory, permission denied), never an
//! absent file.

use std::fs::File;
use std::path::{Path, PathBuf};

/// A directory that reads may not leave.
#[derive(Debug, Clone)]
pub struct Root {
    /// As given, for messages.
    given: PathBuf,
    /// With every link resolved.
    real: PathBuf,
}

/// Why a path under the root could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Nothing is there.
    Absent,
    /// Something is there and cannot be read; the string says why.
    Unreadable(String),
}

impl Root {
    /// The root at `dir`: it must be a directory that can be listed.
    pub fn open(dir: &Path) -> Result<Root, String> {
        let real = std::fs::canonicalize(dir).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("{} is not a directory: it does not exist", dir.display())
            }
            _ => format!("cannot read {}: {e}", dir.display()),
        })?;
        if !real.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
        std::fs::read_dir(&real).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        Ok(Root {
            given: dir.to_path_buf(),
            real,
        })
    }

    /// The root's own path, as given.
    pub fn path(&self) -> &Path {
        &self.given
    }

    /// Whether `path` (already resolved) lies inside the root.
    pub fn contains(&self, resolved: &Path) -> bool {
        resolved.starts_with(&self.real)
    }

    /// Where `path` really is, if that is inside the root.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, Refused> {
        match std::fs::canonicalize(path) {
            Ok(real) if self.contains(&real) => Ok(real),
            Ok(real) => Err(Refused::Unreadable(format!(
                "{} leads to {} outside {} (a symbolic link): not followed",
                path.display(),
                real.display(),
                self.given.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A dangling link is something that is there and cannot be read.
                match std::fs::symlink_metadata(path) {
                    Ok(_) => Err(Refused::Unreadable(format!(
                        "{} is a symbolic link to nothing",
                        path.display()
                    ))),
                    Err(_) => Err(Refused::Absent),
                }
            }
            Err(e) => Err(Refused::Unreadable(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// Opens the regular file at `path` for reading, if it is inside the root.
    pub fn open_file(&self, path: &Path) -> Result<File, Refused> {
        let real = self.resolve(path)?;
        let unreadable =
            |e: std::io::Error| Refused::Unreadable(format!("cannot read {}: {e}", path.display()));
        let file = File::open(&real).map_err(unreadable)?;
        self.check_opened(&file, path)?;
        let meta = file.metadata().map_err(unreadable)?;
        if meta.is_dir() {
            return Err(Refused::Unreadable(format!(
                "{} is a directory, not a file",
                path.display()
            )));
        }
        if !meta.is_file() {
            return Err(Refused::Unreadable(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        Ok(file)
    }

    /// On Linux, the file behind the descriptor must still be inside the root (a link swapped in
    /// after `resolve` would point elsewhere).
    #[cfg(target_os = "linux")]
    fn check_opened(&self, file: &File, shown: &Path) -> Result<(), Refused> {
        use std::os::fd::AsRawFd;
        match std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())) {
            Ok(opened) if !self.contains(&opened) => Err(Refused::Unreadable(format!(
                "{} leads to {} outside {}: not followed",
                shown.display(),
                opened.display(),
                self.given.display()
            ))),
            // No /proc (a container without it): the resolve check stands.
            _ => Ok(()),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn check_opened(&self, _file: &File, _shown: &Path) -> Result<(), Refused> {
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_out_of_the_root_are_refused_and_links_inside_followed() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret"), "outside").expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::write(root.join("real.txt"), "inside").expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("out.txt"))
            .expect("link");
        std::os::unix::fs::symlink(outside.path(), root.join("outdir")).expect("link");
        std::os::unix::fs::symlink("real.txt", root.join("in.txt")).expect("link");
        std::os::unix::fs::symlink("nowhere", root.join("dangling")).expect("link");
        std::fs::create_dir(root.join("sub")).expect("mkdir");
        let r = Root::open(root).expect("root");
        assert!(r.open_file(&root.join("in.txt")).is_ok());
        for p in [
            root.join("out.txt"),
            root.join("outdir/secret"),
            root.join("sub/../out.txt"),
        ] {
            match r.open_file(&p) {
                Err(Refused::Unreadable(why)) => assert!(why.contains("not followed"), "{why}"),
                other => panic!("{}: {other:?}", p.display()),
            }
        }
        assert!(matches!(
            r.open_file(&root.join("dangling")),
            Err(Refused::Unreadable(_))
        ));
        assert_eq!(
            r.open_file(&root.join("none")).unwrap_err(),
            Refused::Absent
        );
        assert!(
            matches!(r.open_file(&root.join("sub")), Err(Refused::Unreadable(w)) if w.contains("directory"))
        );
        assert!(Root::open(&root.join("real.txt")).is_err());
        assert!(Root::open(&root.join("none"))
            .unwrap_err()
            .contains("does not exist"));
    }
}
