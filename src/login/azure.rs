//! Azure ACR login with a managed identity: metadata-endpoint AAD token → `/oauth2/exchange` →
//! an ACR refresh token used as the password of the null-GUID user.

use crate::log;
use crate::net::{Body, Http, SendError};
use crate::protocol::Secret;
use crate::registry::{Credentials, RegistryError};
use std::time::Duration;

/// The `azure_*` fields of a source.
pub struct AcrSettings<'a> {
    /// The registry host (`myreg.azurecr.io`).
    pub registry: &'a str,
    /// `azure_client_id`: a user-assigned identity.
    pub client_id: Option<&'a str>,
    /// `azure_tenant_id`: skips the challenge round trip.
    pub tenant_id: Option<&'a str>,
    /// `azure_environment`: `AzurePublic`, `AzureGovernment`, `AzureChina`.
    pub environment: Option<&'a str>,
    /// Plain HTTP allowed (loopback or `insecure`).
    pub allow_http: bool,
}

/// The user name ACR expects with a refresh token.
pub const NULL_GUID: &str = "00000000-0000-0000-0000-000000000000";

fn cloud(what: &str, url: &str, detail: impl Into<String>) -> RegistryError {
    RegistryError::Cloud {
        what: what.to_string(),
        url: crate::net::redact_url(url),
        detail: detail.into(),
    }
}

/// The management resource for the AAD token: from `azure_environment`, else the registry's
/// domain (`.azurecr.us` Government, `.azurecr.cn` China, else public).
pub fn management_resource(
    registry: &str,
    environment: Option<&str>,
) -> Result<&'static str, RegistryError> {
    const PUBLIC: &str = "https://management.azure.com/";
    const GOV: &str = "https://management.usgovcloudapi.net/";
    const CHINA: &str = "https://management.chinacloudapi.cn/";
    match environment.filter(|e| !e.is_empty()) {
        Some("AzurePublic") => Ok(PUBLIC),
        Some("AzureGovernment") => Ok(GOV),
        Some("AzureChina") => Ok(CHINA),
        Some(other) => Err(RegistryError::Credentials(format!(
            "azure_environment `{other}` is not AzurePublic, AzureGovernment or AzureChina"
        ))),
        None => {
            let host = registry
                .split(':')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            Ok(if host.ends_with(".azurecr.us") {
                GOV
            } else if host.ends_with(".azurecr.cn") {
                CHINA
            } else {
                PUBLIC
            })
        }
    }
}

/// Logs in: returns the null-GUID user with an ACR refresh token.
pub async fn acr_login(http: &Http, s: &AcrSettings<'_>) -> Result<Credentials, RegistryError> {
    let resource = management_resource(s.registry, s.environment)?;
    let aad = managed_identity_token(resource, s.client_id).await?;
    let (base, challenge) = registry_base(http, s).await?;
    let tenant = match s.tenant_id.filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => challenge_tenant(challenge.as_deref()),
    };
    let url = format!("{base}/oauth2/exchange");
    const WHAT: &str = "ACR token exchange";
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "access_token")
        .append_pair("service", s.registry)
        .append_pair("tenant", &tenant)
        .append_pair("access_token", aad.expose())
        .finish();
    let resp = http
        .send(
            "POST",
            &url,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            None,
            Body::Bytes(form.as_bytes()),
        )
        .await
        .map_err(|e| cloud(WHAT, &url, e.into_error().to_string()))?;
    let status = resp.status;
    let body = resp.read_limited(1024 * 1024).await?;
    if status != 200 {
        let mut hint = String::new();
        if s.tenant_id.is_some() {
            hint = " (azure_tenant_id must be the registry's tenant)".into();
        }
        return Err(cloud(
            WHAT,
            &url,
            format!("{status} {}{hint}", short(&body)),
        ));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        refresh_token: String,
    }
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|_| cloud(WHAT, &url, "answer holds no refresh_token"))?;
    if answer.refresh_token.is_empty() {
        return Err(cloud(WHAT, &url, "empty refresh_token"));
    }
    log::debug(|| format!("ACR refresh token for {} obtained", s.registry));
    Ok(Credentials {
        username: NULL_GUID.into(),
        password: Secret::from(answer.refresh_token),
        identity_token: false,
    })
}

/// The registry's error body, one line, bounded (ACR's are small JSON documents, never secrets).
fn short(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect()
}

/// `https://<registry>` (or plain HTTP when allowed and the registry does not speak TLS), and
/// the `WWW-Authenticate` its `/v2/` answered with.
async fn registry_base(
    http: &Http,
    s: &AcrSettings<'_>,
) -> Result<(String, Option<String>), RegistryError> {
    let https = format!("https://{}", s.registry);
    let (base, resp) = match http
        .send("GET", &format!("{https}/v2/"), &[], None, Body::Empty)
        .await
    {
        Ok(resp) => (https, resp),
        Err(SendError::WrongProtocol(_)) if s.allow_http => {
            let plain = format!("http://{}", s.registry);
            let resp = http
                .send("GET", &format!("{plain}/v2/"), &[], None, Body::Empty)
                .await
                .map_err(SendError::into_error)?;
            (plain, resp)
        }
        Err(e) => return Err(e.into_error().into()),
    };
    let challenge = resp.header("WWW-Authenticate").map(str::to_string);
    Ok((base, challenge))
}

/// The tenant from a challenge's realm (`…/oauth2/exchange?tenant=<id>`), else `common`.
fn challenge_tenant(challenge: Option<&str>) -> String {
    challenge
        .and_then(|h| {
            let at = h.find("tenant=")? + "tenant=".len();
            let t: String = h[at..]
                .chars()
                .take_while(|c| !matches!(c, '"' | '&' | ',' | ' '))
                .collect();
            (!t.is_empty()).then_some(t)
        })
        .unwrap_or_else(|| "common".into())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// An AAD access token for `resource` from the managed identity endpoint: App Service /
/// Container Apps (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), else the VM/AKS instance metadata
/// service (`AZURE_POD_IDENTITY_AUTHORITY_HOST` overrides its address, as in the Azure SDKs).
async fn managed_identity_token(
    resource: &str,
    client_id: Option<&str>,
) -> Result<Secret, RegistryError> {
    const WHAT: &str = "Azure managed identity token";
    let timeouts = crate::net::MetadataTimeouts {
        connect: Duration::from_secs(2),
        total: Duration::from_secs(20),
    };
    let (url, api_version, header) = if let (Some(endpoint), Some(header)) =
        (env("IDENTITY_ENDPOINT"), env("IDENTITY_HEADER"))
    {
        (endpoint, "2019-08-01", ("X-IDENTITY-HEADER", header))
    } else {
        let host = env("AZURE_POD_IDENTITY_AUTHORITY_HOST")
            .unwrap_or_else(|| "http://169.254.169.254".into());
        let endpoint = format!(
            "{}/metadata/identity/oauth2/token",
            host.trim_end_matches('/')
        );
        (endpoint, "2018-02-01", ("Metadata", "true".to_string()))
    };
    let mut full = url::Url::parse(&url).map_err(|e| cloud(WHAT, &url, e.to_string()))?;
    full.query_pairs_mut()
        .append_pair("api-version", api_version)
        .append_pair("resource", resource);
    if let Some(id) = client_id {
        full.query_pairs_mut().append_pair("client_id", id);
    }
    let answer = crate::net::metadata_request(
        "GET",
        full.as_str(),
        &[(header.0, header.1.as_str())],
        timeouts,
    )
    .await
    .map_err(|e| {
        cloud(
            WHAT,
            &url,
            format!("{e} (is this worker an Azure VM/pod with a managed identity?)"),
        )
    })?;
    if answer.status != 200 {
        return Err(cloud(
            WHAT,
            &url,
            format!("{} {}", answer.status, short(&answer.body)),
        ));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        access_token: String,
    }
    let answer: Answer = serde_json::from_slice(&answer.body)
        .map_err(|_| cloud(WHAT, &url, "answer holds no access_token"))?;
    Ok(Secret::from(answer.access_token))
}

/// The ACR login a source asks for (`azure_acr`), as a [`super::CloudLogin`].
pub struct Acr {
    client_id: Option<String>,
    tenant_id: Option<String>,
    environment: Option<String>,
    insecure: bool,
}

/// Reads the ACR login from `source` (`azure_acr: true`).
pub fn provider(
    source: &crate::protocol::ImageSource,
) -> Result<Option<Box<dyn super::CloudLogin>>, super::LoginFieldError> {
    if !source.azure_acr {
        return Ok(None);
    }
    Ok(Some(Box::new(Acr {
        client_id: source.azure_client_id.clone(),
        tenant_id: source.azure_tenant_id.clone(),
        environment: source.azure_environment.clone(),
        insecure: source.insecure,
    })))
}

impl super::CloudLogin for Acr {
    fn login<'a>(
        &'a self,
        origin: &'a crate::registry::Repository,
        tls: &'a crate::net::TlsSettings,
    ) -> super::LoginFuture<'a> {
        Box::pin(async move {
            let http = Http::new(tls.clone());
            http.validate()?;
            let credentials = acr_login(
                &http,
                &AcrSettings {
                    registry: origin.api_host(),
                    client_id: self.client_id.as_deref(),
                    tenant_id: self.tenant_id.as_deref(),
                    environment: self.environment.as_deref(),
                    allow_http: self.insecure || origin.is_loopback(),
                },
            )
            .await?;
            Ok(super::Login {
                credentials,
                registry: None,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds_from_domain_or_setting() {
        let r = |h, e| management_resource(h, e).unwrap();
        assert_eq!(r("a.azurecr.io", None), "https://management.azure.com/");
        assert_eq!(
            r("a.azurecr.us", None),
            "https://management.usgovcloudapi.net/"
        );
        assert_eq!(
            r("a.azurecr.cn", None),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(
            r("a.azurecr.io", Some("AzureChina")),
            "https://management.chinacloudapi.cn/"
        );
        assert!(management_resource("a.azurecr.io", Some("Mars")).is_err());
        let realm = r#"Bearer realm="https://a.azurecr.io/oauth2/exchange?tenant=t-42",service="a.azurecr.io""#;
        assert_eq!(challenge_tenant(Some(realm)), "t-42");
        assert_eq!(challenge_tenant(Some("Basic realm=x")), "common");
        assert_eq!(challenge_tenant(None), "common");
    }
}
