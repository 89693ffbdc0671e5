//! Tag discovery: semver mode and regex mode over a repository's tag list, HEADing only what
//! can change the answer, concurrently with a bound, with a deterministic result.

use super::manifest;
use super::platform::Platform;
use super::ImageError;
use crate::digest::Digest;
use crate::protocol::{ImageSource, ImageVersion};
use crate::registry::{Client, RegistryError, Repository};
use crate::versions::natural_cmp;
use crate::versions::semver::{Constraints, Version};
use regex::Regex;
use std::collections::HashMap;

/// Manifest HEADs in flight at once on a public registry (Docker Hub, GHCR, Quay, ECR, GCR /
/// Artifact Registry, ACR, MCR, GitLab): polite to a shared service.
pub(super) const HEAD_CONCURRENCY: usize = 8;
/// On a registry on this machine (loopback).
const LOOPBACK_HEAD_CONCURRENCY: usize = 64;
/// On any other (self-hosted: Harbor, Nexus, Artifactory, `registry:2`).
const SELF_HOSTED_HEAD_CONCURRENCY: usize = 24;

/// Public registry hosts (suffixes): the conservative limit.
const PUBLIC_REGISTRIES: &[&str] = &[
    "docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "pkg.dev",
    "amazonaws.com",
    "public.ecr.aws",
    "azurecr.io",
    "mcr.microsoft.com",
    "gitlab.com",
    "registry.k8s.io",
    "nvcr.io",
];

/// How many HEADs `repo`'s registry gets at once: by kind (above); every rate-limit answer
/// (429, or a 403 with a rate-limit header) seen during the run halves it, down to 1.
pub(super) fn head_concurrency(repo: &Repository) -> usize {
    let host = repo.registry().split(':').next().unwrap_or("");
    if repo.is_loopback() {
        LOOPBACK_HEAD_CONCURRENCY
    } else if PUBLIC_REGISTRIES
        .iter()
        .any(|p| host == *p || host.ends_with(&format!(".{p}")))
    {
        HEAD_CONCURRENCY
    } else {
        SELF_HOSTED_HEAD_CONCURRENCY
    }
}

/// `semver_constraint` and `tag_regex`, compiled once before any request.
#[derive(Default)]
pub(crate) struct Rules {
    /// `semver_constraint`, parsed.
    pub constraint: Option<Constraints>,
    /// `tag_regex`, compiled.
    pub tag_regex: Option<Regex>,
}

impl Rules {
    /// Compiles the source's discovery rules, refusing what cannot work together.
    pub(crate) fn of(source: &ImageSource) -> Result<Rules, ImageError> {
        let constraint = source
            .semver_constraint
            .as_deref()
            .map(Constraints::parse)
            .transpose()
            .map_err(|e| ImageError::Invalid {
                field: "source.semver_constraint",
                detail: e.to_string(),
            })?;
        let tag_regex = source.tag_regex.as_deref().map(compile).transpose()?;
        if let Some(re) = &tag_regex {
            if source.created_at_sort && re.capture_names().any(|n| n == Some("version")) {
                return Err(ImageError::Invalid {
                    field: "source.created_at_sort",
                    detail: "cannot be combined with a `version` group in tag_regex (the group orders the tags)".into(),
                });
            }
        }
        Ok(Rules {
            constraint,
            tag_regex,
        })
    }
}

fn compile(pattern: &str) -> Result<Regex, ImageError> {
    Regex::new(pattern).map_err(|e| ImageError::Invalid {
        field: "source.tag_regex",
        detail: format!("invalid regex: {}", e.to_string().replace('\n', " ")),
    })
}

async fn tags_of(client: &Client, repo: &Repository) -> Result<Vec<String>, ImageError> {
    client
        .list_tags(repo)
        .await?
        .ok_or_else(|| ImageError::Gone {
            reference: format!("repository {repo}"),
        })
}

/// The digests of `tags` (None where the tag has gone), in the order of `tags`; HEADs run
/// [`head_concurrency`] at a time, fewer after each rate-limit answer; the first failure ends it
/// (nothing new starts after it).
pub(super) async fn head_all(
    client: &Client,
    repo: &Repository,
    tags: &[&str],
) -> Result<Vec<Option<Digest>>, RegistryError> {
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let limit = head_concurrency(repo);
    let limited_before = crate::net::rate_limited();
    let mut shown = limit;
    let mut results: Vec<Option<Option<Digest>>> = vec![None; tags.len()];
    let mut in_flight = FuturesUnordered::new();
    let mut next = 0;
    loop {
        let halvings = crate::net::rate_limited()
            .saturating_sub(limited_before)
            .min(16);
        let allowed = (limit >> halvings).max(1);
        if allowed < shown {
            shown = allowed;
            crate::log::info(format_args!(
                "{repo}: rate limited; {allowed} HEADs at a time from now on"
            ));
        }
        while in_flight.len() < allowed && next < tags.len() {
            let (i, tag) = (next, tags[next]);
            in_flight.push(async move { (i, client.manifest_digest(repo, tag).await) });
            next += 1;
        }
        match in_flight.next().await {
            None => break,
            Some((i, result)) => results[i] = Some(result?),
        }
    }
    Ok(results.into_iter().map(Option::flatten).collect())
}

struct Candidate {
    tag: String,
    version: Option<Version>,
}

/// Semver mode, as registry-image-resource: version tags (of `variant`), constraint, pre-release
/// rules, one version per digest, ascending; the bare tag last when its digest is new.
pub(super) async fn semver_mode(
    client: &Client,
    repo: &Repository,
    source: &ImageSource,
    constraint: Option<&Constraints>,
    cursor: Option<&ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let bare = source.variant.as_deref().unwrap_or("latest");
    let tags = tags_of(client, repo).await?;
    let candidates = semver_candidates(tags, source, constraint, bare);
    let found = digests_above_cursor(client, repo, candidates, cursor).await?;
    Ok(one_per_digest(found, constraint.is_some(), bare))
}

/// The tags that are versions of the source's variant, within the constraint and the
/// pre-release rules, and the bare tag (without a version).
fn semver_candidates(
    tags: Vec<String>,
    source: &ImageSource,
    constraint: Option<&Constraints>,
    bare: &str,
) -> Vec<Candidate> {
    let suffix = source.variant.as_ref().map(|v| format!("-{v}"));
    tags.into_iter()
        .filter_map(|tag| {
            if tag == bare {
                return Some(Candidate { tag, version: None });
            }
            let text = match &suffix {
                Some(s) => tag.strip_suffix(s.as_str())?,
                None => tag.as_str(),
            };
            let version = Version::parse(text).ok()?;
            if constraint.as_ref().is_some_and(|c| !c.check(&version)) {
                return None;
            }
            if !prerelease_allowed(version.prerelease(), source) {
                return None;
            }
            Some(Candidate {
                tag,
                version: Some(version),
            })
        })
        .collect()
}

/// The candidates' digests (the absent dropped). The cursor's tag first: while it still has
/// the cursor's digest, nothing ordered at or below it needs a HEAD.
async fn digests_above_cursor(
    client: &Client,
    repo: &Repository,
    mut candidates: Vec<Candidate>,
    cursor: Option<&ImageVersion>,
) -> Result<Vec<(Candidate, Digest)>, ImageError> {
    let mut found: Vec<(Candidate, Digest)> = Vec::new();
    let mut floor: Option<Version> = None;
    if let Some(c) = cursor {
        if let Some(pos) = candidates.iter().position(|x| x.tag == c.tag) {
            let cand = candidates.remove(pos);
            if let Some(d) = client.manifest_digest(repo, &cand.tag).await? {
                if d == c.digest {
                    floor = cand.version.clone();
                }
                found.push((cand, d));
            }
        }
    }
    let rest: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| match (&c.version, &floor) {
            (Some(v), Some(f)) => v > f,
            _ => true,
        })
        .collect();
    let names: Vec<&str> = rest.iter().map(|c| c.tag.as_str()).collect();
    let digests = head_all(client, repo, &names).await?;
    found.extend(
        rest.into_iter()
            .zip(digests)
            .filter_map(|(c, d)| d.map(|d| (c, d))),
    );
    Ok(found)
}

/// One version per digest (a final beats pre-releases, more dots beat fewer, else first seen),
/// ascending; the bare tag last when its digest is new and no constraint is set.
fn one_per_digest(
    found: Vec<(Candidate, Digest)>,
    constrained: bool,
    bare: &str,
) -> Vec<ImageVersion> {
    let mut by_digest: HashMap<Digest, usize> = HashMap::new();
    let mut chosen: Vec<(Version, String, Digest)> = Vec::new();
    let mut bare_digest = None;
    for (cand, digest) in found {
        let Some(version) = cand.version else {
            bare_digest = Some(digest);
            continue;
        };
        match by_digest.get(&digest) {
            None => {
                by_digest.insert(digest.clone(), chosen.len());
                chosen.push((version, cand.tag, digest));
            }
            Some(&i) => {
                if prefer(&version, &chosen[i].0) {
                    chosen[i] = (version, cand.tag, digest);
                }
            }
        }
    }
    chosen.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<ImageVersion> = chosen
        .into_iter()
        .map(|(_, tag, digest)| ImageVersion {
            tag,
            digest,
            base_digest: None,
            updates: None,
        })
        .collect();
    if let Some(d) = bare_digest {
        if !constrained && !by_digest.contains_key(&d) {
            out.push(ImageVersion {
                tag: bare.to_string(),
                digest: d,
                base_digest: None,
                updates: None,
            });
        }
    }
    out
}

fn prerelease_allowed(pre: &str, source: &ImageSource) -> bool {
    if pre.is_empty() {
        return true;
    }
    if !source.pre_releases {
        return false;
    }
    if source.pre_release_prefixes.is_empty() && pre.contains('-') {
        // `1.2.3-rc.1-alpine`: another variant, not a pre-release.
        return false;
    }
    ["alpha", "beta", "rc"]
        .iter()
        .copied()
        .chain(source.pre_release_prefixes.iter().map(String::as_str))
        .any(|p| pre.starts_with(p))
}

fn prefer(new: &Version, existing: &Version) -> bool {
    match (
        existing.prerelease().is_empty(),
        new.prerelease().is_empty(),
    ) {
        (true, false) => false,
        (false, true) => true,
        _ => new.original().matches('.').count() > existing.original().matches('.').count(),
    }
}

/// Regex mode. Without a `version` group, as registry-image-resource: matching tags in registry
/// order (or by config `created` with `created_at_sort`). With `(?P<version>…)`, ordered by the
/// captured version (semver when every capture parses, else natural order), and tags at or below
/// a still-valid cursor are not HEADed.
pub(super) async fn regex_mode(
    client: &Client,
    repo: &Repository,
    source: &ImageSource,
    re: &Regex,
    cursor: Option<&ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let grouped = re.capture_names().any(|n| n == Some("version"));
    let tags = tags_of(client, repo).await?;
    if grouped {
        regex_by_version(client, repo, re, tags, cursor).await
    } else {
        regex_in_registry_order(client, repo, source, re, &tags).await
    }
}

/// Regex mode without a `version` group: matching tags in registry order, or by config
/// `created` with `created_at_sort`.
async fn regex_in_registry_order(
    client: &Client,
    repo: &Repository,
    source: &ImageSource,
    re: &Regex,
    tags: &[String],
) -> Result<Vec<ImageVersion>, ImageError> {
    let matched: Vec<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|t| re.is_match(t))
        .collect();
    let digests = head_all(client, repo, &matched).await?;
    let mut out: Vec<(ImageVersion, Option<(i64, u32)>)> = Vec::new();
    for (tag, digest) in matched.into_iter().zip(digests) {
        let Some(digest) = digest else { continue };
        let created = if source.created_at_sort {
            created_of(client, repo, source, &digest).await?
        } else {
            None
        };
        out.push((
            ImageVersion {
                tag: tag.to_string(),
                digest,
                base_digest: None,
                updates: None,
            },
            created,
        ));
    }
    if source.created_at_sort {
        out.sort_by_key(|(_, created)| created.unwrap_or((i64::MIN, 0)));
    }
    Ok(out.into_iter().map(|(v, _)| v).collect())
}

/// Regex mode with a `version` group: ordered by the captured version; tags at or below a
/// still-valid cursor are not HEADed.
async fn regex_by_version(
    client: &Client,
    repo: &Repository,
    re: &Regex,
    tags: Vec<String>,
    cursor: Option<&ImageVersion>,
) -> Result<Vec<ImageVersion>, ImageError> {
    let mut matched: Vec<(String, String)> = tags
        .into_iter()
        .filter_map(|t| {
            let v = re.captures(&t)?.name("version")?.as_str().to_string();
            Some((t, v))
        })
        .collect();
    let (order, rank) = captured_order(&matched);
    let mut keep_from = 0;
    let mut cursor_hit: Option<(usize, Digest)> = None;
    if let Some(c) = cursor {
        if let Some(i) = matched.iter().position(|(t, _)| *t == c.tag) {
            if let Some(d) = client.manifest_digest(repo, &matched[i].0).await? {
                if d == c.digest {
                    keep_from = rank[i] + 1;
                }
                cursor_hit = Some((i, d));
            }
        }
    }
    let todo: Vec<usize> = order
        .iter()
        .copied()
        .skip(keep_from)
        .filter(|&i| cursor_hit.as_ref().is_none_or(|(c, _)| *c != i))
        .collect();
    let names: Vec<&str> = todo.iter().map(|&i| matched[i].0.as_str()).collect();
    let digests = head_all(client, repo, &names).await?;
    let mut found: Vec<(usize, Digest)> = todo
        .into_iter()
        .zip(digests)
        .filter_map(|(i, d)| d.map(|d| (i, d)))
        .collect();
    found.extend(cursor_hit);
    found.sort_by_key(|(i, _)| rank[*i]);
    Ok(found
        .into_iter()
        .map(|(i, digest)| ImageVersion {
            tag: std::mem::take(&mut matched[i].0),
            digest,
            base_digest: None,
            updates: None,
        })
        .collect())
}

/// The order of `(tag, captured version)` pairs (semver when every capture parses, else
/// natural order), as indexes in that order and each index's rank.
fn captured_order(matched: &[(String, String)]) -> (Vec<usize>, Vec<usize>) {
    let parsed: Option<Vec<Version>> = matched
        .iter()
        .map(|(_, v)| Version::parse(v).ok())
        .collect();
    let mut order: Vec<usize> = (0..matched.len()).collect();
    match &parsed {
        Some(p) => order.sort_by(|&a, &b| {
            p[a].cmp(&p[b])
                .then(natural_cmp(&matched[a].1, &matched[b].1))
        }),
        None => order.sort_by(|&a, &b| natural_cmp(&matched[a].1, &matched[b].1)),
    }
    let mut rank = vec![0; matched.len()];
    for (pos, &i) in order.iter().enumerate() {
        rank[i] = pos;
    }
    (order, rank)
}

async fn created_of(
    client: &Client,
    repo: &Repository,
    source: &ImageSource,
    digest: &Digest,
) -> Result<Option<(i64, u32)>, ImageError> {
    let Some(m) = client.get_manifest(repo, &digest.to_string()).await? else {
        return Ok(None);
    };
    let wanted = Platform::resolve(source.platform.as_ref(), None);
    let image = manifest::for_platform(client, repo, m, &wanted).await?;
    let config = manifest::config(client, repo, &image).await?;
    Ok(config.created.as_deref().and_then(parse_rfc3339))
}

/// `2024-01-15T10:20:30.5Z` / `…+02:00` → (unix seconds, nanoseconds).
fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some((t.timestamp(), t.timestamp_subsec_nanos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2024-01-15T10:20:30.5Z"),
            Some((1_705_314_030, 500_000_000))
        );
        assert_eq!(
            parse_rfc3339("2024-01-15T12:20:30+02:00"),
            Some((1_705_314_030, 0))
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn prerelease_rules() {
        let mut s = ImageSource::default();
        assert!(!prerelease_allowed("rc.1", &s));
        s.pre_releases = true;
        assert!(prerelease_allowed("rc.1", &s));
        assert!(!prerelease_allowed("rc.1-alpine", &s));
        assert!(!prerelease_allowed("alpine", &s));
        s.pre_release_prefixes = vec!["alpine".into()];
        assert!(prerelease_allowed("alpine", &s));
        assert!(prerelease_allowed("rc.1-alpine", &s));
    }

    #[test]
    fn preference() {
        let v = |s| Version::parse(s).unwrap();
        assert!(prefer(&v("3.2.1"), &v("3.2")));
        assert!(!prefer(&v("3.2"), &v("3.2.1")));
        assert!(prefer(&v("3.2.0"), &v("3.2.0-rc.1")));
        assert!(!prefer(&v("3.2.0-rc.1"), &v("3")));
    }
}
