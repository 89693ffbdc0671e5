//! Stanzas (paragraphs of `Key: value` lines) read one at a time from a stream, each line and
//! stanza within a bound: `Packages` indexes (deb822) and `APKINDEX` (`K:value`).

use std::io::{BufRead, Read};

/// Longest line read (Debian's longest `Packages` lines, `Depends` of meta-packages: ~10 KB).
pub(crate) const MAX_LINE: usize = 64 * 1024;
/// Largest stanza read, continuation lines included (a Debian stanza: ~2 KB; the largest ~100 KB).
pub(crate) const MAX_STANZA: usize = 1024 * 1024;

/// Why a stanza could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StanzaError {
    /// The stream failed (or broke off, or passed its bound).
    #[error("line {line}")]
    Read {
        /// The line being read.
        line: u64,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line longer than [`MAX_LINE`].
    #[error("line {line}: longer than {MAX_LINE} bytes")]
    LongLine {
        /// Its number.
        line: u64,
    },
    /// A stanza larger than [`MAX_STANZA`].
    #[error("line {line}: a stanza larger than {MAX_STANZA} bytes")]
    BigStanza {
        /// The line it passed the bound at.
        line: u64,
    },
}

/// Reads stanzas from `reader`. Only the first line of each field is kept (continuation lines
/// are counted, not stored): memory is one stanza's field lines, at most [`MAX_STANZA`].
pub(crate) struct Stanzas<R> {
    reader: R,
    /// The field lines of the current stanza, `\n`-terminated.
    text: Vec<u8>,
    line: Vec<u8>,
    line_no: u64,
    /// Whether field names compare case-insensitively (deb822) or exactly (apk: `P:` ≠ `p:`).
    fold_case: bool,
}

/// One stanza's field lines.
pub(crate) struct Stanza<'a> {
    text: &'a [u8],
    fold_case: bool,
}

impl Stanza<'_> {
    /// The value of the first field named `key`, trimmed; `None` when absent or not UTF-8.
    pub(crate) fn field(&self, key: &str) -> Option<&str> {
        self.text.split(|&b| b == b'\n').find_map(|line| {
            let colon = line.iter().position(|&b| b == b':')?;
            let (k, v) = (line[..colon].trim_ascii(), &line[colon + 1..]);
            let same = if self.fold_case {
                k.eq_ignore_ascii_case(key.as_bytes())
            } else {
                k == key.as_bytes()
            };
            same.then(|| std::str::from_utf8(v.trim_ascii()).ok())
                .flatten()
        })
    }
}

impl<R: BufRead> Stanzas<R> {
    /// deb822 stanzas (field names case-insensitive, continuation lines).
    pub(crate) fn deb822(reader: R) -> Stanzas<R> {
        Stanzas::new(reader, true)
    }

    /// `APKINDEX` stanzas (one-letter field names, case-sensitive).
    pub(crate) fn apk(reader: R) -> Stanzas<R> {
        Stanzas::new(reader, false)
    }

    fn new(reader: R, fold_case: bool) -> Stanzas<R> {
        Stanzas {
            reader,
            text: Vec::new(),
            line: Vec::new(),
            line_no: 0,
            fold_case,
        }
    }

    /// The next stanza; `None` at the end of the stream.
    pub(crate) fn next_stanza(&mut self) -> Result<Option<Stanza<'_>>, StanzaError> {
        self.text.clear();
        let mut size = 0usize;
        loop {
            let more = self.read_line()?;
            let blank = self.line.iter().all(u8::is_ascii_whitespace);
            if blank {
                if !self.text.is_empty() {
                    break;
                }
                if !more {
                    return Ok(None);
                }
                continue;
            }
            size += self.line.len() + 1;
            if size > MAX_STANZA {
                return Err(StanzaError::BigStanza { line: self.line_no });
            }
            if !self.line.starts_with(b" ") && !self.line.starts_with(b"\t") {
                self.text.extend_from_slice(&self.line);
                self.text.push(b'\n');
            }
            if !more {
                break;
            }
        }
        Ok(Some(Stanza {
            text: &self.text,
            fold_case: self.fold_case,
        }))
    }

    /// Reads one line into `self.line` (without its `\n` / `\r\n`); `false` at the end of the
    /// stream (the line, if any, is the last).
    fn read_line(&mut self) -> Result<bool, StanzaError> {
        self.line.clear();
        self.line_no += 1;
        let line_no = self.line_no;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(StanzaError::Read {
                        line: line_no,
                        source,
                    })
                }
            };
            if buf.is_empty() {
                return Ok(false);
            }
            let (take, end) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if self.line.len() + take > MAX_LINE {
                return Err(StanzaError::LongLine { line: line_no });
            }
            self.line.extend_from_slice(&buf[..take]);
            self.reader.consume(take + usize::from(end));
            if end {
                if self.line.last() == Some(&b'\r') {
                    self.line.pop();
                }
                return Ok(true);
            }
        }
    }
}

/// A reader that fails once more than `limit` bytes came through it (a decompression bomb).
pub(crate) struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Bounded<R> {
    /// `inner`, at most `limit` bytes of it.
    pub(crate) fn new(inner: R, limit: u64) -> Bounded<R> {
        Bounded {
            inner,
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more than allowed means the stream is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!(
                    "more than {} bytes once decompressed",
                    self.limit
                ))),
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = Vec<(Option<String>, Option<String>)>;

    fn all(text: &[u8], fold: bool) -> Result<Pairs, StanzaError> {
        let mut s = Stanzas::new(std::io::BufReader::with_capacity(7, text), fold);
        let mut out = Vec::new();
        while let Some(st) = s.next_stanza()? {
            out.push((
                st.field("Package").or(st.field("P")).map(str::to_string),
                st.field("Version").or(st.field("V")).map(str::to_string),
            ));
        }
        Ok(out)
    }

    #[test]
    fn stanzas_are_read_one_at_a_time_continuations_skipped() {
        let text = b"\n\nPackage: a\nDescription: x\n more\n .\nversion: 1\r\n\r\n \nPackage: b\nVersion: 2";
        let got = all(text, true).unwrap();
        assert_eq!(
            got,
            [
                (Some("a".into()), Some("1".into())),
                (Some("b".into()), Some("2".into()))
            ]
        );
        // apk: case matters (`p:` is provides, not the name).
        let got = all(b"p:so:x\nP:musl\nV:1.2-r0\n\nP:zlib\nV:1.3-r1\n", false).unwrap();
        assert_eq!(got[0], (Some("musl".into()), Some("1.2-r0".into())));
        assert_eq!(got[1], (Some("zlib".into()), Some("1.3-r1".into())));
        assert!(all(b"", true).unwrap().is_empty());
    }

    #[test]
    fn lines_and_stanzas_are_bounded() {
        let mut long = b"Package: a\nDescription: ".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_LINE));
        assert!(matches!(
            all(&long, true),
            Err(StanzaError::LongLine { line: 2 })
        ));
        let mut big = b"Package: a\n".to_vec();
        for _ in 0..(MAX_STANZA / 1000 + 1) {
            big.push(b' ');
            big.extend(std::iter::repeat_n(b'y', 999));
            big.push(b'\n');
        }
        assert!(matches!(
            all(&big, true),
            Err(StanzaError::BigStanza { .. })
        ));
        // Both bounds are per line / per stanza: many of them are fine.
        let many = b"Package: a\nVersion: 1\n\n".repeat(50_000);
        assert_eq!(all(&many, true).unwrap().len(), 50_000);
    }

    #[test]
    fn bounded_readers_refuse_more_than_their_limit() {
        let mut out = Vec::new();
        Bounded::new(&b"12345"[..], 5)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"12345");
        let e = Bounded::new(&b"123456"[..], 5)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("more than 5 bytes"), "{e}");
    }
}
