//! npm registries: the abbreviated package document (`versions`, `dist-tags`).

use super::{Backend, Ecosystem, Fetcher, PackageError, Release};
use crate::protocol::PackageSource;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// An npm package.
pub struct Npm {
    name: String,
    registry: String,
    fetcher: Fetcher,
    dist_tags: OnceLock<BTreeMap<String, String>>,
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
            dist_tags: OnceLock::new(),
        }
    }
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
        let Some((_, body)) = self.fetcher.get(&url, accept)? else {
            return Err(PackageError::NotFound {
                ecosystem: "npm",
                package: self.name.clone(),
                url,
            });
        };
        let doc: Doc = serde_json::from_slice(&body).map_err(|e| PackageError::Malformed {
            url,
            detail: format!("not an npm package document: {e}"),
        })?;
        let _ = self.dist_tags.set(doc.dist_tags);
        Ok(doc
            .versions
            .into_iter()
            .map(|(version, v)| Release {
                version,
                yanked: v
                    .get("deprecated")
                    .is_some_and(|d| !d.is_null() && d != false),
                ..Release::default()
            })
            .collect())
    }

    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Loose
    }

    fn extra_files(&self, version: &str) -> Option<Vec<(String, String)>> {
        let tags: Vec<&str> = self
            .dist_tags
            .get()?
            .iter()
            .filter(|(_, v)| *v == version)
            .map(|(k, _)| k.as_str())
            .collect();
        Some(vec![("dist_tags".to_string(), tags.join(" "))])
    }
}
