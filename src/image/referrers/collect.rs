//! Reading what refers to an image in its source repository: listed by the referrers API or
//! the tag schema, cosign tags, within one budget of count and bytes per run.

use super::bound::bound;
use super::{blobs_of, Artifact, Kind, COSIGN_SUFFIXES, MAX_RUN_REFERRERS, MAX_RUN_REFERRER_BYTES};
use crate::digest::Digest;
use crate::image::ImageError;
use crate::log;
use crate::registry::referrers::{index_descriptors, schema_tag, Descriptor, ListBounds};
use crate::registry::{Client, Repository};

/// Everything in `repo` that refers to one of `subjects`: the tag list read once for cosign's
/// tags and the tag schema; the referrers API asked per subject first. A document not bound to
/// the subject it was found under is skipped with a warning; past the run's budget of count or
/// bytes, an error (before anything is written).
pub(crate) async fn collect(
    client: &Client,
    repo: &Repository,
    subjects: &[Digest],
) -> Result<Vec<Artifact>, ImageError> {
    let tags = client.list_tags(repo).await?.unwrap_or_default();
    let tags: std::collections::HashSet<String> = tags.into_iter().collect();
    let mut budget = Budget::new(repo);
    // Everything listed and counted first: past the budget, no manifest is read.
    let mut listed: Vec<(&Digest, Vec<Descriptor>, Vec<String>)> = Vec::new();
    for subject in subjects {
        let referrers = listed_under(client, repo, subject, &tags, &mut budget).await?;
        let cosign: Vec<String> = COSIGN_SUFFIXES
            .iter()
            .map(|suffix| format!("{}.{suffix}", schema_tag(subject)))
            .filter(|tag| tags.contains(tag))
            .collect();
        budget.spend(cosign.len(), 0)?;
        listed.push((subject, referrers, cosign));
    }
    let mut found: Vec<Artifact> = Vec::new();
    for (subject, referrers, cosign) in listed {
        for d in referrers {
            if d.media_type.contains("index") || d.media_type.contains("manifest.list") {
                log::warn(format_args!(
                    "{repo}@{}: a referrer that is an index is not carried",
                    d.digest
                ));
                continue;
            }
            let what = format!("{repo}@{}", d.digest);
            let Some(manifest) = client.get_manifest(repo, &d.digest.to_string()).await? else {
                log::warn(format_args!(
                    "{what}: listed as a referrer but missing; skipped"
                ));
                continue;
            };
            budget.spend(0, manifest.bytes.len() as u64)?;
            if !bound(&what, false, subject, &manifest.bytes) {
                continue;
            }
            let blobs = blobs_of(&manifest, &what)?;
            found.push(Artifact {
                kind: Kind::Referrer(d),
                subject: subject.clone(),
                manifest,
                blobs,
            });
        }
        for tag in cosign {
            let Some(manifest) = client.get_manifest(repo, &tag).await? else {
                continue;
            };
            budget.spend(0, manifest.bytes.len() as u64)?;
            let what = format!("{repo}:{tag}");
            if !bound(&what, true, subject, &manifest.bytes) {
                continue;
            }
            let blobs = blobs_of(&manifest, &what)?;
            found.push(Artifact {
                kind: Kind::Cosign(tag),
                subject: subject.clone(),
                manifest,
                blobs,
            });
        }
    }
    Ok(found)
}

/// The referrers `repo` lists under `subject`: its referrers API, else its tag-schema index
/// (when `tags` has it), each charged to `budget` (the API read no further than it allows).
async fn listed_under(
    client: &Client,
    repo: &Repository,
    subject: &Digest,
    tags: &std::collections::HashSet<String>,
    budget: &mut Budget<'_>,
) -> Result<Vec<Descriptor>, ImageError> {
    if let Some(listing) = client.referrers(repo, subject, None, budget.left()).await? {
        budget.spend(listing.descriptors.len(), listing.bytes)?;
        return Ok(listing.descriptors);
    }
    let tag = schema_tag(subject);
    if !tags.contains(&tag) {
        return Ok(Vec::new());
    }
    let Some(index) = client.get_manifest(repo, &tag).await? else {
        return Ok(Vec::new());
    };
    budget.spend(0, index.bytes.len() as u64)?;
    let listed = index_descriptors(&index.bytes).map_err(|detail| ImageError::Malformed {
        reference: format!("{repo}:{tag}"),
        detail,
    })?;
    budget.spend(listed.len(), 0)?;
    Ok(listed)
}

/// What one run has read of referrers: counted against [`MAX_RUN_REFERRERS`] and
/// [`MAX_RUN_REFERRER_BYTES`].
struct Budget<'a> {
    repo: &'a Repository,
    count: usize,
    bytes: u64,
}

impl<'a> Budget<'a> {
    fn new(repo: &'a Repository) -> Budget<'a> {
        Budget {
            repo,
            count: 0,
            bytes: 0,
        }
    }

    /// What a referrers answer may still bring.
    fn left(&self) -> ListBounds {
        ListBounds {
            count: MAX_RUN_REFERRERS.saturating_sub(self.count),
            bytes: MAX_RUN_REFERRER_BYTES.saturating_sub(self.bytes),
        }
    }

    /// Charges `count` documents and `bytes`; an error naming the limit once either is passed.
    fn spend(&mut self, count: usize, bytes: u64) -> Result<(), ImageError> {
        self.count = self.count.saturating_add(count);
        self.bytes = self.bytes.saturating_add(bytes);
        let limit = if self.count > MAX_RUN_REFERRERS {
            format!("{MAX_RUN_REFERRERS} referrers")
        } else if self.bytes > MAX_RUN_REFERRER_BYTES {
            format!(
                "{} MiB of referrer documents",
                MAX_RUN_REFERRER_BYTES / (1024 * 1024)
            )
        } else {
            return Ok(());
        };
        Err(ImageError::ReferrerBudget {
            repository: self.repo.to_string(),
            limit,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_budget_names_the_limit_it_passed() {
        let repo = Repository::parse("127.0.0.1:5000/app").unwrap();
        let mut budget = Budget::new(&repo);
        budget
            .spend(MAX_RUN_REFERRERS, MAX_RUN_REFERRER_BYTES)
            .unwrap();
        assert_eq!(budget.left().count, 0);
        let err = budget.spend(1, 0).unwrap_err().to_string();
        assert!(err.contains("the limit of 1000 referrers per run"), "{err}");
        let mut budget = Budget::new(&repo);
        let err = budget
            .spend(0, MAX_RUN_REFERRER_BYTES + 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the limit of 64 MiB of referrer documents per run"),
            "{err}"
        );
        assert!(err.starts_with("127.0.0.1:5000/app: "), "{err}");
    }
}
