//! The wire types of a package resource: source, version, get params and the keys that mark one.

use super::fields::empty_is_none;
use super::Secret;
use serde::{Deserialize, Serialize};

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

/// Whether a raw `source` is a package source (any package key present).
pub fn is_package_source(source: &serde_json::Value) -> bool {
    source
        .as_object()
        .is_some_and(|o| PACKAGE_KEYS.iter().any(|k| o.contains_key(*k)))
}
