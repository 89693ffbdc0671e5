//! Private directories and `in`'s staging: outputs built aside and moved into DEST together, and what a killed run left swept by the next.

use super::atomic::{AtomicFile, WriteOptions};
use super::euid;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A new private directory in `parent`: mode 0700, named `<prefix><pid>-<random>` (the pid lets
/// a later run tell it is a dead run's leftover), removed with everything in it on drop.
pub(crate) fn private_dir_in(parent: &Path, prefix: &str) -> io::Result<PrivateDir> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(parent)?;
    Ok(PrivateDir {
        path: Some(dir.keep()),
    })
}

/// A directory removed on drop, read-only subdirectories (an extracted image has them)
/// included.
pub(crate) struct PrivateDir {
    path: Option<PathBuf>,
}

impl PrivateDir {
    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = remove_tree(&path);
        }
    }
}

/// Outputs built in a private staging directory inside `dest` and moved into `dest` together
/// by [`Staged::commit`], after everything that can fail (network, disk space) is done: a run
/// that fails, or is killed, leaves `dest` as it found it (a killed run's staging directory is
/// swept by the next run, see [`sweep_dead`]).
pub(crate) struct Staged {
    dest: PathBuf,
    dir: PrivateDir,
}

/// The name prefix of `in`'s staging directories inside DEST.
pub(crate) const STAGING_PREFIX: &str = ".uptick-in-";

/// Name prefixes (followed by a pid) of what an `in` may leave in DEST when killed: its staging
/// directory, and the staging names earlier versions used beside their outputs.
pub(crate) const IN_LEFTOVERS: &[&str] = &[
    STAGING_PREFIX,
    ".rootfs.uptick-",
    ".image.tar.uptick-",
    ".oci.uptick-",
];

/// Name prefixes (followed by a pid) of what an `out` may leave in `$TMPDIR` when killed.
pub(crate) const OUT_LEFTOVERS: &[&str] = &["uptick-out-", "uptick-copy-"];

impl Staged {
    /// A staging directory in `dest`.
    pub(crate) fn new(dest: &Path) -> io::Result<Staged> {
        Ok(Staged {
            dest: dest.to_path_buf(),
            dir: private_dir_in(dest, STAGING_PREFIX)?,
        })
    }

    /// Where outputs are written until the commit.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves every output into `dest`, replacing what is there under the same name. Renames
    /// within one directory need no space; should one still fail, the outputs moved so far are
    /// taken back and what they replaced is put back.
    pub(crate) fn commit(self) -> io::Result<()> {
        let staging = self.dir.path().to_path_buf();
        let mut names: Vec<_> = std::fs::read_dir(&staging)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        let replaced_dir = staging.join(".replaced");
        let mut moved = Vec::new();
        let mut replaced = Vec::new();
        let result = (|| -> io::Result<()> {
            for name in &names {
                let target = self.dest.join(name);
                if std::fs::symlink_metadata(&target).is_ok() {
                    if replaced.is_empty() {
                        std::fs::create_dir(&replaced_dir)?;
                    }
                    std::fs::rename(&target, replaced_dir.join(name))?;
                    replaced.push(name.clone());
                }
                std::fs::rename(staging.join(name), &target)?;
                moved.push(name.clone());
            }
            Ok(())
        })();
        if result.is_err() {
            for name in &moved {
                let _ = std::fs::rename(self.dest.join(name), staging.join(name));
            }
            for name in &replaced {
                let _ = std::fs::rename(replaced_dir.join(name), self.dest.join(name));
            }
        }
        result
    }
}

/// Removes entries of `dir` named `<prefix><pid>` or `<prefix><pid>-…` (for each prefix) that a
/// run of ours left when it was killed: the pid no longer runs (or is this process's own —
/// containers reuse pids, and nothing of this run exists yet), and the entry belongs to this
/// user (another user's entry is never touched, nor followed). Returns the paths removed.
pub(crate) fn sweep_dead(dir: &Path, prefixes: &[&str]) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = prefixes.iter().find_map(|p| pid_after(name, p)) else {
            continue;
        };
        if running(pid) {
            continue;
        }
        let path = entry.path();
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.uid() == euid() => {}
            _ => continue,
        }
        if remove_tree(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// The pid in `<prefix><pid>` or `<prefix><pid>-…`.
fn pid_after(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    let end = rest.find('-').unwrap_or(rest.len());
    let digits = &rest[..end];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether another process with this pid runs (a signal-0 probe: `EPERM` means it runs as
/// someone else).
fn running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Removes a file, link or directory tree (never following links), making read-only
/// directories inside it writable first when that is what stands in the way.
pub(crate) fn remove_tree(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return std::fs::remove_file(path);
    }
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(_) => {
            make_dirs_writable(path);
            std::fs::remove_dir_all(path)
        }
    }
}

/// Adds owner rwx to every real directory under `dir` (links are not followed).
pub(crate) fn make_dirs_writable(dir: &Path) {
    let Ok(m) = std::fs::symlink_metadata(dir) else {
        return;
    };
    if !m.is_dir() {
        return;
    }
    if m.mode() & 0o700 != 0o700 {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(m.mode() | 0o700));
    }
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                make_dirs_writable(&e.path());
            }
        }
    }
}

/// An output of `in` that could not be staged, written or moved into DEST: the path and the
/// cause.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}", path.display())]
pub(crate) struct OutputError {
    /// The file or directory.
    pub path: PathBuf,
    /// The I/O error (`InvalidInput` for a name that is not a declared output).
    #[source]
    pub source: io::Error,
}

/// The one staging writer of `in` (images and packages): sweeps what killed runs left in DEST,
/// makes a private staging directory there ([`Staged`]), writes the declared outputs into it
/// through [`AtomicFile`] (an undeclared name is refused), and moves everything into DEST with
/// [`InStaging::commit`] once nothing can fail any more.
pub(crate) struct InStaging {
    staged: Staged,
    /// The staging directory, opened without following links.
    dir: OwnedFd,
    outputs: Vec<String>,
    swept: Vec<PathBuf>,
}

impl InStaging {
    /// Sweeps DEST ([`IN_LEFTOVERS`], see [`sweep_dead`]) and makes the staging directory;
    /// `outputs` are the names [`InStaging::write`] and [`InStaging::output`] accept.
    pub(crate) fn new(dest: &Path, outputs: &[&str]) -> Result<InStaging, OutputError> {
        let swept = sweep_dead(dest, IN_LEFTOVERS);
        let at_dest = |source| OutputError {
            path: dest.to_path_buf(),
            source,
        };
        let staged = Staged::new(dest).map_err(at_dest)?;
        let dir = rustix::fs::openat(
            rustix::fs::CWD,
            staged.path(),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| at_dest(e.into()))?;
        Ok(InStaging {
            staged,
            dir,
            outputs: outputs.iter().map(|o| o.to_string()).collect(),
            swept,
        })
    }

    /// What the sweep removed (a killed run's staging directory, say), for the log.
    pub(crate) fn swept(&self) -> &[PathBuf] {
        &self.swept
    }

    /// The staging directory: outputs (and downloads the caller named and checked) are
    /// written here until the commit.
    pub(crate) fn path(&self) -> &Path {
        self.staged.path()
    }

    /// Where the declared output `name` is staged.
    pub(crate) fn output(&self, name: &str) -> Result<PathBuf, OutputError> {
        let path = self.path().join(name);
        if self.outputs.iter().any(|o| o == name) {
            return Ok(path);
        }
        let detail = format!(
            "`{name}` is not one of the outputs `in` declares ({})",
            self.outputs.join(", ")
        );
        Err(OutputError {
            path,
            source: io::Error::new(io::ErrorKind::InvalidInput, detail),
        })
    }

    /// Writes the declared output `name` (write-then-rename inside the staging directory).
    pub(crate) fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.output(name)?;
        let written = AtomicFile::create_in(
            self.dir.as_fd(),
            self.path(),
            name.as_ref(),
            WriteOptions::DEFAULT,
        )
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.commit()
        });
        written.map_err(|source| OutputError { path, source })
    }

    /// Moves every staged output into DEST ([`Staged::commit`]).
    pub(crate) fn commit(self) -> Result<(), OutputError> {
        let dest = self.staged.dest.clone();
        self.staged
            .commit()
            .map_err(|source| OutputError { path: dest, source })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pid_patterns() {
        assert_eq!(pid_after(".uptick-in-123-abc", ".uptick-in-"), Some(123));
        assert_eq!(pid_after(".rootfs.uptick-77", ".rootfs.uptick-"), Some(77));
        assert_eq!(pid_after("uptick-out-", "uptick-out-"), None);
        assert_eq!(pid_after("uptick-out-x1", "uptick-out-"), None);
        assert_eq!(pid_after("uptick-0", "uptick-out-"), None);
    }

    #[test]
    fn commit_replaces_outputs_and_removes_the_staging_directory() {
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(dest.path().join("a"), "old a").unwrap();
        let staged = Staged::new(dest.path()).unwrap();
        std::fs::write(staged.path().join("a"), "new a").unwrap();
        std::fs::create_dir(dest.path().join("z")).unwrap();
        std::fs::write(dest.path().join("z/keep"), "x").unwrap();
        std::fs::create_dir(staged.path().join("z")).unwrap();
        std::fs::create_dir(staged.path().join("z/sub")).unwrap();
        let ok = staged.commit();
        assert!(ok.is_ok(), "{ok:?}");
        assert_eq!(
            std::fs::read_to_string(dest.path().join("a")).unwrap(),
            "new a"
        );
        assert!(dest.path().join("z/sub").is_dir());
        assert!(!dest.path().join("z/keep").exists());
        let left: Vec<_> = std::fs::read_dir(dest.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "staging directory removed");
    }

    #[test]
    fn in_staging_writes_declared_outputs_only_and_moves_them_in() {
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(dest.path().join("tag"), "old").unwrap();
        let dead = dest
            .path()
            .join(format!("{STAGING_PREFIX}{}-x", std::process::id()));
        std::fs::create_dir(&dead).unwrap();
        let staging = InStaging::new(dest.path(), &["tag", "digest"]).unwrap();
        assert_eq!(staging.swept(), [dead]);
        staging.write("tag", b"new").unwrap();
        let refused = staging.write("rootfs", b"x").unwrap_err();
        assert_eq!(refused.source.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(refused.path, staging.path().join("rootfs"));
        assert!(staging.output("digest").is_ok());
        assert_eq!(
            std::fs::read_to_string(dest.path().join("tag")).unwrap(),
            "old"
        );
        staging.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.path().join("tag")).unwrap(),
            "new"
        );
        let left: Vec<_> = std::fs::read_dir(dest.path()).unwrap().collect();
        assert_eq!(
            left.len(),
            1,
            "staging directory removed, nothing else written"
        );
    }
}
