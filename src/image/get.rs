//! `in` for images: fetch the version's manifest by digest, write `tag`/`digest`/`repository`, metadata.

use super::platform::Platform;
use super::{manifest, ImageError, Target};
use crate::log;
use crate::protocol::{
    ImageFormat, ImageGetParams, ImageSource, ImageVersion, MetadataField, VersionResponse,
};
use crate::registry::{Client, Manifest, Repository};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::Path;

/// Fetches `version` into `dest` and returns the response for Concourse.
pub fn get(
    source: &ImageSource,
    version: ImageVersion,
    params: &ImageGetParams,
    dest: &Path,
) -> Result<VersionResponse<ImageVersion>, ImageError> {
    if !params.skip_download {
        let format = match params.format.unwrap_or(ImageFormat::Rootfs) {
            ImageFormat::Rootfs => "rootfs",
            ImageFormat::Oci => "oci",
            ImageFormat::OciLayout => "oci-layout",
        };
        log::debug(|| format!("requested format {format}"));
        return Err(ImageError::Invalid {
            field: "params.format",
            detail: format!(
                "downloading the image (format {format}) is not supported yet; set `skip_download: true`"
            ),
        });
    }
    let label_re = compile(source.label_regex.as_deref(), "source.label_regex")?;
    let annotation_re = compile(
        source.annotation_regex.as_deref(),
        "source.annotation_regex",
    )?;
    let target = Target::from_source(source)?;
    let digest = version.digest.to_string();

    log::info(format_args!("fetching {}@{}", target.name, digest));
    let (repo, client, manifest) = fetch_from_mirror_or_origin(&target, &digest)?;

    let tag = if version.tag.is_empty() {
        source.tag.clone().unwrap_or_default()
    } else {
        version.tag.clone()
    };
    write_file(&dest.join("tag"), tag.as_bytes())?;
    write_file(&dest.join("digest"), digest.as_bytes())?;
    write_file(&dest.join("repository"), target.name.as_bytes())?;

    let mut metadata = vec![
        MetadataField::new("repository", target.name.clone()),
        MetadataField::new("tag", tag.clone()),
    ];
    if label_re.is_some() || annotation_re.is_some() {
        let wanted = Platform::resolve(source.platform.as_ref(), params.platform.as_ref());
        let image = manifest::for_platform(client, repo, manifest, &wanted)?;
        if let Some(re) = &label_re {
            let config = manifest::config(client, repo, &image)?;
            metadata.extend(matching(re, config.config.labels.unwrap_or_default()));
        }
        if let Some(re) = &annotation_re {
            metadata.extend(matching(re, image.annotations.unwrap_or_default()));
        }
    }
    Ok(VersionResponse {
        version: ImageVersion {
            tag: version.tag,
            digest: version.digest,
        },
        metadata,
    })
}

fn fetch_from_mirror_or_origin<'t>(
    target: &'t Target,
    digest: &str,
) -> Result<(&'t Repository, &'t Client, Manifest), ImageError> {
    if let Some((repo, client)) = &target.mirror {
        match client.get_manifest(repo, digest) {
            Ok(Some(m)) => return Ok((repo, client, m)),
            Ok(None) => log::warn(format_args!("mirror {repo} does not have {digest}")),
            Err(e) => log::warn(format_args!("fetching from mirror {repo} failed: {e}")),
        }
    }
    let repo = &target.repository;
    match target.client.get_manifest(repo, digest)? {
        Some(m) => Ok((repo, &target.client, m)),
        None => Err(ImageError::Gone {
            reference: format!("{}@{digest}", target.name),
        }),
    }
}

fn compile(pattern: Option<&str>, field: &'static str) -> Result<Option<Regex>, ImageError> {
    pattern
        .map(|p| {
            Regex::new(p).map_err(|e| ImageError::Invalid {
                field,
                detail: format!("invalid regex: {}", e.to_string().replace('\n', " ")),
            })
        })
        .transpose()
}

fn matching(re: &Regex, values: BTreeMap<String, String>) -> Vec<MetadataField> {
    values
        .into_iter()
        .filter(|(k, _)| re.is_match(k))
        .map(|(k, v)| MetadataField::new(k, v))
        .collect()
}

/// Writes a file atomically: a temporary sibling, then rename.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ImageError> {
    let io = |e: std::io::Error| ImageError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.uptick-tmp"));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
