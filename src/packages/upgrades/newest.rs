//! The reduced result of one pass over an index: each package name's newest version, bounded,
//! and kept in the private cache by the index's content hash.

use super::Manager;
use sha2::Digest as _;
use std::cmp::Ordering;
use std::collections::HashMap;

/// Most package names kept from one index (Debian bookworm main/amd64: ~64,000; all of
/// Ubuntu noble universe/amd64: ~62,000).
pub(crate) const MAX_NAMES: usize = 200_000;
/// Most bytes of names and versions kept from one index (bookworm main/amd64: ~2 MB).
pub(crate) const MAX_TEXT: usize = 16 * 1024 * 1024;
/// Longest name or version kept; a longer one is skipped (Debian's longest: ~70 bytes).
pub(crate) const MAX_FIELD: usize = 256;

/// Name → newest version of one index file, in `manager`'s order.
#[derive(Default, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Newest {
    pub(crate) versions: HashMap<String, String>,
    #[serde(skip)]
    text: usize,
    /// Versions that could not be compared (not valid in the order): the first, and how many.
    #[serde(skip)]
    pub(crate) unreadable: Option<(String, usize)>,
}

/// `a` against `b` in `manager`'s order; `None` when either is not a version of it.
pub(crate) fn compare(manager: Manager, a: &str, b: &str) -> Option<Ordering> {
    match manager {
        Manager::Dpkg => {
            use crate::versions::dpkg::Version;
            Some(Version::parse(a).ok()?.cmp(&Version::parse(b).ok()?))
        }
        Manager::Apk => {
            use crate::versions::apk::Version;
            Some(Version::parse(a).ok()?.cmp(&Version::parse(b).ok()?))
        }
    }
}

/// Whether `v` is a version in `manager`'s order.
pub(crate) fn readable(manager: Manager, v: &str) -> bool {
    match manager {
        Manager::Dpkg => crate::versions::dpkg::Version::parse(v).is_ok(),
        Manager::Apk => crate::versions::apk::Version::parse(v).is_ok(),
    }
}

impl Newest {
    /// Takes `version` of `name` when it is newer than the one kept (an unreadable version
    /// is counted and never displaces a readable one). Past [`MAX_NAMES`] or [`MAX_TEXT`]: an
    /// error (uptick's own finding).
    pub(crate) fn offer(
        &mut self,
        manager: Manager,
        name: &str,
        version: &str,
    ) -> Result<(), String> {
        if name.is_empty()
            || version.is_empty()
            || name.len() > MAX_FIELD
            || version.len() > MAX_FIELD
        {
            return Ok(());
        }
        if let Some(kept) = self.versions.get_mut(name) {
            if !readable(manager, version) {
                self.note_unreadable(version);
                return Ok(());
            }
            let newer = !readable(manager, kept)
                || compare(manager, version, kept) == Some(Ordering::Greater);
            if newer {
                self.text = self.text + version.len() - kept.len().min(self.text);
                *kept = version.to_string();
            }
            return Ok(());
        }
        if self.versions.len() == MAX_NAMES {
            return Err(format!("more than {MAX_NAMES} package names"));
        }
        self.text += name.len() + version.len();
        if self.text > MAX_TEXT {
            return Err(format!("more than {MAX_TEXT} bytes of names and versions"));
        }
        self.versions.insert(name.to_string(), version.to_string());
        Ok(())
    }

    fn note_unreadable(&mut self, version: &str) {
        match &mut self.unreadable {
            Some((_, n)) => *n += 1,
            None => self.unreadable = Some((version.to_string(), 1)),
        }
    }
}

/// The private cache of reduced indexes and request validators: `<cache dir>/updates`.
#[derive(Clone)]
pub(crate) struct Cache {
    dir: Option<std::path::PathBuf>,
}

impl Cache {
    /// The process's cache (`fsutil::cache_dir()/updates`), or none when it is not private.
    pub(crate) fn default_dir() -> Cache {
        Cache {
            dir: crate::fsutil::cache_dir().map(|d| d.join("updates")),
        }
    }

    /// A cache in `dir` (tests).
    #[cfg(test)]
    pub(crate) fn at(dir: std::path::PathBuf) -> Cache {
        Cache { dir: Some(dir) }
    }

    fn path(&self, kind: &str, key: &str) -> Option<std::path::PathBuf> {
        let dir = self.dir.as_ref()?;
        std::fs::create_dir_all(dir).ok()?;
        let name = hex::encode(sha2::Sha256::digest(key.as_bytes()));
        Some(dir.join(format!("{kind}-{name}")))
    }

    /// The value kept under `key`; `None` when absent or unreadable (it is fetched again).
    pub(crate) fn load<T: serde::de::DeserializeOwned>(&self, kind: &str, key: &str) -> Option<T> {
        let bytes = std::fs::read(self.path(kind, key)?).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Keeps `value` under `key`, atomically; a failed write keeps nothing (an optimisation).
    pub(crate) fn store<T: serde::Serialize>(&self, kind: &str, key: &str, value: &T) {
        let Some(path) = self.path(kind, key) else {
            return;
        };
        if let Ok(bytes) = serde_json::to_vec(value) {
            let _ = crate::fsutil::write_file(&path, &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_version_of_each_name_is_kept_in_dpkg_and_apk_order() {
        let mut n = Newest::default();
        for v in ["1.0-1", "1:0.9-1", "1.0-1~deb12u1", "bad version!", "1.0-2"] {
            n.offer(Manager::Dpkg, "a", v).unwrap();
        }
        assert_eq!(n.versions["a"], "1:0.9-1", "the epoch wins");
        assert_eq!(n.unreadable, Some(("bad version!".to_string(), 1)));
        n.offer(Manager::Dpkg, "b", "1.0~rc1").unwrap();
        n.offer(Manager::Dpkg, "b", "1.0").unwrap();
        n.offer(Manager::Dpkg, "b", "1.0~rc2").unwrap();
        assert_eq!(n.versions["b"], "1.0", "`~` sorts before the release");
        let mut k = Newest::default();
        for v in ["3.3.2-r0", "3.3.10-r0", "3.3.2-r10", "3.3.2_rc1-r0"] {
            k.offer(Manager::Apk, "openssl", v).unwrap();
        }
        assert_eq!(k.versions["openssl"], "3.3.10-r0");
        k.offer(Manager::Apk, "x", &"1".repeat(MAX_FIELD + 1))
            .unwrap();
        assert!(
            !k.versions.contains_key("x"),
            "an over-long version is skipped"
        );
    }

    #[test]
    fn names_are_bounded() {
        let mut n = Newest::default();
        for i in 0..MAX_NAMES {
            n.offer(Manager::Dpkg, &format!("p{i}"), "1").unwrap();
        }
        n.offer(Manager::Dpkg, "p0", "2").unwrap();
        assert_eq!(
            n.offer(Manager::Dpkg, "one-more", "1").unwrap_err(),
            format!("more than {MAX_NAMES} package names")
        );
    }

    #[test]
    fn the_cache_ignores_what_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().join("updates"));
        let mut n = Newest::default();
        n.offer(Manager::Dpkg, "a", "1").unwrap();
        cache.store("map", "k", &n);
        let back: Newest = cache.load("map", "k").unwrap();
        assert_eq!(back.versions, n.versions);
        let path = cache.path("map", "k").unwrap();
        std::fs::write(&path, b"{broken").unwrap();
        assert!(cache.load::<Newest>("map", "k").is_none());
        assert!(cache.load::<Newest>("map", "other").is_none());
    }
}
