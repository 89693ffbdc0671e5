//! Shared config/credentials file profiles: INI sections, roles over source profiles,
//! `credential_process`.

use super::call::env;
use super::metadata::{container_credentials, instance_credentials, JsonCredentials};
use super::sts::{assume_role, assume_role_with_web_identity};
use crate::login::sigv4::AwsCredentials;
use crate::net::Http;
use crate::protocol::Secret;
use crate::registry::RegistryError;
use std::collections::HashMap;
use std::path::PathBuf;

type Profile = HashMap<String, String>;

/// A profile's keys: the credentials file's `[name]` over the config file's `[profile name]`.
pub(super) fn load_profile(name: &str) -> Result<Option<Profile>, RegistryError> {
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
pub(super) fn ini_section(text: &str, section: &str) -> Option<Profile> {
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
pub(super) async fn profile_credentials(
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
        return credential_process(command).map_err(|e| RegistryError::CredentialsFrom {
            whose: format!("AWS profile `{name}`"),
            source: Box::new(e),
        });
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

/// Why a profile's `credential_process` gave no credentials.
#[derive(Debug, thiserror::Error)]
enum ProcessError {
    /// It could not be started (the I/O error kept).
    #[error("credential_process could not start")]
    Start(#[source] std::io::Error),
    /// It exited unsuccessfully.
    #[error("credential_process failed ({0})")]
    Failed(std::process::ExitStatus),
    /// Its output is not the JSON it should print (not quoted: it may hold secrets).
    #[error("credential_process printed no AccessKeyId/SecretAccessKey JSON")]
    Output,
}

/// Runs a profile's `credential_process` (its stderr is discarded: it may hold secrets).
fn credential_process(command: &str) -> Result<AwsCredentials, ProcessError> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(ProcessError::Start)?;
    if !out.status.success() {
        return Err(ProcessError::Failed(out.status));
    }
    serde_json::from_slice::<JsonCredentials>(&out.stdout)
        .map(JsonCredentials::into_credentials)
        .map_err(|_| ProcessError::Output)
}
