//! Azure ACR login with a managed identity: metadata-endpoint AAD token → `/oauth2/exchange` →
//! an ACR refresh token used as the password of the null-GUID user.

use crate::log;
use crate::net::{Body, Http, SendError};
use crate::protocol::Secret;
use crate::registry::{Credentials, RegistryError};
use std::time::Duration;

/// The `azure_*` fields of a source.
pub(crate) struct AcrSettings<'a> {
    /// The registry host (`myreg.azurecr.io`).
    pub registry: &'a str,
    /// `azure_client_id`: a user-assigned identity.
    pub client_id: Option<&'a str>,
    /// `azure_tenant_id`: skips the challenge round trip.
    pub tenant_id: Option<&'a str>,
    /// The cloud (`azure_environment`, else the registry's domain).
    pub environment: Environment,
    /// Plain HTTP allowed (loopback or `insecure`).
    pub allow_http: bool,
}

/// The user name ACR expects with a refresh token.
pub(crate) const NULL_GUID: &str = "00000000-0000-0000-0000-000000000000";

fn cloud(what: &str, url: &str, detail: impl Into<String>) -> RegistryError {
    RegistryError::Cloud {
        what: what.to_string(),
        url: crate::net::redact_url(url),
        detail: detail.into(),
    }
}

/// An Azure cloud (`azure_environment`): the audience of its AAD tokens and the domain of its
/// registries (the `acr_login_server_endpoint` suffixes of the Azure CLI's clouds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Environment {
    /// `AzurePublic`: `*.azurecr.io`.
    Public,
    /// `AzureGovernment`: `*.azurecr.us`.
    Government,
    /// `AzureChina`: `*.azurecr.cn`.
    China,
}

impl Environment {
    const ALL: [Environment; 3] = [
        Environment::Public,
        Environment::Government,
        Environment::China,
    ];

    /// The `azure_environment` value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Environment::Public => "AzurePublic",
            Environment::Government => "AzureGovernment",
            Environment::China => "AzureChina",
        }
    }

    /// The management resource the AAD token is asked for.
    pub(crate) fn management_resource(self) -> &'static str {
        match self {
            Environment::Public => "https://management.azure.com/",
            Environment::Government => "https://management.usgovcloudapi.net/",
            Environment::China => "https://management.chinacloudapi.cn/",
        }
    }

    /// The domain its registries' login servers are under.
    pub(crate) fn acr_suffix(self) -> &'static str {
        match self {
            Environment::Public => ".azurecr.io",
            Environment::Government => ".azurecr.us",
            Environment::China => ".azurecr.cn",
        }
    }

    /// From `azure_environment`; `None` when the source leaves it out.
    pub(crate) fn parse(field: Option<&str>) -> Result<Option<Environment>, String> {
        match field.filter(|e| !e.is_empty()) {
            None => Ok(None),
            Some(name) => Environment::ALL
                .into_iter()
                .find(|e| e.name() == name)
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "azure_environment `{name}` is not AzurePublic, AzureGovernment or AzureChina"
                    )
                }),
        }
    }

    /// The cloud whose registry domain `registry` is under.
    pub(crate) fn of_registry(registry: &str) -> Option<Environment> {
        Environment::ALL
            .into_iter()
            .find(|e| is_acr_host(registry, *e))
    }
}

/// Whether `registry` (`host[:port]`) is a login server of `env`'s registries:
/// `<name>.azurecr.io` (or a regional `<name>.<region>.geo.azurecr.io`) on the https port.
pub(crate) fn is_acr_host(registry: &str, env: Environment) -> bool {
    let registry = registry.to_ascii_lowercase();
    let host = registry.strip_suffix(":443").unwrap_or(&registry);
    host.strip_suffix(env.acr_suffix())
        .is_some_and(|name| !name.is_empty() && !host.contains(':'))
}

/// The cloud of a source: `azure_environment`, else the registry's domain; and whether its
/// managed identity's token may go to `registry` (a registry of that cloud, or one listed in
/// `cloud_login_hosts`).
pub(crate) fn environment_for(
    registry: &str,
    field: Option<&str>,
    allowed: &[String],
) -> Result<Environment, super::LoginFieldError> {
    let named = Environment::parse(field).map_err(|detail| super::LoginFieldError {
        field: "source.azure_environment",
        detail,
    })?;
    let env = named
        .or_else(|| Environment::of_registry(registry))
        .unwrap_or(Environment::Public);
    let hosts = match named {
        Some(e) => format!("an ACR host of {} (`*{}`)", e.name(), e.acr_suffix()),
        None => "an Azure Container Registry host (`*.azurecr.io`, `*.azurecr.us`, `*.azurecr.cn`)"
            .to_string(),
    };
    super::check_host(
        &super::Cloud {
            field: "source.azure_acr",
            hosts,
            tokens: "the managed identity's tokens",
        },
        registry,
        is_acr_host(registry, env),
        allowed,
    )?;
    Ok(env)
}

/// Logs in: returns the null-GUID user with an ACR refresh token.
pub(crate) async fn acr_login(
    http: &Http,
    s: &AcrSettings<'_>,
) -> Result<Credentials, RegistryError> {
    let aad = managed_identity_token(s.environment.management_resource(), s.client_id).await?;
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
        from: crate::registry::CredentialSource::Cloud("the Azure ACR login (`azure_acr`)"),
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
pub(crate) struct Acr {
    client_id: Option<String>,
    tenant_id: Option<String>,
    environment: Option<String>,
    allowed: Vec<String>,
    insecure: bool,
}

/// Reads the ACR login from `source` (`azure_acr: true`); refuses, before any request, a
/// registry that is not one of the cloud's (unless `cloud_login_hosts` lists it).
pub(crate) fn provider(
    source: &crate::protocol::ImageSource,
) -> Result<Option<Box<dyn super::CloudLogin>>, super::LoginFieldError> {
    if !source.azure_acr {
        return Ok(None);
    }
    let allowed = super::allowed_hosts(source)?;
    // An unparseable repository is reported as such when the plan reads it.
    if let Ok(repository) = crate::registry::Repository::parse(&source.repository) {
        environment_for(
            repository.api_host(),
            source.azure_environment.as_deref(),
            &allowed,
        )?;
    }
    Ok(Some(Box::new(Acr {
        client_id: source.azure_client_id.clone(),
        tenant_id: source.azure_tenant_id.clone(),
        environment: source.azure_environment.clone(),
        allowed,
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
            let environment = environment_for(
                origin.api_host(),
                self.environment.as_deref(),
                &self.allowed,
            )
            .map_err(|e| RegistryError::Credentials(e.to_string()))?;
            let http = Http::new(tls.clone());
            http.validate()?;
            let credentials = acr_login(
                &http,
                &AcrSettings {
                    registry: origin.api_host(),
                    client_id: self.client_id.as_deref(),
                    tenant_id: self.tenant_id.as_deref(),
                    environment,
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
        let env = |h, e| environment_for(h, e, &[]).map(Environment::management_resource);
        assert_eq!(
            env("a.azurecr.io", None).unwrap(),
            "https://management.azure.com/"
        );
        assert_eq!(
            env("a.azurecr.us", None).unwrap(),
            "https://management.usgovcloudapi.net/"
        );
        assert_eq!(
            env("A.AzureCR.cn:443", None).unwrap(),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(
            env("a.westeurope.geo.azurecr.io", Some("AzurePublic")).unwrap(),
            "https://management.azure.com/"
        );
        let mars = environment_for("a.azurecr.io", Some("Mars"), &[]).unwrap_err();
        assert_eq!(mars.field, "source.azure_environment");
    }

    #[test]
    fn tokens_go_only_to_the_clouds_registries_or_listed_hosts() {
        for (host, env) in [
            ("a.azurecr.io", Some("AzureChina")),
            ("azurecr.io", None),
            ("a.azurecr.io.evil.example", None),
            ("a.azurecr.io:5000", None),
            ("127.0.0.1:5000", None),
            ("index.docker.io", None),
        ] {
            let e = environment_for(host, env, &[]).unwrap_err();
            assert_eq!(e.field, "source.azure_acr", "{host}");
            assert!(
                e.detail.contains(host) && e.detail.contains("cloud_login_hosts"),
                "{e}"
            );
        }
        let listed = ["127.0.0.1:5000".to_string()];
        assert_eq!(
            environment_for("127.0.0.1:5000", None, &listed).unwrap(),
            Environment::Public
        );
        assert_eq!(
            environment_for("127.0.0.1:5000", Some("AzureChina"), &listed).unwrap(),
            Environment::China
        );
    }

    #[test]
    fn tenant_from_the_challenge() {
        let realm = r#"Bearer realm="https://a.azurecr.io/oauth2/exchange?tenant=t-42",service="a.azurecr.io""#;
        assert_eq!(challenge_tenant(Some(realm)), "t-42");
        assert_eq!(challenge_tenant(Some("Basic realm=x")), "common");
        assert_eq!(challenge_tenant(None), "common");
    }
}
