//! The installed-package database of an image (dpkg or apk), read from its layers top-down without unpacking them.
//!
//! Where it is looked for, in each layer from the top one down (names with or without a leading
//! `./` or `/`):
//!
//! - `var/lib/dpkg/status`: dpkg's own database (Debian, Ubuntu); read by dpkg and apt;
//! - `lib/apk/db/installed`: apk's (Alpine, Wolfi);
//! - `var/lib/dpkg/status.d/<name>`: one control stanza per package, as distroless images carry
//!   it instead of `status` (their `<name>.md5sums` files are skipped).
//!
//! Rules: the first `status` or `installed` file met top-down that no higher layer hides wins,
//! and reading stops there, in the middle of its layer (nothing below can change the answer).
//! `status.d` is gathered from every layer down to the bottom (or until a layer seals it) and
//! used only when no `status` / `installed` file exists: dpkg and apt never read `status.d`, so
//! where both exist `status` is what the image's own tools see. A higher layer hides a lower
//! copy of a path by: holding the path itself (any type), a whiteout `.wh.<name>` of the path
//! or of any parent directory, an opaque marker `.wh..wh..opq` in any parent directory, or a
//! non-directory at a parent. A whiteout or opaque marker hides only lower layers, never the
//! entries of its own layer (OCI image-spec, layer.md "Whiteouts").
//!
//! Links are not followed: a database path that is a symbolic link, hard link or other
//! non-file is refused with [`InstalledError::NotAFile`]; a database below a symlinked parent
//! directory (a `/lib -> usr/lib` image keeping apk's database at `usr/lib/apk/db/installed`)
//! is not found.
//!
//! Bounds: the database file at most [`MAX_DATABASE`] bytes and [`MAX_PACKAGES`] packages;
//! `status.d` at most [`MAX_STATUS_D_FILES`] files of at most [`MAX_STATUS_D_FILE`] bytes each.
//! Tar entries are walked one at a time, streamed (nothing but the database is read into
//! memory, and that line by line into the parsed packages); memory is bounded by the database.

mod apk;
pub(crate) mod config;
mod dpkg;
mod layers;
mod reduce;
pub(crate) use reduce::reduce;
#[cfg(test)]
mod tests;

use std::io;

/// Largest database file read (`status`, `installed`); a Debian 12 host with 737 packages: 0.65 MB.
pub(crate) const MAX_DATABASE: u64 = 64 * 1024 * 1024;
/// Most packages a database may list.
pub(crate) const MAX_PACKAGES: usize = 100_000;
/// Most files gathered from `status.d` (all layers together).
pub(crate) const MAX_STATUS_D_FILES: usize = 10_000;
/// Largest `status.d` file read.
pub(crate) const MAX_STATUS_D_FILE: u64 = 1024 * 1024;

/// Which package manager's database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// dpkg: `status` or distroless `status.d`; versions in dpkg order.
    Dpkg,
    /// apk: `installed`; versions in apk order.
    Apk,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstalledPackage {
    /// The binary package name (`Package:`, `P:`).
    pub name: String,
    /// Its installed version (`Version:`, `V:`).
    pub version: String,
    /// Its architecture (`Architecture:`, `A:`); empty when the database has none.
    pub architecture: String,
    /// The source package and its version when the database names one (dpkg `Source: name`
    /// or `name (version)`, the version then the binary's when absent; apk `o:` origin with
    /// the package's own version). `None`: the source is the package itself.
    pub source: Option<(String, String)>,
}

/// An image's installed packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Installed {
    /// Whose database.
    pub format: Format,
    /// The packages, in database order (`status.d`: by file name).
    pub packages: Vec<InstalledPackage>,
}

/// The database found, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Its packages.
    pub installed: Installed,
    /// The path read (`/var/lib/dpkg/status`, `/var/lib/dpkg/status.d`, `/lib/apk/db/installed`).
    pub path: &'static str,
    /// The layers (0 = the top-most) its files came from, top-most first: one for `status` and
    /// `installed`, those holding the winning `status.d` files otherwise. The answer also rests
    /// on every layer above them (read for whiteouts).
    pub layers: Vec<usize>,
}

/// Why the database could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InstalledError {
    /// The caller could not provide a layer's stream.
    #[error("layer {layer} (from the top)")]
    Fetch {
        /// 0 = the top-most.
        layer: usize,
        /// The caller's error.
        #[source]
        source: io::Error,
    },
    /// A layer is not a (gzip / zstd / plain) tar stream, or its reading failed.
    #[error("layer {layer} (from the top) is not a readable tar stream")]
    Tar {
        /// 0 = the top-most.
        layer: usize,
        /// The decompressor's, tar reader's or stream's error.
        #[source]
        source: io::Error,
    },
    /// A database file passes its bound.
    #[error("layer {layer} (from the top): {path} is {size} bytes; uptick reads at most {limit}")]
    TooLarge {
        /// 0 = the top-most.
        layer: usize,
        /// The entry.
        path: String,
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// Too many packages or `status.d` files.
    #[error("layer {layer} (from the top): {path} lists more than {limit} {what}")]
    TooMany {
        /// 0 = the top-most.
        layer: usize,
        /// The database.
        path: &'static str,
        /// `packages`, `files`.
        what: &'static str,
        /// The bound.
        limit: usize,
    },
    /// A database path is a link or another non-file.
    #[error("layer {layer} (from the top): {path} is a {kind}; uptick reads the package database only from a regular file, following no link")]
    NotAFile {
        /// 0 = the top-most.
        layer: usize,
        /// The entry.
        path: String,
        /// `symbolic link`, `hard link`, `directory`, ….
        kind: &'static str,
    },
    /// No database in any layer.
    #[error("no package database in the image ({layers} layers read): none of /var/lib/dpkg/status, /var/lib/dpkg/status.d/*, /lib/apk/db/installed")]
    NoDatabase {
        /// How many layers were read.
        layers: usize,
    },
}

/// Reads the installed-package database from `layers`, the image's layer streams top-most
/// first (compressed or not; each fetched only when asked for, so a lazy iterator downloads
/// no layer below the one holding the database). See the module documentation for the rules.
#[cfg(test)]
pub(crate) fn read_installed<'a, I>(layers: I) -> Result<Found, InstalledError>
where
    I: IntoIterator<Item = io::Result<Box<dyn io::Read + 'a>>>,
{
    let layers = layers
        .into_iter()
        .enumerate()
        .map(|(layer, r)| r.map_err(|source| InstalledError::Fetch { layer, source }));
    layers::Walk::default().run(layers)
}

/// Like [`read_installed`], over layers whose opening fails with the walk's own error (the
/// reduced layers of [`reduce`], kept or downloaded).
pub(crate) fn read_layers<'a, I>(layers: I) -> Result<Found, InstalledError>
where
    I: IntoIterator<Item = Result<Box<dyn io::Read + 'a>, InstalledError>>,
{
    layers::Walk::default().run(layers)
}

/// Why a database document could not be read to its end.
enum ReadError {
    /// The stream failed.
    Io(io::Error),
    /// More than the bound of packages.
    TooMany,
}
