//! An image's layers top-down for the database walk, each cut down to what the walk reads and
//! kept by its digest: a layer already seen (by this image or another on the same base) is not
//! downloaded again. A layer downloaded is read to its end, so its digest is checked before
//! anything read from it is kept or used.

use crate::digest::Digest;
use crate::fsutil;
use crate::image::installed::{reduce, InstalledError};
use crate::registry::{Client, Repository};
use std::io::{self, Read, Seek};
use std::path::PathBuf;

/// Where reduced layers are kept (bump the version when what a reduced layer holds changes).
const KEPT: &str = "layers-v1";

/// A layer to read: its digest and size.
#[derive(Clone, Debug)]
pub(crate) struct Layer {
    pub digest: Digest,
    pub size: u64,
}

/// Yields the reduced layers top-most first, downloading only those not kept.
pub(crate) struct LayerSource {
    client: Client,
    repo: Repository,
    /// Top-most first.
    layers: Vec<Layer>,
    next: usize,
    /// Layers downloaded (and their compressed bytes).
    pub downloaded: usize,
    pub bytes: u64,
    /// Layers read from the kept copies.
    pub kept: usize,
}

impl LayerSource {
    /// `layers` as the manifest lists them (bottom first).
    pub(crate) fn new(client: Client, repo: Repository, mut layers: Vec<Layer>) -> LayerSource {
        layers.reverse();
        LayerSource {
            client,
            repo,
            layers,
            next: 0,
            downloaded: 0,
            bytes: 0,
            kept: 0,
        }
    }

    /// How many layers the walk opened.
    pub(crate) fn opened(&self) -> usize {
        self.next
    }

    fn layer(&mut self, index: usize) -> Result<Box<dyn Read>, InstalledError> {
        let layer = self.layers[index].clone();
        if let Some(file) = kept_path(&layer.digest).and_then(|p| open_kept(&p)) {
            self.kept += 1;
            return Ok(Box::new(file));
        }
        let fetch = |source: io::Error| InstalledError::Fetch {
            layer: index,
            source,
        };
        let mut reader = crate::net::block_on(self.client.blob_reader(
            &self.repo,
            &layer.digest,
            Some(layer.size),
        ))
        .map_err(|e| fetch(io::Error::other(e)))?;
        let out = tempfile::tempfile().map_err(fetch)?;
        let mut out = {
            let stream = crate::image::extract::decompress(&mut reader).map_err(|source| {
                InstalledError::Tar {
                    layer: index,
                    source,
                }
            })?;
            reduce(index, stream, out)?
        };
        // The rest of the blob (the tar's padding, the compressor's trailer) still counts: the
        // reader checks the digest at its end, before the reduced layer is kept or read.
        io::copy(&mut reader, &mut io::sink()).map_err(fetch)?;
        self.downloaded += 1;
        self.bytes += reader.bytes_read();
        out.rewind().map_err(fetch)?;
        if let Some(path) = kept_path(&layer.digest) {
            // Keeping is an optimisation: a failed write (a full disk) leaves none.
            let _ = fsutil::write_file_from(&path, &mut out, fsutil::WriteOptions::DEFAULT);
            out.rewind().map_err(fetch)?;
        }
        Ok(Box::new(out))
    }
}

impl Iterator for LayerSource {
    type Item = Result<Box<dyn Read>, InstalledError>;

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.next;
        if index >= self.layers.len() {
            return None;
        }
        self.next += 1;
        Some(self.layer(index))
    }
}

/// `<cache>/layers-v1/sha256-<hex>` (the private per-user directory), created when missing.
fn kept_path(digest: &Digest) -> Option<PathBuf> {
    let dir = fsutil::cache_dir()?.join(KEPT);
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join(format!("{}-{}", digest.algorithm(), digest.hex())))
}

/// Opens a kept reduced layer without following a link.
fn open_kept(path: &std::path::Path) -> Option<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty()).ok()?;
    Some(std::fs::File::from(fd))
}
