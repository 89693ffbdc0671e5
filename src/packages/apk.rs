//! Alpine apk repositories: `<repository>/<architecture>/APKINDEX.tar.gz` (a signature tar and
//! the index tar, each gzipped, concatenated), whose `APKINDEX` member lists one package per
//! stanza of `X:value` lines (`P:` name, `V:` version, `A:` architecture, `C:` checksum, `S:`
//! size, `t:` build time). With `signed_by` the index is read only from the part its signature
//! segment signs, once a signature verifies with a given key ([`signature`]).

use super::{Backend, Fetcher, PackageError, Release, ReleaseFile};
use super::{CommonFields, Source};
use crate::log;
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;
use sha2::Digest as _;
use std::io::Read as _;

pub(crate) mod signature;

/// Largest index once decompressed (Alpine v3.20 main/x86_64: 2 MB; community: 8 MB).
const MAX_INDEX_TEXT: u64 = 256 * 1024 * 1024;

/// `apk:` a package of an Alpine apk repository (`python3`).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApkSource {
    /// A package of an Alpine apk repository (`python3`).
    apk: String,
    /// The repository (`https://dl-cdn.alpinelinux.org/alpine/v3.20/main`); required.
    #[serde(default, deserialize_with = "empty_is_none")]
    repository: Option<String>,
    /// Alpine architecture (`x86_64`, `aarch64`) (default: the worker's).
    #[serde(default, deserialize_with = "empty_is_none")]
    architecture: Option<String>,
    /// PEM RSA public key(s) (`/etc/apk/keys/*.pub`) the `APKINDEX.tar.gz` must be signed by.
    #[serde(default, deserialize_with = "empty_is_none")]
    signed_by: Option<String>,
}

impl Source for ApkSource {
    const KEY: &'static str = "apk";
    const DOCS: &'static str = "## apk repositories";

    fn name(&self) -> &str {
        &self.apk
    }

    fn index_root(&self) -> Option<&str> {
        self.repository.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Apk::new(self, fetcher)?))
    }
}

/// A package of one apk repository and architecture.
pub(crate) struct Apk {
    name: String,
    repository: String,
    architecture: String,
    /// `signed_by`'s keys, and a short hash of the field (part of the cache key).
    keys: Option<(Vec<signature::IndexKey>, String)>,
    fetcher: Fetcher,
}

/// The worker's Alpine architecture name.
pub(crate) fn default_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "arm" => "armv7",
        other => other,
    }
}

impl Apk {
    /// The package `source.apk` of `repository` for `architecture`.
    pub(crate) fn new(source: &ApkSource, fetcher: Fetcher) -> Result<Apk, PackageError> {
        let name = source.apk.clone();
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-._".contains(&b))
            || name.starts_with(['.', '-'])
        {
            return Err(PackageError::Invalid {
                field: "source.apk",
                detail: format!("`{name}` is not an apk package name"),
            });
        }
        let repository = source
            .repository
            .clone()
            .ok_or_else(|| PackageError::Invalid {
                field: "source.repository",
                detail: "required with apk: the repository (`https://dl-cdn.alpinelinux.org/alpine/v3.20/main`)".into(),
            })?;
        let architecture = source
            .architecture
            .clone()
            .unwrap_or_else(|| default_architecture().to_string());
        if architecture.is_empty()
            || !architecture
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(PackageError::Invalid {
                field: "source.architecture",
                detail: format!("`{architecture}` is not an apk architecture"),
            });
        }
        Ok(Apk {
            name,
            repository: repository.trim_end_matches('/').to_string(),
            architecture,
            keys: index_keys(source.signed_by.as_deref())?,
            fetcher,
        })
    }

    fn read_index(&self, url: &str, body: &[u8]) -> Result<Vec<Release>, PackageError> {
        let malformed = |detail: String| PackageError::Malformed {
            url: url.to_string(),
            detail,
        };
        let body = match &self.keys {
            Some((keys, _)) => signature::verify(body, keys).map_err(|e| {
                malformed(format!(
                    "signature: {}; not trusting it (signed_by)",
                    log::chain(&e)
                ))
            })?,
            None => {
                log::debug(|| format!("{url}: signature not checked (no signed_by)"));
                body
            }
        };
        let text = index_text(body).map_err(malformed)?;
        let mut out = Vec::new();
        for stanza in text.split("\n\n") {
            let mut fields = std::collections::HashMap::new();
            for line in stanza.lines() {
                if let Some((k, v)) = line.split_once(':') {
                    if k.len() == 1 {
                        fields.entry(k).or_insert(v.trim());
                    }
                }
            }
            if fields.get("P") != Some(&self.name.as_str()) {
                continue;
            }
            if fields
                .get("A")
                .is_some_and(|a| !a.is_empty() && *a != self.architecture && *a != "noarch")
            {
                continue;
            }
            let Some(version) = fields.get("V").filter(|v| !v.is_empty()) else {
                continue;
            };
            let file = format!("{}-{version}.apk", self.name);
            let file_url = format!("{}/{}/{file}", self.repository, self.architecture);
            out.push(Release {
                version: version.to_string(),
                url: Some(file_url.clone()),
                checksum: fields.get("C").map(|c| c.to_string()),
                published_at: fields
                    .get("t")
                    .and_then(|t| t.parse::<i64>().ok())
                    .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                // The index's `C:` hashes the package's control segment, not the file: no
                // hash to verify a download with.
                files: vec![ReleaseFile {
                    name: file,
                    url: file_url,
                    hash: None,
                }],
                ..Release::default()
            });
        }
        if out.is_empty() {
            return Err(PackageError::NotFound {
                ecosystem: "apk",
                package: self.name.clone(),
                url: url.to_string(),
            });
        }
        Ok(out)
    }
}

/// `signed_by`'s keys and a short hash of the text, if given.
fn index_keys(
    signed_by: Option<&str>,
) -> Result<Option<(Vec<signature::IndexKey>, String)>, PackageError> {
    let Some(text) = signed_by else {
        return Ok(None);
    };
    let keys = signature::keys(text).map_err(|detail| PackageError::Invalid {
        field: "source.signed_by",
        detail,
    })?;
    let id = hex::encode(&sha2::Sha256::digest(text.as_bytes())[..8]);
    Ok(Some((keys, id)))
}

/// The `APKINDEX` member of an `APKINDEX.tar.gz`.
fn index_text(body: &[u8]) -> Result<String, String> {
    let gz = flate2::read::MultiGzDecoder::new(body).take(MAX_INDEX_TEXT);
    let mut archive = tar::Archive::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a gzipped tar: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a gzipped tar: {e}"))?;
        let is_index = entry
            .path()
            .map(|p| p.as_os_str() == "APKINDEX")
            .unwrap_or(false);
        if is_index {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| format!("APKINDEX: {e}"))?;
            return Ok(text.replace("\r\n", "\n"));
        }
    }
    Err("no APKINDEX in the archive".into())
}

impl Backend for Apk {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let url = format!("{}/{}/APKINDEX.tar.gz", self.repository, self.architecture);
        let parse = |_: &str, body: &[u8]| self.read_index(&url, body);
        self.fetcher
            .releases_as(
                &url,
                &match &self.keys {
                    Some((_, id)) => format!("{url}#apk {} {id}", self.name),
                    None => format!("{url}#apk {}", self.name),
                },
                "*/*",
                None,
                &parse,
            )?
            .ok_or_else(|| PackageError::Malformed {
                url: url.clone(),
                detail: format!(
                    "no index (HTTP 404): is `{}` an apk repository with {} packages?",
                    self.repository, self.architecture
                ),
            })
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::APK
    }
}
