//! The walk over an image's layers, top-down: which tar entries are database files, which hide
//! lower layers' copies, and when the answer can no longer change.

use super::{
    apk, dpkg, Format, Found, Installed, InstalledError, InstalledPackage, ReadError, MAX_DATABASE,
    MAX_PACKAGES, MAX_STATUS_D_FILE, MAX_STATUS_D_FILES,
};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufReader, Read};

pub(super) const STATUS: [&str; 4] = ["var", "lib", "dpkg", "status"];
pub(super) const STATUS_D: [&str; 4] = ["var", "lib", "dpkg", "status.d"];
pub(super) const APK: [&str; 4] = ["lib", "apk", "db", "installed"];
const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";

/// What a tar entry means to the walk.
pub(super) enum Event<'p> {
    /// `dir/.wh.name`: `dir/name` removed (the components of `dir/name`).
    Whiteout(Vec<&'p str>),
    /// `dir/.wh..wh..opq`: the lower layers' children of `dir` hidden.
    Opaque(Vec<&'p str>),
    /// Anything else, and whether it is a directory.
    Entry(Vec<&'p str>, bool),
}

/// An entry name's components (`./`, `/` and empty parts dropped); `None` for names that are
/// not UTF-8 or climb with `..` (neither can name a database path).
fn components(raw: &[u8]) -> Option<Vec<&str>> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut out = Vec::new();
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fn classify(comps: Vec<&str>, is_dir: bool) -> Event<'_> {
    let Some((last, dir)) = comps.split_last() else {
        return Event::Entry(comps, is_dir);
    };
    if *last == OPAQUE {
        return Event::Opaque(dir.to_vec());
    }
    match last.strip_prefix(WHITEOUT) {
        Some(name) => {
            let mut path = dir.to_vec();
            path.push(name);
            Event::Whiteout(path)
        }
        None => Event::Entry(comps, is_dir),
    }
}

/// Calls `f` with each entry of the tar stream `stream` (layer `index`) whose name can name a
/// path (UTF-8, no `..`): its components, what it means, its type and the entry to read; until
/// `f` says stop (`true`).
pub(super) fn each_entry<R: Read>(
    index: usize,
    stream: R,
    mut f: impl FnMut(
        &[&str],
        Event<'_>,
        tar::EntryType,
        &mut tar::Entry<'_, R>,
    ) -> Result<bool, InstalledError>,
) -> Result<(), InstalledError> {
    let tar_error = |source| InstalledError::Tar {
        layer: index,
        source,
    };
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries().map_err(tar_error)? {
        let mut entry = entry.map_err(tar_error)?;
        let name = entry.path_bytes().into_owned();
        let Some(comps) = components(&name) else {
            continue;
        };
        let kind = entry.header().entry_type();
        let event = classify(comps.clone(), kind.is_dir());
        if f(&comps, event, kind, &mut entry)? {
            break;
        }
    }
    Ok(())
}

/// Whether `event` in a layer hides the lower layers' copies of `target`: a whiteout of it or
/// of a parent, an opaque marker in a parent, a non-directory at it or at a parent.
fn hides(event: &Event<'_>, target: &[&str]) -> bool {
    match event {
        Event::Whiteout(p) => !p.is_empty() && target.starts_with(p),
        Event::Opaque(d) => d.len() < target.len() && target.starts_with(d),
        Event::Entry(p, is_dir) => !is_dir && !p.is_empty() && target.starts_with(p),
    }
}

/// What one layer hides from the layers below it (applied once the layer is read: a whiteout
/// never hides an entry of its own layer).
#[derive(Default)]
struct Seals {
    status: bool,
    apk: bool,
    status_d: bool,
    names: Vec<String>,
}

impl Seals {
    fn note(&mut self, event: &Event<'_>) {
        self.status |= hides(event, &STATUS);
        self.apk |= hides(event, &APK);
        self.status_d |=
            hides(event, &STATUS_D) || matches!(event, Event::Opaque(d) if d[..] == STATUS_D);
        let name = match event {
            Event::Whiteout(p) | Event::Entry(p, true) => status_d_name(p),
            _ => None,
        };
        self.names.extend(name.map(str::to_string));
    }
}

/// `name` when `path` is `var/lib/dpkg/status.d/<name>`.
fn status_d_name<'p>(path: &[&'p str]) -> Option<&'p str> {
    match path.split_last() {
        Some((name, dir)) if dir == STATUS_D => Some(name),
        _ => None,
    }
}

/// One gathered `status.d` file.
struct StatusD {
    layer: usize,
    size: u64,
    packages: Vec<InstalledPackage>,
}

/// The walk's state: what the layers read so far hide, and the `status.d` files gathered.
#[derive(Default)]
pub(super) struct Walk {
    status_hidden: bool,
    apk_hidden: bool,
    status_d_hidden: bool,
    /// `status.d` names whited out (or replaced by a directory) above.
    names_hidden: HashSet<String>,
    status_d: BTreeMap<String, StatusD>,
    status_d_bytes: u64,
    status_d_packages: usize,
    read: usize,
}

impl Walk {
    /// Reads `layers` top-down until the answer cannot change.
    pub(super) fn run<'a, I>(mut self, layers: I) -> Result<Found, InstalledError>
    where
        I: IntoIterator<Item = Result<Box<dyn Read + 'a>, InstalledError>>,
    {
        for (index, layer) in layers.into_iter().enumerate() {
            let raw = layer?;
            self.read = index + 1;
            if let Some(found) = self.layer(index, raw)? {
                return Ok(found);
            }
            if self.status_hidden && self.apk_hidden && self.status_d_hidden {
                break;
            }
        }
        self.status_d_result()
    }

    /// Walks one layer's entries; a `status` or `installed` file no higher layer hides ends
    /// the walk (and the reading of this layer) at once.
    fn layer(
        &mut self,
        index: usize,
        raw: Box<dyn Read + '_>,
    ) -> Result<Option<Found>, InstalledError> {
        let stream =
            crate::image::extract::decompress(raw).map_err(|source| InstalledError::Tar {
                layer: index,
                source,
            })?;
        let mut seals = Seals::default();
        let mut found = None;
        each_entry(index, stream, |_, event, kind, entry| {
            if let Event::Entry(path, _) = &event {
                found = self.entry(index, path, kind, entry)?;
                if found.is_some() {
                    return Ok(true);
                }
            }
            seals.note(&event);
            Ok(false)
        })?;
        if found.is_some() {
            return Ok(found);
        }
        self.status_hidden |= seals.status;
        self.apk_hidden |= seals.apk;
        self.status_d_hidden |= seals.status_d;
        self.names_hidden.extend(seals.names);
        Ok(None)
    }

    /// Reads the entry at `path` when it is a database file not hidden from above.
    fn entry<R: Read>(
        &mut self,
        index: usize,
        path: &[&str],
        kind: tar::EntryType,
        entry: &mut tar::Entry<'_, R>,
    ) -> Result<Option<Found>, InstalledError> {
        let (format, shown) = if path == STATUS && !self.status_hidden {
            (Format::Dpkg, "/var/lib/dpkg/status")
        } else if path == APK && !self.apk_hidden {
            (Format::Apk, "/lib/apk/db/installed")
        } else {
            if let Some(name) = status_d_name(path).filter(|_| !self.status_d_hidden) {
                self.status_d_file(index, name, kind, entry)?;
            }
            return Ok(None);
        };
        let packages = read_database(index, shown, kind, entry, format)?;
        Ok(Some(Found {
            installed: Installed { format, packages },
            path: shown,
            layers: vec![index],
        }))
    }

    /// Gathers `status.d/<name>` unless a higher layer holds or hides that name (the
    /// `.md5sums` file lists are skipped).
    fn status_d_file<R: Read>(
        &mut self,
        index: usize,
        name: &str,
        kind: tar::EntryType,
        entry: &mut tar::Entry<'_, R>,
    ) -> Result<(), InstalledError> {
        let above = self.status_d.get(name).is_some_and(|f| f.layer < index);
        if name.ends_with(".md5sums") || kind.is_dir() || above || self.names_hidden.contains(name)
        {
            return Ok(());
        }
        let shown = format!("/var/lib/dpkg/status.d/{name}");
        refuse_non_file(index, &shown, kind)?;
        if let Some(old) = self.status_d.remove(name) {
            self.status_d_bytes -= old.size;
            self.status_d_packages -= old.packages.len();
        }
        let size = entry.size();
        let too_large = |size, limit| InstalledError::TooLarge {
            layer: index,
            path: shown.clone(),
            size,
            limit,
        };
        if size > MAX_STATUS_D_FILE {
            return Err(too_large(size, MAX_STATUS_D_FILE));
        }
        if self.status_d_bytes + size > MAX_DATABASE {
            return Err(too_large(self.status_d_bytes + size, MAX_DATABASE));
        }
        let too_many = |what, limit| InstalledError::TooMany {
            layer: index,
            path: "/var/lib/dpkg/status.d",
            what,
            limit,
        };
        if self.status_d.len() >= MAX_STATUS_D_FILES {
            return Err(too_many("files", MAX_STATUS_D_FILES));
        }
        let mut packages = Vec::new();
        let room = MAX_PACKAGES - self.status_d_packages;
        let reader = BufReader::new(entry.take(MAX_STATUS_D_FILE));
        dpkg::read(reader, false, &mut packages, room).map_err(|e| match e {
            ReadError::Io(source) => InstalledError::Tar {
                layer: index,
                source,
            },
            ReadError::TooMany => too_many("packages", MAX_PACKAGES),
        })?;
        self.status_d_bytes += size;
        self.status_d_packages += packages.len();
        self.status_d.insert(
            name.to_string(),
            StatusD {
                layer: index,
                size,
                packages,
            },
        );
        Ok(())
    }

    /// The `status.d` files gathered, by name, or no database at all.
    fn status_d_result(self) -> Result<Found, InstalledError> {
        if self.status_d.is_empty() {
            return Err(InstalledError::NoDatabase { layers: self.read });
        }
        let layers: BTreeSet<usize> = self.status_d.values().map(|f| f.layer).collect();
        let packages = self
            .status_d
            .into_values()
            .flat_map(|f| f.packages)
            .collect();
        Ok(Found {
            installed: Installed {
                format: Format::Dpkg,
                packages,
            },
            path: "/var/lib/dpkg/status.d",
            layers: layers.into_iter().collect(),
        })
    }
}

/// Refuses a database path that is not a regular file (links are not followed).
fn refuse_non_file(index: usize, path: &str, kind: tar::EntryType) -> Result<(), InstalledError> {
    let what = match kind {
        tar::EntryType::Regular | tar::EntryType::Continuous => return Ok(()),
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Directory => "directory",
        _ => "special file",
    };
    Err(InstalledError::NotAFile {
        layer: index,
        path: path.to_string(),
        kind: what,
    })
}

/// Reads `status` or `installed` from its entry, within the bounds.
fn read_database<R: Read>(
    index: usize,
    path: &'static str,
    kind: tar::EntryType,
    entry: &mut tar::Entry<'_, R>,
    format: Format,
) -> Result<Vec<InstalledPackage>, InstalledError> {
    refuse_non_file(index, path, kind)?;
    let size = entry.size();
    if size > MAX_DATABASE {
        return Err(InstalledError::TooLarge {
            layer: index,
            path: path.to_string(),
            size,
            limit: MAX_DATABASE,
        });
    }
    let mut packages = Vec::new();
    let reader = BufReader::new(entry.take(MAX_DATABASE));
    let read = match format {
        Format::Dpkg => dpkg::read(reader, true, &mut packages, MAX_PACKAGES),
        Format::Apk => apk::read(reader, &mut packages, MAX_PACKAGES),
    };
    read.map_err(|e| match e {
        ReadError::Io(source) => InstalledError::Tar {
            layer: index,
            source,
        },
        ReadError::TooMany => InstalledError::TooMany {
            layer: index,
            path,
            what: "packages",
            limit: MAX_PACKAGES,
        },
    })?;
    Ok(packages)
}
