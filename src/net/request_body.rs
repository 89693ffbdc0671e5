//! Request bodies: empty, bytes, or a file range streamed and, when asked, hashed on its way out.

use super::error::NetError;
use std::sync::Mutex;

/// A request body; re-sendable (a 401 retry or a redirect sends it again).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Body<'a> {
    /// No body (`Content-Length: 0` on methods that carry one).
    Empty,
    /// Bytes in memory (manifests).
    Bytes(&'a [u8]),
    /// `len` bytes of a file from `offset` (blobs, streamed, never held in memory).
    File {
        /// The file.
        path: &'a std::path::Path,
        /// Where to start.
        offset: u64,
        /// How many bytes.
        len: u64,
        /// Hashed as it is sent, the last bytes held back until the digest is known (see
        /// [`Hashed`]).
        hashed: Option<&'a Hashed>,
    },
}

/// A file body checked while it is sent: its bytes are hashed on their way out and the last
/// chunk is released only when the whole digest matches; otherwise the body breaks off before
/// its end (the server never sees a complete upload) and the digest found is kept here.
#[derive(Debug)]
pub(crate) struct Hashed {
    expected: crate::digest::Digest,
    found: std::sync::Arc<Mutex<Option<crate::digest::Digest>>>,
}

impl Hashed {
    /// A check against `expected`.
    pub(crate) fn new(expected: &crate::digest::Digest) -> Hashed {
        Hashed {
            expected: expected.clone(),
            found: std::sync::Arc::default(),
        }
    }

    /// The digest a send found, when it was not the expected one.
    pub(crate) fn mismatch(&self) -> Option<crate::digest::Digest> {
        self.found.lock().ok()?.clone()
    }

    /// A stream of `len` bytes from `reader` that hashes as it goes and fails instead of
    /// yielding the last chunk when the digest differs.
    fn stream<R: tokio::io::AsyncRead + Send + 'static>(
        &self,
        reader: R,
        len: u64,
    ) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
        use futures_util::StreamExt;
        let expected = self.expected.clone();
        let found = self.found.clone();
        let mut hasher = Some(expected.hasher());
        let mut sent = 0u64;
        tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024).map(move |chunk| {
            let chunk = chunk?;
            sent += chunk.len() as u64;
            if let Some(h) = hasher.as_mut() {
                h.update(&chunk);
            }
            if sent >= len {
                if let Some(h) = hasher.take() {
                    let actual = h.finish();
                    if actual != expected {
                        if let Ok(mut f) = found.lock() {
                            *f = Some(actual.clone());
                        }
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("content has digest {actual}, expected {expected}"),
                        ));
                    }
                }
            }
            Ok(chunk)
        })
    }
}

impl Body<'_> {
    /// A fresh reqwest body: files are opened again for every send.
    pub(super) async fn build(&self) -> Result<reqwest::Body, NetError> {
        Ok(match *self {
            Body::Empty => reqwest::Body::from(Vec::new()),
            Body::Bytes(b) => reqwest::Body::from(b.to_vec()),
            Body::File {
                path,
                offset,
                len,
                hashed,
            } => {
                use tokio::io::{AsyncReadExt, AsyncSeekExt};
                let unreadable = |e: std::io::Error| NetError::Read {
                    url: path.display().to_string(),
                    detail: e.to_string(),
                };
                let mut f = tokio::fs::File::open(path).await.map_err(unreadable)?;
                f.seek(std::io::SeekFrom::Start(offset))
                    .await
                    .map_err(unreadable)?;
                match hashed {
                    Some(h) => reqwest::Body::wrap_stream(h.stream(f.take(len), len)),
                    None => reqwest::Body::wrap_stream(
                        tokio_util::io::ReaderStream::with_capacity(f.take(len), 256 * 1024),
                    ),
                }
            }
        })
    }
}
