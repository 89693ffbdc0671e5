//! OCI distribution client: scheme discovery, auth and token cache, manifests and blobs by digest.

pub mod auth;
pub mod aws;
pub mod azure;
pub mod dockerconfig;
pub mod error;
pub mod hostcache;
pub mod push;
pub mod reference;
pub mod sigv4;

pub use error::RegistryError;
pub use reference::{Reference, Repository};

use crate::digest::{Digest, VerifyingReader};
use crate::log;
pub use crate::net::Body;
use crate::net::{self, next_link, BrokeOff, Http, Response, SendError, TlsSettings};
use crate::protocol::Secret;
use auth::Challenge;
use base64::Engine as _;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The four manifest media types, all sent in `Accept` (ACR and Docker Hub need them).
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Largest manifest accepted (the distribution spec's limit is 4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// Tags asked for per page (ECR's maximum).
pub const TAGS_PAGE: usize = 1000;
const MAX_TAG_PAGES: usize = 10_000;
/// More tags than any real repository holds (Docker Hub's largest have ~100k): an endless list.
pub const MAX_TAGS: usize = 500_000;
const MAX_TAG_PAGE_BYTES: u64 = 32 * 1024 * 1024;

/// A user name and password (or token) for one registry.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token; never logged.
    pub password: Secret,
    /// `password` is an OAuth2 refresh token (a docker `identitytoken`): token requests POST it
    /// (`grant_type=refresh_token`) instead of sending basic auth.
    pub identity_token: bool,
}

/// How to reach one registry.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// `insecure` / `ca_certs`.
    pub tls: TlsSettings,
    /// Used only when both user and password are set.
    pub credentials: Option<Credentials>,
}

/// A manifest read from the registry, verified against its digest.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// `Content-Type` (or the document's own `mediaType`).
    pub media_type: String,
    /// The exact bytes served.
    pub bytes: Vec<u8>,
    /// Their digest.
    pub digest: Digest,
}

struct HostState {
    base: String,
    challenge: Challenge,
    /// Read from the discovery cache rather than found by a ping in this run.
    cached: bool,
}

/// One client per registry and credentials; it caches the scheme, the challenge and tokens.
/// Clones share all of it (a blob stream keeps one to resume itself).
#[derive(Clone)]
pub struct Client(Arc<ClientState>);

impl std::ops::Deref for Client {
    type Target = ClientState;
    fn deref(&self) -> &ClientState {
        &self.0
    }
}

/// What a [`Client`] holds.
pub struct ClientState {
    http: Http,
    insecure: bool,
    credentials: Option<Credentials>,
    hosts: Mutex<HashMap<String, Arc<HostState>>>,
    tokens: Mutex<HashMap<String, String>>,
    /// Held while a host is discovered, so concurrent requests ping once.
    discovering: Mutex<()>,
}

impl Client {
    /// A client; `ca_certs` are checked now, nothing is sent yet.
    pub fn new(options: ClientOptions) -> Result<Client, RegistryError> {
        let insecure = options.tls.insecure;
        let http = Http::new(options.tls);
        http.validate()?;
        Ok(Client(Arc::new(ClientState {
            http,
            insecure,
            credentials: options.credentials,
            hosts: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            discovering: Mutex::new(()),
        })))
    }

    /// Where `repo`'s registry answers and which auth it asks for: from this run, else from the
    /// discovery cache (a scheme the ping could not have chosen is never taken from it), else
    /// the `/v2/` ping.
    fn host(&self, repo: &Repository) -> Result<Arc<HostState>, RegistryError> {
        let host = repo.api_host().to_string();
        if let Some(state) = lock(&self.hosts).get(&host) {
            return Ok(state.clone());
        }
        let _discovering = lock(&self.discovering);
        if let Some(state) = lock(&self.hosts).get(&host) {
            return Ok(state.clone());
        }
        let allow_http = self.insecure || repo.is_loopback();
        let cached =
            hostcache::load(&host).filter(|(base, _)| base.starts_with("https://") || allow_http);
        let state = match cached {
            Some((base, challenge)) => {
                log::debug(|| format!("{host}: using remembered discovery ({base})"));
                HostState {
                    base,
                    challenge,
                    cached: true,
                }
            }
            None => {
                let (base, resp) = self.ping(&host, allow_http)?;
                let challenge = match resp.status {
                    401 => resp
                        .header("WWW-Authenticate")
                        .map_or(Challenge::None, auth::parse_challenge),
                    s if s >= 500 => return Err(status_error("GET", resp)),
                    _ => Challenge::None,
                };
                drain(resp);
                hostcache::store(&host, &base, &challenge);
                HostState {
                    base,
                    challenge,
                    cached: false,
                }
            }
        };
        let state = Arc::new(state);
        lock(&self.hosts).insert(host, state.clone());
        Ok(state)
    }

    /// Drops a remembered discovery that just failed, so the next `host()` pings again.
    fn forget_host(&self, repo: &Repository) {
        let host = repo.api_host();
        lock(&self.hosts).remove(host);
        hostcache::forget(host);
    }

    /// HTTPS first; plain HTTP when the server does not speak TLS and the host is loopback or
    /// `insecure` is set (go-containerregistry's rule, minus its RFC 1918 / `.local` downgrade).
    fn ping(&self, host: &str, allow_http: bool) -> Result<(String, Response), RegistryError> {
        let https = format!("https://{host}");
        match self
            .http
            .send("GET", &format!("{https}/v2/"), &[], None, Body::Empty)
        {
            Ok(r) => Ok((https, r)),
            Err(SendError::WrongProtocol(_)) if allow_http => {
                log::debug(|| format!("{host} does not speak TLS; using plain HTTP"));
                let plain = format!("http://{host}");
                let r = self
                    .http
                    .send("GET", &format!("{plain}/v2/"), &[], None, Body::Empty)
                    .map_err(SendError::into_error)?;
                Ok((plain, r))
            }
            Err(e) => Err(e.into_error().into()),
        }
    }

    /// Basic auth from the credentials (an identity token is never sent this way).
    fn basic_header(&self) -> Option<String> {
        self.credentials
            .as_ref()
            .filter(|c| !c.identity_token)
            .map(|c| {
                let raw = format!("{}:{}", c.username, c.password.expose());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            })
    }

    /// The `Authorization` value for a request needing `scopes` (the first names `repo`).
    fn authorization(
        &self,
        repo: &Repository,
        state: &HostState,
        scopes: &[String],
        fresh: Option<&Challenge>,
    ) -> Result<Option<String>, RegistryError> {
        let challenge = fresh.unwrap_or(&state.challenge);
        match challenge {
            Challenge::None => Ok(None),
            Challenge::Basic => Ok(self.basic_header()),
            Challenge::Bearer {
                realm,
                service,
                scope: suggested,
            } => {
                let mut scope = scopes.to_vec();
                if let (Some(_), Some(s)) = (fresh, suggested) {
                    if !scope.contains(s) {
                        scope.push(s.clone());
                    }
                }
                let key = format!(
                    "{realm}|{}|{}",
                    service.as_deref().unwrap_or(""),
                    scope.join(" ")
                );
                if fresh.is_none() {
                    if let Some(t) = lock(&self.tokens).get(&key) {
                        return Ok(Some(format!("Bearer {t}")));
                    }
                }
                // Credentials for a token go no lower than the registry's own scheme.
                self.http.allowed(&state.base, realm)?;
                let token = self.fetch_token(repo, realm, service.as_deref(), &scope)?;
                crate::log::register_secret(&token);
                lock(&self.tokens).insert(key, token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// A token for `scopes`; a token answer that breaks off is asked for again.
    fn fetch_token(
        &self,
        repo: &Repository,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<String, RegistryError> {
        net::retry_truncated(|| self.fetch_token_once(repo, realm, service, scopes))
    }

    fn fetch_token_once(
        &self,
        repo: &Repository,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<String, RegistryError> {
        let mut url = url::Url::parse(realm).map_err(|e| RegistryError::BadResponse {
            url: repo.api_host().to_string(),
            detail: format!("token realm `{realm}` is not a URL: {e}"),
        })?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            for s in scopes {
                q.append_pair("scope", s);
            }
        }
        let resp = match self.credentials.as_ref().filter(|c| c.identity_token) {
            // The OAuth2 refresh-token grant docker uses for identity tokens.
            Some(c) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("grant_type", "refresh_token");
                form.append_pair("client_id", "uptick");
                form.append_pair("refresh_token", c.password.expose());
                if let Some(s) = service {
                    form.append_pair("service", s);
                }
                form.append_pair("scope", &scopes.join(" "));
                let form = form.finish();
                let mut post = url.clone();
                post.set_query(None);
                self.http
                    .send(
                        "POST",
                        post.as_str(),
                        &[("Content-Type", "application/x-www-form-urlencoded")],
                        None,
                        Body::Bytes(form.as_bytes()),
                    )
                    .map_err(SendError::into_error)?
            }
            None => {
                let basic = self.basic_header();
                self.http
                    .send("GET", url.as_str(), &[], basic.as_deref(), Body::Empty)
                    .map_err(SendError::into_error)?
            }
        };
        match resp.status {
            200 => {
                let url = resp.url.clone();
                let body = resp.read_limited(MAX_MANIFEST_BYTES)?;
                let parsed: auth::TokenResponse =
                    serde_json::from_slice(&body).map_err(|e| RegistryError::BadResponse {
                        url: url.clone(),
                        detail: format!("token response is not JSON: {e}"),
                    })?;
                parsed.into_token().ok_or(RegistryError::BadResponse {
                    url,
                    detail: "token response has no `token` or `access_token`".into(),
                })
            }
            401 | 403 => {
                let (code, message) = error_info(resp);
                Err(RegistryError::Auth {
                    registry: repo.registry().to_string(),
                    status: 401,
                    code,
                    message,
                })
            }
            _ => Err(status_error("GET", resp)),
        }
    }

    /// Sends a request on `/v2/<repo>/<suffix>` with auth (scope `repository:<repo>:<actions>`).
    fn repo_request(
        &self,
        repo: &Repository,
        method: &str,
        suffix: &str,
        headers: &[(&str, &str)],
        actions: &str,
    ) -> Result<Response, RegistryError> {
        let path = format!("/v2/{}/{}", repo.path(), suffix);
        let scopes = [format!("repository:{}:{}", repo.path(), actions)];
        self.path_request(repo, method, &path, headers, &scopes, Body::Empty)
    }

    /// A request on a path (and query) under the registry's base URL, or on an absolute URL
    /// (an upload `Location`; credentials go only to the registry's own host). When it fails
    /// on a remembered discovery, the registry is pinged afresh and the request tried once more.
    fn path_request(
        &self,
        repo: &Repository,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        scopes: &[String],
        body: Body<'_>,
    ) -> Result<Response, RegistryError> {
        let state = self.host(repo)?;
        let first = self.request_on(&state, repo, method, target, headers, scopes, body);
        if !state.cached {
            return first;
        }
        // A failure, or a 400 (a TLS server answering plain HTTP), may mean the registry at this
        // address changed since it was remembered.
        let why = match first {
            Ok(resp) if resp.status != 400 => return Ok(resp),
            Ok(resp) => {
                drain(resp);
                "400 Bad Request".to_string()
            }
            Err(e) => e.to_string(),
        };
        log::debug(|| format!("remembered discovery failed ({why}); pinging again"));
        self.forget_host(repo);
        let state = self.host(repo)?;
        self.request_on(&state, repo, method, target, headers, scopes, body)
    }

    /// One request with auth; a 401 gets one fresh token and a retry, then is an auth error.
    #[allow(clippy::too_many_arguments)]
    fn request_on(
        &self,
        state: &HostState,
        repo: &Repository,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        scopes: &[String],
        body: Body<'_>,
    ) -> Result<Response, RegistryError> {
        let url = if target.starts_with("http://") || target.starts_with("https://") {
            // An upload `Location` may not take the request down from https to plain http.
            self.http.allowed(&state.base, target)?;
            target.to_string()
        } else {
            format!("{}{}", state.base, target)
        };
        let own_host = net::same_origin(&url, &state.base);
        let auth = if own_host {
            self.authorization(repo, state, scopes, None)?
        } else {
            None
        };
        let resp = self
            .http
            .send(method, &url, headers, auth.as_deref(), body)
            .map_err(SendError::into_error)?;
        if resp.status != 401 || !own_host {
            return Ok(resp);
        }
        let fresh = resp
            .header("WWW-Authenticate")
            .map(auth::parse_challenge)
            .filter(|c| matches!(c, Challenge::Bearer { .. }));
        let resp = match fresh {
            Some(challenge) => {
                drain(resp);
                let auth = self.authorization(repo, state, scopes, Some(&challenge))?;
                let again = self
                    .http
                    .send(method, &url, headers, auth.as_deref(), body)
                    .map_err(SendError::into_error)?;
                if again.status != 401 {
                    return Ok(again);
                }
                again
            }
            None => resp,
        };
        let (code, message) = error_info(resp);
        Err(RegistryError::Auth {
            registry: repo.registry().to_string(),
            status: 401,
            code,
            message,
        })
    }

    fn manifest_request(
        &self,
        repo: &Repository,
        method: &str,
        reference: &str,
    ) -> Result<Response, RegistryError> {
        let suffix = format!("manifests/{reference}");
        self.repo_request(
            repo,
            method,
            &suffix,
            &[("Accept", MANIFEST_ACCEPT)],
            "pull",
        )
    }

    /// The digest `reference` (tag or digest) points at, or `None` when it does not exist.
    /// HEAD first; GET-and-hash when HEAD fails or carries no `Docker-Content-Digest`.
    pub fn manifest_digest(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<Option<Digest>, RegistryError> {
        let resp = self.manifest_request(repo, "HEAD", reference)?;
        match resp.status {
            200 => {
                let announced = resp
                    .header("Docker-Content-Digest")
                    .and_then(|d| d.trim().parse::<Digest>().ok());
                drain(resp);
                match announced {
                    Some(d) if reference.parse::<Digest>().map_or(true, |r| r == d) => {
                        return Ok(Some(d))
                    }
                    _ => log::debug(|| {
                        format!("HEAD {reference}: no usable Docker-Content-Digest; reading the manifest")
                    }),
                }
            }
            404 => return Ok(None),
            // Still failing after the retries: the registry is in trouble, a GET would fare no
            // better. Anything else (405, a HEAD-less proxy) falls back to GET.
            408 | 429 | 500 | 502 | 503 | 504 => return Err(status_error("HEAD", resp)),
            _ => drain(resp),
        }
        Ok(self.get_manifest(repo, reference)?.map(|m| m.digest))
    }

    /// Reads a manifest by tag or digest, verified; `None` when it does not exist.
    pub fn get_manifest(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<Option<Manifest>, RegistryError> {
        net::retry_truncated(|| self.get_manifest_once(repo, reference))
    }

    fn get_manifest_once(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<Option<Manifest>, RegistryError> {
        let resp = self.manifest_request(repo, "GET", reference)?;
        match resp.status {
            200 => {}
            404 => {
                drain(resp);
                return Ok(None);
            }
            _ => return Err(status_error("GET", resp)),
        }
        let url = resp.url.clone();
        let content_type = resp
            .header("Content-Type")
            .map(|s| s.split(';').next().unwrap_or_default().trim().to_string());
        let announced = resp
            .header("Docker-Content-Digest")
            .and_then(|d| d.trim().parse::<Digest>().ok());
        let bytes = resp.read_limited(MAX_MANIFEST_BYTES)?;
        let expected = reference.parse::<Digest>().ok().or(announced);
        let digest = match expected {
            Some(exp) => {
                let actual = exp.same_algorithm_of(&bytes);
                if actual != exp {
                    return Err(RegistryError::DigestMismatch {
                        url,
                        expected: exp.to_string(),
                        actual: actual.to_string(),
                    });
                }
                actual
            }
            None => Digest::sha256_of(&bytes),
        };
        // Only a whole manifest is hashed or trusted: a body cut short (or any other document)
        // must never become a version's digest.
        if !looks_like_manifest(&bytes) {
            return Err(RegistryError::BadResponse {
                url,
                detail: "the answer is not an image manifest or index".into(),
            });
        }
        let media_type = content_type
            .filter(|t| t.starts_with("application/vnd."))
            .or_else(|| media_type_of(&bytes))
            .unwrap_or_default();
        Ok(Some(Manifest {
            media_type,
            bytes,
            digest,
        }))
    }

    /// Every tag of `repo` in registry order, following `Link: rel="next"` (same host only), else
    /// `last=` while full pages come back; `None` when the repository does not exist.
    pub fn list_tags(&self, repo: &Repository) -> Result<Option<Vec<String>>, RegistryError> {
        net::retry_truncated(|| self.list_tags_once(repo))
    }

    fn list_tags_once(&self, repo: &Repository) -> Result<Option<Vec<String>>, RegistryError> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
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
            let scopes = [format!("repository:{}:pull", repo.path())];
            let resp = self.path_request(repo, "GET", &path, &[], &scopes, Body::Empty)?;
            match resp.status {
                200 => {}
                404 if pages == 1 => {
                    drain(resp);
                    return Ok(None);
                }
                _ => return Err(status_error("GET", resp)),
            }
            let url = resp.url.clone();
            let link = resp.header("Link").and_then(next_link);
            let body = resp.read_limited(MAX_TAG_PAGE_BYTES)?;
            let page: Page =
                serde_json::from_slice(&body).map_err(|e| RegistryError::BadResponse {
                    url: url.clone(),
                    detail: format!("tag list is not valid JSON: {e}"),
                })?;
            let page = page.tags.unwrap_or_default();
            // Exactly n: there may be more. More than n: the server ignores n (does not page).
            let full = page.len() == TAGS_PAGE;
            let last = page.last().cloned();
            let mut fresh = 0;
            for t in page {
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
            next = match link {
                // A page of nothing new pointing further: a loop, not more tags.
                Some(_) if fresh == 0 => {
                    log::warn(format_args!("tag list at {url} repeats itself; stopping"));
                    None
                }
                Some(target) => match same_host_path(&url, &target) {
                    Some(p) => Some(p),
                    None => {
                        log::warn(format_args!(
                            "ignoring tag-list Link to another host: {target}"
                        ));
                        None
                    }
                },
                // No Link: a page of exactly n new tags may continue after its last tag.
                None if full && fresh > 0 => last.map(|l| {
                    let mut u = url::form_urlencoded::Serializer::new(String::new());
                    u.append_pair("n", &TAGS_PAGE.to_string());
                    u.append_pair("last", &l);
                    format!("/v2/{}/tags/list?{}", repo.path(), u.finish())
                }),
                None => None,
            };
        }
        Ok(Some(tags))
    }

    /// Streams a blob; the reader fails at end of stream unless the bytes match `digest` (and
    /// `size`, when known), and fails at once past `size`.
    pub fn blob_reader(
        &self,
        repo: &Repository,
        digest: &Digest,
        size: Option<u64>,
    ) -> Result<VerifyingReader<Box<dyn std::io::Read + Send + Sync>>, RegistryError> {
        let resp = net::streaming(|| {
            self.repo_request(repo, "GET", &format!("blobs/{digest}"), &[], "pull")
        })?;
        if resp.status != 200 {
            return Err(status_error("GET", resp));
        }
        let what = format!("{repo}@{digest}");
        let resuming = Resuming {
            client: self.clone(),
            repo: repo.clone(),
            digest: digest.clone(),
            size,
            url: resp.url.clone(),
            inner: resp.into_reader(),
            pos: 0,
            resumes: 0,
        };
        Ok(VerifyingReader::new(Box::new(resuming), digest, size, what))
    }

    /// Reads a small blob (an image config) whole, verified against `digest`.
    pub fn get_blob_small(
        &self,
        repo: &Repository,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        net::retry_truncated(|| self.get_blob_small_once(repo, digest, limit))
    }

    fn get_blob_small_once(
        &self,
        repo: &Repository,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let resp = self.repo_request(repo, "GET", &format!("blobs/{digest}"), &[], "pull")?;
        if resp.status != 200 {
            return Err(status_error("GET", resp));
        }
        let url = resp.url.clone();
        let bytes = resp.read_limited(limit)?;
        let actual = digest.same_algorithm_of(&bytes);
        if &actual != digest {
            return Err(RegistryError::DigestMismatch {
                url,
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}

/// Times a broken blob stream is picked up again.
const BLOB_RESUMES: u32 = 3;

/// A blob stream that, when the connection breaks (or ends short of the known size), asks for
/// the rest with `Range: bytes=<offset>-` and carries on; the digest is still checked over the
/// whole (the caller's `VerifyingReader`). A server ignoring `Range` is read past the offset.
struct Resuming {
    client: Client,
    repo: Repository,
    digest: Digest,
    size: Option<u64>,
    url: String,
    inner: Box<dyn std::io::Read + Send + Sync + 'static>,
    pos: u64,
    resumes: u32,
}

impl Resuming {
    fn reopen(&mut self, why: &str) -> std::io::Result<()> {
        self.resumes += 1;
        log::info(format_args!(
            "reading {} broke off at {} bytes ({why}); resuming {}/{BLOB_RESUMES}",
            self.url, self.pos, self.resumes
        ));
        std::thread::sleep(std::time::Duration::from_millis(
            200 * u64::from(self.resumes),
        ));
        let range = format!("bytes={}-", self.pos);
        let resp = net::streaming(|| {
            self.client.repo_request(
                &self.repo,
                "GET",
                &format!("blobs/{}", self.digest),
                &[("Range", &range)],
                "pull",
            )
        })
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        match resp.status {
            206 => {
                let expected = format!("bytes {}-", self.pos);
                if !resp
                    .header("Content-Range")
                    .is_some_and(|r| r.trim().starts_with(&expected))
                {
                    return Err(std::io::Error::other(format!(
                        "{}: 206 answer does not start at byte {}",
                        resp.url, self.pos
                    )));
                }
                self.inner = resp.into_reader();
            }
            200 => {
                let mut inner = resp.into_reader();
                let skipped = std::io::copy(
                    &mut std::io::Read::take(&mut inner, self.pos),
                    &mut std::io::sink(),
                )?;
                if skipped != self.pos {
                    return Err(std::io::Error::other("blob shorter on the second read"));
                }
                self.inner = inner;
            }
            _ => return Err(std::io::Error::other(status_error("GET", resp).to_string())),
        }
        Ok(())
    }
}

impl std::io::Read for Resuming {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(0) if !buf.is_empty() && self.size.is_some_and(|s| self.pos < s) => {
                    if self.resumes >= BLOB_RESUMES {
                        return Ok(0);
                    }
                    self.reopen("ended early")?;
                }
                Ok(n) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if self.resumes >= BLOB_RESUMES {
                        return Err(e);
                    }
                    self.reopen(&e.to_string())?;
                }
            }
        }
    }
}

impl BrokeOff for RegistryError {
    fn broke_off(&self) -> Option<(&str, &str)> {
        match self {
            RegistryError::Net(e) => e.broke_off(),
            _ => None,
        }
    }
}

/// `target` (absolute or relative to `current`) as a path+query, if it stays on the same host.
fn same_host_path(current: &str, target: &str) -> Option<String> {
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads what is left of a small body so the connection can be reused.
fn drain(resp: Response) {
    let _ = std::io::copy(
        &mut std::io::Read::take(resp.into_reader(), MAX_ERROR_BODY),
        &mut std::io::sink(),
    );
}

/// Whether `bytes` are a JSON manifest or index (schema 2, or a schema 1 manifest).
fn looks_like_manifest(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "schemaVersion")]
        schema_version: u32,
        config: Option<serde::de::IgnoredAny>,
        manifests: Option<serde::de::IgnoredAny>,
        #[serde(rename = "fsLayers")]
        fs_layers: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| {
        matches!(p.schema_version, 1 | 2)
            && (p.config.is_some() || p.manifests.is_some() || p.fs_layers.is_some())
    })
}

fn media_type_of(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
    }
    serde_json::from_slice::<Probe>(bytes).ok()?.media_type
}

/// The registry's own error code and message (`{"errors":[{code,message}]}`), or the status text.
fn error_info(resp: Response) -> (String, String) {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    let status = resp.status;
    let body = resp.read_limited(MAX_ERROR_BODY).unwrap_or_default();
    if let Ok(parsed) = serde_json::from_slice::<Body>(&body) {
        if let Some(first) = parsed.errors.into_iter().next() {
            let code = first.code.unwrap_or_else(|| reason(status).to_string());
            let message = first
                .message
                .filter(|m| !m.is_empty())
                .map(|m| format!(": {}", one_line(&m)))
                .unwrap_or_default();
            return (code, message);
        }
    }
    let text = String::from_utf8_lossy(&body);
    let text = one_line(text.trim());
    let message = if text.is_empty() {
        String::new()
    } else {
        format!(": {}", text.chars().take(200).collect::<String>())
    };
    (reason(status).to_string(), message)
}

fn status_error(method: &str, resp: Response) -> RegistryError {
    let status = resp.status;
    let url = resp.url.clone();
    let (code, message) = error_info(resp);
    RegistryError::Status {
        method: method.to_string(),
        url,
        status,
        code,
        message,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "DENIED",
        404 => "NOT_FOUND",
        405 => "UNSUPPORTED",
        408 => "REQUEST_TIMEOUT",
        429 => "TOOMANYREQUESTS",
        500 => "INTERNAL_SERVER_ERROR",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        _ => "HTTP_ERROR",
    }
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
