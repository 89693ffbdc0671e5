//! The wire types of an image resource: source, versions, get and put params.

use super::fields::{empty_is_none, json_kind, tag_string};
use super::schema::TagText;
use super::Secret;
use crate::digest::Digest;
use serde::{Deserialize, Deserializer, Serialize};

/// Put params of an image resource: registry-image-resource's, plus `tags` and `promote`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImagePutParams {
    /// Glob (relative to the sources dir) matching one OCI layout directory or image tarball.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub image: Option<String>,
    /// A semantic version to tag with (normalised, `-<variant>` appended).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub version: Option<String>,
    /// Also move `latest`, `X` and `X.Y` when `version` is the newest of its line.
    #[serde(default)]
    pub bump_aliases: bool,
    /// A file (relative to the sources dir) of whitespace-separated extra tags.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub additional_tags: Option<String>,
    /// Prefix for each additional tag.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub tag_prefix: Option<String>,
    /// Literal tags (uptick's addition; need not be versions).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Promote an existing image instead of pushing one: a tag of this repository, a full
    /// reference, or a directory from an earlier `get` (uptick's addition).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub promote: Option<String>,
    /// Carry what refers to the image (cosign signatures, attestations, SBOMs, OCI 1.1
    /// referrers) along with a promotion from another repository (default `true`; uptick's
    /// addition).
    #[serde(default)]
    pub referrers: Option<bool>,
    /// Sign what is pushed or promoted with a cosign key; its fields override `source.sign`'s
    /// (uptick's addition).
    #[serde(default)]
    pub sign: Option<SignField>,
}

/// A version of an image: the tag it was found under and the manifest digest.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageVersion {
    /// The tag; a cursor may omit it (it is then filled in from `source.tag`).
    #[serde(default)]
    pub tag: String,
    /// The manifest (or index) digest.
    pub digest: Digest,
    /// Freshness mode (`source.base`): the base digest the image was found stale against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_digest: Option<Digest>,
    /// Updates mode (`source.updates`): `sha256:` of the sorted `name=installed->available` list found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates: Option<Digest>,
}

/// `base`: the image an image is built on, as a reference or `{ref, username, password}`.
#[derive(Clone, Debug)]
pub enum BaseField {
    /// `alpine:3.20`.
    Plain(String),
    /// With its own credentials.
    Full(BaseObject),
}

/// The object form of `base`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseObject {
    /// The base reference (`alpine:3.20`, `host/repo:tag`, `repo@sha256:…`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// User for the base's registry.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub username: Option<String>,
    /// Password for the base's registry.
    #[serde(default)]
    pub password: Option<Secret>,
}

impl BaseField {
    /// The reference text.
    pub fn reference(&self) -> &str {
        match self {
            BaseField::Plain(r) => r,
            BaseField::Full(o) => &o.reference,
        }
    }

    /// The user, if any.
    pub fn username(&self) -> Option<&str> {
        match self {
            BaseField::Plain(_) => None,
            BaseField::Full(o) => o.username.as_deref(),
        }
    }

    /// The password, if any.
    pub fn password(&self) -> Option<&Secret> {
        match self {
            BaseField::Plain(_) => None,
            BaseField::Full(o) => o.password.as_ref(),
        }
    }
}

impl<'de> Deserialize<'de> for BaseField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(BaseField::Plain(s)),
            v @ serde_json::Value::Object(_) => serde_json::from_value(v)
                .map(BaseField::Full)
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "expected a reference string or {{ref, username, password}}, found {}",
                json_kind(&other)
            ))),
        }
    }
}

/// `platform {architecture, os, variant}`; `variant` is uptick's addition.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformField {
    /// CPU architecture (`amd64`, `arm64`, `arm`, …).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub architecture: Option<String>,
    /// Operating system (`linux`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub os: Option<String>,
    /// CPU variant (`v7`, `v8`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub variant: Option<String>,
}

/// `registry_mirror {host, username, password}`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistryMirror {
    /// Mirror host (`mirror.example.com:5000`).
    pub host: String,
    /// Mirror user.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub username: Option<String>,
    /// Mirror password.
    #[serde(default)]
    pub password: Option<Secret>,
}

/// `content_trust {…}` (accepted for compatibility; not acted on yet).
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContentTrust {
    /// Notary server URL.
    #[serde(default)]
    pub server: String,
    /// Repository key id.
    #[serde(default)]
    pub repository_key_id: String,
    /// Repository key (PEM); never logged.
    #[serde(default)]
    pub repository_key: Option<Secret>,
    /// Its passphrase; never logged.
    #[serde(default)]
    pub repository_passphrase: Option<Secret>,
    /// TLS client key for the Notary server; never logged.
    #[serde(default)]
    pub tls_key: Option<Secret>,
    /// TLS client certificate for the Notary server.
    #[serde(default)]
    pub tls_cert: String,
    /// Token scopes.
    #[serde(default)]
    pub scopes: String,
    /// Notary user.
    #[serde(default)]
    pub username: String,
    /// Notary password; never logged.
    #[serde(default)]
    pub password: Option<Secret>,
}

/// An image resource's `source`: every field registry-image-resource accepts.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageSource {
    /// The repository: `alpine` (Docker Hub, `library/` added) or `host[:port]/path`.
    pub repository: String,
    /// Skip TLS verification.
    #[serde(default)]
    pub insecure: bool,
    /// Semver mode: admit `alpha`/`beta`/`rc` pre-releases (default `false`).
    #[serde(default)]
    pub pre_releases: bool,
    /// Semver mode: further pre-release prefixes admitted with `pre_releases`.
    #[serde(default)]
    pub pre_release_prefixes: Vec<String>,
    /// Semver mode: only tags ending `-<variant>`.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub variant: Option<String>,
    /// Semver mode: a Masterminds constraint (`1.2.x`, `~1.2`, `^1`, `>= 1.2, < 2`, `1.2 - 1.4`, `a || b`); default all versions.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub semver_constraint: Option<String>,
    /// Tag to watch (tag mode); without it semver mode, or regex mode with `tag_regex`.
    #[serde(default, deserialize_with = "tag_string")]
    #[schemars(with = "Option<TagText>")]
    pub tag: Option<String>,
    /// Regex mode: matching tags.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub tag_regex: Option<String>,
    /// Regex mode without a `version` group: order by the image config's `created`.
    #[serde(default)]
    pub created_at_sort: bool,
    /// Manifest annotations whose keys match become `in` metadata.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub annotation_regex: Option<String>,
    /// Image labels whose keys match become `in` metadata.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub label_regex: Option<String>,
    /// User name of basic credentials (used only with `password`), also for token servers.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub username: Option<String>,
    /// Password or token of basic credentials (used only with `username`); never logged.
    #[serde(default)]
    pub password: Option<Secret>,
    /// ECR: static access key id (default: the worker's AWS credential chain).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub aws_access_key_id: Option<String>,
    /// ECR: static secret access key; never logged.
    #[serde(default)]
    pub aws_secret_access_key: Option<Secret>,
    /// ECR: session token of temporary static keys; never logged.
    #[serde(default)]
    pub aws_session_token: Option<Secret>,
    /// Turns the ECR login on (as upstream: the resulting `AWS` user and 12-hour password replace `username`/`password`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub aws_region: Option<String>,
    /// Deprecated upstream; accepted and ignored with a notice.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub aws_ecr_registry_id: Option<String>,
    /// ECR: a role to assume (not with `aws_role_arns`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub aws_role_arn: Option<String>,
    /// ECR: roles assumed in order, each with the previous one's credentials.
    #[serde(default)]
    pub aws_role_arns: Vec<String>,
    /// ECR: names the repository `<account>.dkr.ecr.<region>.amazonaws.com/<repository>` (`.com.cn` in `cn-` regions).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub aws_account_id: Option<String>,
    /// Azure ACR: log in with the worker's managed identity.
    #[serde(default)]
    pub azure_acr: bool,
    /// A user-assigned identity's client id (default: the system-assigned identity).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub azure_client_id: Option<String>,
    /// The registry's Azure tenant (default: from the registry's challenge, else `common`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub azure_tenant_id: Option<String>,
    /// `AzurePublic`, `AzureGovernment`, `AzureChina` (default: from the registry's domain).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub azure_environment: Option<String>,
    /// uptick's addition: registry hosts (`host[:port]`) outside the cloud's own that the cloud login (`aws_region`, `azure_acr`) may send its tokens to (default: none; ECR's `<account>.dkr.ecr.<region>.amazonaws.com` and ACR's `*.azurecr.io`/`.cn`/`.us` only).
    #[serde(default)]
    pub cloud_login_hosts: Vec<String>,
    /// A mirror `{host, username, password}` tried first for Docker Hub repositories; the origin on error or an empty result.
    #[serde(default)]
    pub registry_mirror: Option<RegistryMirror>,
    /// Notary content trust: not supported yet (the run fails naming it).
    #[serde(default)]
    pub content_trust: Option<ContentTrust>,
    /// PEM certificates added to the system roots.
    #[serde(default)]
    pub ca_certs: Vec<String>,
    /// Platform whose labels/annotations `in` reads (`variant` is uptick's addition) (default: the worker's, `linux` and its CPU).
    #[serde(default)]
    pub platform: Option<PlatformField>,
    /// One stderr line per HTTP request (method, URL without secrets, status, ms).
    #[serde(default)]
    pub debug: bool,
    /// uptick's addition: seconds one request may take, retries included (default 60).
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub request_timeout: Option<u64>,
    /// uptick's addition: client certificate (PEM) for registries that demand mTLS.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub client_cert: Option<String>,
    /// uptick's addition: its private key (PEM).
    #[serde(default)]
    pub client_key: Option<Secret>,
    /// uptick's addition: a docker `config.json` to take credentials from.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub docker_config: Option<String>,
    /// uptick's addition: freshness mode against this base image.
    #[serde(default)]
    pub base: Option<BaseField>,
    /// uptick's addition: stale while a package installed in the image has a newer version in these repositories.
    #[serde(default)]
    pub updates: Option<super::UpdatesField>,
    /// uptick's addition: only images carrying a cosign signature by one of these keys
    /// (`check` skips the others; `in` and `out` with `promote` refuse them).
    #[serde(default)]
    pub verify: Option<VerifyField>,
    /// uptick's addition: sign what every `out` pushes or promotes with a cosign key (`params.sign` overrides it field by field).
    #[serde(default)]
    pub sign: Option<SignField>,
}

/// `sign {key, password, recursive, annotations}`: a cosign key-based signature of what `out`
/// writes, stored as cosign stores it.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignField {
    /// The private key (PEM): cosign's `ENCRYPTED SIGSTORE PRIVATE KEY` / `ENCRYPTED COSIGN PRIVATE KEY`, or an unencrypted `PRIVATE KEY` (PKCS#8) / `EC PRIVATE KEY` of ECDSA P-256, Ed25519 or RSA; never logged.
    #[serde(default)]
    pub key: Option<Secret>,
    /// The password of an encrypted key (default empty, as cosign's `COSIGN_PASSWORD=""`); never logged.
    #[serde(default)]
    pub password: Option<Secret>,
    /// For a multi-arch index: also sign each platform manifest (default `false`: the index only).
    #[serde(default)]
    pub recursive: Option<bool>,
    /// Annotations written into the signed payload's `optional` (as `cosign sign -a key=value`).
    #[serde(default)]
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
}

/// `verify {keys, repositories, identities, trusted_root, require_sct, all}`: cosign key-based
/// and keyless signatures, checked offline.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyField {
    /// Public keys (PEM `PUBLIC KEY`: ECDSA P-256, Ed25519 or RSA); a signature by any one suffices.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Accepted `docker-reference`s of the signed payload (default: any, as cosign).
    #[serde(default)]
    pub repositories: Vec<String>,
    /// Keyless signers: a signature whose Fulcio certificate names one of them suffices.
    #[serde(default)]
    pub identities: Vec<IdentityField>,
    /// A Sigstore `trusted_root.json` (its text, or the object itself): the Fulcio CAs, Rekor and CT log keys keyless signatures are judged against.
    #[serde(default)]
    pub trusted_root: Option<serde_json::Value>,
    /// Refuse a keyless signature whose certificate embeds no SCT (default `false`: the Rekor SET already proves the log entry).
    #[serde(default)]
    pub require_sct: bool,
    /// With both `keys` and `identities`: require a signature of each kind (default `false`: either suffices).
    #[serde(default)]
    pub all: bool,
}

/// One keyless signer: the OIDC issuer and the certificate's subject (SAN email or URI).
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityField {
    /// The OIDC issuer, exactly as the Fulcio issuer extension holds it.
    pub issuer: String,
    /// The subject (SAN email or URI), exactly.
    #[serde(default)]
    pub subject: Option<String>,
    /// A regular expression the whole subject matches (instead of `subject`).
    #[serde(default)]
    pub subject_regex: Option<String>,
}

/// Get params of an image resource.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageGetParams {
    /// `rootfs` (default), `oci` or `oci-layout`.
    #[serde(default)]
    pub format: Option<ImageFormat>,
    /// Overrides `source.platform`.
    #[serde(default)]
    pub platform: Option<PlatformField>,
    /// Write only `tag`, `digest` and `repository`.
    #[serde(default)]
    pub skip_download: bool,
    /// Also write `aliases` (tags with this digest) and `version` (the highest semver of them).
    #[serde(default)]
    pub aliases: bool,
    /// `oci-layout`: also write what refers to the image (cosign signatures, attestations,
    /// SBOMs, OCI 1.1 referrers) into the layout, for a later `out` to push.
    #[serde(default)]
    pub referrers: bool,
}

/// The on-disk shape `in` writes an image in.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub enum ImageFormat {
    /// `rootfs/` plus `metadata.json`.
    #[serde(rename = "rootfs")]
    Rootfs,
    /// `image.tar`.
    #[serde(rename = "oci")]
    Oci,
    /// `oci/` layout directory.
    #[serde(rename = "oci-layout")]
    OciLayout,
}
