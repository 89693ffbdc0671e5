//! One authenticated request on a registry: the base URL, credentials for its own origin only,
//! one fresh token on a 401, a fresh ping when a remembered discovery fails; error bodies read
//! for the registry's own code.

use super::auth::{self, Challenge};
use super::{Client, CredentialSource, HostState, RegistryError, Repository};
use crate::log;
use crate::net::{self, Body, Response, SendError};
use std::sync::Mutex;

const MAX_ERROR_BODY: u64 = 64 * 1024;

impl Client {
    /// Sends a request on `/v2/<repo>/<suffix>` with auth (scope `repository:<repo>:<actions>`).
    pub(super) async fn repo_request(
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
            .await
    }

    /// A request on a path (and query) under the registry's base URL, or on an absolute URL
    /// (an upload `Location`; credentials go only to the registry's own host). When it fails
    /// on a remembered discovery, the registry is pinged afresh and the request tried once more.
    pub(super) async fn path_request(
        &self,
        repo: &Repository,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        scopes: &[String],
        body: Body<'_>,
    ) -> Result<Response, RegistryError> {
        let state = self.host(repo).await?;
        let first = self
            .request_on(&state, repo, method, target, headers, scopes, body)
            .await;
        if !state.cached {
            return first;
        }
        // A failure, or a 400 (a TLS server answering plain HTTP), may mean the registry at this
        // address changed since it was remembered.
        let why = match first {
            Ok(resp) if resp.status != 400 => return Ok(resp),
            Ok(resp) => {
                drain(resp).await;
                "400 Bad Request".to_string()
            }
            Err(e) => e.to_string(),
        };
        log::debug(|| format!("remembered discovery failed ({why}); pinging again"));
        self.forget_host(repo);
        let state = self.host(repo).await?;
        self.request_on(&state, repo, method, target, headers, scopes, body)
            .await
    }

    /// One request with auth; a 401 gets one fresh token and a retry, then is an auth error.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn request_on(
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
            self.authorization(repo, state, scopes, None).await?
        } else {
            None
        };
        let resp = self
            .http
            .send(method, &url, headers, auth.as_deref(), body)
            .await
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
                drain(resp).await;
                let auth = self
                    .authorization(repo, state, scopes, Some(&challenge))
                    .await?;
                let again = self
                    .http
                    .send(method, &url, headers, auth.as_deref(), body)
                    .await
                    .map_err(SendError::into_error)?;
                if again.status != 401 {
                    return Ok(again);
                }
                again
            }
            None => resp,
        };
        Err(self.auth_error(repo, resp).await)
    }

    /// Credentials refused (or missing): the registry named, with its own code and message, and
    /// where the credentials sent came from.
    pub(super) async fn auth_error(&self, repo: &Repository, resp: Response) -> RegistryError {
        let status = resp.status;
        let (code, message) = error_info(resp).await;
        RegistryError::Auth {
            registry: repo.registry().to_string(),
            status,
            code,
            message,
            tried: CredentialSource::tried(self.credentials.as_ref().map(|c| &c.from)),
        }
    }
}

/// Locks a mutex, taking over a poisoned one (the data stay consistent: plain maps).
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads what is left of a small body so the connection can be reused.
pub(super) async fn drain(resp: Response) {
    let _ = resp.read_limited(MAX_ERROR_BODY).await;
}

/// The registry's own error code and message (`{"errors":[{code,message}]}`), or the status text.
pub(super) async fn error_info(resp: Response) -> (String, String) {
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
    let body = resp.read_limited(MAX_ERROR_BODY).await.unwrap_or_default();
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

pub(super) async fn status_error(method: &str, resp: Response) -> RegistryError {
    let status = resp.status;
    let url = resp.url.clone();
    let (code, message) = error_info(resp).await;
    RegistryError::Status {
        method: method.to_string(),
        url,
        status,
        code,
        message,
    }
}

pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn reason(status: u16) -> &'static str {
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
