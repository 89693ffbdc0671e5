//! Credential providers: the cloud logins (ECR with the AWS chain, Azure ACR managed identity)
//! behind one trait, and docker `config.json` (auths, helpers, identity tokens).

pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod dockerconfig;
pub(crate) mod sigv4;

use crate::net::TlsSettings;
use crate::protocol::ImageSource;
use crate::registry::{Credentials, RegistryError, Repository};
use std::future::Future;
use std::pin::Pin;

/// What a cloud login gives: credentials for the origin registry and, when the source did not
/// name the registry, the host it is on (ECR's proxy endpoint).
pub(crate) struct Login {
    /// Replace `username`/`password` on the origin.
    pub credentials: Credentials,
    /// The registry host to put in front of `source.repository` (ECR without `aws_account_id`
    /// and without a host in `repository`).
    pub registry: Option<String>,
}

/// The future a provider's login is.
pub(crate) type LoginFuture<'a> = Pin<Box<dyn Future<Output = Result<Login, RegistryError>> + 'a>>;

/// A cloud login: read from the source before any request, run before the origin's first
/// request. Adding one is its own file plus one line in [`PROVIDERS`].
pub(crate) trait CloudLogin: Send + Sync {
    /// The repository as the provider reads the source, when it differs from
    /// `source.repository` (ECR's `aws_account_id` names the account's registry).
    fn repository(&self) -> Option<String> {
        None
    }
    /// Exchanges the worker's identity for credentials to `origin` (the source's TLS settings
    /// for any request to the registry itself).
    fn login<'a>(&'a self, origin: &'a Repository, tls: &'a TlsSettings) -> LoginFuture<'a>;
}

/// A source field combination a provider refuses.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {detail}")]
pub(crate) struct LoginFieldError {
    /// The field (`source.aws_role_arn`).
    pub field: &'static str,
    /// What is wrong.
    pub detail: String,
}

/// Reads the provider's fields from a source: `Ok(None)` when the source does not ask for it.
pub(crate) type ProviderOf =
    fn(&ImageSource) -> Result<Option<Box<dyn CloudLogin>>, LoginFieldError>;

/// The registries a source allows a cloud login's tokens to reach besides the cloud's own
/// (`cloud_login_hosts`), as [`Repository::registry`] names them.
pub(crate) fn allowed_hosts(source: &ImageSource) -> Result<Vec<String>, LoginFieldError> {
    source
        .cloud_login_hosts
        .iter()
        .map(|h| {
            let parsed = Repository::parse(&format!("{}/x", h.trim()))
                .ok()
                .filter(|r| r.path() == "x" && !h.contains('/'));
            parsed
                .map(|r| r.registry().to_string())
                .ok_or_else(|| LoginFieldError {
                    field: "source.cloud_login_hosts",
                    detail: format!("`{h}` is not a registry host (`host` or `host:port`)"),
                })
        })
        .collect()
}

/// Whether `cloud`'s tokens may go to `registry`: a host the cloud owns (`owned`), or one the
/// source lists in `cloud_login_hosts`; else the error says where they go and how to allow it.
pub(crate) fn check_host(
    cloud: &Cloud,
    registry: &str,
    owned: bool,
    allowed: &[String],
) -> Result<(), LoginFieldError> {
    if owned || allowed.iter().any(|a| a.eq_ignore_ascii_case(registry)) {
        return Ok(());
    }
    Err(LoginFieldError {
        field: cloud.field,
        detail: format!(
            "`{registry}` is not {}: {} go only there (list `{registry}` in \
             source.cloud_login_hosts to send them to it)",
            cloud.hosts, cloud.tokens
        ),
    })
}

/// How a cloud's hosts and tokens are named in [`check_host`]'s refusal.
pub(crate) struct Cloud {
    /// The field that turned the login on (`source.azure_acr`).
    pub field: &'static str,
    /// The hosts it owns (`an ACR host of AzurePublic (*.azurecr.io)`).
    pub hosts: String,
    /// What it sends (`the managed identity's tokens`).
    pub tokens: &'static str,
}

/// Every cloud login, asked in this order; the first the source asks for is used (as
/// registry-image-resource: `aws_region` turns ECR on, then `azure_acr`).
pub(crate) const PROVIDERS: &[ProviderOf] = &[aws::provider, azure::provider];

/// The cloud login `source` asks for, its fields checked; none: `username`/`password`, a
/// docker config, or anonymous.
pub(crate) fn provider(
    source: &ImageSource,
) -> Result<Option<Box<dyn CloudLogin>>, LoginFieldError> {
    for of in PROVIDERS {
        if let Some(p) = of(source)? {
            return Ok(Some(p));
        }
    }
    if !source.cloud_login_hosts.is_empty() {
        return Err(LoginFieldError {
            field: "source.cloud_login_hosts",
            detail: "only means something with a cloud login (aws_region or azure_acr)".into(),
        });
    }
    Ok(None)
}
