//! One layer cut down to what the database walk reads: the database files, the `status.d`
//! entries, the image's own package configuration (`config`), and whatever could hide them
//! (whiteouts, opaque markers, non-directories on their paths). The result is a small tar the walk reads as it reads a layer, and what is kept per
//! layer digest: layers are immutable, so a layer is downloaded once.
//!
//! The whole layer is read (its digest is checked at its end by the caller's reader); the
//! database files are copied with their bounds ([`super::MAX_DATABASE`],
//! [`super::MAX_STATUS_D_FILE`], [`super::MAX_STATUS_D_FILES`] per layer; configuration files
//! [`config::MAX_FILE`] each), every other kept entry
//! as a header with no data. Memory: one tar header and a 64 KiB copy buffer; the output goes
//! to the writer given.

use super::layers::{each_entry, Event, APK, STATUS, STATUS_D};
use super::{config, InstalledError, MAX_DATABASE, MAX_STATUS_D_FILE, MAX_STATUS_D_FILES};
use std::io::{self, Read, Write};

/// Most files one reduced layer keeps with their data (`status`, `installed`, `status.d`,
/// configuration).
const MAX_KEPT_FILES: usize = MAX_STATUS_D_FILES + config::MAX_FILES + 2;

/// What a reduced layer keeps of one entry.
#[derive(Debug, PartialEq, Eq)]
enum Keep {
    /// Nothing.
    Drop,
    /// Its header only (type, name, link target), no data.
    Header,
    /// Its header and data, at most this many bytes.
    Data(u64),
}

/// Whether `p` is `target` or one of its parents.
fn on_path(p: &[&str], target: &[&str]) -> bool {
    !p.is_empty() && target.starts_with(p)
}

/// A `status.d/<name>` entry.
fn in_status_d(p: &[&str]) -> bool {
    p.len() == STATUS_D.len() + 1 && p.starts_with(&STATUS_D)
}

fn keep(event: &Event<'_>, regular: bool) -> Keep {
    let targets = [&STATUS[..], &APK[..], &STATUS_D[..]];
    match event {
        Event::Whiteout(p) if targets.iter().any(|t| on_path(p, t)) || in_status_d(p) => {
            Keep::Header
        }
        // The root's own opaque marker (`d` empty) hides everything below too.
        Event::Opaque(d) if targets.iter().any(|t| t.starts_with(d)) => Keep::Header,
        Event::Entry(p, _) if regular && (p[..] == STATUS || p[..] == APK) => {
            Keep::Data(MAX_DATABASE)
        }
        Event::Entry(p, _) if regular && in_status_d(p) => Keep::Data(MAX_STATUS_D_FILE),
        Event::Entry(p, _) if in_status_d(p) => Keep::Header,
        Event::Entry(p, is_dir) if targets.iter().any(|t| on_path(p, t)) => {
            // A directory on the way is what the walk expects; anything else there hides or
            // is refused, and the walk must see it.
            let exact = targets.iter().any(|t| p[..] == t[..]);
            if *is_dir && !exact {
                Keep::Drop
            } else {
                Keep::Header
            }
        }
        _ => keep_config(event, regular),
    }
}

/// What is kept for the image's own package configuration ([`config::FILES`],
/// [`config::DIRS`]).
fn keep_config(event: &Event<'_>, regular: bool) -> Keep {
    match event {
        Event::Whiteout(p) if config::on_config_path(p) || config::is_config_file(p) => {
            Keep::Header
        }
        Event::Opaque(d) if config::above_config(d) => Keep::Header,
        Event::Entry(p, _) if config::is_config_file(p) => {
            if regular {
                Keep::Data(config::MAX_FILE)
            } else {
                Keep::Header
            }
        }
        Event::Entry(p, false) if config::on_config_path(p) => Keep::Header,
        _ => Keep::Drop,
    }
}

/// Reads the tar stream `layer` (already decompressed) to its end and writes the entries the
/// walk needs to `out` as a tar. `index` names the layer in errors.
pub(crate) fn reduce<W: Write>(
    index: usize,
    layer: impl Read,
    out: W,
) -> Result<W, InstalledError> {
    let tar_error = |source| InstalledError::Tar {
        layer: index,
        source,
    };
    let mut builder = tar::Builder::new(out);
    let mut files = 0usize;
    each_entry(index, layer, |comps, event, kind, entry| {
        let regular = matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous);
        let kept = keep(&event, regular);
        if kept == Keep::Drop {
            return Ok(false);
        }
        if matches!(kept, Keep::Data(_)) {
            files += 1;
            if files > MAX_KEPT_FILES {
                return Err(InstalledError::TooMany {
                    layer: index,
                    path: "the package database and configuration",
                    what: "files",
                    limit: MAX_KEPT_FILES,
                });
            }
        }
        let path = comps.join("/");
        check_size(index, &path, entry.size(), &kept)?;
        copy_entry(&mut builder, entry, &path, kind, &kept).map_err(tar_error)?;
        Ok(false)
    })?;
    builder.into_inner().map_err(tar_error)
}

/// Refuses a kept file over its bound.
fn check_size(index: usize, path: &str, size: u64, kept: &Keep) -> Result<(), InstalledError> {
    match kept {
        Keep::Data(limit) if size > *limit => Err(InstalledError::TooLarge {
            layer: index,
            path: format!("/{path}"),
            size,
            limit: *limit,
        }),
        _ => Ok(()),
    }
}

/// Appends the kept part of `entry` to the reduced tar.
fn copy_entry<R: Read, W: Write>(
    builder: &mut tar::Builder<W>,
    entry: &mut tar::Entry<'_, R>,
    path: &str,
    kind: tar::EntryType,
    kept: &Keep,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_mtime(0);
    match kept {
        Keep::Data(_) => {
            header.set_size(entry.size());
            builder.append_data(&mut header, path, entry)
        }
        _ if matches!(kind, tar::EntryType::Symlink | tar::EntryType::Link) => {
            header.set_size(0);
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "-".to_string());
            builder.append_link(&mut header, path, target)
        }
        _ => {
            header.set_size(0);
            builder.append_data(&mut header, path, io::empty())
        }
    }
}
