//! Content digests (`sha256:…`): parsing, hashing while reading, verification.

use sha2::{Digest as _, Sha256, Sha512};
use std::fmt;
use std::str::FromStr;

/// A validated `algorithm:hex` content digest (sha256 or sha512).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Algorithm {
    Sha256,
    Sha512,
}

/// Why a string is not a digest.
#[derive(Debug, thiserror::Error)]
#[error("invalid digest `{input}`: {reason}")]
pub struct DigestError {
    input: String,
    reason: &'static str,
}

impl Digest {
    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest {
            algorithm: Algorithm::Sha256,
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// The digest of `bytes` computed with this digest's algorithm.
    pub fn same_algorithm_of(&self, bytes: &[u8]) -> Digest {
        let mut h = self.hasher();
        h.update(bytes);
        h.finish()
    }

    /// A streaming hasher with this digest's algorithm.
    pub fn hasher(&self) -> Hasher {
        match self.algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Box::new(Sha512::new())),
        }
    }

    /// The hex part, as used for blob file names.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The algorithm name (`sha256`).
    pub fn algorithm(&self) -> &'static str {
        match self.algorithm {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
}

/// Incremental hasher matching a [`Digest`]'s algorithm.
pub enum Hasher {
    /// sha256 state.
    Sha256(Sha256),
    /// sha512 state (boxed: it is large).
    Sha512(Box<Sha512>),
}

impl Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything fed so far.
    pub fn finish(self) -> Digest {
        match self {
            Hasher::Sha256(h) => Digest {
                algorithm: Algorithm::Sha256,
                hex: hex::encode(h.finalize()),
            },
            Hasher::Sha512(h) => Digest {
                algorithm: Algorithm::Sha512,
                hex: hex::encode(h.finalize()),
            },
        }
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| DigestError {
            input: s.chars().take(100).collect(),
            reason,
        };
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| err("expected `sha256:<64 hex digits>`"))?;
        let (algorithm, len) = match alg {
            "sha256" => (Algorithm::Sha256, 64),
            "sha512" => (Algorithm::Sha512, 128),
            _ => return Err(err("unsupported algorithm (sha256 or sha512)")),
        };
        if hex.len() != len
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(err("wrong length or not lowercase hex"));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm(), self.hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl schemars::JsonSchema for Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Digest".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$"
        })
    }
    fn inline_schema() -> bool {
        true
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        assert_eq!(d.to_string(), format!("sha256:{}", "a".repeat(64)));
        assert!("sha256:abc".parse::<Digest>().is_err());
        assert!(format!("md5:{}", "a".repeat(64)).parse::<Digest>().is_err());
        assert!(format!("sha256:{}", "A".repeat(64))
            .parse::<Digest>()
            .is_err());
        assert!("latest".parse::<Digest>().is_err());
    }

    #[test]
    fn hashes_known_value() {
        assert_eq!(
            Digest::sha256_of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

/// Hashes and counts what passes through; at end of stream, fails with `InvalidData` unless the
/// bytes match the expected digest and size. Reading past the expected size fails at once.
pub(crate) struct VerifyingReader<R> {
    inner: R,
    expected: Digest,
    size: Option<u64>,
    hasher: Option<Hasher>,
    read: u64,
    what: String,
}

/// The verification failure carried inside the `io::Error`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum VerifyError {
    /// Wrong content.
    #[error("{what}: content has digest {actual}, expected {expected}")]
    Digest {
        /// What was read.
        what: String,
        /// Its digest.
        actual: String,
        /// The digest asked for.
        expected: String,
    },
    /// Wrong length.
    #[error("{what}: {read} bytes, expected {size}")]
    Size {
        /// What was read.
        what: String,
        /// Bytes seen.
        read: u64,
        /// Bytes announced.
        size: u64,
    },
}

impl<R: std::io::Read> VerifyingReader<R> {
    /// Wraps `inner`; `what` names the content in errors (`repo@sha256:…`).
    pub(crate) fn new(inner: R, expected: &Digest, size: Option<u64>, what: String) -> Self {
        VerifyingReader {
            inner,
            hasher: Some(expected.hasher()),
            expected: expected.clone(),
            size,
            read: 0,
            what,
        }
    }

    /// Bytes read so far.
    pub(crate) fn bytes_read(&self) -> u64 {
        self.read
    }
}

impl<R: std::io::Read> std::io::Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bad = |e: VerifyError| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        if n > 0 {
            self.read += n as u64;
            if let Some(size) = self.size {
                if self.read > size {
                    return Err(bad(VerifyError::Size {
                        what: self.what.clone(),
                        read: self.read,
                        size,
                    }));
                }
            }
            if let Some(h) = self.hasher.as_mut() {
                h.update(&buf[..n]);
            }
            return Ok(n);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(h) = self.hasher.take() {
            if let Some(size) = self.size.filter(|s| *s != self.read) {
                return Err(bad(VerifyError::Size {
                    what: self.what.clone(),
                    read: self.read,
                    size,
                }));
            }
            let actual = h.finish();
            if actual != self.expected {
                return Err(bad(VerifyError::Digest {
                    what: self.what.clone(),
                    actual: actual.to_string(),
                    expected: self.expected.to_string(),
                }));
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
mod verify_tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn verifies_at_end_of_stream() {
        let good = Digest::sha256_of(b"hello");
        let mut ok = VerifyingReader::new(&b"hello"[..], &good, Some(5), "x".into());
        let mut out = Vec::new();
        ok.read_to_end(&mut out).unwrap();
        let mut bad = VerifyingReader::new(&b"hellO"[..], &good, Some(5), "x".into());
        let e = bad.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("expected sha256:"), "{e}");
        let mut long = VerifyingReader::new(&b"hello!"[..], &good, Some(5), "x".into());
        assert!(long.read_to_end(&mut Vec::new()).is_err());
    }
}
