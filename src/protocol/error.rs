//! The one error type of reading a request and writing a response.

use super::request::MAX_REQUEST_BYTES;

/// Why a request could not be read or a response not written.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// stdin could not be read.
    #[error("invalid payload: cannot read stdin: {0}")]
    Read(std::io::Error),
    /// stdin was larger than we accept.
    #[error("invalid payload: request is larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    /// stdin is not one JSON value of the expected shape.
    #[error("invalid payload: {0}")]
    Json(String),
    /// A field has the wrong type or value, or is unknown.
    #[error("invalid payload: {path}: {message}")]
    Field {
        /// Dotted path to the field, from the request root (`source.platform.os`).
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// stdout could not be written.
    #[error("cannot write response to stdout: {0}")]
    Write(std::io::Error),
}
