//! Resolution beneath a root that never follows a link out of it: directories opened without links, `*at` listing and removal, and archive members read only inside their archive.

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

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
    use std::os::unix::fs::PermissionsExt;

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
