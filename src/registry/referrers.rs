//! OCI 1.1 referrers: the referrers API (`GET /v2/<name>/referrers/<digest>`, paged, bounded),
//! the tag names of the fallback schemas, and manifest PUTs that say whether the registry took
//! a `subject` (`OCI-Subject`).

use super::request::{drain, status_error};
use super::tags::same_host_path;
use super::{Client, RegistryError, Repository, MAX_MANIFEST_BYTES};
use crate::digest::Digest;
use crate::net::{next_link, Body};
use std::collections::BTreeMap;

/// Referrers of one digest read at most (a list that never ends is an error).
pub const MAX_REFERRERS: usize = 10_000;

/// Pages of a referrers answer followed at most.
const MAX_REFERRER_PAGES: usize = 100;

/// A descriptor of a referrers list (an index's `manifests` entry).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Descriptor {
    /// The manifest's media type.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// The artifact's type (`artifactType`, else its config's media type).
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    /// The manifest's annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The referrers tag schema's tag for `digest`: `sha256-<hex>`.
pub fn schema_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm(), digest.hex())
}

/// The `manifests` of an index document (a referrers answer or a tag-schema index).
pub fn index_descriptors(bytes: &[u8]) -> Result<Vec<Descriptor>, String> {
    #[derive(serde::Deserialize)]
    struct Index {
        #[serde(default)]
        manifests: Vec<Descriptor>,
    }
    serde_json::from_slice::<Index>(bytes)
        .map(|i| i.manifests)
        .map_err(|e| format!("not a valid image index: {e}"))
}

impl Client {
    /// The referrers of `digest` by the referrers API, filtered by `artifact_type` (by the
    /// registry when it says it applied the filter, else here); `None` when the registry does
    /// not offer the API (a 404, as the distribution spec has it, or a 405).
    pub async fn referrers(
        &self,
        repo: &Repository,
        digest: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Option<Vec<Descriptor>>, RegistryError> {
        let mut next = Some(match artifact_type {
            Some(t) => {
                let q = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("artifactType", t)
                    .finish();
                format!("/v2/{}/referrers/{digest}?{q}", repo.path())
            }
            None => format!("/v2/{}/referrers/{digest}", repo.path()),
        });
        let scopes = [format!("repository:{}:pull", repo.path())];
        let mut found: Vec<Descriptor> = Vec::new();
        let mut seen: std::collections::HashSet<Digest> = std::collections::HashSet::new();
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            let resp = self
                .path_request(
                    repo,
                    "GET",
                    &path,
                    &[("Accept", "application/vnd.oci.image.index.v1+json")],
                    &scopes,
                    Body::Empty,
                )
                .await?;
            match resp.status {
                200 => {}
                404 | 405 if pages == 1 => {
                    drain(resp).await;
                    return Ok(None);
                }
                _ => return Err(status_error("GET", resp).await),
            }
            let url = resp.url.clone();
            let filtered = resp
                .header("OCI-Filters-Applied")
                .is_some_and(|f| f.split(',').any(|x| x.trim() == "artifactType"));
            let link = resp.header("Link").and_then(next_link);
            let body = resp.read_limited(MAX_MANIFEST_BYTES).await?;
            let page = index_descriptors(&body).map_err(|detail| RegistryError::BadResponse {
                url: url.clone(),
                detail,
            })?;
            // Entries not seen on an earlier page (whether the filter keeps them or not).
            let (mut fresh, empty) = (0, page.is_empty());
            for d in page {
                if !seen.insert(d.digest.clone()) {
                    continue;
                }
                fresh += 1;
                let keep =
                    filtered || artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t));
                if keep {
                    found.push(d);
                }
            }
            if seen.len() > MAX_REFERRERS {
                return Err(RegistryError::BadResponse {
                    url,
                    detail: format!("more than {MAX_REFERRERS} referrers"),
                });
            }
            next = match link {
                // A page of nothing new pointing further: a loop, not more referrers.
                Some(_) if fresh == 0 && !empty => {
                    crate::log::warn(format_args!(
                        "referrers at {url} repeat themselves; stopping"
                    ));
                    None
                }
                Some(target) if pages < MAX_REFERRER_PAGES => same_host_path(&url, &target),
                Some(_) => {
                    return Err(RegistryError::BadResponse {
                        url,
                        detail: format!("more than {MAX_REFERRER_PAGES} pages of referrers"),
                    })
                }
                None => None,
            };
        }
        Ok(Some(found))
    }

    /// PUTs manifest bytes unchanged under `reference`; `true` when the registry answered
    /// `OCI-Subject` (it indexed the manifest's `subject`: no tag-schema index needed).
    pub async fn put_manifest_with_subject(
        &self,
        repo: &Repository,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<bool, RegistryError> {
        let path = format!("/v2/{}/manifests/{reference}", repo.path());
        let scopes = [format!("repository:{}:push,pull", repo.path())];
        let resp = self
            .path_request(
                repo,
                "PUT",
                &path,
                &[("Content-Type", media_type)],
                &scopes,
                Body::Bytes(bytes),
            )
            .await?;
        match resp.status {
            200 | 201 | 204 => {
                let subject = resp.header("OCI-Subject").is_some();
                drain(resp).await;
                Ok(subject)
            }
            _ => Err(status_error("PUT", resp).await),
        }
    }
}
