//! `check` for images: tag mode (a tag moving to a new digest), as registry-image-resource does it.

use super::{ImageError, Target};
use crate::log;
use crate::protocol::{ImageSource, ImageVersion};
use crate::registry::{Client, Repository};

/// Versions oldest first: the cursor (while it still exists) and the tag's current digest.
pub fn check(
    source: &ImageSource,
    cursor: Option<ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let tag =
        match (&source.tag, &source.tag_regex) {
            (Some(tag), _) => tag.clone(),
            (None, Some(_)) => {
                return Err(ImageError::Unsupported {
                    field: "tag_regex",
                    what: "regex tag discovery",
                })
            }
            (None, None) => return Err(ImageError::Unsupported {
                field: "tag",
                what:
                    "semver tag discovery (a source without `tag`; set `tag: latest` for tag mode)",
            }),
        };
    crate::registry::reference::validate_tag(&tag).map_err(|detail| ImageError::Invalid {
        field: "source.tag",
        detail,
    })?;
    let target = Target::from_source(source)?;
    if let Some((repo, client)) = &target.mirror {
        match check_tag(client, repo, &tag, cursor.as_ref()) {
            Ok(v) if !v.is_empty() => return Ok(v),
            Ok(_) => log::warn(format_args!("checking mirror {repo} failed: tag not found")),
            Err(e) => log::warn(format_args!("checking mirror {repo} failed: {e}")),
        }
    }
    check_tag(&target.client, &target.repository, &tag, cursor.as_ref())
}

fn check_tag(
    client: &Client,
    repo: &Repository,
    tag: &str,
    cursor: Option<&ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let Some(current) = client.manifest_digest(repo, tag)? else {
        return Ok(Vec::new());
    };
    let mut versions = Vec::with_capacity(2);
    if let Some(cursor) = cursor.filter(|c| c.digest != current) {
        if client
            .manifest_digest(repo, &cursor.digest.to_string())?
            .is_some()
        {
            versions.push(ImageVersion {
                tag: tag.to_string(),
                digest: cursor.digest.clone(),
            });
        }
    }
    versions.push(ImageVersion {
        tag: tag.to_string(),
        digest: current,
    });
    Ok(versions)
}
