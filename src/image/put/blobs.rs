//! The blobs of a push into the target repository: a local image's uploaded, a promotion's
//! copied from its source (present, else mounted, else streamed through).

use super::local::{self, LocalImage};
use super::{Doc, Docs};
use crate::digest::Digest;
use crate::image::ImageError;
use crate::log;
use crate::registry::push::{BlobOutcome, PushBlob};
use crate::registry::{Client, Repository};

/// Blob uploads in flight at once: every layer of a usual image overlaps.
const PUSH_CONCURRENCY: usize = 6;

/// Pushes the blobs of a local image: each file read once (hashed while it is sent), all
/// uploads overlapping within the limit; a blob this user pushed to another repository of the
/// registry is mounted from there without a HEAD first.
pub(super) async fn push_local(
    client: &Client,
    repo: &Repository,
    image: &LocalImage,
) -> Result<(), ImageError> {
    let digests: Vec<&Digest> = image.blobs.iter().map(|b| &b.digest).collect();
    let holders = crate::registry::blobcache::holders(repo, &digests);
    let jobs: Vec<(&local::Blob, Vec<Repository>)> = image.blobs.iter().zip(holders).collect();
    let outcomes = crate::net::concurrently(&jobs, PUSH_CONCURRENCY, |(blob, from)| async move {
        client
            .push_blob(
                repo,
                &PushBlob {
                    digest: &blob.digest,
                    file: &blob.path,
                    size: blob.size,
                    mount_from: from,
                    head: from.is_empty(),
                    verify: !blob.verified,
                },
            )
            .await
    })
    .await?;
    let (mut present, mut mounted, mut uploaded, mut bytes) = (0, 0, 0, 0u64);
    for (blob, outcome) in image.blobs.iter().zip(outcomes) {
        match outcome {
            BlobOutcome::Present => present += 1,
            BlobOutcome::Mounted => mounted += 1,
            BlobOutcome::Uploaded => {
                uploaded += 1;
                bytes += blob.size;
            }
        }
    }
    crate::registry::blobcache::remember(repo, &digests);
    log::info(format_args!(
        "{repo}: {uploaded} blobs uploaded ({bytes} bytes), {mounted} mounted, {present} already there"
    ));
    Ok(())
}

/// Blobs of a promotion from another repository: present, else mounted (same registry), else
/// streamed through a verified temporary file.
pub(super) async fn copy_remote(
    client: &Client,
    repo: &Repository,
    origin: &(Repository, Client),
    docs: &Docs,
) -> Result<(), ImageError> {
    let src_repo = &origin.0;
    let images: Vec<&Doc> = if docs.children.is_empty() {
        vec![&docs.top]
    } else {
        docs.children.iter().collect()
    };
    let mut digests: Vec<(Digest, u64)> = Vec::new();
    for doc in images {
        let image = crate::image::manifest::parse_image(
            &crate::registry::Manifest {
                media_type: doc.media_type.clone(),
                bytes: doc.bytes.clone(),
                digest: doc.digest.clone(),
            },
            &format!("{src_repo}@{}", doc.digest),
        )?;
        for d in std::iter::once(&image.config).chain(image.layers.iter()) {
            if !digests.iter().any(|(x, _)| *x == d.digest) {
                digests.push((d.digest.clone(), d.size));
            }
        }
    }
    copy_blobs(client, repo, origin, &digests).await
}

/// Blobs `digests` from `origin` into `repo`: present, else mounted (same registry), else
/// streamed through a verified temporary file.
pub(super) async fn copy_blobs(
    client: &Client,
    repo: &Repository,
    origin: &(Repository, Client),
    digests: &[(Digest, u64)],
) -> Result<(), ImageError> {
    let (src_repo, src_client) = origin;
    let same_registry = src_repo.registry() == repo.registry();
    let (mut present, mut mounted, mut copied, mut bytes) = (0, 0, 0, 0u64);
    // Blobs pass through a private directory (mode 0700, random name): nothing another user
    // of a shared `$TMPDIR` planted there (a link to a file of ours) is ever opened.
    let mut private: Option<crate::fsutil::PrivateDir> = None;
    for (digest, size) in digests {
        if client.blob_exists(repo, digest).await? {
            present += 1;
            continue;
        }
        if same_registry && client.mount_blob(repo, digest, src_repo).await? {
            mounted += 1;
            continue;
        }
        let dir = match &private {
            Some(d) => d,
            None => private.insert(crate::image::private_temp_dir()?),
        };
        let tmp = dir.path().join(digest.hex());
        let result = async {
            let mut reader = src_client
                .blob_reader(src_repo, digest, Some(*size))
                .await?;
            let mut f = crate::fsutil::create_new(&tmp).map_err(|source| ImageError::Io {
                path: tmp.display().to_string(),
                source,
            })?;
            crate::net::blocking(move || std::io::copy(&mut reader, &mut f))
                .await
                .map_err(|source| ImageError::Layer {
                    digest: digest.to_string(),
                    source,
                })?;
            // Absent (HEADed above) and verified as it was read: no HEAD, no second hash.
            client
                .push_blob(
                    repo,
                    &PushBlob {
                        digest,
                        file: &tmp,
                        size: *size,
                        mount_from: &[],
                        head: false,
                        verify: false,
                    },
                )
                .await?;
            Ok::<(), ImageError>(())
        }
        .await;
        let _ = std::fs::remove_file(&tmp);
        result?;
        copied += 1;
        bytes += size;
    }
    let all: Vec<&Digest> = digests.iter().map(|(d, _)| d).collect();
    crate::registry::blobcache::remember(repo, &all);
    log::info(format_args!(
        "{repo}: {mounted} blobs mounted, {copied} copied ({bytes} bytes), {present} already there"
    ));
    Ok(())
}
