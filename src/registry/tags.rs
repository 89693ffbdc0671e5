//! Tag lists: `Link` pagination on the same host, else `last=`, bounded against lists that never
//! end or repeat.

use super::request::{drain, status_error};
use super::{Client, RegistryError, Repository};
use crate::log;
use crate::net::{self, next_link, Body};

/// Tags asked for per page (ECR's maximum).
pub(crate) const TAGS_PAGE: usize = 1000;

const MAX_TAG_PAGES: usize = 10_000;

/// More tags than any real repository holds (Docker Hub's largest have ~100k): an endless list.
pub(crate) const MAX_TAGS: usize = 500_000;

const MAX_TAG_PAGE_BYTES: u64 = 32 * 1024 * 1024;

impl Client {
    /// Every tag of `repo` in registry order, following `Link: rel="next"` (same host only), else
    /// `last=` while full pages come back; `None` when the repository does not exist.
    pub(crate) async fn list_tags(
        &self,
        repo: &Repository,
    ) -> Result<Option<Vec<String>>, RegistryError> {
        net::retry_truncated(|| self.list_tags_once(repo)).await
    }

    pub(super) async fn list_tags_once(
        &self,
        repo: &Repository,
    ) -> Result<Option<Vec<String>>, RegistryError> {
        let first = format!("/v2/{}/tags/list?n={TAGS_PAGE}", repo.path());
        let mut next = Some(first);
        let mut tags: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            if pages > MAX_TAG_PAGES {
                return Err(RegistryError::BadResponse {
                    url: format!("{repo}/tags/list"),
                    detail: format!("more than {MAX_TAG_PAGES} pages of tags"),
                });
            }
            let Some(page) = self.tags_page(repo, &path, pages == 1).await? else {
                return Ok(None);
            };
            // Exactly n: there may be more. More than n: the server ignores n (does not page).
            let full = page.tags.len() == TAGS_PAGE;
            let last = page.tags.last().cloned();
            let mut fresh = 0;
            for t in page.tags {
                if seen.insert(t.clone()) {
                    tags.push(t);
                    fresh += 1;
                }
            }
            if tags.len() > MAX_TAGS {
                return Err(RegistryError::BadResponse {
                    url: format!("{repo}/tags/list"),
                    detail: format!("more than {MAX_TAGS} tags; the list does not end"),
                });
            }
            let last = (full && fresh > 0).then_some(last).flatten();
            next = next_tags_path(repo, &page.url, page.link, fresh == 0, last);
        }
        Ok(Some(tags))
    }

    /// One page of the tag list at `path`; `None` when the first page says the repository does
    /// not exist (a 404).
    async fn tags_page(
        &self,
        repo: &Repository,
        path: &str,
        first: bool,
    ) -> Result<Option<TagPage>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let scopes = [format!("repository:{}:pull", repo.path())];
        let resp = self
            .path_request(repo, "GET", path, &[], &scopes, Body::Empty)
            .await?;
        match resp.status {
            200 => {}
            404 if first => {
                drain(resp).await;
                return Ok(None);
            }
            _ => return Err(status_error("GET", resp).await),
        }
        let url = resp.url.clone();
        let link = resp.header("Link").and_then(next_link);
        let body = resp.read_limited(MAX_TAG_PAGE_BYTES).await?;
        let page: Page = serde_json::from_slice(&body).map_err(|e| RegistryError::BadResponse {
            url: url.clone(),
            detail: format!("tag list is not valid JSON: {e}"),
        })?;
        Ok(Some(TagPage {
            url,
            link,
            tags: page.tags.unwrap_or_default(),
        }))
    }
}

/// One page of a tag list, read.
struct TagPage {
    /// Where it was read (redacted).
    url: String,
    /// The `Link` to the next page.
    link: Option<String>,
    /// Its tags.
    tags: Vec<String>,
}

/// The path of the page after the one read at `url`: its `link` (same host only; none when the
/// page brought nothing new, a loop), else after `last` (the last tag of a full page that
/// brought something new).
fn next_tags_path(
    repo: &Repository,
    url: &str,
    link: Option<String>,
    stale: bool,
    last: Option<String>,
) -> Option<String> {
    match link {
        // A page of nothing new pointing further: a loop, not more tags.
        Some(_) if stale => {
            log::warn(format_args!("tag list at {url} repeats itself; stopping"));
            None
        }
        Some(target) => match same_host_path(url, &target) {
            Some(p) => Some(p),
            None => {
                log::warn(format_args!(
                    "ignoring tag-list Link to another host: {target}"
                ));
                None
            }
        },
        // No Link: a page of exactly n new tags may continue after its last tag.
        None => last.map(|l| {
            let mut u = url::form_urlencoded::Serializer::new(String::new());
            u.append_pair("n", &TAGS_PAGE.to_string());
            u.append_pair("last", &l);
            format!("/v2/{}/tags/list?{}", repo.path(), u.finish())
        }),
    }
}

/// `target` (absolute or relative to `current`) as a path+query, if it stays on the same host.
pub(super) fn same_host_path(current: &str, target: &str) -> Option<String> {
    let base = url::Url::parse(current).ok()?;
    let next = base.join(target).ok()?;
    if next.host_str() != base.host_str()
        || next.port_or_known_default() != base.port_or_known_default()
    {
        return None;
    }
    Some(match next.query() {
        Some(q) => format!("{}?{q}", next.path()),
        None => next.path().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_next_is_kept_on_host() {
        assert_eq!(
            same_host_path("http://h:5000/v2/a/tags/list?n=2", "/v2/a/tags/list?last=b").as_deref(),
            Some("/v2/a/tags/list?last=b")
        );
        assert_eq!(
            same_host_path("http://h:5000/v2/", "http://evil:5000/v2/a/tags/list"),
            None
        );
    }
}
