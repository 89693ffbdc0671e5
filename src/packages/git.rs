//! Any git remote: tags listed without cloning — smart (or dumb) HTTP `info/refs`, or the refs of
//! a local repository (`file://`).

use super::{tag_regex, tag_version, Backend, Fetcher, PackageError, Release};
use super::{CommonFields, Source};
use crate::protocol::empty_is_none;
use crate::versions::VersionScheme;
use regex::Regex;
use std::path::PathBuf;

/// `git:` tags of a git remote (smart or dumb HTTP, or `file://`), read without cloning.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GitSource {
    /// Tags of a git remote (smart or dumb HTTP, or `file://`), read without cloning.
    git: String,
    /// Its named group `version` is the version; tags it does not match are skipped (default: the tag without a leading `v`).
    #[serde(default, deserialize_with = "empty_is_none")]
    tag_regex: Option<String>,
}

impl Source for GitSource {
    const KEY: &'static str = "git";
    const DOCS: &'static str = "## git tags";

    fn name(&self) -> &str {
        &self.git
    }

    fn index_root(&self) -> Option<&str> {
        None
    }

    fn open(
        &self,
        _common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError> {
        Ok(Box::new(Git::new(self, fetcher)?))
    }
}

/// A git remote.
pub(crate) struct Git {
    url: String,
    tag_regex: Option<Regex>,
    fetcher: Fetcher,
}

impl Git {
    /// The remote `source.git` (`https://…`, `http://…`, `file:///…`, or a local path).
    pub(crate) fn new(source: &GitSource, fetcher: Fetcher) -> Result<Git, PackageError> {
        let url = source.git.clone();
        if !(url.starts_with("https://")
            || url.starts_with("http://")
            || url.starts_with("file://")
            || url.starts_with('/'))
        {
            return Err(PackageError::Invalid {
                field: "source.git",
                detail: format!(
                    "`{url}`: only http(s):// and file:// remotes are supported (ssh is not)"
                ),
            });
        }
        Ok(Git {
            url,
            tag_regex: tag_regex(&source.tag_regex)?,
            fetcher,
        })
    }

    fn remote_tags(&self) -> Result<Vec<String>, PackageError> {
        let base = self.url.trim_end_matches('/');
        let url = format!("{base}/info/refs?service=git-upload-pack");
        let parse = |content_type: &str, body: &[u8]| {
            let refs = if content_type.contains("git-upload-pack-advertisement") {
                parse_pkt_lines(body).map_err(|detail| PackageError::Malformed {
                    url: url.clone(),
                    detail,
                })?
            } else {
                // Dumb HTTP: `sha<TAB>ref` lines.
                String::from_utf8_lossy(body)
                    .lines()
                    .filter_map(|l| l.split_once('\t').map(|(_, r)| r.to_string()))
                    .collect()
            };
            Ok(tags_of(refs)
                .into_iter()
                .map(|t| Release {
                    version: t,
                    ..Release::default()
                })
                .collect())
        };
        let tags = self.fetcher.listed("git", &self.url, &url, "*/*", &parse)?;
        Ok(tags.into_iter().map(|r| r.version).collect())
    }

    fn local_tags(&self) -> Result<Vec<String>, PackageError> {
        let path = PathBuf::from(self.url.strip_prefix("file://").unwrap_or(&self.url));
        let git_dir = if path.join(".git").is_dir() {
            path.join(".git")
        } else {
            path.clone()
        };
        let bad = |detail: String| PackageError::NotFound {
            ecosystem: "git",
            package: self.url.clone(),
            url: detail,
        };
        if !git_dir.join("refs").is_dir() {
            return Err(bad(git_dir.display().to_string()));
        }
        let mut refs = Vec::new();
        if let Ok(packed) = std::fs::read_to_string(git_dir.join("packed-refs")) {
            refs.extend(
                packed
                    .lines()
                    .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
                    .filter_map(|l| l.split_once(' ').map(|(_, r)| r.to_string())),
            );
        }
        let tags_dir = git_dir.join("refs/tags");
        let mut stack = vec![tags_dir.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(rel) = p.strip_prefix(&tags_dir) {
                    refs.push(format!("refs/tags/{}", rel.display()));
                }
            }
        }
        Ok(tags_of(refs))
    }
}

fn tags_of(refs: Vec<String>) -> Vec<String> {
    let mut tags: Vec<String> = refs
        .into_iter()
        .filter_map(|r| r.strip_prefix("refs/tags/").map(str::to_string))
        .filter(|t| !t.ends_with("^{}"))
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// The ref names of a smart-HTTP advertisement (pkt-lines: 4 hex digits of length, data).
fn parse_pkt_lines(body: &[u8]) -> Result<Vec<String>, String> {
    let mut refs = Vec::new();
    let mut pos = 0;
    while pos + 4 <= body.len() {
        let len_hex =
            std::str::from_utf8(&body[pos..pos + 4]).map_err(|_| "bad pkt-line length")?;
        let len = usize::from_str_radix(len_hex, 16)
            .map_err(|_| format!("bad pkt-line length `{len_hex}`"))?;
        if len == 0 {
            pos += 4;
            continue;
        }
        if len < 4 || pos + len > body.len() {
            return Err("truncated pkt-line".into());
        }
        let line = String::from_utf8_lossy(&body[pos + 4..pos + len]);
        let line = line.split('\0').next().unwrap_or("").trim_end();
        if !line.starts_with('#') {
            if let Some((_, r)) = line.split_once(' ') {
                refs.push(r.to_string());
            }
        }
        pos += len;
    }
    Ok(refs)
}

impl Backend for Git {
    fn releases(&self) -> Result<Vec<Release>, PackageError> {
        let tags = if self.url.starts_with("http") {
            self.remote_tags()?
        } else {
            self.local_tags()?
        };
        Ok(tags
            .iter()
            .filter_map(|t| tag_version(t, self.tag_regex.as_ref()))
            .collect())
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

    fn pkt(line: &str) -> String {
        format!("{:04x}{line}", line.len() + 4)
    }

    #[test]
    fn pkt_lines() {
        let sha = "9b7fc058fadc593d7267077a1b21ebc72794ed02";
        let body = format!(
            "{}0000{}{}{}0000",
            pkt("# service=git-upload-pack\n"),
            pkt(&format!("{sha} refs/heads/main\0caps\n")),
            pkt(&format!("{sha} refs/tags/v1.0.0\n")),
            pkt(&format!("{sha} refs/tags/v1.0.0^{{}}\n")),
        );
        let refs = parse_pkt_lines(body.as_bytes()).unwrap();
        assert_eq!(
            refs,
            ["refs/heads/main", "refs/tags/v1.0.0", "refs/tags/v1.0.0^{}"]
        );
        assert_eq!(tags_of(refs), ["v1.0.0"]);
        assert!(parse_pkt_lines(b"zzzz").is_err());
        assert!(parse_pkt_lines(b"00ffshort").is_err());
    }
}
