//! The one writer of stdout: a response as one JSON document.

use super::ProtocolError;
use serde::Serialize;
use std::io::Write;

/// Writes the response as one JSON document on stdout — the only writer stdout has.
pub fn write_json<T: Serialize>(stdout: &mut dyn Write, value: &T) -> Result<(), ProtocolError> {
    let mut text = serde_json::to_vec(value)
        .map_err(|e| ProtocolError::Write(std::io::Error::other(e.to_string())))?;
    text.push(b'\n');
    stdout.write_all(&text).map_err(ProtocolError::Write)?;
    stdout.flush().map_err(ProtocolError::Write)
}
