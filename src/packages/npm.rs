//! npm registries: the abbreviated package document (`versions`, `dist-tags`); `in` also reads
//! the full document for the version's publish time (`time`), which the abbreviated one lacks.

use super::{Backend, Fetcher, PackageError, Release};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;
use std::collections::BTreeMap;

/// `npm:` an npm package (`@scope/name` ok); deprecated versions skipped.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NpmSource {
    /// An npm package (`@scope/name` ok); deprecated versions skipped.
    npm: String,
    /// The npm registry root (default `https://registry.npmjs.org`).
    #[serde(default, deserialize_with = "empty_is_none")]
    registry: Option<String>,
}

impl Source for NpmSource {
    const KEY: &'static str = "npm";
    const DOCS: &'static str = "## npm";

    fn name(&self) -> &str {
        &self.npm
    }

    fn index_root(&self) -> Option<&str> {
        self.registry.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Npm::new(self, fetcher)))
    }
}

/// An npm package.
pub(crate) struct Npm {
    name: String,
    registry: String,
    fetcher: Fetcher,
}

impl Npm {
    /// The package `source.npm` (scoped ok) on `source.registry` (default the public registry).
    pub(crate) fn new(source: &NpmSource, fetcher: Fetcher) -> Npm {
        Npm {
            name: source.npm.clone(),
            registry: source
                .registry
                .clone()
                .unwrap_or_else(|| "https://registry.npmjs.org".into())
                .trim_end_matches('/')
                .to_string(),
            fetcher,
        }
    }
}

/// The tarball of a version document, with its `integrity` (sha512) as the published hash.
fn npm_file(v: &serde_json::Value) -> Option<super::ReleaseFile> {
    use base64::Engine as _;
    let dist = v.get("dist")?;
    let url = dist.get("tarball")?.as_str()?.to_string();
    let name = url.rsplit('/').next().unwrap_or("package.tgz").to_string();
    let hash = dist
        .get("integrity")
        .and_then(|i| i.as_str())
        .and_then(|i| i.strip_prefix("sha512-"))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .map(|raw| format!("sha512:{}", hex::encode(raw)));
    Some(super::ReleaseFile { name, url, hash })
}

/// What `checksum` reports of a version document: its tarball's hash (the `integrity` sha512),
/// else the `shasum` (SHA-1, all the registry published before `integrity`).
fn checksum(v: &serde_json::Value, file: Option<&super::ReleaseFile>) -> Option<String> {
    file.and_then(|f| f.hash.clone()).or_else(|| {
        let sha1 = v.pointer("/dist/shasum")?.as_str()?;
        (sha1.len() == 40 && sha1.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| format!("sha1:{}", sha1.to_ascii_lowercase()))
    })
}

/// The full package document's `time`: version → when it was published (with `created` and
/// `modified` keys, and `unpublished` objects, that are no version's).
#[derive(serde::Deserialize)]
struct FullDoc {
    #[serde(default)]
    time: BTreeMap<String, serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct Doc {
    #[serde(default, rename = "dist-tags")]
    dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    versions: BTreeMap<String, serde_json::Value>,
}

impl Npm {
    /// The package document's URL (a scope's `/` encoded).
    fn doc_url(&self) -> String {
        format!("{}/{}", self.registry, self.name.replacen('/', "%2f", 1))
    }

    /// When `version` was published: `time[version]` of the full document (asked for with
    /// `Accept: application/json`, read up to the index bound like the abbreviated one).
    fn published_at(&self, version: &str) -> Result<Option<String>, PackageError> {
        let url = self.doc_url();
        let parse = |_: &str, body: &[u8]| {
            let doc: FullDoc =
                serde_json::from_slice(body).map_err(|e| PackageError::Malformed {
                    url: url.clone(),
                    detail: format!("not an npm package document: {e}"),
                })?;
            Ok(doc
                .time
                .into_iter()
                .filter_map(|(version, t)| {
                    Some(Release {
                        published_at: Some(t.as_str()?.to_string()),
                        version,
                        ..Release::default()
                    })
                })
                .collect())
        };
        // Kept apart from the abbreviated document's list (same URL, another document).
        let key = format!("{url}#full-document-time");
        Ok(self
            .fetcher
            .releases_as(&url, &key, "application/json", None, &parse)?
            .and_then(|times| times.into_iter().find(|r| r.version == version))
            .and_then(|r| r.published_at))
    }
}

impl Backend for Npm {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let url = self.doc_url();
        let accept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8";
        let parse = |_: &str, body: &[u8]| {
            let doc: Doc = serde_json::from_slice(body).map_err(|e| PackageError::Malformed {
                url: url.clone(),
                detail: format!("not an npm package document: {e}"),
            })?;
            Ok(doc
                .versions
                .into_iter()
                .map(|(version, v)| {
                    let file = npm_file(&v);
                    Release {
                        url: file.as_ref().map(|f| f.url.clone()),
                        checksum: checksum(&v, file.as_ref()),
                        files: file.into_iter().collect(),
                        yanked: v
                            .get("deprecated")
                            .is_some_and(|d| !d.is_null() && d != false),
                        dist_tags: doc
                            .dist_tags
                            .iter()
                            .filter(|(_, t)| **t == version)
                            .map(|(k, _)| k.clone())
                            .collect(),
                        version,
                        ..Release::default()
                    }
                })
                .collect())
        };
        self.fetcher.listed("npm", &self.name, &url, accept, &parse)
    }

    /// `published_at` from the full document. Best effort: it can be tens of megabytes for a
    /// package with thousands of versions (more than the bound: left out), and nothing `in`
    /// verifies depends on it, so a failure leaves it out with a warning.
    fn details(
        &self,
        mut release: Release,
        _download: Option<&str>,
    ) -> Result<Release, PackageError> {
        match self.published_at(&release.version) {
            Ok(at) => release.published_at = at,
            Err(e) => crate::log::warn(format_args!(
                "no published_at for {} {}: {e}",
                self.name, release.version
            )),
        }
        Ok(release)
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::NPM
    }
}
