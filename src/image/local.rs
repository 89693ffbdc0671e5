//! Images on disk for `out`: an OCI layout directory, or an OCI / docker-save archive; every
//! manifest is checked against its digest on load, every blob's size on load and its content
//! while it is sent (a mismatch breaks its upload off before the last byte, so no tag is
//! written). An archive's members are read only as regular files inside it.

use super::extract::Extractor;
use super::manifest::is_index;
use super::ImageError;
use crate::digest::Digest;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

const MAX_DOC: u64 = 4 * 1024 * 1024;
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A manifest (or index) document to PUT, with its exact bytes.
#[derive(Clone, Debug)]
pub(super) struct Doc {
    /// Media type for `Content-Type`.
    pub media_type: String,
    /// Exact bytes.
    pub bytes: Vec<u8>,
    /// Their digest.
    pub digest: Digest,
}

/// A blob on disk, verified.
#[derive(Clone, Debug)]
pub(super) struct Blob {
    /// Its digest.
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// Where it is.
    pub path: PathBuf,
    /// Whether its content was hashed on load (else it is hashed as it is sent).
    pub verified: bool,
}

/// What `out` pushes: blobs, then child manifests (for an index), then the top document.
pub(super) struct LocalImage {
    /// What the tags point at.
    pub top: Doc,
    /// Index children, pushed (by digest) before the index.
    pub children: Vec<Doc>,
    /// Configs and layers of every image, once each.
    pub blobs: Vec<Blob>,
    /// What refers to the image in the layout (as `in` with `referrers: true` writes it): the
    /// manifests `index.json` lists besides the image, with their blobs in `blobs`.
    pub attached: Vec<Attached>,
    _scratch: Option<Scratch>,
}

/// An artifact of a layout referring to the image or one of its index's children.
#[derive(Clone, Debug)]
pub(super) struct Attached {
    /// Its cosign tag (`sha256-<hex>.sig`, from `org.opencontainers.image.ref.name`), or
    /// `None` for an OCI 1.1 referrer (its manifest names a `subject`).
    pub tag: Option<String>,
    /// The digest it refers to.
    pub subject: Digest,
    /// Its manifest.
    pub doc: Doc,
    /// `artifactType` (of its `index.json` entry, else of the manifest, else its config's media type).
    pub artifact_type: Option<String>,
    /// The manifest's annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Its blobs the image does not share.
    pub blobs: Vec<Blob>,
}

/// A private temporary directory (an unpacked archive), removed on drop.
type Scratch = crate::fsutil::PrivateDir;

#[derive(Deserialize)]
struct IndexDoc {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    manifests: Vec<Desc>,
}

#[derive(Deserialize, Clone)]
struct Desc {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: Digest,
    #[serde(default)]
    size: Option<u64>,
    #[serde(rename = "artifactType", default)]
    artifact_type: Option<String>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct ImageDoc {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    config: Desc,
    #[serde(default)]
    layers: Vec<Desc>,
}

fn bad(path: &Path, detail: impl Into<String>) -> ImageError {
    ImageError::Local {
        path: path.display().to_string(),
        detail: detail.into(),
    }
}

fn local_io(path: &Path) -> impl Fn(std::io::Error) -> ImageError + '_ {
    move |source| ImageError::LocalIo {
        path: path.display().to_string(),
        source,
    }
}

fn read_small(path: &Path) -> Result<Vec<u8>, ImageError> {
    let f = std::fs::File::open(path).map_err(local_io(path))?;
    let mut buf = Vec::new();
    f.take(MAX_DOC + 1)
        .read_to_end(&mut buf)
        .map_err(local_io(path))?;
    if buf.len() as u64 > MAX_DOC {
        return Err(bad(path, "larger than 4 MiB"));
    }
    Ok(buf)
}

/// A blob file's size, checked against its descriptor's. Its content is hashed while it is
/// sent (the upload breaks off before its last byte on a mismatch), so it is read only once.
fn file_size(path: &Path, size: Option<u64>) -> Result<u64, ImageError> {
    let meta = std::fs::metadata(path).map_err(local_io(path))?;
    if !meta.is_file() {
        return Err(bad(path, "not a regular file"));
    }
    match size {
        Some(want) if want != meta.len() => Err(bad(
            path,
            format!("has {} bytes, the manifest says {want}", meta.len()),
        )),
        _ => Ok(meta.len()),
    }
}

/// Loads the image at `path` (a layout directory or an archive).
pub(super) fn load(path: &Path) -> Result<LocalImage, ImageError> {
    let meta = std::fs::metadata(path).map_err(local_io(path))?;
    if meta.is_dir() {
        let files = Files {
            root: path,
            archive: None,
        };
        return load_layout(files, None);
    }
    if !meta.is_file() {
        // A device or FIFO would be read without end.
        return Err(bad(path, "is neither a directory nor a regular file"));
    }
    // An archive: unpacked (safely) into a private directory (mode 0700, random name) in the
    // temp dir, so another user of a shared `$TMPDIR` can neither plant nor read anything there.
    let tmp = std::env::temp_dir();
    let guard = super::private_dir_in_temp()
        .map_err(|e| bad(&tmp, format!("cannot create a private directory: {e}")))?;
    let scratch = guard.path().to_path_buf();
    let file = std::fs::File::open(path).map_err(local_io(path))?;
    let mut stream = super::extract::decompress(std::io::BufReader::new(file))
        .map_err(|e| bad(path, format!("not a readable archive: {e}")))?;
    let mut extractor = Extractor::archive(&scratch);
    extractor
        .apply(&mut stream)
        .map_err(|e| bad(path, format!("not a readable archive: {e}")))?;
    extractor.finish().map_err(|e| {
        bad(
            path,
            format!("not a readable archive: {}", crate::log::chain(&e)),
        )
    })?;
    let files = Files {
        root: &scratch,
        archive: Some(path),
    };
    if files.has("index.json") {
        load_layout(files, Some(guard))
    } else if files.has("manifest.json") {
        load_docker_archive(files, guard)
    } else {
        Err(bad(
            path,
            "neither an OCI archive (index.json) nor a docker archive (manifest.json)",
        ))
    }
}

/// Where an image's files are read: a layout directory as given, or the private directory an
/// archive was unpacked into, whose members are read only as regular files inside it.
#[derive(Clone, Copy)]
struct Files<'a> {
    root: &'a Path,
    /// The archive `root` was unpacked from (named in errors).
    archive: Option<&'a Path>,
}

impl Files<'_> {
    /// The path to read the file `rel` names at. In an unpacked archive: a link-free path to a
    /// regular file inside it, links followed only while they stay inside (docker writes a
    /// layer saved twice as a relative link to the first copy); a link leading out, a device,
    /// a FIFO or a directory is refused, naming the member.
    fn member(&self, rel: &Path) -> Result<PathBuf, ImageError> {
        match self.archive {
            None => Ok(self.root.join(rel)),
            Some(archive) => crate::fsutil::regular_file_beneath(self.root, rel)
                .map_err(|e| bad(archive, format!("`{}` {e}", rel.display()))),
        }
    }

    /// Whether something is there under the name `rel` (a link in an archive counts: reading
    /// it is then refused by [`Files::member`]).
    fn has(&self, rel: &str) -> bool {
        let path = self.root.join(rel);
        match self.archive {
            None => path.exists(),
            Some(_) => std::fs::symlink_metadata(path).is_ok(),
        }
    }
}

fn blob_path(files: Files<'_>, d: &Digest) -> Result<PathBuf, ImageError> {
    files.member(&Path::new("blobs").join(d.algorithm()).join(d.hex()))
}

fn load_doc(files: Files<'_>, desc: &Desc) -> Result<Doc, ImageError> {
    let path = blob_path(files, &desc.digest)?;
    let bytes = read_small(&path)?;
    let actual = desc.digest.same_algorithm_of(&bytes);
    if actual != desc.digest {
        return Err(bad(
            &path,
            format!("content has digest {actual}, expected {}", desc.digest),
        ));
    }
    Ok(Doc {
        media_type: if desc.media_type.is_empty() {
            media_type_of(&bytes).unwrap_or_else(|| OCI_MANIFEST.to_string())
        } else {
            desc.media_type.clone()
        },
        bytes,
        digest: desc.digest.clone(),
    })
}

fn media_type_of(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct P {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<P>(bytes).ok()?.media_type
}

fn load_layout(files: Files<'_>, scratch: Option<Scratch>) -> Result<LocalImage, ImageError> {
    let index_path = files.member(Path::new("index.json"))?;
    let index_bytes = read_small(&index_path)?;
    let mut index: IndexDoc = serde_json::from_slice(&index_bytes)
        .map_err(|e| bad(&index_path, format!("not an OCI index: {e}")))?;
    let index_doc = Doc {
        media_type: index
            .media_type
            .clone()
            .unwrap_or_else(|| OCI_INDEX.to_string()),
        digest: Digest::sha256_of(&index_bytes),
        bytes: index_bytes,
    };
    let single = files.has("single-image-digest");
    // Another tool's layout (oras, regctl) may list the image and, beside it, what refers to
    // it (manifests with a `subject`): the one entry left is the image.
    let referred = match single {
        true => None,
        false => sole_subject(files, &index.manifests)?,
    };
    let top = if let Some(desc) = &referred {
        load_doc(files, desc)?
    } else if single {
        load_doc(files, &single_image(files, &index)?)?
    } else {
        unwrap_nested(files, &index_path, &mut index, index_doc)?
    };
    let entries = index.manifests.clone();
    let mut image = LocalImage {
        top: top.clone(),
        children: Vec::new(),
        blobs: Vec::new(),
        attached: Vec::new(),
        _scratch: scratch,
    };
    add_top_blobs(files, &top, &mut image)?;
    if single || referred.is_some() {
        add_attached(files, &entries, &mut image)?;
    }
    Ok(image)
}

/// The entry `single-image-digest` names (a bare descriptor when the index does not list it).
fn single_image(files: Files<'_>, index: &IndexDoc) -> Result<Desc, ImageError> {
    let single = files.member(Path::new("single-image-digest"))?;
    let text = read_small(&single)?;
    let digest: Digest = String::from_utf8_lossy(&text)
        .trim()
        .parse()
        .map_err(|e: crate::digest::DigestError| bad(&single, e.to_string()))?;
    Ok(index
        .manifests
        .iter()
        .find(|d| d.digest == digest)
        .cloned()
        .unwrap_or(Desc {
            media_type: String::new(),
            digest,
            size: None,
            artifact_type: None,
            annotations: None,
        }))
}

/// The top document of a layout whose index names no single image: its only manifest, else an
/// index whose only entry is another index unwrapped (oci-build-task's multi-arch output), else
/// the index itself. `index` is left as the innermost index read.
fn unwrap_nested(
    files: Files<'_>,
    index_path: &Path,
    index: &mut IndexDoc,
    mut index_doc: Doc,
) -> Result<Doc, ImageError> {
    loop {
        match index.manifests.as_slice() {
            [only] if is_index(&only.media_type) => {
                index_doc = load_doc(files, only)?;
                *index = serde_json::from_slice(&index_doc.bytes)
                    .map_err(|e| bad(files.root, format!("nested index is not valid: {e}")))?;
            }
            [only] => return load_doc(files, only),
            [] => return Err(bad(index_path, "the index lists no manifest")),
            _ => return Ok(index_doc),
        }
    }
}

/// The documents and blobs under `top`: an index's children (no nested index) and their blobs,
/// or an image's blobs.
fn add_top_blobs(files: Files<'_>, top: &Doc, image: &mut LocalImage) -> Result<(), ImageError> {
    let root = files.root;
    if !is_index(&top.media_type) {
        return add_image_blobs(files, top, &mut image.blobs);
    }
    let idx: IndexDoc = serde_json::from_slice(&top.bytes)
        .map_err(|e| bad(root, format!("index is not valid: {e}")))?;
    for child in &idx.manifests {
        if is_index(&child.media_type) {
            return Err(bad(
                root,
                format!(
                    "nested index {} inside a multi-entry index is not supported",
                    child.digest
                ),
            ));
        }
        let doc = load_doc(files, child)?;
        add_image_blobs(files, &doc, &mut image.blobs)?;
        image.children.push(doc);
    }
    Ok(())
}

/// Of a layout's `index.json` entries, the one image the others refer to: `Some` when at least
/// one entry is a manifest with a `subject` and exactly one entry is not.
fn sole_subject(files: Files<'_>, entries: &[Desc]) -> Result<Option<Desc>, ImageError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        subject: Option<serde::de::IgnoredAny>,
    }
    if entries.len() < 2 {
        return Ok(None);
    }
    let mut images: Vec<&Desc> = Vec::new();
    for entry in entries {
        let refers = !is_index(&entry.media_type)
            && serde_json::from_slice::<Probe>(&load_doc(files, entry)?.bytes)
                .is_ok_and(|p| p.subject.is_some());
        if !refers {
            images.push(entry);
        }
    }
    Ok(match images.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    })
}

/// The `index.json` entries besides the image that refer to it or to a child of its index:
/// cosign's by their tag name, OCI 1.1 referrers by their `subject`.
fn add_attached(
    files: Files<'_>,
    entries: &[Desc],
    image: &mut LocalImage,
) -> Result<(), ImageError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        subject: Option<Desc>,
        #[serde(rename = "artifactType", default)]
        artifact_type: Option<String>,
        #[serde(default)]
        config: Option<Desc>,
        #[serde(default)]
        annotations: Option<BTreeMap<String, String>>,
    }
    let subjects: Vec<Digest> = std::iter::once(&image.top)
        .chain(&image.children)
        .map(|d| d.digest.clone())
        .collect();
    let cosign_tag = |name: &str| {
        subjects.iter().find(|s| {
            super::referrers::COSIGN_SUFFIXES
                .iter()
                .any(|x| name == format!("{}-{}.{x}", s.algorithm(), s.hex()))
        })
    };
    for entry in entries {
        if subjects.contains(&entry.digest) || is_index(&entry.media_type) {
            continue;
        }
        let name = entry
            .annotations
            .as_ref()
            .and_then(|a| a.get("org.opencontainers.image.ref.name"));
        let doc = load_doc(files, entry)?;
        let probe: Probe = serde_json::from_slice(&doc.bytes).map_err(|e| {
            bad(
                files.root,
                format!("manifest {} is not valid: {e}", doc.digest),
            )
        })?;
        let (tag, subject) = match (name.and_then(|n| cosign_tag(n)), &probe.subject) {
            (Some(s), _) => (name.cloned(), s.clone()),
            (None, Some(s)) if subjects.contains(&s.digest) => (None, s.digest.clone()),
            _ => continue,
        };
        let mut blobs: Vec<Blob> = image.blobs.clone();
        let shared = blobs.len();
        add_image_blobs(files, &doc, &mut blobs)?;
        image.attached.push(Attached {
            blobs: blobs.split_off(shared),
            tag,
            subject,
            artifact_type: entry
                .artifact_type
                .clone()
                .or(probe.artifact_type)
                .or(probe.config.map(|c| c.media_type)),
            annotations: probe.annotations,
            doc,
        });
    }
    Ok(())
}

fn add_image_blobs(files: Files<'_>, doc: &Doc, blobs: &mut Vec<Blob>) -> Result<(), ImageError> {
    let img: ImageDoc = serde_json::from_slice(&doc.bytes).map_err(|e| {
        bad(
            files.root,
            format!("manifest {} is not an image manifest: {e}", doc.digest),
        )
    })?;
    let _ = img.media_type;
    for desc in std::iter::once(&img.config).chain(img.layers.iter()) {
        if blobs.iter().any(|b| b.digest == desc.digest) {
            continue;
        }
        let path = blob_path(files, &desc.digest)?;
        let size = file_size(&path, desc.size)?;
        blobs.push(Blob {
            digest: desc.digest.clone(),
            size,
            path,
            verified: false,
        });
    }
    Ok(())
}

#[derive(Deserialize)]
struct DockerEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// A docker-save archive becomes an OCI image manifest over the same files (layer media types
/// by their first bytes: gzip, zstd or plain tar).
fn load_docker_archive(files: Files<'_>, scratch: Scratch) -> Result<LocalImage, ImageError> {
    let mpath = files.member(Path::new("manifest.json"))?;
    let entries: Vec<DockerEntry> = serde_json::from_slice(&read_small(&mpath)?)
        .map_err(|e| bad(&mpath, format!("not a docker-save manifest: {e}")))?;
    let [entry] = entries.as_slice() else {
        return Err(bad(
            &mpath,
            format!("holds {} images; exactly one is needed", entries.len()),
        ));
    };
    let inside = |name: &str| archive_member(files, &mpath, name);
    let config_path = inside(&entry.config)?;
    let (config_digest, config_size) = hash(&config_path)?;
    let mut blobs = vec![Blob {
        digest: config_digest.clone(),
        size: config_size,
        path: config_path,
        verified: true,
    }];
    let mut layers = Vec::new();
    for name in &entry.layers {
        let path = inside(name)?;
        let (digest, size) = hash(&path)?;
        let media_type = layer_media_type(&path)?;
        let mut desc = BTreeMap::new();
        desc.insert("mediaType", serde_json::json!(media_type));
        desc.insert("digest", serde_json::json!(digest.to_string()));
        desc.insert("size", serde_json::json!(size));
        layers.push(desc);
        if !blobs.iter().any(|b| b.digest == digest) {
            blobs.push(Blob {
                digest,
                size,
                path,
                verified: true,
            });
        }
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config_size},
        "layers": layers,
    });
    let bytes = serde_json::to_vec(&manifest).map_err(|source| ImageError::Encode {
        path: mpath.display().to_string(),
        source,
    })?;
    Ok(LocalImage {
        top: Doc {
            media_type: OCI_MANIFEST.to_string(),
            digest: Digest::sha256_of(&bytes),
            bytes,
        },
        children: Vec::new(),
        blobs,
        attached: Vec::new(),
        _scratch: Some(scratch),
    })
}

/// The file of a docker-save archive that `name` (from its `manifest.json`, `mpath`) names,
/// which must stay inside the archive.
fn archive_member(files: Files<'_>, mpath: &Path, name: &str) -> Result<PathBuf, ImageError> {
    let p = Path::new(name);
    if p.is_absolute()
        || p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(bad(mpath, format!("`{name}` points outside the archive")));
    }
    files.member(p)
}

/// The SHA-256 digest and size of a file.
fn hash(path: &Path) -> Result<(Digest, u64), ImageError> {
    let mut f = std::fs::File::open(path).map_err(local_io(path))?;
    let mut h = Digest::sha256_of(b"").hasher();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(local_io(path))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((h.finish(), n))
}

/// A docker-save layer's OCI media type, by its first bytes: gzip, zstd or plain tar.
fn layer_media_type(path: &Path) -> Result<&'static str, ImageError> {
    let mut head = [0u8; 4];
    let got = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(local_io(path))?;
    Ok(if got >= 2 && head[..2] == [0x1f, 0x8b] {
        "application/vnd.oci.image.layer.v1.tar+gzip"
    } else if got == 4 && head == [0x28, 0xb5, 0x2f, 0xfd] {
        "application/vnd.oci.image.layer.v1.tar+zstd"
    } else {
        "application/vnd.oci.image.layer.v1.tar"
    })
}
