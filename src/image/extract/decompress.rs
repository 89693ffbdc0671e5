//! Layer decompression: gzip (multi-member, CRC left to the digest check), zstd, or plain.

use std::io::{self, BufRead, BufReader, Read};

/// The size of the chunks a layer stream is read, handed over and written in.
pub(super) const CHUNK: usize = 256 * 1024;

/// Wraps a raw layer stream in the decompressor its first bytes call for (gzip, zstd, plain).
pub(crate) fn decompress<'a, R: Read + 'a>(raw: R) -> io::Result<Box<dyn Read + 'a>> {
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
