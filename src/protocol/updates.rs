//! `source.updates`: the repositories an image's installed packages are compared with.

use super::fields::empty_is_none;
use serde::Deserialize;

/// `updates {apt, apk, include_regex, exclude_regex}`: an image is stale while a package
/// installed in it has a newer version in one of these repositories.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatesField {
    /// apt repositories (Debian, Ubuntu) the image's dpkg packages are compared with.
    #[serde(default)]
    pub apt: Vec<UpdatesApt>,
    /// apk repositories (Alpine, Wolfi) the image's apk packages are compared with.
    #[serde(default)]
    pub apk: Vec<UpdatesApk>,
    /// Only installed packages whose name matches (default: all).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub include_regex: Option<String>,
    /// Installed packages whose name matches are not compared (default: none).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub exclude_regex: Option<String>,
    /// Without `apt` and `apk` (the image's own repositories): repository URLs read without a signature check.
    #[serde(default)]
    pub insecure: Vec<String>,
}

/// One apt repository suite of `updates.apt`: the fields of an apt package source but the package.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatesApt {
    /// The archive root (`http://deb.debian.org/debian-security`).
    pub repository: String,
    /// The suite under `dists/` (`bookworm-security`).
    pub suite: String,
    /// The component (default `main`).
    #[serde(default, deserialize_with = "empty_is_none")]
    pub component: Option<String>,
    /// Armored OpenPGP public key(s) the suite's InRelease (or Release.gpg) must be signed by; required unless `insecure`.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub signed_by: Option<String>,
    /// `false` accepts a Release file past its `Valid-Until` (a snapshot mirror) (default `true`).
    #[serde(default)]
    pub check_valid_until: Option<bool>,
    /// `true` reads the repository without a signature check, as apt's `allow-insecure` (default `false`).
    #[serde(default)]
    pub insecure: bool,
}

/// One apk repository of `updates.apk`: the fields of an apk package source but the package.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatesApk {
    /// The repository (`https://dl-cdn.alpinelinux.org/alpine/v3.20/main`), holding `<arch>/APKINDEX.tar.gz`.
    pub repository: String,
    /// PEM RSA public key(s) the `APKINDEX.tar.gz` must be signed by; required unless `insecure`.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub signed_by: Option<String>,
    /// `true` reads the index without a signature check, as `apk --allow-untrusted` (default `false`).
    #[serde(default)]
    pub insecure: bool,
}
