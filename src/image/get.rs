//! `in` for images: fetch the version's manifest by digest, write `tag`/`digest`/`repository`, metadata.

use super::download::{io_err, write_file};
use super::platform::Platform;
use super::ImagePlan;
use super::{aliases, download, freshness, manifest, ImageError, Target};
use crate::protocol::{ImageFormat, ImageGetParams, ImageVersion, MetadataField, VersionResponse};
use crate::registry::{Client, Manifest, Repository};
use crate::{fsutil, log};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::Path;

/// Fetches `version` into `dest` in the asked format and returns the response for Concourse.
pub async fn get(
    plan: &ImagePlan,
    target: &Target,
    version: ImageVersion,
    params: &ImageGetParams,
    dest: &Path,
) -> Result<VersionResponse<ImageVersion>, ImageError> {
    let source = &plan.source;
    let (label_re, annotation_re) = (&plan.label_regex, &plan.annotation_regex);
    let layout = params.format == Some(ImageFormat::OciLayout) && !params.skip_download;
    if params.referrers && !layout {
        return Err(ImageError::Invalid {
            field: "params.referrers",
            detail: "needs `format: oci-layout` without `skip_download` (the referrers are written into the layout)".into(),
        });
    }
    if let Some(policy) = &plan.verify {
        super::verify::require(policy, &target.client, &target.repository, &version.digest).await?;
    }
    // Every output is written into a private staging directory in DEST and moved in at the
    // end, after the last request: a failed (or killed) get leaves DEST as it found it.
    for gone in fsutil::sweep_dead(dest, fsutil::IN_LEFTOVERS) {
        log::info(format_args!(
            "removed {} (left by a killed run)",
            gone.display()
        ));
    }
    let staged = fsutil::Staged::new(dest).map_err(io_err(dest))?;
    let staging = staged.path().to_path_buf();
    let final_dest = dest;
    let dest = staging.as_path();
    let digest = version.digest.to_string();
    let tag = if version.tag.is_empty() {
        source.tag.clone().unwrap_or_default()
    } else {
        version.tag.clone()
    };

    log::info(format_args!("fetching {}@{}", target.name, digest));
    let (repo, client, top) = fetch_from_mirror_or_origin(target, &digest).await?;
    let wanted = Platform::resolve(source.platform.as_ref(), params.platform.as_ref());

    // The chosen platform's manifest and config, read once for the download and the metadata.
    let mut image: Option<(manifest::ImageManifest, Option<Vec<u8>>)> = None;
    let mut referrers_written: Option<String> = None;
    if !params.skip_download {
        match params.format.unwrap_or(ImageFormat::Rootfs) {
            ImageFormat::Rootfs => {
                let (img, config) = download::image_for(client, repo, top.clone(), &wanted).await?;
                download::rootfs(client, repo, &img, &config, dest).await?;
                image = Some((img, Some(config)));
            }
            ImageFormat::Oci => {
                let (img, config) = download::image_for(client, repo, top.clone(), &wanted).await?;
                let repo_tag = format!("{repo}:{}", if tag.is_empty() { "latest" } else { &tag });
                download::tarball(client, repo, &img, &config, &repo_tag, dest).await?;
                image = Some((img, Some(config)));
            }
            ImageFormat::OciLayout => {
                let artifacts = if params.referrers {
                    let mut subjects = vec![top.digest.clone()];
                    if manifest::is_index(&top.media_type) {
                        let index = super::platform::Index::parse(&top.bytes).map_err(|e| {
                            ImageError::Malformed {
                                reference: format!("{repo}@{}", top.digest),
                                detail: format!("index is not valid: {e}"),
                            }
                        })?;
                        subjects.extend(index.manifests.iter().map(|c| c.digest.clone()));
                    }
                    super::referrers::collect(client, repo, &subjects).await?
                } else {
                    Vec::new()
                };
                if !artifacts.is_empty() {
                    let names: Vec<String> = artifacts.iter().map(|a| a.name()).collect();
                    referrers_written = Some(names.join(" "));
                }
                download::layout(client, repo, &top, dest, &artifacts).await?
            }
        }
    }

    if let Some((img, _)) = &image {
        // Verified and read from `repo`: a later push of these layers to another repository of
        // this registry mounts them from here (as skopeo remembers blobs it pulled).
        let blobs: Vec<&crate::digest::Digest> = std::iter::once(&img.config.digest)
            .chain(img.layers.iter().map(|l| &l.digest))
            .collect();
        crate::registry::blobcache::remember(repo, &blobs);
    }
    write_file(&dest.join("tag"), tag.as_bytes())?;
    write_file(&dest.join("digest"), digest.as_bytes())?;
    write_file(&dest.join("repository"), target.name.as_bytes())?;

    let mut metadata = vec![
        MetadataField::new("repository", target.name.clone()),
        MetadataField::new("tag", tag.clone()),
    ];
    if let Some(names) = referrers_written {
        metadata.push(MetadataField::new("referrers", names));
    }
    if params.aliases {
        let (aliases, best) = aliases::find(client, repo, &version.digest, &tag).await?;
        write_file(&dest.join("aliases"), aliases.join(" ").as_bytes())?;
        if let Some(v) = &best {
            write_file(&dest.join("version"), v.as_bytes())?;
            metadata.push(MetadataField::new("version", v.clone()));
        }
        metadata.push(MetadataField::new("aliases", aliases.join(" ")));
    }
    if let Some(field) = &source.base {
        let base = freshness::Base::from_source(target, field)?;
        let report =
            freshness::judge(client, repo, &top, &base, version.base_digest.as_ref()).await?;
        write_file(&dest.join("stale"), report.stale.to_string().as_bytes())?;
        write_file(&dest.join("base_digest"), report.base_digest.as_bytes())?;
        let json = serde_json::to_vec_pretty(&report).map_err(|source| ImageError::Encode {
            path: dest.join("freshness.json").display().to_string(),
            source,
        })?;
        write_file(&dest.join("freshness.json"), &json)?;
        metadata.push(MetadataField::new("stale", report.stale.to_string()));
        metadata.push(MetadataField::new(
            "base_digest",
            report.base_digest.clone(),
        ));
        let method = serde_json::to_value(report.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        metadata.push(MetadataField::new("freshness_method", method));
        if let Some(name) = freshness::base_name(&top) {
            metadata.push(MetadataField::new("base_name", name));
        }
    }
    if label_re.is_some() || annotation_re.is_some() {
        let (img, config) = match image {
            Some(pair) => pair,
            None => (
                manifest::for_platform(client, repo, top, &wanted).await?,
                None,
            ),
        };
        if let Some(re) = label_re {
            let config = match config {
                Some(bytes) => manifest::parse_config(repo, &img, &bytes)?,
                None => manifest::config(client, repo, &img).await?,
            };
            metadata.extend(matching(re, config.config.labels.unwrap_or_default()));
        }
        if let Some(re) = annotation_re {
            metadata.extend(matching(re, img.annotations.unwrap_or_default()));
        }
    }
    staged.commit().map_err(io_err(final_dest))?;
    Ok(VersionResponse {
        version: ImageVersion {
            tag: version.tag,
            digest: version.digest,
            base_digest: version.base_digest,
        },
        metadata,
    })
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
