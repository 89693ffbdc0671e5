//! Layer extraction: gzip / zstd / plain tar streams applied onto a root directory with OCI
//! whiteouts, never writing outside the root, directory modes applied once at the end.

mod apply;
mod decompress;
mod entry;
mod error;
mod extractor;
mod pipeline;
mod tree;
mod write;

pub(crate) use decompress::decompress;
pub(crate) use error::ExtractError;
pub(crate) use extractor::Extractor;
pub(crate) use pipeline::{pipelined, pump, ChannelReader};
