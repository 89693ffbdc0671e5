//! GitLab releases (or tags) through the REST API v4: subgroups, pages followed by `Link`, a `PRIVATE-TOKEN` for the API's origin only.
//!
//! The paging, conditional first page and kept list are GitHub's ([`super::github`]); the tag
//! → version rule is the same ([`super::tag_version`]), ordered and constrained as GitHub tags
//! ([`crate::versions::LOOSE`]).

use super::github::{paged_releases, ListApi};
use super::{tag_regex, tag_version, Backend, Fetcher, PackageError, Release};
use super::{CommonFields, Source};
use crate::protocol::{empty_is_none, Secret};
use crate::versions::VersionScheme;
use regex::Regex;

/// gitlab.com's API.
const DEFAULT_API: &str = "https://gitlab.com/api/v4";

/// `gitlab:` gitLab releases (or tags) of `GROUP/PROJECT` (subgroups allowed: `group/sub/project`).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GitLabSource {
    /// GitLab releases (or tags) of `GROUP/PROJECT` (subgroups allowed: `group/sub/project`).
    gitlab: String,
    /// The API root (self-managed; default `https://gitlab.com/api/v4`).
    #[serde(default, deserialize_with = "empty_is_none")]
    api_url: Option<String>,
    /// A token (`read_api`), sent as `PRIVATE-TOKEN` only to `api_url`'s origin, never logged.
    #[serde(default)]
    access_token: Option<Secret>,
    /// `false` follows tags instead of releases (default `true`).
    #[serde(default)]
    releases: Option<bool>,
    /// Its named group `version` is the version; tags it does not match are skipped (default: the tag without a leading `v`).
    #[serde(default, deserialize_with = "empty_is_none")]
    tag_regex: Option<String>,
}

impl Source for GitLabSource {
    const KEY: &'static str = "gitlab";
    const DOCS: &'static str = "## GitLab releases and tags";

    fn name(&self) -> &str {
        &self.gitlab
    }

    fn index_root(&self) -> Option<&str> {
        self.api_url.as_deref()
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(GitLab::new(self, fetcher)?))
    }
}

/// A GitLab project.
pub(crate) struct GitLab {
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
    pub(crate) fn new(source: &GitLabSource, fetcher: Fetcher) -> Result<GitLab, PackageError> {
        let project = source.gitlab.clone();
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
            tag_regex: tag_regex(&source.tag_regex)?,
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
                    403 => "the `access_token` lacks the `read_api` scope or access to the project"
                        .to_string(),
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
                    rel.body = Some(s(r, &["description"]).unwrap_or_default());
                    rel.commit_sha = s(r, &["commit", "id"]).filter(|c| super::is_commit_sha(c));
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
                    // The tag's commit (`target` is the tag object of an annotated tag).
                    rel.commit_sha = s(t, &["commit", "id"]).filter(|c| super::is_commit_sha(c));
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

    fn scheme(&self) -> &'static dyn VersionScheme {
        &crate::versions::LOOSE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::versions::{PreReleases, LOOSE};

    /// Whether `check` keeps `version` under `constraint` ("" = none) and `pre_releases`.
    fn admitted(version: &str, constraint: &str, pre: bool) -> bool {
        // `false` rows are the default (no `pre_releases`).
        let pre = PreReleases::from(pre.then_some(true));
        let c = (!constraint.is_empty()).then_some(constraint);
        if let Some(c) = c {
            LOOSE
                .check_constraint(c, pre)
                .unwrap_or_else(|e| panic!("{constraint}: {e}"));
        }
        LOOSE.cmp(version, version).is_some()
            && !LOOSE
                .order(&[version], c, pre)
                .unwrap_or_else(|e| panic!("{constraint}: {e}"))
                .is_empty()
    }

    const F: bool = false;
    const T: bool = true;

    /// Tag → version → constraint rows: (tag, `tag_regex` ("" = none), version (`-` = the regex
    /// does not match), `constraint`, `pre_releases`, kept by `check`). The tags are the forms
    /// real GitLab projects publish: the releases API documentation's own (`v0.1`, `v0.2`,
    /// `v0.3`, `v0.11.1`), gitlab-org/gitlab-runner (`v17.5.0`, `v17.6.0-rc1`), gitlab-org/gitlab
    /// (`v17.5.1-ee`, `v17.6.0-rc42-ee`), gitlab-org/cli, mesa/mesa on freedesktop.org
    /// (`mesa-24.1.0-rc1`), inkscape/inkscape (`INKSCAPE_1_3_2`), wireshark/wireshark
    /// (`v4.4.0rc1`), fdroid/fdroidclient (`1.20-alpha1`), GNOME (`46.rc`, `47.alpha`); the
    /// expectations are GitHub's rules (the same [`tag_version`] and [`crate::versions::LOOSE`]),
    /// whose ranges are node-semver's (checked against node-semver in `versions::conformance`).
    #[rustfmt::skip]
    const ROWS: &[(&str, &str, &str, &str, bool, bool)] = &[
        ("v0.1", "", "0.1", "", F, T),
        ("v0.2", "", "0.2", ">=0.2", F, T),
        ("v0.3", "", "0.3", "<0.3", F, F),
        ("v0.11.1", "", "0.11.1", "^0.11", F, T),
        ("v0.11.1", "", "0.11.1", "~0.1", F, F),
        ("v17.5.0", "", "17.5.0", "", F, T),
        ("v17.5.1", "", "17.5.1", "~17.5", F, T),
        ("v17.6.0-rc1", "", "17.6.0-rc1", "", F, F),
        ("v17.6.0-rc1", "", "17.6.0-rc1", "", T, T),
        ("v17.6.0-rc1", "", "17.6.0-rc1", ">=17.6.0-rc0", F, T),
        ("v17.6.0-rc1", "", "17.6.0-rc1", ">=17.5.0", F, F),
        ("v17.6.0-rc1", "", "17.6.0-rc1", ">=17.5.0", T, T),
        ("v16.11.4", "", "16.11.4", "^17", F, F),
        ("v17.0.0", "", "17.0.0", "^17", F, T),
        ("v16.11.4", "", "16.11.4", "16.x || 17.x", F, T),
        ("v17.5.1-ee", "", "17.5.1-ee", "", F, F),
        ("v17.5.1-ee", "^v(?P<version>[0-9.]+)-ee$", "17.5.1", "", F, T),
        ("v17.6.0-rc42-ee", "^v(?P<version>[0-9.]+)-ee$", "-", "", T, F),
        ("v17.6.0-rc42-ee", "^v(?P<version>.+)-ee$", "17.6.0-rc42", "", F, F),
        ("v17.6.0-rc42-ee", "^v(?P<version>.+)-ee$", "17.6.0-rc42", "", T, T),
        ("v17.5.1-ee", "^v(?P<version>.+)-ee$", "17.5.1", ">=17.5 <17.6", F, T),
        ("v1.47.0", "", "1.47.0", ">=1.46.1", F, T),
        ("v1.46.1", "", "1.46.1", ">1.46.1", F, F),
        ("mesa-24.1.0", "", "mesa-24.1.0", "", F, F),
        ("mesa-24.1.0", "^mesa-(?P<version>.+)$", "24.1.0", "", F, T),
        ("mesa-24.1.0-rc1", "^mesa-(?P<version>.+)$", "24.1.0-rc1", "", F, F),
        ("mesa-24.1.0-rc1", "^mesa-(?P<version>.+)$", "24.1.0-rc1", "24.1.0-rc1 - 24.1.0", F, T),
        ("mesa-24.0.9", "^mesa-(?P<version>.+)$", "24.0.9", "~24.0", F, T),
        ("mesa-24.0.9", "^mesa-(?P<version>.+)$", "24.0.9", "^24.1", F, F),
        ("INKSCAPE_1_3_2", "", "INKSCAPE_1_3_2", "", T, F),
        ("INKSCAPE_1_3_2", "^INKSCAPE_(?P<version>.+)$", "1_3_2", "", T, F),
        ("v4.2.5", "", "4.2.5", "", F, T),
        ("v4.4.0rc1", "", "4.4.0rc1", "", T, F),
        ("1.20.0", "", "1.20.0", "", F, T),
        ("1.20-alpha1", "", "1.20-alpha1", "", F, F),
        ("1.20-alpha1", "", "1.20-alpha1", "", T, T),
        ("1.19.1", "", "1.19.1", "<1.20.0-0", F, T),
        ("46.0", "", "46.0", "", F, T),
        ("46.rc", "", "46.rc", "", T, F),
        ("46.beta", "", "46.beta", "", T, F),
        ("47.alpha", "^(?P<version>[0-9]+)\\.(alpha|beta|rc)$", "47", "", F, T),
        ("2024.01.15", "", "2024.01.15", ">=2024.1.0", F, T),
        ("v2024.01.09", "", "2024.01.09", "<2024.1.10", F, T),
        ("latest", "", "latest", "", F, F),
        ("nightly", "", "nightly", "", T, F),
        ("V1.2.3", "", "1.2.3", "", F, T),
        ("vv1.2.3", "", "v1.2.3", "", F, T),
        ("v1.2.3.4", "", "1.2.3.4", "", F, F),
        ("v1", "", "1", "^1", F, T),
        ("v1.2", "", "1.2", "~1.2", F, T),
        ("v1.2.3+build.5", "", "1.2.3+build.5", "=1.2.3", F, T),
        ("v01.02.03", "", "01.02.03", "1.2.3", F, T),
        ("v1.2.3-beta.2", "", "1.2.3-beta.2", ">=1.2.3-beta.1 <1.2.3", F, T),
        ("v1.2.3-beta.2", "", "1.2.3-beta.2", ">=1.2.2", F, F),
        ("v1.2.3-beta.2", "", "1.2.3-beta.2", ">=1.2.2", T, T),
        ("v2.0.0", "", "2.0.0", "1.x || >=2.5.0", F, F),
        ("v2.5.1", "", "2.5.1", "1.x || >=2.5.0", F, T),
        ("v3.0.0", "", "3.0.0", "*", F, T),
        ("v3.0.0-alpha", "", "3.0.0-alpha", "*", F, F),
        ("v3.0.0-alpha", "", "3.0.0-alpha", "*", T, T),
        ("release-2.0", "^release-(?P<version>.*)$", "2.0", "", F, T),
        ("release-candidate", "^release-(?P<version>[0-9.]+)$", "-", "", F, F),
        ("v0.0.1", "", "0.0.1", "^0.0.1", F, T),
        ("v0.0.2", "", "0.0.2", "^0.0.1", F, F),
        ("v1.0.0", "(?P<version>[0-9]+\\.[0-9]+)", "1.0", "", F, T),
        ("1.0.0-rc.1+ee", "", "1.0.0-rc.1+ee", "<1.0.0", T, T),
    ];

    #[test]
    fn tags_versions_and_constraints() {
        assert!(ROWS.len() >= 60, "{}", ROWS.len());
        for (tag, re, version, constraint, pre, kept) in ROWS {
            let re = (!re.is_empty()).then(|| Regex::new(re).unwrap_or_else(|e| panic!("{e}")));
            let release = tag_version(tag, re.as_ref());
            match release {
                None => {
                    assert_eq!(*version, "-", "{tag}: the regex matched");
                    assert!(!kept, "{tag}");
                }
                Some(r) => {
                    assert_eq!(r.version, *version, "{tag}");
                    assert_eq!(r.tag.is_some(), r.version != *tag, "{tag}");
                    assert_eq!(
                        admitted(&r.version, constraint, *pre),
                        *kept,
                        "{tag} ({version}) under `{constraint}`, pre_releases {pre}"
                    );
                }
            }
        }
    }

    /// Tags of one project ascend in GitHub's order, whatever order the API lists them in.
    #[test]
    fn tags_order_as_github_tags() {
        let ascending = [
            "v0.1",
            "v0.2",
            "v0.3",
            "v0.11.1",
            "v1.0.0-rc.1",
            "v1.0.0",
            "v1.2",
            "v1.10.0",
            "v16.11.4",
            "v17.0.0",
            "v17.6.0-rc1",
            "v17.6.0-rc2",
            "v17.6.0-rc10",
            "v17.6.0",
        ];
        let versions: Vec<(String, &str)> = ascending
            .iter()
            .rev()
            .map(|t| {
                let v = tag_version(t, None)
                    .unwrap_or_else(|| panic!("{t}"))
                    .version;
                assert!(LOOSE.cmp(&v, &v).is_some(), "{t}");
                (v, *t)
            })
            .collect();
        let texts: Vec<&str> = versions.iter().map(|(v, _)| v.as_str()).collect();
        let order = LOOSE.order(&texts, None, PreReleases::All).unwrap();
        let sorted: Vec<&str> = order.iter().map(|&i| versions[i].1).collect();
        // `rc10` sorts before `rc2`: alphanumeric identifiers compare as text (semver's rule).
        let mut want = ascending.to_vec();
        want.swap(11, 12);
        assert_eq!(sorted, want);
    }
}
