//! GitLab releases (or tags) through the REST API v4: subgroups, pages followed by `Link`, a `PRIVATE-TOKEN` for the API's origin only.
//!
//! The paging, conditional first page and kept list are GitHub's ([`super::github`]); the tag
//! → version rule is the same ([`super::tag_version`]), ordered and constrained as GitHub tags
//! ([`Ecosystem::Loose`]).

use super::github::{paged_releases, ListApi};
use super::{tag_regex, tag_version, Backend, Ecosystem, Fetcher, PackageError, Release};
use crate::protocol::PackageSource;
use regex::Regex;

/// gitlab.com's API.
const DEFAULT_API: &str = "https://gitlab.com/api/v4";

/// A GitLab project.
pub struct GitLab {
    project: String,
    api: String,
    releases: bool,
    token: Option<String>,
    tag_regex: Option<Regex>,
    fetcher: Fetcher,
}

impl GitLab {
    /// `source.gitlab` (`group/project`, `group/sub/project`) on `source.api_url` (default
    /// gitlab.com's API).
    pub fn new(source: &PackageSource, fetcher: Fetcher) -> Result<GitLab, PackageError> {
        let project = source.gitlab.clone().unwrap_or_default();
        // GitLab paths: letters, digits, `_`, `-`, `.` (not at either end), at least a group
        // and a project.
        let ok = project.split('/').count() >= 2
            && project.split('/').all(|p| {
                !p.is_empty()
                    && !p.starts_with(['.', '-'])
                    && !p.ends_with('.')
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        if !ok {
            return Err(PackageError::Invalid {
                field: "source.gitlab",
                detail: format!("`{project}` is not GROUP/PROJECT (subgroups: GROUP/SUB/PROJECT)"),
            });
        }
        let api = source
            .api_url
            .clone()
            .unwrap_or_else(|| DEFAULT_API.into())
            .trim_end_matches('/')
            .to_string();
        match url::Url::parse(&api) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => {
                return Err(PackageError::Invalid {
                    field: "source.api_url",
                    detail: format!("`{api}` is not an http(s) URL"),
                })
            }
        }
        Ok(GitLab {
            project,
            api,
            releases: source.releases.unwrap_or(true),
            token: source.access_token.as_ref().map(|t| t.expose().to_string()),
            tag_regex: tag_regex(source)?,
            fetcher,
        })
    }

    /// The project id in a URL: the path with `/` encoded (`group%2Fsub%2Fproject`).
    fn id(&self) -> String {
        self.project.replace('/', "%2F")
    }

    /// How GitLab's list endpoints are asked and how it refuses.
    fn api(&self) -> ListApi<'_> {
        let mut headers = vec![("Accept", "application/json".to_string())];
        if let Some(t) = &self.token {
            // A credential header: the HTTP layer drops it on a redirect to another origin.
            headers.push(("PRIVATE-TOKEN", t.clone()));
        }
        ListApi {
            name: "GitLab",
            package: &self.project,
            headers,
            authorization: None,
            refused: |resp| {
                let why = match resp.status {
                    401 => "the `access_token` is missing, wrong or expired".to_string(),
                    403 => "the `access_token` lacks the `read_api` scope or access to the project".to_string(),
                    429 => format!(
                        "rate limited{}{}",
                        resp.header("Retry-After")
                            .map(|r| format!(", retry after {r} s"))
                            .unwrap_or_default(),
                        resp.header("RateLimit-Reset")
                            .map(|r| format!(", resets at {r}"))
                            .unwrap_or_default()
                    ),
                    _ => return None,
                };
                Some(PackageError::Malformed {
                    url: resp.url.clone(),
                    detail: format!("GitLab refused ({}): {why}", resp.status),
                })
            },
        }
    }

    fn to_releases(&self, items: &[serde_json::Value]) -> Vec<Release> {
        let s = |v: &serde_json::Value, path: &[&str]| {
            path.iter()
                .try_fold(v, |v, k| v.get(k))
                .and_then(|x| x.as_str())
                .map(str::to_string)
        };
        if self.releases {
            items
                .iter()
                // An upcoming release (`released_at` in the future) is not out yet.
                .filter(|r| {
                    !r.get("upcoming_release")
                        .and_then(|u| u.as_bool())
                        .unwrap_or(false)
                })
                .filter_map(|r| {
                    let mut rel = tag_version(&s(r, &["tag_name"])?, self.tag_regex.as_ref())?;
                    rel.url = s(r, &["_links", "self"]);
                    rel.published_at = s(r, &["released_at"]);
                    // Release links carry no hash: listed, never downloaded unverified.
                    rel.files = r
                        .pointer("/assets/links")
                        .and_then(|a| a.as_array())
                        .map(|links| {
                            links
                                .iter()
                                .filter_map(|l| {
                                    Some(super::ReleaseFile {
                                        name: s(l, &["name"])?,
                                        url: s(l, &["direct_asset_url"]).or(s(l, &["url"]))?,
                                        hash: None,
                                    })
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Some(rel)
                })
                .collect()
        } else {
            items
                .iter()
                .filter_map(|t| {
                    let mut rel = tag_version(&s(t, &["name"])?, self.tag_regex.as_ref())?;
                    rel.published_at = s(t, &["commit", "created_at"]);
                    Some(rel)
                })
                .collect()
        }
    }
}

impl Backend for GitLab {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let endpoint = if self.releases {
            "releases"
        } else {
            "repository/tags"
        };
        let first = format!(
            "{}/projects/{}/{endpoint}?per_page=100",
            self.api,
            self.id()
        );
        // The kept list depends on the options that shaped it.
        let key = format!(
            "{first}#tag_regex={}",
            self.tag_regex.as_ref().map(|r| r.as_str()).unwrap_or("")
        );
        paged_releases(&self.fetcher, &self.api(), first, &key, |items| {
            self.to_releases(items)
        })
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Loose
    }
}
