//! Concourse wire types, strict request decoding and the one stdout writer.

use crate::digest::Digest;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::io::{Read, Write};

/// Largest request accepted on stdin.
const MAX_REQUEST_BYTES: u64 = 8 * 1024 * 1024;

/// Why a request could not be read or a response not written.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// stdin could not be read.
    #[error("invalid payload: cannot read stdin: {0}")]
    Read(std::io::Error),
    /// stdin was larger than we accept.
    #[error("invalid payload: request is larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    /// stdin is not one JSON value of the expected shape.
    #[error("invalid payload: {0}")]
    Json(String),
    /// A field has the wrong type or value, or is unknown.
    #[error("invalid payload: {path}: {message}")]
    Field {
        /// Dotted path to the field, from the request root (`source.platform.os`).
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// stdout could not be written.
    #[error("cannot write response to stdout: {0}")]
    Write(std::io::Error),
}

pub use crate::log::Secret;

impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "description": "never logged"})
    }
    fn inline_schema() -> bool {
        true
    }
}

/// `source.tag` as written: a string, or an integer (`tag: 3`); a fractional number is refused.
pub struct TagText;

impl schemars::JsonSchema for TagText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TagText".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": ["string", "integer"]})
    }
    fn inline_schema() -> bool {
        true
    }
}

impl schemars::JsonSchema for BaseField {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BaseField".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let object = generator.subschema_for::<BaseObject>();
        schemars::json_schema!({
            "description": "the base image: a reference, or {ref, username, password}",
            "anyOf": [{"type": "string"}, object]
        })
    }
}

/// The envelope of a `check` request: `{source, version}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckEnvelope {
    /// The resource's `source`, decoded per backend later.
    pub source: serde_json::Value,
    /// The cursor version, absent or null on the first check.
    #[serde(default)]
    pub version: Option<serde_json::Value>,
}

/// The envelope of an `in` request: `{source, version, params}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InEnvelope {
    /// The resource's `source`.
    pub source: serde_json::Value,
    /// The version to fetch.
    pub version: serde_json::Value,
    /// The step's `params` (may be absent or null).
    #[serde(default)]
    pub params: Option<serde_json::Value>,
}

/// The envelope of an `out` request: `{source, params}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutEnvelope {
    /// The resource's `source`.
    pub source: serde_json::Value,
    /// The step's `params` (may be absent or null).
    #[serde(default)]
    pub params: Option<serde_json::Value>,
}

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

/// One `{name, value}` metadata entry shown by Concourse.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct MetadataField {
    /// The entry's name.
    pub name: String,
    /// The entry's value.
    pub value: String,
}

impl MetadataField {
    /// A metadata entry.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        MetadataField {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// The response of `in` and `out`: `{version, metadata}`.
#[derive(Debug, Serialize)]
pub struct VersionResponse<V: Serialize> {
    /// The version fetched or created.
    pub version: V,
    /// Entries to show in the build log (always present, maybe empty).
    pub metadata: Vec<MetadataField>,
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
    /// uptick's addition: only images carrying a cosign signature by one of these keys
    /// (`check` skips the others; `in` and `out` with `promote` refuse them).
    #[serde(default)]
    pub verify: Option<VerifyField>,
}

/// `verify {keys, repositories}`: cosign key-based signatures, checked offline.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyField {
    /// Public keys (PEM `PUBLIC KEY`: ECDSA P-256, Ed25519 or RSA); a signature by any one suffices.
    pub keys: Vec<String>,
    /// Accepted `docker-reference`s of the signed payload (default: any, as cosign).
    #[serde(default)]
    pub repositories: Vec<String>,
}

/// A package resource's `source`: exactly one of `pypi`, `npm`, `crate`, `github`, `git`, `apt`, `apk`, `gem`, `helm`, `go`, `gitlab`, `maven`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageSource {
    /// A PyPI project (name normalised as PEP 503): PEP 691 JSON when the index offers it, else PEP 503 HTML.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub pypi: Option<String>,
    /// An npm package (`@scope/name` ok); deprecated versions skipped.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub npm: Option<String>,
    /// A crate on a sparse index; yanked versions skipped.
    #[serde(rename = "crate", default, deserialize_with = "empty_is_none")]
    pub krate: Option<String>,
    /// GitHub releases (or tags) of `OWNER/REPO`.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub github: Option<String>,
    /// Tags of a git remote (smart or dumb HTTP, or `file://`), read without cloning.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub git: Option<String>,
    /// A binary package of a Debian / Ubuntu apt repository (`openssl`); needs `repository` and `suite`.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub apt: Option<String>,
    /// A package of an Alpine apk repository (`python3`); needs `repository`.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub apk: Option<String>,
    /// A RubyGems gem (`rails`): the compact index, else the versions API; platform gems folded into their version.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub gem: Option<String>,
    /// A Helm chart (`redis`) of the chart repository `repository` (its `index.yaml`, or an OCI registry `oci://HOST/PATH`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub helm: Option<String>,
    /// A Go module path (`github.com/Azure/azure-sdk-for-go`) on a Go module proxy; pseudo-versions skipped.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub go: Option<String>,
    /// GitLab releases (or tags) of `GROUP/PROJECT` (subgroups allowed: `group/sub/project`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub gitlab: Option<String>,
    /// go: the Go module proxy (GOPROXY protocol; default `https://proxy.golang.org`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub proxy: Option<String>,
    /// An artifact of a Maven repository, `GROUP:ARTIFACT` (`org.apache.commons:commons-lang3`); `repository` defaults to Maven Central.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub maven: Option<String>,
    /// apt: the archive root (`https://deb.debian.org/debian`, `http://security.debian.org/debian-security`); apk: the repository (`https://dl-cdn.alpinelinux.org/alpine/v3.20/main`); helm: the chart repository (`https://charts.bitnami.com/bitnami`, `oci://registry-1.docker.io/bitnamicharts`); maven: the repository root (default `https://repo.maven.apache.org/maven2`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub repository: Option<String>,
    /// apt: the suite under `dists/` (`bookworm`, `bookworm-security`, `jammy-updates`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub suite: Option<String>,
    /// apt: the component (default `main`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub component: Option<String>,
    /// apt: Debian architecture (`amd64`, `arm64`); apk: Alpine architecture (`x86_64`, `aarch64`) (default: the worker's).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub architecture: Option<String>,
    /// apt: armored OpenPGP public key(s) (RSA or Ed25519) the suite's InRelease (or Release.gpg) must be signed by.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub signed_by: Option<String>,
    /// apt: `false` accepts a Release file past its `Valid-Until`, as apt's `Check-Valid-Until` (a snapshot mirror) (default `true`).
    #[serde(default)]
    pub check_valid_until: Option<bool>,
    /// The ecosystem's own constraint syntax: PEP 440 specifiers as `packaging` applies them
    /// (PyPI), Cargo requirements (crates), node-semver ranges in strict mode (npm, GitHub, GitLab, git, Helm, Go modules),
    /// Debian relations (apt: `>= 3.0.11-1~deb12u1, << 3.1`), apk comparisons (apk: `>=3.12 <3.13`, `~3.12`),
    /// RubyGems requirements, comma = and (gem: `~> 1.2, != 1.3.0`),
    /// Maven version ranges (maven: `[1.1,2.0)`, `(,1.0],[1.2,)`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub constraint: Option<String>,
    /// `true` admits pre-releases: PyPI `prereleases=True`, node-semver `includePrerelease` (npm,
    /// GitHub, GitLab, git, Helm, Go modules), any pre-release for crates; GitHub releases flagged pre-release; apk
    /// `_alpha`/`_beta`/`_pre`/`_rc`; RubyGems versions with a letter; Maven
    /// `alpha`/`beta`/`milestone`/`rc`/`cr`/`-SNAPSHOT`. `false` admits none, whatever the
    /// constraint names (PyPI `prereleases=False`). Absent keeps each ecosystem's default: PyPI
    /// `prereleases=None` (a specifier naming one, or nothing else matching), node-semver's
    /// same-tuple rule, RubyGems' requirement naming one; none elsewhere. No effect for apt
    /// (Debian has no pre-releases).
    #[serde(default)]
    pub pre_releases: Option<bool>,
    /// Only versions whose text matches.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub include_regex: Option<String>,
    /// Versions whose text matches are skipped.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub exclude_regex: Option<String>,
    /// Versions to skip.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// PyPI simple index root, crates sparse index root, or RubyGems index root (default `https://rubygems.org`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub index_url: Option<String>,
    /// npm registry root.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub registry: Option<String>,
    /// GitHub API root (GitHub Enterprise; default `https://api.github.com`); GitLab API root (self-managed; default `https://gitlab.com/api/v4`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub api_url: Option<String>,
    /// GitHub token (5,000 requests an hour instead of 60); GitLab token (sent as `PRIVATE-TOKEN`); sent only to `api_url`'s origin, never logged.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// GitHub and GitLab: `false` follows tags instead of releases (default `true`).
    #[serde(default)]
    pub releases: Option<bool>,
    /// GitHub: include draft releases.
    #[serde(default)]
    pub drafts: bool,
    /// GitHub, GitLab and git: its named group `version` is the version; tags it does not match are skipped (default: the tag without a leading `v`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub tag_regex: Option<String>,
    /// User of basic credentials for a private index or repository, sent only to its own origin.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub username: Option<String>,
    /// Password of those credentials; never logged.
    #[serde(default)]
    pub password: Option<Secret>,
    /// PEM certificates added to the system roots.
    #[serde(default)]
    pub ca_certs: Vec<String>,
    /// Skip TLS verification.
    #[serde(default)]
    pub insecure: bool,
    /// One stderr line per HTTP request (method, URL without secrets, status, ms).
    #[serde(default)]
    pub debug: bool,
    /// Seconds one request may take, retries included (default 60).
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    pub request_timeout: Option<u64>,
}

/// A package version: `{version}` plus `tag` when the tag differs (`v1.18.100`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageVersion {
    /// The version as the ecosystem spells it.
    pub version: String,
    /// The git/GitHub tag, when it is not the version itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// Get params of a package resource.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageGetParams {
    /// Glob of release file names to download, each verified by its published hash.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub download: Option<String>,
}

/// The keys that make a `source` a package source.
pub const PACKAGE_KEYS: [&str; 12] = [
    "pypi", "npm", "crate", "github", "git", "apt", "apk", "gem", "helm", "go", "gitlab", "maven",
];

/// The JSON Schemas (draft 2020-12) of what a pipeline writes, by file name in `schema/`: each
/// mode's `source`, get params and put params, and the versions; generated from these types
/// (`tests/schema.rs` keeps `schema/` and the field tables of `docs/` in step with them).
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn one<T: schemars::JsonSchema>(title: &str) -> serde_json::Value {
        let mut v = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        v["title"] = title.into();
        v
    }
    let mut package = one::<PackageSource>("uptick package source");
    package["oneOf"] = PACKAGE_KEYS
        .iter()
        .map(|k| serde_json::json!({"required": [k]}))
        .collect();
    vec![
        ("image-source", one::<ImageSource>("uptick image source")),
        (
            "image-get-params",
            one::<ImageGetParams>("uptick image get params"),
        ),
        (
            "image-put-params",
            one::<ImagePutParams>("uptick image put params"),
        ),
        ("image-version", one::<ImageVersion>("uptick image version")),
        ("package-source", package),
        (
            "package-get-params",
            one::<PackageGetParams>("uptick package get params"),
        ),
        (
            "package-version",
            one::<PackageVersion>("uptick package version"),
        ),
    ]
}

/// Whether a raw `source` is a package source (any package key present).
pub fn is_package_source(source: &serde_json::Value) -> bool {
    source
        .as_object()
        .is_some_and(|o| PACKAGE_KEYS.iter().any(|k| o.contains_key(*k)))
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

fn empty_is_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// `tag` may be a JSON string or an integer (`tag: 3` is `"3"`). A fractional number is refused:
/// YAML reads an unquoted `tag: 3.20` as the number 3.2, and `3.2` may well be a tag too.
fn tag_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s).filter(|s| !s.is_empty())),
        Some(serde_json::Value::Number(n)) if !n.is_f64() => Ok(Some(n.to_string())),
        Some(serde_json::Value::Number(n)) => Err(serde::de::Error::custom(format!(
            "the number {n} is not a tag: YAML reads an unquoted `3.20` as the number 3.2, \
             so quote the tag (`tag: \"3.20\"`)"
        ))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string or an integer, found {}",
            json_kind(&other)
        ))),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Reads the whole request from stdin and decodes its envelope strictly.
pub fn read_envelope<T: DeserializeOwned>(stdin: &mut dyn Read) -> Result<T, ProtocolError> {
    let mut buf = Vec::new();
    stdin
        .take(MAX_REQUEST_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(ProtocolError::Read)?;
    if buf.len() as u64 > MAX_REQUEST_BYTES {
        return Err(ProtocolError::TooLarge);
    }
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Err(ProtocolError::Json("empty request on stdin".into()));
    }
    let mut de = serde_json::Deserializer::from_slice(&buf);
    let duplicate = std::cell::RefCell::new(None);
    let parsed = serde::de::DeserializeSeed::deserialize(
        NoDuplicates {
            path: String::new(),
            duplicate: &duplicate,
        },
        &mut de,
    );
    let value = match parsed {
        Ok(v) => v,
        Err(e) => {
            return Err(match duplicate.take() {
                Some((path, key)) => ProtocolError::Field {
                    path: if path.is_empty() {
                        "request".into()
                    } else {
                        path
                    },
                    message: format!("duplicate field `{key}`"),
                },
                None => ProtocolError::Json(format!("not valid JSON: {e}")),
            })
        }
    };
    de.end()
        .map_err(|e| ProtocolError::Json(format!("trailing data after the request: {e}")))?;
    decode_with_path(Strict(value), "")
}

/// Decodes one part of the request (`source`, `version`, `params`) strictly; errors name the path.
pub fn decode_part<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ProtocolError> {
    decode_with_path(Strict(value), prefix)
}

/// Reads a JSON value refusing a key that appears twice in one object, at any depth
/// (`serde_json::Value` would keep the last silently). The first duplicate's path and key are
/// left in `duplicate`.
struct NoDuplicates<'a> {
    path: String,
    duplicate: &'a std::cell::RefCell<Option<(String, String)>>,
}

impl NoDuplicates<'_> {
    fn child(&self, name: &str) -> Self {
        NoDuplicates {
            path: if self.path.is_empty() {
                name.to_string()
            } else if name.starts_with('[') {
                format!("{}{name}", self.path)
            } else {
                format!("{}.{name}", self.path)
            },
            duplicate: self.duplicate,
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for NoDuplicates<'_> {
    type Value = serde_json::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicates<'_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self.child(&format!("[{}]", items.len())))? {
            items.push(v);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                *self.duplicate.borrow_mut() = Some((self.path.clone(), key.clone()));
                return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
            }
            let value = map.next_value_seed(self.child(&key))?;
            object.insert(key, value);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// A decoded JSON value as a deserializer that, unlike `serde_json::Value`, refuses an array
/// where an object (a struct) is expected: serde lets a sequence fill a struct field by field,
/// so `params: []` would otherwise decode as every default.
struct Strict(serde_json::Value);

impl<'de> serde::de::IntoDeserializer<'de, serde_json::Error> for Strict {
    type Deserializer = Strict;

    fn into_deserializer(self) -> Strict {
        self
    }
}

impl<'de> Deserializer<'de> for Strict {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        use serde::de::value::{MapDeserializer, SeqDeserializer};
        match self.0 {
            serde_json::Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Strict));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            serde_json::Value::Object(object) => {
                let mut map = MapDeserializer::new(object.into_iter().map(|(k, v)| (k, Strict(v))));
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            serde_json::Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Strict(other)),
        }
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self.0 {
            serde_json::Value::Object(_) => self.deserialize_any(visitor),
            other => Err(serde::de::Error::invalid_type(
                unexpected(&other),
                &"an object",
            )),
        }
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit(visitor)
    }

    fn deserialize_unit_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit(visitor)
    }

    fn deserialize_ignored_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        seq tuple tuple_struct map identifier
    }
}

fn unexpected(v: &serde_json::Value) -> serde::de::Unexpected<'_> {
    use serde::de::Unexpected;
    match v {
        serde_json::Value::Null => Unexpected::Unit,
        serde_json::Value::Bool(b) => Unexpected::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, Some(f)) => Unexpected::Float(f),
            _ => Unexpected::Other("number"),
        },
        serde_json::Value::String(s) => Unexpected::Str(s),
        serde_json::Value::Array(_) => Unexpected::Seq,
        serde_json::Value::Object(_) => Unexpected::Map,
    }
}

fn decode_with_path<'de, T, D>(de: D, prefix: &str) -> Result<T, ProtocolError>
where
    T: DeserializeOwned,
    D: Deserializer<'de, Error: fmt::Display>,
{
    let mut track = serde_path_to_error::Track::new();
    let result = T::deserialize(serde_path_to_error::Deserializer::new(de, &mut track));
    result.map_err(|e| {
        let inner = track.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, ".") => "request".to_string(),
            (true, _) => inner,
            (false, ".") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        let message = shorten_serde_message(&e.to_string());
        if message.starts_with("EOF") || message.contains("expected value at line") {
            ProtocolError::Json(format!("not valid JSON: {message}"))
        } else {
            ProtocolError::Field { path, message }
        }
    })
}

/// serde lists every known field after an unknown one: keep the message to the point, naming
/// the closest known field when one is close; a number where text is expected is told to be
/// quoted.
fn shorten_serde_message(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        // The known fields follow the last `, expected ` (the unknown name may hold that text).
        let (unknown, known) = match rest.rfind("`, expected ") {
            Some(i) => (
                &rest[..i],
                rest[i + 1..].split('`').skip(1).step_by(2).collect(),
            ),
            None => match rest.strip_suffix("`, there are no fields") {
                Some(unknown) => (unknown, Vec::new()),
                None => return msg.to_string(),
            },
        };
        let head = format!("unknown field `{unknown}`");
        return match closest_field(unknown, &known) {
            Some(k) => format!("{head}, did you mean `{k}`?"),
            None => head,
        };
    }
    if msg.ends_with("expected a string") {
        if msg.starts_with("invalid type: floating point") {
            return format!("{msg}: quote it (YAML reads an unquoted `1.10` as the number 1.1)");
        }
        if msg.starts_with("invalid type: integer") {
            return format!("{msg}: quote it");
        }
    }
    msg.to_string()
}

/// Longest field name compared by edit distance (known fields are short; anything longer has no
/// close field, and the work stays bounded whatever the request holds).
const MAX_COMPARED_NAME: usize = 64;

/// The known field an unknown one most likely meant: one or two edits away (one for names of
/// up to four characters; case, `-` for `_` and swapped letters count as one), else a known
/// field it begins (`user` → `username`, at least four characters).
fn closest_field<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let u = norm(unknown);
    if u.is_empty() || u.len() > MAX_COMPARED_NAME {
        return None;
    }
    let limit = if u.len() <= 4 { 1 } else { 2 };
    let by_distance = known
        .iter()
        .map(|k| (edit_distance(&u, &norm(k)), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k);
    by_distance.or_else(|| {
        known
            .iter()
            .find(|k| u.len() >= 4 && norm(k).starts_with(&u))
            .copied()
    })
}

/// Edits (insert, delete, substitute, swap two neighbours) between `a` and `b` (optimal string
/// alignment distance).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut rows = vec![(0..=b.len()).collect::<Vec<usize>>(); a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

/// Writes the response as one JSON document on stdout — the only writer stdout has.
pub fn write_json<T: Serialize>(stdout: &mut dyn Write, value: &T) -> Result<(), ProtocolError> {
    let mut text = serde_json::to_vec(value)
        .map_err(|e| ProtocolError::Write(std::io::Error::other(e.to_string())))?;
    text.push(b'\n');
    stdout.write_all(&text).map_err(ProtocolError::Write)?;
    stdout.flush().map_err(ProtocolError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(json: &str) -> Result<ImageSource, ProtocolError> {
        decode_part(serde_json::from_str(json).unwrap(), "source")
    }

    #[test]
    fn unknown_nested_field_names_its_path() {
        let err = source(r#"{"repository":"a","platform":{"os":"linux","cpu":"x"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("source.platform"), "{err}");
        assert!(err.contains("unknown field `cpu`"), "{err}");
        assert!(!err.contains("expected one of"), "{err}");
    }

    #[test]
    fn an_integer_tag_becomes_a_string_and_a_fraction_is_refused() {
        let s = source(r#"{"repository":"a","tag":3}"#).unwrap();
        assert_eq!(s.tag.as_deref(), Some("3"));
        let s = source(r#"{"repository":"a","tag":""}"#).unwrap();
        assert_eq!(s.tag, None);
        for fraction in ["3.2", "3.0", "1e2", "123456789012345678901234567890"] {
            let err = source(&format!(r#"{{"repository":"a","tag":{fraction}}}"#))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("invalid payload: source.tag: the number ")
                    && err.contains("quote"),
                "{err}"
            );
        }
    }

    #[test]
    fn an_unknown_field_names_the_closest_known_one() {
        let known = [
            "repository",
            "tag",
            "tag_regex",
            "username",
            "password",
            "os",
        ];
        for (unknown, meant) in [
            ("tga", Some("tag")),
            ("Tag", Some("tag")),
            ("tag-regex", Some("tag_regex")),
            ("repositry", Some("repository")),
            ("pasword", Some("password")),
            ("user", Some("username")),
            ("o", Some("os")),
            ("colour", None),
            ("ta", Some("tag")),
            ("t", None),
            ("usr", None),
            ("", None),
        ] {
            assert_eq!(closest_field(unknown, &known), meant, "{unknown}");
        }
        assert_eq!(closest_field(&"x".repeat(10_000), &known), None);
    }

    #[test]
    fn unknown_field_messages_keep_their_prefix() {
        for (msg, short) in [
            (
                "unknown field `tga`, expected one of `repository`, `tag`",
                "unknown field `tga`, did you mean `tag`?",
            ),
            (
                "unknown field `arch`, expected `architecture` or `os`",
                "unknown field `arch`, did you mean `architecture`?",
            ),
            ("unknown field `cpu`, expected `os`", "unknown field `cpu`"),
            (
                "unknown field `x`, there are no fields",
                "unknown field `x`",
            ),
            (
                "unknown field `a`, expected `tag`, expected `b`, expected one of `c`",
                "unknown field `a`, expected `tag`, expected `b`",
            ),
        ] {
            assert_eq!(shorten_serde_message(msg), short);
        }
    }

    #[test]
    fn missing_repository_is_named() {
        let err = source(r#"{"tag":"x"}"#).unwrap_err().to_string();
        assert!(err.contains("missing field `repository`"), "{err}");
    }

    #[test]
    fn secret_is_redacted_in_debug() {
        let s = source(r#"{"repository":"a","password":"hunter2"}"#).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn envelope_rejects_trailing_and_empty() {
        let r: Result<CheckEnvelope, _> = read_envelope(&mut &b"{\"source\":{}} x"[..]);
        assert!(r.is_err());
        let r: Result<CheckEnvelope, _> = read_envelope(&mut &b"  "[..]);
        assert!(r.unwrap_err().to_string().contains("empty request"));
    }
}
