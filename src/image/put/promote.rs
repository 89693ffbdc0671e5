//! `params.promote`: the image an earlier get, a tag or a reference names, read from its
//! registry (top document and an index's children) before anything is written.

use super::{Doc, Docs};
use crate::image::manifest::is_index;
use crate::image::{ImageError, Target};
use crate::log;
use crate::registry::reference::validate_tag;
use crate::registry::{Client, Reference, Repository};
use std::path::Path;

/// An error of `params.promote`.
fn invalid(detail: String) -> ImageError {
    ImageError::Invalid {
        field: "params.promote",
        detail,
    }
}

/// `promote`: a directory from an earlier get (its `repository` and `digest`), a tag of this
/// repository, or a full reference. The source must exist; nothing is written before that.
pub(super) async fn resolve(
    sources: &Path,
    promote: &str,
    target: &Target,
) -> Result<Docs, ImageError> {
    let reference = reference_of(sources, promote, target)?;
    let parsed = Reference::parse(&reference).map_err(|e| invalid(e.to_string()))?;
    let src_repo = parsed.repository.clone();
    let reference_part = match (&parsed.digest, &parsed.tag) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.clone(),
        (None, None) => "latest".to_string(),
    };
    let client = source_client(&src_repo, target)?;
    let top = client
        .get_manifest(&src_repo, &reference_part)
        .await?
        .ok_or_else(|| invalid(format!("{reference} does not exist")))?;
    if let Some(d) = &parsed.digest {
        if &top.digest != d {
            return Err(invalid(format!("{reference} has digest {}", top.digest)));
        }
    }
    let top = Doc {
        media_type: top.media_type,
        bytes: top.bytes,
        digest: top.digest,
    };
    let children = children_of(&client, &src_repo, &reference, &top).await?;
    log::info(format_args!("promoting {reference} ({})", top.digest));
    let origin = (src_repo != target.repository).then_some((src_repo, client));
    Ok(Docs {
        top,
        children,
        origin,
    })
}

/// The reference `promote` stands for: `repository@digest` of a directory from an earlier get
/// (inside the sources directory), `name:promote` for a tag, else `promote` itself.
fn reference_of(sources: &Path, promote: &str, target: &Target) -> Result<String, ImageError> {
    let dir = sources.join(promote);
    let from_dir = !Path::new(promote).is_absolute()
        && !promote.split('/').any(|c| c == "..")
        && dir.join("digest").is_file();
    Ok(if from_dir {
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .map(|s| s.trim().to_string())
                .map_err(|e| invalid(format!("{}: {e}", dir.join(f).display())))
        };
        format!("{}@{}", read("repository")?, read("digest")?)
    } else if validate_tag(promote).is_ok() {
        format!("{}:{promote}", target.name)
    } else {
        promote.to_string()
    })
}

/// Same registry: the target's own client (its credentials and tokens); another registry:
/// a client of the source's policy (TLS settings and client certificate, that registry's
/// docker config entry).
fn source_client(src_repo: &Repository, target: &Target) -> Result<Client, ImageError> {
    if src_repo.registry() == target.repository.registry() {
        Ok(target.client.clone())
    } else {
        target.endpoints.client(src_repo, None)
    }
}

/// The manifests of an index's children (none for an image); each must exist.
async fn children_of(
    client: &Client,
    src_repo: &Repository,
    reference: &str,
    top: &Doc,
) -> Result<Vec<Doc>, ImageError> {
    let mut children = Vec::new();
    if !is_index(&top.media_type) {
        return Ok(children);
    }
    let index = crate::image::platform::Index::parse(&top.bytes)
        .map_err(|e| invalid(format!("{reference}: index is not valid: {e}")))?;
    for child in &index.manifests {
        let m = client
            .get_manifest(src_repo, &child.digest.to_string())
            .await?
            .ok_or_else(|| invalid(format!("{reference}: child {} is missing", child.digest)))?;
        children.push(Doc {
            media_type: m.media_type,
            bytes: m.bytes,
            digest: m.digest,
        });
    }
    Ok(children)
}
