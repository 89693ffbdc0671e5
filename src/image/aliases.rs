//! Aliases of a digest: the repository's tags pointing at it, and the highest version among them
//! (`latest` → `3.20.3`). Cost: the tag list plus one HEAD per version-like tag, as many at a
//! time as discovery.

use super::discover::head_all;
use super::ImageError;
use crate::digest::Digest;
use crate::registry::{Client, Repository};
use crate::versions::semver::Version;

/// Tags (the version's own tag and every tag that parses as a version) whose digest is `digest`,
/// in registry order, and the highest version among them.
pub(super) async fn find(
    client: &Client,
    repo: &Repository,
    digest: &Digest,
    own_tag: &str,
) -> Result<(Vec<String>, Option<String>), ImageError> {
    let tags = client.list_tags(repo).await?.unwrap_or_default();
    let candidates: Vec<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|t| *t == own_tag || Version::parse(t).is_ok())
        .collect();
    let digests = head_all(client, repo, &candidates).await?;
    let aliases: Vec<String> = candidates
        .into_iter()
        .zip(digests)
        .filter(|(_, d)| d.as_ref() == Some(digest))
        .map(|(t, _)| t.to_string())
        .collect();
    let version = aliases
        .iter()
        .filter_map(|t| Version::parse(t).ok().map(|v| (v, t)))
        .max_by(|(a, ta), (b, tb)| {
            a.cmp(b)
                .then_with(|| ta.matches('.').count().cmp(&tb.matches('.').count()))
        })
        .map(|(_, t)| t.clone());
    Ok((aliases, version))
}
