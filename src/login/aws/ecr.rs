//! `ECR GetAuthorizationToken` and the once-per-process ECR login built on the chain and STS.

use super::call::{cloud, endpoint, signed_post};
use super::chain::default_chain;
use super::hosts::valid_region;
use super::sts::assume_role;
use crate::log;
use crate::login::sigv4::AwsCredentials;
use crate::net::{Http, TlsSettings};
use crate::protocol::Secret;
use crate::registry::{Credentials, RegistryError};
use base64::Engine as _;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The `aws_*` fields of a source.
pub(crate) struct EcrSettings<'a> {
    /// `aws_region`.
    pub region: &'a str,
    /// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`); else the chain.
    pub static_keys: Option<AwsCredentials>,
    /// Roles assumed in order (`aws_role_arn` or `aws_role_arns`).
    pub role_arns: &'a [String],
}

/// What `GetAuthorizationToken` gave: basic credentials and the registry they are for.
pub(crate) struct EcrLogin {
    /// `AWS` and the 12-hour password.
    pub credentials: Credentials,
    /// `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub proxy_host: String,
}

/// Logs in to ECR (cached for the process: one exchange however many clients ask).
pub(crate) async fn ecr_login(settings: &EcrSettings<'_>) -> Result<Arc<EcrLogin>, RegistryError> {
    static CACHE: OnceLock<tokio::sync::Mutex<HashMap<String, Arc<EcrLogin>>>> = OnceLock::new();
    let key = format!(
        "{}|{}|{}",
        settings.region,
        settings
            .static_keys
            .as_ref()
            .map_or("<chain>", |k| k.access_key_id.as_str()),
        settings.role_arns.join(",")
    );
    // Held across the exchange: concurrent callers wait for the one login.
    let mut cache = CACHE
        .get_or_init(|| tokio::sync::Mutex::new(HashMap::new()))
        .lock()
        .await;
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.clone());
    }
    if !valid_region(settings.region) {
        return Err(RegistryError::Credentials(format!(
            "aws_region `{}` is not a region name (like us-east-1)",
            settings.region
        )));
    }
    let http = Http::new(TlsSettings::default());
    let mut creds = match &settings.static_keys {
        Some(k) => k.clone(),
        None => default_chain(&http, settings.region).await?,
    };
    for arn in settings.role_arns {
        log::debug(|| format!("assuming role {arn}"));
        creds = assume_role(&http, settings.region, &creds, arn).await?;
    }
    let login = Arc::new(get_authorization_token(&http, settings.region, &creds).await?);
    cache.insert(key, login.clone());
    Ok(login)
}

/// `ECR GetAuthorizationToken` → `AWS:<password>` and the proxy endpoint.
async fn get_authorization_token(
    http: &Http,
    region: &str,
    creds: &AwsCredentials,
) -> Result<EcrLogin, RegistryError> {
    const WHAT: &str = "ECR GetAuthorizationToken";
    let url = endpoint("ECR", "api.ecr", region);
    let (status, body) = signed_post(
        http,
        WHAT,
        &url,
        creds,
        region,
        "ecr",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            (
                "X-Amz-Target",
                "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken",
            ),
        ],
        b"{}",
    )
    .await?;
    if status != 200 {
        return Err(cloud(WHAT, &url, json_error(status, &body)));
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        authorization_token: String,
        proxy_endpoint: String,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        authorization_data: Vec<Data>,
    }
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|e| cloud(WHAT, &url, format!("unexpected answer: {e}")))?;
    let data = answer
        .authorization_data
        .into_iter()
        .next()
        .ok_or_else(|| cloud(WHAT, &url, "no authorizationData in the answer"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(data.authorization_token.trim())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or_else(|| cloud(WHAT, &url, "authorizationToken is not base64 text"))?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or_else(|| cloud(WHAT, &url, "authorizationToken is not user:password"))?;
    let proxy_host = data
        .proxy_endpoint
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    log::debug(|| format!("ECR login for {proxy_host} obtained"));
    Ok(EcrLogin {
        credentials: Credentials {
            username: user.to_string(),
            password: Secret::from(password.trim().to_string()),
            identity_token: false,
            from: crate::registry::CredentialSource::Cloud("the ECR login (`aws_region`)"),
        },
        proxy_host,
    })
}

/// `400 UnrecognizedClientException: message` from an AWS JSON error.
pub(super) fn json_error(status: u16, body: &[u8]) -> String {
    #[derive(serde::Deserialize, Default)]
    struct E {
        #[serde(default, rename = "__type")]
        kind: String,
        #[serde(default, alias = "Message")]
        message: String,
    }
    let e: E = serde_json::from_slice(body).unwrap_or_default();
    let kind = e.kind.rsplit('#').next().unwrap_or("").to_string();
    format!("{status} {kind}: {}", e.message)
        .trim_end_matches(": ")
        .to_string()
}
