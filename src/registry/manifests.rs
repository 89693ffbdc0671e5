//! Manifests by tag or digest: the digest from a HEAD, else a GET hashed only when the body is a
//! whole manifest; every manifest read is verified against the digest it is asked by.

use super::request::{drain, status_error};
use super::{Client, RegistryError, Repository};
use crate::digest::Digest;
use crate::log;
use crate::net::{self, Response};

/// The four manifest media types, all sent in `Accept` (ACR and Docker Hub need them).
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Largest manifest accepted (the distribution spec's limit is 4 MiB).
pub(crate) const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// A manifest read from the registry, verified against its digest.
#[derive(Clone, Debug)]
pub(crate) struct Manifest {
    /// `Content-Type` (or the document's own `mediaType`).
    pub media_type: String,
    /// The exact bytes served.
    pub bytes: Vec<u8>,
    /// Their digest.
    pub digest: Digest,
}

impl Client {
    pub(super) async fn manifest_request(
        &self,
        repo: &Repository,
        method: &str,
        reference: &str,
    ) -> Result<Response, RegistryError> {
        let suffix = format!("manifests/{reference}");
        self.repo_request(
            repo,
            method,
            &suffix,
            &[("Accept", MANIFEST_ACCEPT)],
            "pull",
        )
        .await
    }

    /// The digest `reference` (tag or digest) points at, or `None` when it does not exist.
    /// HEAD first; GET-and-hash when HEAD fails or carries no `Docker-Content-Digest`.
    pub(crate) async fn manifest_digest(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<Option<Digest>, RegistryError> {
        let resp = self.manifest_request(repo, "HEAD", reference).await?;
        match resp.status {
            200 => {
                let announced = resp
                    .header("Docker-Content-Digest")
                    .and_then(|d| d.trim().parse::<Digest>().ok());
                drain(resp).await;
                match announced {
                    Some(d) if reference.parse::<Digest>().map_or(true, |r| r == d) => {
                        return Ok(Some(d))
                    }
                    _ => log::debug(|| {
                        format!("HEAD {reference}: no usable Docker-Content-Digest; reading the manifest")
                    }),
                }
            }
            404 => return Ok(None),
            // Still failing after the retries: the registry is in trouble, a GET would fare no
            // better. Anything else (405, a HEAD-less proxy) falls back to GET.
            408 | 429 | 500 | 502 | 503 | 504 => return Err(status_error("HEAD", resp).await),
            _ => drain(resp).await,
        }
        Ok(self.get_manifest(repo, reference).await?.map(|m| m.digest))
    }

    /// Reads a manifest by tag or digest, verified; `None` when it does not exist.
    pub(crate) async fn get_manifest(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<Option<Manifest>, RegistryError> {
        net::retry_truncated(|| self.get_manifest_once(repo, reference)).await
    }

    pub(super) async fn get_manifest_once(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<Option<Manifest>, RegistryError> {
        let resp = self.manifest_request(repo, "GET", reference).await?;
        match resp.status {
            200 => {}
            404 => {
                drain(resp).await;
                return Ok(None);
            }
            _ => return Err(status_error("GET", resp).await),
        }
        let url = resp.url.clone();
        let content_type = resp
            .header("Content-Type")
            .map(|s| s.split(';').next().unwrap_or_default().trim().to_string());
        let announced = resp
            .header("Docker-Content-Digest")
            .and_then(|d| d.trim().parse::<Digest>().ok());
        let bytes = resp.read_limited(MAX_MANIFEST_BYTES).await?;
        let expected = reference.parse::<Digest>().ok().or(announced);
        let digest = match expected {
            Some(exp) => {
                let actual = exp.same_algorithm_of(&bytes);
                if actual != exp {
                    return Err(RegistryError::DigestMismatch {
                        url,
                        expected: exp.to_string(),
                        actual: actual.to_string(),
                    });
                }
                actual
            }
            None => Digest::sha256_of(&bytes),
        };
        // Only a whole manifest is hashed or trusted: a body cut short (or any other document)
        // must never become a version's digest.
        if !looks_like_manifest(&bytes) {
            return Err(RegistryError::BadResponse {
                url,
                detail: "the answer is not an image manifest or index".into(),
            });
        }
        let media_type = content_type
            .filter(|t| t.starts_with("application/vnd."))
            .or_else(|| media_type_of(&bytes))
            .unwrap_or_default();
        Ok(Some(Manifest {
            media_type,
            bytes,
            digest,
        }))
    }
}

/// Whether `bytes` are a JSON manifest or index (schema 2, or a schema 1 manifest).
pub(super) fn looks_like_manifest(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "schemaVersion")]
        schema_version: u32,
        config: Option<serde::de::IgnoredAny>,
        manifests: Option<serde::de::IgnoredAny>,
        #[serde(rename = "fsLayers")]
        fs_layers: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| {
        matches!(p.schema_version, 1 | 2)
            && (p.config.is_some() || p.manifests.is_some() || p.fs_layers.is_some())
    })
}

pub(super) fn media_type_of(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Probe>(bytes).ok()?.media_type
}
