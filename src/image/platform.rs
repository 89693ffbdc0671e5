//! Choosing one image manifest out of an index for a platform.

use super::ImageError;
use crate::protocol::PlatformField;

/// `os/architecture[/variant]` wanted, defaults filled in from the running binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`.
    pub architecture: String,
    /// `v7`, when asked for.
    pub variant: Option<String>,
}

impl Platform {
    /// Step params override source; missing parts default to the platform uptick runs on.
    pub(super) fn resolve(
        source: Option<&PlatformField>,
        step: Option<&PlatformField>,
    ) -> Platform {
        let pick = step.or(source).cloned().unwrap_or_default();
        Platform {
            os: pick.os.unwrap_or_else(|| std::env::consts::OS.to_string()),
            architecture: pick.architecture.unwrap_or_else(|| go_arch().to_string()),
            variant: pick.variant,
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The running architecture in OCI (Go) spelling.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// An index (OCI image index or Docker manifest list): oci-client's wire type, with every
/// entry's digest and size checked before uptick uses them.
#[derive(Debug)]
pub(super) struct Index {
    /// Child manifests.
    pub manifests: Vec<Descriptor>,
}

impl Index {
    /// Parses an index document (`oci_client::manifest::OciImageIndex`) and checks its entries.
    pub(super) fn parse(bytes: &[u8]) -> Result<Index, DocError> {
        let wire: oci_client::manifest::OciImageIndex = serde_json::from_slice(bytes)?;
        let manifests = wire
            .manifests
            .into_iter()
            .map(|e| {
                let platform = e.platform.map(|p| DescriptorPlatform {
                    architecture: p.architecture.to_string(),
                    os: p.os.to_string(),
                    variant: p.variant,
                });
                Descriptor::checked(&e.digest, e.size, platform)
            })
            .collect::<Result<_, _>>()?;
        Ok(Index { manifests })
    }
}

/// Why a manifest or index document is not one uptick can use.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DocError {
    /// Not the document's JSON shape (the decoder's error, as it says it).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A descriptor's digest is not one (uptick's own digest check).
    #[error("descriptor digest: {0}")]
    Digest(crate::digest::DigestError),
    /// A descriptor's size is negative.
    #[error("descriptor size {0} is negative")]
    NegativeSize(i64),
}

/// A content descriptor whose digest parsed and whose size is not negative.
#[derive(Clone, Debug)]
pub(super) struct Descriptor {
    /// Size in bytes.
    pub size: u64,
    /// Digest of the target.
    pub digest: crate::digest::Digest,
    /// Platform of an index entry.
    pub platform: Option<DescriptorPlatform>,
}

impl Descriptor {
    fn checked(
        digest: &str,
        size: i64,
        platform: Option<DescriptorPlatform>,
    ) -> Result<Descriptor, DocError> {
        let digest = digest.parse().map_err(DocError::Digest)?;
        let size = u64::try_from(size).map_err(|_| DocError::NegativeSize(size))?;
        Ok(Descriptor {
            size,
            digest,
            platform,
        })
    }

    /// A checked copy of oci-client's descriptor (`config`, `layers`).
    pub(super) fn from_wire(
        d: &oci_client::manifest::OciDescriptor,
    ) -> Result<Descriptor, DocError> {
        Descriptor::checked(&d.digest, d.size, None)
    }
}

/// An index entry's platform.
#[derive(Clone, Debug)]
pub(super) struct DescriptorPlatform {
    /// `amd64`.
    pub architecture: String,
    /// `linux`.
    pub os: String,
    /// `v7`.
    pub variant: Option<String>,
}

/// Picks the entry for `wanted`; a variant is matched only when asked for. Errors list what exists.
pub(super) fn select<'a>(
    index: &'a Index,
    wanted: &Platform,
    reference: &str,
) -> Result<&'a Descriptor, ImageError> {
    let found = index.manifests.iter().find(|d| {
        d.platform.as_ref().is_some_and(|p| {
            p.os == wanted.os
                && p.architecture == wanted.architecture
                && wanted
                    .variant
                    .as_ref()
                    .is_none_or(|v| p.variant.as_deref() == Some(v.as_str()))
        })
    });
    found.ok_or_else(|| {
        let available: Vec<String> = index
            .manifests
            .iter()
            .filter_map(|d| d.platform.as_ref())
            .filter(|p| p.architecture != "unknown")
            .map(|p| match &p.variant {
                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            })
            .collect();
        ImageError::Platform {
            reference: reference.to_string(),
            wanted: wanted.to_string(),
            available: if available.is_empty() {
                "none".to_string()
            } else {
                available.join(", ")
            },
        }
    })
}
