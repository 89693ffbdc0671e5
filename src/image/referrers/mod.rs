//! What refers to an image (cosign `.sig`/`.att`/`.sbom` tags, OCI 1.1 referrers), read from
//! a promotion's source and carried to its target: referrers by the API when the source offers
//! it (else the `sha256-<hex>` tag schema), written by digest and indexed by the target when it
//! answers `OCI-Subject` (else merged into its tag-schema index); cosign tags merged with what
//! the target already has (its layers kept, ours appended), never replaced. Only what is bound
//! to the digest it was found under is carried (a referrer's own `subject` names it; a cosign
//! manifest names no other), within one budget of count and bytes per run.

mod bound;
mod collect;
mod write;

pub(crate) use bound::bound;
pub(crate) use collect::collect;
pub(crate) use write::{push_bytes, write};

use super::ImageError;
use crate::digest::Digest;
use crate::registry::referrers::Descriptor;
use crate::registry::Manifest;

/// cosign's tag suffixes: signatures, attestations, SBOMs.
pub(crate) const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// Referrers listed (by the API or a tag-schema index) plus cosign manifests read, over every
/// digest of the image, in one run at most. An image has a few (a signature, attestations, an
/// SBOM, a scan); an index of twenty platforms, each signed and attested, some hundred.
pub(crate) const MAX_RUN_REFERRERS: usize = 1_000;

/// Bytes of referrer documents (referrers answers, tag-schema indexes, manifests) read in one
/// run at most: what is held until the promotion writes them. A signature manifest is a few
/// KiB; 64 MiB is an average of 64 KiB for each of [`MAX_RUN_REFERRERS`].
pub(crate) const MAX_RUN_REFERRER_BYTES: u64 = 64 * 1024 * 1024;

/// How an artifact is found, and so how it is written on the target.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// A cosign tag (`sha256-<hex>.sig`).
    Cosign(String),
    /// An OCI 1.1 referrer: its descriptor in the referrers list.
    Referrer(Descriptor),
}

/// One artifact referring to the image (or to a child of its index).
#[derive(Clone, Debug)]
pub(crate) struct Artifact {
    /// How it is found.
    pub kind: Kind,
    /// The digest it refers to.
    pub subject: Digest,
    /// Its manifest, verified.
    pub manifest: Manifest,
    /// Its blobs (config and layers) with their sizes.
    pub blobs: Vec<(Digest, u64)>,
}

impl Artifact {
    /// How the metadata names it: the cosign tag, or the referrer's digest.
    pub(crate) fn name(&self) -> String {
        match &self.kind {
            Kind::Cosign(tag) => tag.clone(),
            Kind::Referrer(d) => d.digest.to_string(),
        }
    }
}

/// A manifest's blobs: config and layers.
#[derive(serde::Deserialize)]
struct Blobs {
    #[serde(default)]
    config: Option<BlobRef>,
    #[serde(default)]
    layers: Vec<BlobRef>,
}

#[derive(serde::Deserialize)]
struct BlobRef {
    digest: Digest,
    size: u64,
}

fn blobs_of(m: &Manifest, what: &str) -> Result<Vec<(Digest, u64)>, ImageError> {
    let b: Blobs = serde_json::from_slice(&m.bytes).map_err(|e| ImageError::Malformed {
        reference: what.to_string(),
        detail: format!("artifact manifest is not valid: {e}"),
    })?;
    Ok(b.config
        .into_iter()
        .chain(b.layers)
        .map(|r| (r.digest, r.size))
        .collect())
}
