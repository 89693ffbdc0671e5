//! Image manifests and configs as uptick reads them: platform choice in an index, config blob.

use super::platform::{self, Platform};
use super::ImageError;
use crate::registry::{Client, Manifest, Repository};
use serde::Deserialize;
use std::collections::BTreeMap;

const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// A single-platform image manifest: oci-client's `OciImageManifest`, with its descriptors
/// checked.
pub(super) struct ImageManifest {
    /// The config blob.
    pub config: platform::Descriptor,
    /// Layer blobs, bottom first.
    pub layers: Vec<platform::Descriptor>,
    /// Manifest annotations.
    pub annotations: Option<BTreeMap<String, String>>,
}

impl ImageManifest {
    /// Parses a manifest document and checks its descriptors.
    pub(super) fn parse(bytes: &[u8]) -> Result<ImageManifest, platform::DocError> {
        let wire: oci_client::manifest::OciImageManifest = serde_json::from_slice(bytes)?;
        Ok(ImageManifest {
            config: platform::Descriptor::from_wire(&wire.config)?,
            layers: wire
                .layers
                .iter()
                .map(platform::Descriptor::from_wire)
                .collect::<Result<_, _>>()?,
            annotations: wire.annotations,
        })
    }
}

/// The parts of an image config uptick reads.
#[derive(Deserialize, Default)]
pub(super) struct ConfigFile {
    /// `created` timestamp (RFC 3339), when present.
    #[serde(default)]
    pub created: Option<String>,
    /// The runtime config.
    #[serde(default)]
    pub config: ConfigSection,
    /// `os` (`linux`).
    #[serde(default)]
    pub os: Option<String>,
    /// `architecture` (`amd64`).
    #[serde(default)]
    pub architecture: Option<String>,
    /// `variant` (`v7`).
    #[serde(default)]
    pub variant: Option<String>,
}

/// `config` inside an image config.
#[derive(Default, Deserialize)]
pub(super) struct ConfigSection {
    /// Image labels.
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// `KEY=value` environment.
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
    /// User to run as.
    #[serde(rename = "User", default)]
    pub user: Option<String>,
    /// Entrypoint.
    #[serde(rename = "Entrypoint", default)]
    pub entrypoint: Option<Vec<String>>,
    /// Default command.
    #[serde(rename = "Cmd", default)]
    pub cmd: Option<Vec<String>>,
}

/// Whether a media type names an index (OCI index or Docker manifest list).
pub(super) fn is_index(media_type: &str) -> bool {
    media_type.contains("index") || media_type.contains("list")
}

/// The single-image manifest for `wanted`: the manifest itself, or the index child for it.
pub(super) async fn for_platform(
    client: &Client,
    repo: &Repository,
    manifest: Manifest,
    wanted: &Platform,
) -> Result<ImageManifest, ImageError> {
    Ok(for_platform_raw(client, repo, manifest, wanted).await?.0)
}

/// Like [`for_platform`], also returning the chosen manifest's bytes and digest.
pub(super) async fn for_platform_raw(
    client: &Client,
    repo: &Repository,
    manifest: Manifest,
    wanted: &Platform,
) -> Result<(ImageManifest, Manifest), ImageError> {
    let reference = format!("{repo}@{}", manifest.digest);
    let malformed = |detail: String| ImageError::Malformed {
        reference: reference.clone(),
        detail,
    };
    let manifest = if is_index(&manifest.media_type) {
        let index =
            platform::Index::parse(&manifest.bytes).map_err(|source| ImageError::Document {
                reference: reference.clone(),
                what: "index",
                source,
            })?;
        let child = platform::select(&index, wanted, &reference)?;
        client
            .get_manifest(repo, &child.digest.to_string())
            .await?
            .ok_or_else(|| malformed(format!("index child {} is missing", child.digest)))?
    } else {
        manifest
    };
    let parsed = parse_image(&manifest, &reference)?;
    Ok((parsed, manifest))
}

/// Parses a single-image manifest.
pub(super) fn parse_image(
    manifest: &Manifest,
    reference: &str,
) -> Result<ImageManifest, ImageError> {
    ImageManifest::parse(&manifest.bytes).map_err(|source| ImageError::Document {
        reference: reference.to_string(),
        what: "image manifest",
        source,
    })
}

/// The image's config blob, verified and parsed.
pub(super) async fn config(
    client: &Client,
    repo: &Repository,
    image: &ImageManifest,
) -> Result<ConfigFile, ImageError> {
    parse_config(repo, image, &config_bytes(client, repo, image).await?)
}

/// The raw config blob, verified.
pub(super) async fn config_bytes(
    client: &Client,
    repo: &Repository,
    image: &ImageManifest,
) -> Result<Vec<u8>, ImageError> {
    Ok(client
        .get_blob_small(repo, &image.config.digest, MAX_CONFIG_BYTES)
        .await?)
}

/// Parses config bytes read by [`config_bytes`].
pub(super) fn parse_config(
    repo: &Repository,
    image: &ImageManifest,
    bytes: &[u8],
) -> Result<ConfigFile, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::Malformed {
        reference: format!("{repo}@{}", image.config.digest),
        detail: format!("image config is not valid JSON: {e}"),
    })
}
