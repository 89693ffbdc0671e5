//! The fields every package source has: constraint and filters, credentials, TLS, request limits.

use crate::protocol::{empty_is_none, Secret};
use serde::Deserialize;

/// The fields every package source shares; each source's own fields are its own struct
/// ([`super::Source`]).
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommonFields {
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
