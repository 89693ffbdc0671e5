//! Layer extraction: gzip / zstd / plain tar streams applied onto a root directory with OCI
//! whiteouts, never writing outside the root, directory modes applied once at the end.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;

const WHITEOUT: &str = ".wh.";
const OPAQUE: &str = ".wh..wh..opq";
const CHUNK: usize = 256 * 1024;
const MAX_SYMLINK_HOPS: usize = 40;

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
pub struct Extractor {
    root: PathBuf,
    chown: bool,
    /// Final mode and mtime of every directory, applied last (a read-only directory must stay
    /// writable while later entries and layers land in it).
    dirs: HashMap<PathBuf, (u32, i64)>,
    /// Entry parent path → the real directory it resolved to (see `apply_entry`).
    dir_cache: HashMap<PathBuf, PathBuf>,
    /// An image's root filesystem: the layer's own `./` entry (mode, owner, mtime, xattrs)
    /// applies to the root, and kept xattrs are written. Off for archives unpacked by `out`.
    image: bool,
    /// xattr names already warned about (one line per name, not per file).
    xattr_warned: HashSet<String>,
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

/// Where xattrs go: an open file, or a path whose last component is never followed.
enum XattrTarget<'a> {
    File(&'a std::fs::File),
    Path(&'a Path),
}

impl Extractor {
    /// An extractor of an image's layers onto an existing, empty directory (the root entry and
    /// xattrs applied).
    pub fn new(root: &Path) -> Extractor {
        let chown = rustix::process::geteuid().is_root();
        Extractor {
            root: root.to_path_buf(),
            chown,
            dirs: HashMap::new(),
            dir_cache: HashMap::new(),
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
    pub fn finish(self) -> Result<(), ExtractError> {
        let mut dirs: Vec<_> = self.dirs.into_iter().collect();
        dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
        for (path, (mode, mtime)) in dirs {
            if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let entry = path.display().to_string();
            let fail = |source: io::Error| ExtractError::Write {
                entry: entry.clone(),
                source,
            };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).map_err(fail)?;
            let t = filetime::FileTime::from_unix_time(mtime, 0);
            filetime::set_file_times(&path, t, t).map_err(fail)?;
        }
        Ok(())
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
        let fail = |source: io::Error| ExtractError::Write {
            entry: name.clone(),
            source,
        };
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let mtime = header.mtime().unwrap_or(0) as i64;
        let (uid, gid) = (
            header.uid().unwrap_or(0) as u32,
            header.gid().unwrap_or(0) as u32,
        );
        let xattrs = if self.image { pax.xattrs } else { Vec::new() };
        let Some((last, parents)) = comps.split_last() else {
            // "." or "./": the root itself. An image layer's own root entry sets the root's
            // mode, owner, mtime and xattrs, as the reference unpacker does.
            if !self.image || kind != tar::EntryType::Directory {
                return Ok(false);
            }
            let root = self.root.clone();
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755 | mode))
                .map_err(fail)?;
            self.chown_path(&root, uid, gid).map_err(fail)?;
            self.set_xattrs(XattrTarget::Path(&root), &xattrs, &name)?;
            self.dirs.insert(root, (mode, mtime));
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
            self.dir_cache.clear();
        }

        if last_str == OPAQUE {
            let dir = self.resolve_dir(parents, true, &name)?;
            for child in std::fs::read_dir(&dir).map_err(fail)? {
                let child = child.map_err(fail)?.path();
                if !created.contains(&child) {
                    remove_any(&child).map_err(fail)?;
                }
            }
            return Ok(true);
        }
        if let Some(hidden) = last_str.strip_prefix(WHITEOUT) {
            if hidden.is_empty() || hidden == "." || hidden == ".." {
                return Err(ExtractError::Escape {
                    entry: name,
                    why: "invalid whiteout".into(),
                });
            }
            if let Some(dir) = self.resolve_existing_dir(parents, &name)? {
                remove_any(&dir.join(hidden)).map_err(fail)?;
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
        let dir = match self.dir_cache.get(&key) {
            Some(d) => d.clone(),
            None => {
                let d = self.resolve_dir(parents, true, &name)?;
                self.dir_cache.insert(key, d.clone());
                d
            }
        };
        let path = dir.join(last);
        let existing = std::fs::symlink_metadata(&path).ok();
        if existing.as_ref().is_some_and(|m| !m.is_dir()) {
            self.dir_cache.clear();
        }

        match kind {
            tar::EntryType::Directory => {
                match existing {
                    Some(m) if m.is_dir() => {}
                    Some(_) => {
                        remove_any(&path).map_err(fail)?;
                        std::fs::create_dir(&path).map_err(fail)?;
                    }
                    None => std::fs::create_dir(&path).map_err(fail)?,
                }
                // Owner-writable until `finish`, so later entries can land inside.
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755 | mode))
                    .map_err(fail)?;
                self.chown_path(&path, uid, gid).map_err(fail)?;
                self.set_xattrs(XattrTarget::Path(&path), &xattrs, &name)?;
                self.dirs.insert(path.clone(), (mode, mtime));
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| fail(io::Error::other("symlink without a target")))?
                    .into_owned();
                if existing.is_some() {
                    remove_any(&path).map_err(fail)?;
                }
                std::os::unix::fs::symlink(OsStr::from_bytes(&target), &path).map_err(fail)?;
                self.chown_path(&path, uid, gid).map_err(fail)?;
                self.set_xattrs(XattrTarget::Path(&path), &xattrs, &name)?;
                let t = filetime::FileTime::from_unix_time(mtime, 0);
                filetime::set_symlink_file_times(&path, t, t).map_err(fail)?;
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| fail(io::Error::other("hardlink without a target")))?
                    .into_owned();
                let target_name = String::from_utf8_lossy(&target).into_owned();
                let tcomps = clean(&target, &name)?;
                let Some((tlast, tparents)) = tcomps.split_last() else {
                    return Err(ExtractError::Escape {
                        entry: name,
                        why: "hardlink to the root".into(),
                    });
                };
                let tdir = self.resolve_existing_dir(tparents, &name)?.ok_or_else(|| {
                    fail(io::Error::other(format!(
                        "hardlink target `{target_name}` does not exist"
                    )))
                })?;
                let tpath = tdir.join(tlast);
                let tmeta = std::fs::symlink_metadata(&tpath).map_err(|e| {
                    fail(io::Error::other(format!(
                        "hardlink target `{target_name}`: {e}"
                    )))
                })?;
                if tmeta.is_dir() {
                    return Err(fail(io::Error::other(format!(
                        "hardlink target `{target_name}` is a directory"
                    ))));
                }
                if tpath == path {
                    return Ok(true);
                }
                if existing.is_some() {
                    remove_any(&path).map_err(fail)?;
                }
                std::fs::hard_link(&tpath, &path).map_err(fail)?;
                self.set_xattrs(XattrTarget::Path(&path), &xattrs, &name)?;
            }
            _ => {
                // Regular files (and anything else with data): never written through a link.
                if existing.is_some() {
                    remove_any(&path).map_err(fail)?;
                }
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(fail)?;
                copy_chunks(entry, &mut file).map_err(|e| match e.kind() {
                    io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                        ExtractError::Read(e)
                    }
                    _ => fail(e),
                })?;
                if self.chown {
                    std::os::unix::fs::fchown(&file, Some(uid), Some(gid)).map_err(fail)?;
                }
                file.set_permissions(std::fs::Permissions::from_mode(mode))
                    .map_err(fail)?;
                // After the chown, which would clear a file capability.
                self.set_xattrs(XattrTarget::File(&file), &xattrs, &name)?;
                let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime.max(0) as u64);
                file.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
                    .map_err(fail)?;
            }
        }
        created.insert(path);
        Ok(true)
    }

    /// Writes kept xattrs. A filesystem without xattr support, or a user not allowed to set
    /// one (`security.capability` needs root), costs a warning per name, not the get.
    fn set_xattrs(
        &mut self,
        target: XattrTarget<'_>,
        xattrs: &[(String, Vec<u8>)],
        entry: &str,
    ) -> Result<(), ExtractError> {
        use rustix::io::Errno;
        for (name, value) in xattrs {
            let flags = rustix::fs::XattrFlags::empty();
            let result = match target {
                XattrTarget::File(f) => rustix::fs::fsetxattr(f, name.as_str(), value, flags),
                XattrTarget::Path(p) => rustix::fs::lsetxattr(p, name.as_str(), value, flags),
            };
            match result {
                Ok(()) => {}
                Err(e @ (Errno::NOTSUP | Errno::PERM | Errno::ACCESS)) => {
                    if self.xattr_warned.insert(name.clone()) {
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

    fn chown_path(&self, path: &Path, uid: u32, gid: u32) -> io::Result<()> {
        if self.chown {
            std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
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
    ) -> Result<PathBuf, ExtractError> {
        self.resolve(comps, create, entry)?
            .ok_or_else(|| ExtractError::Tree {
                entry: entry.to_string(),
                detail: "parent directory missing".into(),
            })
    }

    fn resolve_existing_dir(
        &self,
        comps: &[OsString],
        entry: &str,
    ) -> Result<Option<PathBuf>, ExtractError> {
        self.resolve(comps, false, entry)
    }

    fn resolve(
        &self,
        comps: &[OsString],
        create: bool,
        entry: &str,
    ) -> Result<Option<PathBuf>, ExtractError> {
        let escape = |why: String| ExtractError::Escape {
            entry: entry.to_string(),
            why,
        };
        let mut stack: Vec<OsString> = Vec::new();
        let mut queue: VecDeque<OsString> = comps.iter().cloned().collect();
        let mut hops = 0;
        while let Some(c) = queue.pop_front() {
            if c == ".." {
                if stack.pop().is_none() {
                    return Err(escape("a symlink leads above the root".into()));
                }
                continue;
            }
            if c == "." || c.is_empty() {
                continue;
            }
            let mut here = self.root.clone();
            here.extend(&stack);
            here.push(&c);
            match std::fs::symlink_metadata(&here) {
                Ok(m) if m.file_type().is_symlink() => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(escape("too many symlinks".into()));
                    }
                    let target =
                        std::fs::read_link(&here).map_err(|source| ExtractError::Write {
                            entry: entry.to_string(),
                            source,
                        })?;
                    if target.is_absolute() {
                        stack.clear();
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
                }
                Ok(m) if m.is_dir() => stack.push(c),
                Ok(_) => {
                    return Err(ExtractError::Tree {
                        entry: entry.to_string(),
                        detail: format!("`{}` is not a directory", here.display()),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if !create {
                        return Ok(None);
                    }
                    std::fs::create_dir(&here).map_err(|source| ExtractError::Write {
                        entry: entry.to_string(),
                        source,
                    })?;
                    stack.push(c);
                }
                Err(source) => {
                    return Err(ExtractError::Write {
                        entry: entry.to_string(),
                        source,
                    })
                }
            }
        }
        let mut out = self.root.clone();
        out.extend(&stack);
        Ok(Some(out))
    }
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

fn remove_any(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            // Make it writable first: a read-only directory from a lower layer.
            make_writable(path);
            std::fs::remove_dir_all(path)
        }
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn make_writable(dir: &Path) {
    if let Ok(m) = std::fs::symlink_metadata(dir) {
        if m.is_dir() {
            let _ =
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(m.mode() | 0o700));
            if let Ok(rd) = std::fs::read_dir(dir) {
                for e in rd.flatten() {
                    make_writable(&e.path());
                }
            }
        }
    }
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
