//! OCI 1.1 referrers: the referrers API (`GET /v2/<name>/referrers/<digest>`, paged, read within
//! the caller's bounds), the tag names of the fallback schemas, and manifest PUTs that say
//! whether the registry took a `subject` (`OCI-Subject`).

use super::request::{drain, status_error};
use super::tags::same_host_path;
use super::{Client, RegistryError, Repository, MAX_MANIFEST_BYTES};
use crate::digest::Digest;
use crate::net::{next_link, Body};
use std::collections::BTreeMap;

/// Referrers of one digest read at most (a list that never ends is an error).
pub(crate) const MAX_REFERRERS: usize = 10_000;

/// Pages of a referrers answer followed at most.
const MAX_REFERRER_PAGES: usize = 100;

/// A descriptor of a referrers list (an index's `manifests` entry).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub(crate) struct Descriptor {
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
pub(crate) fn schema_tag(digest: &Digest) -> String {
    format!("{}-{}", digest.algorithm(), digest.hex())
}

/// The `manifests` of an index document (a referrers answer or a tag-schema index).
pub(crate) fn index_descriptors(bytes: &[u8]) -> Result<Vec<Descriptor>, String> {
    #[derive(serde::Deserialize)]
    struct Index {
        #[serde(default)]
        manifests: Vec<Descriptor>,
    }
    serde_json::from_slice::<Index>(bytes)
        .map(|i| i.manifests)
        .map_err(|e| format!("not a valid image index: {e}"))
}

/// How much of a referrers answer to read: stop once more than `count` descriptors are kept or
/// more than `bytes` of pages are read (the pages past either are not asked for).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ListBounds {
    /// Descriptors kept (after the `artifactType` filter).
    pub count: usize,
    /// Bytes of answer pages read.
    pub bytes: u64,
}

/// One referrers answer, as far as it was read.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// The descriptors, each digest once, in the registry's order.
    pub descriptors: Vec<Descriptor>,
    /// Bytes of answer pages read.
    pub bytes: u64,
    /// `false` when a bound of [`ListBounds`] stopped the reading (there may be more).
    pub complete: bool,
}

impl Client {
    /// The referrers of `digest` by the referrers API, filtered by `artifact_type` (by the
    /// registry when it says it applied the filter, else here), read within `bounds`; `None`
    /// when the registry does not offer the API (a 404, as the distribution spec has it, or a
    /// 405).
    pub(crate) async fn referrers(
        &self,
        repo: &Repository,
        digest: &Digest,
        artifact_type: Option<&str>,
        bounds: ListBounds,
    ) -> Result<Option<Listing>, RegistryError> {
        let mut next = Some(first_page_path(repo, digest, artifact_type));
        let scopes = [format!("repository:{}:pull", repo.path())];
        let mut listing = Listing {
            complete: true,
            ..Listing::default()
        };
        let mut seen: std::collections::HashSet<Digest> = std::collections::HashSet::new();
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            let Some(page) = self
                .referrers_page(repo, &path, &scopes, pages == 1)
                .await?
            else {
                return Ok(None);
            };
            listing.bytes += page.bytes;
            let empty = page.descriptors.is_empty();
            let keep = |d: &Descriptor| {
                page.filtered || artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t))
            };
            let fresh = keep_fresh(&mut listing, &mut seen, page.descriptors, keep);
            let url = page.url;
            if seen.len() > MAX_REFERRERS {
                return Err(RegistryError::BadResponse {
                    url,
                    detail: format!("more than {MAX_REFERRERS} referrers"),
                });
            }
            // Past a bound with more to come: the caller decides (an error, or what it has).
            let past = listing.descriptors.len() > bounds.count || listing.bytes > bounds.bytes;
            if past && page.link.is_some() {
                listing.complete = false;
                break;
            }
            next = next_page(url, page.link, fresh == 0 && !empty, pages)?;
        }
        Ok(Some(listing))
    }

    /// One page of a referrers answer at `path`; `None` when the first page says the registry
    /// does not offer the API (a 404 or a 405).
    async fn referrers_page(
        &self,
        repo: &Repository,
        path: &str,
        scopes: &[String],
        first: bool,
    ) -> Result<Option<Page>, RegistryError> {
        let resp = self
            .path_request(
                repo,
                "GET",
                path,
                &[("Accept", "application/vnd.oci.image.index.v1+json")],
                scopes,
                Body::Empty,
            )
            .await?;
        match resp.status {
            200 => {}
            404 | 405 if first => {
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
        let descriptors =
            index_descriptors(&body).map_err(|detail| RegistryError::BadResponse {
                url: url.clone(),
                detail,
            })?;
        Ok(Some(Page {
            url,
            filtered,
            link,
            descriptors,
            bytes: body.len() as u64,
        }))
    }

    /// PUTs manifest bytes unchanged under `reference`; `true` when the registry answered
    /// `OCI-Subject` (it indexed the manifest's `subject`: no tag-schema index needed).
    pub(crate) async fn put_manifest_with_subject(
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

/// One page of a referrers answer, read.
struct Page {
    /// Where it was read (redacted).
    url: String,
    /// Whether the registry says it applied the `artifactType` filter.
    filtered: bool,
    /// The `Link` to the next page.
    link: Option<String>,
    /// Its descriptors.
    descriptors: Vec<Descriptor>,
    /// Its size.
    bytes: u64,
}

/// The path of the referrers API for `digest`, with the `artifactType` filter asked for.
fn first_page_path(repo: &Repository, digest: &Digest, artifact_type: Option<&str>) -> String {
    match artifact_type {
        Some(t) => {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("artifactType", t)
                .finish();
            format!("/v2/{}/referrers/{digest}?{q}", repo.path())
        }
        None => format!("/v2/{}/referrers/{digest}", repo.path()),
    }
}

/// Adds the entries of `page` not seen on an earlier page to `seen`, and those `keep` takes to
/// the listing; how many were not seen before (whether kept or not).
fn keep_fresh(
    listing: &mut Listing,
    seen: &mut std::collections::HashSet<Digest>,
    page: Vec<Descriptor>,
    keep: impl Fn(&Descriptor) -> bool,
) -> usize {
    let mut fresh = 0;
    for d in page {
        if !seen.insert(d.digest.clone()) {
            continue;
        }
        fresh += 1;
        if keep(&d) {
            listing.descriptors.push(d);
        }
    }
    fresh
}

/// The path of the page after the one read at `url` (`pages` read so far), if its `link` names
/// one; a page of nothing new (`stale`) pointing further is a loop, not more referrers.
fn next_page(
    url: String,
    link: Option<String>,
    stale: bool,
    pages: usize,
) -> Result<Option<String>, RegistryError> {
    Ok(match link {
        Some(_) if stale => {
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
    })
}
