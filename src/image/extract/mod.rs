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

pub use decompress::decompress;
pub use entry::kept_xattr;
pub use error::{ExtractError, LayerStats};
pub use extractor::Extractor;
pub use pipeline::{pipelined, pump, ChannelReader, Sink};
