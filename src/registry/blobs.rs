//! Blobs by digest: streams verified over the whole (resumed with `Range` when they break off),
//! and small blobs (configs) read whole and verified.

use super::request::status_error;
use super::{Client, RegistryError, Repository};
use crate::digest::{Digest, VerifyingReader};
use crate::log;
use crate::net;

impl Client {
    /// Streams a blob; the reader fails at end of stream unless the bytes match `digest` (and
    /// `size`, when known), and fails at once past `size`.
    pub(crate) async fn blob_reader(
        &self,
        repo: &Repository,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<VerifyingReader<Box<dyn std::io::Read + Send + Sync>>, RegistryError> {
        let resp =
            net::streaming(self.repo_request(repo, "GET", &format!("blobs/{digest}"), &[], "pull"))
                .await?;
        if resp.status != 200 {
            return Err(status_error("GET", resp).await);
        }
        let what = format!("{repo}@{digest}");
        let resuming = Resuming {
            client: self.clone(),
            repo: repo.clone(),
            digest: digest.clone(),
            size,
            url: resp.url.clone(),
            inner: resp.into_reader(),
            pos: 0,
            resumes: 0,
        };
        Ok(VerifyingReader::new(Box::new(resuming), digest, size, what))
    }

    /// Reads a small blob (an image config) whole, verified against `digest`.
    pub(crate) async fn get_blob_small(
        &self,
        repo: &Repository,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        net::retry_truncated(|| self.get_blob_small_once(repo, digest, limit)).await
    }

    pub(super) async fn get_blob_small_once(
        &self,
        repo: &Repository,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let resp = self
            .repo_request(repo, "GET", &format!("blobs/{digest}"), &[], "pull")
            .await?;
        if resp.status != 200 {
            return Err(status_error("GET", resp).await);
        }
        let url = resp.url.clone();
        let bytes = resp.read_limited(limit).await?;
        let actual = digest.same_algorithm_of(&bytes);
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                url,
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}

/// Times a broken blob stream is picked up again.
const BLOB_RESUMES: u32 = 3;

/// A blob stream that, when the connection breaks (or ends short of the known size), asks for
/// the rest with `Range: bytes=<offset>-` and carries on; the digest is still checked over the
/// whole (the caller's `VerifyingReader`). A server ignoring `Range` is read past the offset.
struct Resuming {
    client: Client,
    repo: Repository,
    digest: Digest,
    size: Option<u64>,
    url: String,
    inner: Box<dyn std::io::Read + Send + Sync + 'static>,
    pos: u64,
    resumes: u32,
}

impl Resuming {
    fn reopen(&mut self, why: &str) -> std::io::Result<()> {
        self.resumes += 1;
        log::info(format_args!(
            "reading {} broke off at {} bytes ({why}); resuming {}/{BLOB_RESUMES}",
            self.url, self.pos, self.resumes
        ));
        std::thread::sleep(std::time::Duration::from_millis(
            200 * u64::from(self.resumes),
        ));
        let range = format!("bytes={}-", self.pos);
        // Read on a blocking thread (extraction): wait for the answer on the runtime.
        let resp = net::block_on(net::streaming(self.client.repo_request(
            &self.repo,
            "GET",
            &format!("blobs/{}", self.digest),
            &[("Range", &range)],
            "pull",
        )))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        match resp.status {
            206 => {
                let expected = format!("bytes {}-", self.pos);
                if !resp
                    .header("Content-Range")
                    .is_some_and(|r| r.trim().starts_with(&expected))
                {
                    return Err(std::io::Error::other(format!(
                        "{}: 206 answer does not start at byte {}",
                        resp.url, self.pos
                    )));
                }
                self.inner = resp.into_reader();
            }
            200 => {
                let mut inner = resp.into_reader();
                let skipped = std::io::copy(
                    &mut std::io::Read::take(&mut inner, self.pos),
                    &mut std::io::sink(),
                )?;
                if skipped != self.pos {
                    return Err(std::io::Error::other("blob shorter on the second read"));
                }
                self.inner = inner;
            }
            _ => {
                let e = net::block_on(status_error("GET", resp));
                return Err(std::io::Error::other(e.to_string()));
            }
        }
        Ok(())
    }
}

impl std::io::Read for Resuming {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(0) if !buf.is_empty() && self.size.is_some_and(|s| self.pos < s) => {
                    if self.resumes >= BLOB_RESUMES {
                        return Ok(0);
                    }
                    self.reopen("ended early")?;
                }
                Ok(n) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if self.resumes >= BLOB_RESUMES {
                        return Err(e);
                    }
                    self.reopen(&e.to_string())?;
                }
            }
        }
    }
}
