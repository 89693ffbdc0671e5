//! `source.updates`: is a package installed in the image out of date in its repositories? The
//! installed-package database is read from the image's layers (top-down, only as far as needed,
//! each layer once ever), the repositories' indexes once each for all packages together.

mod layers;

use super::freshness::platforms_of;
use super::installed::config::read_config;
use super::installed::{read_layers, Format, Found};
use super::platform::Platform;
use super::{manifest, ImageError};
use crate::digest::Digest;
use crate::log;
use crate::packages::upgrades::{own, Manager, Package, Repositories, Update};
use crate::protocol::UpdatesField;
use crate::registry::{Client, Manifest, Repository};
use regex::Regex;
use serde::Serialize;
use sha2::Digest as _;
use std::sync::Arc;

/// `source.updates` checked before any request: the repositories (none given: the image's
/// own, read per platform) and the name filters.
pub(crate) struct Plan {
    repositories: Option<Arc<Repositories>>,
    insecure: Vec<String>,
    include: Option<Regex>,
    exclude: Option<Regex>,
}

impl Plan {
    /// Validates `field`: the repositories (URLs, keys, `signed_by` or `insecure`) and regexes.
    pub(crate) fn new(field: &UpdatesField) -> Result<Plan, ImageError> {
        let regex = |field: &'static str, text: &Option<String>| {
            text.as_deref()
                .map(|t| {
                    Regex::new(t).map_err(|e| ImageError::Invalid {
                        field,
                        detail: format!("not a regex: {e}"),
                    })
                })
                .transpose()
        };
        let own = field.apt.is_empty() && field.apk.is_empty();
        if !own && !field.insecure.is_empty() {
            return Err(ImageError::Invalid {
                field: "source.updates.insecure",
                detail: "is for the image's own repositories (without `apt` and `apk`); mark a listed repository `insecure: true` instead".into(),
            });
        }
        Ok(Plan {
            repositories: (!own)
                .then(|| Repositories::new(field).map(Arc::new))
                .transpose()?,
            insecure: field.insecure.clone(),
            include: regex("source.updates.include_regex", &field.include_regex)?,
            exclude: regex("source.updates.exclude_regex", &field.exclude_regex)?,
        })
    }

    /// Whether the filters let `name` be compared.
    fn compares(&self, name: &str) -> bool {
        self.include.as_ref().is_none_or(|r| r.is_match(name))
            && !self.exclude.as_ref().is_some_and(|r| r.is_match(name))
    }
}

/// One platform's finding.
#[derive(Debug, Serialize)]
pub(crate) struct PlatformReport {
    /// `linux/amd64`.
    pub platform: String,
    /// The database read (`/var/lib/dpkg/status`).
    pub database: &'static str,
    /// Packages in it.
    pub packages: usize,
    /// Packages compared (after `include_regex` / `exclude_regex`).
    pub compared: usize,
    /// Its updates.
    pub updates: Vec<Update>,
}

/// The verdict for an image digest against its repositories as they are now.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// The image manifest (or index) digest.
    pub image_digest: String,
    /// Per platform.
    pub platforms: Vec<PlatformReport>,
    /// Every platform's updates together, by package (what `updates.json` holds).
    pub updates: Vec<Update>,
    /// `sha256:` of the sorted `name=installed->available` lines; `None` without updates.
    pub hash: Option<Digest>,
}

impl Report {
    /// Whether any package has an update.
    pub(crate) fn stale(&self) -> bool {
        !self.updates.is_empty()
    }
}

/// Compares every platform of `image` (a manifest of `repo`) with the repositories.
pub(crate) async fn judge(
    plan: &Plan,
    client: &Client,
    repo: &Repository,
    image: &Manifest,
) -> Result<Report, ImageError> {
    let mut platforms = Vec::new();
    for (platform, m) in platforms_of(client, repo, image).await? {
        let reference = format!("{repo}@{}", m.digest);
        let parsed = manifest::parse_image(&m, &reference)?;
        let platform = if manifest::is_index(&image.media_type) {
            platform
        } else {
            configured_platform(client, repo, &parsed, platform).await?
        };
        let found = installed(client, repo, &parsed, &reference, &platform).await?;
        let repositories = match &plan.repositories {
            Some(given) => Arc::clone(given),
            None => own_repositories(plan, client, repo, &parsed, &reference, &platform).await?,
        };
        platforms.push(compare(plan, &repositories, &platform, &found).await?);
    }
    let mut updates: Vec<Update> = platforms
        .iter()
        .flat_map(|p| p.updates.iter().cloned())
        .collect();
    updates.sort_by(|a, b| (&a.package, &a.architecture).cmp(&(&b.package, &b.architecture)));
    updates.dedup();
    Ok(Report {
        image_digest: image.digest.to_string(),
        hash: list_hash(&updates),
        platforms,
        updates,
    })
}

/// A single-platform image's platform as its config says (the worker's when it says none).
async fn configured_platform(
    client: &Client,
    repo: &Repository,
    image: &manifest::ImageManifest,
    fallback: Platform,
) -> Result<Platform, ImageError> {
    let config = manifest::config(client, repo, image).await?;
    Ok(Platform {
        os: config.os.unwrap_or(fallback.os),
        architecture: config.architecture.unwrap_or(fallback.architecture),
        variant: config.variant.or(fallback.variant),
    })
}

/// The installed-package database of one platform's image, read from its layers.
async fn installed(
    client: &Client,
    repo: &Repository,
    image: &manifest::ImageManifest,
    reference: &str,
    platform: &Platform,
) -> Result<Found, ImageError> {
    let layers = layer_list(image);
    let count = layers.len();
    let mut source = layers::LayerSource::new(client.clone(), repo.clone(), layers);
    let (source, found) = crate::net::blocking(move || {
        let found = read_layers(&mut source);
        (source, found)
    })
    .await;
    let found = found.map_err(|source| ImageError::Installed {
        reference: format!("{reference} ({platform})"),
        source,
    })?;
    log::info(format_args!(
        "{platform}: {} packages in {} (layers read: {} of {count}; downloaded: {}, {} bytes; kept from an earlier run: {})",
        found.installed.packages.len(),
        found.path,
        source.opened(),
        source.downloaded,
        source.bytes,
        source.kept,
    ));
    Ok(found)
}

/// The image's own repositories and keys (its apt sources and keyrings, apk repositories and
/// keys), read from all its layers; said on stderr.
async fn own_repositories(
    plan: &Plan,
    client: &Client,
    repo: &Repository,
    image: &manifest::ImageManifest,
    reference: &str,
    platform: &Platform,
) -> Result<Arc<Repositories>, ImageError> {
    let mut source = layers::LayerSource::new(client.clone(), repo.clone(), layer_list(image));
    let config = crate::net::blocking(move || read_config(&mut source))
        .await
        .map_err(|source| ImageError::Installed {
            reference: format!("{reference} ({platform})"),
            source,
        })?;
    for path in &config.skipped {
        log::warn(format_args!(
            "{platform}: {path} is not a file (nor a link to one read): skipped"
        ));
    }
    let own = own::repositories(&config.files, &plan.insecure)?;
    for note in &own.notes {
        log::info(format_args!("{platform}: {note}"));
    }
    Ok(Arc::new(Repositories::new(&own.field)?))
}

fn layer_list(image: &manifest::ImageManifest) -> Vec<layers::Layer> {
    image
        .layers
        .iter()
        .map(|l| layers::Layer {
            digest: l.digest.clone(),
            size: l.size,
        })
        .collect()
}

/// The updates of one platform's packages.
async fn compare(
    plan: &Plan,
    repositories: &Arc<Repositories>,
    platform: &Platform,
    found: &Found,
) -> Result<PlatformReport, ImageError> {
    let manager = match found.installed.format {
        Format::Dpkg => Manager::Dpkg,
        Format::Apk => Manager::Apk,
    };
    if !repositories.serves(manager) {
        let (db, wanted) = match manager {
            Manager::Dpkg => ("dpkg", "apt"),
            Manager::Apk => ("apk", "apk"),
        };
        return Err(ImageError::Invalid {
            field: "source.updates",
            detail: format!(
                "the image ({platform}) has a {db} database ({}) but no `{wanted}` repository is given",
                found.path
            ),
        });
    }
    let owned: Vec<(String, String, String)> = found
        .installed
        .packages
        .iter()
        .filter(|p| plan.compares(&p.name))
        .map(|p| (p.name.clone(), p.version.clone(), p.architecture.clone()))
        .collect();
    let compared = owned.len();
    let repositories = Arc::clone(repositories);
    let (arch, variant) = (platform.architecture.clone(), platform.variant.clone());
    let updates = crate::net::blocking(move || {
        let packages: Vec<Package<'_>> = owned
            .iter()
            .map(|(name, version, architecture)| Package {
                name,
                version,
                architecture,
            })
            .collect();
        repositories.updates(manager, &arch, variant.as_deref(), &packages)
    })
    .await?;
    log::info(format_args!(
        "{platform}: {} of {compared} packages compared have updates",
        updates.len()
    ));
    Ok(PlatformReport {
        platform: platform.to_string(),
        database: found.path,
        packages: found.installed.packages.len(),
        compared,
        updates,
    })
}

/// `sha256:` of the sorted, distinct `name=installed->available` lines (each ending in a
/// newline); `None` for no updates.
pub(crate) fn list_hash(updates: &[Update]) -> Option<Digest> {
    if updates.is_empty() {
        return None;
    }
    let mut lines: Vec<String> = updates
        .iter()
        .map(|u| format!("{}={}->{}\n", u.package, u.installed, u.available))
        .collect();
    lines.sort();
    lines.dedup();
    let mut hasher = sha2::Sha256::new();
    for line in &lines {
        hasher.update(line.as_bytes());
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
        .parse()
        .ok()
}
