//! Filesystem helpers for `in` and `out`: atomic writes, private temporary directories, staged outputs moved in together, exclusive no-follow creation, locks, sweeping what a killed run left, and resolution beneath a root that never follows a link out of it.

mod atomic;
mod beneath;
mod staging;

pub use atomic::write_file;
pub(crate) use atomic::{write_file_from, AtomicFile, CopyError, WriteOptions};
pub(crate) use beneath::{
    file_type, list_dir, open_dir_beneath, open_subdir, regular_file_beneath, remove_at, stat_at,
    MAX_LINK_HOPS, MAX_PATH,
};
pub(crate) use staging::{private_dir_in, sweep_dead, PrivateDir, OUT_LEFTOVERS};
pub(crate) use staging::{InStaging, OutputError};

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The effective uid of this process.
pub(crate) fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether `meta` belongs to this process's user and nobody else may write to it (what a
/// reused file or directory in a shared place must be before it is trusted).
pub(crate) fn owned_and_private(meta: &Metadata) -> bool {
    meta.uid() == euid() && meta.mode() & 0o022 == 0
}

/// Creates `path` for writing, mode 0600: fails if anything (a file, a link planted by someone
/// else) is already there (`O_CREAT | O_EXCL | O_NOFOLLOW`).
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

/// An exclusive lock (`flock`) on a lock file, released when dropped.
pub(crate) struct Lock {
    _file: File,
}

/// Takes an exclusive lock on `path` (created mode 0600, never through a link), waiting for
/// another holder; a lock file that is not this user's is refused.
pub(crate) fn lock(path: &Path) -> io::Result<Lock> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)?;
    if !owned_and_private(&file.metadata()?) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is not this user's own", path.display()),
        ));
    }
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
    Ok(Lock { _file: file })
}

/// `$TMPDIR/uptick-<uid>`, created mode 0700; `None` unless it is ours and private.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    let uid = euid();
    let dir = std::env::temp_dir().join(format!("uptick-{uid}"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    (meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0).then_some(dir)
}

/// A shell-glob component whose regex does not compile (a class the regex syntax refuses):
/// the regex library's own message.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct GlobError(#[from] regex::Error);

/// A regex for one shell-glob component (`*`, `?`, `[...]`, `[!...]`).
pub(crate) fn glob_regex(part: &str) -> Result<regex::Regex, GlobError> {
    let mut re = String::from("^");
    let mut chars = part.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    re.push('^');
                }
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    if c == '\\' || c == '^' {
                        re.push('\\');
                    }
                    re.push(c);
                }
                re.push(']');
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
    }
    re.push('$');
    Ok(regex::Regex::new(&re)?)
}
