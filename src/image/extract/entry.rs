//! What a tar entry says: its cleaned name, whiteout markers, PAX records and attributes.

use super::error::ExtractError;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

pub(super) const WHITEOUT: &str = ".wh.";
pub(super) const OPAQUE: &str = ".wh..wh..opq";

/// Whether an xattr from a layer is written: file capabilities (`security.capability`, what
/// lets `ping` open raw sockets without setuid) and `user.*`. Others are skipped: SELinux labels
/// and IMA/EVM signatures belong to the host's policy, `trusted.*` (overlayfs state) and
/// `system.*` (ACLs) are not carried.
pub(crate) fn kept_xattr(name: &str) -> bool {
    name == "security.capability" || name.starts_with("user.")
}

/// What an entry's PAX header says beyond its name and size.
pub(super) struct Pax {
    /// `SCHILY.xattr.<name>` records, kept ones only.
    pub(super) xattrs: Vec<(String, Vec<u8>)>,
    /// A `GNU.sparse.*` record: a PAX sparse file.
    pub(super) sparse: bool,
}

impl Pax {
    pub(super) fn read<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Pax> {
        let mut pax = Pax {
            xattrs: Vec::new(),
            sparse: false,
        };
        if let Some(exts) = entry.pax_extensions()? {
            for ext in exts {
                let ext = ext?;
                let Ok(key) = ext.key() else { continue };
                if key.starts_with("GNU.sparse.") {
                    pax.sparse = true;
                } else if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                    if kept_xattr(name) {
                        pax.xattrs
                            .push((name.to_string(), ext.value_bytes().to_vec()));
                    } else {
                        crate::log::debug(|| format!("xattr {name} not applied"));
                    }
                }
            }
        }
        Ok(pax)
    }
}

/// What an entry's header asks for besides its name and type.
pub(super) struct Attrs {
    pub(super) mode: u32,
    pub(super) mtime: i64,
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) xattrs: Vec<(String, Vec<u8>)>,
}

/// An entry name as components below the root; absolute names and `..` are refused.
pub(super) fn clean(raw: &[u8], entry: &str) -> Result<Vec<OsString>, ExtractError> {
    let escape = |why: &str| ExtractError::Escape {
        entry: entry.to_string(),
        why: why.to_string(),
    };
    if raw.contains(&0) {
        return Err(escape("NUL in name"));
    }
    let path = Path::new(OsStr::from_bytes(raw));
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_os_string()),
            Component::CurDir => {}
            Component::ParentDir => return Err(escape("`..` in the path")),
            Component::RootDir | Component::Prefix(_) => return Err(escape("absolute path")),
        }
    }
    Ok(out)
}

/// What an entry's header says: its name (for messages), its cleaned components, its type and
/// attributes.
pub(super) struct EntryHead {
    pub(super) name: String,
    pub(super) comps: Vec<OsString>,
    pub(super) kind: tar::EntryType,
    pub(super) attrs: Attrs,
}

impl EntryHead {
    /// Reads the header and PAX records of `entry` (xattrs kept only for an `image`); a sparse
    /// file or an escaping name is refused.
    pub(super) fn read<R: Read>(
        entry: &mut tar::Entry<'_, R>,
        image: bool,
    ) -> Result<EntryHead, ExtractError> {
        let raw_name = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw_name).into_owned();
        let comps = clean(&raw_name, &name)?;
        let header = entry.header().clone();
        let kind = header.entry_type();
        let pax = Pax::read(entry).map_err(ExtractError::Read)?;
        if kind == tar::EntryType::GNUSparse || pax.sparse {
            return Err(ExtractError::Sparse {
                entry: name,
                how: if pax.sparse {
                    "PAX GNU.sparse"
                } else {
                    "GNU 'S'"
                },
            });
        }
        let attrs = Attrs {
            mode: header.mode().unwrap_or(0o644) & 0o7777,
            mtime: header.mtime().unwrap_or(0) as i64,
            uid: header.uid().unwrap_or(0) as u32,
            gid: header.gid().unwrap_or(0) as u32,
            xattrs: if image { pax.xattrs } else { Vec::new() },
        };
        Ok(EntryHead {
            name,
            comps,
            kind,
            attrs,
        })
    }
}
