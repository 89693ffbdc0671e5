//! Credentials on the wire: basic auth, and bearer tokens fetched (or refreshed with an identity
//! token) from the realm a challenge names, cached per scope for the run.

use super::auth::{self, Challenge};
use super::request::{lock, status_error};
use super::{Client, HostState, RegistryError, Repository, MAX_MANIFEST_BYTES};
use crate::net::{self, Body, SendError};
use base64::Engine as _;

impl Client {
    /// Basic auth from the credentials (an identity token is never sent this way).
    pub(super) fn basic_header(&self) -> Option<String> {
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
    pub(super) async fn authorization(
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
                let token = self
                    .fetch_token(repo, realm, service.as_deref(), &scope)
                    .await?;
                crate::log::register_secret(&token);
                lock(&self.tokens).insert(key, token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// A token for `scopes`; a token answer that breaks off is asked for again.
    pub(super) async fn fetch_token(
        &self,
        repo: &Repository,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<String, RegistryError> {
        net::retry_truncated(|| self.fetch_token_once(repo, realm, service, scopes)).await
    }

    pub(super) async fn fetch_token_once(
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
                let form = {
                    let mut form = url::form_urlencoded::Serializer::new(String::new());
                    form.append_pair("grant_type", "refresh_token");
                    form.append_pair("client_id", "uptick");
                    form.append_pair("refresh_token", c.password.expose());
                    if let Some(s) = service {
                        form.append_pair("service", s);
                    }
                    form.append_pair("scope", &scopes.join(" "));
                    form.finish()
                };
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
                    .await
                    .map_err(SendError::into_error)?
            }
            None => {
                let basic = self.basic_header();
                self.http
                    .send("GET", url.as_str(), &[], basic.as_deref(), Body::Empty)
                    .await
                    .map_err(SendError::into_error)?
            }
        };
        match resp.status {
            200 => {
                let url = resp.url.clone();
                let body = resp.read_limited(MAX_MANIFEST_BYTES).await?;
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
            401 | 403 => Err(self.auth_error(repo, resp).await),
            _ => Err(status_error("GET", resp).await),
        }
    }
}
