//! Which repositories of a registry hold a blob, remembered across runs (as skopeo's blob-info
//! cache does) in the private cache dir, so a push to a new repository mounts blobs this user
//! pushed elsewhere instead of sending them again. Only a hint: the registry decides whether a
//! mount is allowed, and a declined mount falls back to an upload.

use super::Repository;
use crate::digest::Digest;
use crate::log;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Blobs remembered per registry (the least recently seen go first).
const MAX_BLOBS: usize = 4096;
/// Repositories remembered per blob (the most recent first).
const MAX_HOLDERS: usize = 4;
/// Registries remembered.
const MAX_REGISTRIES: usize = 32;

#[derive(Serialize, Deserialize, Default)]
struct Holders {
    repos: Vec<String>,
    seen: u64,
}

type Registry = BTreeMap<String, Holders>;

/// `$TMPDIR/uptick-<uid>/blobs.json`, used only when the directory is ours and private.
fn file() -> Option<PathBuf> {
    crate::fsutil::cache_dir().map(|d| d.join("blobs.json"))
}

fn read_all() -> BTreeMap<String, Registry> {
    file()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// For each digest, the other repositories of `repo`'s registry remembered to hold it.
pub(crate) fn holders(repo: &Repository, digests: &[&Digest]) -> Vec<Vec<Repository>> {
    let mut all = read_all();
    let known = all.remove(repo.registry()).unwrap_or_default();
    digests
        .iter()
        .map(|d| {
            known
                .get(&d.to_string())
                .map(|h| {
                    h.repos
                        .iter()
                        .filter(|p| p.as_str() != repo.path())
                        .filter_map(|p| repo.sibling(p))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// Remembers that `repo` holds `digests` (one locked read-modify-write, replaced atomically).
pub(crate) fn remember(repo: &Repository, digests: &[&Digest]) {
    if digests.is_empty() {
        return;
    }
    let Some(dir) = crate::fsutil::cache_dir() else {
        return;
    };
    let _lock = match crate::fsutil::lock(&dir.join("blobs.lock")) {
        Ok(l) => l,
        Err(e) => {
            log::debug(|| format!("blob cache not updated: {e}"));
            return;
        }
    };
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let mut all = read_all();
    let known = all.entry(repo.registry().to_string()).or_default();
    for d in digests {
        let h = known.entry(d.to_string()).or_default();
        h.repos.retain(|p| p != repo.path());
        h.repos.insert(0, repo.path().to_string());
        h.repos.truncate(MAX_HOLDERS);
        h.seen = now;
    }
    while known.len() > MAX_BLOBS {
        let Some(oldest) = known
            .iter()
            .min_by_key(|(_, h)| h.seen)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        known.remove(&oldest);
    }
    while all.len() > MAX_REGISTRIES {
        let stalest = all
            .iter()
            .filter(|(k, _)| k.as_str() != repo.registry())
            .min_by_key(|(_, r)| r.values().map(|h| h.seen).max().unwrap_or(0))
            .map(|(k, _)| k.clone());
        match stalest {
            Some(k) => all.remove(&k),
            None => break,
        };
    }
    let Some(path) = file() else { return };
    let Ok(bytes) = serde_json::to_vec(&all) else {
        return;
    };
    if let Err(e) = crate::fsutil::write_file(&path, &bytes) {
        log::debug(|| format!("could not write {}: {e}", path.display()));
    }
}
