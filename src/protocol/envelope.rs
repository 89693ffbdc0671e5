//! The request envelopes (`check`, `in`, `out`) and the `{version, metadata}` response.

use serde::{Deserialize, Serialize};

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
