//! Debian / Ubuntu apt repositories: `dists/<suite>/InRelease` (or `Release`), then the
//! `Packages` index it lists for the component and architecture, trusted only when its SHA256
//! and size are the ones the Release file gives. The Release file is used as apt uses it: not
//! past its `Valid-Until`, not before its `Date`, and (with `signed_by`) only when its `Suite`
//! or `Codename` names the suite asked for.

use super::{Backend, Fetcher, PackageError, Release, ReleaseFile};
use super::{CommonFields, Source};
use crate::log;
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;
use sha2::Digest as _;

mod deb822;
mod release_file;

use deb822::{decompress, for_each_stanza, names_package};
pub(crate) use release_file::ReleaseFields;
use release_file::{clear_signed, duration, names_suite, release_date};

/// Largest compressed `Packages` file read (Debian bookworm main/amd64 `Packages.xz`: 9 MB).
pub(crate) const MAX_PACKAGES_BYTES: u64 = 64 * 1024 * 1024;
/// Largest `InRelease` / `Release` read (Debian bookworm's `InRelease`: 151 KB).
pub(crate) const MAX_RELEASE_BYTES: u64 = super::openpgp::MAX_SIGNED_BYTES as u64;
/// Largest `Release.gpg` read (a few signatures: about 1 KB each).
const MAX_RELEASE_SIGNATURE_BYTES: u64 = 1024 * 1024;
/// How far in the future a Release file's `Date` may be (apt's `Acquire::Max-FutureTime` is
/// 10 s; a worker's clock may lag more). `Valid-Until` has none, as in apt.
const DATE_SKEW_SECONDS: i64 = super::openpgp::CLOCK_SKEW_SECONDS as i64;

/// `apt:` a binary package of a Debian / Ubuntu apt repository (`openssl`).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AptSource {
    /// A binary package of a Debian / Ubuntu apt repository (`openssl`).
    apt: String,
    /// The archive root (`https://deb.debian.org/debian`, `http://security.debian.org/debian-security`); required.
    #[serde(default, deserialize_with = "empty_is_none")]
    repository: Option<String>,
    /// The suite under `dists/` (`bookworm`, `bookworm-security`, `jammy-updates`); required.
    #[serde(default, deserialize_with = "empty_is_none")]
    suite: Option<String>,
    /// The component (default `main`).
    #[serde(default, deserialize_with = "empty_is_none")]
    component: Option<String>,
    /// Debian architecture (`amd64`, `arm64`) (default: the worker's).
    #[serde(default, deserialize_with = "empty_is_none")]
    architecture: Option<String>,
    /// Armored OpenPGP public key(s) (RSA or Ed25519) the suite's InRelease (or Release.gpg) must be signed by.
    #[serde(default, deserialize_with = "empty_is_none")]
    signed_by: Option<String>,
    /// `false` accepts a Release file past its `Valid-Until`, as apt's `Check-Valid-Until` (a snapshot mirror) (default `true`).
    #[serde(default)]
    check_valid_until: Option<bool>,
}

impl Source for AptSource {
    const KEY: &'static str = "apt";
    const DOCS: &'static str = "## apt repositories";

    fn name(&self) -> &str {
        &self.apt
    }

    fn index_root(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Apt::new(self, fetcher)?))
    }
}

/// A binary package of one suite, component and architecture.
pub(crate) struct Apt {
    name: String,
    repository: String,
    suite: String,
    component: String,
    architecture: String,
    /// `signed_by`'s keys, and a short hash of the field (part of the cache key).
    keys: Option<(Vec<super::openpgp::Key>, String)>,
    /// apt's `Check-Valid-Until`: `false` accepts a Release file past its `Valid-Until`.
    check_valid_until: bool,
    fetcher: Fetcher,
}

/// The worker's Debian architecture name.
pub(crate) fn default_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "armhf",
        "x86" => "i386",
        "powerpc64" => "ppc64el",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// A path part given in `source` (suite, component, architecture): no `..`, no empty segment,
/// nothing a URL would read differently.
fn path_part(field: &'static str, value: &str) -> Result<String, PackageError> {
    if is_path_part(value) {
        Ok(value.to_string())
    } else {
        Err(PackageError::Invalid {
            field,
            detail: format!("`{value}` is not a repository path part"),
        })
    }
}

/// Whether `value` may be a path part (suite, component, architecture): see [`path_part`].
pub(crate) fn is_path_part(value: &str) -> bool {
    !value.is_empty()
        && value
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-/".contains(&b))
}

/// How a Release file is trusted: `signed_by`'s keys (none: read unsigned) and apt's
/// `Check-Valid-Until`.
pub(crate) struct ReleaseTrust<'a> {
    /// The suite asked for (`bookworm-security`).
    pub suite: &'a str,
    /// `signed_by`'s keys.
    pub keys: Option<&'a [super::openpgp::Key]>,
    /// `false` accepts a Release file past its `Valid-Until`.
    pub check_valid_until: bool,
}

impl ReleaseTrust<'_> {
    /// The Release file `body` fetched from `url` (`…/InRelease` or `…/Release`), its
    /// signature checked with the keys (a `Release` against `Release.gpg`, fetched with
    /// `fetcher`), its fields read and checked as apt checks them ([`ReleaseTrust::current`]);
    /// the fields and until when (Unix seconds) they may be used.
    pub(crate) fn read(
        &self,
        url: &str,
        body: &[u8],
        fetcher: &Fetcher,
    ) -> Result<(ReleaseFields, Option<i64>), PackageError> {
        let malformed = |detail: String| PackageError::Malformed {
            url: url.to_string(),
            detail,
        };
        let now = chrono::Utc::now().timestamp();
        let text = std::str::from_utf8(body).map_err(|_| malformed("not UTF-8 text".into()))?;
        let text = match self.keys {
            None => clear_signed(text)
                .ok_or_else(|| malformed("a broken clear-signed message".into()))?,
            Some(keys) if url.ends_with("/InRelease") => {
                super::openpgp::verify_clear_signed(text, keys, now).map_err(|e| {
                    malformed(format!("signature: {e}; not trusting it (signed_by)"))
                })?
            }
            Some(keys) => {
                let sig_url = format!("{url}.gpg");
                let sig = fetcher
                    .bytes(&sig_url, MAX_RELEASE_SIGNATURE_BYTES)?
                    .ok_or_else(|| {
                        malformed(
                            "no InRelease and no Release.gpg: nothing to check signed_by with"
                                .into(),
                        )
                    })?;
                super::openpgp::verify_detached(body, &sig, keys, now).map_err(|e| {
                    PackageError::Malformed {
                        url: sig_url.clone(),
                        detail: format!("signature: {e}; not trusting {url} (signed_by)"),
                    }
                })?;
                text.to_string()
            }
        };
        let release = ReleaseFields::parse(&text);
        let not_after = self.current(&release, now).map_err(malformed)?;
        Ok((release, not_after))
    }

    /// Whether the Release file is the current one of the suite asked for, as apt checks it
    /// (`pkgAcqMetaBase::VerifyVendor`): not expired, not from the future, naming the suite.
    /// Its `Valid-Until` (Unix seconds) when that is checked.
    fn current(&self, release: &ReleaseFields, now: i64) -> Result<Option<i64>, String> {
        let valid_until = match (&release.valid_until, self.check_valid_until) {
            (Some(v), true) => Some(release_date(v).ok_or_else(|| {
                format!("invalid 'Valid-Until' entry in the Release file: `{v}`")
            })?),
            _ => None,
        };
        if let Some(end) = valid_until.filter(|&end| now > end) {
            return Err(format!(
                "the Release file is expired (invalid since {}; Valid-Until: {}); \
                 check_valid_until: false accepts it (a snapshot mirror)",
                duration(now - end),
                release.valid_until.as_deref().unwrap_or_default()
            ));
        }
        match release.date.as_deref().map(|d| (d, release_date(d))) {
            Some((d, None)) => log::warn(format_args!(
                "invalid 'Date' entry in the Release file of suite `{}`: `{d}` (ignored, as apt does)",
                self.suite
            )),
            Some((d, Some(date))) if date - DATE_SKEW_SECONDS > now => {
                return Err(format!(
                    "the Release file is not valid yet (invalid for another {}; Date: {d})",
                    duration(date - DATE_SKEW_SECONDS - now)
                ));
            }
            _ => {}
        }
        if !names_suite(release, self.suite) {
            let conflict = format!(
                "conflicting distribution: expected `{}` but the Release file is Suite `{}`, Codename `{}`",
                self.suite,
                release.suite.as_deref().unwrap_or("none"),
                release.codename.as_deref().unwrap_or("none"),
            );
            if self.keys.is_some() {
                return Err(format!(
                    "{conflict} (another suite's Release file?); not trusting it (signed_by)"
                ));
            }
            log::warn(format_args!("{conflict}"));
        }
        Ok(valid_until)
    }
}

impl Apt {
    /// The package `source.apt` of `repository` / `dists/<suite>` / `component` / `architecture`.
    pub(crate) fn new(source: &AptSource, fetcher: Fetcher) -> Result<Apt, PackageError> {
        let keys = source
            .signed_by
            .as_deref()
            .map(|armored| {
                let keys =
                    super::openpgp::keys(armored).map_err(|detail| PackageError::Invalid {
                        field: "source.signed_by",
                        detail,
                    })?;
                let id = hex::encode(&sha2::Sha256::digest(armored.as_bytes())[..8]);
                Ok::<_, PackageError>((keys, id))
            })
            .transpose()?;
        let name = source.apt.clone();
        if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
        {
            return Err(PackageError::Invalid {
                field: "source.apt",
                detail: format!("`{name}` is not a Debian package name"),
            });
        }
        let repository = source
            .repository
            .clone()
            .ok_or_else(|| PackageError::Invalid {
                field: "source.repository",
                detail: "required with apt: the archive root (`https://deb.debian.org/debian`)"
                    .into(),
            })?;
        let suite = source
            .suite
            .as_deref()
            .ok_or_else(|| PackageError::Invalid {
                field: "source.suite",
                detail:
                    "required with apt: the suite under dists/ (`bookworm`, `bookworm-security`)"
                        .into(),
            })?;
        Ok(Apt {
            name,
            repository: repository.trim_end_matches('/').to_string(),
            suite: path_part("source.suite", suite)?,
            component: path_part(
                "source.component",
                source.component.as_deref().unwrap_or("main"),
            )?,
            architecture: path_part(
                "source.architecture",
                source
                    .architecture
                    .as_deref()
                    .unwrap_or(default_architecture()),
            )?,
            keys,
            check_valid_until: source.check_valid_until.unwrap_or(true),
            fetcher: fetcher.with_index_limit(MAX_RELEASE_BYTES),
        })
    }

    fn dists(&self) -> String {
        format!("{}/dists/{}", self.repository, self.suite)
    }

    /// The releases of the package from a Release file's text, and until when (Unix seconds)
    /// they may be used: its `Valid-Until`, unless `check_valid_until` is off.
    fn read_release(
        &self,
        url: &str,
        body: &[u8],
    ) -> Result<(Vec<Release>, Option<i64>), PackageError> {
        let trust = ReleaseTrust {
            suite: &self.suite,
            keys: self.keys.as_ref().map(|(k, _)| k.as_slice()),
            check_valid_until: self.check_valid_until,
        };
        let (release, not_after) = trust.read(url, body, &self.fetcher)?;
        Ok((self.read_packages(url, &release)?, not_after))
    }

    /// The `Packages` index the Release file lists for the component and architecture,
    /// verified by its SHA256 and size, and the package's releases in it.
    fn read_packages(
        &self,
        url: &str,
        release: &ReleaseFields,
    ) -> Result<Vec<Release>, PackageError> {
        let malformed = |detail: String| PackageError::Malformed {
            url: url.to_string(),
            detail,
        };
        if release.sha256.is_empty() {
            return Err(malformed(
                "no SHA256 list: the index files cannot be verified".into(),
            ));
        }
        let stem = format!("{}/binary-{}/Packages", self.component, self.architecture);
        let (path, hash, size) = ["gz", "xz", ""]
            .iter()
            .find_map(|ext| {
                let p = if ext.is_empty() {
                    stem.clone()
                } else {
                    format!("{stem}.{ext}")
                };
                release
                    .sha256
                    .iter()
                    .find(|(_, _, name)| *name == p)
                    .cloned()
            })
            .map(|(h, s, p)| (p, h, s))
            .ok_or_else(|| {
                malformed(format!(
                    "suite `{}` lists no {stem}(.gz|.xz) (components: {}; architectures: {})",
                    self.suite,
                    release.components.as_deref().unwrap_or("not listed"),
                    release.architectures.as_deref().unwrap_or("not listed"),
                ))
            })?;
        let packages_url = format!("{}/{path}", self.dists());
        let bytes = self
            .fetcher
            .bytes(&packages_url, MAX_PACKAGES_BYTES)?
            .ok_or_else(|| PackageError::Malformed {
                url: packages_url.clone(),
                detail: "listed in the Release file but not there (HTTP 404)".into(),
            })?;
        let bad = |detail: String| PackageError::Malformed {
            url: packages_url.clone(),
            detail,
        };
        let got = hex::encode(sha2::Sha256::digest(&bytes));
        if !got.eq_ignore_ascii_case(&hash) || bytes.len() as u64 != size {
            return Err(bad(format!(
                "SHA256 {got} ({} bytes) is not the Release file's {hash} ({size} bytes); not trusting it",
                bytes.len()
            )));
        }
        let text = decompress(&path, &bytes).map_err(|source| PackageError::Index {
            url: packages_url.clone(),
            source: Box::new(source),
        })?;
        let releases = self.parse_packages(&text);
        if releases.is_empty() {
            return Err(PackageError::NotFound {
                ecosystem: "apt",
                package: self.name.clone(),
                url: packages_url,
            });
        }
        Ok(releases)
    }

    /// The stanzas of `Packages` for this package.
    fn parse_packages(&self, text: &[u8]) -> Vec<Release> {
        let mut out = Vec::new();
        for_each_stanza(
            text,
            |raw| names_package(raw, &self.name),
            |stanza| {
                let field = |key: &str| {
                    stanza
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| v.trim())
                };
                if field("Package") != Some(self.name.as_str()) {
                    return;
                }
                let Some(version) = field("Version") else {
                    return;
                };
                let url = field("Filename")
                    .filter(|f| !f.split('/').any(|s| s == ".." || s.is_empty()))
                    .map(|f| (f, format!("{}/{f}", self.repository)));
                let sha256 = field("SHA256")
                    .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(|h| format!("sha256:{}", h.to_ascii_lowercase()));
                out.push(Release {
                    version: version.to_string(),
                    url: url.as_ref().map(|(_, u)| u.clone()),
                    checksum: sha256.clone(),
                    files: url
                        .map(|(f, u)| ReleaseFile {
                            name: f.rsplit('/').next().unwrap_or(f).to_string(),
                            url: u,
                            hash: sha256,
                        })
                        .into_iter()
                        .collect(),
                    ..Release::default()
                });
            },
        );
        out
    }
}

impl Backend for Apt {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let key = format!(
            "#apt {} {} {} {} {}",
            self.component,
            self.architecture,
            self.name,
            self.keys.as_ref().map_or("", |(_, id)| id.as_str()),
            self.check_valid_until,
        );
        for doc in ["InRelease", "Release"] {
            let url = format!("{}/{doc}", self.dists());
            let parse = |_: &str, body: &[u8]| self.read_release(&url, body);
            // The kept list is used on a 304 only until the Release file's Valid-Until.
            if let Some(list) =
                self.fetcher
                    .releases_until(&url, &format!("{url}{key}"), "*/*", None, &parse)?
            {
                return Ok(list);
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

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::DPKG
    }
}

#[doc(hidden)]
/// Fuzzing entry: the Release file readers (clear-signed text, fields, dates, suite names)
/// and the `Packages` stanza reader, on any text.
pub fn fuzz_release(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let signed = clear_signed(&text).unwrap_or_default();
    let release = ReleaseFields::parse(&signed);
    for field in [&release.date, &release.valid_until].into_iter().flatten() {
        if let Some(t) = release_date(field) {
            let _ = duration(t);
        }
    }
    let _ = names_suite(&release, "bookworm/updates");
    for_each_stanza(data, |raw| names_package(raw, "openssl"), |_| {});
}
