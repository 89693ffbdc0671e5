//! What applying a layer reports: its counts, or why it could not be applied.

use std::io;

/// Why a layer could not be applied.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExtractError {
    /// An entry would write outside the root.
    #[error("layer entry `{entry}` escapes the destination ({why})")]
    Escape {
        /// The entry name.
        entry: String,
        /// How.
        why: String,
    },
    /// Reading the layer (or its digest check) failed.
    #[error(transparent)]
    Read(io::Error),
    /// A sparse file: refused, as umoci does (writing its holes out would let a tiny layer
    /// fill the disk).
    #[error("layer entry `{entry}` is a sparse file ({how}); uptick refuses sparse files rather than write their holes out as zeros")]
    Sparse {
        /// The entry name.
        entry: String,
        /// Which sparse format.
        how: &'static str,
    },
    /// A filesystem operation failed.
    #[error("cannot extract `{entry}`")]
    Write {
        /// The entry name.
        entry: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// An extended attribute could not be set.
    #[error("cannot extract `{entry}`: xattr {name}")]
    Xattr {
        /// The entry name.
        entry: String,
        /// The attribute.
        name: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The tree under the destination is not what the entry needs.
    #[error("cannot extract `{entry}`: {detail}")]
    Tree {
        /// The entry name.
        entry: String,
        /// What is in the way.
        detail: String,
    },
}

impl ExtractError {
    /// The `map_err` of every filesystem call made for `entry`: a [`ExtractError::Write`].
    pub(super) fn write(entry: &str) -> impl Fn(io::Error) -> ExtractError + Copy + '_ {
        move |source| ExtractError::Write {
            entry: entry.to_string(),
            source,
        }
    }
}

/// Counts for a layer.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LayerStats {
    /// Entries applied.
    pub entries: u64,
    /// Device nodes and FIFOs skipped.
    pub skipped: u64,
}
