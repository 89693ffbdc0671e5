//! A response ready to be read: its headers, its body within a limit or as a stream, and the
//! `Link` header's next page.

use super::classify::body_error;
use super::error::NetError;
use super::reader;
use super::runtime::block_on;
use std::io::Read;

/// A response with its URL, ready to be read.
pub(crate) struct Response {
    /// HTTP status.
    pub status: u16,
    /// Final URL (after redirects), without credentials.
    pub url: String,
    pub(super) inner: reqwest::Response,
}

impl Response {
    /// A header's value (`None` when absent or not visible ASCII).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name)?.to_str().ok()
    }

    /// The body as a blocking stream, for code on a blocking thread (layer extraction): each
    /// read waits for the next chunk on the runtime. A body that breaks off or ends early is an
    /// error.
    pub(crate) fn into_reader(self) -> Box<dyn Read + Send + Sync + 'static> {
        reader::body_reader(self.url, self.inner)
    }

    /// Reads the body, failing when it is larger than `limit` bytes, breaks off, or has not
    /// arrived within the run's budget (a server dribbling a document byte by byte is cut off).
    pub(crate) async fn read_limited(self, limit: u64) -> Result<Vec<u8>, NetError> {
        let url = self.url;
        let mut inner = self.inner;
        if inner.content_length().is_some_and(|n| n > limit) {
            return Err(too_large(url, limit));
        }
        let mut buf = Vec::new();
        loop {
            match inner.chunk().await {
                Ok(Some(c)) => {
                    if (buf.len() + c.len()) as u64 > limit {
                        return Err(too_large(url, limit));
                    }
                    buf.extend_from_slice(&c);
                }
                Ok(None) => return Ok(buf),
                Err(e) => return Err(body_error("GET", &url, &e)),
            }
        }
    }

    /// [`Response::read_limited`] for synchronous callers.
    pub(crate) fn read_limited_blocking(self, limit: u64) -> Result<Vec<u8>, NetError> {
        block_on(self.read_limited(limit))
    }
}

fn too_large(url: String, limit: u64) -> NetError {
    NetError::BadResponse {
        url,
        detail: format!("response is larger than {limit} bytes"),
    }
}

/// The target of `rel="next"` in a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| target.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_next_is_found() {
        assert_eq!(
            next_link(r#"</v2/a/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert_eq!(next_link(r#"<x>; rel="prev""#), None);
    }
}
