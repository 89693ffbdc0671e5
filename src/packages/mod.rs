//! Upstream package releases: one backend per ecosystem behind one trait, chosen by `source`;
//! filtering, ordering and cursor rules shared by all.

pub mod crates;
pub mod pypi;

use crate::log;
use crate::protocol::{MetadataField, PackageSource, PackageVersion, VersionResponse};
use crate::registry::http::{Http, TlsSettings};
use crate::registry::{Body, RegistryError};
use base64::Engine as _;
use regex::Regex;
use std::cmp::Ordering;

/// Largest index document read.
const MAX_INDEX_BYTES: u64 = 32 * 1024 * 1024;

/// Errors of the package backends.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The request failed.
    #[error(transparent)]
    Http(#[from] RegistryError),
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

/// One release as an index lists it.
#[derive(Clone, Debug)]
pub struct Release {
    /// The version text.
    pub version: String,
    /// All its files (or the release) withdrawn.
    pub yanked: bool,
}

/// How an ecosystem orders and constrains versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ecosystem {
    /// PEP 440 (PyPI).
    Pep440,
    /// Strict semver with Cargo requirements (crates.io).
    Cargo,
}

/// A version source: one ecosystem's index.
pub trait Backend {
    /// Every release the index lists.
    fn releases(&self) -> Result<Vec<Release>, PackageError>;
    /// Its ordering and constraint syntax.
    fn ecosystem(&self) -> Ecosystem;
}

/// The backend `source` selects (exactly one backend key).
pub fn backend(source: &PackageSource) -> Result<Box<dyn Backend>, PackageError> {
    let set: Vec<&str> = [
        ("pypi", source.pypi.is_some()),
        ("npm", source.npm.is_some()),
        ("crate", source.krate.is_some()),
        ("github", source.github.is_some()),
        ("git", source.git.is_some()),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(k, _)| *k)
    .collect();
    let invalid = |detail: String| PackageError::Invalid {
        field: "source",
        detail,
    };
    let fetcher = Fetcher::new(source)?;
    match set.as_slice() {
        ["pypi"] => Ok(Box::new(pypi::PyPi::new(source, fetcher))),
        ["crate"] => Ok(Box::new(crates::Crates::new(source, fetcher))),
        [one @ ("npm" | "github" | "git")] => {
            Err(invalid(format!("`{one}` packages are not supported yet")))
        }
        [] => Err(invalid("set one of pypi, npm, crate, github, git".into())),
        many => Err(invalid(format!(
            "set exactly one of pypi, npm, crate, github, git (found {})",
            many.join(", ")
        ))),
    }
}

/// HTTP GETs for index documents, with optional basic credentials.
pub struct Fetcher {
    http: Http,
    authorization: Option<String>,
}

impl Fetcher {
    fn new(source: &PackageSource) -> Result<Fetcher, PackageError> {
        let http = Http::new(TlsSettings {
            insecure: source.insecure,
            ca_certs: source.ca_certs.clone(),
        });
        http.validate()?;
        let authorization = match (&source.username, &source.password) {
            (Some(u), Some(p)) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{}", p.expose()))
            )),
            _ => None,
        };
        Ok(Fetcher {
            http,
            authorization,
        })
    }

    /// GET `url`; `None` on 404; the body and its `Content-Type` otherwise.
    pub fn get(&self, url: &str, accept: &str) -> Result<Option<(String, Vec<u8>)>, PackageError> {
        let resp = self
            .http
            .send(
                "GET",
                url,
                &[("Accept", accept)],
                self.authorization.as_deref(),
                Body::Empty,
            )
            .map_err(|e| PackageError::Http(e.into_error()))?;
        match resp.status {
            200 => {
                let ct = resp.header("Content-Type").unwrap_or("").to_string();
                Ok(Some((ct, resp.read_limited(MAX_INDEX_BYTES)?)))
            }
            404 => Ok(None),
            status => Err(PackageError::Malformed {
                url: resp.url.clone(),
                detail: format!("HTTP {status}"),
            }),
        }
    }
}

enum Parsed {
    Pep(pep440_rs::Version),
    Cargo(semver::Version),
}

impl Parsed {
    fn parse(eco: Ecosystem, v: &str) -> Option<Parsed> {
        match eco {
            Ecosystem::Pep440 => v.parse().ok().map(Parsed::Pep),
            Ecosystem::Cargo => semver::Version::parse(v).ok().map(Parsed::Cargo),
        }
    }

    fn prerelease(&self) -> bool {
        match self {
            Parsed::Pep(v) => v.any_prerelease(),
            Parsed::Cargo(v) => !v.pre.is_empty(),
        }
    }

    fn cmp(&self, other: &Parsed) -> Ordering {
        match (self, other) {
            (Parsed::Pep(a), Parsed::Pep(b)) => a.cmp(b),
            (Parsed::Cargo(a), Parsed::Cargo(b)) => a.cmp(b),
            _ => Ordering::Equal,
        }
    }
}

enum Constraint {
    Pep(pep440_rs::VersionSpecifiers),
    Cargo(semver::VersionReq),
}

impl Constraint {
    fn parse(eco: Ecosystem, text: &str) -> Result<Constraint, PackageError> {
        let invalid = |e: String| PackageError::Invalid {
            field: "source.constraint",
            detail: format!("invalid constraint `{text}`: {e}"),
        };
        match eco {
            Ecosystem::Pep440 => text.parse().map(Constraint::Pep).map_err(
                |e: pep440_rs::VersionSpecifiersParseError| {
                    invalid(e.to_string().replace('\n', " "))
                },
            ),
            Ecosystem::Cargo => semver::VersionReq::parse(text)
                .map(Constraint::Cargo)
                .map_err(|e| invalid(e.to_string())),
        }
    }

    fn allows(&self, v: &Parsed) -> bool {
        match (self, v) {
            (Constraint::Pep(c), Parsed::Pep(v)) => c.contains(v),
            (Constraint::Cargo(c), Parsed::Cargo(v)) => c.matches(v),
            _ => false,
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
) -> Result<Vec<String>, PackageError> {
    let eco = backend.ecosystem();
    let constraint = source
        .constraint
        .as_deref()
        .map(|c| Constraint::parse(eco, c))
        .transpose()?;
    let include = compile("source.include_regex", &source.include_regex)?;
    let exclude = compile("source.exclude_regex", &source.exclude_regex)?;
    let mut list: Vec<(Parsed, String)> = backend
        .releases()?
        .into_iter()
        .filter(|r| !r.yanked)
        .filter(|r| include.as_ref().is_none_or(|re| re.is_match(&r.version)))
        .filter(|r| !exclude.as_ref().is_some_and(|re| re.is_match(&r.version)))
        .filter(|r| !source.ignore.contains(&r.version))
        .filter_map(|r| Parsed::parse(eco, &r.version).map(|p| (p, r.version)))
        .filter(|(p, _)| source.pre_releases || !p.prerelease())
        .filter(|(p, _)| constraint.as_ref().is_none_or(|c| c.allows(p)))
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    list.dedup_by(|a, b| a.1 == b.1);
    Ok(list.into_iter().map(|(_, v)| v).collect())
}

/// `check`: the newest version on a first check; the cursor and everything newer while the
/// cursor is still listed; the newest when it is gone.
pub fn check(
    source: &PackageSource,
    cursor: Option<PackageVersion>,
) -> Result<Vec<PackageVersion>, PackageError> {
    let backend = backend(source)?;
    let all = candidates(source, backend.as_ref())?;
    let version = |v: &String| PackageVersion {
        version: v.clone(),
        tag: None,
    };
    let from = cursor.and_then(|c| all.iter().position(|v| *v == c.version));
    Ok(match from {
        Some(i) => all[i..].iter().map(version).collect(),
        None => all.last().map(version).into_iter().collect(),
    })
}

/// `in`: writes `version` (and `tag`), checks the version is still listed.
pub fn get(
    source: &PackageSource,
    version: PackageVersion,
    dest: &std::path::Path,
) -> Result<VersionResponse<PackageVersion>, PackageError> {
    let backend = backend(source)?;
    let listed = backend.releases()?;
    let name = source
        .pypi
        .clone()
        .or(source.krate.clone())
        .unwrap_or_default();
    if !listed.iter().any(|r| r.version == version.version) {
        return Err(PackageError::Invalid {
            field: "version",
            detail: format!("{name} {} is no longer listed", version.version),
        });
    }
    let write = |file: &str, text: &str| {
        crate::image::get::write_file(&dest.join(file), text.as_bytes()).map_err(|e| {
            PackageError::Malformed {
                url: dest.display().to_string(),
                detail: e.to_string(),
            }
        })
    };
    write("version", &version.version)?;
    if let Some(t) = &version.tag {
        write("tag", t)?;
    }
    log::info(format_args!("{name} {}", version.version));
    let mut metadata = vec![
        MetadataField::new("package", name),
        MetadataField::new("version", version.version.clone()),
    ];
    if let Some(t) = &version.tag {
        metadata.push(MetadataField::new("tag", t.clone()));
    }
    Ok(VersionResponse { version, metadata })
}
