//! GitHub releases (or tags) through the REST API: pages followed by `Link`, drafts and
//! pre-release flags, a token, rate limits reported with their reset time; `in` resolves a
//! release's tag to its commit through the git refs API.

use super::{tag_regex, tag_version, Backend, Fetcher, PackageError, Release};
use super::{CommonFields, Source};
use crate::net::Body;
use crate::protocol::{empty_is_none, Secret};
use crate::versions::VersionScheme;
use regex::Regex;

const MAX_PAGES: usize = 50;

/// Most annotated tags followed from a tag ref to its commit (a tag of a tag of …).
const MAX_TAG_DEPTH: usize = 10;

/// Largest git ref or tag object document read.
const MAX_OBJECT_BYTES: u64 = 1024 * 1024;

/// `github:` gitHub releases (or tags) of `OWNER/REPO`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GitHubSource {
    /// GitHub releases (or tags) of `OWNER/REPO`.
    github: String,
    /// The API root (GitHub Enterprise; default `https://api.github.com`).
    #[serde(default, deserialize_with = "empty_is_none")]
    api_url: Option<String>,
    /// A token (5,000 requests an hour instead of 60), sent only to `api_url`'s origin, never logged.
    #[serde(default)]
    access_token: Option<Secret>,
    /// `false` follows tags instead of releases (default `true`).
    #[serde(default)]
    releases: Option<bool>,
    /// Include draft releases.
    #[serde(default)]
    drafts: bool,
    /// Its named group `version` is the version; tags it does not match are skipped (default: the tag without a leading `v`).
    #[serde(default, deserialize_with = "empty_is_none")]
    tag_regex: Option<String>,
}

impl Source for GitHubSource {
    const KEY: &'static str = "github";
    const DOCS: &'static str = "## GitHub releases and tags";

    fn name(&self) -> &str {
        &self.github
    }

    fn index_root(&self) -> Option<&str> {
        self.api_url.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(GitHub::new(self, fetcher)?))
    }
}

/// A GitHub repository.
pub(crate) struct GitHub {
    repo: String,
    api: String,
    releases: bool,
    drafts: bool,
    token: Option<String>,
    tag_regex: Option<Regex>,
    fetcher: Fetcher,
}

impl GitHub {
    /// `source.github` (`owner/repo`) on `source.api_url` (default the public API).
    pub(crate) fn new(source: &GitHubSource, fetcher: Fetcher) -> Result<GitHub, PackageError> {
        let repo = source.github.clone();
        let ok = repo.split('/').count() == 2
            && repo.split('/').all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            });
        if !ok {
            return Err(PackageError::Invalid {
                field: "source.github",
                detail: format!("`{repo}` is not OWNER/REPO"),
            });
        }
        Ok(GitHub {
            repo,
            api: source
                .api_url
                .clone()
                .unwrap_or_else(|| "https://api.github.com".into())
                .trim_end_matches('/')
                .to_string(),
            releases: source.releases.unwrap_or(true),
            drafts: source.drafts,
            token: source.access_token.as_ref().map(|t| t.expose().to_string()),
            tag_regex: tag_regex(&source.tag_regex)?,
            fetcher,
        })
    }

    /// How GitHub's list endpoints are asked and how it refuses.
    fn api(&self) -> ListApi<'_> {
        ListApi {
            name: "GitHub",
            package: &self.repo,
            headers: vec![
                ("Accept", "application/vnd.github+json".to_string()),
                ("X-GitHub-Api-Version", "2022-11-28".to_string()),
            ],
            authorization: self.token.as_ref().map(|t| format!("Bearer {t}")),
            refused: |resp| {
                if !matches!(resp.status, 403 | 429) {
                    return None;
                }
                let reset = resp.header("X-RateLimit-Reset").unwrap_or("?").to_string();
                let retry = resp.header("Retry-After").map(str::to_string);
                // Waits GitHub asked for within the budget were made by the HTTP layer;
                // this one is longer, or kept failing.
                let remaining = resp
                    .header("X-RateLimit-Remaining")
                    .unwrap_or("?")
                    .to_string();
                Some(PackageError::Malformed {
                    url: resp.url.clone(),
                    detail: format!(
                        "GitHub refused ({}): rate limit remaining {remaining}, resets at {reset}{}; set `access_token` for 5,000 requests an hour",
                        resp.status,
                        retry.map(|r| format!(", retry after {r} s")).unwrap_or_default()
                    ),
                })
            },
        }
    }
}

/// A JSON list API (GitHub's, GitLab's): its name, headers, credentials and refusals.
pub(super) struct ListApi<'a> {
    /// `GitHub`, `GitLab` (for "not found").
    pub name: &'static str,
    /// The repository or project asked for.
    pub package: &'a str,
    /// Headers of every request (a token header among them is sent only to the API's origin).
    pub headers: Vec<(&'static str, String)>,
    /// `Authorization` value.
    pub authorization: Option<String>,
    /// The error for an answer other than 200, 304 or 404, when the API explains it.
    pub refused: fn(&crate::net::Response) -> Option<PackageError>,
}

/// A list endpoint's entries, and its first page's validators (`ETag`, `Last-Modified`).
type Listing = (Vec<serde_json::Value>, Option<String>, Option<String>);

/// Every page of a list endpoint, followed by `Link: rel="next"` on the first page's origin;
/// `None` when the first page is not modified since `cached` (a conditional request). Also the
/// first page's validators.
fn pages(
    fetcher: &Fetcher,
    api: &ListApi<'_>,
    first: String,
    cached: Option<&super::cache::Entry>,
) -> Result<Option<Listing>, PackageError> {
    let mut items = Vec::new();
    let mut validators = (None, None);
    let first_url = first.clone();
    let mut next = Some(first);
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            crate::log::warn(format_args!(
                "{}: stopped after {MAX_PAGES} pages ({} entries); older ones are not listed",
                crate::net::redact_url(&first_url),
                items.len()
            ));
            break;
        }
        let is_first = url == first_url;
        let resp = get_page(fetcher, api, &url, cached.filter(|_| is_first))?;
        match resp.status {
            304 if is_first && cached.is_some() => return Ok(None),
            200 if is_first => {
                validators = (
                    resp.header("ETag").map(str::to_string),
                    resp.header("Last-Modified").map(str::to_string),
                );
            }
            200 => {}
            _ => return Err(refusal(api, &resp)),
        }
        next = resp
            .header("Link")
            .and_then(crate::net::next_link)
            .filter(|n| crate::net::same_origin(&url, n));
        items.extend(page_entries(resp)?);
    }
    Ok(Some((items, validators.0, validators.1)))
}

/// `GET url` with the API's headers, conditional on `cached`'s validators when given.
fn get_page(
    fetcher: &Fetcher,
    api: &ListApi<'_>,
    url: &str,
    cached: Option<&super::cache::Entry>,
) -> Result<crate::net::Response, PackageError> {
    let mut headers = api.headers.clone();
    if let Some(c) = cached {
        if let Some(e) = &c.etag {
            headers.push(("If-None-Match", e.clone()));
        }
        if let Some(m) = &c.last_modified {
            headers.push(("If-Modified-Since", m.clone()));
        }
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fetcher
        .http
        .send_blocking(
            "GET",
            url,
            &headers,
            api.authorization.as_deref(),
            Body::Empty,
        )
        .map_err(|e| PackageError::Net(e.into_error()))
}

/// The error for a page answered other than 200 (or a 304 to a conditional first request):
/// not found on 404, else the API's own explanation, else the status.
fn refusal(api: &ListApi<'_>, resp: &crate::net::Response) -> PackageError {
    match resp.status {
        404 => PackageError::NotFound {
            ecosystem: api.name,
            package: api.package.to_string(),
            url: resp.url.clone(),
        },
        s => (api.refused)(resp).unwrap_or_else(|| PackageError::Malformed {
            url: resp.url.clone(),
            detail: format!("HTTP {s}"),
        }),
    }
}

/// The entries of one page: a JSON list, at most [`super::MAX_INDEX_BYTES`] read.
fn page_entries(resp: crate::net::Response) -> Result<Vec<serde_json::Value>, PackageError> {
    let page_url = resp.url.clone();
    let body = resp.read_limited_blocking(super::MAX_INDEX_BYTES)?;
    serde_json::from_slice(&body).map_err(|e| PackageError::Malformed {
        url: page_url,
        detail: format!("not a JSON list: {e}"),
    })
}

/// The releases of a paged list endpoint starting at `first`: the list kept under `key` when
/// the first page is not modified, else every page through `convert` (then kept).
pub(super) fn paged_releases(
    fetcher: &Fetcher,
    api: &ListApi<'_>,
    first: String,
    key: &str,
    convert: impl Fn(&[serde_json::Value]) -> Vec<Release>,
) -> Result<Vec<Release>, PackageError> {
    let cached = super::cache::load(key);
    match pages(fetcher, api, first, cached.as_ref())? {
        None => {
            crate::log::debug(|| format!("{key}: not modified; using the kept list"));
            Ok(cached.map(|c| c.releases).unwrap_or_default())
        }
        Some((items, etag, last_modified)) => {
            let releases = convert(&items);
            if etag.is_some() || last_modified.is_some() {
                super::cache::store(key, etag, last_modified, &releases);
            }
            Ok(releases)
        }
    }
}

/// What a git ref or tag object points at (`object` of `git/ref/…` and of `git/tags/SHA`).
#[derive(serde::Deserialize)]
struct Pointed {
    object: Object,
}

#[derive(serde::Deserialize)]
struct Object {
    #[serde(rename = "type")]
    kind: String,
    sha: String,
}

impl GitHub {
    /// The API document at `url`, `None` on 404; GitHub's refusals as for the lists.
    fn object(&self, url: &str) -> Result<Option<Pointed>, PackageError> {
        let api = self.api();
        let headers: Vec<(&str, &str)> =
            api.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = self
            .fetcher
            .http
            .send_blocking(
                "GET",
                url,
                &headers,
                api.authorization.as_deref(),
                Body::Empty,
            )
            .map_err(|e| PackageError::Net(e.into_error()))?;
        match resp.status {
            200 => {}
            404 => return Ok(None),
            s => {
                return Err(
                    (api.refused)(&resp).unwrap_or_else(|| PackageError::Malformed {
                        url: resp.url.clone(),
                        detail: format!("HTTP {s}"),
                    }),
                )
            }
        }
        let page_url = resp.url.clone();
        let body = resp.read_limited_blocking(MAX_OBJECT_BYTES)?;
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| PackageError::Malformed {
                url: page_url,
                detail: format!("not a git ref or tag object: {e}"),
            })
    }

    /// The commit `tag` points at, as github-release-resource finds it: its ref
    /// (`git/ref/tags/TAG`), then each annotated tag object (`git/tags/SHA`) down to a commit.
    /// `None`, with a warning, when the tag does not exist (a draft's) or ends at no commit.
    fn tag_commit(&self, tag: &str) -> Result<Option<String>, PackageError> {
        let base = format!("{}/repos/{}/git/", self.api, self.repo);
        let Ok(mut url) = url::Url::parse(&base) else {
            return Err(PackageError::Invalid {
                field: "source.api_url",
                detail: format!("`{}` is not a URL", self.api),
            });
        };
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .push("ref")
                .push("tags")
                .extend(tag.split('/'));
        }
        let mut next = url.to_string();
        for _ in 0..=MAX_TAG_DEPTH {
            let Some(pointed) = self.object(&next)? else {
                crate::log::warn(format_args!(
                    "no commit_sha for {} {tag}: {} is not found",
                    self.repo,
                    crate::net::redact_url(&next)
                ));
                return Ok(None);
            };
            let Object { kind, sha } = pointed.object;
            if !super::is_commit_sha(&sha) {
                return Err(PackageError::Malformed {
                    url: crate::net::redact_url(&next),
                    detail: "the object's `sha` is not a git object name".into(),
                });
            }
            match kind.as_str() {
                "commit" => return Ok(Some(sha)),
                "tag" => next = format!("{base}tags/{sha}"),
                other => {
                    crate::log::warn(format_args!(
                        "no commit_sha for {} {tag}: it points at a {}, not a commit",
                        self.repo,
                        crate::log::shown_name(other, super::SHOWN_NAME_CHARS)
                    ));
                    return Ok(None);
                }
            }
        }
        crate::log::warn(format_args!(
            "no commit_sha for {} {tag}: more than {MAX_TAG_DEPTH} annotated tags deep",
            self.repo
        ));
        Ok(None)
    }
}

impl Backend for GitHub {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let endpoint = if self.releases { "releases" } else { "tags" };
        let first = format!("{}/repos/{}/{endpoint}?per_page=100", self.api, self.repo);
        // The kept list depends on the options that shaped it.
        let key = format!(
            "{first}#drafts={}&tag_regex={}",
            self.drafts,
            self.tag_regex.as_ref().map(|r| r.as_str()).unwrap_or("")
        );
        paged_releases(&self.fetcher, &self.api(), first, &key, |items| {
            self.to_releases(items)
        })
    }

    /// A release's `commit_sha`: its tag resolved through the git refs API (a release lists
    /// only `target_commitish`, a branch name as often as a commit). Tags have it already.
    fn details(
        &self,
        mut release: Release,
        _download: Option<&str>,
    ) -> Result<Release, PackageError> {
        if self.releases && release.commit_sha.is_none() {
            let tag = release
                .tag
                .clone()
                .unwrap_or_else(|| release.version.clone());
            release.commit_sha = self.tag_commit(&tag)?;
        }
        Ok(release)
    }

    fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::LOOSE
    }
}

impl GitHub {
    fn to_releases(&self, items: &[serde_json::Value]) -> Vec<Release> {
        let s =
            |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        if self.releases {
            items
                .iter()
                .filter(|r| {
                    self.drafts || !r.get("draft").and_then(|d| d.as_bool()).unwrap_or(false)
                })
                .filter_map(|r| {
                    let mut rel = tag_version(&s(r, "tag_name")?, self.tag_regex.as_ref())?;
                    rel.prerelease = r
                        .get("prerelease")
                        .and_then(|p| p.as_bool())
                        .unwrap_or(false);
                    rel.url = s(r, "html_url");
                    rel.published_at = s(r, "published_at");
                    rel.body = Some(s(r, "body").unwrap_or_default());
                    rel.files = r
                        .get("assets")
                        .and_then(|a| a.as_array())
                        .map(|assets| {
                            assets
                                .iter()
                                .filter_map(|a| {
                                    Some(super::ReleaseFile {
                                        name: s(a, "name")?,
                                        url: s(a, "browser_download_url")?,
                                        hash: s(a, "digest"),
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
                    let mut rel = tag_version(&s(t, "name")?, self.tag_regex.as_ref())?;
                    // The tags list names each tag's commit (annotated tags peeled).
                    rel.commit_sha = t
                        .pointer("/commit/sha")
                        .and_then(|c| c.as_str())
                        .filter(|c| super::is_commit_sha(c))
                        .map(str::to_string);
                    Some(rel)
                })
                .collect()
        }
    }
}
