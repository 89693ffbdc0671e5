//! The image's own package configuration, read from its layers as the image sees it: apt's
//! sources and keyrings, apk's repositories and keys (for `updates` without repositories).
//!
//! Kept from each layer (see `reduce`): the files of [`FILES`], the direct children of
//! [`DIRS`], and whatever hides them. Top-down, the top-most copy of a path wins; a whiteout
//! of the path or a parent, an opaque marker in a parent or a non-directory on the way hides
//! the lower copies. A symbolic link at a configuration path is read as the configuration file
//! it points to (Ubuntu's `trusted.gpg.d/*.gpg` point into `/usr/share/keyrings`), never as
//! anything outside them; other non-files are skipped.
//! Bounds: [`MAX_FILE`] bytes a file, [`MAX_FILES`] files, [`MAX_TOTAL`] bytes together.

use super::layers::{each_entry, Event};
use super::InstalledError;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Configuration files read where they are.
pub(crate) const FILES: &[&[&str]] = &[
    &["etc", "apt", "sources.list"],
    &["etc", "apt", "trusted.gpg"],
    &["etc", "apk", "repositories"],
];
/// Directories whose direct children are read.
pub(crate) const DIRS: &[&[&str]] = &[
    &["etc", "apt", "sources.list.d"],
    &["etc", "apt", "trusted.gpg.d"],
    &["etc", "apt", "keyrings"],
    &["usr", "share", "keyrings"],
    &["etc", "apk", "keys"],
];
/// Largest configuration file read.
pub(crate) const MAX_FILE: u64 = 1024 * 1024;
/// Most configuration files read (all layers together).
pub(crate) const MAX_FILES: usize = 512;
/// Most bytes of configuration read (all files together).
pub(crate) const MAX_TOTAL: u64 = 16 * 1024 * 1024;

/// `p` is one of [`FILES`] or a direct child of one of [`DIRS`].
pub(crate) fn is_config_file(p: &[&str]) -> bool {
    FILES.contains(&p)
        || DIRS
            .iter()
            .any(|d| p.len() == d.len() + 1 && p.starts_with(d))
}

/// `p` is a parent of (or is) a configuration file or directory: a non-directory there hides
/// them.
pub(crate) fn on_config_path(p: &[&str]) -> bool {
    !p.is_empty() && FILES.iter().chain(DIRS).any(|t| t.starts_with(p))
}

/// An opaque marker in `d` hides configuration below it.
pub(crate) fn above_config(d: &[&str]) -> bool {
    FILES.iter().chain(DIRS).any(|t| t.starts_with(d))
}

/// What hides lower copies of paths: whiteouts and non-directories hide the path and all
/// below it; opaque markers what is below the directory.
#[derive(Default)]
struct Hidden {
    below_or_at: Vec<Vec<String>>,
    below: Vec<Vec<String>>,
}

impl Hidden {
    fn hides(&self, p: &[&str]) -> bool {
        let starts = |h: &Vec<String>| h.len() <= p.len() && h.iter().zip(p).all(|(a, b)| a == b);
        self.below_or_at.iter().any(starts)
            || self.below.iter().any(|h| h.len() < p.len() && starts(h))
    }
}

/// The configuration files of the image, from its reduced layers top-most first: path
/// (`/etc/apt/sources.list`) → contents; and the paths skipped (links, other non-files).
pub(crate) fn read_config<'a, I>(layers: I) -> Result<Config, InstalledError>
where
    I: IntoIterator<Item = Result<Box<dyn Read + 'a>, InstalledError>>,
{
    let mut hidden = Hidden::default();
    let mut config = Config::default();
    let mut decided: BTreeSet<String> = BTreeSet::new();
    for (index, layer) in layers.into_iter().enumerate() {
        let stream =
            crate::image::extract::decompress(layer?).map_err(|source| InstalledError::Tar {
                layer: index,
                source,
            })?;
        let mut seals = Hidden::default();
        each_entry(index, stream, |_, event, kind, entry| {
            match event {
                Event::Whiteout(p) => seals.below_or_at.push(owned(&p)),
                Event::Opaque(d) => seals.below.push(owned(&d)),
                Event::Entry(p, is_dir) => {
                    if !is_dir {
                        seals.below_or_at.push(owned(&p));
                    }
                    let path = format!("/{}", p.join("/"));
                    if is_config_file(&p) && !hidden.hides(&p) && decided.insert(path.clone()) {
                        config.file(index, path, kind, entry)?;
                    }
                }
            }
            Ok(false)
        })?;
        hidden.below_or_at.extend(seals.below_or_at);
        hidden.below.extend(seals.below);
    }
    config.resolve_links();
    Ok(config)
}

fn owned(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| s.to_string()).collect()
}

/// The configuration files found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Config {
    /// Path → contents.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Configuration paths that are links to nothing read, or other non-files.
    pub skipped: Vec<String>,
    /// Symbolic links at configuration paths → their targets, until resolved.
    links: BTreeMap<String, String>,
    bytes: u64,
}

/// Most links followed from one configuration path.
const MAX_HOPS: usize = 8;

/// `target` of a link at `link` as an absolute path (`..` and `.` applied; never above `/`).
fn link_target(link: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = link.split('/').filter(|c| !c.is_empty()).collect();
        p.pop();
        p
    };
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

impl Config {
    /// Reads each link as the configuration file it leads to (through at most [`MAX_HOPS`]
    /// links); one leading elsewhere is skipped.
    fn resolve_links(&mut self) {
        let links = std::mem::take(&mut self.links);
        for (path, first) in &links {
            let mut at = link_target(path, first);
            let mut hops = 1;
            while let Some(next) = links.get(&at).filter(|_| hops < MAX_HOPS) {
                at = link_target(&at, next);
                hops += 1;
            }
            match self.files.get(&at).cloned() {
                Some(bytes) if self.bytes + bytes.len() as u64 <= MAX_TOTAL => {
                    self.bytes += bytes.len() as u64;
                    self.files.insert(path.clone(), bytes);
                }
                _ => self.skipped.push(path.clone()),
            }
        }
    }

    fn file<R: Read>(
        &mut self,
        index: usize,
        path: String,
        kind: tar::EntryType,
        entry: &mut tar::Entry<'_, R>,
    ) -> Result<(), InstalledError> {
        if kind == tar::EntryType::Symlink {
            if let Some(target) = entry.link_name_bytes() {
                let target = String::from_utf8_lossy(&target).into_owned();
                self.links.insert(path, target);
                return Ok(());
            }
        }
        if !matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) {
            if !kind.is_dir() {
                self.skipped.push(path);
            }
            return Ok(());
        }
        let size = entry.size();
        let too_large = |size, limit| InstalledError::TooLarge {
            layer: index,
            path: path.clone(),
            size,
            limit,
        };
        if size > MAX_FILE {
            return Err(too_large(size, MAX_FILE));
        }
        if self.bytes + size > MAX_TOTAL {
            return Err(too_large(self.bytes + size, MAX_TOTAL));
        }
        if self.files.len() >= MAX_FILES {
            return Err(InstalledError::TooMany {
                layer: index,
                path: "the image's package configuration",
                what: "files",
                limit: MAX_FILES,
            });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry
            .take(MAX_FILE)
            .read_to_end(&mut bytes)
            .map_err(|source| InstalledError::Tar {
                layer: index,
                source,
            })?;
        self.bytes += bytes.len() as u64;
        self.files.insert(path, bytes);
        Ok(())
    }
}
