//! The strict request decoder: bounded read of stdin, one JSON value, paths in every error.

use super::duplicates::read_refusing_duplicates;
use super::hints::shorten_serde_message;
use super::strict::Strict;
use super::ProtocolError;
use serde::de::DeserializeOwned;
use serde::Deserializer;
use std::fmt;
use std::io::Read;

/// Largest request accepted on stdin.
pub(super) const MAX_REQUEST_BYTES: u64 = 8 * 1024 * 1024;

/// Reads the whole request from stdin and decodes its envelope strictly.
pub fn read_envelope<T: DeserializeOwned>(stdin: &mut dyn Read) -> Result<T, ProtocolError> {
    let buf = read_bounded(stdin)?;
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Err(ProtocolError::Json("empty request on stdin".into()));
    }
    let value = parse_one_value(&buf)?;
    decode_with_path(Strict(value), "")
}

/// The bytes of stdin, at most [`MAX_REQUEST_BYTES`].
fn read_bounded(stdin: &mut dyn Read) -> Result<Vec<u8>, ProtocolError> {
    let mut buf = Vec::new();
    stdin
        .take(MAX_REQUEST_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(ProtocolError::Read)?;
    if buf.len() as u64 > MAX_REQUEST_BYTES {
        return Err(ProtocolError::TooLarge);
    }
    Ok(buf)
}

/// Exactly one JSON value, with no key twice in an object and nothing after it.
fn parse_one_value(buf: &[u8]) -> Result<serde_json::Value, ProtocolError> {
    let mut de = serde_json::Deserializer::from_slice(buf);
    let value = read_refusing_duplicates(&mut de)?;
    de.end()
        .map_err(|e| ProtocolError::Json(format!("trailing data after the request: {e}")))?;
    Ok(value)
}

/// Decodes one part of the request (`source`, `version`, `params`) strictly; errors name the path.
pub fn decode_part<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ProtocolError> {
    decode_with_path(Strict(value), prefix)
}

fn decode_with_path<'de, T, D>(de: D, prefix: &str) -> Result<T, ProtocolError>
where
    T: DeserializeOwned,
    D: Deserializer<'de, Error: fmt::Display>,
{
    let mut track = serde_path_to_error::Track::new();
    let result = T::deserialize(serde_path_to_error::Deserializer::new(de, &mut track));
    result.map_err(|e| {
        let inner = track.path().to_string();
        let path = match (prefix.is_empty(), inner.as_str()) {
            (true, ".") => "request".to_string(),
            (true, _) => inner,
            (false, ".") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        let message = shorten_serde_message(&e.to_string());
        if message.starts_with("EOF") || message.contains("expected value at line") {
            ProtocolError::Json(format!("not valid JSON: {message}"))
        } else {
            ProtocolError::Field { path, message }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CheckEnvelope, ImageSource};

    fn source(json: &str) -> Result<ImageSource, ProtocolError> {
        decode_part(serde_json::from_str(json).unwrap(), "source")
    }

    #[test]
    fn unknown_nested_field_names_its_path() {
        let err = source(r#"{"repository":"a","platform":{"os":"linux","cpu":"x"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("source.platform"), "{err}");
        assert!(err.contains("unknown field `cpu`"), "{err}");
        assert!(!err.contains("expected one of"), "{err}");
    }

    #[test]
    fn an_integer_tag_becomes_a_string_and_a_fraction_is_refused() {
        let s = source(r#"{"repository":"a","tag":3}"#).unwrap();
        assert_eq!(s.tag.as_deref(), Some("3"));
        let s = source(r#"{"repository":"a","tag":""}"#).unwrap();
        assert_eq!(s.tag, None);
        for fraction in ["3.2", "3.0", "1e2", "123456789012345678901234567890"] {
            let err = source(&format!(r#"{{"repository":"a","tag":{fraction}}}"#))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("invalid payload: source.tag: the number ")
                    && err.contains("quote"),
                "{err}"
            );
        }
    }

    #[test]
    fn missing_repository_is_named() {
        let err = source(r#"{"tag":"x"}"#).unwrap_err().to_string();
        assert!(err.contains("missing field `repository`"), "{err}");
    }

    #[test]
    fn secret_is_redacted_in_debug() {
        let s = source(r#"{"repository":"a","password":"hunter2"}"#).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn envelope_rejects_trailing_and_empty() {
        let r: Result<CheckEnvelope, _> = read_envelope(&mut &b"{\"source\":{}} x"[..]);
        assert!(r.is_err());
        let r: Result<CheckEnvelope, _> = read_envelope(&mut &b"  "[..]);
        assert!(r.unwrap_err().to_string().contains("empty request"));
    }
}
