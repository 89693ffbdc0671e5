//! Freshness: is an image still built on its base's current layers? Only manifests are read
//! (and no config, no layer): per platform, the base's layer digests must be a prefix of the
//! image's. An image declaring `org.opencontainers.image.base.digest` is judged by that alone.

use super::manifest::{self, is_index};
use super::platform::{self, Platform};
use super::ImageError;
use crate::digest::Digest;
use crate::protocol::BaseField;
use crate::registry::{Client, Manifest, Reference, Repository};
use serde::Serialize;

const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
const BASE_NAME: &str = "org.opencontainers.image.base.name";

/// How a verdict was reached.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Method {
    /// Layer digests compared.
    Layers,
    /// The image's `org.opencontainers.image.base.digest` annotation compared with the base.
    Annotation,
}

/// One platform's comparison.
#[derive(Debug, Serialize)]
pub(crate) struct PlatformReport {
    /// `linux/amd64`.
    pub platform: String,
    /// The image's layers (empty when decided by annotation).
    pub image_layers: Vec<String>,
    /// The base's layers for the platform (empty when decided by annotation).
    pub base_layers: Vec<String>,
    /// Whether the image still starts with the base's layers.
    pub fresh: bool,
}

/// The verdict for an image digest against the base as it is now (or at `base_digest`).
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// The image manifest (or index) digest.
    pub image_digest: String,
    /// The base's digest the image was compared with.
    pub base_digest: String,
    /// `layers` or `annotation`.
    pub method: Method,
    /// Any platform stale.
    pub stale: bool,
    /// Per platform.
    pub platforms: Vec<PlatformReport>,
}

/// The base reference and its client (credentials from `base`, else none).
pub(crate) struct Base {
    reference: Reference,
    client: Client,
}

impl Base {
    /// From `source.base`, reached under the target's credentials policy; its own credentials
    /// are used only for the base's registry.
    pub(crate) fn from_source(
        target: &super::Target,
        field: &BaseField,
    ) -> Result<Base, ImageError> {
        let reference = Reference::parse(field.reference()).map_err(|e| ImageError::Invalid {
            field: "source.base",
            detail: e.to_string(),
        })?;
        // Without its own credentials, a base on the image's registry uses the source's (they
        // go to the host they belong to); one elsewhere a docker config entry, else none.
        let own = super::credentials(field.username(), field.password(), "source.base");
        let client = target.endpoints.client(&reference.repository, own)?;
        Ok(Base { reference, client })
    }

    fn repo(&self) -> &Repository {
        &self.reference.repository
    }

    /// The base manifest now (by its tag), or at `digest`.
    async fn manifest(&self, digest: Option<&Digest>) -> Result<Manifest, ImageError> {
        let r = &self.reference;
        let wanted = match (digest, &r.digest, &r.tag) {
            (Some(d), _, _) | (None, Some(d), _) => d.to_string(),
            (None, None, Some(t)) => t.clone(),
            (None, None, None) => "latest".to_string(),
        };
        self.client
            .get_manifest(self.repo(), &wanted)
            .await?
            .ok_or_else(|| ImageError::Gone {
                reference: format!("base image {}:{wanted}", self.repo()),
            })
    }
}

/// Compares `image` (a manifest of `repo`) with the base.
pub(crate) async fn judge(
    client: &Client,
    repo: &Repository,
    image: &Manifest,
    base: &Base,
    base_at: Option<&Digest>,
) -> Result<Report, ImageError> {
    let base_top = base.manifest(base_at).await?;
    let images: Vec<(Platform, Manifest)> = platforms_of(client, repo, image).await?;

    // The annotation shortcut: every platform names its base digest.
    let annotated: Option<Vec<String>> = images
        .iter()
        .map(|(_, m)| annotations(m).and_then(|a| a.get(BASE_DIGEST).cloned()))
        .collect();
    if let Some(declared) = annotated {
        let base_digests = base_digests(base, &base_top).await?;
        let platforms: Vec<PlatformReport> = images
            .iter()
            .zip(declared)
            .map(|((p, _), d)| PlatformReport {
                platform: p.to_string(),
                image_layers: Vec::new(),
                base_layers: Vec::new(),
                fresh: base_digests.contains(&d),
            })
            .collect();
        return Ok(report(image, &base_top, Method::Annotation, platforms));
    }

    let mut platforms = Vec::new();
    for (platform, m) in &images {
        let image_layers = layers(repo, m).await?;
        let base_manifest = base_for(base, &base_top, platform).await?;
        let base_layers = layers(base.repo(), &base_manifest).await?;
        let fresh = image_layers.len() >= base_layers.len()
            && image_layers[..base_layers.len()] == base_layers[..];
        platforms.push(PlatformReport {
            platform: platform.to_string(),
            image_layers,
            base_layers,
            fresh,
        });
    }
    Ok(report(image, &base_top, Method::Layers, platforms))
}

fn report(
    image: &Manifest,
    base: &Manifest,
    method: Method,
    platforms: Vec<PlatformReport>,
) -> Report {
    Report {
        image_digest: image.digest.to_string(),
        base_digest: base.digest.to_string(),
        method,
        stale: platforms.iter().any(|p| !p.fresh),
        platforms,
    }
}

fn annotations(m: &Manifest) -> Option<std::collections::BTreeMap<String, String>> {
    #[derive(serde::Deserialize)]
    struct A {
        #[serde(default)]
        annotations: Option<std::collections::BTreeMap<String, String>>,
    }
    serde_json::from_slice::<A>(&m.bytes).ok()?.annotations
}

/// The base's digest and, for an index, its children's: what a base annotation may name.
async fn base_digests(base: &Base, top: &Manifest) -> Result<Vec<String>, ImageError> {
    let mut out = vec![top.digest.to_string()];
    if is_index(&top.media_type) {
        let index = parse_index(base.repo(), top)?;
        out.extend(index.manifests.iter().map(|d| d.digest.to_string()));
    }
    Ok(out)
}

fn parse_index(repo: &Repository, m: &Manifest) -> Result<platform::Index, ImageError> {
    platform::Index::parse(&m.bytes).map_err(|source| ImageError::Document {
        reference: format!("{repo}@{}", m.digest),
        what: "index",
        source,
    })
}

/// Each platform of the image with its manifest (a single manifest counts as the base's
/// platform: it is compared with whatever the base offers for the running platform).
pub(super) async fn platforms_of(
    client: &Client,
    repo: &Repository,
    image: &Manifest,
) -> Result<Vec<(Platform, Manifest)>, ImageError> {
    if !is_index(&image.media_type) {
        return Ok(vec![(Platform::resolve(None, None), image.clone())]);
    }
    let index = parse_index(repo, image)?;
    let mut out = Vec::new();
    for d in &index.manifests {
        let Some(p) = &d.platform else { continue };
        if p.os == "unknown" || p.architecture == "unknown" {
            continue; // attestation manifests
        }
        let m = client
            .get_manifest(repo, &d.digest.to_string())
            .await?
            .ok_or_else(|| ImageError::Malformed {
                reference: format!("{repo}@{}", image.digest),
                detail: format!("index child {} is missing", d.digest),
            })?;
        out.push((
            Platform {
                os: p.os.clone(),
                architecture: p.architecture.clone(),
                variant: p.variant.clone(),
            },
            m,
        ));
    }
    Ok(out)
}

async fn base_for(
    base: &Base,
    top: &Manifest,
    platform: &Platform,
) -> Result<Manifest, ImageError> {
    if !is_index(&top.media_type) {
        return Ok(top.clone());
    }
    let index = parse_index(base.repo(), top)?;
    let reference = format!("base image {}@{}", base.repo(), top.digest);
    let child = platform::select(&index, platform, &reference)?;
    base.client
        .get_manifest(base.repo(), &child.digest.to_string())
        .await?
        .ok_or_else(|| ImageError::Malformed {
            reference,
            detail: format!("index child {} is missing", child.digest),
        })
}

async fn layers(repo: &Repository, m: &Manifest) -> Result<Vec<String>, ImageError> {
    let image = manifest::parse_image(m, &format!("{repo}@{}", m.digest))?;
    Ok(image.layers.iter().map(|l| l.digest.to_string()).collect())
}

/// Names in the image's annotations, for the metadata.
pub(crate) fn base_name(image: &Manifest) -> Option<String> {
    annotations(image).and_then(|a| a.get(BASE_NAME).cloned())
}
