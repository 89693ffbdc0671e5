//! Conditional-request state per index URL, in the private temp dir a reused check container
//! keeps: validators and the parsed release list.

use super::Release;
use sha2::Digest as _;

#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Entry {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Not used after this time (Unix seconds): apt's `Valid-Until`.
    #[serde(default)]
    pub not_after: Option<i64>,
    pub releases: Vec<Release>,
}

fn path(url: &str) -> Option<std::path::PathBuf> {
    let dir = crate::fsutil::cache_dir()?.join("index");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir.join(hex::encode(sha2::Sha256::digest(url.as_bytes()))))
}

pub(super) fn load(url: &str) -> Option<Entry> {
    serde_json::from_slice(&std::fs::read(path(url)?).ok()?).ok()
}

pub(super) fn store(
    url: &str,
    etag: Option<String>,
    last_modified: Option<String>,
    releases: &[Release],
) {
    store_until(url, etag, last_modified, None, releases);
}

/// Like [`store`], the list not to be used after `not_after` (Unix seconds).
pub(super) fn store_until(
    url: &str,
    etag: Option<String>,
    last_modified: Option<String>,
    not_after: Option<i64>,
    releases: &[Release],
) {
    let Some(p) = path(url) else { return };
    let entry = Entry {
        etag,
        last_modified,
        not_after,
        releases: releases.to_vec(),
    };
    if let Ok(bytes) = serde_json::to_vec(&entry) {
        // A kept list is an optimisation: a failed write leaves the last one (or none).
        let _ = crate::fsutil::write_file(&p, &bytes);
    }
}
