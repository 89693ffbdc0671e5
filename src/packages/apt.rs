//! Debian / Ubuntu apt repositories: `dists/<suite>/InRelease` (or `Release`), then the
//! `Packages` index it lists for the component and architecture, trusted only when its SHA256
//! and size are the ones the Release file gives. The Release file is used as apt uses it: not
//! past its `Valid-Until`, not before its `Date`, and (with `signed_by`) only when its `Suite`
//! or `Codename` names the suite asked for.

use super::{Backend, Ecosystem, Fetcher, PackageError, Release, ReleaseFile};
use super::{CommonFields, Source};
use crate::log;
use crate::protocol::empty_is_none;
use sha2::Digest as _;
use std::io::Read as _;

/// Largest compressed `Packages` file read (Debian bookworm main/amd64 `Packages.xz`: 9 MB).
const MAX_PACKAGES_BYTES: u64 = 64 * 1024 * 1024;
/// Largest `Packages` file once decompressed (bookworm main/amd64: 46 MB).
const MAX_PACKAGES_TEXT: u64 = 512 * 1024 * 1024;
/// Largest `InRelease` / `Release` read (Debian bookworm's `InRelease`: 151 KB).
const MAX_RELEASE_BYTES: u64 = super::openpgp::MAX_SIGNED_BYTES as u64;
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
pub struct Apt {
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
pub fn default_architecture() -> &'static str {
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
    let ok = !value.is_empty()
        && value
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-/".contains(&b));
    if ok {
        Ok(value.to_string())
    } else {
        Err(PackageError::Invalid {
            field,
            detail: format!("`{value}` is not a repository path part"),
        })
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
        let malformed = |detail: String| PackageError::Malformed {
            url: url.to_string(),
            detail,
        };
        let now = chrono::Utc::now().timestamp();
        let text = std::str::from_utf8(body).map_err(|_| malformed("not UTF-8 text".into()))?;
        let text = match &self.keys {
            None => clear_signed(text)
                .ok_or_else(|| malformed("a broken clear-signed message".into()))?,
            Some((keys, _)) if url.ends_with("/InRelease") => {
                super::openpgp::verify_clear_signed(text, keys, now).map_err(|e| {
                    malformed(format!("signature: {e}; not trusting it (signed_by)"))
                })?
            }
            Some((keys, _)) => {
                let sig_url = format!("{url}.gpg");
                let sig = self
                    .fetcher
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
        Ok((self.read_packages(url, &release)?, not_after))
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
        if !names_suite(release, &self.suite) {
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
        let text = decompress(&path, &bytes).map_err(bad)?;
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

    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Dpkg
    }
}

/// The signed text of a clear-signed message (dash-escaping undone), or `text` itself when it
/// is not one; `None` when the armor is broken.
fn clear_signed(text: &str) -> Option<String> {
    let Some(rest) = text
        .trim_start()
        .strip_prefix("-----BEGIN PGP SIGNED MESSAGE-----")
    else {
        return Some(text.to_string());
    };
    let mut lines = rest.lines();
    lines.next()?; // the rest of the BEGIN line
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
    }
    let mut out = String::new();
    for line in lines {
        if line.starts_with("-----BEGIN PGP SIGNATURE-----") {
            return Some(out);
        }
        out.push_str(line.strip_prefix("- ").unwrap_or(line));
        out.push('\n');
    }
    None
}

/// What uptick reads from a Release file (its first paragraph, as apt reads it).
#[derive(Default)]
struct ReleaseFields {
    /// (hash, size, path) of every file the `SHA256` field lists.
    sha256: Vec<(String, u64, String)>,
    components: Option<String>,
    architectures: Option<String>,
    suite: Option<String>,
    codename: Option<String>,
    date: Option<String>,
    valid_until: Option<String>,
}

impl ReleaseFields {
    fn parse(text: &str) -> ReleaseFields {
        let mut r = ReleaseFields::default();
        let mut current = String::new();
        let mut started = false;
        for line in text.lines() {
            if line.trim().is_empty() {
                if started {
                    break; // the end of the first paragraph
                }
                continue;
            }
            started = true;
            if line.starts_with([' ', '\t']) {
                if current.eq_ignore_ascii_case("SHA256") {
                    let mut parts = line.split_whitespace();
                    if let (Some(h), Some(s), Some(p), None) =
                        (parts.next(), parts.next(), parts.next(), parts.next())
                    {
                        if let Ok(size) = s.parse() {
                            r.sha256.push((h.to_string(), size, p.to_string()));
                        }
                    }
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                current.clear();
                continue;
            };
            current = key.trim().to_string();
            let value = Some(value.trim().to_string());
            let field = match current.to_ascii_lowercase().as_str() {
                "components" => &mut r.components,
                "architectures" => &mut r.architectures,
                "suite" => &mut r.suite,
                "codename" => &mut r.codename,
                "date" => &mut r.date,
                "valid-until" => &mut r.valid_until,
                _ => continue,
            };
            if field.is_none() {
                *field = value;
            }
        }
        r
    }
}

/// A Release file date as apt reads it (`RFC1123StrToTime`): `Sat, 05 Dec 2026 03:33:28 UTC`,
/// the zone `UTC`, `GMT`, `Z` or a zero offset (`+0000`); Unix seconds.
fn release_date(text: &str) -> Option<i64> {
    let mut parts = text.split_whitespace();
    let weekday = parts.next()?.to_ascii_lowercase();
    let days = ["sun,", "mon,", "tue,", "wed,", "thu,", "fri,", "sat,"];
    if !days.contains(&weekday.as_str()) {
        return None;
    }
    let (day, month, year, time, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let zero_offset = matches!(zone, "UTC" | "GMT" | "Z")
        || (zone
            .trim_start_matches(['+', '-'])
            .bytes()
            .all(|b| b == b'0')
            && zone.len() > usize::from(zone.starts_with(['+', '-'])));
    if parts.next().is_some() || !zero_offset {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(
        &format!("{day} {month} {year} {time}"),
        "%d %b %Y %H:%M:%S",
    )
    .ok()
    .map(|t| t.and_utc().timestamp())
}

/// A span of seconds as apt prints it (`TimeToStr`): `7d 3h 42min 1s`, `3h 42min 1s`, …
fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m, s) = (s / 86_400, (s / 3_600) % 24, (s / 60) % 60, s % 60);
    if seconds > 86_400 {
        format!("{d}d {h}h {m}min {s}s")
    } else if seconds > 3_600 {
        format!("{}h {m}min {s}s", seconds / 3_600)
    } else if seconds > 60 {
        format!("{}min {s}s", seconds / 60)
    } else {
        format!("{s}s")
    }
}

/// Whether the Release file's `Suite` or `Codename` names `suite` (apt's `CheckDist`: also
/// `bookworm/updates` for a Release file of `bookworm`).
fn names_suite(release: &ReleaseFields, suite: &str) -> bool {
    let names =
        |s: &str| release.suite.as_deref() == Some(s) || release.codename.as_deref() == Some(s);
    if names(suite) {
        return true;
    }
    match suite.rsplit_once('/') {
        Some((head, _)) => !head.is_empty() && head != "." && names(head),
        None => false,
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

/// Calls `f` with each stanza of a deb822 document that `wanted` accepts (given the stanza's
/// raw bytes), as (field, value) pairs with continuation lines joined; stanzas `wanted`
/// refuses are skipped without being parsed.
fn for_each_stanza(
    text: &[u8],
    wanted: impl Fn(&[u8]) -> bool,
    mut f: impl FnMut(&[(String, String)]),
) {
    let blank = |l: &[u8]| l.iter().all(|b| b.is_ascii_whitespace());
    let mut start: Option<usize> = None;
    let mut pos = 0;
    let mut emit = |chunk: &[u8]| {
        if !wanted(chunk) {
            return;
        }
        let mut stanza: Vec<(String, String)> = Vec::new();
        for raw in chunk.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_end_matches('\r');
            if line.starts_with([' ', '\t']) {
                if let Some(last) = stanza.last_mut() {
                    last.1.push('\n');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                stanza.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        f(&stanza);
    };
    for raw in text.split(|&b| b == b'\n') {
        let end = pos + raw.len();
        if blank(raw) {
            if let Some(s) = start.take() {
                emit(&text[s..pos]);
            }
        } else if start.is_none() {
            start = Some(pos);
        }
        pos = (end + 1).min(text.len());
    }
    if let Some(s) = start {
        emit(&text[s..]);
    }
}

/// Whether a stanza's raw bytes have the line `Package: <name>`.
fn names_package(chunk: &[u8], name: &str) -> bool {
    chunk.split(|&b| b == b'\n').any(|line| {
        line.strip_prefix(b"Package:")
            .is_some_and(|v| v.trim_ascii() == name.as_bytes())
    })
}

/// A writer that refuses more than its limit.
struct Limited {
    out: Vec<u8>,
    limit: u64,
}

impl std::io::Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() as u64 + buf.len() as u64 > self.limit {
            return Err(std::io::Error::other("larger than the limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `Packages`, `Packages.gz` or `Packages.xz` as text, at most [`MAX_PACKAGES_TEXT`] bytes.
fn decompress(path: &str, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let too_big = || format!("more than {MAX_PACKAGES_TEXT} bytes once decompressed");
    if path.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(MAX_PACKAGES_TEXT + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("not gzip: {e}"))?;
        if out.len() as u64 > MAX_PACKAGES_TEXT {
            return Err(too_big());
        }
        Ok(out)
    } else if path.ends_with(".xz") {
        let mut w = Limited {
            out: Vec::new(),
            limit: MAX_PACKAGES_TEXT,
        };
        match lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut w) {
            Ok(()) => Ok(w.out),
            Err(_) if w.out.len() as u64 + 65536 > MAX_PACKAGES_TEXT => Err(too_big()),
            Err(e) => Err(format!("not xz: {e}")),
        }
    } else {
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_signed_messages_are_unwrapped() {
        let msg = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\n- -dashed\nSHA256:\n abc 1 main/x\n-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n";
        let text = clear_signed(msg).unwrap();
        assert_eq!(text, "Origin: Debian\n-dashed\nSHA256:\n abc 1 main/x\n");
        assert_eq!(
            ReleaseFields::parse(&text).sha256,
            [("abc".to_string(), 1, "main/x".to_string())]
        );
        assert!(clear_signed("-----BEGIN PGP SIGNED MESSAGE-----\nHash: x\n\nno end").is_none());
        assert_eq!(clear_signed("Origin: x\n").unwrap(), "Origin: x\n");
    }

    #[test]
    fn release_dates_durations_and_suites_as_apt_reads_them() {
        assert_eq!(
            release_date("Sat, 05 Dec 2026 03:33:28 UTC"),
            Some(1_796_441_608)
        );
        for same in [
            "Sat, 05 Dec 2026 03:33:28 GMT",
            "Sat, 05 Dec 2026 03:33:28 +0000",
            "sat, 5 Dec 2026 03:33:28 Z",
        ] {
            assert_eq!(release_date(same), Some(1_796_441_608), "{same}");
        }
        for bad in [
            "Sat, 05 Dec 2026 03:33:28 +0100",
            "Sat, 05 Dec 2026 03:33:28",
            "Caturday, 05 Dec 2026 03:33:28 UTC",
            "2026-12-05T03:33:28Z",
            "Sat, 05 Dec 2026 03:33:28 UTC extra",
            "",
        ] {
            assert_eq!(release_date(bad), None, "{bad}");
        }
        assert_eq!(duration(5), "5s");
        assert_eq!(duration(61), "1min 1s");
        assert_eq!(duration(3_601), "1h 0min 1s");
        assert_eq!(
            duration(7 * 86_400 + 3 * 3_600 + 42 * 60 + 1),
            "7d 3h 42min 1s"
        );
        let release = ReleaseFields::parse(
            "Suite: oldstable\nCodename: bookworm\nDate: x\n\nSuite: other\nSHA256:\n a 1 b\n",
        );
        assert_eq!(release.suite.as_deref(), Some("oldstable"));
        assert!(release.sha256.is_empty(), "only the first paragraph counts");
        assert!(names_suite(&release, "bookworm"));
        assert!(names_suite(&release, "oldstable"));
        assert!(names_suite(&release, "bookworm/updates"));
        assert!(!names_suite(&release, "trixie"));
        assert!(!names_suite(&release, "/x"));
        assert!(!names_suite(&ReleaseFields::default(), "bookworm"));
    }

    #[test]
    fn stanzas_join_continuations() {
        let mut s = Vec::new();
        for_each_stanza(
            b"Package: a\nDescription: x\n more\n\n\nPackage: b\r\nVersion: 1\r\n\nPackage: c\n",
            |raw| !names_package(raw, "c"),
            |st| s.push(st.to_vec()),
        );
        assert_eq!(s.len(), 2);
        assert!(names_package(
            b"Version: 1\nPackage:  libssl3 \r\n",
            "libssl3"
        ));
        assert!(!names_package(b"Package: libssl3-dev\n", "libssl3"));
        assert_eq!(s[0][1].1, "x\nmore");
        assert_eq!(s[1][1], ("Version".to_string(), "1".to_string()));
    }
}
