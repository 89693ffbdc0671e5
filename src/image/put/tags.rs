//! The tags of a push: computed as registry-image-resource does (plus literal `tags`), then
//! written with `latest` last.

use super::Doc;
use crate::image::ImageError;
use crate::log;
use crate::protocol::{ImagePutParams, ImageSource};
use crate::registry::reference::validate_tag;
use crate::registry::{Client, Repository};
use crate::versions::semver::Version;
use std::path::Path;

/// The tags, in registry-image-resource's order: `source.tag`, the version, bumped aliases
/// (`latest`, `X`, `X.Y`), additional tags (with `tag_prefix`), then literal `tags`.
pub(super) async fn to_push(
    source: &ImageSource,
    params: &ImagePutParams,
    sources: &Path,
    client: &Client,
    repo: &Repository,
) -> Result<Vec<String>, ImageError> {
    let mut tags: Vec<String> = Vec::new();
    let variant = source.variant.as_deref();
    let with_variant = |t: String| match variant {
        Some(v) => format!("{t}-{v}"),
        None => t,
    };
    if let Some(t) = &source.tag {
        tags.push(t.clone());
    }
    if let Some(v) = &params.version {
        let ver = Version::parse(v).map_err(|_| ImageError::Invalid {
            field: "params.version",
            detail: format!("invalid semantic version: \"{v}\" (use `tags` for other tags)"),
        })?;
        tags.push(with_variant(ver.to_string()));
        if params.bump_aliases && ver.prerelease().is_empty() {
            tags.extend(aliases_to_bump(client, repo, &ver, variant).await?);
        }
    }
    let additional = match &params.additional_tags {
        Some(file) => {
            let path = sources.join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| ImageError::Invalid {
                field: "params.additional_tags",
                detail: format!("cannot read {}: {e}", path.display()),
            })?;
            text.split_whitespace().map(str::to_string).collect()
        }
        None => Vec::new(),
    };
    if additional.is_empty() && params.tag_prefix.is_some() {
        return Err(ImageError::Invalid {
            field: "params.tag_prefix",
            detail: "can only be used when additional_tags are specified".into(),
        });
    }
    let prefix = params.tag_prefix.as_deref().unwrap_or("");
    tags.extend(additional.into_iter().map(|t| format!("{prefix}{t}")));
    tags.extend(params.tags.iter().cloned());
    if tags.is_empty() {
        return Err(ImageError::Invalid {
            field: "params",
            detail: "no tag specified - need `version`, `tags` or `additional_tags` in params, or `tag` in source".into(),
        });
    }
    let mut unique = Vec::new();
    for t in tags {
        validate_tag(&t).map_err(|detail| ImageError::Invalid {
            field: "params",
            detail,
        })?;
        if !unique.contains(&t) {
            unique.push(t);
        }
    }
    Ok(unique)
}

/// `latest` unless a newer final version exists; `X` unless `X.(Y+n)` or `X.Y.(Z+n)` exists;
/// `X.Y` unless `X.Y.(Z+n)` exists — among final versions of the same variant.
async fn aliases_to_bump(
    client: &Client,
    repo: &Repository,
    ver: &Version,
    variant: Option<&str>,
) -> Result<Vec<String>, ImageError> {
    let existing = client.list_tags(repo).await?.unwrap_or_default();
    let (major, minor, patch) = ver.triple();
    let (mut latest, mut bump_major, mut bump_minor) = (true, true, true);
    for tag in &existing {
        let text = match variant {
            Some(v) => match tag.strip_suffix(&format!("-{v}")) {
                Some(t) => t,
                None => continue,
            },
            None => tag.as_str(),
        };
        let Ok(other) = Version::parse(text) else {
            continue;
        };
        if !other.prerelease().is_empty() {
            continue;
        }
        let (m, n, p) = other.triple();
        if other > *ver {
            latest = false;
        }
        if m == major && n > minor {
            bump_major = false;
        }
        if m == major && n == minor && p > patch {
            bump_minor = false;
            bump_major = false;
        }
    }
    let suffix = variant.map(|v| format!("-{v}")).unwrap_or_default();
    let mut out = Vec::new();
    if latest {
        out.push(variant.unwrap_or("latest").to_string());
    }
    if bump_major {
        out.push(format!("{major}{suffix}"));
    }
    if bump_minor {
        out.push(format!("{major}.{minor}{suffix}"));
    }
    Ok(out)
}

/// Tag PUTs in flight at once (tags other than the floating ones).
const TAG_CONCURRENCY: usize = 4;

/// PUTs the top document under every tag: the fixed tags concurrently, then `latest` (and the
/// bare variant tag) last, one after another, only once every other tag is written; a failure
/// names what was and was not written (no new PUT starts after a failure).
pub(super) async fn write(
    client: &Client,
    repo: &Repository,
    top: &Doc,
    tags: &[String],
    variant: Option<&str>,
) -> Result<(), ImageError> {
    use futures_util::stream::{self, StreamExt};
    let floating = |t: &str| t == "latest" || Some(t) == variant;
    let (fixed, last): (Vec<&String>, Vec<&String>) = tags.iter().partition(|t| !floating(t));
    let failed = std::sync::atomic::AtomicBool::new(false);
    let failed = &failed;
    let puts = fixed.iter().copied().map(|tag| async move {
        if failed.load(std::sync::atomic::Ordering::Relaxed) {
            return (tag, None);
        }
        let result = client
            .put_manifest(repo, tag, &top.media_type, &top.bytes)
            .await;
        if result.is_err() {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
        } else {
            log::info(format_args!("{repo}:{tag} -> {}", top.digest));
        }
        (tag, Some(result))
    });
    let results: Vec<(&String, Option<Result<(), crate::registry::RegistryError>>)> =
        stream::iter(puts).buffered(TAG_CONCURRENCY).collect().await;
    let mut written: Vec<&str> = Vec::new();
    let mut not_written: Vec<&str> = Vec::new();
    let mut cause = None;
    for (tag, result) in results {
        match result {
            Some(Ok(())) => written.push(tag),
            Some(Err(e)) => {
                not_written.push(tag);
                cause.get_or_insert(e);
            }
            None => not_written.push(tag),
        }
    }
    for (i, tag) in last.iter().enumerate() {
        if cause.is_some() {
            not_written.extend(last[i..].iter().map(|t| t.as_str()));
            break;
        }
        match client
            .put_manifest(repo, tag, &top.media_type, &top.bytes)
            .await
        {
            Ok(()) => {
                written.push(tag);
                log::info(format_args!("{repo}:{tag} -> {}", top.digest));
            }
            Err(e) => {
                not_written.extend(last[i..].iter().map(|t| t.as_str()));
                cause = Some(e);
                break;
            }
        }
    }
    match cause {
        None => Ok(()),
        Some(e) => Err(ImageError::Partial {
            written: if written.is_empty() {
                "none".into()
            } else {
                written.join(", ")
            },
            not_written: not_written.join(", "),
            cause: Box::new(e.into()),
        }),
    }
}
