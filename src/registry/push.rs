//! Pushing: blob presence, cross-repository mounts, monolithic uploads with a chunked fallback,
//! manifest PUTs of exact bytes.

use super::request::{drain, status_error};
use super::{Body, Client, RegistryError, Repository};
use crate::digest::Digest;
use crate::log;

/// Chunk size of the PATCH fallback (GHCR caps a request at 4 MiB).
pub(crate) const UPLOAD_CHUNK: u64 = 4 * 1024 * 1024;

/// What happened to a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlobOutcome {
    /// The repository had it already.
    Present,
    /// Mounted from another repository of the same registry (no bytes moved).
    Mounted,
    /// Uploaded.
    Uploaded,
}

/// A blob to push from a file.
pub(crate) struct PushBlob<'a> {
    /// Its digest.
    pub digest: &'a Digest,
    /// The file holding it.
    pub file: &'a std::path::Path,
    /// Its size.
    pub size: u64,
    /// Repositories of the same registry to try a mount from, in turn.
    pub mount_from: &'a [Repository],
    /// Whether to ask first if the repository has it (false: this run knows it has not).
    pub head: bool,
    /// Whether to hash the file while it is sent (false: the caller verified it).
    pub verify: bool,
}

/// The digest of the first `size` bytes of `file`, in the algorithm of `like`.
fn hash_file(file: &std::path::Path, size: u64, like: &Digest) -> std::io::Result<Digest> {
    use std::io::Read;
    let mut f = std::fs::File::open(file)?.take(size);
    let mut h = like.hasher();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
    }
    Ok(h.finish())
}

enum Start {
    Mounted,
    Session(String),
}

impl Client {
    fn push_scopes(repo: &Repository, from: Option<&Repository>) -> Vec<String> {
        // The push scope first: some registries read only the first.
        let mut scopes = vec![format!("repository:{}:push,pull", repo.path())];
        if let Some(src) = from.filter(|s| *s != repo) {
            scopes.push(format!("repository:{}:pull", src.path()));
        }
        scopes
    }

    /// Whether `repo` has the blob (HEAD).
    pub(crate) async fn blob_exists(
        &self,
        repo: &Repository,
        digest: &Digest,
    ) -> Result<bool, RegistryError> {
        let path = format!("/v2/{}/blobs/{digest}", repo.path());
        let resp = self
            .path_request(
                repo,
                "HEAD",
                &path,
                &[],
                &Self::push_scopes(repo, None),
                Body::Empty,
            )
            .await?;
        match resp.status {
            200 => {
                drain(resp).await;
                Ok(true)
            }
            404 => {
                drain(resp).await;
                Ok(false)
            }
            _ => Err(status_error("HEAD", resp).await),
        }
    }

    async fn start_upload(
        &self,
        repo: &Repository,
        mount: Option<(&Digest, &Repository)>,
    ) -> Result<Start, RegistryError> {
        let mut path = format!("/v2/{}/blobs/uploads/", repo.path());
        if let Some((digest, from)) = mount {
            path.push_str(&format!("?mount={digest}&from={}", from.path()));
        }
        let scopes = Self::push_scopes(repo, mount.map(|(_, f)| f));
        let resp = self
            .path_request(repo, "POST", &path, &[], &scopes, Body::Empty)
            .await?;
        match resp.status {
            201 if mount.is_some() => {
                drain(resp).await;
                Ok(Start::Mounted)
            }
            202 => {
                let location = resp.header("Location").map(str::to_string);
                let url = resp.url.clone();
                drain(resp).await;
                location
                    .map(Start::Session)
                    .ok_or(RegistryError::BadResponse {
                        url,
                        detail: "upload session without a Location".into(),
                    })
            }
            _ => Err(status_error("POST", resp).await),
        }
    }

    /// Tries a cross-repository mount; `false` when the registry declined (a 202, which is not
    /// an error: the session it opened is simply not used).
    pub(crate) async fn mount_blob(
        &self,
        repo: &Repository,
        digest: &Digest,
        from: &Repository,
    ) -> Result<bool, RegistryError> {
        match self.start_upload(repo, Some((digest, from))).await? {
            Start::Mounted => Ok(true),
            Start::Session(_) => {
                log::debug(|| format!("{repo}: mount of {digest} from {from} declined"));
                Ok(false)
            }
        }
    }

    /// Makes sure `repo` has the blob: present (HEAD, unless `blob.head` is false because this
    /// run already knows it is absent), else mounted from one of `blob.mount_from` in turn, else
    /// uploaded from the file. With `blob.verify`, the file is hashed while it is sent and a
    /// digest other than the blob's breaks the upload off before its last byte: the error names
    /// the blob, and the registry never holds the content.
    pub(crate) async fn push_blob(
        &self,
        repo: &Repository,
        blob: &PushBlob<'_>,
    ) -> Result<BlobOutcome, RegistryError> {
        if blob.head && self.blob_exists(repo, blob.digest).await? {
            return Ok(BlobOutcome::Present);
        }
        let session = match self.mount_or_open(repo, blob).await? {
            Start::Mounted => return Ok(BlobOutcome::Mounted),
            Start::Session(loc) => loc,
        };
        if self.put_whole(repo, blob, &session).await? {
            return Ok(BlobOutcome::Uploaded);
        }
        if blob.verify {
            // Chunks are separate requests: the file is checked whole before the first.
            check_file(blob).await?;
        }
        self.upload_chunked(repo, blob.digest, blob.file, blob.size)
            .await?;
        Ok(BlobOutcome::Uploaded)
    }

    /// A mount from each of `blob.mount_from` in turn, else an upload session: the one the last
    /// declined mount opened, or a new one.
    async fn mount_or_open(
        &self,
        repo: &Repository,
        blob: &PushBlob<'_>,
    ) -> Result<Start, RegistryError> {
        let digest = blob.digest;
        let mut session = None;
        for from in blob.mount_from.iter().filter(|f| *f != repo) {
            match self.start_upload(repo, Some((digest, from))).await? {
                Start::Mounted => return Ok(Start::Mounted),
                Start::Session(loc) => {
                    log::debug(|| format!("{repo}: mount of {digest} from {from} declined"));
                    // The session a declined mount opened is the upload's (the last one).
                    session = Some(loc);
                }
            }
        }
        match session {
            Some(loc) => Ok(Start::Session(loc)),
            None => self.start_upload(repo, None).await,
        }
    }

    /// The monolithic upload of the file to `session`, hashed while it is sent with
    /// `blob.verify`; `false` when the registry refused it as too large (a 413: chunks next).
    async fn put_whole(
        &self,
        repo: &Repository,
        blob: &PushBlob<'_>,
        session: &str,
    ) -> Result<bool, RegistryError> {
        let digest = blob.digest;
        let scopes = Self::push_scopes(repo, None);
        let hashed = blob.verify.then(|| crate::net::Hashed::new(digest));
        let body = Body::File {
            path: blob.file,
            offset: 0,
            len: blob.size,
            hashed: hashed.as_ref(),
        };
        let put = self
            .path_request(
                repo,
                "PUT",
                &with_digest(session, digest),
                &[("Content-Type", "application/octet-stream")],
                &scopes,
                body,
            )
            .await;
        let mismatch = || {
            let actual = hashed.as_ref()?.mismatch()?;
            Some(RegistryError::DigestMismatch {
                url: format!("blob {digest} ({})", blob.file.display()),
                expected: digest.to_string(),
                actual: actual.to_string(),
            })
        };
        let put = match put {
            Ok(put) => put,
            Err(e) => return Err(mismatch().unwrap_or(e)),
        };
        match put.status {
            201 | 204 => {
                drain(put).await;
                Ok(true)
            }
            413 => {
                drain(put).await;
                log::info(format_args!(
                    "{repo}: monolithic upload of {digest} refused (413); uploading in chunks"
                ));
                Ok(false)
            }
            _ => {
                if let Some(e) = mismatch() {
                    drain(put).await;
                    return Err(e);
                }
                Err(status_error("PUT", put).await)
            }
        }
    }

    async fn upload_chunked(
        &self,
        repo: &Repository,
        digest: &Digest,
        file: &std::path::Path,
        size: u64,
    ) -> Result<(), RegistryError> {
        let Start::Session(mut location) = self.start_upload(repo, None).await? else {
            return Ok(());
        };
        let scopes = Self::push_scopes(repo, None);
        let mut offset = 0;
        while offset < size {
            let len = UPLOAD_CHUNK.min(size - offset);
            let range = format!("{}-{}", offset, offset + len - 1);
            let resp = self
                .path_request(
                    repo,
                    "PATCH",
                    &location,
                    &[
                        ("Content-Type", "application/octet-stream"),
                        ("Content-Range", &range),
                    ],
                    &scopes,
                    Body::File {
                        path: file,
                        offset,
                        len,
                        hashed: None,
                    },
                )
                .await?;
            if resp.status != 202 {
                return Err(status_error("PATCH", resp).await);
            }
            if let Some(next) = resp.header("Location") {
                location = next.to_string();
            }
            drain(resp).await;
            offset += len;
        }
        let resp = self
            .path_request(
                repo,
                "PUT",
                &with_digest(&location, digest),
                &[],
                &scopes,
                Body::Empty,
            )
            .await?;
        match resp.status {
            201 | 204 => {
                drain(resp).await;
                Ok(())
            }
            _ => Err(status_error("PUT", resp).await),
        }
    }

    /// PUTs manifest bytes unchanged under `reference` (a tag or their digest).
    pub(crate) async fn put_manifest(
        &self,
        repo: &Repository,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(), RegistryError> {
        let path = format!("/v2/{}/manifests/{reference}", repo.path());
        let resp = self
            .path_request(
                repo,
                "PUT",
                &path,
                &[("Content-Type", media_type)],
                &Self::push_scopes(repo, None),
                Body::Bytes(bytes),
            )
            .await?;
        match resp.status {
            200 | 201 | 204 => {
                drain(resp).await;
                Ok(())
            }
            _ => Err(status_error("PUT", resp).await),
        }
    }
}

/// Hashes the blob's file whole: a digest other than the blob's is an error naming it.
async fn check_file(blob: &PushBlob<'_>) -> Result<(), RegistryError> {
    let (digest, file, size) = (blob.digest, blob.file, blob.size);
    let (path, like) = (file.to_path_buf(), digest.clone());
    let actual = crate::net::blocking(move || hash_file(&path, size, &like))
        .await
        .map_err(|e| RegistryError::BadResponse {
            url: format!("blob {digest} ({})", file.display()),
            detail: e.to_string(),
        })?;
    if actual != *digest {
        return Err(RegistryError::DigestMismatch {
            url: format!("blob {digest} ({})", file.display()),
            expected: digest.to_string(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// An upload `Location` (absolute or relative, query kept) with `digest=` added.
fn with_digest(location: &str, digest: &Digest) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={digest}")
}
