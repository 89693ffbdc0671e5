//! The extractor's state: the root handle, recorded directories and resolved parents.

use super::error::ExtractError;
use crate::fsutil;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Applies layers onto `root` in order; directory modes and times are applied by [`finish`].
///
/// Nothing outside the root is ever read, written, created, removed, chmod-ed, chown-ed or
/// re-timed, whatever order entries come in: every entry's parent directory is resolved below
/// the root one component at a time, each step an `*at` call on the handle of the directory
/// reached so far (links are followed the way a container sees them, never out of the root),
/// and the entry is then applied through that handle (`mkdirat`, `openat(O_CREAT | O_EXCL |
/// O_NOFOLLOW)`, `symlinkat`, `linkat`, `unlinkat`, `fchmod`, `fchown`, `fsetxattr`,
/// `utimensat(AT_SYMLINK_NOFOLLOW)`). The final pass reopens each recorded directory below the
/// root following no link at all and applies its mode and time through that handle, only when
/// it is still the very directory recorded (same device and inode); one a later entry replaced
/// is no longer in the tree and is skipped.
///
/// [`finish`]: Extractor::finish
pub(crate) struct Extractor {
    pub(super) root: PathBuf,
    /// The root, opened once (its error, if it could not be, reported by `apply`).
    pub(super) root_fd: Result<OwnedFd, Errno>,
    pub(super) chown: bool,
    /// Final mode and mtime of every directory (by its link-free path below the root), applied
    /// last: a read-only directory must stay writable while later entries and layers land in
    /// it.
    pub(super) dirs: BTreeMap<PathBuf, DirRecord>,
    /// Entry parent path → the link-free path below the root it resolved to (see
    /// `apply_entry`).
    pub(super) dir_cache: HashMap<PathBuf, PathBuf>,
    /// The last parent resolved (its entry path and handle): the next entry is usually in it.
    pub(super) last_dir: Option<(PathBuf, Dir)>,
    /// Bumped whenever a resolution may have changed (a directory or link removed).
    pub(super) generation: u64,
    /// An image's root filesystem: the layer's own `./` entry (mode, owner, mtime, xattrs)
    /// applies to the root, and kept xattrs are written. Off for archives unpacked by `out`.
    pub(super) image: bool,
    /// xattr names already warned about (one line per name, not per file).
    pub(super) xattr_warned: HashSet<String>,
}

/// A directory's final mode and time, and which directory it was.
#[derive(Clone, Copy)]
pub(super) struct DirRecord {
    pub(super) dev: u64,
    pub(super) ino: u64,
    pub(super) mode: u32,
    pub(super) mtime: i64,
}

/// A directory below the root: its path there (no link in it) and an `O_PATH` handle on it.
pub(super) struct Dir {
    pub(super) rel: PathBuf,
    pub(super) fd: OwnedFd,
}

pub(super) fn timestamps(mtime: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

pub(super) fn is_dir(st: &rustix::fs::Stat) -> bool {
    fsutil::file_type(st) == FileType::Directory
}

impl Extractor {
    /// An extractor of an image's layers onto an existing, empty directory (the root entry and
    /// xattrs applied).
    pub(crate) fn new(root: &Path) -> Extractor {
        let chown = rustix::process::geteuid().is_root();
        let root_fd = rustix::fs::openat(
            rustix::fs::CWD,
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        );
        Extractor {
            root: root.to_path_buf(),
            root_fd,
            chown,
            dirs: BTreeMap::new(),
            dir_cache: HashMap::new(),
            last_dir: None,
            generation: 0,
            image: true,
            xattr_warned: HashSet::new(),
        }
    }

    /// An extractor of an archive of files (an OCI or docker archive for `out`): its `./`
    /// entry and xattrs are not applied.
    pub(crate) fn archive(root: &Path) -> Extractor {
        Extractor {
            image: false,
            ..Extractor::new(root)
        }
    }

    pub(super) fn root_fd(&self) -> Result<BorrowedFd<'_>, ExtractError> {
        match &self.root_fd {
            Ok(fd) => Ok(fd.as_fd()),
            Err(e) => Err(ExtractError::Write {
                entry: self.root.display().to_string(),
                source: (*e).into(),
            }),
        }
    }
}
