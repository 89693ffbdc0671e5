//! The wire types of a package resource every source shares: its version and get params (each
//! source's `source` fields are its own, in `packages`).

use super::fields::empty_is_none;
use serde::{Deserialize, Serialize};

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
