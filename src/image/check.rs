//! `check` for images: tag mode (a tag moving to a new digest), as registry-image-resource does it.

use super::ImagePlan;
use super::{discover, ImageError, Target};
use crate::log;
use crate::protocol::ImageVersion;
use crate::registry::{Client, Repository};

/// Checks what `check` needs of the source before any request: the tag (the modes' rules are
/// compiled in the plan).
pub(crate) fn validate(plan: &ImagePlan) -> Result<(), ImageError> {
    if let Some(tag) = &plan.source.tag {
        crate::registry::reference::validate_tag(tag).map_err(|detail| ImageError::Invalid {
            field: "source.tag",
            detail,
        })?;
    }
    Ok(())
}

/// Versions oldest first, in the mode `source` selects: tag (`tag`), regex (`tag_regex`) or
/// semver (neither). A mirror is tried first; the origin on error or an empty answer.
pub(crate) async fn check(
    plan: &ImagePlan,
    target: &Target,
    cursor: Option<ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let versions = unverified(plan, target, cursor).await?;
    let Some(policy) = &plan.verify else {
        return Ok(versions);
    };
    // Only signed digests are versions; each one skipped is said once on stderr.
    let mut signed = Vec::with_capacity(versions.len());
    for v in versions {
        match policy
            .judge(&target.client, &target.repository, &v.digest)
            .await?
        {
            Ok(_) => signed.push(v),
            Err(why) => log::warn(format_args!(
                "skipping {}@{} ({}): not signed by a key of source.verify: {why}",
                target.name, v.digest, v.tag
            )),
        }
    }
    Ok(signed)
}

async fn unverified(
    plan: &ImagePlan,
    target: &Target,
    cursor: Option<ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let source = &plan.source;
    if source.base.is_some() || plan.updates.is_some() {
        return super::stale::check(plan, target, cursor).await;
    }
    if let Some((repo, client)) = &target.mirror {
        match check_on(client, repo, plan, cursor.as_ref()).await {
            Ok(v) if !v.is_empty() => return Ok(v),
            Ok(_) => log::warn(format_args!("checking mirror {repo} failed: tag not found")),
            Err(e) => log::warn(format_args!(
                "checking mirror {repo} failed: {}",
                crate::log::chain(&e)
            )),
        }
    }
    check_on(&target.client, &target.repository, plan, cursor.as_ref()).await
}

async fn check_on(
    client: &Client,
    repo: &Repository,
    plan: &ImagePlan,
    cursor: Option<&ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let (source, rules) = (&plan.source, &plan.discovery);
    match (&source.tag, &rules.tag_regex) {
        (Some(tag), _) => check_tag(client, repo, tag, cursor).await,
        (None, Some(re)) => discover::regex_mode(client, repo, source, re, cursor).await,
        (None, None) => {
            discover::semver_mode(client, repo, source, rules.constraint.as_ref(), cursor).await
        }
    }
}

async fn check_tag(
    client: &Client,
    repo: &Repository,
    tag: &str,
    cursor: Option<&ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let Some(current) = client.manifest_digest(repo, tag).await? else {
        return Ok(Vec::new());
    };
    let mut versions = Vec::with_capacity(2);
    if let Some(cursor) = cursor.filter(|c| c.digest != current) {
        if client
            .manifest_digest(repo, &cursor.digest.to_string())
            .await?
            .is_some()
        {
            versions.push(ImageVersion {
                tag: tag.to_string(),
                digest: cursor.digest.clone(),
                base_digest: None,
                updates: None,
            });
        }
    }
    versions.push(ImageVersion {
        tag: tag.to_string(),
        digest: current,
        base_digest: None,
        updates: None,
    });
    Ok(versions)
}
