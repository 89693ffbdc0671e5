//! One pass over an apt suite for all installed packages: its Release file verified as the apt
//! source verifies it, then each `Packages` index it lists for the component and architecture
//! (and `binary-all`) streamed and reduced to name → newest version, kept by its SHA256.

use super::newest::{Cache, Newest};
use super::stanza::Stanzas;
use super::{stream, Manager};
use crate::packages::apt::{ReleaseTrust, MAX_PACKAGES_BYTES, MAX_RELEASE_BYTES};
use crate::packages::openpgp::Key;
use crate::packages::{Conditional, Fetcher, PackageError};

/// One `updates.apt` entry, validated.
pub(crate) struct AptRepo {
    /// The archive root, without a trailing `/`.
    pub(crate) root: String,
    pub(crate) suite: String,
    pub(crate) component: String,
    /// `signed_by`'s keys and a short hash of the field (part of every cache key).
    pub(crate) keys: Option<(Vec<Key>, String)>,
    pub(crate) check_valid_until: bool,
}

/// What is kept of a verified Release file between runs: its validators, until when it may
/// be used, and the component's index files (path, SHA256, size).
#[derive(serde::Serialize, serde::Deserialize)]
struct ReleaseState {
    etag: Option<String>,
    last_modified: Option<String>,
    not_after: Option<i64>,
    files: Vec<(String, String, u64)>,
}

impl AptRepo {
    /// `<root> <suite>/<component>`, as updates name it.
    pub(crate) fn display(&self) -> String {
        format!("{} {}/{}", self.root, self.suite, self.component)
    }

    fn dists(&self) -> String {
        format!("{}/dists/{}", self.root, self.suite)
    }

    fn trust(&self) -> ReleaseTrust<'_> {
        ReleaseTrust {
            suite: &self.suite,
            keys: self.keys.as_ref().map(|(k, _)| k.as_slice()),
            check_valid_until: self.check_valid_until,
        }
    }

    /// The component's index files the suite's Release file lists: from the kept state on a
    /// 304 (until its `Valid-Until`), else verified afresh. One request when unchanged.
    fn release_files(
        &self,
        fetcher: &Fetcher,
        cache: &Cache,
    ) -> Result<Vec<(String, String, u64)>, PackageError> {
        let now = chrono::Utc::now().timestamp();
        for doc in ["InRelease", "Release"] {
            let url = format!("{}/{doc}", self.dists());
            let key = format!(
                "{url} {} {} {}",
                self.component,
                self.keys.as_ref().map_or("unsigned", |(_, id)| id.as_str()),
                self.check_valid_until
            );
            let kept: Option<ReleaseState> = cache
                .load("release", &key)
                .filter(|s: &ReleaseState| s.not_after.is_none_or(|t| now <= t));
            let validators = kept
                .as_ref()
                .map(|s| (s.etag.as_deref(), s.last_modified.as_deref()));
            match fetcher.conditional(&url, validators, MAX_RELEASE_BYTES)? {
                Conditional::NotModified => {
                    if let Some(state) = kept {
                        crate::log::debug(|| format!("{url}: not modified; using the kept list"));
                        return Ok(state.files);
                    }
                }
                Conditional::Body {
                    body,
                    etag,
                    last_modified,
                    ..
                } => {
                    let (release, not_after) = self.trust().read(&url, &body, fetcher)?;
                    if release.sha256.is_empty() {
                        return Err(PackageError::Malformed {
                            url,
                            detail: "no SHA256 list: the index files cannot be verified".into(),
                        });
                    }
                    let prefix = format!("{}/binary-", self.component);
                    let files: Vec<_> = release
                        .sha256
                        .into_iter()
                        .filter(|(_, _, p)| p.starts_with(&prefix))
                        .map(|(h, s, p)| (p, h, s))
                        .collect();
                    if etag.is_some() || last_modified.is_some() {
                        let state = ReleaseState {
                            etag,
                            last_modified,
                            not_after,
                            files: files.clone(),
                        };
                        cache.store("release", &key, &state);
                    }
                    return Ok(files);
                }
                Conditional::Missing => {}
            }
        }
        Err(PackageError::Malformed {
            url: format!("{}/", self.dists()),
            detail: format!(
                "neither InRelease nor Release (HTTP 404): no suite `{}` in this repository",
                self.suite
            ),
        })
    }

    /// Name → newest version for each of `archs` (each with `binary-all` when the Release
    /// lists it), in the order given. An architecture the suite does not list is an error for
    /// `native`, a warning (no candidates) for another.
    pub(crate) fn newest(
        &self,
        fetcher: &Fetcher,
        cache: &Cache,
        archs: &[&str],
        native: &str,
    ) -> Result<Vec<Newest>, PackageError> {
        let files = self.release_files(fetcher, cache)?;
        let all = pick(&files, &format!("{}/binary-all/Packages", self.component));
        let mut out = Vec::new();
        for arch in archs {
            let stem = format!("{}/binary-{arch}/Packages", self.component);
            let mut newest = match pick(&files, &stem) {
                Some(file) => self.packages(fetcher, cache, file)?,
                None if all.is_none() && arch == &native => {
                    return Err(PackageError::Malformed {
                        url: format!("{}/", self.dists()),
                        detail: format!("the Release file lists no {stem}(.xz|.gz)"),
                    });
                }
                None => {
                    crate::log::warn(format_args!(
                        "{}: the Release file lists no {stem}(.xz|.gz): no updates for {arch} packages from it",
                        self.dists()
                    ));
                    Newest::default()
                }
            };
            if let Some(file) = all {
                let extra = self.packages(fetcher, cache, file)?;
                for (name, version) in &extra.versions {
                    newest
                        .offer(Manager::Dpkg, name, version)
                        .map_err(|detail| PackageError::Malformed {
                            url: format!("{}/{}", self.dists(), file.0),
                            detail,
                        })?;
                }
            }
            out.push(newest);
        }
        Ok(out)
    }

    /// The reduced index of `file` (path, SHA256, size): kept by its SHA256, else downloaded,
    /// verified and read once.
    fn packages(
        &self,
        fetcher: &Fetcher,
        cache: &Cache,
        (path, sha256, size): &(String, String, u64),
    ) -> Result<Newest, PackageError> {
        let key = format!("apt {}", sha256.to_ascii_lowercase());
        if let Some(kept) = cache.load::<Newest>("packages", &key) {
            return Ok(kept);
        }
        let url = format!("{}/{path}", self.dists());
        let file = stream::download_verified(fetcher, &url, sha256, *size, MAX_PACKAGES_BYTES)?;
        let newest = read_packages(path, file).map_err(|source| PackageError::Index {
            url: url.clone(),
            source,
        })?;
        if let Some((first, n)) = &newest.unreadable {
            crate::log::warn(format_args!(
                "{url}: {n} version(s) not in dpkg's syntax skipped (the first: `{}`)",
                crate::log::shown_name(first, 60)
            ));
        }
        cache.store("packages", &key, &newest);
        Ok(newest)
    }
}

/// The preferred file of `stem` (`main/binary-amd64/Packages`) the Release lists: `.gz`
/// (decompressed as a stream in constant memory), `.xz` (lzma-rs decompresses an xz block
/// whole: memory is the block's text, up to [`stream::MAX_TEXT_BYTES`]), then plain.
fn pick<'a>(files: &'a [(String, String, u64)], stem: &str) -> Option<&'a (String, String, u64)> {
    ["gz", "xz", ""].iter().find_map(|ext| {
        let want = if ext.is_empty() {
            stem.to_string()
        } else {
            format!("{stem}.{ext}")
        };
        files.iter().find(|(p, _, _)| *p == want)
    })
}

/// Every `Package` / `Version` of a `Packages` file, reduced to the newest per name.
fn read_packages(
    path: &str,
    file: std::fs::File,
) -> Result<Newest, Box<dyn std::error::Error + Send + Sync>> {
    let text = std::io::BufReader::with_capacity(64 * 1024, stream::decompressed(path, file)?);
    let mut stanzas = Stanzas::deb822(text);
    let mut newest = Newest::default();
    while let Some(stanza) = stanzas.next_stanza()? {
        if let (Some(name), Some(version)) = (stanza.field("Package"), stanza.field("Version")) {
            newest.offer(Manager::Dpkg, name, version)?;
        }
    }
    Ok(newest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Seek as _, Write as _};

    #[test]
    fn packages_files_are_reduced_to_the_newest_version_of_each_name() {
        let text = "Package: libssl3\nVersion: 3.0.11-1~deb12u1\nDescription: x\n long\n\nPackage: libssl3\nVersion: 3.0.15-1~deb12u1\n\nPackage: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n";
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f.rewind().unwrap();
        let n = read_packages("main/binary-amd64/Packages", f).unwrap();
        assert_eq!(n.versions["libssl3"], "3.0.15-1~deb12u1");
        assert_eq!(n.versions["tzdata"], "2024a-0+deb12u1");
        assert_eq!(n.versions.len(), 2);
    }

    #[test]
    fn gz_is_preferred_then_xz_then_plain() {
        let f = |p: &str| (p.to_string(), "h".to_string(), 1u64);
        let files = [
            f("main/binary-amd64/Packages"),
            f("main/binary-amd64/Packages.gz"),
            f("main/binary-amd64/Packages.xz"),
            f("main/binary-all/Packages"),
        ];
        assert_eq!(
            pick(&files, "main/binary-amd64/Packages").unwrap().0,
            files[1].0
        );
        assert_eq!(
            pick(
                &[files[0].clone(), files[2].clone()],
                "main/binary-amd64/Packages"
            )
            .unwrap()
            .0,
            files[2].0
        );
        assert_eq!(
            pick(&files, "main/binary-all/Packages").unwrap().0,
            files[3].0
        );
        assert!(pick(&files, "main/binary-i386/Packages").is_none());
    }
}
