//! Registry client errors, each carrying the host or URL that failed and never a secret.

use super::reference::ReferenceError;

/// Everything that can go wrong talking to a registry or token server.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The reference was rejected before any request.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The request itself failed (connection, TLS, timeout, a body breaking off).
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// Credentials were refused (or missing where required).
    #[error("authentication to {registry} failed: {status} {code}{message} ({tried})")]
    Auth {
        /// Registry or token host.
        registry: String,
        /// HTTP status.
        status: u16,
        /// The registry's error code (`UNAUTHORIZED`, `DENIED`).
        code: String,
        /// The registry's message, prefixed with `: ` when present.
        message: String,
        /// Which credentials were sent: [`CredentialSource::tried`].
        tried: String,
    },
    /// Any other unexpected HTTP status, with the registry's own error code.
    #[error("{method} {url} failed: {status} {code}{message}")]
    Status {
        /// HTTP method.
        method: String,
        /// URL without credentials.
        url: String,
        /// HTTP status.
        status: u16,
        /// The registry's error code (`MANIFEST_UNKNOWN`, `TOOMANYREQUESTS`) or the reason phrase.
        code: String,
        /// The registry's message, prefixed with `: ` when present.
        message: String,
    },
    /// Content did not hash to the digest it was asked for or announced with.
    #[error("{url}: content has digest {actual}, expected {expected}")]
    DigestMismatch {
        /// URL of the content.
        url: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// The response was not of the expected shape.
    #[error("{url}: {detail}")]
    BadResponse {
        /// URL of the response.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// Credentials could not be found or obtained (docker config, helpers).
    #[error("credentials: {0}")]
    Credentials(String),
    /// Credentials could not be obtained from `whose` (an AWS profile's `credential_process`),
    /// for the cause it carries.
    #[error("credentials: {whose}")]
    CredentialsFrom {
        /// Where they were asked for (`AWS profile `ci``).
        whose: String,
        /// Why none came.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A cloud credential exchange (ECR, STS, Azure AD, instance metadata) failed.
    #[error("{what} failed ({url}): {detail}")]
    Cloud {
        /// The call (`ECR GetAuthorizationToken`, `STS AssumeRole`).
        what: String,
        /// The endpoint, without credentials.
        url: String,
        /// Status and the service's own error code and message.
        detail: String,
    },
}

/// Where a client's credentials came from, as an authentication error names it: fields, a file
/// and its entry, a helper's name or a cloud login — never a user name or secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    /// The `username`/`password` fields of a request object (`source`, `source.base`,
    /// `source.registry_mirror`).
    Fields(&'static str),
    /// An `auths` entry of a docker config: the file and the entry's key (without user info).
    DockerAuths {
        /// The docker config file.
        config: std::path::PathBuf,
        /// The entry's key as written (`https://index.docker.io/v1/`, `host:5000`).
        key: String,
        /// The entry holds an `identitytoken`.
        identity_token: bool,
    },
    /// A credential helper a docker config names.
    DockerHelper {
        /// The docker config file.
        config: std::path::PathBuf,
        /// `credHelpers` or `credsStore`.
        via: &'static str,
        /// The helper's name (`ecr-login` for `docker-credential-ecr-login`).
        helper: String,
    },
    /// A cloud login (`the ECR login (\`aws_region\`)`).
    Cloud(&'static str),
}

impl CredentialSource {
    /// What an authentication error says was tried: these credentials, or none.
    pub(crate) fn tried(source: Option<&CredentialSource>) -> String {
        match source {
            None => "no credentials were sent: anonymous".to_string(),
            Some(s) => format!("credentials from {s}"),
        }
    }
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSource::Fields(object) => write!(f, "`{object}.username`/`password`"),
            CredentialSource::DockerAuths {
                config,
                key,
                identity_token,
            } => write!(
                f,
                "the docker config {}, `auths` entry `{}`{}",
                config.display(),
                crate::log::strip_userinfo(key),
                if *identity_token {
                    " (its identitytoken)"
                } else {
                    ""
                }
            ),
            CredentialSource::DockerHelper {
                config,
                via,
                helper,
            } => write!(
                f,
                "docker-credential-{helper}, named by `{via}` of the docker config {}",
                config.display()
            ),
            CredentialSource::Cloud(login) => f.write_str(login),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CredentialSource;

    #[test]
    fn each_credential_source_is_named_without_secrets() {
        let config = std::path::PathBuf::from("/home/u/.docker/config.json");
        for (source, text) in [
            (
                Some(CredentialSource::Fields("source.registry_mirror")),
                "credentials from `source.registry_mirror.username`/`password`",
            ),
            (
                Some(CredentialSource::DockerAuths {
                    config: config.clone(),
                    key: "https://user:hunter2@index.docker.io/v1/".into(),
                    identity_token: true,
                }),
                "credentials from the docker config /home/u/.docker/config.json, `auths` entry \
                 `https://index.docker.io/v1/` (its identitytoken)",
            ),
            (
                Some(CredentialSource::DockerHelper {
                    config,
                    via: "credsStore",
                    helper: "pass".into(),
                }),
                "credentials from docker-credential-pass, named by `credsStore` of the docker \
                 config /home/u/.docker/config.json",
            ),
            (
                Some(CredentialSource::Cloud("the ECR login (`aws_region`)")),
                "credentials from the ECR login (`aws_region`)",
            ),
            (None, "no credentials were sent: anonymous"),
        ] {
            assert_eq!(CredentialSource::tried(source.as_ref()), text);
        }
    }
}
