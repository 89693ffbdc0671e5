//! Applying a layer: each tar entry read and dispatched, then directory modes set at the end.

use super::entry::{EntryHead, OPAQUE, WHITEOUT};
use super::error::{ExtractError, LayerStats};
use super::extractor::{timestamps, Extractor};
use crate::fsutil;
use rustix::fs::Mode;
use rustix::io::Errno;
use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

impl Extractor {
    /// Applies one uncompressed tar stream, then reads it to its end (so its digest is checked).
    pub(crate) fn apply(&mut self, tar_stream: &mut dyn Read) -> Result<LayerStats, ExtractError> {
        self.root_fd()?;
        let mut stats = LayerStats::default();
        let mut created: HashSet<PathBuf> = HashSet::new();
        {
            let mut archive = tar::Archive::new(&mut *tar_stream);
            let entries = archive.entries().map_err(ExtractError::Read)?;
            for entry in entries {
                let mut entry = entry.map_err(ExtractError::Read)?;
                if self.apply_entry(&mut entry, &mut created, &mut stats)? {
                    stats.entries += 1;
                }
            }
        }
        io::copy(tar_stream, &mut io::sink()).map_err(ExtractError::Read)?;
        Ok(stats)
    }

    /// Applies directory modes and times, deepest first. Call once after the last layer.
    ///
    /// Each recorded directory is reopened below the root without following any link; one
    /// that is gone, or whose path now crosses a link, or that is another directory than the
    /// one recorded (same device and inode), was replaced by a later entry: it is no longer
    /// part of the tree the layers describe, and is skipped.
    pub(crate) fn finish(self) -> Result<(), ExtractError> {
        if self.dirs.is_empty() {
            return Ok(());
        }
        let root = self.root_fd()?;
        let mut dirs: Vec<_> = self.dirs.iter().collect();
        dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
        let mut stale = 0usize;
        for (rel, rec) in dirs {
            let fail = |source: io::Error| ExtractError::Write {
                entry: rel.display().to_string(),
                source,
            };
            let fd = match fsutil::open_dir_beneath(root, rel, true) {
                Ok(fd) => fd,
                Err(e)
                    if [Errno::LOOP, Errno::NOTDIR, Errno::NOENT, Errno::XDEV]
                        .iter()
                        .any(|n| e.raw_os_error() == Some(n.raw_os_error())) =>
                {
                    stale += 1;
                    continue;
                }
                Err(e) => return Err(fail(e)),
            };
            let st = rustix::fs::fstat(&fd).map_err(|e| fail(e.into()))?;
            if (st.st_dev, st.st_ino) != (rec.dev, rec.ino) {
                stale += 1;
                continue;
            }
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(rec.mode)).map_err(|e| fail(e.into()))?;
            rustix::fs::futimens(&fd, &timestamps(rec.mtime)).map_err(|e| fail(e.into()))?;
        }
        if stale > 0 {
            crate::log::debug(|| {
                format!("{stale} directories replaced by later entries: their modes not applied")
            });
        }
        Ok(())
    }

    /// Applies one entry; `false` when it was skipped (a device, a FIFO, a root entry that
    /// does not apply, a hard link to itself).
    pub(super) fn apply_entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        created: &mut HashSet<PathBuf>,
        stats: &mut LayerStats,
    ) -> Result<bool, ExtractError> {
        let EntryHead {
            name,
            comps,
            kind,
            attrs,
        } = EntryHead::read(entry, self.image)?;
        let Some((last, parents)) = comps.split_last() else {
            // "." or "./": the root itself. An image layer's own root entry sets the root's
            // mode, owner, mtime and xattrs, as the reference unpacker does.
            if !self.image || kind != tar::EntryType::Directory {
                return Ok(false);
            }
            self.apply_root(&attrs, &name)?;
            return Ok(true);
        };
        let last_str = last.to_string_lossy();
        // Resolved parents stay valid while only files and new directories appear; anything
        // that removes or links may change what a path resolves to.
        let plain = matches!(
            kind,
            tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::GNUSparse
                | tar::EntryType::Directory
        ) && !last_str.starts_with(WHITEOUT);
        if !plain {
            self.forget_resolved();
        }

        if self.apply_whiteout(last, parents, created, &name)? {
            return Ok(true);
        }
        if matches!(
            kind,
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo
        ) {
            stats.skipped += 1;
            crate::log::debug(|| format!("skipping device or FIFO {name}"));
            return Ok(false);
        }

        let key: PathBuf = parents.iter().collect();
        let dir = self.parent(&key, parents, &name)?;
        let generation = self.generation;
        let rel = dir.rel.join(last);
        self.check_length(&rel, &name)?;
        let applied = self.apply_in(&dir, last, &rel, kind, attrs, entry, &name);
        if self.generation == generation {
            self.last_dir = Some((key, dir));
        }
        if applied? {
            created.insert(rel);
        }
        Ok(true)
    }

    /// An opaque whiteout (everything this layer did not create in the directory goes) or a
    /// plain one (the named sibling goes); `false` when `last` names neither.
    fn apply_whiteout(
        &mut self,
        last: &OsStr,
        parents: &[OsString],
        created: &HashSet<PathBuf>,
        name: &str,
    ) -> Result<bool, ExtractError> {
        let last_str = last.to_string_lossy();
        if last_str == OPAQUE {
            let dir = self.resolve_dir(parents, true, name)?;
            self.clear_opaque(&dir, created, name)?;
            return Ok(true);
        }
        if let Some(hidden) = last_str.strip_prefix(WHITEOUT) {
            if hidden.is_empty() || hidden == "." || hidden == ".." {
                return Err(ExtractError::Escape {
                    entry: name.to_string(),
                    why: "invalid whiteout".into(),
                });
            }
            if let Some(dir) = self.resolve(parents, false, name)? {
                let hidden = OsStr::from_bytes(&last.as_bytes()[WHITEOUT.len()..]);
                self.remove(&dir, hidden, name)?;
            }
            return Ok(true);
        }
        Ok(false)
    }
}
