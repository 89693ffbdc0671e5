//! Per-host discovery (scheme and auth challenge) remembered across runs in a private temp dir,
//! so a reused Concourse check container skips the `/v2/` ping and TLS probe.

use super::auth::Challenge;
use crate::log;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use std::path::PathBuf;

/// How long a discovery is trusted before the registry is pinged again.
const TTL_SECS: u64 = 3600;
const MAX_ENTRIES: usize = 256;

#[derive(Serialize, Deserialize)]
struct Entry {
    base: String,
    challenge: Stored,
    saved: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Stored {
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// `$TMPDIR/uptick-<uid>/hosts.json`, used only when the directory is ours and private: a
/// planted entry could otherwise point credentials at another token realm.
fn file() -> Option<PathBuf> {
    crate::fsutil::cache_dir().map(|d| d.join("hosts.json"))
}

fn read_all() -> BTreeMap<String, Entry> {
    file()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The remembered base URL and challenge for `host`, if fresh.
pub(crate) fn load(host: &str) -> Option<(String, Challenge)> {
    let entry = read_all().remove(host)?;
    if now().saturating_sub(entry.saved) > TTL_SECS {
        return None;
    }
    let challenge = match entry.challenge {
        Stored::None => Challenge::None,
        Stored::Basic => Challenge::Basic,
        Stored::Bearer { realm, service } => Challenge::Bearer {
            realm,
            service,
            scope: None,
        },
    };
    Some((entry.base, challenge))
}

/// Read-modify-write of the file under an exclusive lock (`hosts.lock` beside it), so
/// concurrent checks of different registries do not drop each other's entries; `change` says
/// whether anything changed. The file is replaced atomically, so readers need no lock.
fn update(change: impl FnOnce(&mut BTreeMap<String, Entry>) -> bool) {
    let Some(dir) = crate::fsutil::cache_dir() else {
        return;
    };
    let _lock = match crate::fsutil::lock(&dir.join("hosts.lock")) {
        Ok(l) => l,
        Err(e) => {
            log::debug(|| format!("discovery cache not updated: {e}"));
            return;
        }
    };
    let mut entries = read_all();
    if change(&mut entries) {
        write_all(entries);
    }
}

fn write_all(mut entries: BTreeMap<String, Entry>) {
    let Some(path) = file() else { return };
    // Expired entries are never used again: dropped, so every run reads a small file.
    let now = now();
    entries.retain(|_, e| now.saturating_sub(e.saved) <= TTL_SECS);
    while entries.len() > MAX_ENTRIES {
        let oldest = entries
            .iter()
            .min_by_key(|(_, e)| e.saved)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => entries.remove(&k),
            None => break,
        };
    }
    let Ok(bytes) = serde_json::to_vec(&entries) else {
        return;
    };
    if let Err(e) = crate::fsutil::write_file(&path, &bytes) {
        log::debug(|| format!("could not write {}: {e}", path.display()));
    }
}

/// Remembers what the ping of `host` found.
pub(crate) fn store(host: &str, base: &str, challenge: &Challenge) {
    let challenge = match challenge {
        Challenge::None => Stored::None,
        Challenge::Basic => Stored::Basic,
        Challenge::Bearer { realm, service, .. } => Stored::Bearer {
            realm: realm.clone(),
            service: service.clone(),
        },
    };
    let entry = Entry {
        base: base.to_string(),
        challenge,
        saved: now(),
    };
    update(|entries| {
        entries.insert(host.to_string(), entry);
        true
    });
}

/// Forgets `host` after a request built on its entry failed.
pub(crate) fn forget(host: &str) {
    update(|entries| entries.remove(host).is_some());
}

/// Seconds since the Unix epoch now (0 if the clock is before it).
fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}
