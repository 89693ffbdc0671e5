//! Filesystem helpers for `in` and `out`: atomic writes, private temporary directories, staged outputs moved in together, exclusive no-follow creation, locks, sweeping what a killed run left, and resolution beneath a root that never follows a link out of it.

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The effective uid of this process.
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether `meta` belongs to this process's user and nobody else may write to it (what a
/// reused file or directory in a shared place must be before it is trusted).
pub fn owned_and_private(meta: &Metadata) -> bool {
    meta.uid() == euid() && meta.mode() & 0o022 == 0
}

/// Writes `bytes` to `path` atomically: a temporary sibling with a random name (created with
/// `O_EXCL`, so never through a planted link), then a rename over `path`. A failed write (a
/// full disk) removes the temporary file; `path` is then as it was.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name(path)))
        .suffix(".uptick-tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(parent(path))?;
    tmp.write_all(bytes)?;
    tmp.flush()?;
    // On failure the temporary file is dropped with the error, which removes it.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `path` for writing, mode 0600: fails if anything (a file, a link planted by someone
/// else) is already there (`O_CREAT | O_EXCL | O_NOFOLLOW`).
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

/// A new private directory in `parent`: mode 0700, named `<prefix><pid>-<random>` (the pid lets
/// a later run tell it is a dead run's leftover), removed with everything in it on drop.
pub fn private_dir_in(parent: &Path, prefix: &str) -> io::Result<PrivateDir> {
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
pub struct PrivateDir {
    path: Option<PathBuf>,
}

impl PrivateDir {
    /// Where it is.
    pub fn path(&self) -> &Path {
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
pub struct Staged {
    dest: PathBuf,
    dir: PrivateDir,
}

/// The name prefix of `in`'s staging directories inside DEST.
pub const STAGING_PREFIX: &str = ".uptick-in-";

/// Name prefixes (followed by a pid) of what an `in` may leave in DEST when killed: its staging
/// directory, and the staging names earlier versions used beside their outputs.
pub const IN_LEFTOVERS: &[&str] = &[
    STAGING_PREFIX,
    ".rootfs.uptick-",
    ".image.tar.uptick-",
    ".oci.uptick-",
];

/// Name prefixes (followed by a pid) of what an `out` may leave in `$TMPDIR` when killed.
pub const OUT_LEFTOVERS: &[&str] = &["uptick-out-", "uptick-copy-"];

impl Staged {
    /// A staging directory in `dest`.
    pub fn new(dest: &Path) -> io::Result<Staged> {
        Ok(Staged {
            dest: dest.to_path_buf(),
            dir: private_dir_in(dest, STAGING_PREFIX)?,
        })
    }

    /// Where outputs are written until the commit.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Moves every output into `dest`, replacing what is there under the same name. Renames
    /// within one directory need no space; should one still fail, the outputs moved so far are
    /// taken back and what they replaced is put back.
    pub fn commit(self) -> io::Result<()> {
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
pub fn sweep_dead(dir: &Path, prefixes: &[&str]) -> Vec<PathBuf> {
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
pub fn remove_tree(path: &Path) -> io::Result<()> {
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
pub fn make_dirs_writable(dir: &Path) {
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

/// An exclusive lock (`flock`) on a lock file, released when dropped.
pub struct Lock {
    _file: File,
}

/// Takes an exclusive lock on `path` (created mode 0600, never through a link), waiting for
/// another holder; a lock file that is not this user's is refused.
pub fn lock(path: &Path) -> io::Result<Lock> {
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

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `$TMPDIR/uptick-<uid>`, created mode 0700; `None` unless it is ours and private.
pub fn cache_dir() -> Option<PathBuf> {
    let uid = euid();
    let dir = std::env::temp_dir().join(format!("uptick-{uid}"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&dir);
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    (meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0).then_some(dir)
}

/// A regex for one shell-glob component (`*`, `?`, `[...]`, `[!...]`).
pub fn glob_regex(part: &str) -> Result<regex::Regex, String> {
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
    regex::Regex::new(&re).map_err(|e| e.to_string())
}

/// The longest path, root included, that resolution beneath a root produces (the kernel's
/// `PATH_MAX`, which bounded every path-based call before): it also bounds the depth of a tree
/// below a root (2048 levels), hence of [`remove_at`]'s recursion.
pub(crate) const MAX_PATH: usize = 4096;

/// Symbolic links followed while resolving one name (the kernel's own limit).
pub(crate) const MAX_LINK_HOPS: usize = 40;

/// Set once `openat2` turned out to be missing (a kernel before 5.6, or a seccomp filter that
/// refuses it): the component-by-component walk is used from then on.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

const DIR_FLAGS: OFlags = OFlags::DIRECTORY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// How a directory is opened: readable, or as an `O_PATH` handle for `*at` calls.
fn dir_mode(readable: bool) -> OFlags {
    if readable {
        OFlags::RDONLY
    } else {
        OFlags::PATH
    }
}

/// Opens the directory `rel` (plain names only: no `..`, no root) below the directory `root`
/// without following any link on the way or at the end, readable (for `fchmod`, `futimens`,
/// listing) or as an `O_PATH` handle (for `*at` calls). `openat2` with `RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS` where the kernel has it, else `O_NOFOLLOW` component by component. A
/// link on the way is `ELOOP` or `ENOTDIR`; a missing one `ENOENT`.
pub(crate) fn open_dir_beneath(
    root: BorrowedFd<'_>,
    rel: &Path,
    readable: bool,
) -> io::Result<OwnedFd> {
    let mode = dir_mode(readable);
    let mut names = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => names.push(n),
            Component::CurDir => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("`{}` is not a plain relative path", rel.display()),
                ))
            }
        }
    }
    let Some((last, parents)) = names.split_last() else {
        return Ok(rustix::fs::openat(
            root,
            ".",
            mode | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?);
    };
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(root, rel, mode | DIR_FLAGS, Mode::empty(), resolve) {
            Ok(fd) => return checked_dir(fd, readable),
            Err(Errno::NOSYS | Errno::PERM) => NO_OPENAT2.store(true, Ordering::Relaxed),
            // A rename raced with the lookup: the walk below needs no retry.
            Err(Errno::AGAIN) => {}
            Err(e) => return Err(e.into()),
        }
    }
    walk_dir_beneath(root, parents, last, readable)
}

/// [`open_dir_beneath`] without `openat2`: `O_NOFOLLOW` component by component.
fn walk_dir_beneath(
    root: BorrowedFd<'_>,
    parents: &[&OsStr],
    last: &OsStr,
    readable: bool,
) -> io::Result<OwnedFd> {
    let mut fd = rustix::fs::openat(
        root,
        ".",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    for name in parents {
        fd = open_subdir(fd.as_fd(), name, false)?;
    }
    open_subdir(fd.as_fd(), last, readable)
}

/// Opens the directory `name` in `dir`, never through a link (`O_NOFOLLOW | O_DIRECTORY`; an
/// `O_PATH` open of a link would succeed, so the handle's type is checked too).
pub(crate) fn open_subdir(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    readable: bool,
) -> io::Result<OwnedFd> {
    let mode = dir_mode(readable);
    let fd = rustix::fs::openat(dir, name, mode | DIR_FLAGS, Mode::empty())?;
    checked_dir(fd, readable)
}

/// `fd` if it is a directory: an `O_PATH | O_NOFOLLOW` open of a link would give a handle on
/// the link itself, so such a handle's type is checked (a readable open of a link fails).
fn checked_dir(fd: OwnedFd, readable: bool) -> io::Result<OwnedFd> {
    if !readable && FileType::from_raw_mode(rustix::fs::fstat(&fd)?.st_mode) != FileType::Directory
    {
        return Err(Errno::NOTDIR.into());
    }
    Ok(fd)
}

/// What `name` in `dir` is, the name itself (a link is not followed); `None` when missing.
pub(crate) fn stat_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<rustix::fs::Stat>> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st)),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The type of a `stat` answer.
pub(crate) fn file_type(st: &rustix::fs::Stat) -> FileType {
    FileType::from_raw_mode(st.st_mode)
}

/// The names in a directory (`.` and `..` left out).
pub(crate) fn list_dir(dir: BorrowedFd<'_>) -> io::Result<Vec<OsString>> {
    let fd = rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::new(fd)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsStr::from_bytes(name).to_os_string());
        }
    }
    Ok(names)
}

/// Removes `name` from `dir` (a file, a link, or a directory with everything in it), never
/// following a link: each directory is opened with `O_NOFOLLOW` from its parent's handle and
/// emptied through its own, made owner-writable first when it is not.
pub(crate) fn remove_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let Some(st) = stat_at(dir, name)? else {
        return Ok(());
    };
    if file_type(&st) != FileType::Directory {
        return Ok(rustix::fs::unlinkat(dir, name, AtFlags::empty())?);
    }
    let child = match open_subdir(dir, name, true) {
        Err(e) if e.raw_os_error() == Some(Errno::ACCESS.raw_os_error()) => {
            // Not readable by this (non-root) user: `stat_at` just saw a directory, not a link.
            rustix::fs::chmodat(
                dir,
                name,
                Mode::from_raw_mode(st.st_mode | 0o700),
                AtFlags::empty(),
            )?;
            open_subdir(dir, name, true)?
        }
        other => other?,
    };
    if st.st_mode & 0o700 != 0o700 {
        rustix::fs::fchmod(&child, Mode::from_raw_mode(st.st_mode | 0o700))?;
    }
    for entry in list_dir(child.as_fd())? {
        remove_at(child.as_fd(), &entry)?;
    }
    drop(child);
    Ok(rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
}

/// Why a member of an unpacked archive cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MemberError {
    /// Nothing of that name.
    #[error("is missing")]
    Missing,
    /// A link whose target is absolute or climbs above the root.
    #[error("is a symbolic link leading outside the archive")]
    Outside,
    /// More than [`MAX_LINK_HOPS`] links.
    #[error("goes through more than 40 symbolic links")]
    Loop,
    /// A directory, device, FIFO or socket.
    #[error("is not a regular file but a {0}")]
    NotRegular(&'static str),
    /// The walk itself failed.
    #[error("cannot be read: {0}")]
    Io(#[from] io::Error),
}

fn kind_name(t: FileType) -> &'static str {
    match t {
        FileType::Directory => "directory",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::Symlink => "symbolic link",
        _ => "special file",
    }
}

/// The link-free path (below `root`) of the regular file that `rel` names inside the directory
/// `root`: links on the way are followed only while they stay inside (a relative target that
/// does not climb above `root`; an absolute target is refused), at most [`MAX_LINK_HOPS`];
/// what is found at the end must be a regular file. Each step is a `*at` call on the handle of
/// the directory reached so far, so nothing outside `root` is ever looked at. The returned path
/// stays valid while nobody else writes below `root` (a private directory of this process).
pub(crate) fn regular_file_beneath(root: &Path, rel: &Path) -> Result<PathBuf, MemberError> {
    let root_fd = rustix::fs::openat(
        rustix::fs::CWD,
        root,
        OFlags::PATH | DIR_FLAGS,
        Mode::empty(),
    )
    .map_err(io::Error::from)?;
    let mut queue: VecDeque<OsString> = VecDeque::new();
    push_components(&mut queue, rel)?;
    let mut stack: Vec<OsString> = Vec::new();
    let mut fd = rustix::fs::openat(
        &root_fd,
        ".",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io::Error::from)?;
    let mut hops = 0;
    while let Some(c) = queue.pop_front() {
        if c == ".." {
            stack.pop().ok_or(MemberError::Outside)?;
            fd = open_dir_beneath(root_fd.as_fd(), &stack.iter().collect::<PathBuf>(), false)?;
            continue;
        }
        let st = stat_at(fd.as_fd(), &c)?.ok_or(MemberError::Missing)?;
        match file_type(&st) {
            FileType::Symlink => {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return Err(MemberError::Loop);
                }
                let target =
                    rustix::fs::readlinkat(&fd, &c, Vec::new()).map_err(io::Error::from)?;
                let mut expanded = VecDeque::new();
                push_components(
                    &mut expanded,
                    Path::new(OsStr::from_bytes(target.as_bytes())),
                )?;
                expanded.extend(queue);
                queue = expanded;
            }
            FileType::Directory if !queue.is_empty() => {
                fd = open_subdir(fd.as_fd(), &c, false)?;
                stack.push(c);
            }
            FileType::RegularFile if queue.is_empty() => {
                stack.push(c);
                return Ok(root.join(stack.iter().collect::<PathBuf>()));
            }
            FileType::RegularFile => return Err(MemberError::Missing),
            other => return Err(MemberError::NotRegular(kind_name(other))),
        }
    }
    Err(MemberError::NotRegular("directory"))
}

/// Appends `path`'s components to `queue` (`..` kept, `.` dropped); an absolute path leads
/// outside.
fn push_components(queue: &mut VecDeque<OsString>, path: &Path) -> Result<(), MemberError> {
    for c in path.components() {
        match c {
            Component::Normal(n) => queue.push_back(n.to_os_string()),
            Component::ParentDir => queue.push_back(OsString::from("..")),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return Err(MemberError::Outside),
        }
    }
    Ok(())
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

    fn root_fd(dir: &Path) -> OwnedFd {
        rustix::fs::openat(
            rustix::fs::CWD,
            dir,
            OFlags::PATH | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap()
    }

    /// `root/a/b`, `root/link -> a`, `root/abs -> <outside>`; the outside directory.
    fn tree() -> (tempfile::TempDir, tempfile::TempDir) {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("a/b")).unwrap();
        std::fs::create_dir(outside.path().join("b")).unwrap();
        std::os::unix::fs::symlink("a", root.path().join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("abs")).unwrap();
        (root, outside)
    }

    #[test]
    fn open_dir_beneath_follows_no_link_with_or_without_openat2() {
        let (root, _outside) = tree();
        let fd = root_fd(root.path());
        for readable in [false, true] {
            assert!(open_dir_beneath(fd.as_fd(), Path::new("a/b"), readable).is_ok());
            assert!(open_dir_beneath(fd.as_fd(), Path::new(""), readable).is_ok());
            for bad in ["link/b", "link", "abs/b", "abs", "a/missing"] {
                let got = open_dir_beneath(fd.as_fd(), Path::new(bad), readable);
                assert!(got.is_err(), "{bad} (readable: {readable})");
            }
            assert!(open_dir_beneath(fd.as_fd(), Path::new("a/../a"), readable).is_err());
            let walk = |p: &[&str], last: &str| {
                let parents: Vec<&OsStr> = p.iter().map(OsStr::new).collect();
                walk_dir_beneath(fd.as_fd(), &parents, OsStr::new(last), readable)
            };
            assert!(walk(&["a"], "b").is_ok());
            assert!(walk(&["link"], "b").is_err());
            assert!(walk(&[], "link").is_err());
            assert!(walk(&["abs"], "b").is_err());
            assert!(walk(&[], "abs").is_err());
        }
    }

    #[test]
    fn archive_members_are_regular_files_inside_the_root() {
        let (root, outside) = tree();
        let r = root.path();
        std::fs::write(r.join("a/b/file"), "x").unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let link = |name: &str, target: &str| {
            std::os::unix::fs::symlink(target, r.join(name)).unwrap();
        };
        link("dup", "a/b/file");
        link("a/up", "../a/b/file");
        link("out-rel", "../../../../../../../../etc/passwd");
        link(
            "out-abs",
            &outside.path().join("secret").display().to_string(),
        );
        link("zero", "/dev/zero");
        link("loop", "loop");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            r.join("fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let file = r.join("a/b/file");
        assert_eq!(
            regular_file_beneath(r, Path::new("a/b/file")).unwrap(),
            file
        );
        assert_eq!(regular_file_beneath(r, Path::new("dup")).unwrap(), file);
        assert_eq!(regular_file_beneath(r, Path::new("a/up")).unwrap(), file);
        assert_eq!(
            regular_file_beneath(r, Path::new("link/b/file")).unwrap(),
            file
        );
        for (name, want) in [
            ("out-rel", "is a symbolic link leading outside the archive"),
            ("out-abs", "is a symbolic link leading outside the archive"),
            ("zero", "is a symbolic link leading outside the archive"),
            (
                "abs/secret",
                "is a symbolic link leading outside the archive",
            ),
            ("loop", "goes through more than 40 symbolic links"),
            ("fifo", "is not a regular file but a FIFO"),
            ("a", "is not a regular file but a directory"),
            ("missing", "is missing"),
            ("a/b/file/x", "is missing"),
        ] {
            let got = regular_file_beneath(r, Path::new(name));
            assert_eq!(
                got.map_err(|e| e.to_string()),
                Err(want.to_string()),
                "{name}"
            );
        }
    }

    #[test]
    fn remove_at_removes_read_only_trees_and_never_follows_a_link() {
        let (root, outside) = tree();
        let r = root.path();
        std::fs::write(outside.path().join("b/keep"), "k").unwrap();
        std::fs::write(r.join("a/b/f"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path(), r.join("a/b/out")).unwrap();
        std::fs::set_permissions(r.join("a/b"), std::fs::Permissions::from_mode(0o500)).unwrap();
        let fd = root_fd(r);
        remove_at(fd.as_fd(), OsStr::new("a")).unwrap();
        remove_at(fd.as_fd(), OsStr::new("abs")).unwrap();
        remove_at(fd.as_fd(), OsStr::new("nothing")).unwrap();
        assert!(!r.join("a").exists());
        assert!(std::fs::symlink_metadata(r.join("abs")).is_err());
        assert!(outside.path().join("b/keep").exists());
    }
}
