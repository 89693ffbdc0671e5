//! The OCI distribution protocol and nothing else: one client per registry and credentials,
//! split by job (discovery, tokens, requests, manifests, tags, blobs, push).

pub(crate) mod auth;
pub(crate) mod blobcache;
mod blobs;
mod discovery;
pub(crate) mod error;
pub(crate) mod hostcache;
mod manifests;
pub(crate) mod push;
pub(crate) mod reference;
pub(crate) mod referrers;
mod request;
mod tags;
mod tokens;

pub(crate) use error::{CredentialSource, RegistryError};
pub(crate) use manifests::{Manifest, MAX_MANIFEST_BYTES};
pub use reference::{Reference, Repository};

pub(crate) use crate::net::Body;
use crate::net::{BrokeOff, Http, TlsSettings};
use crate::protocol::Secret;
use auth::Challenge;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A user name and password (or token) for one registry.
#[derive(Clone, Debug)]
pub(crate) struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token; never logged.
    pub password: Secret,
    /// `password` is an OAuth2 refresh token (a docker `identitytoken`): token requests POST it
    /// (`grant_type=refresh_token`) instead of sending basic auth.
    pub identity_token: bool,
    /// Where they came from, for an authentication error to name.
    pub from: CredentialSource,
}

/// How to reach one registry.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientOptions {
    /// `insecure` / `ca_certs`.
    pub tls: TlsSettings,
    /// Used only when both user and password are set.
    pub credentials: Option<Credentials>,
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
pub(crate) struct Client(Arc<ClientState>);

impl std::ops::Deref for Client {
    type Target = ClientState;
    fn deref(&self) -> &ClientState {
        &self.0
    }
}

/// What a [`Client`] holds.
pub(crate) struct ClientState {
    http: Http,
    insecure: bool,
    credentials: Option<Credentials>,
    hosts: Mutex<HashMap<String, Arc<HostState>>>,
    tokens: Mutex<HashMap<String, String>>,
    /// Held while a host is discovered, so concurrent requests ping once.
    discovering: tokio::sync::Mutex<()>,
}

impl Client {
    /// A client; `ca_certs` are checked now, nothing is sent yet.
    pub(crate) fn new(options: ClientOptions) -> Result<Client, RegistryError> {
        let insecure = options.tls.insecure;
        let http = Http::new(options.tls);
        http.validate()?;
        Ok(Client(Arc::new(ClientState {
            http,
            insecure,
            credentials: options.credentials,
            hosts: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            discovering: tokio::sync::Mutex::new(()),
        })))
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
