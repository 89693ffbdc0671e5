//! Credentials from a docker `config.json`: `credHelpers`, `auths` (with identity tokens) and `credsStore`, helper
//! programs run as `docker-credential-<name> get` with the registry on stdin.

use crate::protocol::Secret;
use crate::registry::reference::DOCKER_HUB;
use crate::registry::{CredentialSource, Credentials, RegistryError};
use base64::Engine as _;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(serde::Deserialize, Default)]
struct Config {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

fn error(msg: String) -> RegistryError {
    RegistryError::Credentials(msg)
}

/// `registry.example.com:5000` from a config key (`https://host/v1/`, `host`); Docker Hub's
/// spellings become its canonical name.
fn normalize(key: &str) -> String {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        _ => host,
    }
}

/// The config file: `explicit` (an error when unreadable), else `$DOCKER_CONFIG/config.json`,
/// else `$HOME/.docker/config.json` (both optional).
fn load(explicit: Option<&Path>) -> Result<Option<(PathBuf, Config)>, RegistryError> {
    let candidates: Vec<(PathBuf, bool)> = match explicit {
        Some(p) => vec![(p.to_path_buf(), true)],
        None => std::env::var_os("DOCKER_CONFIG")
            .map(|d| PathBuf::from(d).join("config.json"))
            .into_iter()
            .chain(std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")))
            .map(|p| (p, false))
            .collect(),
    };
    for (path, required) in candidates {
        match std::fs::read(&path) {
            Ok(bytes) => {
                let config = serde_json::from_slice(&bytes)
                    .map_err(|e| error(format!("{}: not a docker config: {e}", path.display())))?;
                return Ok(Some((path, config)));
            }
            Err(e) if required => {
                return Err(error(format!("cannot read {}: {e}", path.display())))
            }
            Err(_) => {}
        }
    }
    Ok(None)
}

/// Credentials for `registry` (`host[:port]`, or Docker Hub's canonical name) from the config.
pub(crate) fn credentials_for(
    registry: &str,
    explicit: Option<&Path>,
) -> Result<Option<Credentials>, RegistryError> {
    let Some((path, config)) = load(explicit)? else {
        return Ok(None);
    };
    let wanted = normalize(registry);
    let helper_key = if wanted == DOCKER_HUB {
        "https://index.docker.io/v1/".to_string()
    } else {
        wanted.clone()
    };
    let helper_source = |via, helper: &str| CredentialSource::DockerHelper {
        config: path.clone(),
        via,
        helper: helper.to_string(),
    };
    if let Some(helper) = config
        .cred_helpers
        .iter()
        .find(|(k, _)| normalize(k) == wanted)
        .map(|(_, v)| v)
    {
        return run_helper(helper, &helper_key, helper_source("credHelpers", helper)).map(Some);
    }
    if let Some((key, entry)) = config.auths.iter().find(|(k, _)| normalize(k) == wanted) {
        let entry_source = |identity_token| CredentialSource::DockerAuths {
            config: path.clone(),
            key: key.clone(),
            identity_token,
        };
        if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credentials {
                username: "<token>".into(),
                password: Secret::from(token.to_string()),
                identity_token: true,
                from: entry_source(true),
            }));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Credentials {
                username: u.clone(),
                password: Secret::from(p.clone()),
                identity_token: false,
                from: entry_source(false),
            }));
        }
        if let Some(auth) = &entry.auth {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| {
                    error(format!(
                        "{}: `auth` for {registry} is not base64",
                        path.display()
                    ))
                })?;
            let text = String::from_utf8_lossy(&raw);
            let (u, p) = text.split_once(':').ok_or_else(|| {
                error(format!(
                    "{}: `auth` for {registry} is not user:password",
                    path.display()
                ))
            })?;
            return Ok(Some(Credentials {
                username: u.to_string(),
                password: Secret::from(p.to_string()),
                identity_token: false,
                from: entry_source(false),
            }));
        }
    }
    match &config.creds_store {
        Some(store) if !store.is_empty() => {
            run_helper(store, &helper_key, helper_source("credsStore", store)).map(Some)
        }
        _ => Ok(None),
    }
}

fn find_helper(name: &str) -> Option<PathBuf> {
    let file = format!("docker-credential-{name}");
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(&file))
        .find(|p| p.is_file())
}

/// `docker-credential-<name> get`, registry on stdin, `{Username, Secret}` on stdout.
fn run_helper(
    name: &str,
    server: &str,
    from: CredentialSource,
) -> Result<Credentials, RegistryError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(error(format!(
            "credential helper name `{name}` is not valid"
        )));
    }
    let program = find_helper(name).ok_or_else(|| {
        error(format!(
            "credential helper docker-credential-{name} not found in PATH"
        ))
    })?;
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| error(format!("cannot run docker-credential-{name}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| error(format!("docker-credential-{name}: {e}")))?;
    if !out.status.success() {
        // The helper's own message (its stdout or stderr), never what it may have printed as a secret.
        let msg = String::from_utf8_lossy(if out.stderr.is_empty() {
            &out.stdout
        } else {
            &out.stderr
        })
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
        return Err(error(format!(
            "credential helper docker-credential-{name} failed for {server} ({}): {msg}",
            out.status
        )));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let answer: Answer = serde_json::from_slice(&out.stdout).map_err(|_| {
        error(format!(
            "docker-credential-{name} answered something that is not {{Username, Secret}}"
        ))
    })?;
    Ok(Credentials {
        identity_token: answer.username == "<token>",
        username: answer.username,
        password: Secret::from(answer.secret),
        from,
    })
}
