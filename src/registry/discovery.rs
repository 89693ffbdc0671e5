//! Where a registry answers and which auth it asks for: this run's memory, the discovery cache,
//! else the `/v2/` ping (https first, plain http only on loopback or with `insecure`).

use super::auth::{self, Challenge};
use super::request::{drain, lock, status_error};
use super::{hostcache, Client, HostState, RegistryError, Repository};
use crate::log;
use crate::net::{Body, Response, SendError};
use std::sync::Arc;

impl Client {
    /// Where `repo`'s registry answers and which auth it asks for: from this run, else from the
    /// discovery cache (a scheme the ping could not have chosen is never taken from it), else
    /// the `/v2/` ping.
    pub(super) async fn host(&self, repo: &Repository) -> Result<Arc<HostState>, RegistryError> {
        let host = repo.api_host().to_string();
        if let Some(state) = lock(&self.hosts).get(&host) {
            return Ok(state.clone());
        }
        let _discovering = self.discovering.lock().await;
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
                let (base, resp) = self.ping(&host, allow_http).await?;
                let challenge = match resp.status {
                    401 => resp
                        .header("WWW-Authenticate")
                        .map_or(Challenge::None, auth::parse_challenge),
                    s if s >= 500 => return Err(status_error("GET", resp).await),
                    _ => Challenge::None,
                };
                drain(resp).await;
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

    /// Drops a remembered discovery that just failed, so the next `host().await` pings again.
    pub(super) fn forget_host(&self, repo: &Repository) {
        let host = repo.api_host();
        lock(&self.hosts).remove(host);
        hostcache::forget(host);
    }

    /// HTTPS first; plain HTTP when the server does not speak TLS and the host is loopback or
    /// `insecure` is set (go-containerregistry's rule, minus its RFC 1918 / `.local` downgrade).
    pub(super) async fn ping(
        &self,
        host: &str,
        allow_http: bool,
    ) -> Result<(String, Response), RegistryError> {
        let https = format!("https://{host}");
        match self
            .http
            .send("GET", &format!("{https}/v2/"), &[], None, Body::Empty)
            .await
        {
            Ok(r) => Ok((https, r)),
            Err(SendError::WrongProtocol(_)) if allow_http => {
                log::debug(|| format!("{host} does not speak TLS; using plain HTTP"));
                let plain = format!("http://{host}");
                let r = self
                    .http
                    .send("GET", &format!("{plain}/v2/"), &[], None, Body::Empty)
                    .await
                    .map_err(SendError::into_error)?;
                Ok((plain, r))
            }
            Err(e) => Err(e.into_error().into()),
        }
    }
}
