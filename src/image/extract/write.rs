//! One entry written through its parent directory's handle: directories, links, files, xattrs.

use super::decompress::CHUNK;
use super::entry::{clean, Attrs};
use super::error::ExtractError;
use super::extractor::{is_dir, timestamps, Dir, DirRecord, Extractor};
use crate::fsutil;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Where xattrs go: an open file or directory, or a path whose last component is never
/// followed (a link, or a hard link's new name) and whose parents were resolved, link-free,
/// by the same entry.
pub(super) enum XattrTarget<'a> {
    Fd(BorrowedFd<'a>),
    Path(&'a Path),
}

/// Where an entry goes: `last` in `dir`, `rel` below the root, what is there now, and the
/// entry's name for errors.
#[derive(Clone, Copy)]
struct Place<'a> {
    dir: &'a Dir,
    last: &'a OsStr,
    rel: &'a Path,
    existing: Option<rustix::fs::Stat>,
    name: &'a str,
}

impl Extractor {
    /// Applies the entry named `name` (`last` in `dir`, `rel` below the root); `false` when
    /// there was nothing to do (a hard link to itself).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn apply_in<R: Read>(
        &mut self,
        dir: &Dir,
        last: &OsStr,
        rel: &Path,
        kind: tar::EntryType,
        attrs: Attrs,
        entry: &mut tar::Entry<'_, R>,
        name: &str,
    ) -> Result<bool, ExtractError> {
        let existing =
            fsutil::stat_at(dir.fd.as_fd(), last).map_err(|source| ExtractError::Write {
                entry: name.to_string(),
                source,
            })?;
        let at = &Place {
            dir,
            last,
            rel,
            existing,
            name,
        };
        match kind {
            tar::EntryType::Directory => self.write_dir(at, &attrs)?,
            tar::EntryType::Symlink => self.write_symlink(at, &attrs, entry)?,
            tar::EntryType::Link => return self.write_hardlink(at, &attrs, entry),
            _ => self.write_file(at, &attrs, entry)?,
        }
        Ok(true)
    }

    /// A directory: made (or kept) owner-writable until `finish`, its final mode and time
    /// recorded.
    fn write_dir(&mut self, at: &Place<'_>, attrs: &Attrs) -> Result<(), ExtractError> {
        let Place {
            dir,
            last,
            rel,
            existing,
            name,
        } = *at;
        let fail = ExtractError::write(name);
        let fd = dir.fd.as_fd();
        match existing {
            Some(st) if is_dir(&st) => {}
            Some(_) => {
                self.remove(dir, last, name)?;
                rustix::fs::mkdirat(fd, last, Mode::from_raw_mode(0o700))
                    .map_err(|e| fail(e.into()))?;
            }
            None => rustix::fs::mkdirat(fd, last, Mode::from_raw_mode(0o700))
                .map_err(|e| fail(e.into()))?,
        }
        let made = fsutil::open_subdir(fd, last, true).map_err(fail)?;
        // Owner-writable until `finish`, so later entries can land inside.
        rustix::fs::fchmod(&made, Mode::from_raw_mode(0o755 | attrs.mode))
            .map_err(|e| fail(e.into()))?;
        if self.chown {
            rustix::fs::fchown(&made, Some(uid(attrs.uid)), Some(gid(attrs.gid)))
                .map_err(|e| fail(e.into()))?;
        }
        set_xattrs(
            &mut self.xattr_warned,
            XattrTarget::Fd(made.as_fd()),
            &attrs.xattrs,
            name,
        )?;
        let st = rustix::fs::fstat(&made).map_err(|e| fail(e.into()))?;
        self.dirs.insert(
            rel.to_path_buf(),
            DirRecord {
                dev: st.st_dev,
                ino: st.st_ino,
                mode: attrs.mode,
                mtime: attrs.mtime,
            },
        );
        Ok(())
    }

    /// A symbolic link: made with `symlinkat`, owned and timed without following it.
    fn write_symlink<R: Read>(
        &mut self,
        at: &Place<'_>,
        attrs: &Attrs,
        entry: &tar::Entry<'_, R>,
    ) -> Result<(), ExtractError> {
        let Place {
            dir,
            last,
            rel,
            existing,
            name,
        } = *at;
        let fail = ExtractError::write(name);
        let fd = dir.fd.as_fd();
        let target = entry
            .link_name_bytes()
            .ok_or_else(|| fail(io::Error::other("symlink without a target")))?
            .into_owned();
        if existing.is_some() {
            self.remove(dir, last, name)?;
        }
        rustix::fs::symlinkat(OsStr::from_bytes(&target), fd, last).map_err(|e| fail(e.into()))?;
        if self.chown {
            rustix::fs::chownat(
                fd,
                last,
                Some(uid(attrs.uid)),
                Some(gid(attrs.gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| fail(e.into()))?;
        }
        self.set_xattrs_at(rel, attrs, name)?;
        rustix::fs::utimensat(
            fd,
            last,
            &timestamps(attrs.mtime),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(|e| fail(e.into()))?;
        Ok(())
    }

    /// A hard link to an entry already below the root (resolved link-free, never a directory);
    /// `false` when it links to itself.
    fn write_hardlink<R: Read>(
        &mut self,
        at: &Place<'_>,
        attrs: &Attrs,
        entry: &tar::Entry<'_, R>,
    ) -> Result<bool, ExtractError> {
        let Place {
            dir,
            last,
            rel,
            existing,
            name,
        } = *at;
        let fail = ExtractError::write(name);
        let fd = dir.fd.as_fd();
        let target = entry
            .link_name_bytes()
            .ok_or_else(|| fail(io::Error::other("hardlink without a target")))?
            .into_owned();
        let target_name = String::from_utf8_lossy(&target).into_owned();
        let tcomps = clean(&target, name)?;
        let Some((tlast, tparents)) = tcomps.split_last() else {
            return Err(ExtractError::Escape {
                entry: name.to_string(),
                why: "hardlink to the root".into(),
            });
        };
        let tdir = self.resolve(tparents, false, name)?.ok_or_else(|| {
            fail(io::Error::other(format!(
                "hardlink target `{target_name}` does not exist"
            )))
        })?;
        let tmeta = fsutil::stat_at(tdir.fd.as_fd(), tlast)
            .and_then(|st| st.ok_or_else(|| io::Error::from(Errno::NOENT)))
            .map_err(|e| {
                fail(io::Error::other(format!(
                    "hardlink target `{target_name}`: {e}"
                )))
            })?;
        if is_dir(&tmeta) {
            return Err(fail(io::Error::other(format!(
                "hardlink target `{target_name}` is a directory"
            ))));
        }
        if tdir.rel.join(tlast) == rel {
            return Ok(false);
        }
        if existing.is_some() {
            self.remove(dir, last, name)?;
        }
        rustix::fs::linkat(&tdir.fd, tlast, fd, last, AtFlags::empty())
            .map_err(|e| fail(e.into()))?;
        self.set_xattrs_at(rel, attrs, name)?;
        Ok(true)
    }

    /// A regular file (and anything else with data): created `O_EXCL | O_NOFOLLOW`, never
    /// written through a link.
    fn write_file<R: Read>(
        &mut self,
        at: &Place<'_>,
        attrs: &Attrs,
        entry: &mut tar::Entry<'_, R>,
    ) -> Result<(), ExtractError> {
        let Place {
            dir,
            last,
            existing,
            name,
            ..
        } = *at;
        let fail = ExtractError::write(name);
        let fd = dir.fd.as_fd();
        if existing.is_some() {
            self.remove(dir, last, name)?;
        }
        let created = rustix::fs::openat(
            fd,
            last,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| fail(e.into()))?;
        let mut file = std::fs::File::from(created);
        copy_chunks(entry, &mut file).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => ExtractError::Read(e),
            _ => fail(e),
        })?;
        if self.chown {
            rustix::fs::fchown(&file, Some(uid(attrs.uid)), Some(gid(attrs.gid)))
                .map_err(|e| fail(e.into()))?;
        }
        rustix::fs::fchmod(&file, Mode::from_raw_mode(attrs.mode)).map_err(|e| fail(e.into()))?;
        // After the chown, which would clear a file capability.
        set_xattrs(
            &mut self.xattr_warned,
            XattrTarget::Fd(file.as_fd()),
            &attrs.xattrs,
            name,
        )?;
        rustix::fs::futimens(&file, &timestamps(attrs.mtime.max(0))).map_err(|e| fail(e.into()))?;
        Ok(())
    }

    /// The layer's own `./` entry: the root's mode (owner-writable until `finish`), owner and
    /// xattrs, its final mode and time recorded.
    pub(super) fn apply_root(&mut self, attrs: &Attrs, name: &str) -> Result<(), ExtractError> {
        let fail = |e: Errno| ExtractError::Write {
            entry: name.to_string(),
            source: e.into(),
        };
        let root = self.root_fd()?;
        rustix::fs::fchmod(root, Mode::from_raw_mode(0o755 | attrs.mode)).map_err(fail)?;
        if self.chown {
            rustix::fs::fchown(root, Some(uid(attrs.uid)), Some(gid(attrs.gid))).map_err(fail)?;
        }
        let st = rustix::fs::fstat(root).map_err(fail)?;
        if let Ok(root) = &self.root_fd {
            set_xattrs(
                &mut self.xattr_warned,
                XattrTarget::Fd(root.as_fd()),
                &attrs.xattrs,
                name,
            )?;
        }
        self.dirs.insert(
            PathBuf::new(),
            DirRecord {
                dev: st.st_dev,
                ino: st.st_ino,
                mode: attrs.mode,
                mtime: attrs.mtime,
            },
        );
        Ok(())
    }

    /// [`set_xattrs`] on the link (symbolic or hard) `rel` below the root, named by its path
    /// (no handle is open on it).
    pub(super) fn set_xattrs_at(
        &mut self,
        rel: &Path,
        attrs: &Attrs,
        name: &str,
    ) -> Result<(), ExtractError> {
        let path = self.root.join(rel);
        set_xattrs(
            &mut self.xattr_warned,
            XattrTarget::Path(&path),
            &attrs.xattrs,
            name,
        )
    }
}

/// Writes kept xattrs. A filesystem without xattr support, or a user not allowed to set
/// one (`security.capability` needs root), costs a warning per name, not the get.
pub(super) fn set_xattrs(
    warned: &mut HashSet<String>,
    target: XattrTarget<'_>,
    xattrs: &[(String, Vec<u8>)],
    entry: &str,
) -> Result<(), ExtractError> {
    for (name, value) in xattrs {
        let flags = rustix::fs::XattrFlags::empty();
        let result = match target {
            XattrTarget::Fd(f) => rustix::fs::fsetxattr(f, name.as_str(), value, flags),
            XattrTarget::Path(p) => rustix::fs::lsetxattr(p, name.as_str(), value, flags),
        };
        match result {
            Ok(()) => {}
            Err(e @ (Errno::NOTSUP | Errno::PERM | Errno::ACCESS)) => {
                if warned.insert(name.clone()) {
                    crate::log::warn(format_args!(
                        "xattr {name} not applied (first on `{entry}`): {}",
                        io::Error::from(e)
                    ));
                }
            }
            Err(e) => {
                return Err(ExtractError::Xattr {
                    entry: entry.to_string(),
                    name: name.clone(),
                    source: io::Error::from(e),
                })
            }
        }
    }
    Ok(())
}

pub(super) fn uid(raw: u32) -> rustix::fs::Uid {
    rustix::fs::Uid::from_raw(raw)
}

pub(super) fn gid(raw: u32) -> rustix::fs::Gid {
    rustix::fs::Gid::from_raw(raw)
}

/// Copies in full `CHUNK`-sized writes (whole pages: the kernel need not zero partial ones).
pub(super) fn copy_chunks(mut from: impl Read, to: &mut std::fs::File) -> io::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0;
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            match from.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            return Ok(total);
        }
        to.write_all(&buf[..filled])?;
        total += filled as u64;
        if filled < buf.len() {
            return Ok(total);
        }
    }
}
