//! `out` for images: tags as registry-image-resource computes them (plus literal `tags`), a
//! push of a local image, or a promotion of one already in a registry; `latest` written last.

use super::local::{self, Doc, LocalImage};
use super::manifest::is_index;
use super::{ImageError, Target};
use crate::digest::Digest;
use crate::log;
use crate::protocol::{ImagePutParams, ImageSource, ImageVersion, MetadataField, VersionResponse};
use crate::registry::push::{BlobOutcome, PushBlob};
use crate::registry::reference::validate_tag;
use crate::registry::{Client, Reference, Repository};
use crate::versions::semver::Version;
use std::path::{Path, PathBuf};

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
pub async fn put(
    plan: &super::ImagePlan,
    target: Target,
    params: &ImagePutParams,
    sources: &Path,
) -> Result<VersionResponse<ImageVersion>, ImageError> {
    let source = &plan.source;
    let repo = &target.repository;
    let client = &target.client;
    let put_source = PutSource::of(params)?;
    let tags = tags_to_push(source, params, sources, client, repo).await?;

    // Everything is read and checked before the first write to the registry.
    let (docs, blobs) = match put_source {
        PutSource::Local(glob) => {
            let path = one_match(sources, glob)?;
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
            (Docs::from_local(&image), Some(image))
        }
        PutSource::Promote(promote) => (resolve_promote(sources, promote, &target).await?, None),
    };
    let digest = docs.top.digest.clone();
    if let (Some(policy), None) = (&plan.verify, &blobs) {
        let (src_repo, src_client) = match &docs.origin {
            Some((r, c)) => (r, c),
            None => (repo, client),
        };
        super::verify::require(policy, src_client, src_repo, &digest).await?;
    }
    // What refers to the image travels with a promotion from another repository (read now,
    // before the first write).
    let artifacts = match &docs.origin {
        Some((src_repo, src_client)) if params.referrers != Some(false) => {
            let subjects: Vec<Digest> = std::iter::once(&docs.top)
                .chain(&docs.children)
                .map(|d| d.digest.clone())
                .collect();
            super::referrers::collect(src_client, src_repo, &subjects).await?
        }
        _ => match &blobs {
            Some(image) => image.attached.iter().map(attached_artifact).collect(),
            None => Vec::new(),
        },
    };

    match (&blobs, &docs.origin) {
        (Some(image), _) => push_local(client, repo, image).await?,
        (None, Some(origin)) => copy_remote(client, repo, origin, &docs).await?,
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
    if let (Some(origin), false) = (&docs.origin, artifacts.is_empty()) {
        let mut blobs: Vec<(Digest, u64)> = Vec::new();
        for a in &artifacts {
            for b in &a.blobs {
                if !blobs.contains(b) {
                    blobs.push(b.clone());
                }
            }
        }
        copy_blobs(client, repo, origin, &blobs).await?;
        super::referrers::write(client, repo, &artifacts).await?;
    } else if !artifacts.is_empty() {
        // A layout's artifacts: their blobs were pushed with the image's.
        super::referrers::write(client, repo, &artifacts).await?;
    }
    write_tags(client, repo, &docs.top, &tags, source.variant.as_deref()).await?;
    let mut metadata = vec![
        MetadataField::new("repository", target.name.clone()),
        MetadataField::new("tags", tags.join(" ")),
    ];
    if !artifacts.is_empty() {
        let names: Vec<String> = artifacts.iter().map(|a| a.name()).collect();
        metadata.push(MetadataField::new("referrers", names.join(" ")));
    }
    Ok(VersionResponse {
        version: ImageVersion {
            tag: tags[0].clone(),
            digest,
            base_digest: None,
        },
        metadata,
    })
}

/// An artifact of a layout, as the referrers writer takes it.
fn attached_artifact(a: &local::Attached) -> super::referrers::Artifact {
    use super::referrers::{Artifact, Kind};
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

/// The tags, in registry-image-resource's order: `source.tag`, the version, bumped aliases
/// (`latest`, `X`, `X.Y`), additional tags (with `tag_prefix`), then literal `tags`.
async fn tags_to_push(
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

/// The single path `glob` (relative to the sources dir) matches.
fn one_match(sources: &Path, glob: &str) -> Result<PathBuf, ImageError> {
    let invalid = |detail: String| ImageError::Invalid {
        field: "params.image",
        detail,
    };
    if Path::new(glob).is_absolute() || glob.split('/').any(|c| c == "..") {
        return Err(invalid(format!(
            "`{glob}` must stay inside the sources directory"
        )));
    }
    let matches = glob_paths(sources, glob).map_err(|e| invalid(format!("`{glob}`: {e}")))?;
    match matches.as_slice() {
        [one] => Ok(one.clone()),
        [] => {
            let (start, names, total) = what_is_there(sources, glob);
            let place = match start.as_os_str().is_empty() {
                true => "the sources directory".to_string(),
                false => format!(
                    "`{}/`",
                    log::shown_name(&start.to_string_lossy(), SHOWN_NAME_CHARS)
                ),
            };
            Err(invalid(format!(
                "no files match glob `{glob}`; {place} has: {}",
                log::shown_list(names, total)
            )))
        }
        many => {
            let names = many
                .iter()
                .take(SHOWN_NAMES)
                .map(|p| {
                    let relative = p.strip_prefix(sources).unwrap_or(p);
                    log::shown_name(&relative.to_string_lossy(), SHOWN_NAME_CHARS)
                })
                .collect();
            Err(invalid(format!(
                "too many files/directories match glob `{glob}`: {}",
                log::shown_list(names, many.len())
            )))
        }
    }
}

/// Names an error lists at most (the rest are counted), and characters shown of each.
const SHOWN_NAMES: usize = 20;
const SHOWN_NAME_CHARS: usize = 100;

/// The directory a glob starts in (its leading components without wildcards that are
/// directories, not links, relative to `sources`), the first [`SHOWN_NAMES`] names in it sorted
/// (a directory's with `/`, escaped), and how many it has.
fn what_is_there(sources: &Path, glob: &str) -> (PathBuf, Vec<String>, usize) {
    let parts: Vec<&str> = glob
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let mut start = PathBuf::new();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        let is_dir =
            std::fs::symlink_metadata(sources.join(&start).join(part)).is_ok_and(|m| m.is_dir());
        if part.contains(['*', '?', '[']) || !is_dir {
            break;
        }
        start.push(part);
    }
    let mut first = std::collections::BTreeSet::new();
    let mut total = 0;
    for entry in std::fs::read_dir(sources.join(&start))
        .into_iter()
        .flatten()
        .flatten()
    {
        total += 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        first.insert((name, entry.file_type().is_ok_and(|t| t.is_dir())));
        if first.len() > SHOWN_NAMES {
            first.pop_last();
        }
    }
    let names = first
        .iter()
        .map(|(name, dir)| log::shown_name(name, SHOWN_NAME_CHARS) + if *dir { "/" } else { "" })
        .collect();
    (start, names, total)
}

/// Shell-style globbing (`*`, `?`, `[...]`) component by component, sorted results.
fn glob_paths(root: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let mut current = vec![root.to_path_buf()];
    for part in pattern.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let re = crate::fsutil::glob_regex(part).map_err(|e| e.to_string())?;
        let mut next = Vec::new();
        for dir in &current {
            if !part.contains(['*', '?', '[']) {
                let p = dir.join(part);
                if std::fs::symlink_metadata(&p).is_ok() {
                    next.push(p);
                }
                continue;
            }
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let hidden_ok = !name.starts_with('.') || part.starts_with('.');
                if hidden_ok && re.is_match(&name) {
                    next.push(e.path());
                }
            }
        }
        next.sort();
        current = next;
    }
    Ok(current)
}

/// Blob uploads in flight at once: every layer of a usual image overlaps.
const PUSH_CONCURRENCY: usize = 6;

/// Pushes the blobs of a local image: each file read once (hashed while it is sent), all
/// uploads overlapping within the limit; a blob this user pushed to another repository of the
/// registry is mounted from there without a HEAD first.
async fn push_local(
    client: &Client,
    repo: &Repository,
    image: &LocalImage,
) -> Result<(), ImageError> {
    let digests: Vec<&Digest> = image.blobs.iter().map(|b| &b.digest).collect();
    let holders = crate::registry::blobcache::holders(repo, &digests);
    let jobs: Vec<(&local::Blob, Vec<Repository>)> = image.blobs.iter().zip(holders).collect();
    let outcomes = crate::net::concurrently(&jobs, PUSH_CONCURRENCY, |(blob, from)| async move {
        client
            .push_blob(
                repo,
                &PushBlob {
                    digest: &blob.digest,
                    file: &blob.path,
                    size: blob.size,
                    mount_from: from,
                    head: from.is_empty(),
                    verify: !blob.verified,
                },
            )
            .await
    })
    .await?;
    let (mut present, mut mounted, mut uploaded, mut bytes) = (0, 0, 0, 0u64);
    for (blob, outcome) in image.blobs.iter().zip(outcomes) {
        match outcome {
            BlobOutcome::Present => present += 1,
            BlobOutcome::Mounted => mounted += 1,
            BlobOutcome::Uploaded => {
                uploaded += 1;
                bytes += blob.size;
            }
        }
    }
    crate::registry::blobcache::remember(repo, &digests);
    log::info(format_args!(
        "{repo}: {uploaded} blobs uploaded ({bytes} bytes), {mounted} mounted, {present} already there"
    ));
    Ok(())
}

/// `promote`: a directory from an earlier get (its `repository` and `digest`), a tag of this
/// repository, or a full reference. The source must exist; nothing is written before that.
async fn resolve_promote(
    sources: &Path,
    promote: &str,
    target: &Target,
) -> Result<Docs, ImageError> {
    let invalid = |detail: String| ImageError::Invalid {
        field: "params.promote",
        detail,
    };
    let dir = sources.join(promote);
    let from_dir = !Path::new(promote).is_absolute()
        && !promote.split('/').any(|c| c == "..")
        && dir.join("digest").is_file();
    let reference = if from_dir {
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
    };
    let parsed = Reference::parse(&reference).map_err(|e| invalid(e.to_string()))?;
    let src_repo = parsed.repository.clone();
    let reference_part = match (&parsed.digest, &parsed.tag) {
        (Some(d), _) => d.to_string(),
        (None, Some(t)) => t.clone(),
        (None, None) => "latest".to_string(),
    };
    // Same registry: the target's own client (its credentials and tokens); another registry:
    // a client of the source's policy (TLS settings and client certificate, that registry's
    // docker config entry).
    let same_registry = src_repo.registry() == target.repository.registry();
    let client = if same_registry {
        target.client.clone()
    } else {
        target.endpoints.client(&src_repo, None)?
    };
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
    let mut children = Vec::new();
    if is_index(&top.media_type) {
        let index = super::platform::Index::parse(&top.bytes)
            .map_err(|e| invalid(format!("{reference}: index is not valid: {e}")))?;
        for child in &index.manifests {
            let m = client
                .get_manifest(&src_repo, &child.digest.to_string())
                .await?
                .ok_or_else(|| {
                    invalid(format!("{reference}: child {} is missing", child.digest))
                })?;
            children.push(Doc {
                media_type: m.media_type,
                bytes: m.bytes,
                digest: m.digest,
            });
        }
    }
    log::info(format_args!("promoting {reference} ({})", top.digest));
    let origin = (src_repo != target.repository).then_some((src_repo, client));
    Ok(Docs {
        top,
        children,
        origin,
    })
}

/// Blobs of a promotion from another repository: present, else mounted (same registry), else
/// streamed through a verified temporary file.
async fn copy_remote(
    client: &Client,
    repo: &Repository,
    origin: &(Repository, Client),
    docs: &Docs,
) -> Result<(), ImageError> {
    let src_repo = &origin.0;
    let images: Vec<&Doc> = if docs.children.is_empty() {
        vec![&docs.top]
    } else {
        docs.children.iter().collect()
    };
    let mut digests: Vec<(Digest, u64)> = Vec::new();
    for doc in images {
        let image = super::manifest::parse_image(
            &crate::registry::Manifest {
                media_type: doc.media_type.clone(),
                bytes: doc.bytes.clone(),
                digest: doc.digest.clone(),
            },
            &format!("{src_repo}@{}", doc.digest),
        )?;
        for d in std::iter::once(&image.config).chain(image.layers.iter()) {
            if !digests.iter().any(|(x, _)| *x == d.digest) {
                digests.push((d.digest.clone(), d.size));
            }
        }
    }
    copy_blobs(client, repo, origin, &digests).await
}

/// Blobs `digests` from `origin` into `repo`: present, else mounted (same registry), else
/// streamed through a verified temporary file.
pub(super) async fn copy_blobs(
    client: &Client,
    repo: &Repository,
    origin: &(Repository, Client),
    digests: &[(Digest, u64)],
) -> Result<(), ImageError> {
    let (src_repo, src_client) = origin;
    let same_registry = src_repo.registry() == repo.registry();
    let (mut present, mut mounted, mut copied, mut bytes) = (0, 0, 0, 0u64);
    // Blobs pass through a private directory (mode 0700, random name): nothing another user
    // of a shared `$TMPDIR` planted there (a link to a file of ours) is ever opened.
    let mut private: Option<crate::fsutil::PrivateDir> = None;
    for (digest, size) in digests {
        if client.blob_exists(repo, digest).await? {
            present += 1;
            continue;
        }
        if same_registry && client.mount_blob(repo, digest, src_repo).await? {
            mounted += 1;
            continue;
        }
        let dir = match &private {
            Some(d) => d,
            None => private.insert(super::private_temp_dir()?),
        };
        let tmp = dir.path().join(digest.hex());
        let result = async {
            let mut reader = src_client
                .blob_reader(src_repo, digest, Some(*size))
                .await?;
            let mut f = crate::fsutil::create_new(&tmp).map_err(|source| ImageError::Io {
                path: tmp.display().to_string(),
                source,
            })?;
            crate::net::blocking(move || std::io::copy(&mut reader, &mut f))
                .await
                .map_err(|source| ImageError::Layer {
                    digest: digest.to_string(),
                    source,
                })?;
            // Absent (HEADed above) and verified as it was read: no HEAD, no second hash.
            client
                .push_blob(
                    repo,
                    &PushBlob {
                        digest,
                        file: &tmp,
                        size: *size,
                        mount_from: &[],
                        head: false,
                        verify: false,
                    },
                )
                .await?;
            Ok::<(), ImageError>(())
        }
        .await;
        let _ = std::fs::remove_file(&tmp);
        result?;
        copied += 1;
        bytes += size;
    }
    let all: Vec<&Digest> = digests.iter().map(|(d, _)| d).collect();
    crate::registry::blobcache::remember(repo, &all);
    log::info(format_args!(
        "{repo}: {mounted} blobs mounted, {copied} copied ({bytes} bytes), {present} already there"
    ));
    Ok(())
}

/// Tag PUTs in flight at once (tags other than the floating ones).
const TAG_CONCURRENCY: usize = 4;

/// PUTs the top document under every tag: the fixed tags concurrently, then `latest` (and the
/// bare variant tag) last, one after another, only once every other tag is written; a failure
/// names what was and was not written (no new PUT starts after a failure).
async fn write_tags(
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
