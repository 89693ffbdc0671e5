//! Images: the `source` resolved to registry clients, and `check` / `get` for image resources.

mod aliases;
pub(crate) mod check;
mod discover;
pub(crate) use discover::Rules as DiscoveryRules;
mod download;
pub(crate) mod extract;
pub(crate) mod freshness;
pub(crate) mod get;
pub(crate) mod installed;
pub(crate) mod keyless;
mod local;
mod manifest;
mod platform;
pub(crate) mod put;
pub(crate) mod referrers;
mod sign;
mod stale;
pub(crate) mod updates;
pub(crate) mod verify;

use crate::net::TlsSettings;
use crate::protocol::ImageSource;
use crate::registry::{Client, ClientOptions, Credentials, RegistryError, Repository};

/// Errors of the image backend.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImageError {
    /// A registry request failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A field uptick accepts for compatibility but does not act on yet.
    #[error("source.{field}: {what} is not supported yet")]
    Unsupported {
        /// The field.
        field: &'static str,
        /// What it would turn on.
        what: &'static str,
    },
    /// A field's value is wrong.
    #[error("{field}: {detail}")]
    Invalid {
        /// Where (`source.label_regex`).
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The version asked for is no longer in the registry.
    #[error("{reference} no longer exists in the registry")]
    Gone {
        /// `repo@digest`.
        reference: String,
    },
    /// A manifest or config is not of the expected shape.
    #[error("{reference}: {detail}")]
    Malformed {
        /// Which document.
        reference: String,
        /// What is wrong.
        detail: String,
    },
    /// A manifest or index document cannot be used.
    #[error("{reference}: {what} is not valid")]
    Document {
        /// Which document.
        reference: String,
        /// What it should be (`index`, `image manifest`).
        what: &'static str,
        /// Why not.
        #[source]
        source: platform::DocError,
    },
    /// No manifest in an index matches the platform.
    #[error("{reference} has no image for platform {wanted}; it has: {available}")]
    Platform {
        /// The index.
        reference: String,
        /// `os/arch[/variant]` asked for.
        wanted: String,
        /// The platforms present.
        available: String,
    },
    /// A layer (or blob) failed to download or verify while it was read.
    #[error("layer {digest}")]
    Layer {
        /// The blob.
        digest: String,
        /// What went wrong (a verification failure arrives as an I/O error of its reader).
        #[source]
        source: std::io::Error,
    },
    /// An image's installed-package database could not be read.
    #[error("{reference}: reading the installed-package database")]
    Installed {
        /// `repo@digest (platform)`.
        reference: String,
        /// Why.
        #[source]
        source: installed::InstalledError,
    },
    /// A repository of `source.updates` could not be read or trusted.
    #[error(transparent)]
    Packages(#[from] crate::packages::PackageError),
    /// A layer's content could not be applied.
    #[error(transparent)]
    Extract(#[from] extract::ExtractError),
    /// A file of an image on disk (for `out`) cannot be read.
    #[error("{path}")]
    LocalIo {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An image on disk (for `out`) is inconsistent.
    #[error("{path}: {detail}")]
    Local {
        /// The file or directory.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// Some tags were written, others not.
    #[error("pushing tags failed; written: {written}; not written: {not_written}")]
    Partial {
        /// Tags written.
        written: String,
        /// Tags not written.
        not_written: String,
        /// The failure.
        #[source]
        cause: Box<ImageError>,
    },
    /// A key of `source.verify.keys` cannot be used.
    #[error("source.verify.keys[{index}]")]
    BadKey {
        /// Its position in the list.
        index: usize,
        /// What is wrong with it.
        #[source]
        source: verify::KeyError,
    },
    /// The key of `sign` cannot be used (a wrong password among others).
    #[error("{field}.key")]
    SignKey {
        /// `params.sign` or `source.sign`, whichever gave the key.
        field: &'static str,
        /// What is wrong with it (never the key or the password).
        #[source]
        source: sign::SignKeyError,
    },
    /// `source.verify` is set and the image carries no valid signature by a listed key.
    #[error("{reference} is refused: not signed by a key of source.verify: {detail}")]
    Unsigned {
        /// `repo@digest`.
        reference: String,
        /// Why each signature found was refused.
        detail: String,
    },
    /// What refers to an image passes uptick's budget for one run.
    #[error("{repository}: the referrers to carry pass the limit of {limit} per run; `params.referrers: false` goes without them")]
    ReferrerBudget {
        /// The repository read.
        repository: String,
        /// The limit passed (`1000 referrers`, `64 MiB of referrer documents`).
        limit: String,
    },
    /// A file in the destination could not be written.
    #[error("cannot write {path}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A document uptick writes could not be encoded.
    #[error("cannot encode {path}")]
    Encode {
        /// The file it was meant for.
        path: String,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
}

/// An image source, checked and compiled: what `resolve` makes of the request before any
/// network call (defined here, where it is used, so `image` needs nothing from above).
pub(crate) struct ImagePlan {
    /// The source as decoded (never rewritten).
    pub source: crate::protocol::ImageSource,
    /// `source.repository`, parsed once (on ECR's account registry when `aws_account_id` says).
    pub repository: crate::registry::Repository,
    /// The repository as reported (metadata, the `repository` file).
    pub name: String,
    /// The cloud login the source asks for (a credential provider of `login::PROVIDERS`), run
    /// before the first registry request.
    pub login: Option<Box<dyn crate::login::CloudLogin>>,
    /// `source.label_regex`, compiled.
    pub label_regex: Option<regex::Regex>,
    /// `source.annotation_regex`, compiled.
    pub annotation_regex: Option<regex::Regex>,
    /// `semver_constraint` and `tag_regex`, compiled.
    pub discovery: DiscoveryRules,
    /// `source.verify`, its keys parsed.
    pub verify: Option<verify::Policy>,
    /// `source.updates`, its repositories and filters checked.
    pub updates: Option<updates::Plan>,
}

/// Where to look for an image: the origin, and a mirror tried first when configured.
pub(crate) struct Target {
    /// The repository as the user wrote it (for metadata and the `repository` file).
    pub name: String,
    /// The parsed repository.
    pub repository: Repository,
    /// Its client.
    pub client: Client,
    /// `registry_mirror`, applied only to Docker Hub repositories.
    pub mirror: Option<(Repository, Client)>,
    /// The policy that made these clients, for any further endpoint (base, promote source).
    pub endpoints: Endpoints,
}

impl Target {
    /// The origin, its mirror and the policy for every other endpoint. Runs the plan's cloud
    /// login (a credential provider whose result replaces `username`/`password`, and may name
    /// the registry) before the first registry request.
    pub(crate) async fn connect(plan: &ImagePlan) -> Result<Target, ImageError> {
        let source = &plan.source;
        reject_unsupported(source)?;
        let (repository, name, login) = match &plan.login {
            None => (plan.repository.clone(), plan.name.clone(), None),
            Some(provider) => {
                let tls = Endpoints::of(source, &plan.repository, None)?.tls;
                let login = provider.login(&plan.repository, &tls).await?;
                match login.registry {
                    None => (
                        plan.repository.clone(),
                        plan.name.clone(),
                        Some(login.credentials),
                    ),
                    Some(host) => {
                        let name = format!("{host}/{}", source.repository);
                        let repository = Repository::parse(&name).map_err(RegistryError::from)?;
                        (repository, name, Some(login.credentials))
                    }
                }
            }
        };
        let endpoints = Endpoints::of(source, &repository, login)?;
        let client = endpoints.client(&repository, None)?;
        let mirror = match &source.registry_mirror {
            Some(m) if repository.is_docker_hub() && !m.host.is_empty() => {
                let repo = repository
                    .on_registry(&m.host)
                    .map_err(RegistryError::from)?;
                let own = credentials(
                    m.username.as_deref(),
                    m.password.as_ref(),
                    "source.registry_mirror",
                );
                let client = endpoints.client(&repo, own)?;
                Some((repo, client))
            }
            _ => None,
        };
        Ok(Target {
            name,
            repository,
            client,
            mirror,
            endpoints,
        })
    }
}

/// The one credentials policy for every endpoint a source reaches (origin, mirror, base,
/// promote source): the source's TLS settings everywhere (`insecure`, `ca_certs`, the client
/// certificate); an endpoint's own credentials when it has them; else the source's
/// `username`/`password` on the source's own registry only; else a docker config entry for
/// that registry; else anonymous.
pub(crate) struct Endpoints {
    tls: TlsSettings,
    origin_registry: String,
    origin_credentials: Option<Credentials>,
    docker_config: Option<std::path::PathBuf>,
}

impl Endpoints {
    /// The policy of `source`, whose repository is `origin`; `login` (a cloud login's
    /// credentials) replaces `username`/`password` on the origin.
    pub(crate) fn of(
        source: &ImageSource,
        origin: &Repository,
        login: Option<Credentials>,
    ) -> Result<Endpoints, ImageError> {
        Ok(Endpoints {
            tls: TlsSettings {
                insecure: source.insecure,
                ca_certs: source.ca_certs.clone(),
                client_identity: match (&source.client_cert, &source.client_key) {
                    (Some(c), Some(k)) => Some((c.clone(), k.clone())),
                    _ => None,
                },
            },
            origin_registry: origin.registry().to_string(),
            origin_credentials: login.or_else(|| {
                credentials(
                    source.username.as_deref(),
                    source.password.as_ref(),
                    "source",
                )
            }),
            docker_config: source.docker_config.as_ref().map(std::path::PathBuf::from),
        })
    }

    /// A client for `repo`'s registry with `own` credentials, else the policy's.
    pub(crate) fn client(
        &self,
        repo: &Repository,
        own: Option<Credentials>,
    ) -> Result<Client, ImageError> {
        let credentials = match own {
            Some(c) => Some(c),
            None if repo.registry() == self.origin_registry
                && self.origin_credentials.is_some() =>
            {
                self.origin_credentials.clone()
            }
            None => crate::login::dockerconfig::credentials_for(
                repo.registry(),
                self.docker_config.as_deref(),
            )?,
        };
        Ok(Client::new(ClientOptions {
            tls: self.tls.clone(),
            credentials,
        })?)
    }
}

/// Basic credentials when both parts are set (an empty password counts as unset), from the
/// fields of `object` (`source`, `source.base`, `source.registry_mirror`).
pub(crate) fn credentials(
    username: Option<&str>,
    password: Option<&crate::protocol::Secret>,
    object: &'static str,
) -> Option<Credentials> {
    match (username, password) {
        (Some(u), Some(p)) if !p.expose().is_empty() => Some(Credentials {
            username: u.to_string(),
            password: p.clone(),
            identity_token: false,
            from: crate::registry::CredentialSource::Fields(object),
        }),
        _ => None,
    }
}

fn reject_unsupported(s: &ImageSource) -> Result<(), ImageError> {
    if s.content_trust.is_some() {
        return Err(ImageError::Unsupported {
            field: "content_trust",
            what: "Notary content trust",
        });
    }
    Ok(())
}

/// A private directory in `$TMPDIR` for this run's temporary files.
pub(crate) fn private_temp_dir() -> Result<crate::fsutil::PrivateDir, ImageError> {
    private_dir_in_temp().map_err(|source| ImageError::Io {
        path: format!("a private directory in {}", std::env::temp_dir().display()),
        source,
    })
}

/// A private directory (mode 0700, random name) in `$TMPDIR`. The first a run makes is
/// preceded by a sweep of what killed runs left there: the run that needs the space frees it,
/// and a run that needs none (a promotion within one repository) does not read `$TMPDIR`.
pub(crate) fn private_dir_in_temp() -> std::io::Result<crate::fsutil::PrivateDir> {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let tmp = std::env::temp_dir();
    SWEPT.call_once(|| {
        for gone in crate::fsutil::sweep_dead(&tmp, crate::fsutil::OUT_LEFTOVERS) {
            crate::log::info(format_args!(
                "removed {} (left by a killed run)",
                gone.display()
            ));
        }
    });
    crate::fsutil::private_dir_in(&tmp, "uptick-out-")
}
