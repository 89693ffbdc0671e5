//! An index file downloaded into an unnamed temporary file while hashed, checked against the
//! size and SHA256 its signed list gives, then read back decompressed as a stream.

use super::stanza::Bounded;
use crate::packages::{Fetcher, PackageError};
use sha2::Digest as _;
use std::io::Seek;
use std::io::{Read, Write as _};

/// Largest index file once decompressed (Debian bookworm main/amd64 `Packages`: 46 MB).
pub(crate) const MAX_TEXT_BYTES: u64 = 512 * 1024 * 1024;
/// Largest `.xz` index file read, by the uncompressed size its xz index declares: lzma-rs
/// decodes a block whole in memory (Debian bookworm main/amd64 `Packages`: 46 MB).
pub(crate) const MAX_XZ_TEXT: u64 = 128 * 1024 * 1024;
/// Largest xz index (the block list at the end of the stream) read: 16 bytes or so a block.
const MAX_XZ_INDEX: u64 = 1024 * 1024;
/// Decompressed bytes handed from the xz thread to the reader at a time.
const CHUNK: usize = 64 * 1024;

/// `url`'s body in an unnamed temporary file, verified to be `size` bytes (at most `limit`)
/// with SHA256 `sha256` (hex); rewound.
pub(crate) fn download_verified(
    fetcher: &Fetcher,
    url: &str,
    sha256: &str,
    size: u64,
    limit: u64,
) -> Result<std::fs::File, PackageError> {
    let bad = |detail: String| PackageError::Malformed {
        url: url.to_string(),
        detail,
    };
    if size > limit {
        return Err(bad(format!(
            "{size} bytes in the Release file: more than the {limit} read"
        )));
    }
    let resp = crate::net::block_on(crate::net::streaming(fetcher.http.send(
        "GET",
        url,
        &[],
        None,
        crate::net::Body::Empty,
    )))
    .map_err(|e| PackageError::Net(e.into_error()))?;
    match resp.status {
        200 => {}
        404 => {
            return Err(bad(
                "listed in the Release file but not there (HTTP 404)".into()
            ))
        }
        status => return Err(bad(format!("HTTP {status}"))),
    }
    let disk = |source: std::io::Error| PackageError::Disk {
        path: "an unnamed temporary file".into(),
        source,
    };
    let mut file = tempfile::tempfile().map_err(disk)?;
    let mut body = resp.into_reader().take(size + 1);
    let mut hash = sha2::Sha256::new();
    let mut got = 0u64;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(bad(format!("reading the body: {e}"))),
        };
        hash.update(&buf[..n]);
        got += n as u64;
        file.write_all(&buf[..n]).map_err(disk)?;
    }
    let got_hash = hex::encode(hash.finalize());
    if got != size || !got_hash.eq_ignore_ascii_case(sha256) {
        let shown = if got > size {
            format!("more than {size}")
        } else {
            got.to_string()
        };
        return Err(bad(format!(
            "SHA256 {got_hash} ({shown} bytes) is not the Release file's {sha256} ({size} bytes); not trusting it"
        )));
    }
    file.rewind().map_err(disk)?;
    Ok(file)
}

/// The decompressed text of index file `path` (`.xz`, `.gz`, or plain) from `file`, as a
/// stream of at most [`MAX_TEXT_BYTES`] bytes; an `.xz` file whose xz index declares more than
/// [`MAX_XZ_TEXT`] (or that has none) is refused before it is decompressed.
pub(crate) fn decompressed(path: &str, mut file: std::fs::File) -> std::io::Result<Box<dyn Read>> {
    if path.ends_with(".xz") {
        let declared = xz_declared_size(&mut file)?;
        if declared > MAX_XZ_TEXT {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("xz: {declared} bytes once decompressed: more than the {MAX_XZ_TEXT} read"),
            ));
        }
        file.rewind()?;
    }
    let file = std::io::BufReader::with_capacity(CHUNK, file);
    let raw: Box<dyn Read> = if path.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else if path.ends_with(".xz") {
        Box::new(XzReader::start(file))
    } else {
        Box::new(file)
    };
    Ok(Box::new(Bounded::new(raw, MAX_TEXT_BYTES)))
}

/// The uncompressed size an xz file's index (the list of blocks before the stream footer)
/// declares, summed over its blocks.
fn xz_declared_size(file: &mut std::fs::File) -> std::io::Result<u64> {
    use std::io::SeekFrom;
    let bad = |what: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not xz: {what}"))
    };
    let len = file.seek(SeekFrom::End(0))?;
    if len < 24 {
        return Err(bad("too short"));
    }
    let mut footer = [0u8; 12];
    file.seek(SeekFrom::Start(len - 12))?;
    file.read_exact(&mut footer)?;
    if &footer[10..] != b"YZ" {
        return Err(bad("no stream footer"));
    }
    let backward = u64::from(u32::from_le_bytes([
        footer[4], footer[5], footer[6], footer[7],
    ]));
    let index_size = (backward + 1) * 4;
    if index_size > MAX_XZ_INDEX || index_size > len - 24 {
        return Err(bad("an index larger than the file allows"));
    }
    let mut index = vec![0u8; index_size as usize];
    file.seek(SeekFrom::Start(len - 12 - index_size))?;
    file.read_exact(&mut index)?;
    let mut at = index.iter().copied();
    if at.next() != Some(0) {
        return Err(bad("no index indicator"));
    }
    let mut varint = || -> std::io::Result<u64> {
        let mut v = 0u64;
        for shift in (0..63).step_by(7) {
            let b = at.next().ok_or_else(|| bad("a broken index"))?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("a broken index"))
    };
    let records = varint()?;
    let mut total = 0u64;
    for _ in 0..records {
        let _unpadded = varint()?;
        total = total.saturating_add(varint()?);
    }
    Ok(total)
}

type Chunk = std::io::Result<Vec<u8>>;

/// An xz stream decompressed on its own thread (lzma-rs decompresses into a writer), handed
/// over in [`CHUNK`]s through a channel two deep. lzma-rs decodes each xz block whole before
/// writing it: memory is the largest block's text (a single-threaded `xz` writes one block),
/// which is why `.gz` is preferred. Dropping the reader stops the thread.
struct XzReader {
    rx: std::sync::mpsc::Receiver<Chunk>,
    chunk: Vec<u8>,
    at: usize,
    ended: bool,
}

struct ChannelWriter {
    tx: std::sync::mpsc::SyncSender<Chunk>,
    buf: Vec<u8>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
            self.tx
                .send(Ok(full))
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl XzReader {
    fn start(mut input: impl std::io::BufRead + Send + 'static) -> XzReader {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(2);
        std::thread::spawn(move || {
            let mut out = ChannelWriter {
                tx,
                buf: Vec::with_capacity(CHUNK),
            };
            let last = match lzma_rs::xz_decompress(&mut input, &mut out) {
                Ok(()) => Ok(std::mem::take(&mut out.buf)),
                Err(e) => Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("not xz: {e}"),
                )),
            };
            // The reader may be gone (it stopped early): nothing to tell.
            let _ = out.tx.send(last);
        });
        XzReader {
            rx,
            chunk: Vec::new(),
            at: 0,
            ended: false,
        }
    }
}

impl Read for XzReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                // The thread sends its last chunk (or error) before it ends.
                Err(_) => self.ended = true,
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> std::fs::File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f.rewind().unwrap();
        f
    }

    #[test]
    fn an_xz_file_declaring_more_than_the_bound_is_refused_before_decompression() {
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut &b"Package: a\n"[..], &mut xz).unwrap();
        let mut f = file(&xz);
        assert_eq!(xz_declared_size(&mut f).unwrap(), 11);
        // A stream whose index declares 2^35 bytes: refused before any decompression.
        let mut lying = vec![0u8; 12];
        lying.extend([
            0x00, 0x01, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0,
        ]);
        lying.extend([0u8; 4]); // the index's CRC32 (not read)
        lying.extend([0, 0, 0, 0, 3, 0, 0, 0, 0, 0, b'Y', b'Z']);
        assert_eq!(xz_declared_size(&mut file(&lying)).unwrap(), 1 << 35);
        let e = decompressed("P.xz", file(&lying)).err().unwrap();
        assert!(e.to_string().contains("more than the"), "{e}");
        lying.truncate(lying.len() - 2);
        assert!(xz_declared_size(&mut file(&lying)).is_err());
    }

    #[test]
    fn xz_gz_and_plain_files_read_as_streams() {
        let text: Vec<u8> = b"Package: a\nVersion: 1\n\n".repeat(20_000);
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut &text[..], &mut xz).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        let gz = gz.finish().unwrap();
        for (path, bytes) in [("P.xz", xz.clone()), ("P.gz", gz), ("P", text.clone())] {
            let mut out = Vec::new();
            decompressed(path, file(&bytes))
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, text, "{path}");
        }
        let e = decompressed("P.xz", file(b"not xz at all, not at all"))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("not xz"), "{e}");
        // A footer and index that look right over a broken stream: the decoder says so.
        let mut broken = xz.clone();
        broken[20] ^= 0xff;
        broken[21] ^= 0xff;
        let e = decompressed("P.xz", file(&broken))
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().starts_with("not xz"), "{e}");
        // A reader dropped early stops the thread (no hang, no panic).
        let mut r = decompressed("P.xz", file(&xz)).unwrap();
        let mut first = [0u8; 10];
        r.read_exact(&mut first).unwrap();
        drop(r);
    }
}
