//! Upstream package releases: one backend per ecosystem behind one trait, chosen by `source`;
//! filtering, ordering and cursor rules shared by all.

pub mod apk;
pub mod apt;
pub mod crates;
pub mod gem;
pub mod git;
pub mod github;
pub mod gitlab;
pub mod go;
pub mod helm;
pub mod maven;
pub mod npm;
pub mod openpgp;
pub mod pypi;

use crate::log;
use crate::net::{Body, BrokeOff, Http, NetError, TlsSettings};
use crate::protocol::{
    MetadataField, PackageSource, PackageVersion, VersionResponse, PACKAGE_KEYS,
};
use crate::versions::{Constraint, Parsed, PreReleases};
use base64::Engine as _;
use regex::Regex;

/// Largest index document read.
const MAX_INDEX_BYTES: u64 = 32 * 1024 * 1024;

/// Errors of the package backends.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The request failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The index does not know the package.
    #[error("{ecosystem} package `{package}` not found at {url}")]
    NotFound {
        /// `PyPI`, `crates.io`.
        ecosystem: &'static str,
        /// The name asked for.
        package: String,
        /// Where it was looked up.
        url: String,
    },
    /// The index answered something unreadable.
    #[error("{url}: {detail}")]
    Malformed {
        /// The document.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// A source field is wrong.
    #[error("{field}: {detail}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl BrokeOff for PackageError {
    fn broke_off(&self) -> Option<(&str, &str)> {
        match self {
            PackageError::Net(e) => e.broke_off(),
            _ => None,
        }
    }
}

/// One release as an index lists it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Release {
    /// The version text.
    pub version: String,
    /// The tag it comes from, when that is not the version itself (`v1.2.3`).
    #[serde(default)]
    pub tag: Option<String>,
    /// All its files (or the release) withdrawn.
    #[serde(default)]
    pub yanked: bool,
    /// Marked a pre-release by the index itself (GitHub).
    #[serde(default)]
    pub prerelease: bool,
    /// npm dist-tags pointing at it (`latest`, `next`).
    #[serde(default)]
    pub dist_tags: Vec<String>,
    /// A page about the release.
    #[serde(default)]
    pub url: Option<String>,
    /// When it was published (RFC 3339).
    #[serde(default)]
    pub published_at: Option<String>,
    /// Its downloadable files.
    #[serde(default)]
    pub files: Vec<ReleaseFile>,
    /// The checksum the index publishes for it (`sha256:<hex>`; apk: the `Q1…` control hash).
    #[serde(default)]
    pub checksum: Option<String>,
    /// The version of the application it packages (Helm's `appVersion`).
    #[serde(default)]
    pub app_version: Option<String>,
    /// The commit its tag points at (GitHub, GitLab).
    #[serde(default)]
    pub commit_sha: Option<String>,
    /// Its release notes (GitHub `body`, GitLab `description`): empty for a release without
    /// any, `None` where there are no release notes at all (tags).
    #[serde(default)]
    pub body: Option<String>,
}

/// A release file and the hash its index publishes for it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ReleaseFile {
    /// File name (`awscli-1.18.100.tar.gz`).
    pub name: String,
    /// Where to get it.
    pub url: String,
    /// `sha256:<hex>` or `sha512:<hex>`, when published.
    pub hash: Option<String>,
}

pub use crate::versions::Ecosystem;

/// A version source: one ecosystem's index.
pub trait Backend {
    /// Every release the index lists.
    fn releases(&self) -> Result<Vec<Release>, PackageError>;
    /// Its ordering and constraint syntax.
    fn ecosystem(&self) -> Ecosystem;
    /// Where a release file is downloaded from.
    fn file_url(&self, file: &ReleaseFile) -> Result<String, PackageError> {
        Ok(file.url.clone())
    }
    /// The fetcher (for downloads).
    fn fetcher(&self) -> &Fetcher;
    /// The release `in` reports: what the listing lacks filled in (RubyGems: `published_at`;
    /// an OCI chart: its manifest digest and `appVersion`; Go: the `.info` time; Maven: the main artifact and its sidecar hashes), or a refusal
    /// of `download` where the index publishes no hash at all.
    fn details(&self, release: Release, _download: Option<&str>) -> Result<Release, PackageError> {
        Ok(release)
    }
    /// Downloads `file` into `path` unless its bytes miss `hash` (Maven also takes `sha1:`); by
    /// default over HTTP from [`Backend::file_url`].
    fn download(
        &self,
        file: &ReleaseFile,
        hash: &str,
        path: &std::path::Path,
    ) -> Result<(), PackageError> {
        self.fetcher().download(&self.file_url(file)?, hash, path)
    }
}

/// The backend `source` selects (exactly one backend key).
pub fn backend(source: &PackageSource) -> Result<Box<dyn Backend>, PackageError> {
    let set: Vec<&str> = [
        ("pypi", source.pypi.is_some()),
        ("npm", source.npm.is_some()),
        ("crate", source.krate.is_some()),
        ("github", source.github.is_some()),
        ("git", source.git.is_some()),
        ("apt", source.apt.is_some()),
        ("apk", source.apk.is_some()),
        ("gem", source.gem.is_some()),
        ("helm", source.helm.is_some()),
        ("go", source.go.is_some()),
        ("gitlab", source.gitlab.is_some()),
        ("maven", source.maven.is_some()),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(k, _)| *k)
    .collect();
    let invalid = |detail: String| PackageError::Invalid {
        field: "source",
        detail,
    };
    if let [one] = set.as_slice() {
        // A field of other sources means nothing to this one: say so rather than ignore it.
        let distro = [
            (
                "source.repository",
                source.repository.is_some(),
                "apt, apk, helm and maven",
            ),
            (
                "source.architecture",
                source.architecture.is_some(),
                "apt and apk",
            ),
            ("source.suite", source.suite.is_some(), "apt"),
            ("source.component", source.component.is_some(), "apt"),
            ("source.signed_by", source.signed_by.is_some(), "apt"),
            (
                "source.check_valid_until",
                source.check_valid_until.is_some(),
                "apt",
            ),
            ("source.proxy", source.proxy.is_some(), "go"),
            ("source.drafts", source.drafts, "github"),
            // Index roots: a stray one must not become where the credentials go.
            (
                "source.index_url",
                source.index_url.is_some(),
                "pypi, crate and gem",
            ),
            ("source.registry", source.registry.is_some(), "npm"),
            (
                "source.api_url",
                source.api_url.is_some(),
                "github and gitlab",
            ),
            (
                "source.access_token",
                source.access_token.is_some(),
                "github and gitlab",
            ),
            (
                "source.releases",
                source.releases.is_some(),
                "github and gitlab",
            ),
            (
                "source.tag_regex",
                source.tag_regex.is_some(),
                "github, gitlab and git",
            ),
        ];
        for (field, set, owners) in distro {
            // Whole words: `github` must not let a `git` source through.
            let owned = owners
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|w| w == *one);
            if set && !owned {
                return Err(PackageError::Invalid {
                    field,
                    detail: format!("not a field of {one} sources (only {owners} sources have it)"),
                });
            }
        }
    }
    let fetcher = Fetcher::new(source)?;
    match set.as_slice() {
        ["pypi"] => Ok(Box::new(pypi::PyPi::new(source, fetcher))),
        ["crate"] => Ok(Box::new(crates::Crates::new(source, fetcher))),
        ["npm"] => Ok(Box::new(npm::Npm::new(source, fetcher))),
        ["github"] => Ok(Box::new(github::GitHub::new(source, fetcher)?)),
        ["git"] => Ok(Box::new(git::Git::new(source, fetcher)?)),
        ["apt"] => Ok(Box::new(apt::Apt::new(source, fetcher)?)),
        ["apk"] => Ok(Box::new(apk::Apk::new(source, fetcher)?)),
        ["gem"] => Ok(Box::new(gem::Gem::new(source, fetcher)?)),
        ["helm"] => Ok(Box::new(helm::Helm::new(source, fetcher)?)),
        ["go"] => Ok(Box::new(go::GoModule::new(source, fetcher)?)),
        ["gitlab"] => Ok(Box::new(gitlab::GitLab::new(source, fetcher)?)),
        ["maven"] => Ok(Box::new(maven::Maven::new(source, fetcher)?)),
        [] => Err(invalid(format!("set one of {}", PACKAGE_KEYS.join(", ")))),
        many => Err(invalid(format!(
            "set exactly one of {} (found {})",
            PACKAGE_KEYS.join(", "),
            many.join(", ")
        ))),
    }
}

/// An RFC 3339 date as UTC to the second (`2024-01-02T03:04:05Z`); `None` when it is not one.
pub fn utc_seconds(text: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
}

/// Turns an index page (`Content-Type`, body) into releases.
pub type ParsePage<'a> = dyn Fn(&str, &[u8]) -> Result<Vec<Release>, PackageError> + 'a;

/// Like [`ParsePage`], also saying until when (Unix seconds) the list may be used (apt's
/// `Valid-Until`).
pub type ParseExpiring<'a> =
    dyn Fn(&str, &[u8]) -> Result<(Vec<Release>, Option<i64>), PackageError> + 'a;

/// HTTP GETs for index documents, with optional basic credentials.
pub struct Fetcher {
    pub(crate) http: Http,
    authorization: Option<String>,
    /// The URL credentials belong to (the configured index / registry / API): they go only
    /// to its scheme, host and port.
    auth_origin: Option<String>,
    /// Largest index document read ([`MAX_INDEX_BYTES`] unless a backend needs more).
    index_limit: u64,
}

impl Fetcher {
    fn new(source: &PackageSource) -> Result<Fetcher, PackageError> {
        let http = Http::new(TlsSettings {
            insecure: source.insecure,
            ca_certs: source.ca_certs.clone(),
            client_identity: None,
        });
        http.validate()?;
        let authorization = match (&source.username, &source.password) {
            (Some(u), Some(p)) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{}", p.expose()))
            )),
            _ => None,
        };
        let auth_origin = [
            &source.index_url,
            &source.registry,
            &source.api_url,
            &source.repository,
        ]
        .into_iter()
        .find_map(|u| u.clone());
        Ok(Fetcher {
            http,
            authorization,
            auth_origin,
            index_limit: MAX_INDEX_BYTES,
        })
    }

    /// The same fetcher reading index documents of up to `limit` bytes.
    pub fn with_index_limit(mut self, limit: u64) -> Fetcher {
        self.index_limit = limit;
        self
    }

    /// Like [`Fetcher::releases`], a 404 being the package's absence from `ecosystem`.
    pub fn listed(
        &self,
        ecosystem: &'static str,
        package: &str,
        url: &str,
        accept: &str,
        parse: &ParsePage<'_>,
    ) -> Result<Vec<Release>, PackageError> {
        self.releases(url, accept, None, parse)?
            .ok_or_else(|| PackageError::NotFound {
                ecosystem,
                package: package.to_string(),
                url: url.to_string(),
            })
    }

    /// The body of `url` (at most `limit` bytes), `None` on 404; a body that breaks off is asked
    /// for again. For documents whose bytes are verified by the caller (apt's `Packages`).
    pub fn bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, PackageError> {
        crate::net::retry_truncated_blocking(|| {
            let resp = self
                .http
                .send_blocking("GET", url, &[], self.auth_for(url), Body::Empty)
                .map_err(|e| PackageError::Net(e.into_error()))?;
            match resp.status {
                200 => Ok(Some(resp.read_limited_blocking(limit)?)),
                404 => Ok(None),
                status => Err(PackageError::Malformed {
                    url: resp.url.clone(),
                    detail: format!("HTTP {status}"),
                }),
            }
        })
    }

    /// Credentials for `url`: only on the configured index's own host.
    fn auth_for(&self, url: &str) -> Option<&str> {
        match &self.auth_origin {
            Some(o) if crate::net::same_origin(o, url) => self.authorization.as_deref(),
            _ => None,
        }
    }

    /// Downloads `url` into `path` (temporary file, then rename) unless its bytes miss `hash`.
    fn download(&self, url: &str, hash: &str, path: &std::path::Path) -> Result<(), PackageError> {
        let digest: crate::digest::Digest =
            hash.parse()
                .map_err(|e: crate::digest::DigestError| PackageError::Malformed {
                    url: url.to_string(),
                    detail: format!("published hash: {e}"),
                })?;
        self.download_verified(url, path, |body| {
            Box::new(crate::digest::VerifyingReader::new(
                body,
                &digest,
                None,
                url.to_string(),
            ))
        })
    }

    /// Streams `url` through `verify` (a reader that fails when the bytes miss their hash)
    /// into `path`: a temporary sibling, renamed only once the whole body verified.
    pub(crate) fn download_verified<'v>(
        &self,
        url: &str,
        path: &std::path::Path,
        verify: impl FnOnce(Box<dyn std::io::Read + Send + Sync>) -> Box<dyn std::io::Read + 'v>,
    ) -> Result<(), PackageError> {
        let resp = crate::net::block_on(crate::net::streaming(self.http.send(
            "GET",
            url,
            &[],
            self.auth_for(url),
            Body::Empty,
        )))
        .map_err(|e| PackageError::Net(e.into_error()))?;
        if resp.status != 200 {
            return Err(PackageError::Malformed {
                url: resp.url.clone(),
                detail: format!("HTTP {}", resp.status),
            });
        }
        let mut reader = verify(resp.into_reader());
        // A hidden temporary name (no download has one): never another download's name. Dropped
        // (removed) on failure.
        let result = tempfile::Builder::new()
            .prefix(".download.")
            .suffix(".uptick-tmp")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(path.parent().unwrap_or(std::path::Path::new(".")))
            .and_then(|mut tmp| {
                std::io::copy(&mut reader, &mut tmp)?;
                tmp.persist(path).map(drop).map_err(|e| e.error)
            });
        if let Err(e) = result {
            return Err(PackageError::Malformed {
                url: url.to_string(),
                detail: e.to_string(),
            });
        }
        Ok(())
    }

    /// The releases at `url`: on a 304 to `If-None-Match` / `If-Modified-Since` the list kept
    /// from the last run (the page is not parsed again); `None` on 404 or 410. A page whose body breaks
    /// off is asked for again (twice at most).
    pub fn releases(
        &self,
        url: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParsePage<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        self.releases_as(url, url, accept, auth, parse)
    }

    /// Like [`Fetcher::releases`], the parsed list kept under `key` rather than the URL: for a
    /// document whose releases also depend on the source (apt's `InRelease`, apk's index).
    pub fn releases_as(
        &self,
        url: &str,
        key: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParsePage<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        self.releases_until(url, key, accept, auth, &|ct, body| {
            Ok((parse(ct, body)?, None))
        })
    }

    /// Like [`Fetcher::releases_as`], the kept list used only until the time `parse` gave with
    /// it: past that, the document is asked for unconditionally and parsed again.
    pub fn releases_until(
        &self,
        url: &str,
        key: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParseExpiring<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        crate::net::retry_truncated_blocking(|| self.releases_once(url, key, accept, auth, parse))
    }

    fn releases_once(
        &self,
        url: &str,
        key: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParseExpiring<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        let now = chrono::Utc::now().timestamp();
        let cached = cache::load(key).filter(|c| c.not_after.is_none_or(|t| now <= t));
        let mut headers = vec![("Accept", accept.to_string())];
        if let Some(c) = &cached {
            if let Some(e) = &c.etag {
                headers.push(("If-None-Match", e.clone()));
            }
            if let Some(m) = &c.last_modified {
                headers.push(("If-Modified-Since", m.clone()));
            }
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let auth = auth.or(self.auth_for(url));
        let resp = self
            .http
            .send_blocking("GET", url, &headers, auth, Body::Empty)
            .map_err(|e| PackageError::Net(e.into_error()))?;
        match resp.status {
            304 => match cached {
                Some(c) => {
                    log::debug(|| format!("{url}: not modified; using the kept list"));
                    Ok(Some(c.releases))
                }
                None => Err(PackageError::Malformed {
                    url: resp.url.clone(),
                    detail: "304 without a conditional request".into(),
                }),
            },
            200 => {
                let ct = resp.header("Content-Type").unwrap_or("").to_string();
                let etag = resp.header("ETag").map(str::to_string);
                let last_modified = resp.header("Last-Modified").map(str::to_string);
                let body = resp.read_limited_blocking(self.index_limit)?;
                let (releases, not_after) = parse(&ct, &body)?;
                if etag.is_some() || last_modified.is_some() {
                    cache::store_until(key, etag, last_modified, not_after, &releases);
                }
                Ok(Some(releases))
            }
            // 410 Gone: how Go module proxies say "not found" as well.
            404 | 410 => Ok(None),
            status => Err(PackageError::Malformed {
                url: resp.url.clone(),
                detail: format!("HTTP {status}"),
            }),
        }
    }
}

/// Conditional-request state per index URL, in the private temp dir a reused check container
/// keeps: validators and the parsed release list.
pub(crate) mod cache {
    use super::Release;
    use sha2::Digest as _;

    #[derive(serde::Serialize, serde::Deserialize)]
    pub struct Entry {
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

    pub fn load(url: &str) -> Option<Entry> {
        serde_json::from_slice(&std::fs::read(path(url)?).ok()?).ok()
    }

    pub fn store(
        url: &str,
        etag: Option<String>,
        last_modified: Option<String>,
        releases: &[Release],
    ) {
        store_until(url, etag, last_modified, None, releases);
    }

    /// Like [`store`], the list not to be used after `not_after` (Unix seconds).
    pub fn store_until(
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
            let tmp = p.with_extension(format!("{}.tmp", std::process::id()));
            if std::fs::write(&tmp, bytes)
                .and_then(|()| std::fs::rename(&tmp, &p))
                .is_err()
            {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }
}

fn compile(field: &'static str, pattern: &Option<String>) -> Result<Option<Regex>, PackageError> {
    pattern
        .as_deref()
        .map(|p| {
            Regex::new(p).map_err(|e| PackageError::Invalid {
                field,
                detail: format!("invalid regex: {}", e.to_string().replace('\n', " ")),
            })
        })
        .transpose()
}

/// The releases that count, oldest first: not yanked, parseable, allowed by `pre_releases`,
/// the regexes, `ignore` and `constraint`.
pub fn candidates(
    source: &PackageSource,
    backend: &dyn Backend,
) -> Result<Vec<Release>, PackageError> {
    let eco = backend.ecosystem();
    let pre = PreReleases::from(source.pre_releases);
    let constraint = source
        .constraint
        .as_deref()
        .map(|c| {
            Constraint::parse(eco, c, pre).map_err(|e| PackageError::Invalid {
                field: "source.constraint",
                detail: format!("invalid constraint `{c}`: {e}"),
            })
        })
        .transpose()?;
    let include = compile("source.include_regex", &source.include_regex)?;
    let exclude = compile("source.exclude_regex", &source.exclude_regex)?;
    let list: Vec<(Parsed, Release)> = backend
        .releases()?
        .into_iter()
        .filter(|r| !r.yanked)
        .filter(|r| include.as_ref().is_none_or(|re| re.is_match(&r.version)))
        .filter(|r| !exclude.as_ref().is_some_and(|re| re.is_match(&r.version)))
        .filter(|r| !source.ignore.contains(&r.version))
        .filter_map(|r| Parsed::parse(eco, &r.version, constraint.as_ref()).map(|p| (p, r)))
        // GitHub's own pre-release flag: only with `pre_releases: true`.
        .filter(|(_, r)| pre == PreReleases::All || !r.prerelease)
        .collect();
    let mut list = crate::versions::select(eco, constraint.as_ref(), pre, list, |(p, r)| {
        (r.version.as_str(), p)
    });
    list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.version.cmp(&b.1.version)));
    list.dedup_by(|a, b| a.1.version == b.1.version);
    Ok(list.into_iter().map(|(_, r)| r).collect())
}

/// `check`: the newest version on a first check; the cursor and everything newer while the
/// cursor is still listed; the newest when it is gone.
pub fn check(
    source: &PackageSource,
    cursor: Option<PackageVersion>,
) -> Result<Vec<PackageVersion>, PackageError> {
    let backend = backend(source)?;
    let all = candidates(source, backend.as_ref())?;
    let version = |r: &Release| PackageVersion {
        version: r.version.clone(),
        tag: r.tag.clone(),
    };
    let from = cursor.and_then(|c| all.iter().position(|r| r.version == c.version));
    Ok(match from {
        Some(i) => all[i..].iter().map(version).collect(),
        None => all.last().map(version).into_iter().collect(),
    })
}

/// The files `in` writes into DEST itself: a downloaded file never takes one of these names.
pub(crate) const OUTPUT_FILES: &[&str] = &[
    "version",
    "tag",
    "url",
    "published_at",
    "checksum",
    "app_version",
    "dist_tags",
    "commit_sha",
    "body",
];

/// Longest release `body` in `in`'s metadata (characters); the `body` file holds all of it.
const METADATA_BODY_CHARS: usize = 10_000;

/// Whether `text` is a git object name: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
pub(crate) fn is_commit_sha(text: &str) -> bool {
    matches!(text.len(), 40 | 64)
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Longest part of a server-given file name an error shows ([`log::shown_name`]).
const SHOWN_NAME_CHARS: usize = 200;

/// Why a file name the index gave cannot be a download's name in DEST, when it cannot: one
/// name, nothing that resolves elsewhere, nothing hidden.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.contains('/') {
        Some("it has a `/`")
    } else if name.contains('\0') {
        Some("it has a NUL")
    } else if name.starts_with('.') {
        Some("it starts with `.`")
    } else {
        None
    }
}

/// Refuses the files `download` matched unless each can be written into DEST under its own
/// name without replacing anything: not one of [`OUTPUT_FILES`], not [`unsafe_name`], not
/// listed twice. Checked before anything is downloaded.
fn check_download_names(files: &[&ReleaseFile], what: &str) -> Result<(), PackageError> {
    let refuse = |detail: String| PackageError::Invalid {
        field: "params.download",
        detail,
    };
    let mut seen = std::collections::HashSet::new();
    for file in files {
        if let Some(why) = unsafe_name(&file.name) {
            return Err(refuse(format!(
                "refusing file name `{}` of {what}: {why}; narrow `download` to leave it out",
                log::shown_name(&file.name, SHOWN_NAME_CHARS)
            )));
        }
        if !seen.insert(file.name.as_str()) {
            return Err(refuse(format!(
                "{what} lists `{}` twice; not choosing one",
                log::shown_name(&file.name, SHOWN_NAME_CHARS)
            )));
        }
    }
    let colliding: Vec<&str> = files
        .iter()
        .map(|f| f.name.as_str())
        .filter(|n| OUTPUT_FILES.contains(n))
        .collect();
    if !colliding.is_empty() {
        return Err(refuse(format!(
            "`{}` of {what} would replace what `in` writes under that name ({}); narrow `download` to leave {} out (`*.tar.gz`, say)",
            colliding.join("`, `"),
            OUTPUT_FILES.join(", "),
            if colliding.len() == 1 { "it" } else { "them" }
        )));
    }
    Ok(())
}

/// A release body for metadata: at most [`METADATA_BODY_CHARS`] characters, `…` when cut.
fn metadata_body(body: &str) -> String {
    let mut shown: String = body.chars().take(METADATA_BODY_CHARS).collect();
    if body.chars().nth(METADATA_BODY_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

/// `in`: checks the version is still listed, then writes `version`, `tag` (the release's tag,
/// else the version) and what the index publishes of it ([`OUTPUT_FILES`]).
pub fn get(
    source: &PackageSource,
    version: PackageVersion,
    download: Option<&str>,
    dest: &std::path::Path,
) -> Result<VersionResponse<PackageVersion>, PackageError> {
    let backend = backend(source)?;
    let listed = backend.releases()?;
    let name = [
        &source.pypi,
        &source.npm,
        &source.krate,
        &source.github,
        &source.git,
        &source.apt,
        &source.apk,
        &source.gem,
        &source.helm,
        &source.go,
        &source.gitlab,
        &source.maven,
    ]
    .into_iter()
    .find_map(|n| n.clone())
    .unwrap_or_default();
    // Two tags can name one version (`v1.0.0`, `1.0.0`): the one `check` reported, when given.
    let same_tag = |r: &Release| {
        version
            .tag
            .as_deref()
            .is_none_or(|t| r.tag.as_deref().unwrap_or(&r.version) == t)
    };
    let found = listed
        .iter()
        .find(|r| r.version == version.version && same_tag(r))
        .or_else(|| listed.iter().find(|r| r.version == version.version));
    let Some(release) = found else {
        return Err(PackageError::Invalid {
            field: "version",
            detail: format!("{name} {} is no longer listed", version.version),
        });
    };
    let release = &backend.details(release.clone(), download)?;
    // Outputs go to a private staging directory in DEST, moved in once everything succeeded:
    // a failed get (a file whose hash does not match, say) leaves DEST as it found it.
    let disk = |e: std::io::Error| PackageError::Malformed {
        url: dest.display().to_string(),
        detail: e.to_string(),
    };
    crate::fsutil::sweep_dead(dest, crate::fsutil::IN_LEFTOVERS);
    let staged = crate::fsutil::Staged::new(dest).map_err(disk)?;
    let staging = staged.path().to_path_buf();
    let dest = staging.as_path();
    let write = |file: &str, text: &str| {
        debug_assert!(
            OUTPUT_FILES.contains(&file),
            "{file} is not in OUTPUT_FILES"
        );
        crate::fsutil::write_file(&dest.join(file), text.as_bytes()).map_err(|e| {
            PackageError::Malformed {
                url: dest.display().to_string(),
                detail: e.to_string(),
            }
        })
    };
    // The version's tag (the listing's when a pinned `version` leaves it out), else the version.
    let tag = version
        .tag
        .clone()
        .or_else(|| release.tag.clone())
        .unwrap_or_else(|| version.version.clone());
    write("version", &version.version)?;
    write("tag", &tag)?;
    log::info(format_args!("{name} {}", version.version));
    let mut metadata = vec![
        MetadataField::new("package", name.clone()),
        MetadataField::new("version", version.version.clone()),
    ];
    if tag != version.version {
        metadata.push(MetadataField::new("tag", tag.clone()));
    }
    // One format whatever the index wrote (an offset, nanoseconds, or not a date at all).
    let published_at = release.published_at.as_deref().and_then(|t| {
        let utc = utc_seconds(t);
        if utc.is_none() {
            log::warn(format_args!(
                "published_at of {name} {} is not an RFC 3339 date: left out",
                version.version
            ));
        }
        utc
    });
    // A page on an index whose URL holds credentials is shown without them.
    let page = release
        .url
        .as_deref()
        .map(|u| crate::log::strip_userinfo(u).into_owned());
    for (file, value) in [
        ("url", &page),
        ("published_at", &published_at),
        ("checksum", &release.checksum),
        ("app_version", &release.app_version),
        ("commit_sha", &release.commit_sha),
    ] {
        if let Some(v) = value {
            write(file, v)?;
            metadata.push(MetadataField::new(file, v.clone()));
        }
    }
    if let Some(body) = &release.body {
        write("body", body)?;
        if !body.is_empty() {
            metadata.push(MetadataField::new("body", metadata_body(body)));
        }
    }
    if let Some(glob) = download {
        let re = crate::fsutil::glob_regex(glob).map_err(|e| PackageError::Invalid {
            field: "params.download",
            detail: format!("`{glob}`: {e}"),
        })?;
        let matching: Vec<&ReleaseFile> = release
            .files
            .iter()
            .filter(|f| re.is_match(&f.name))
            .collect();
        if matching.is_empty() {
            let names: Vec<String> = release
                .files
                .iter()
                .map(|f| log::shown_name(&f.name, SHOWN_NAME_CHARS))
                .collect();
            return Err(PackageError::Invalid {
                field: "params.download",
                detail: format!(
                    "no file of {name} {} matches `{glob}`; it has: {}",
                    version.version,
                    log::shown_list(names, release.files.len())
                ),
            });
        }
        check_download_names(&matching, &format!("{name} {}", version.version))?;
        let mut got = Vec::new();
        for file in matching {
            let hash = file.hash.as_deref().ok_or_else(|| PackageError::Invalid {
                field: "params.download",
                detail: format!(
                    "{}: the index publishes no hash for it; not downloading it unverified",
                    file.name
                ),
            })?;
            backend.download(file, hash, &dest.join(&file.name))?;
            log::info(format_args!("downloaded {} ({hash})", file.name));
            got.push(file.name.clone());
        }
        metadata.push(MetadataField::new("files", got.join(" ")));
    }
    if !release.dist_tags.is_empty() {
        write("dist_tags", &release.dist_tags.join(" "))?;
        metadata.push(MetadataField::new("dist_tags", release.dist_tags.join(" ")));
    }
    staged.commit().map_err(disk)?;
    Ok(VersionResponse { version, metadata })
}

/// A tag's version: the `version` group of `tag_regex` (tags it does not match are skipped), or
/// the tag without a leading `v`. The tag is kept when it differs from the version.
pub fn tag_version(tag: &str, re: Option<&Regex>) -> Option<Release> {
    let version = match re {
        Some(re) => {
            let c = re.captures(tag)?;
            c.name("version").or(c.get(0))?.as_str().to_string()
        }
        None => tag.strip_prefix(['v', 'V']).unwrap_or(tag).to_string(),
    };
    Some(Release {
        tag: (version != tag).then(|| tag.to_string()),
        version,
        ..Release::default()
    })
}

/// Compiles `source.tag_regex`.
pub fn tag_regex(source: &PackageSource) -> Result<Option<Regex>, PackageError> {
    compile("source.tag_regex", &source.tag_regex)
}

#[cfg(test)]
mod tests {
    use super::utc_seconds;

    #[test]
    fn published_dates_are_utc_seconds() {
        assert_eq!(
            utc_seconds("2024-01-02T05:04:05.123456789+02:00").as_deref(),
            Some("2024-01-02T03:04:05Z")
        );
        assert_eq!(
            utc_seconds("2019-03-12T20:43:26Z").as_deref(),
            Some("2019-03-12T20:43:26Z")
        );
        assert_eq!(utc_seconds("last Tuesday"), None);
        assert_eq!(utc_seconds("$(rm -rf /)"), None);
    }
}
