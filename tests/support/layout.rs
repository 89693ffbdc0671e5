//! Writes images to disk as `out` receives them: OCI layouts (single, multi-arch nested as
//! oci-build-task writes them), OCI archives and docker-save archives.

use super::seed::{sha256, OCI_INDEX, OCI_MANIFEST};
use serde_json::{json, Value};
use std::path::Path;

/// Stores `bytes` under `blobs/sha256/` of `layout`; returns their digest.
pub fn put_blob(layout: &Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let dir = layout.join("blobs/sha256");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&digest[7..]), bytes).unwrap();
    digest
}

/// Writes config and layers and returns the image manifest's (digest, bytes), also stored.
pub fn image(layout: &Path, layers: &[Vec<u8>], arch: &str) -> (String, Vec<u8>) {
    let mut descs = Vec::new();
    for l in layers {
        descs.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put_blob(layout, l), "size": l.len()}));
    }
    let diff: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
    let config = serde_json::to_vec(&json!({"architecture": arch, "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": diff}})).unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(layout, &config), "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    (put_blob(layout, &manifest), manifest)
}

/// Writes `oci-layout` and an `index.json` listing `entries`.
pub fn finish(layout: &Path, entries: Vec<Value>) {
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
    std::fs::write(
        layout.join("index.json"),
        serde_json::to_vec(&index).unwrap(),
    )
    .unwrap();
}

/// A one-image layout; returns the manifest digest.
pub fn single(layout: &Path, layers: &[Vec<u8>]) -> String {
    let (digest, bytes) = image(layout, layers, "amd64");
    finish(
        layout,
        vec![json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": bytes.len()})],
    );
    digest
}

/// A multi-arch layout whose index.json wraps one nested index; returns the nested index digest.
pub fn multi(layout: &Path, per_arch: &[(&str, Vec<u8>)]) -> String {
    let mut children = Vec::new();
    for (arch, layer) in per_arch {
        let (d, b) = image(layout, std::slice::from_ref(layer), arch);
        children.push(json!({"mediaType": OCI_MANIFEST, "digest": d, "size": b.len(), "platform": {"os": "linux", "architecture": arch}}));
    }
    let nested = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}),
    )
    .unwrap();
    let digest = put_blob(layout, &nested);
    finish(
        layout,
        vec![json!({"mediaType": OCI_INDEX, "digest": digest, "size": nested.len()})],
    );
    digest
}

/// Appends `data` to `b` as the regular file `name` (mode 0644).
pub fn append_file(b: &mut tar::Builder<std::fs::File>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, name, data).unwrap();
}

/// Tars a directory (an OCI archive of a layout).
pub fn tar_dir(dir: &Path, out: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    b.append_dir_all(".", dir).unwrap();
    b.finish().unwrap();
}

/// A docker-save archive of one image with plain-tar layers; returns the config bytes.
pub fn docker_archive(out: &Path, layers: &[Vec<u8>], repo_tag: &str) -> Vec<u8> {
    let diff: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
    let config = serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": diff}})).unwrap();
    let config_name = format!("{}.json", &sha256(&config)[7..]);
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    let mut add = |name: &str, data: &[u8]| append_file(&mut b, name, data);
    add(&config_name, &config);
    let mut names = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let name = format!("{i}/layer.tar");
        add(&name, l);
        names.push(name);
    }
    let manifest = serde_json::to_vec(
        &json!([{"Config": config_name, "RepoTags": [repo_tag], "Layers": names}]),
    )
    .unwrap();
    add("manifest.json", &manifest);
    b.finish().unwrap();
    config
}
