//! HTTP GETs of index documents: bounded reads, credentials only to their origin, conditional
//! requests against the kept list, verified downloads.

use super::common::CommonFields;
use super::{cache, PackageError, Release};
use crate::fsutil::{CopyError, WriteOptions};
use crate::log;
use crate::net::{Body, Http, TlsSettings};
use base64::Engine as _;

/// Largest index document read.
pub(crate) const MAX_INDEX_BYTES: u64 = 32 * 1024 * 1024;

/// Turns an index page (`Content-Type`, body) into releases.
pub(crate) type ParsePage<'a> = dyn Fn(&str, &[u8]) -> Result<Vec<Release>, PackageError> + 'a;

/// Like [`ParsePage`], also saying until when (Unix seconds) the list may be used (apt's
/// `Valid-Until`).
pub(crate) type ParseExpiring<'a> =
    dyn Fn(&str, &[u8]) -> Result<(Vec<Release>, Option<i64>), PackageError> + 'a;

/// What a conditional GET answered.
pub(crate) enum Conditional {
    /// 304 to the validators given.
    NotModified,
    /// 200: the body and its validators.
    Body {
        body: Vec<u8>,
        content_type: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// 404 or 410.
    Missing,
}

/// HTTP GETs for index documents, with optional basic credentials.
pub(crate) struct Fetcher {
    pub(crate) http: Http,
    authorization: Option<String>,
    /// The URL credentials belong to (the configured index / registry / API): they go only
    /// to its scheme, host and port.
    auth_origin: Option<String>,
    /// Largest index document read ([`MAX_INDEX_BYTES`] unless a backend needs more).
    index_limit: u64,
}

impl Fetcher {
    /// A fetcher with `source`'s TLS settings, its basic credentials going only to `index_root`.
    pub(crate) fn new(
        source: &CommonFields,
        index_root: Option<&str>,
    ) -> Result<Fetcher, PackageError> {
        let http = Http::new(TlsSettings {
            insecure: source.insecure,
            ca_certs: source.ca_certs.clone(),
            client_identity: None,
        });
        http.validate()?;
        let authorization = match (&source.username, &source.password) {
            (Some(u), Some(p)) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{}", p.expose()))
            )),
            _ => None,
        };
        let auth_origin = index_root.map(str::to_string);
        Ok(Fetcher {
            http,
            authorization,
            auth_origin,
            index_limit: MAX_INDEX_BYTES,
        })
    }

    /// The same fetcher reading index documents of up to `limit` bytes.
    pub(crate) fn with_index_limit(mut self, limit: u64) -> Fetcher {
        self.index_limit = limit;
        self
    }

    /// Like [`Fetcher::releases`], a 404 being the package's absence from `ecosystem`.
    pub(crate) fn listed(
        &self,
        ecosystem: &'static str,
        package: &str,
        url: &str,
        accept: &str,
        parse: &ParsePage<'_>,
    ) -> Result<Vec<Release>, PackageError> {
        self.releases(url, accept, None, parse)?
            .ok_or_else(|| PackageError::NotFound {
                ecosystem,
                package: package.to_string(),
                url: url.to_string(),
            })
    }

    /// The body of `url` (at most `limit` bytes), `None` on 404; a body that breaks off is asked
    /// for again. For documents whose bytes are verified by the caller (apt's `Packages`).
    pub(crate) fn bytes(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, PackageError> {
        crate::net::retry_truncated_blocking(|| {
            let resp = self
                .http
                .send_blocking("GET", url, &[], self.auth_for(url), Body::Empty)
                .map_err(|e| PackageError::Net(e.into_error()))?;
            match resp.status {
                200 => Ok(Some(resp.read_limited_blocking(limit)?)),
                404 => Ok(None),
                status => Err(PackageError::Malformed {
                    url: resp.url.clone(),
                    detail: format!("HTTP {status}"),
                }),
            }
        })
    }

    /// Credentials for `url`: only on the configured index's own host.
    fn auth_for(&self, url: &str) -> Option<&str> {
        match &self.auth_origin {
            Some(o) if crate::net::same_origin(o, url) => self.authorization.as_deref(),
            _ => None,
        }
    }

    /// Downloads `url` into `path` (temporary file, then rename) unless its bytes miss `hash`.
    pub(crate) fn download(
        &self,
        url: &str,
        hash: &str,
        path: &std::path::Path,
    ) -> Result<(), PackageError> {
        let digest: crate::digest::Digest =
            hash.parse()
                .map_err(|e: crate::digest::DigestError| PackageError::Malformed {
                    url: url.to_string(),
                    detail: format!("published hash: {e}"),
                })?;
        self.download_verified(url, path, |body| {
            Box::new(crate::digest::VerifyingReader::new(
                body,
                &digest,
                None,
                url.to_string(),
            ))
        })
    }

    /// Streams `url` through `verify` (a reader that fails when the bytes miss their hash)
    /// into `path`: a temporary sibling, renamed only once the whole body verified.
    pub(crate) fn download_verified<'v>(
        &self,
        url: &str,
        path: &std::path::Path,
        verify: impl FnOnce(Box<dyn std::io::Read + Send + Sync>) -> Box<dyn std::io::Read + 'v>,
    ) -> Result<(), PackageError> {
        let resp = crate::net::block_on(crate::net::streaming(self.http.send(
            "GET",
            url,
            &[],
            self.auth_for(url),
            Body::Empty,
        )))
        .map_err(|e| PackageError::Net(e.into_error()))?;
        if resp.status != 200 {
            return Err(PackageError::Malformed {
                url: resp.url.clone(),
                detail: format!("HTTP {}", resp.status),
            });
        }
        let mut reader = verify(resp.into_reader());
        // Written under a hidden temporary name beside `path`, renamed only once the whole body
        // verified; removed on failure.
        match crate::fsutil::write_file_from(path, &mut reader, WriteOptions::DEFAULT) {
            Ok(_) => Ok(()),
            // The body: it broke off, or its bytes miss the published hash.
            Err(CopyError::Read(e)) => Err(PackageError::Malformed {
                url: url.to_string(),
                detail: e.to_string(),
            }),
            Err(CopyError::Write(source)) => Err(PackageError::Disk {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The releases at `url`: on a 304 to `If-None-Match` / `If-Modified-Since` the list kept
    /// from the last run (the page is not parsed again); `None` on 404 or 410. A page whose body breaks
    /// off is asked for again (twice at most).
    pub(crate) fn releases(
        &self,
        url: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParsePage<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        self.releases_as(url, url, accept, auth, parse)
    }

    /// Like [`Fetcher::releases`], the parsed list kept under `key` rather than the URL: for a
    /// document whose releases also depend on the source (apt's `InRelease`, apk's index).
    pub(crate) fn releases_as(
        &self,
        url: &str,
        key: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParsePage<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        self.releases_until(url, key, accept, auth, &|ct, body| {
            Ok((parse(ct, body)?, None))
        })
    }

    /// Like [`Fetcher::releases_as`], the kept list used only until the time `parse` gave with
    /// it: past that, the document is asked for unconditionally and parsed again.
    pub(crate) fn releases_until(
        &self,
        url: &str,
        key: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParseExpiring<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        crate::net::retry_truncated_blocking(|| self.releases_once(url, key, accept, auth, parse))
    }

    fn releases_once(
        &self,
        url: &str,
        key: &str,
        accept: &str,
        auth: Option<&str>,
        parse: &ParseExpiring<'_>,
    ) -> Result<Option<Vec<Release>>, PackageError> {
        let now = chrono::Utc::now().timestamp();
        let cached = cache::load(key).filter(|c| c.not_after.is_none_or(|t| now <= t));
        let validators = cached
            .as_ref()
            .map(|c| (c.etag.as_deref(), c.last_modified.as_deref()));
        let limit = self.index_limit;
        match self.conditional_once(url, Some(accept), validators, auth, limit)? {
            Conditional::NotModified => {
                log::debug(|| format!("{url}: not modified; using the kept list"));
                Ok(cached.map(|c| c.releases))
            }
            Conditional::Body {
                body,
                content_type,
                etag,
                last_modified,
            } => {
                let (releases, not_after) = parse(&content_type, &body)?;
                if etag.is_some() || last_modified.is_some() {
                    cache::store_until(key, etag, last_modified, not_after, &releases);
                }
                Ok(Some(releases))
            }
            Conditional::Missing => Ok(None),
        }
    }

    /// GET `url` (at most `limit` bytes), conditional on `validators` (`ETag`,
    /// `Last-Modified`) when given; credentials only to the index's origin. A body that breaks
    /// off is asked for again (twice at most).
    pub(crate) fn conditional(
        &self,
        url: &str,
        validators: Option<(Option<&str>, Option<&str>)>,
        limit: u64,
    ) -> Result<Conditional, PackageError> {
        crate::net::retry_truncated_blocking(|| {
            self.conditional_once(url, None, validators, None, limit)
        })
    }

    fn conditional_once(
        &self,
        url: &str,
        accept: Option<&str>,
        validators: Option<(Option<&str>, Option<&str>)>,
        auth: Option<&str>,
        limit: u64,
    ) -> Result<Conditional, PackageError> {
        let (etag, modified) = validators.unwrap_or((None, None));
        let headers: Vec<(&str, &str)> = [
            accept.map(|a| ("Accept", a)),
            etag.map(|e| ("If-None-Match", e)),
            modified.map(|m| ("If-Modified-Since", m)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let auth = auth.or(self.auth_for(url));
        let resp = self
            .http
            .send_blocking("GET", url, &headers, auth, Body::Empty)
            .map_err(|e| PackageError::Net(e.into_error()))?;
        match resp.status {
            304 if validators.is_some() => Ok(Conditional::NotModified),
            304 => Err(PackageError::Malformed {
                url: resp.url.clone(),
                detail: "304 without a conditional request".into(),
            }),
            200 => {
                let content_type = resp.header("Content-Type").unwrap_or("").to_string();
                let etag = resp.header("ETag").map(str::to_string);
                let last_modified = resp.header("Last-Modified").map(str::to_string);
                let body = resp.read_limited_blocking(limit)?;
                Ok(Conditional::Body {
                    body,
                    content_type,
                    etag,
                    last_modified,
                })
            }
            // 410 Gone: how Go module proxies say "not found" as well.
            404 | 410 => Ok(Conditional::Missing),
            status => Err(PackageError::Malformed {
                url: resp.url.clone(),
                detail: format!("HTTP {status}"),
            }),
        }
    }
}
