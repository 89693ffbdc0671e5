//! npm registries: the abbreviated package document (`versions`, `dist-tags`).

use super::{Backend, Ecosystem, Fetcher, PackageError, Release};
use crate::protocol::PackageSource;
use std::collections::BTreeMap;

/// An npm package.
pub struct Npm {
    name: String,
    registry: String,
    fetcher: Fetcher,
}

impl Npm {
    /// The package `source.npm` (scoped ok) on `source.registry` (default the public registry).
    pub fn new(source: &PackageSource, fetcher: Fetcher) -> Npm {
        Npm {
            name: source.npm.clone().unwrap_or_default(),
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

#[derive(serde::Deserialize)]
struct Doc {
    #[serde(default, rename = "dist-tags")]
    dist_tags: BTreeMap<String, String>,
    #[serde(default)]
    versions: BTreeMap<String, serde_json::Value>,
}

impl Backend for Npm {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let path = self.name.replacen('/', "%2f", 1);
        let url = format!("{}/{path}", self.registry);
        let accept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8";
        let parse = |_: &str, body: &[u8]| {
            let doc: Doc = serde_json::from_slice(body).map_err(|e| PackageError::Malformed {
                url: url.clone(),
                detail: format!("not an npm package document: {e}"),
            })?;
            Ok(doc
                .versions
                .into_iter()
                .map(|(version, v)| Release {
                    files: npm_file(&v).into_iter().collect(),
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
                })
                .collect())
        };
        self.fetcher.listed("npm", &self.name, &url, accept, &parse)
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Npm
    }
}
