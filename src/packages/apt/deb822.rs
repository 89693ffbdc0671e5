//! deb822 documents (`Packages` indexes): stanzas read one at a time, continuation lines joined,
//! the index decompressed within a bound.

use std::io::Read as _;

/// Largest `Packages` file once decompressed (bookworm main/amd64: 46 MB).
const MAX_PACKAGES_TEXT: u64 = 512 * 1024 * 1024;

/// Calls `f` with each stanza of a deb822 document that `wanted` accepts (given the stanza's
/// raw bytes), as (field, value) pairs with continuation lines joined; stanzas `wanted`
/// refuses are skipped without being parsed.
pub(super) fn for_each_stanza(
    text: &[u8],
    wanted: impl Fn(&[u8]) -> bool,
    mut f: impl FnMut(&[(String, String)]),
) {
    let blank = |l: &[u8]| l.iter().all(|b| b.is_ascii_whitespace());
    let mut start: Option<usize> = None;
    let mut pos = 0;
    let mut emit = |chunk: &[u8]| {
        if !wanted(chunk) {
            return;
        }
        let mut stanza: Vec<(String, String)> = Vec::new();
        for raw in chunk.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_end_matches('\r');
            if line.starts_with([' ', '\t']) {
                if let Some(last) = stanza.last_mut() {
                    last.1.push('\n');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                stanza.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        f(&stanza);
    };
    for raw in text.split(|&b| b == b'\n') {
        let end = pos + raw.len();
        if blank(raw) {
            if let Some(s) = start.take() {
                emit(&text[s..pos]);
            }
        } else if start.is_none() {
            start = Some(pos);
        }
        pos = (end + 1).min(text.len());
    }
    if let Some(s) = start {
        emit(&text[s..]);
    }
}

/// Whether a stanza's raw bytes have the line `Package: <name>`.
pub(super) fn names_package(chunk: &[u8], name: &str) -> bool {
    chunk.split(|&b| b == b'\n').any(|line| {
        line.strip_prefix(b"Package:")
            .is_some_and(|v| v.trim_ascii() == name.as_bytes())
    })
}

/// A writer that refuses more than its limit.
pub(super) struct Limited {
    out: Vec<u8>,
    limit: u64,
}

impl std::io::Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() as u64 + buf.len() as u64 > self.limit {
            return Err(std::io::Error::other("larger than the limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why a `Packages` file could not be decompressed.
#[derive(Debug, thiserror::Error)]
pub(super) enum DecompressError {
    /// Not a gzip stream (or one that breaks off).
    #[error("not gzip")]
    Gzip(#[source] std::io::Error),
    /// Not an xz stream.
    #[error("not xz")]
    Xz(#[source] lzma_rs::error::Error),
    /// Over [`MAX_PACKAGES_TEXT`] once decompressed.
    #[error("more than {MAX_PACKAGES_TEXT} bytes once decompressed")]
    TooBig,
}

/// The text of a `Packages` file named `path` (`.gz`, `.xz`, or plain), at most
/// [`MAX_PACKAGES_TEXT`] bytes.
pub(super) fn decompress(path: &str, bytes: &[u8]) -> Result<Vec<u8>, DecompressError> {
    if path.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(MAX_PACKAGES_TEXT + 1)
            .read_to_end(&mut out)
            .map_err(DecompressError::Gzip)?;
        if out.len() as u64 > MAX_PACKAGES_TEXT {
            return Err(DecompressError::TooBig);
        }
        Ok(out)
    } else if path.ends_with(".xz") {
        let mut w = Limited {
            out: Vec::new(),
            limit: MAX_PACKAGES_TEXT,
        };
        match lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut w) {
            Ok(()) => Ok(w.out),
            Err(_) if w.out.len() as u64 + 65536 > MAX_PACKAGES_TEXT => {
                Err(DecompressError::TooBig)
            }
            Err(e) => Err(DecompressError::Xz(e)),
        }
    } else {
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packages_file_that_is_not_its_compression_keeps_the_cause() {
        use std::error::Error as _;
        let e = decompress("main/binary-amd64/Packages.gz", b"not gzip at all").unwrap_err();
        assert!(matches!(e, DecompressError::Gzip(_)), "{e:?}");
        assert_eq!(e.to_string(), "not gzip");
        assert!(e.source().is_some(), "the gzip reader's error is kept");
        let e = decompress("main/binary-amd64/Packages.xz", b"\xfd7zXZ\0 broken").unwrap_err();
        assert!(matches!(e, DecompressError::Xz(_)), "{e:?}");
        assert_eq!(
            decompress("Packages", b"Package: a\n").unwrap(),
            b"Package: a\n"
        );
    }

    #[test]
    fn stanzas_join_continuations() {
        let mut s = Vec::new();
        for_each_stanza(
            b"Package: a\nDescription: x\n more\n\n\nPackage: b\r\nVersion: 1\r\n\nPackage: c\n",
            |raw| !names_package(raw, "c"),
            |st| s.push(st.to_vec()),
        );
        assert_eq!(s.len(), 2);
        assert!(names_package(
            b"Version: 1\nPackage:  libssl3 \r\n",
            "libssl3"
        ));
        assert!(!names_package(b"Package: libssl3-dev\n", "libssl3"));
        assert_eq!(s[0][1].1, "x\nmore");
        assert_eq!(s[1][1], ("Version".to_string(), "1".to_string()));
    }
}
