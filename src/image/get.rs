//! `in` for images: fetch the version's manifest by digest, write `tag`/`digest`/`repository`, metadata.

use super::download::io_err;
use super::platform::Platform;
use super::ImagePlan;
use super::{aliases, download, freshness, manifest, ImageError, Target};
use crate::protocol::{ImageFormat, ImageGetParams, ImageVersion, MetadataField, VersionResponse};
use crate::registry::{Client, Manifest, Repository};
use crate::{fsutil, log};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::Path;

/// What image `in` writes into DEST (its downloads and the files written by name); all of it
/// is staged and moved in together.
const OUTPUTS: &[&str] = &[
    "rootfs",
    "image.tar",
    "oci",
    "metadata.json",
    "labels.json",
    "tag",
    "digest",
    "repository",
    "aliases",
    "version",
    "stale",
    "base_digest",
    "freshness.json",
    "updates.json",
];

/// The chosen platform's manifest and (when read) config, kept from the download for metadata.
type Chosen = Option<(manifest::ImageManifest, Option<Vec<u8>>)>;

/// Fetches `version` into `dest` in the asked format and returns the response for Concourse.
pub(crate) async fn get(
    plan: &ImagePlan,
    target: &Target,
    version: ImageVersion,
    params: &ImageGetParams,
    dest: &Path,
) -> Result<VersionResponse<ImageVersion>, ImageError> {
    let source = &plan.source;
    check_params(params)?;
    if let Some(policy) = &plan.verify {
        super::verify::require(policy, &target.client, &target.repository, &version.digest).await?;
    }
    // Every output is written into a private staging directory in DEST and moved in at the
    // end, after the last request: a failed (or killed) get leaves DEST as it found it.
    let staging = stage(dest)?;
    let digest = version.digest.to_string();
    let tag = if version.tag.is_empty() {
        source.tag.clone().unwrap_or_default()
    } else {
        version.tag.clone()
    };

    log::info(format_args!("fetching {}@{}", target.name, digest));
    let (repo, client, top) = fetch_from_mirror_or_origin(target, &digest).await?;
    let wanted = Platform::resolve(source.platform.as_ref(), params.platform.as_ref());

    // `updates` says what to rebuild; the image itself is not needed for that.
    let skip_download = params.skip_download || plan.updates.is_some();
    let (image, referrers_written) = if skip_download {
        (None, None)
    } else {
        download(client, repo, &top, &wanted, params, &tag, staging.path()).await?
    };
    if let Some((img, _)) = &image {
        // Verified and read from `repo`: a later push of these layers to another repository of
        // this registry mounts them from here (as skopeo remembers blobs it pulled).
        let blobs: Vec<&crate::digest::Digest> = std::iter::once(&img.config.digest)
            .chain(img.layers.iter().map(|l| &l.digest))
            .collect();
        crate::registry::blobcache::remember(repo, &blobs);
    }
    staging.write("tag", tag.as_bytes()).map_err(output_err)?;
    staging
        .write("digest", digest.as_bytes())
        .map_err(output_err)?;
    staging
        .write("repository", target.name.as_bytes())
        .map_err(output_err)?;

    let mut metadata = vec![
        MetadataField::new("repository", target.name.clone()),
        MetadataField::new("tag", tag.clone()),
    ];
    if let Some(names) = referrers_written {
        metadata.push(MetadataField::new("referrers", names));
    }
    if params.aliases {
        write_aliases(&staging, client, repo, &version, &tag, &mut metadata).await?;
    }
    write_staleness(
        plan,
        target,
        (client, repo),
        &top,
        &version,
        &staging,
        &mut metadata,
    )
    .await?;
    if plan.label_regex.is_some() || plan.annotation_regex.is_some() {
        metadata.extend(matching_metadata(plan, client, repo, top, &wanted, image).await?);
    }
    staging.commit().map_err(output_err)?;
    Ok(VersionResponse {
        version: ImageVersion {
            tag: version.tag,
            digest: version.digest,
            base_digest: version.base_digest,
            updates: version.updates,
        },
        metadata,
    })
}

/// `referrers` is written into a layout: it needs one.
fn check_params(params: &ImageGetParams) -> Result<(), ImageError> {
    let layout = params.format == Some(ImageFormat::OciLayout) && !params.skip_download;
    if params.referrers && !layout {
        return Err(ImageError::Invalid {
            field: "params.referrers",
            detail: "needs `format: oci-layout` without `skip_download` (the referrers are written into the layout)".into(),
        });
    }
    Ok(())
}

/// The staging directory in DEST, after sweeping what killed runs left there (logged).
fn stage(dest: &Path) -> Result<fsutil::InStaging, ImageError> {
    let staging = fsutil::InStaging::new(dest, OUTPUTS).map_err(output_err)?;
    for gone in staging.swept() {
        log::info(format_args!(
            "removed {} (left by a killed run)",
            gone.display()
        ));
    }
    Ok(staging)
}

/// An output that could not be written, as image errors say it.
fn output_err(e: fsutil::OutputError) -> ImageError {
    io_err(&e.path)(e.source)
}

/// Writes the image into `dest` in the asked format; the chosen platform's manifest and config
/// (kept for the metadata), and the names of the referrers written into a layout.
async fn download(
    client: &Client,
    repo: &Repository,
    top: &Manifest,
    wanted: &Platform,
    params: &ImageGetParams,
    tag: &str,
    dest: &Path,
) -> Result<(Chosen, Option<String>), ImageError> {
    match params.format.unwrap_or(ImageFormat::Rootfs) {
        ImageFormat::Rootfs => {
            let (img, config) = download::image_for(client, repo, top.clone(), wanted).await?;
            download::rootfs(client, repo, &img, &config, dest).await?;
            Ok((Some((img, Some(config))), None))
        }
        ImageFormat::Oci => {
            let (img, config) = download::image_for(client, repo, top.clone(), wanted).await?;
            let repo_tag = format!("{repo}:{}", if tag.is_empty() { "latest" } else { tag });
            download::tarball(client, repo, &img, &config, &repo_tag, dest).await?;
            Ok((Some((img, Some(config))), None))
        }
        ImageFormat::OciLayout => {
            let artifacts = if params.referrers {
                collect_referrers(client, repo, top).await?
            } else {
                Vec::new()
            };
            let written = (!artifacts.is_empty()).then(|| {
                artifacts
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            download::layout(client, repo, top, dest, &artifacts).await?;
            Ok((None, written))
        }
    }
}

/// What refers to `top` and, for an index, to each of its children.
async fn collect_referrers(
    client: &Client,
    repo: &Repository,
    top: &Manifest,
) -> Result<Vec<super::referrers::Artifact>, ImageError> {
    let mut subjects = vec![top.digest.clone()];
    if manifest::is_index(&top.media_type) {
        let index =
            super::platform::Index::parse(&top.bytes).map_err(|e| ImageError::Malformed {
                reference: format!("{repo}@{}", top.digest),
                detail: format!("index is not valid: {e}"),
            })?;
        subjects.extend(index.manifests.iter().map(|c| c.digest.clone()));
    }
    super::referrers::collect(client, repo, &subjects).await
}

/// `aliases` (and `version`, the highest of them) with their metadata.
async fn write_aliases(
    staging: &fsutil::InStaging,
    client: &Client,
    repo: &Repository,
    version: &ImageVersion,
    tag: &str,
    metadata: &mut Vec<MetadataField>,
) -> Result<(), ImageError> {
    let (aliases, best) = aliases::find(client, repo, &version.digest, tag).await?;
    staging
        .write("aliases", aliases.join(" ").as_bytes())
        .map_err(output_err)?;
    if let Some(v) = &best {
        staging.write("version", v.as_bytes()).map_err(output_err)?;
        metadata.push(MetadataField::new("version", v.clone()));
    }
    metadata.push(MetadataField::new("aliases", aliases.join(" ")));
    Ok(())
}

/// With `base` and/or `updates`: `stale` (either says so) and each one's files and metadata.
async fn write_staleness(
    plan: &ImagePlan,
    target: &Target,
    (client, repo): (&Client, &Repository),
    top: &Manifest,
    version: &ImageVersion,
    staging: &fsutil::InStaging,
    metadata: &mut Vec<MetadataField>,
) -> Result<(), ImageError> {
    let source = &plan.source;
    let mut stale = None;
    if let Some(field) = &source.base {
        let base = freshness::Base::from_source(target, field)?;
        let at = version.base_digest.as_ref();
        let report = freshness::judge(client, repo, top, &base, at).await?;
        write_freshness(staging, &report, top, metadata)?;
        stale = Some(report.stale);
    }
    if let Some(updates) = &plan.updates {
        let report = super::updates::judge(updates, client, repo, top).await?;
        if version.updates.is_some() && report.hash != version.updates {
            log::info(format_args!(
                "the updates found now differ from those of the version (the repositories moved on since the check)"
            ));
        }
        write_updates(staging, &report, metadata)?;
        stale = Some(stale.unwrap_or(false) || report.stale());
    }
    if let Some(stale) = stale {
        staging
            .write("stale", stale.to_string().as_bytes())
            .map_err(output_err)?;
        metadata.push(MetadataField::new("stale", stale.to_string()));
    }
    Ok(())
}

/// `stale`, `base_digest` and `freshness.json` from the base's report, with their metadata.
fn write_freshness(
    staging: &fsutil::InStaging,
    report: &freshness::Report,
    top: &Manifest,
    metadata: &mut Vec<MetadataField>,
) -> Result<(), ImageError> {
    let write = |name: &str, bytes: &[u8]| staging.write(name, bytes).map_err(output_err);
    write("base_digest", report.base_digest.as_bytes())?;
    let json = serde_json::to_vec_pretty(report).map_err(|source| ImageError::Encode {
        path: staging.path().join("freshness.json").display().to_string(),
        source,
    })?;
    write("freshness.json", &json)?;
    metadata.push(MetadataField::new(
        "base_digest",
        report.base_digest.clone(),
    ));
    let method = serde_json::to_value(report.method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    metadata.push(MetadataField::new("freshness_method", method));
    if let Some(name) = freshness::base_name(top) {
        metadata.push(MetadataField::new("base_name", name));
    }
    Ok(())
}

/// `updates.json` (every update, by package) and the metadata `updates` (how many) and
/// `updated` (the first names).
fn write_updates(
    staging: &fsutil::InStaging,
    report: &super::updates::Report,
    metadata: &mut Vec<MetadataField>,
) -> Result<(), ImageError> {
    let json = serde_json::to_vec_pretty(&report.updates).map_err(|source| ImageError::Encode {
        path: staging.path().join("updates.json").display().to_string(),
        source,
    })?;
    staging.write("updates.json", &json).map_err(output_err)?;
    metadata.push(MetadataField::new(
        "updates",
        report.updates.len().to_string(),
    ));
    if let Some(names) = super::stale::first_names(&report.updates, 5) {
        metadata.push(MetadataField::new("updated", names));
    }
    Ok(())
}

/// The labels and annotations `label_regex` / `annotation_regex` match, read from what the
/// download kept or fetched for the chosen platform.
async fn matching_metadata(
    plan: &ImagePlan,
    client: &Client,
    repo: &Repository,
    top: Manifest,
    wanted: &Platform,
    image: Chosen,
) -> Result<Vec<MetadataField>, ImageError> {
    let (img, config) = match image {
        Some(pair) => pair,
        None => (
            manifest::for_platform(client, repo, top, wanted).await?,
            None,
        ),
    };
    let mut metadata = Vec::new();
    if let Some(re) = &plan.label_regex {
        let config = match config {
            Some(bytes) => manifest::parse_config(repo, &img, &bytes)?,
            None => manifest::config(client, repo, &img).await?,
        };
        metadata.extend(matching(re, config.config.labels.unwrap_or_default()));
    }
    if let Some(re) = &plan.annotation_regex {
        metadata.extend(matching(re, img.annotations.unwrap_or_default()));
    }
    Ok(metadata)
}

async fn fetch_from_mirror_or_origin<'t>(
    target: &'t Target,
    digest: &str,
) -> Result<(&'t Repository, &'t Client, Manifest), ImageError> {
    if let Some((repo, client)) = &target.mirror {
        match client.get_manifest(repo, digest).await {
            Ok(Some(m)) => return Ok((repo, client, m)),
            Ok(None) => log::warn(format_args!("mirror {repo} does not have {digest}")),
            Err(e) => log::warn(format_args!(
                "fetching from mirror {repo} failed: {}",
                log::chain(&e)
            )),
        }
    }
    let repo = &target.repository;
    match target.client.get_manifest(repo, digest).await? {
        Some(m) => Ok((repo, &target.client, m)),
        None => Err(ImageError::Gone {
            reference: format!("{}@{digest}", target.name),
        }),
    }
}

fn matching(re: &Regex, values: BTreeMap<String, String>) -> Vec<MetadataField> {
    values
        .into_iter()
        .filter(|(k, _)| re.is_match(k))
        .map(|(k, v)| MetadataField::new(k, v))
        .collect()
}
