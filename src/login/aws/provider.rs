//! The ECR [`CloudLogin`](crate::login::CloudLogin): the `aws_*` source fields read and checked.

use super::ecr::{ecr_login, EcrSettings};
use super::hosts::{check_registry, ecr_repository};
use crate::log;
use crate::login::sigv4::AwsCredentials;
use crate::net::TlsSettings;
use crate::registry::RegistryError;

/// The ECR login a source asks for (`aws_region`), as a [`crate::login::CloudLogin`].
pub(crate) struct Ecr {
    region: String,
    static_keys: Option<AwsCredentials>,
    role_arns: Vec<String>,
    /// The account's registry form of `repository` (`aws_account_id`).
    account_repository: Option<String>,
    /// `repository` names its registry (a host, or `aws_account_id`); else the login's proxy
    /// endpoint names it.
    named: bool,
    /// `cloud_login_hosts`.
    allowed: Vec<String>,
}

/// Reads the ECR login from `source` (as upstream: `aws_region` turns it on).
pub(crate) fn provider(
    source: &crate::protocol::ImageSource,
) -> Result<Option<Box<dyn crate::login::CloudLogin>>, crate::login::LoginFieldError> {
    let has_aws_fields = source.aws_access_key_id.is_some()
        || source.aws_secret_access_key.is_some()
        || source.aws_role_arn.is_some()
        || !source.aws_role_arns.is_empty()
        || source.aws_account_id.is_some();
    let Some(region) = source.aws_region.clone().filter(|r| !r.is_empty()) else {
        if has_aws_fields {
            log::info(format_args!(
                "source has aws_* fields but no aws_region: no ECR login (set aws_region to log in)"
            ));
        }
        return Ok(None);
    };
    if source.aws_role_arn.is_some() && !source.aws_role_arns.is_empty() {
        return Err(crate::login::LoginFieldError {
            field: "source.aws_role_arn",
            detail: "cannot be set together with aws_role_arns".into(),
        });
    }
    if source.aws_ecr_registry_id.is_some() {
        log::info(format_args!(
            "source.aws_ecr_registry_id is no longer needed and is ignored"
        ));
    }
    let role_arns = match &source.aws_role_arn {
        Some(r) => vec![r.clone()],
        None => source.aws_role_arns.clone(),
    };
    let static_keys = match (&source.aws_access_key_id, &source.aws_secret_access_key) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.expose().is_empty() => {
            Some(AwsCredentials {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: source
                    .aws_session_token
                    .clone()
                    .filter(|t| !t.expose().is_empty()),
            })
        }
        _ => None,
    };
    let account = source.aws_account_id.as_deref().filter(|a| !a.is_empty());
    let first = source.repository.split('/').next().unwrap_or("");
    let names_host = source.repository.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    let account_repository =
        account.map(|account| ecr_repository(&source.repository, Some(account), &region, ""));
    // The token goes to the registry the source names: refused now, before any request,
    // unless it is ECR's (or listed). An unparseable name is reported when the plan reads it.
    let allowed = crate::login::allowed_hosts(source)?;
    let named = account_repository
        .as_deref()
        .or(names_host.then_some(source.repository.as_str()));
    if let Some(Ok(repository)) = named.map(crate::registry::Repository::parse) {
        check_registry(repository.api_host(), &allowed)?;
    }
    Ok(Some(Box::new(Ecr {
        account_repository,
        named: names_host || account.is_some(),
        region,
        static_keys,
        role_arns,
        allowed,
    })))
}

impl crate::login::CloudLogin for Ecr {
    fn repository(&self) -> Option<String> {
        self.account_repository.clone()
    }

    fn login<'a>(
        &'a self,
        origin: &'a crate::registry::Repository,
        _tls: &'a TlsSettings,
    ) -> crate::login::LoginFuture<'a> {
        Box::pin(async move {
            let refused =
                |e: crate::login::LoginFieldError| RegistryError::Credentials(e.to_string());
            if self.named {
                check_registry(origin.api_host(), &self.allowed).map_err(refused)?;
            }
            let login = ecr_login(&EcrSettings {
                region: &self.region,
                static_keys: self.static_keys.clone(),
                role_arns: &self.role_arns,
            })
            .await?;
            if !self.named {
                check_registry(&login.proxy_host, &self.allowed).map_err(refused)?;
            }
            Ok(crate::login::Login {
                credentials: login.credentials.clone(),
                registry: (!self.named).then(|| login.proxy_host.clone()),
            })
        })
    }
}
