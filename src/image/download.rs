//! Writing a fetched image to disk: `rootfs/` (streamed, verified, extracted aside then renamed),
//! `image.tar` (docker-save layout) and `oci/` (OCI image layout).

use super::extract::{self, Extractor};
use super::manifest::{self, ImageManifest};
use super::platform::{self, Platform};
use super::ImageError;
use crate::digest::Digest;
use crate::fsutil::{self, AtomicFile, WriteOptions};
use crate::log;
use crate::registry::{Client, Manifest, Repository};
use serde::Serialize;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Chunks (256 KiB each) a layer's producer may run ahead: 12 MiB, two layers at most in flight.
const PIPE_DEPTH: usize = 48;
const PROGRESS_MIN_BYTES: u64 = 16 * 1024 * 1024;

/// `metadata.json` as registry-image-resource writes it.
#[derive(Serialize)]
struct ImageMetadata<'a> {
    cmd: &'a Option<Vec<String>>,
    entrypoint: &'a Option<Vec<String>>,
    env: &'a Option<Vec<String>>,
    user: &'a str,
}

pub(super) fn io_err(path: &Path) -> impl Fn(io::Error) -> ImageError + '_ {
    move |source| ImageError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A sibling staging directory for `final_path` (`.<name>.uptick-<pid>`, inside `in`'s private
/// staging directory), removed on drop unless committed.
struct Staging {
    path: PathBuf,
    kept: bool,
}

impl Staging {
    fn dir(final_path: &Path) -> Result<Staging, ImageError> {
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let path = final_path.with_file_name(format!(".{name}.uptick-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(io_err(&path))?;
        Ok(Staging { path, kept: false })
    }

    /// Renames the staging directory over `final_path`.
    fn commit(mut self, final_path: &Path) -> Result<(), ImageError> {
        if let Ok(m) = std::fs::symlink_metadata(final_path) {
            let r = if m.is_dir() {
                std::fs::remove_dir_all(final_path)
            } else {
                std::fs::remove_file(final_path)
            };
            r.map_err(io_err(final_path))?;
        }
        std::fs::rename(&self.path, final_path).map_err(io_err(final_path))?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn human(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// Progress lines for one layer: a start line, 25/50/75% for large layers, a done line.
struct Progress {
    label: String,
    total: u64,
    next_quarter: u64,
    started: Instant,
}

impl Progress {
    fn start(index: usize, count: usize, digest: &Digest, total: u64) -> Progress {
        let label = format!("layer {}/{} {}", index + 1, count, &digest.hex()[..12]);
        log::info(format_args!("{label}: {}", human(total)));
        Progress {
            label,
            total,
            next_quarter: 1,
            started: Instant::now(),
        }
    }

    fn update(&mut self, read: u64) {
        if self.total < PROGRESS_MIN_BYTES || self.next_quarter > 3 {
            return;
        }
        if read * 4 >= self.total * self.next_quarter {
            log::info(format_args!("{}: {}%", self.label, self.next_quarter * 25));
            self.next_quarter += 1;
        }
    }

    fn done(&self) {
        log::info(format_args!(
            "{}: done in {:.1} s",
            self.label,
            self.started.elapsed().as_secs_f64()
        ));
    }
}

/// Starts one layer's producer: download → verify → decompress on a helper thread.
async fn start_layer(
    client: &Client,
    repo: &Repository,
    layer: &platform::Descriptor,
    progress: Progress,
) -> Result<extract::ChannelReader, ImageError> {
    let reader = client
        .blob_reader(repo, &layer.digest, Some(layer.size))
        .await?;
    Ok(extract::pipelined(PIPE_DEPTH, move |send| {
        let mut progress = progress;
        let mut counted = Counting {
            inner: reader,
            progress: &mut progress,
        };
        let decompressed = extract::decompress(&mut counted)?;
        extract::pump(decompressed, send)?;
        // Whatever the decompressor left (trailers, padding) still counts for the digest.
        io::copy(&mut counted, &mut io::sink())?;
        progress.done();
        Ok(())
    }))
}

/// Applies a started layer here, on the extracting thread.
fn apply_layer(
    digest: &Digest,
    mut stream: extract::ChannelReader,
    extractor: &mut Extractor,
) -> Result<(), ImageError> {
    extractor.apply(&mut stream).map_err(|e| match e {
        extract::ExtractError::Read(source) => ImageError::Layer {
            digest: digest.to_string(),
            source,
        },
        other => ImageError::Extract(other),
    })?;
    Ok(())
}

struct Counting<'p, R> {
    inner: crate::digest::VerifyingReader<R>,
    progress: &'p mut Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.update(self.inner.bytes_read());
        Ok(n)
    }
}

/// `rootfs/`, `metadata.json`, `labels.json`. The root filesystem is extracted beside `dest`'s
/// `rootfs` and renamed into place only when every layer applied and verified.
pub(super) async fn rootfs(
    client: &Client,
    repo: &Repository,
    image: &ImageManifest,
    config_bytes: &[u8],
    dest: &Path,
) -> Result<(), ImageError> {
    let config = manifest::parse_config(repo, image, config_bytes)?;
    let final_root = dest.join("rootfs");
    let staging = Staging::dir(&final_root)?;
    let mut extractor = Extractor::new(&staging.path);
    let count = image.layers.len();
    let started = Instant::now();
    let total: u64 = image.layers.iter().map(|l| l.size).sum();
    // One layer of lookahead: the next layer downloads and decompresses (into its bounded
    // pipe) while this one is written.
    let start = |i: usize| {
        let layer = &image.layers[i];
        start_layer(
            client,
            repo,
            layer,
            Progress::start(i, count, &layer.digest, layer.size),
        )
    };
    let mut next = if count > 0 {
        Some(start(0).await?)
    } else {
        None
    };
    for (i, layer) in image.layers.iter().enumerate() {
        let Some(current) = next.take() else { break };
        if i + 1 < count {
            next = Some(start(i + 1).await?);
        }
        let digest = layer.digest.clone();
        let (returned, applied) = crate::net::blocking(move || {
            let applied = apply_layer(&digest, current, &mut extractor);
            (extractor, applied)
        })
        .await;
        extractor = returned;
        applied?;
    }
    extractor.finish().map_err(ImageError::Extract)?;
    staging.commit(&final_root)?;
    log::info(format_args!(
        "extracted {count} layers ({}) in {:.1} s",
        human(total),
        started.elapsed().as_secs_f64()
    ));
    let meta = ImageMetadata {
        cmd: &config.config.cmd,
        entrypoint: &config.config.entrypoint,
        env: &config.config.env,
        user: config.config.user.as_deref().unwrap_or(""),
    };
    write_json(&dest.join("metadata.json"), &meta)?;
    write_labels(dest, &config)
}

fn write_labels(dest: &Path, config: &manifest::ConfigFile) -> Result<(), ImageError> {
    let labels = config.config.labels.clone().unwrap_or_default();
    write_json(&dest.join("labels.json"), &labels)
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ImageError> {
    let mut bytes = serde_json::to_vec(value).map_err(|source| ImageError::Encode {
        path: path.display().to_string(),
        source,
    })?;
    bytes.push(b'\n');
    write_file(path, &bytes)
}

/// `image.tar` in docker-save layout (config `sha256:<hex>`, layers `<hex>.tar.gz`,
/// `manifest.json` with `RepoTags`), plus `labels.json`. Blobs stream through verification.
pub(super) async fn tarball(
    client: &Client,
    repo: &Repository,
    image: &ImageManifest,
    config_bytes: &[u8],
    repo_tag: &str,
    dest: &Path,
) -> Result<(), ImageError> {
    let final_path = dest.join("image.tar");
    // Synced before the rename: the one output written with `fsync`.
    let file = AtomicFile::create(&final_path, WriteOptions::DEFAULT.synced())
        .map_err(io_err(&final_path))?;
    let tmp = file.temp_path().to_path_buf();
    let mut builder = tar::Builder::new(io::BufWriter::with_capacity(1 << 20, file));
    let tar_err = io_err(&tmp);
    let config_name = image.config.digest.to_string();
    append(
        &mut builder,
        &config_name,
        config_bytes.len() as u64,
        config_bytes,
    )
    .map_err(&tar_err)?;
    let mut layer_names = Vec::new();
    let count = image.layers.len();
    for (i, layer) in image.layers.iter().enumerate() {
        let name = format!("{}.tar.gz", layer.digest.hex());
        let progress = Progress::start(i, count, &layer.digest, layer.size);
        let reader = client
            .blob_reader(repo, &layer.digest, Some(layer.size))
            .await?;
        let (size, entry) = (layer.size, name.clone());
        let (returned, appended) = crate::net::blocking(move || {
            let appended = append(&mut builder, &entry, size, reader);
            (builder, appended)
        })
        .await;
        builder = returned;
        appended.map_err(|e| layer_error(&layer.digest, e))?;
        progress.done();
        layer_names.push(name);
    }
    let manifest = serde_json::json!([{
        "Config": config_name,
        "RepoTags": [repo_tag],
        "Layers": layer_names,
    }]);
    let manifest = serde_json::to_vec(&manifest).map_err(|source| ImageError::Encode {
        path: tmp.display().to_string(),
        source,
    })?;
    append(
        &mut builder,
        "manifest.json",
        manifest.len() as u64,
        &manifest[..],
    )
    .map_err(&tar_err)?;
    let mut inner = builder.into_inner().map_err(&tar_err)?;
    inner.flush().map_err(&tar_err)?;
    let file = inner.into_inner().map_err(|e| tar_err(e.into_error()))?;
    let config = manifest::parse_config(repo, image, config_bytes)?;
    file.commit().map_err(io_err(&final_path))?;
    write_labels(dest, &config)
}

fn layer_error(digest: &Digest, source: io::Error) -> ImageError {
    ImageError::Layer {
        digest: digest.to_string(),
        source,
    }
}

fn append<W: Write>(
    builder: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    data: impl Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, name, data)
}

/// `oci/`: an OCI image layout of the version. An index is written whole (every child and its
/// blobs), a single image as a one-entry index plus `single-image-digest`.
pub(super) async fn layout(
    client: &Client,
    repo: &Repository,
    top: &Manifest,
    dest: &Path,
    artifacts: &[super::referrers::Artifact],
) -> Result<(), ImageError> {
    let final_dir = dest.join("oci");
    let staging = Staging::dir(&final_dir)?;
    let root = staging.path.clone();
    let blobs = root.join("blobs");
    write_plain(
        &root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    write_top_blobs(client, repo, top, &blobs).await?;
    if artifacts.is_empty() && manifest::is_index(&top.media_type) {
        // An index is its own `index.json`.
        write_plain(&root.join("index.json"), &top.bytes)?;
    } else {
        // A one-entry index naming the image (`single-image-digest`), plus each artifact that
        // refers to it (cosign's by their tag as `org.opencontainers.image.ref.name`,
        // referrers by their `subject`), as oras and regctl keep them.
        let mut entries = vec![
            serde_json::json!({"mediaType": top.media_type, "digest": top.digest.to_string(), "size": top.bytes.len()}),
        ];
        for a in artifacts {
            let m = &a.manifest;
            write_blob_bytes(&blobs, &m.digest, &m.bytes)?;
            for (digest, size) in &a.blobs {
                let path = blob_path(&blobs, digest);
                if path.exists() {
                    continue;
                }
                let mut reader = client.blob_reader(repo, digest, Some(*size)).await?;
                crate::net::blocking(move || write_stream(&path, &mut reader))
                    .await
                    .map_err(|e| layer_error(digest, e))?;
            }
            let mut entry = serde_json::json!({"mediaType": m.media_type, "digest": m.digest.to_string(), "size": m.bytes.len()});
            match &a.kind {
                super::referrers::Kind::Cosign(tag) => {
                    entry["annotations"] =
                        serde_json::json!({"org.opencontainers.image.ref.name": tag});
                }
                super::referrers::Kind::Referrer(d) => {
                    if let Some(t) = &d.artifact_type {
                        entry["artifactType"] = serde_json::json!(t);
                    }
                    if let Some(an) = &d.annotations {
                        entry["annotations"] = serde_json::json!(an);
                    }
                }
            }
            entries.push(entry);
        }
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": entries,
        });
        let bytes = serde_json::to_vec(&index).map_err(|source| ImageError::Encode {
            path: root.display().to_string(),
            source,
        })?;
        write_plain(&root.join("index.json"), &bytes)?;
        write_plain(
            &root.join("single-image-digest"),
            top.digest.to_string().as_bytes(),
        )?;
    }
    staging.commit(&final_dir)
}

/// The blobs of `top`: an index's own bytes and every child's manifest and blobs, or a single
/// image's config and layers.
async fn write_top_blobs(
    client: &Client,
    repo: &Repository,
    top: &Manifest,
    blobs: &Path,
) -> Result<(), ImageError> {
    if !manifest::is_index(&top.media_type) {
        return write_image_blobs(client, repo, top, blobs).await;
    }
    let reference = format!("{repo}@{}", top.digest);
    write_blob_bytes(blobs, &top.digest, &top.bytes)?;
    let index = platform::Index::parse(&top.bytes).map_err(|e| ImageError::Malformed {
        reference: reference.clone(),
        detail: format!("index is not valid: {e}"),
    })?;
    for child in &index.manifests {
        let m = client
            .get_manifest(repo, &child.digest.to_string())
            .await?
            .ok_or_else(|| ImageError::Malformed {
                reference: reference.clone(),
                detail: format!("index child {} is missing", child.digest),
            })?;
        write_image_blobs(client, repo, &m, blobs).await?;
    }
    Ok(())
}

async fn write_image_blobs(
    client: &Client,
    repo: &Repository,
    m: &Manifest,
    blobs: &Path,
) -> Result<(), ImageError> {
    if manifest::is_index(&m.media_type) {
        // A nested index: keep its bytes; its children are not followed further.
        return write_blob_bytes(blobs, &m.digest, &m.bytes);
    }
    let reference = format!("{repo}@{}", m.digest);
    let image = manifest::parse_image(m, &reference)?;
    write_blob_bytes(blobs, &m.digest, &m.bytes)?;
    let config = manifest::config_bytes(client, repo, &image).await?;
    write_blob_bytes(blobs, &image.config.digest, &config)?;
    let count = image.layers.len();
    for (i, layer) in image.layers.iter().enumerate() {
        let path = blob_path(blobs, &layer.digest);
        if path.exists() {
            continue;
        }
        let progress = Progress::start(i, count, &layer.digest, layer.size);
        let mut reader = client
            .blob_reader(repo, &layer.digest, Some(layer.size))
            .await?;
        crate::net::blocking(move || write_stream(&path, &mut reader))
            .await
            .map_err(|e| layer_error(&layer.digest, e))?;
        progress.done();
    }
    Ok(())
}

fn blob_path(blobs: &Path, digest: &Digest) -> PathBuf {
    blobs.join(digest.algorithm()).join(digest.hex())
}

fn write_blob_bytes(blobs: &Path, digest: &Digest, bytes: &[u8]) -> Result<(), ImageError> {
    write_stream(&blob_path(blobs, digest), &mut &bytes[..]).map_err(io_err(blobs))
}

/// Streams `reader` into `path` ([`fsutil::write_file_from`]); a failed stream leaves nothing.
fn write_stream(path: &Path, reader: &mut dyn Read) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    fsutil::write_file_from(path, reader, WriteOptions::DEFAULT)?;
    Ok(())
}

fn write_plain(path: &Path, bytes: &[u8]) -> Result<(), ImageError> {
    write_file(path, bytes)
}

/// The image manifest and config for `wanted` (following an index), for rootfs and image.tar.
pub(super) async fn image_for(
    client: &Client,
    repo: &Repository,
    top: Manifest,
    wanted: &Platform,
) -> Result<(ImageManifest, Vec<u8>), ImageError> {
    let image = manifest::for_platform(client, repo, top, wanted).await?;
    let config = manifest::config_bytes(client, repo, &image).await?;
    Ok((image, config))
}

/// Writes a file atomically ([`fsutil::write_file`]).
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ImageError> {
    fsutil::write_file(path, bytes).map_err(io_err(path))
}
