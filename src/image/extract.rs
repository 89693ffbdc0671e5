//! Layer extraction: gzip / zstd / plain tar streams applied onto a root directory with OCI
//! whiteouts, never writing outside the root, directory modes applied once at the end.

use crate::fsutil;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";
const CHUNK: usize = 256 * 1024;
const MAX_SYMLINK_HOPS: usize = fsutil::MAX_LINK_HOPS;

/// Why a layer could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// An entry would write outside the root.
    #[error("layer entry `{entry}` escapes the destination ({why})")]
    Escape {
        /// The entry name.
        entry: String,
        /// How.
        why: String,
    },
    /// Reading the layer (or its digest check) failed.
    #[error(transparent)]
    Read(io::Error),
    /// A sparse file: refused, as umoci does (writing its holes out would let a tiny layer
    /// fill the disk).
    #[error("layer entry `{entry}` is a sparse file ({how}); uptick refuses sparse files rather than write their holes out as zeros")]
    Sparse {
        /// The entry name.
        entry: String,
        /// Which sparse format.
        how: &'static str,
    },
    /// A filesystem operation failed.
    #[error("cannot extract `{entry}`")]
    Write {
        /// The entry name.
        entry: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// An extended attribute could not be set.
    #[error("cannot extract `{entry}`: xattr {name}")]
    Xattr {
        /// The entry name.
        entry: String,
        /// The attribute.
        name: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The tree under the destination is not what the entry needs.
    #[error("cannot extract `{entry}`: {detail}")]
    Tree {
        /// The entry name.
        entry: String,
        /// What is in the way.
        detail: String,
    },
}

/// Counts for a layer.
#[derive(Debug, Default, Clone, Copy)]
pub struct LayerStats {
    /// Entries applied.
    pub entries: u64,
    /// Device nodes and FIFOs skipped.
    pub skipped: u64,
}

/// Wraps a raw layer stream in the decompressor its first bytes call for (gzip, zstd, plain).
pub fn decompress<'a, R: Read + 'a>(raw: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut buffered = BufReader::with_capacity(CHUNK, raw);
    let head = buffered.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(GzipMembers::new(buffered)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = ruzstd::decoding::StreamingDecoder::new(buffered)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
        Ok(Box::new(dec))
    } else {
        Ok(Box::new(buffered))
    }
}

/// gzip without its CRC-32 check: the compressed bytes are already verified against the layer's
/// sha256, so the CRC would only cost time. Handles multi-member streams; bytes after the last
/// member are left for the caller to drain.
struct GzipMembers<R: BufRead> {
    state: GzState<R>,
}

enum GzState<R: BufRead> {
    Header(R),
    Body(flate2::bufread::DeflateDecoder<R>),
    Done,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(inner: R) -> Self {
        GzipMembers {
            state: GzState::Header(inner),
        }
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {msg}"))
}

fn read_u8(r: &mut impl BufRead) -> io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

fn skip_zero_terminated(r: &mut impl BufRead) -> io::Result<()> {
    let mut sink = Vec::new();
    r.read_until(0, &mut sink)?;
    if sink.last() != Some(&0) {
        return Err(invalid("unterminated header field"));
    }
    Ok(())
}

fn gzip_header(r: &mut impl BufRead) -> io::Result<()> {
    let mut h = [0u8; 10];
    r.read_exact(&mut h)?;
    if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 {
        return Err(invalid("bad member header"));
    }
    let flags = h[3];
    if flags & 4 != 0 {
        let len = u16::from_le_bytes([read_u8(r)?, read_u8(r)?]);
        io::copy(&mut r.take(u64::from(len)), &mut io::sink())?;
    }
    if flags & 8 != 0 {
        skip_zero_terminated(r)?;
    }
    if flags & 16 != 0 {
        skip_zero_terminated(r)?;
    }
    if flags & 2 != 0 {
        r.read_exact(&mut [0u8; 2])?;
    }
    Ok(())
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match std::mem::replace(&mut self.state, GzState::Done) {
                GzState::Header(mut r) => {
                    gzip_header(&mut r)?;
                    self.state = GzState::Body(flate2::bufread::DeflateDecoder::new(r));
                }
                GzState::Body(mut d) => {
                    let n = d.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        self.state = GzState::Body(d);
                        return Ok(n);
                    }
                    let mut r = d.into_inner();
                    r.read_exact(&mut [0u8; 8])?; // CRC-32 and size trailer
                    if r.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
                        self.state = GzState::Header(r);
                    } else {
                        return Ok(0);
                    }
                }
                GzState::Done => return Ok(0),
            }
        }
    }
}

/// Runs `produce` (download, verification, decompression) on its own thread and hands its bytes
/// over a bounded channel, so decompression and file writes use both cores. Memory: at most
/// `depth` chunks in flight; emptied chunks travel back to be refilled (no allocation, and no
/// copy: the producer decompresses straight into them).
pub fn pipelined<F>(depth: usize, produce: F) -> ChannelReader
where
    F: FnOnce(&mut Sink) -> io::Result<()> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(depth);
    let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut sink = Sink { tx, back: back_rx };
        if let Err(e) = produce(&mut sink) {
            let _ = sink.tx.send(Err(e));
        }
    });
    ChannelReader {
        rx,
        back: back_tx,
        current: Vec::new(),
        pos: 0,
    }
}

/// The producing side of [`pipelined`]: recycled buffers out, filled ones in.
pub struct Sink {
    tx: mpsc::SyncSender<io::Result<Vec<u8>>>,
    back: mpsc::Receiver<Vec<u8>>,
}

impl Sink {
    /// An empty buffer of `CHUNK` bytes to fill (one the consumer has emptied, when there is).
    fn buffer(&mut self) -> Vec<u8> {
        let mut buf = self.back.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        buf
    }

    /// Hands a filled buffer over; `false` when the consumer has gone.
    fn send(&mut self, buf: Vec<u8>) -> bool {
        self.tx.send(Ok(buf)).is_ok()
    }
}

/// The consuming side of [`pipelined`].
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    back: mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.current.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let done = std::mem::replace(&mut self.current, chunk);
                    if done.capacity() > 0 {
                        let _ = self.back.send(done);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads `reader` into the sink's buffers until end of stream (used inside [`pipelined`]).
pub fn pump(mut reader: impl Read, sink: &mut Sink) -> io::Result<()> {
    loop {
        let mut buf = sink.buffer();
        let n = loop {
            match reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return Ok(());
        }
        buf.truncate(n);
        if !sink.send(buf) {
            return Ok(());
        }
    }
}

/// Applies layers onto `root` in order; directory modes and times are applied by [`finish`].
///
/// Nothing outside the root is ever read, written, created, removed, chmod-ed, chown-ed or
/// re-timed, whatever order entries come in: every entry's parent directory is resolved below
/// the root one component at a time, each step an `*at` call on the handle of the directory
/// reached so far (links are followed the way a container sees them, never out of the root),
/// and the entry is then applied through that handle (`mkdirat`, `openat(O_CREAT | O_EXCL |
/// O_NOFOLLOW)`, `symlinkat`, `linkat`, `unlinkat`, `fchmod`, `fchown`, `fsetxattr`,
/// `utimensat(AT_SYMLINK_NOFOLLOW)`). The final pass reopens each recorded directory below the
/// root following no link at all and applies its mode and time through that handle, only when
/// it is still the very directory recorded (same device and inode); one a later entry replaced
/// is no longer in the tree and is skipped.
///
/// [`finish`]: Extractor::finish
pub struct Extractor {
    root: PathBuf,
    /// The root, opened once (its error, if it could not be, reported by `apply`).
    root_fd: Result<OwnedFd, Errno>,
    chown: bool,
    /// Final mode and mtime of every directory (by its link-free path below the root), applied
    /// last: a read-only directory must stay writable while later entries and layers land in
    /// it.
    dirs: BTreeMap<PathBuf, DirRecord>,
    /// Entry parent path → the link-free path below the root it resolved to (see
    /// `apply_entry`).
    dir_cache: HashMap<PathBuf, PathBuf>,
    /// The last parent resolved (its entry path and handle): the next entry is usually in it.
    last_dir: Option<(PathBuf, Dir)>,
    /// Bumped whenever a resolution may have changed (a directory or link removed).
    generation: u64,
    /// An image's root filesystem: the layer's own `./` entry (mode, owner, mtime, xattrs)
    /// applies to the root, and kept xattrs are written. Off for archives unpacked by `out`.
    image: bool,
    /// xattr names already warned about (one line per name, not per file).
    xattr_warned: HashSet<String>,
}

/// A directory's final mode and time, and which directory it was.
#[derive(Clone, Copy)]
struct DirRecord {
    dev: u64,
    ino: u64,
    mode: u32,
    mtime: i64,
}

/// A directory below the root: its path there (no link in it) and an `O_PATH` handle on it.
struct Dir {
    rel: PathBuf,
    fd: OwnedFd,
}

/// Whether an xattr from a layer is written: file capabilities (`security.capability`, what
/// lets `ping` open raw sockets without setuid) and `user.*`. Others are skipped: SELinux labels
/// and IMA/EVM signatures belong to the host's policy, `trusted.*` (overlayfs state) and
/// `system.*` (ACLs) are not carried.
pub fn kept_xattr(name: &str) -> bool {
    name == "security.capability" || name.starts_with("user.")
}

/// What an entry's PAX header says beyond its name and size.
struct Pax {
    /// `SCHILY.xattr.<name>` records, kept ones only.
    xattrs: Vec<(String, Vec<u8>)>,
    /// A `GNU.sparse.*` record: a PAX sparse file.
    sparse: bool,
}

impl Pax {
    fn read<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Pax> {
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

/// Where xattrs go: an open file or directory, or a path whose last component is never
/// followed (a link, or a hard link's new name) and whose parents were resolved, link-free,
/// by the same entry.
enum XattrTarget<'a> {
    Fd(BorrowedFd<'a>),
    Path(&'a Path),
}

/// What an entry's header asks for besides its name and type.
struct Attrs {
    mode: u32,
    mtime: i64,
    uid: u32,
    gid: u32,
    xattrs: Vec<(String, Vec<u8>)>,
}

fn timestamps(mtime: i64) -> Timestamps {
    let t = Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

fn is_dir(st: &rustix::fs::Stat) -> bool {
    fsutil::file_type(st) == FileType::Directory
}

impl Extractor {
    /// An extractor of an image's layers onto an existing, empty directory (the root entry and
    /// xattrs applied).
    pub fn new(root: &Path) -> Extractor {
        let chown = rustix::process::geteuid().is_root();
        let root_fd = rustix::fs::openat(
            rustix::fs::CWD,
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        );
        Extractor {
            root: root.to_path_buf(),
            root_fd,
            chown,
            dirs: BTreeMap::new(),
            dir_cache: HashMap::new(),
            last_dir: None,
            generation: 0,
            image: true,
            xattr_warned: HashSet::new(),
        }
    }

    /// An extractor of an archive of files (an OCI or docker archive for `out`): its `./`
    /// entry and xattrs are not applied.
    pub fn archive(root: &Path) -> Extractor {
        Extractor {
            image: false,
            ..Extractor::new(root)
        }
    }

    /// Applies one uncompressed tar stream, then reads it to its end (so its digest is checked).
    pub fn apply(&mut self, tar_stream: &mut dyn Read) -> Result<LayerStats, ExtractError> {
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
    pub fn finish(self) -> Result<(), ExtractError> {
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

    fn root_fd(&self) -> Result<BorrowedFd<'_>, ExtractError> {
        match &self.root_fd {
            Ok(fd) => Ok(fd.as_fd()),
            Err(e) => Err(ExtractError::Write {
                entry: self.root.display().to_string(),
                source: (*e).into(),
            }),
        }
    }

    fn apply_entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        created: &mut HashSet<PathBuf>,
        stats: &mut LayerStats,
    ) -> Result<bool, ExtractError> {
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
            xattrs: if self.image { pax.xattrs } else { Vec::new() },
        };
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

        if last_str == OPAQUE {
            let dir = self.resolve_dir(parents, true, &name)?;
            self.clear_opaque(&dir, created, &name)?;
            return Ok(true);
        }
        if let Some(hidden) = last_str.strip_prefix(WHITEOUT) {
            if hidden.is_empty() || hidden == "." || hidden == ".." {
                return Err(ExtractError::Escape {
                    entry: name,
                    why: "invalid whiteout".into(),
                });
            }
            if let Some(dir) = self.resolve(parents, false, &name)? {
                let hidden = OsStr::from_bytes(&last.as_bytes()[WHITEOUT.len()..]);
                self.remove(&dir, hidden, &name)?;
            }
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

    /// Applies the entry named `name` (`last` in `dir`, `rel` below the root); `false` when
    /// there was nothing to do (a hard link to itself).
    #[allow(clippy::too_many_arguments)]
    fn apply_in<R: Read>(
        &mut self,
        dir: &Dir,
        last: &OsStr,
        rel: &Path,
        kind: tar::EntryType,
        attrs: Attrs,
        entry: &mut tar::Entry<'_, R>,
        name: &str,
    ) -> Result<bool, ExtractError> {
        let fail = |source: io::Error| ExtractError::Write {
            entry: name.to_string(),
            source,
        };
        let fd = dir.fd.as_fd();
        let existing = fsutil::stat_at(fd, last).map_err(fail)?;
        match kind {
            tar::EntryType::Directory => {
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
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| fail(io::Error::other("symlink without a target")))?
                    .into_owned();
                if existing.is_some() {
                    self.remove(dir, last, name)?;
                }
                rustix::fs::symlinkat(OsStr::from_bytes(&target), fd, last)
                    .map_err(|e| fail(e.into()))?;
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
                self.set_xattrs_at(rel, &attrs, name)?;
                rustix::fs::utimensat(
                    fd,
                    last,
                    &timestamps(attrs.mtime),
                    AtFlags::SYMLINK_NOFOLLOW,
                )
                .map_err(|e| fail(e.into()))?;
            }
            tar::EntryType::Link => {
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
                self.set_xattrs_at(rel, &attrs, name)?;
            }
            _ => {
                // Regular files (and anything else with data): never written through a link.
                if existing.is_some() {
                    self.remove(dir, last, name)?;
                }
                let created = rustix::fs::openat(
                    fd,
                    last,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o600),
                )
                .map_err(|e| fail(e.into()))?;
                let mut file = std::fs::File::from(created);
                copy_chunks(entry, &mut file).map_err(|e| match e.kind() {
                    io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                        ExtractError::Read(e)
                    }
                    _ => fail(e),
                })?;
                if self.chown {
                    rustix::fs::fchown(&file, Some(uid(attrs.uid)), Some(gid(attrs.gid)))
                        .map_err(|e| fail(e.into()))?;
                }
                rustix::fs::fchmod(&file, Mode::from_raw_mode(attrs.mode))
                    .map_err(|e| fail(e.into()))?;
                // After the chown, which would clear a file capability.
                set_xattrs(
                    &mut self.xattr_warned,
                    XattrTarget::Fd(file.as_fd()),
                    &attrs.xattrs,
                    name,
                )?;
                rustix::fs::futimens(&file, &timestamps(attrs.mtime.max(0)))
                    .map_err(|e| fail(e.into()))?;
            }
        }
        Ok(true)
    }

    /// The layer's own `./` entry: the root's mode (owner-writable until `finish`), owner and
    /// xattrs, its final mode and time recorded.
    fn apply_root(&mut self, attrs: &Attrs, name: &str) -> Result<(), ExtractError> {
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
    fn set_xattrs_at(&mut self, rel: &Path, attrs: &Attrs, name: &str) -> Result<(), ExtractError> {
        let path = self.root.join(rel);
        set_xattrs(
            &mut self.xattr_warned,
            XattrTarget::Path(&path),
            &attrs.xattrs,
            name,
        )
    }

    /// An opaque whiteout: everything in `dir` that this layer did not create goes.
    fn clear_opaque(
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
    fn remove(&mut self, dir: &Dir, child: &OsStr, name: &str) -> Result<(), ExtractError> {
        let fail = |source: io::Error| ExtractError::Write {
            entry: name.to_string(),
            source,
        };
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
    fn forget_resolved(&mut self) {
        self.dir_cache.clear();
        self.last_dir = None;
        self.generation += 1;
    }

    /// The parent directory of an entry whose parent components are `parents` (`key` joined):
    /// the last one again, a cached resolution reopened link-free, or resolved afresh.
    fn parent(
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
    fn check_length(&self, rel: &Path, name: &str) -> Result<(), ExtractError> {
        if self.root.as_os_str().len() + 1 + rel.as_os_str().len() >= fsutil::MAX_PATH {
            return Err(ExtractError::Tree {
                entry: name.to_string(),
                detail: format!("its path is longer than {} bytes", fsutil::MAX_PATH),
            });
        }
        Ok(())
    }

    /// The real directory `comps` names inside the root, following symlinks the way a container
    /// sees them (absolute targets start at the root); missing directories are created when
    /// `create`. Resolution that would leave the root is an error.
    fn resolve_dir(
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
    fn resolve(
        &self,
        comps: &[OsString],
        create: bool,
        entry: &str,
    ) -> Result<Option<Dir>, ExtractError> {
        let escape = |why: String| ExtractError::Escape {
            entry: entry.to_string(),
            why,
        };
        let fail = |source: io::Error| ExtractError::Write {
            entry: entry.to_string(),
            source,
        };
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
                    let mut expanded: VecDeque<OsString> = target
                        .components()
                        .filter_map(|tc| match tc {
                            Component::Normal(n) => Some(n.to_os_string()),
                            Component::ParentDir => Some(OsString::from("..")),
                            _ => None,
                        })
                        .collect();
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
                return Err(ExtractError::Tree {
                    entry: entry.to_string(),
                    detail: format!("its path is longer than {} bytes", fsutil::MAX_PATH),
                });
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

/// Writes kept xattrs. A filesystem without xattr support, or a user not allowed to set
/// one (`security.capability` needs root), costs a warning per name, not the get.
fn set_xattrs(
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

fn uid(raw: u32) -> rustix::fs::Uid {
    rustix::fs::Uid::from_raw(raw)
}

fn gid(raw: u32) -> rustix::fs::Gid {
    rustix::fs::Gid::from_raw(raw)
}

/// An entry name as components below the root; absolute names and `..` are refused.
fn clean(raw: &[u8], entry: &str) -> Result<Vec<OsString>, ExtractError> {
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

/// Copies in full `CHUNK`-sized writes (whole pages: the kernel need not zero partial ones).
fn copy_chunks(mut from: impl Read, to: &mut std::fs::File) -> io::Result<u64> {
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
