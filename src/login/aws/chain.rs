//! The default AWS credential chain, in the SDKs' order.

use super::call::env;
use super::metadata::{container_credentials, instance_credentials};
use super::profile::{load_profile, profile_credentials};
use super::sts::assume_role_with_web_identity;
use crate::log;
use crate::login::sigv4::AwsCredentials;
use crate::net::Http;
use crate::protocol::Secret;
use crate::registry::RegistryError;

/// The default chain, as the AWS SDKs order it: environment, shared profile, web identity,
/// container credentials, instance metadata (IMDSv2).
pub(super) async fn default_chain(
    http: &Http,
    region: &str,
) -> Result<AwsCredentials, RegistryError> {
    if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        log::debug(|| "AWS credentials from the environment".to_string());
        return Ok(AwsCredentials {
            access_key_id: id,
            secret_access_key: Secret::from(secret),
            session_token: env("AWS_SESSION_TOKEN").map(Secret::from),
        });
    }
    let explicit_profile = env("AWS_PROFILE").or_else(|| env("AWS_DEFAULT_PROFILE"));
    let profile_name = explicit_profile
        .clone()
        .unwrap_or_else(|| "default".to_string());
    match load_profile(&profile_name)? {
        Some(p) => {
            log::debug(|| format!("AWS credentials from profile {profile_name}"));
            return profile_credentials(http, region, &profile_name, &p, 0).await;
        }
        None if explicit_profile.is_some() => {
            return Err(RegistryError::Credentials(format!(
                "AWS profile `{profile_name}` is in neither the credentials nor the config file"
            )))
        }
        None => {}
    }
    if let (Some(file), Some(arn)) = (env("AWS_WEB_IDENTITY_TOKEN_FILE"), env("AWS_ROLE_ARN")) {
        log::debug(|| "AWS credentials from web identity".to_string());
        return assume_role_with_web_identity(
            http,
            region,
            &arn,
            &file,
            env("AWS_ROLE_SESSION_NAME").as_deref(),
        )
        .await;
    }
    if let Some(creds) = container_credentials().await? {
        return Ok(creds);
    }
    if let Some(creds) = instance_credentials().await? {
        return Ok(creds);
    }
    Err(RegistryError::Credentials(
        "no AWS credentials: set aws_access_key_id and aws_secret_access_key, or give the worker \
         credentials (AWS_* environment, a profile, web identity, a container or instance role)"
            .into(),
    ))
}
