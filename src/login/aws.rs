//! ECR login: the AWS credential chain, STS role assumption and `GetAuthorizationToken`, signed
//! with SigV4; one login per process and settings.

use super::sigv4::{self, AwsCredentials};
use crate::log;
use crate::net::{self, Body, Http, TlsSettings};
use crate::protocol::Secret;
use crate::registry::{Credentials, RegistryError};
use base64::Engine as _;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The `aws_*` fields of a source.
pub struct EcrSettings<'a> {
    /// `aws_region`.
    pub region: &'a str,
    /// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`); else the chain.
    pub static_keys: Option<AwsCredentials>,
    /// Roles assumed in order (`aws_role_arn` or `aws_role_arns`).
    pub role_arns: &'a [String],
}

/// What `GetAuthorizationToken` gave: basic credentials and the registry they are for.
pub struct EcrLogin {
    /// `AWS` and the 12-hour password.
    pub credentials: Credentials,
    /// `<account>.dkr.ecr.<region>.amazonaws.com`.
    pub proxy_host: String,
}

const MAX_RESPONSE: u64 = 1024 * 1024;

fn cloud(what: &str, url: &str, detail: impl Into<String>) -> RegistryError {
    RegistryError::Cloud {
        what: what.to_string(),
        url: net::redact_url(url),
        detail: detail.into(),
    }
}

/// The DNS suffix of a region's partition.
pub fn domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// A region is a DNS label (`us-east-1`); anything else would be spliced into a host name.
pub fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The DNS suffixes of AWS partitions an ECR registry is under (`amazonaws.com` and the
/// others `amazon-ecr-credential-helper` knows).
const ECR_PARTITIONS: [&str; 6] = [
    "amazonaws.com",
    "amazonaws.com.cn",
    "sc2s.sgov.gov",
    "c2s.ic.gov",
    "cloud.adc-e.uk",
    "csp.hci.ic.gov",
];

/// Whether `registry` (`host[:port]`) is an ECR private registry on the https port:
/// `<account>.dkr.ecr[-fips].<region>.<partition>`, or the dual-stack
/// `<account>.dkr-ecr.<region>.on.aws`.
pub fn is_ecr_host(registry: &str) -> bool {
    let registry = registry.to_ascii_lowercase();
    let host = registry.strip_suffix(":443").unwrap_or(&registry);
    let Some((account, rest)) = host.split_once('.') else {
        return false;
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let in_region = |rest: &str, suffixes: &[&str]| {
        rest.split_once('.').is_some_and(|(region, partition)| {
            valid_region(region) && suffixes.contains(&partition)
        })
    };
    if let Some(rest) = rest
        .strip_prefix("dkr.ecr.")
        .or_else(|| rest.strip_prefix("dkr.ecr-fips."))
    {
        return in_region(rest, &ECR_PARTITIONS);
    }
    rest.strip_prefix("dkr-ecr.")
        .is_some_and(|rest| in_region(rest, &["on.aws"]))
}

/// Refuses an ECR token for `registry` unless it is an ECR registry or listed in
/// `cloud_login_hosts`.
fn check_registry(registry: &str, allowed: &[String]) -> Result<(), super::LoginFieldError> {
    super::check_host(
        &super::Cloud {
            field: "source.aws_region",
            hosts: "an ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`)".into(),
            tokens: "ECR tokens",
        },
        registry,
        is_ecr_host(registry),
        allowed,
    )
}

/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, else the regional endpoint.
fn endpoint(service_env: &str, host_prefix: &str, region: &str) -> String {
    for var in [
        format!("AWS_ENDPOINT_URL_{service_env}"),
        "AWS_ENDPOINT_URL".into(),
    ] {
        if let Ok(v) = std::env::var(&var) {
            if !v.trim().is_empty() {
                return format!("{}/", v.trim().trim_end_matches('/'));
            }
        }
    }
    format!("https://{host_prefix}.{region}.{}/", domain(region))
}

/// Logs in to ECR (cached for the process: one exchange however many clients ask).
pub async fn ecr_login(settings: &EcrSettings<'_>) -> Result<Arc<EcrLogin>, RegistryError> {
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

/// POSTs a SigV4-signed request; returns the status and body.
#[allow(clippy::too_many_arguments)]
async fn signed_post(
    http: &Http,
    what: &str,
    url: &str,
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, Vec<u8>), RegistryError> {
    let parsed = url::Url::parse(url).map_err(|e| cloud(what, url, e.to_string()))?;
    let host = match (parsed.host_str(), parsed.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return Err(cloud(what, url, "endpoint has no host")),
    };
    let req = sigv4::Request {
        method: "POST",
        host: &host,
        path: parsed.path(),
        query: &[],
        headers,
        body,
    };
    let signed = sigv4::sign(&req, creds, region, service, std::time::SystemTime::now())
        .map_err(|e| cloud(what, url, e))?;
    let authorization = signed
        .iter()
        .find(|(k, _)| k == "Authorization")
        .map(|(_, v)| v.clone());
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    for (k, v) in &signed {
        if k != "Authorization" {
            all.push((k.as_str(), v.as_str()));
        }
    }
    let resp = http
        .send(
            "POST",
            url,
            &all,
            authorization.as_deref(),
            Body::Bytes(body),
        )
        .await
        .map_err(|e| cloud(what, url, e.into_error().to_string()))?;
    let status = resp.status;
    Ok((status, resp.read_limited(MAX_RESPONSE).await?))
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

/// `STS AssumeRole` with `creds`.
async fn assume_role(
    http: &Http,
    region: &str,
    creds: &AwsCredentials,
    arn: &str,
) -> Result<AwsCredentials, RegistryError> {
    const WHAT: &str = "STS AssumeRole";
    let url = endpoint("STS", "sts", region);
    let form = form(&[
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", arn),
        ("RoleSessionName", &session_name()),
    ]);
    let (status, body) = signed_post(
        http,
        WHAT,
        &url,
        creds,
        region,
        "sts",
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        form.as_bytes(),
    )
    .await?;
    sts_credentials(&format!("{WHAT} {arn}"), &url, status, &body)
}

/// `STS AssumeRoleWithWebIdentity` (unsigned: the token is the proof).
async fn assume_role_with_web_identity(
    http: &Http,
    region: &str,
    arn: &str,
    token_file: &str,
    session: Option<&str>,
) -> Result<AwsCredentials, RegistryError> {
    const WHAT: &str = "STS AssumeRoleWithWebIdentity";
    let url = endpoint("STS", "sts", region);
    let token = std::fs::read_to_string(token_file).map_err(|e| {
        RegistryError::Credentials(format!("web identity token file {token_file}: {e}"))
    })?;
    let session = session.map_or_else(session_name, str::to_string);
    let form = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", arn),
        ("RoleSessionName", &session),
        ("WebIdentityToken", token.trim()),
    ]);
    let resp = http
        .send(
            "POST",
            &url,
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            None,
            Body::Bytes(form.as_bytes()),
        )
        .await
        .map_err(|e| cloud(WHAT, &url, e.into_error().to_string()))?;
    let status = resp.status;
    let body = resp.read_limited(MAX_RESPONSE).await?;
    sts_credentials(&format!("{WHAT} {arn}"), &url, status, &body)
}

fn session_name() -> String {
    format!("uptick-{}", chrono::Utc::now().timestamp())
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    f.finish()
}

/// Credentials from an STS XML answer, or its `<Code>`/`<Message>` as the error.
fn sts_credentials(
    what: &str,
    url: &str,
    status: u16,
    body: &[u8],
) -> Result<AwsCredentials, RegistryError> {
    let text = String::from_utf8_lossy(body);
    if status != 200 {
        let code = xml_text(&text, "Code").unwrap_or_default();
        let message = xml_text(&text, "Message").unwrap_or_default();
        return Err(cloud(what, url, format!("{status} {code}: {message}")));
    }
    let (Some(id), Some(secret)) = (
        xml_text(&text, "AccessKeyId"),
        xml_text(&text, "SecretAccessKey"),
    ) else {
        return Err(cloud(what, url, "answer holds no Credentials"));
    };
    Ok(AwsCredentials {
        access_key_id: id,
        secret_access_key: Secret::from(secret),
        session_token: xml_text(&text, "SessionToken").map(Secret::from),
    })
}

/// The text of the first `<tag>…</tag>`, entities decoded.
fn xml_text(doc: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&close)?;
    Some(
        doc[start..end]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// `400 UnrecognizedClientException: message` from an AWS JSON error.
fn json_error(status: u16, body: &[u8]) -> String {
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

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The default chain, as the AWS SDKs order it: environment, shared profile, web identity,
/// container credentials, instance metadata (IMDSv2).
async fn default_chain(http: &Http, region: &str) -> Result<AwsCredentials, RegistryError> {
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

type Profile = HashMap<String, String>;

/// A profile's keys: the credentials file's `[name]` over the config file's `[profile name]`.
fn load_profile(name: &str) -> Result<Option<Profile>, RegistryError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let credentials = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
    let config = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
    let mut found: Option<Profile> = None;
    let config_section = if name == "default" {
        "default".to_string()
    } else {
        format!("profile {name}")
    };
    for (file, section) in [(config, config_section), (credentials, name.to_string())] {
        let Some(file) = file else { continue };
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(RegistryError::Credentials(format!(
                    "{}: {e}",
                    file.display()
                )))
            }
        };
        if let Some(keys) = ini_section(&text, &section) {
            found.get_or_insert_with(HashMap::new).extend(keys);
        }
    }
    Ok(found)
}

/// `key = value` pairs of one `[section]` of an INI file.
fn ini_section(text: &str, section: &str) -> Option<Profile> {
    let mut current: Option<String> = None;
    let mut out: Option<Profile> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.split_whitespace().collect::<Vec<_>>().join(" "));
            if current.as_deref() == Some(section) {
                out.get_or_insert_with(HashMap::new);
            }
            continue;
        }
        if current.as_deref() == Some(section) {
            if let Some((k, v)) = line.split_once('=') {
                out.get_or_insert_with(HashMap::new)
                    .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
    }
    out
}

/// Credentials a profile describes: static keys, `credential_process`, `web_identity_token_file`,
/// or `role_arn` over a `source_profile` / `credential_source`.
async fn profile_credentials(
    http: &Http,
    region: &str,
    name: &str,
    p: &Profile,
    depth: usize,
) -> Result<AwsCredentials, RegistryError> {
    let bad = |what: String| RegistryError::Credentials(format!("AWS profile `{name}`: {what}"));
    if depth > 4 {
        return Err(bad("source_profile chain is too long".into()));
    }
    if let Some(arn) = p.get("role_arn") {
        if let Some(file) = p.get("web_identity_token_file") {
            return assume_role_with_web_identity(
                http,
                region,
                arn,
                file,
                p.get("role_session_name").map(String::as_str),
            )
            .await;
        }
        let base = if let Some(source) = p.get("source_profile") {
            let sp = load_profile(source)?
                .ok_or_else(|| bad(format!("source_profile `{source}` not found")))?;
            if source == name {
                static_keys(&sp).ok_or_else(|| bad("has no static keys to assume with".into()))?
            } else {
                Box::pin(profile_credentials(http, region, source, &sp, depth + 1)).await?
            }
        } else {
            match p.get("credential_source").map(String::as_str) {
                Some("Environment") => {
                    match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                        (Some(id), Some(secret)) => AwsCredentials {
                            access_key_id: id,
                            secret_access_key: Secret::from(secret),
                            session_token: env("AWS_SESSION_TOKEN").map(Secret::from),
                        },
                        _ => {
                            return Err(bad("credential_source Environment: no AWS_* keys".into()))
                        }
                    }
                }
                Some("Ec2InstanceMetadata") => instance_credentials()
                    .await?
                    .ok_or_else(|| bad("no instance metadata service".into()))?,
                Some("EcsContainer") => container_credentials()
                    .await?
                    .ok_or_else(|| bad("no container credentials endpoint".into()))?,
                other => {
                    return Err(bad(format!(
                        "role_arn needs source_profile or credential_source (got {other:?})"
                    )))
                }
            }
        };
        return assume_role(http, region, &base, arn).await;
    }
    if let Some(command) = p.get("credential_process") {
        return credential_process(command).map_err(bad);
    }
    if p.keys().any(|k| k.starts_with("sso_")) {
        return Err(bad(
            "SSO profiles are not supported; use static keys, a role or credential_process".into(),
        ));
    }
    static_keys(p).ok_or_else(|| bad("has no aws_access_key_id / aws_secret_access_key".into()))
}

fn static_keys(p: &Profile) -> Option<AwsCredentials> {
    Some(AwsCredentials {
        access_key_id: p.get("aws_access_key_id")?.clone(),
        secret_access_key: Secret::from(p.get("aws_secret_access_key")?.clone()),
        session_token: p.get("aws_session_token").cloned().map(Secret::from),
    })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonCredentials {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, alias = "SessionToken")]
    token: Option<String>,
}

impl JsonCredentials {
    fn into_credentials(self) -> AwsCredentials {
        AwsCredentials {
            access_key_id: self.access_key_id,
            secret_access_key: Secret::from(self.secret_access_key),
            session_token: self.token.map(Secret::from),
        }
    }
}

/// Runs a profile's `credential_process` (its stderr is discarded: it may hold secrets).
fn credential_process(command: &str) -> Result<AwsCredentials, String> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("credential_process could not start: {e}"))?;
    if !out.status.success() {
        return Err(format!("credential_process failed ({})", out.status));
    }
    serde_json::from_slice::<JsonCredentials>(&out.stdout)
        .map(JsonCredentials::into_credentials)
        .map_err(|_| "credential_process printed no AccessKeyId/SecretAccessKey JSON".into())
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
async fn container_credentials() -> Result<Option<AwsCredentials>, RegistryError> {
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
async fn instance_credentials() -> Result<Option<AwsCredentials>, RegistryError> {
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

/// The repository ECR is addressed as: `<account>.dkr.ecr.<region>.<domain>/<repo>` with
/// `aws_account_id`; unchanged when it already names a registry host; else under the login's
/// proxy endpoint (upstream's rule, plus the full-name case).
pub fn ecr_repository(
    repository: &str,
    account_id: Option<&str>,
    region: &str,
    proxy_host: &str,
) -> String {
    if let Some(account) = account_id.filter(|a| !a.is_empty()) {
        return format!("{account}.dkr.ecr.{region}.{}/{repository}", domain(region));
    }
    let first = repository.split('/').next().unwrap_or("");
    let names_host = repository.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    if names_host {
        repository.to_string()
    } else {
        format!("{proxy_host}/{repository}")
    }
}

/// The ECR login a source asks for (`aws_region`), as a [`super::CloudLogin`].
pub struct Ecr {
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
pub fn provider(
    source: &crate::protocol::ImageSource,
) -> Result<Option<Box<dyn super::CloudLogin>>, super::LoginFieldError> {
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
        return Err(super::LoginFieldError {
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
    let allowed = super::allowed_hosts(source)?;
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

impl super::CloudLogin for Ecr {
    fn repository(&self) -> Option<String> {
        self.account_repository.clone()
    }

    fn login<'a>(
        &'a self,
        origin: &'a crate::registry::Repository,
        _tls: &'a TlsSettings,
    ) -> super::LoginFuture<'a> {
        Box::pin(async move {
            let refused = |e: super::LoginFieldError| RegistryError::Credentials(e.to_string());
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
            Ok(super::Login {
                credentials: login.credentials.clone(),
                registry: (!self.named).then(|| login.proxy_host.clone()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_rewrite() {
        assert_eq!(
            ecr_repository("app", Some("123456789012"), "eu-west-1", "x"),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"
        );
        assert_eq!(
            ecr_repository("team/app", Some("1"), "cn-north-1", "x"),
            "1.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app"
        );
        assert_eq!(
            ecr_repository(
                "team/app",
                None,
                "us-east-1",
                "9.dkr.ecr.us-east-1.amazonaws.com"
            ),
            "9.dkr.ecr.us-east-1.amazonaws.com/team/app"
        );
        assert_eq!(
            ecr_repository("127.0.0.1:5000/app", None, "us-east-1", "9.dkr.ecr"),
            "127.0.0.1:5000/app"
        );
        assert!(valid_region("us-gov-west-1"));
    }

    #[test]
    fn ecr_hosts_are_recognised() {
        for host in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443",
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
            "123456789012.DKR-ECR.eu-west-1.on.aws",
        ] {
            assert!(is_ecr_host(host), "{host}");
        }
        for host in [
            "127.0.0.1:5000",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com:5000",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
            "12345.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.amazonaws.com",
            "evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "public.ecr.aws",
        ] {
            assert!(!is_ecr_host(host), "{host}");
        }
        let e = check_registry("127.0.0.1:5000", &[]).unwrap_err();
        assert!(
            e.to_string().contains("`127.0.0.1:5000`") && e.detail.contains("cloud_login_hosts"),
            "{e}"
        );
        assert!(check_registry("127.0.0.1:5000", &["127.0.0.1:5000".into()]).is_ok());
        assert!(!valid_region("us-east-1.evil.com/"));
    }

    #[test]
    fn profiles_and_errors() {
        let ini = "[default]\naws_access_key_id = A\n[profile ci]\nrole_arn=arn:x\n source_profile = default\n";
        assert_eq!(
            ini_section(ini, "default").unwrap()["aws_access_key_id"],
            "A"
        );
        assert_eq!(
            ini_section(ini, "profile ci").unwrap()["source_profile"],
            "default"
        );
        assert!(ini_section(ini, "ci").is_none());
        assert_eq!(
            xml_text(
                "<E><Code>AccessDenied</Code><Message>a &amp; b</Message></E>",
                "Message"
            )
            .as_deref(),
            Some("a & b")
        );
        assert_eq!(
            json_error(
                400,
                br#"{"__type":"com.amazon#UnrecognizedClientException","message":"bad token"}"#
            ),
            "400 UnrecognizedClientException: bad token"
        );
    }
}
