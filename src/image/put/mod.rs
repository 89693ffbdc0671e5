//! `out` for images: tags as registry-image-resource computes them (plus literal `tags`), a
//! push of a local image, or a promotion of one already in a registry; `latest` written last.

mod blobs;
mod glob;
mod promote;
mod tags;

use super::local::{self, Doc, LocalImage};
use super::referrers::Artifact;
use super::{ImageError, Target};
use crate::digest::Digest;
use crate::log;
use crate::protocol::{ImagePutParams, ImageVersion, MetadataField, VersionResponse};
use crate::registry::{Client, Repository};
use std::path::Path;

/// What `out` pushes, decided once from the params: an image on disk or a promotion.
enum PutSource<'a> {
    /// `image`: a glob for an OCI layout or archive under the sources directory.
    Local(&'a str),
    /// `promote`: a tag, a reference or a directory from an earlier get.
    Promote(&'a str),
}

impl<'a> PutSource<'a> {
    fn of(params: &'a ImagePutParams) -> Result<PutSource<'a>, ImageError> {
        let invalid = |field, detail: &str| ImageError::Invalid {
            field,
            detail: detail.to_string(),
        };
        match (&params.image, &params.promote) {
            (Some(glob), None) => Ok(PutSource::Local(glob)),
            (None, Some(promote)) => Ok(PutSource::Promote(promote)),
            (Some(_), Some(_)) => Err(invalid("params", "set `image` or `promote`, not both")),
            (None, None) => Err(invalid("params.image", "missing (or set `promote`)")),
        }
    }
}

/// Pushes or promotes, then answers with the first tag and the digest.
pub(crate) async fn put(
    plan: &super::ImagePlan,
    target: Target,
    params: &ImagePutParams,
    sources: &Path,
) -> Result<VersionResponse<ImageVersion>, ImageError> {
    let repo = &target.repository;
    let client = &target.client;
    let put_source = PutSource::of(params)?;
    let signer = super::sign::Signer::of(plan.source.sign.as_ref(), params.sign.as_ref())?;
    let tags = tags::to_push(&plan.source, params, sources, client, repo).await?;

    // Everything is read and checked before the first write to the registry.
    let (docs, local) = match put_source {
        PutSource::Local(glob) => {
            let image = load_local(sources, glob, params)?;
            (Docs::from_local(&image), Some(image))
        }
        PutSource::Promote(promote) => (promote::resolve(sources, promote, &target).await?, None),
    };
    if let (Some(policy), None) = (&plan.verify, &local) {
        let (src_repo, src_client) = match &docs.origin {
            Some((r, c)) => (r, c),
            None => (repo, client),
        };
        super::verify::require(policy, src_client, src_repo, &docs.top.digest).await?;
    }
    let artifacts = artifacts_to_carry(&docs, local.as_ref(), params).await?;

    write_image(client, repo, &docs, local.as_ref()).await?;
    write_artifacts(client, repo, &docs, &artifacts).await?;
    // Every signature is stored before the first tag (so before `latest`): a signing failure
    // leaves every tag where it was.
    let signed = match &signer {
        Some(s) => Some(s.write(client, repo, &docs.top, &docs.children).await?),
        None => None,
    };
    tags::write(
        client,
        repo,
        &docs.top,
        &tags,
        plan.source.variant.as_deref(),
    )
    .await?;
    Ok(answer(
        &target,
        &tags,
        docs.top.digest,
        &artifacts,
        signed.as_ref(),
    ))
}

/// The local image `glob` matches, with only the artifacts bound to the digest they stand
/// beside (none with `referrers: false`), their blobs added to the image's.
fn load_local(
    sources: &Path,
    glob: &str,
    params: &ImagePutParams,
) -> Result<LocalImage, ImageError> {
    let path = glob::one_match(sources, glob)?;
    log::info(format_args!("loading {}", path.display()));
    let mut image = local::load(&path)?;
    if params.referrers == Some(false) {
        image.attached.clear();
    }
    // Only what is bound to the digest it stands beside: a referrer by its own
    // `subject`, a cosign manifest by its tag (naming no other `subject`).
    image.attached.retain(|a| {
        let name = a.tag.clone().unwrap_or_else(|| a.doc.digest.to_string());
        let what = format!("{}: {name}", path.display());
        super::referrers::bound(&what, a.tag.is_some(), &a.subject, &a.doc.bytes)
    });
    for a in &image.attached {
        for b in &a.blobs {
            if !image.blobs.iter().any(|x| x.digest == b.digest) {
                image.blobs.push(b.clone());
            }
        }
    }
    Ok(image)
}

/// What refers to the image and travels with it: for a promotion from another repository,
/// what its source has (read now, before the first write); for a layout, its artifacts.
async fn artifacts_to_carry(
    docs: &Docs,
    local: Option<&LocalImage>,
    params: &ImagePutParams,
) -> Result<Vec<Artifact>, ImageError> {
    Ok(match &docs.origin {
        Some((src_repo, src_client)) if params.referrers != Some(false) => {
            let subjects: Vec<Digest> = std::iter::once(&docs.top)
                .chain(&docs.children)
                .map(|d| d.digest.clone())
                .collect();
            super::referrers::collect(src_client, src_repo, &subjects).await?
        }
        _ => match local {
            Some(image) => image.attached.iter().map(attached_artifact).collect(),
            None => Vec::new(),
        },
    })
}

/// The image's blobs (pushed from disk, or copied from the promotion's source), then the
/// manifests of an index's children.
async fn write_image(
    client: &Client,
    repo: &Repository,
    docs: &Docs,
    local: Option<&LocalImage>,
) -> Result<(), ImageError> {
    match (local, &docs.origin) {
        (Some(image), _) => blobs::push_local(client, repo, image).await?,
        (None, Some(origin)) => blobs::copy_remote(client, repo, origin, docs).await?,
        (None, None) => {}
    }
    for child in &docs.children {
        client
            .put_manifest(
                repo,
                &child.digest.to_string(),
                &child.media_type,
                &child.bytes,
            )
            .await?;
    }
    Ok(())
}

/// The artifacts on the target: a promotion's blobs copied first (a layout's were pushed with
/// the image's).
async fn write_artifacts(
    client: &Client,
    repo: &Repository,
    docs: &Docs,
    artifacts: &[Artifact],
) -> Result<(), ImageError> {
    if artifacts.is_empty() {
        return Ok(());
    }
    if let Some(origin) = &docs.origin {
        let mut blobs: Vec<(Digest, u64)> = Vec::new();
        for a in artifacts {
            for b in &a.blobs {
                if !blobs.contains(b) {
                    blobs.push(b.clone());
                }
            }
        }
        blobs::copy_blobs(client, repo, origin, &blobs).await?;
    }
    super::referrers::write(client, repo, artifacts).await
}

/// `out`'s answer: the first tag and the digest; the repository, the tags and what referred to
/// the image as metadata.
fn answer(
    target: &Target,
    tags: &[String],
    digest: Digest,
    artifacts: &[Artifact],
    signed: Option<&super::sign::Signed>,
) -> VersionResponse<ImageVersion> {
    let mut metadata = vec![
        MetadataField::new("repository", target.name.clone()),
        MetadataField::new("tags", tags.join(" ")),
    ];
    if !artifacts.is_empty() {
        let names: Vec<String> = artifacts.iter().map(|a| a.name()).collect();
        metadata.push(MetadataField::new("referrers", names.join(" ")));
    }
    if let Some(s) = signed {
        let digests: Vec<String> = s.digests.iter().map(|d| d.to_string()).collect();
        metadata.push(MetadataField::new("signed", digests.join(" ")));
        metadata.push(MetadataField::new("signatures", s.signatures.join(" ")));
    }
    VersionResponse {
        version: ImageVersion {
            tag: tags[0].clone(),
            digest,
            base_digest: None,
            updates: None,
        },
        metadata,
    }
}

/// An artifact of a layout, as the referrers writer takes it.
fn attached_artifact(a: &local::Attached) -> Artifact {
    use super::referrers::Kind;
    let kind = match &a.tag {
        Some(tag) => Kind::Cosign(tag.clone()),
        None => Kind::Referrer(crate::registry::referrers::Descriptor {
            media_type: a.doc.media_type.clone(),
            digest: a.doc.digest.clone(),
            size: a.doc.bytes.len() as u64,
            artifact_type: a.artifact_type.clone(),
            annotations: a.annotations.clone(),
        }),
    };
    Artifact {
        kind,
        subject: a.subject.clone(),
        manifest: crate::registry::Manifest {
            media_type: a.doc.media_type.clone(),
            bytes: a.doc.bytes.clone(),
            digest: a.doc.digest.clone(),
        },
        blobs: a.blobs.iter().map(|b| (b.digest.clone(), b.size)).collect(),
    }
}

/// What the tags will point at, and where blobs come from for a promotion.
struct Docs {
    top: Doc,
    children: Vec<Doc>,
    /// For a promotion from another repository: the source and its client.
    origin: Option<(Repository, Client)>,
}

impl Docs {
    fn from_local(image: &LocalImage) -> Docs {
        Docs {
            top: image.top.clone(),
            children: image.children.clone(),
            origin: None,
        }
    }
}
