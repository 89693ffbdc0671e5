//! One pass over an apk repository's `<arch>/APKINDEX.tar.gz` for all installed packages: the
//! index verified as the apk source verifies it, read as a stream, reduced to name → newest
//! version and kept by the SHA256 of the index (and `signed_by`).

use super::newest::{Cache, Newest};
use super::stanza::{Bounded, Stanzas};
use super::Manager;
use crate::packages::apk::signature::{self, IndexKey};
use crate::packages::{Conditional, Fetcher, PackageError};
use sha2::Digest as _;
use std::io::Read as _;

/// Largest `APKINDEX.tar.gz` read (Alpine v3.20 community/x86_64: 1.4 MB).
const MAX_INDEX_BYTES: u64 = 64 * 1024 * 1024;
/// Largest index once decompressed (as the apk source).
const MAX_INDEX_TEXT: u64 = 256 * 1024 * 1024;

/// One `updates.apk` entry, validated.
pub(crate) struct ApkRepo {
    /// The repository, without a trailing `/`.
    pub(crate) root: String,
    /// `signed_by`'s keys and a short hash of the field (part of every cache key).
    pub(crate) keys: Option<(Vec<IndexKey>, String)>,
}

/// What is kept of an index between runs: its validators and its SHA256.
#[derive(serde::Serialize, serde::Deserialize)]
struct IndexState {
    etag: Option<String>,
    last_modified: Option<String>,
    sha256: String,
}

impl ApkRepo {
    /// Name → newest version of `arch`'s index (`noarch` packages included): on a 304, or an
    /// index whose SHA256 is the one kept, the kept reduction; else read afresh.
    pub(crate) fn newest(
        &self,
        fetcher: &Fetcher,
        cache: &Cache,
        arch: &str,
    ) -> Result<Newest, PackageError> {
        let url = format!("{}/{arch}/APKINDEX.tar.gz", self.root);
        let signer = self.keys.as_ref().map_or("unsigned", |(_, id)| id.as_str());
        let map_key = |sha: &str| format!("apk {sha} {arch} {signer}");
        let state_key = format!("{url} {signer}");
        let kept = cache
            .load::<IndexState>("apkindex", &state_key)
            .and_then(|s| Some((cache.load::<Newest>("packages", &map_key(&s.sha256))?, s)));
        let validators = kept
            .as_ref()
            .map(|(_, s)| (s.etag.as_deref(), s.last_modified.as_deref()));
        let (body, etag, last_modified) =
            match fetcher.conditional(&url, validators, MAX_INDEX_BYTES)? {
                Conditional::NotModified => {
                    if let Some((newest, _)) = kept {
                        crate::log::debug(|| format!("{url}: not modified; using the kept list"));
                        return Ok(newest);
                    }
                    return Err(PackageError::Malformed {
                        url,
                        detail: "304 without a conditional request".into(),
                    });
                }
                Conditional::Body {
                    body,
                    etag,
                    last_modified,
                    ..
                } => (body, etag, last_modified),
                Conditional::Missing => {
                    return Err(PackageError::Malformed {
                        url,
                        detail: format!(
                            "no index (HTTP 404): is `{}` an apk repository with {arch} packages?",
                            self.root
                        ),
                    })
                }
            };
        let malformed = |detail: String| PackageError::Malformed {
            url: url.clone(),
            detail,
        };
        let signed = match &self.keys {
            Some((keys, _)) => signature::verify(&body, keys).map_err(|e| {
                malformed(format!(
                    "signature: {}; not trusting it (signed_by)",
                    crate::log::chain(&e)
                ))
            })?,
            None => &body[..],
        };
        let sha256 = hex::encode(sha2::Sha256::digest(&body));
        let newest = match cache.load::<Newest>("packages", &map_key(&sha256)) {
            Some(n) => n,
            None => {
                let n = read_index(signed, arch).map_err(malformed)?;
                if let Some((first, count)) = &n.unreadable {
                    crate::log::warn(format_args!(
                        "{url}: {count} version(s) not in apk's syntax skipped (the first: `{}`)",
                        crate::log::shown_name(first, 60)
                    ));
                }
                cache.store("packages", &map_key(&sha256), &n);
                n
            }
        };
        if etag.is_some() || last_modified.is_some() {
            let state = IndexState {
                etag,
                last_modified,
                sha256,
            };
            cache.store("apkindex", &state_key, &state);
        }
        Ok(newest)
    }
}

/// The `APKINDEX` member of an (unsigned part of an) `APKINDEX.tar.gz`, read as a stream:
/// each stanza's `P:` / `V:` for `arch`, `noarch` or no `A:`.
fn read_index(body: &[u8], arch: &str) -> Result<Newest, String> {
    let gz = Bounded::new(flate2::read::MultiGzDecoder::new(body), MAX_INDEX_TEXT);
    let mut archive = tar::Archive::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a gzipped tar: {e}"))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("not a gzipped tar: {e}"))?;
        let is_index = entry
            .path()
            .map(|p| p.as_os_str() == "APKINDEX")
            .unwrap_or(false);
        if is_index {
            return read_stanzas(entry.take(MAX_INDEX_TEXT), arch);
        }
    }
    Err("no APKINDEX in the archive".into())
}

fn read_stanzas(text: impl std::io::Read, arch: &str) -> Result<Newest, String> {
    let mut stanzas = Stanzas::apk(std::io::BufReader::new(text));
    let mut newest = Newest::default();
    loop {
        let stanza = stanzas
            .next_stanza()
            .map_err(|e| format!("APKINDEX: {}", crate::log::chain(&e)))?;
        let Some(stanza) = stanza else {
            return Ok(newest);
        };
        let for_arch = stanza
            .field("A")
            .is_none_or(|a| a.is_empty() || a == arch || a == "noarch");
        if let (true, Some(name), Some(version)) = (for_arch, stanza.field("P"), stanza.field("V"))
        {
            newest.offer(Manager::Apk, name, version)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apkindex_stanzas_of_the_architecture_and_noarch_count() {
        let text = "C:Q1x=\nP:openssl\nV:3.3.2-r0\nA:x86_64\n\nP:openssl\nV:3.3.2-r1\nA:x86_64\n\nP:tzdata\nV:2024b-r0\nA:noarch\n\nP:other\nV:9-r0\nA:aarch64\n\np:so:libc.so\nP:musl\nV:1.2.5-r0\n";
        let n = read_stanzas(text.as_bytes(), "x86_64").unwrap();
        assert_eq!(n.versions["openssl"], "3.3.2-r1");
        assert_eq!(n.versions["tzdata"], "2024b-r0");
        assert_eq!(n.versions["musl"], "1.2.5-r0");
        assert!(!n.versions.contains_key("other"));
    }
}
