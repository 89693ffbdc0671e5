//! The tree below the root: parents resolved link by link through handles, entries removed.

use super::error::ExtractError;
use super::extractor::{is_dir, Dir, Extractor};
use crate::fsutil;
use rustix::fd::AsFd;
use rustix::fs::{FileType, Mode};
use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

pub(super) const MAX_SYMLINK_HOPS: usize = fsutil::MAX_LINK_HOPS;

impl Extractor {
    /// An opaque whiteout: everything in `dir` that this layer did not create goes.
    pub(super) fn clear_opaque(
        &mut self,
        dir: &Dir,
        created: &HashSet<PathBuf>,
        name: &str,
    ) -> Result<(), ExtractError> {
        let children = fsutil::list_dir(dir.fd.as_fd()).map_err(|source| ExtractError::Write {
            entry: name.to_string(),
            source,
        })?;
        for child in children {
            if !created.contains(&dir.rel.join(&child)) {
                self.remove(dir, &child, name)?;
            }
        }
        Ok(())
    }

    /// Removes `child` of `dir` (whatever it is, never through a link), with every record and
    /// resolution that may have gone through it.
    pub(super) fn remove(
        &mut self,
        dir: &Dir,
        child: &OsStr,
        name: &str,
    ) -> Result<(), ExtractError> {
        let fail = ExtractError::write(name);
        // No resolution goes through a file; one may go through a directory or a link.
        match fsutil::stat_at(dir.fd.as_fd(), child).map_err(fail)? {
            Some(st) if fsutil::file_type(&st) == FileType::RegularFile => {}
            Some(_) => self.forget_resolved(),
            None => return Ok(()),
        }
        let gone = dir.rel.join(child);
        let under: Vec<PathBuf> = self
            .dirs
            .range(gone.clone()..)
            .take_while(|(p, _)| p.starts_with(&gone))
            .map(|(p, _)| p.clone())
            .collect();
        for p in under {
            self.dirs.remove(&p);
        }
        fsutil::remove_at(dir.fd.as_fd(), child).map_err(fail)
    }

    /// Forgets every resolved parent (something was removed or linked).
    pub(super) fn forget_resolved(&mut self) {
        self.dir_cache.clear();
        self.last_dir = None;
        self.generation += 1;
    }

    /// The parent directory of an entry whose parent components are `parents` (`key` joined):
    /// the last one again, a cached resolution reopened link-free, or resolved afresh.
    pub(super) fn parent(
        &mut self,
        key: &Path,
        parents: &[OsString],
        name: &str,
    ) -> Result<Dir, ExtractError> {
        if let Some((k, dir)) = self.last_dir.take() {
            if k == key {
                return Ok(dir);
            }
        }
        if let Some(rel) = self.dir_cache.get(key) {
            if let Ok(fd) = fsutil::open_dir_beneath(self.root_fd()?, rel, false) {
                return Ok(Dir {
                    rel: rel.clone(),
                    fd,
                });
            }
        }
        let dir = self.resolve_dir(parents, true, name)?;
        self.dir_cache.insert(key.to_path_buf(), dir.rel.clone());
        Ok(dir)
    }

    /// A path below the root longer than the kernel would take as one path is refused (it
    /// bounds the depth of the tree).
    pub(super) fn check_length(&self, rel: &Path, name: &str) -> Result<(), ExtractError> {
        if self.root.as_os_str().len() + 1 + rel.as_os_str().len() >= fsutil::MAX_PATH {
            return Err(too_long(name));
        }
        Ok(())
    }

    /// The real directory `comps` names inside the root, following symlinks the way a container
    /// sees them (absolute targets start at the root); missing directories are created when
    /// `create`. Resolution that would leave the root is an error.
    pub(super) fn resolve_dir(
        &self,
        comps: &[OsString],
        create: bool,
        entry: &str,
    ) -> Result<Dir, ExtractError> {
        self.resolve(comps, create, entry)?
            .ok_or_else(|| ExtractError::Tree {
                entry: entry.to_string(),
                detail: "parent directory missing".into(),
            })
    }

    /// Walks `comps` from the root one name at a time, each step a `*at` call on the handle of
    /// the directory reached so far: a link is read (`readlinkat`) and its target walked
    /// instead, from the root when absolute, at most [`MAX_SYMLINK_HOPS`]; `..` never climbs
    /// above the root. `None` when a directory is missing and not `create`.
    pub(super) fn resolve(
        &self,
        comps: &[OsString],
        create: bool,
        entry: &str,
    ) -> Result<Option<Dir>, ExtractError> {
        let escape = |why: String| ExtractError::Escape {
            entry: entry.to_string(),
            why,
        };
        let fail = ExtractError::write(entry);
        let root = self.root_fd()?;
        let reopen = |stack: &[OsString]| {
            fsutil::open_dir_beneath(root, &stack.iter().collect::<PathBuf>(), false).map_err(fail)
        };
        let mut stack: Vec<OsString> = Vec::new();
        let mut fd = reopen(&stack)?;
        let mut queue: VecDeque<OsString> = comps.iter().cloned().collect();
        let mut hops = 0;
        let mut length = self.root.as_os_str().len();
        while let Some(c) = queue.pop_front() {
            if c == ".." {
                match stack.pop() {
                    Some(up) => length -= up.len() + 1,
                    None => return Err(escape("a symlink leads above the root".into())),
                }
                fd = reopen(&stack)?;
                continue;
            }
            if c == "." || c.is_empty() {
                continue;
            }
            match fsutil::stat_at(fd.as_fd(), &c).map_err(fail)? {
                Some(st) if fsutil::file_type(&st) == FileType::Symlink => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(escape("too many symlinks".into()));
                    }
                    let target =
                        rustix::fs::readlinkat(&fd, &c, Vec::new()).map_err(|e| fail(e.into()))?;
                    let target = Path::new(OsStr::from_bytes(target.as_bytes()));
                    if target.is_absolute() {
                        stack.clear();
                        length = self.root.as_os_str().len();
                        fd = reopen(&stack)?;
                    }
                    let mut expanded = link_components(target);
                    expanded.extend(queue);
                    queue = expanded;
                    continue;
                }
                Some(st) if is_dir(&st) => {}
                Some(_) => {
                    let mut here = self.root.clone();
                    here.extend(&stack);
                    here.push(&c);
                    return Err(ExtractError::Tree {
                        entry: entry.to_string(),
                        detail: format!("`{}` is not a directory", here.display()),
                    });
                }
                None if !create => return Ok(None),
                None => rustix::fs::mkdirat(&fd, &c, Mode::from_raw_mode(0o755))
                    .map_err(|e| fail(e.into()))?,
            }
            length += c.len() + 1;
            if length >= fsutil::MAX_PATH {
                return Err(too_long(entry));
            }
            fd = fsutil::open_subdir(fd.as_fd(), &c, false).map_err(fail)?;
            stack.push(c);
        }
        Ok(Some(Dir {
            rel: stack.iter().collect(),
            fd,
        }))
    }
}

/// The names a link's target walks: its normal components and `..` (a leading `/` is the
/// caller's to honour).
fn link_components(target: &Path) -> VecDeque<OsString> {
    target
        .components()
        .filter_map(|tc| match tc {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// The refusal of a path below the root longer than the kernel takes as one path.
fn too_long(entry: &str) -> ExtractError {
    ExtractError::Tree {
        entry: entry.to_string(),
        detail: format!("its path is longer than {} bytes", fsutil::MAX_PATH),
    }
}
