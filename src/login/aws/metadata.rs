//! Credentials from link-local metadata: the ECS/EKS container endpoint and EC2 IMDSv2.

use super::call::{cloud, env};
use crate::log;
use crate::login::sigv4::AwsCredentials;
use crate::net;
use crate::protocol::Secret;
use crate::registry::RegistryError;
use std::time::Duration;

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct JsonCredentials {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, alias = "SessionToken")]
    token: Option<String>,
}

impl JsonCredentials {
    pub(super) fn into_credentials(self) -> AwsCredentials {
        AwsCredentials {
            access_key_id: self.access_key_id,
            secret_access_key: Secret::from(self.secret_access_key),
            session_token: self.token.map(Secret::from),
        }
    }
}

/// Link-local metadata endpoints are absent off-cloud: 1 s to connect, 5 s in all.
const METADATA: net::MetadataTimeouts = net::MetadataTimeouts {
    connect: Duration::from_secs(1),
    total: Duration::from_secs(5),
};

/// A metadata GET/PUT that must answer 200: its body as text.
async fn metadata_text(
    what: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
) -> Result<String, RegistryError> {
    let answer = net::metadata_request(method, url, headers, METADATA)
        .await
        .map_err(|e| cloud(what, url, e.to_string()))?;
    if answer.status != 200 {
        return Err(cloud(what, url, answer.status.to_string()));
    }
    String::from_utf8(answer.body).map_err(|_| cloud(what, url, "answer is not UTF-8"))
}

/// ECS / EKS Pod Identity: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI` (loopback,
/// the ECS/EKS link-local addresses, or https only).
pub(super) async fn container_credentials() -> Result<Option<AwsCredentials>, RegistryError> {
    let url = if let Some(rel) = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        format!("http://169.254.170.2{rel}")
    } else if let Some(full) = env("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        full
    } else {
        return Ok(None);
    };
    const WHAT: &str = "container credentials";
    let parsed = url::Url::parse(&url).map_err(|e| cloud(WHAT, &url, e.to_string()))?;
    let allowed = parsed.scheme() == "https"
        || match parsed.host() {
            Some(url::Host::Ipv4(ip)) => {
                ip.is_loopback()
                    || ip.octets() == [169, 254, 170, 2]
                    || ip.octets() == [169, 254, 170, 23]
            }
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
    if !allowed {
        return Err(cloud(
            WHAT,
            &url,
            "plain-HTTP endpoint is not loopback or the ECS/EKS address",
        ));
    }
    let token = match env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(f) => Some(
            std::fs::read_to_string(&f)
                .map_err(|e| RegistryError::Credentials(format!("{f}: {e}")))?
                .trim()
                .to_string(),
        ),
        None => env("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    let auth: Vec<(&str, &str)> = token
        .iter()
        .map(|t| ("Authorization", t.as_str()))
        .collect();
    let body = metadata_text(WHAT, "GET", &url, &auth).await?;
    let creds: JsonCredentials = serde_json::from_str(&body)
        .map_err(|_| cloud(WHAT, &url, "answer holds no AccessKeyId/SecretAccessKey"))?;
    log::debug(|| "AWS credentials from the container endpoint".to_string());
    Ok(Some(creds.into_credentials()))
}

/// EC2 instance role through IMDSv2 (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, off with
/// `AWS_EC2_METADATA_DISABLED=true`). `None` when no metadata service answers.
pub(super) async fn instance_credentials() -> Result<Option<AwsCredentials>, RegistryError> {
    if env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    const WHAT: &str = "instance metadata";
    let base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or_else(|| "http://169.254.169.254".into())
        .trim_end_matches('/')
        .to_string();
    let token_url = format!("{base}/latest/api/token");
    let ttl = [("X-aws-ec2-metadata-token-ttl-seconds", "21600")];
    let token = match net::metadata_request("PUT", &token_url, &ttl, METADATA).await {
        Ok(a) if a.status == 200 => {
            String::from_utf8(a.body).map_err(|_| cloud(WHAT, &token_url, "answer is not UTF-8"))?
        }
        Ok(a) => return Err(cloud(WHAT, &token_url, a.status.to_string())),
        // Nothing answers: not on EC2.
        Err(_) => return Ok(None),
    };
    crate::log::register_secret(&token);
    let list_url = format!("{base}/latest/meta-data/iam/security-credentials/");
    let auth = [("X-aws-ec2-metadata-token", token.trim())];
    let roles = metadata_text(WHAT, "GET", &list_url, &auth).await?;
    let role = roles
        .lines()
        .next()
        .map(str::trim)
        .filter(|r| !r.is_empty() && !r.contains('/'))
        .ok_or_else(|| cloud(WHAT, &list_url, "the instance has no IAM role"))?;
    let role_url = format!("{list_url}{role}");
    let creds: JsonCredentials = serde_json::from_str(
        &metadata_text(WHAT, "GET", &role_url, &auth).await?,
    )
    .map_err(|_| {
        cloud(
            WHAT,
            &role_url,
            "answer holds no AccessKeyId/SecretAccessKey",
        )
    })?;
    log::debug(|| format!("AWS credentials from the instance role {role}"));
    Ok(Some(creds.into_credentials()))
}
