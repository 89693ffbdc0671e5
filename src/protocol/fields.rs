//! Field decoders shared by the wire types: empty text as absent, a tag as text or integer.

use serde::{Deserialize, Deserializer};

/// Empty text is absent (`index_url: ""`).
pub(crate) fn empty_is_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

/// `tag` may be a JSON string or an integer (`tag: 3` is `"3"`). A fractional number is refused:
/// YAML reads an unquoted `tag: 3.20` as the number 3.2, and `3.2` may well be a tag too.
pub(super) fn tag_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s).filter(|s| !s.is_empty())),
        Some(serde_json::Value::Number(n)) if !n.is_f64() => Ok(Some(n.to_string())),
        Some(serde_json::Value::Number(n)) => Err(serde::de::Error::custom(format!(
            "the number {n} is not a tag: YAML reads an unquoted `3.20` as the number 3.2, \
             so quote the tag (`tag: \"3.20\"`)"
        ))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string or an integer, found {}",
            json_kind(&other)
        ))),
    }
}

pub(super) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
