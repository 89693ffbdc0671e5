//! Write-then-rename: a file replaced whole or not at all, through a temporary sibling that is never opened through a link.

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Fresh temporary names tried before giving up (a taken name is another writer's file, or
/// something planted: never opened, another name is drawn).
const NAME_ATTEMPTS: u32 = 128;

/// Longest part of the destination's name kept in the temporary name (a server-given name may
/// be as long as a name can be: the temporary one must still fit).
const NAME_STEM_BYTES: usize = 64;

/// Random characters in a temporary name.
const RANDOM_CHARS: usize = 10;

/// Read size of [`AtomicFile::copy_from`]: the memory a streamed write holds.
const COPY_CHUNK: usize = 256 * 1024;

/// How an [`AtomicFile`] is created and committed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriteOptions {
    /// Mode the temporary file is created with (before the umask); the file keeps it.
    mode: u32,
    /// `fsync` before the rename.
    sync: bool,
}

impl WriteOptions {
    /// Mode 0666 (what the umask leaves of it), no `fsync`: what every writer did so far but
    /// `image.tar`.
    pub(crate) const DEFAULT: WriteOptions = WriteOptions {
        mode: 0o666,
        sync: false,
    };

    /// Created with `mode` instead (before the umask).
    pub(crate) const fn mode(self, mode: u32) -> WriteOptions {
        WriteOptions { mode, ..self }
    }

    /// Synced to disk (`fsync`) before the rename.
    pub(crate) const fn synced(self) -> WriteOptions {
        WriteOptions { sync: true, ..self }
    }
}

/// Why a streamed write failed: reading the source, or writing the file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CopyError {
    /// The reader failed (a body that broke off, bytes that miss their hash).
    #[error(transparent)]
    Read(io::Error),
    /// The temporary file could not be created or written (a full disk).
    #[error(transparent)]
    Write(io::Error),
}

impl From<CopyError> for io::Error {
    fn from(e: CopyError) -> io::Error {
        match e {
            CopyError::Read(e) | CopyError::Write(e) => e,
        }
    }
}

/// A file written under a temporary name beside its destination and renamed over it by
/// [`AtomicFile::commit`]: the destination is replaced whole or not at all. The temporary file
/// is created `O_CREAT | O_EXCL | O_NOFOLLOW` under an unpredictable hidden name
/// (`.<name>.<random>.uptick-tmp`), so nothing planted there (a link to another file) is ever
/// opened; it is removed when the write fails or the value is dropped uncommitted. Creation,
/// rename and removal all go through one handle on the directory, so they happen in the same
/// directory even if its path is swapped meanwhile.
pub(crate) struct AtomicFile {
    dir: OwnedFd,
    name: OsString,
    tmp: OsString,
    tmp_path: PathBuf,
    file: File,
    sync: bool,
}

impl AtomicFile {
    /// A temporary file beside `path` (its directory opened as its path says, as before).
    pub(crate) fn create(path: &Path, options: WriteOptions) -> io::Result<AtomicFile> {
        let dir_path = parent(path);
        let dir = rustix::fs::openat(
            rustix::fs::CWD,
            dir_path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{}` names no file", path.display()),
            )
        })?;
        Self::create_at(dir, dir_path, name, options)
    }

    /// A temporary file for `name` in the directory `dir` (a handle already opened, without
    /// following links where that matters); `dir_path` is where it is, for messages.
    pub(crate) fn create_in(
        dir: BorrowedFd<'_>,
        dir_path: &Path,
        name: &OsStr,
        options: WriteOptions,
    ) -> io::Result<AtomicFile> {
        Self::create_at(dir.try_clone_to_owned()?, dir_path, name, options)
    }

    fn create_at(
        dir: OwnedFd,
        dir_path: &Path,
        name: &OsStr,
        options: WriteOptions,
    ) -> io::Result<AtomicFile> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mode = Mode::from_raw_mode(options.mode);
        let mut attempts = 0;
        loop {
            let tmp = temp_name(name);
            match rustix::fs::openat(&dir, &tmp, flags, mode) {
                Ok(fd) => {
                    return Ok(AtomicFile {
                        tmp_path: dir_path.join(&tmp),
                        dir,
                        name: name.to_os_string(),
                        tmp,
                        file: File::from(fd),
                        sync: options.sync,
                    })
                }
                Err(Errno::EXIST) if attempts < NAME_ATTEMPTS => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Where the temporary file is.
    pub(crate) fn temp_path(&self) -> &Path {
        &self.tmp_path
    }

    /// Streams `reader` into the file, [`COPY_CHUNK`] bytes at a time; the number of bytes.
    pub(crate) fn copy_from(&mut self, reader: &mut dyn Read) -> Result<u64, CopyError> {
        let mut buf = vec![0u8; COPY_CHUNK];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(CopyError::Read(e)),
            };
            self.write_all(&buf[..n]).map_err(CopyError::Write)?;
            total += n as u64;
        }
    }

    /// Syncs the file when asked to, then renames it over the destination. On failure the
    /// temporary file is removed (with `self`) and the destination is as it was.
    pub(crate) fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.sync {
            self.file.sync_all()?;
        }
        rustix::fs::renameat(&self.dir, &self.tmp, &self.dir, &self.name)?;
        // Renamed: nothing left to remove on drop.
        self.tmp.clear();
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.is_empty() {
            let _ = rustix::fs::unlinkat(self.dir.as_fd(), &self.tmp, AtFlags::empty());
        }
    }
}

/// Writes `bytes` to `path` atomically through an [`AtomicFile`] (mode 0666 less the umask, no
/// `fsync`): a failed write (a full disk) removes the temporary file; `path` is then as it was.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path, WriteOptions::DEFAULT)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Streams `reader` to `path` atomically through an [`AtomicFile`]: the file appears only once
/// the reader ended without error (a verifying reader's last check included). The bytes
/// written.
pub(crate) fn write_file_from(
    path: &Path,
    reader: &mut dyn Read,
    options: WriteOptions,
) -> Result<u64, CopyError> {
    let mut file = AtomicFile::create(path, options).map_err(CopyError::Write)?;
    let n = file.copy_from(reader)?;
    file.commit().map_err(CopyError::Write)?;
    Ok(n)
}

/// `path`'s directory (`.` for a bare name).
pub(super) fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `.<name>.<random>.uptick-tmp`, `name` cut to [`NAME_STEM_BYTES`].
fn temp_name(name: &OsStr) -> OsString {
    let stem = &name.as_bytes()[..name.len().min(NAME_STEM_BYTES)];
    let mut tmp = Vec::with_capacity(stem.len() + RANDOM_CHARS + 13);
    tmp.push(b'.');
    tmp.extend_from_slice(stem);
    tmp.push(b'.');
    tmp.extend_from_slice(random_chars().as_bytes());
    tmp.extend_from_slice(b".uptick-tmp");
    OsString::from_vec(tmp)
}

/// [`RANDOM_CHARS`] letters and digits no other process can predict: SipHash under the
/// standard library's per-process random keys, of a counter and the time.
fn random_chars() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    let mut n = hasher.finish();
    (0..RANDOM_CHARS)
        .map(|_| {
            let c = ALPHABET[(n % 62) as usize];
            n /= 62;
            char::from(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_committed_file_replaces_the_destination_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, "old").unwrap();
        let mut file = AtomicFile::create(&path, WriteOptions::DEFAULT.synced()).unwrap();
        file.write_all(b"new").unwrap();
        let tmp = file.temp_path().to_path_buf();
        let tmp_name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(tmp_name.starts_with(".out.") && tmp_name.ends_with(".uptick-tmp"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        file.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(listing(dir.path()), ["out"]);
    }

    #[test]
    fn a_dropped_or_failed_write_leaves_the_destination_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, "old").unwrap();
        let mut file = AtomicFile::create(&path, WriteOptions::DEFAULT).unwrap();
        file.write_all(b"partial").unwrap();
        drop(file);
        let failing = &mut io::Cursor::new(b"abc".to_vec()).chain(FailingReader);
        let got = write_file_from(&path, failing, WriteOptions::DEFAULT);
        assert!(matches!(got, Err(CopyError::Read(_))), "{got:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(listing(dir.path()), ["out"]);
    }

    struct FailingReader;

    impl Read for FailingReader {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("broke off"))
        }
    }

    #[test]
    fn streams_and_bytes_get_the_mode_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![7u8; COPY_CHUNK * 2 + 5];
        let path = dir.path().join("big");
        let n = write_file_from(&path, &mut &big[..], WriteOptions::DEFAULT.mode(0o600)).unwrap();
        assert_eq!(n, big.len() as u64);
        assert_eq!(std::fs::read(&path).unwrap(), big);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        write_file(&dir.path().join("small"), b"x").unwrap();
        assert_eq!(std::fs::read(dir.path().join("small")).unwrap(), b"x");
    }

    #[test]
    fn temporary_names_are_hidden_bounded_and_differ() {
        let long = OsString::from("n".repeat(255));
        let a = temp_name(&long);
        let b = temp_name(&long);
        assert_ne!(a, b);
        assert!(a.len() < 100, "{a:?}");
        assert!(a.as_bytes().starts_with(b".nnn"));
    }

    #[test]
    fn a_link_at_the_destination_is_replaced_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let path = dir.path().join("out");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        write_file(&path, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }
}
