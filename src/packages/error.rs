//! The one error type of package sources: the request, the index, the disk.

use crate::net::{BrokeOff, NetError};
use crate::protocol::ProtocolError;

/// Errors of the package backends.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The request failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The index does not know the package.
    #[error("{ecosystem} package `{package}` not found at {url}")]
    NotFound {
        /// `PyPI`, `crates.io`.
        ecosystem: &'static str,
        /// The name asked for.
        package: String,
        /// Where it was looked up.
        url: String,
    },
    /// The index answered something unreadable.
    #[error("{url}: {detail}")]
    Malformed {
        /// The document.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// The index could not be read (not the compression it claims, say); the cause is kept.
    #[error("{url}")]
    Index {
        /// The document.
        url: String,
        /// Why, with its own causes.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file in DEST (or a kept index list) could not be written. The cause is not repeated
    /// in the text: the error line (`{:#}`) and `log::chain` append it.
    #[error("{path}")]
    Disk {
        /// The file or directory.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A registry (an OCI chart repository) failed; its error is the cause.
    #[error("{url}")]
    Registry {
        /// What was asked for (`oci://HOST/PATH/CHART:TAG`).
        url: String,
        /// Why.
        #[source]
        source: Box<crate::registry::RegistryError>,
    },
    /// The request's `source` cannot be decoded.
    #[error(transparent)]
    Request(#[from] ProtocolError),
    /// A field of other sources set on this one.
    #[error("{field}: {detail}")]
    Foreign {
        /// The field (`source.suite`).
        field: String,
        /// Which sources have it.
        detail: String,
    },
    /// A field of a list entry is wrong (`source.updates.apt[0].suite`).
    #[error("{field}: {detail}")]
    Entry {
        /// The field, with the entry's index.
        field: String,
        /// What is wrong.
        detail: String,
    },
    /// A source field is wrong.
    #[error("{field}: {detail}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
}

impl BrokeOff for PackageError {
    fn broke_off(&self) -> Option<(&str, &str)> {
        match self {
            PackageError::Net(e) => e.broke_off(),
            _ => None,
        }
    }
}

impl From<crate::fsutil::OutputError> for PackageError {
    /// An output of `in` that could not be staged or moved into DEST: its path and cause.
    fn from(e: crate::fsutil::OutputError) -> PackageError {
        PackageError::Disk {
            path: e.path.display().to_string(),
            source: e.source,
        }
    }
}
