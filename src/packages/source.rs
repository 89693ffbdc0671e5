//! What a package source is: its own typed fields, registered once, from which the strict
//! decoder, the "fields of other sources are refused" rule and the JSON Schema all follow.

use super::common::CommonFields;
use super::{Backend, Fetcher, PackageError};
use crate::protocol::{self, ProtocolError};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// One package ecosystem's `source`: the struct of its own fields (the key that selects it among
/// them, holding the package's name), and how it opens its index. Registered with one line in
/// [`super::SOURCES`].
pub(crate) trait Source:
    DeserializeOwned + schemars::JsonSchema + std::fmt::Debug + Send + Sync + 'static
{
    /// The field that selects this source and names the package (`pypi`).
    const KEY: &'static str;
    /// The heading of its section in `docs/packages.md` (`## PyPI`), whose table lists its fields.
    const DOCS: &'static str;
    /// The package as `source` names it.
    fn name(&self) -> &str;
    /// The configured index, registry or API root: where basic credentials may go.
    fn index_root(&self) -> Option<&str>;
    /// The backend over this source's index (`fetcher` is set up for [`Source::index_root`]).
    fn open(
        &self,
        common: &CommonFields,
        fetcher: Fetcher,
    ) -> Result<Box<dyn Backend>, PackageError>;
}

/// A source's own fields, decoded, as the rest of `packages` holds them.
pub(crate) trait OwnFields: std::fmt::Debug + Send + Sync {
    /// The package as `source` names it.
    fn name(&self) -> &str;
    /// Its backend, with a fetcher for its index root.
    fn open(&self, common: &CommonFields) -> Result<Box<dyn Backend>, PackageError>;
}

impl<S: Source> OwnFields for S {
    fn name(&self) -> &str {
        Source::name(self)
    }

    fn open(&self, common: &CommonFields) -> Result<Box<dyn Backend>, PackageError> {
        let fetcher = Fetcher::new(common, self.index_root())?;
        Source::open(self, common, fetcher)
    }
}

/// A registered source: its key and docs heading, its fields' schema, its decoder.
#[derive(Debug)]
pub struct Registration {
    /// The field that selects it.
    pub key: &'static str,
    /// Its section of `docs/packages.md`.
    pub docs: &'static str,
    schema: fn() -> Value,
    decode: fn(Value) -> Result<Box<dyn OwnFields>, ProtocolError>,
}

impl Registration {
    /// The registration of `S`.
    pub(crate) const fn of<S: Source>() -> Registration {
        Registration {
            key: S::KEY,
            docs: S::DOCS,
            schema: schema_of::<S>,
            decode: decode_as::<S>,
        }
    }

    /// The JSON Schema of its own fields (an object schema with `properties`).
    pub fn own_schema(&self) -> Value {
        (self.schema)()
    }

    /// The names of its own fields.
    pub fn own_fields(&self) -> Vec<String> {
        property_names(&self.own_schema())
    }
}

fn schema_of<S: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(S)).unwrap_or_default()
}

fn decode_as<S: Source>(own: Value) -> Result<Box<dyn OwnFields>, ProtocolError> {
    let fields: S = protocol::decode_part(own, "source")?;
    Ok(Box::new(fields))
}

fn property_names(schema: &Value) -> Vec<String> {
    schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// The names of the fields every source has.
pub fn common_fields() -> Vec<String> {
    property_names(&schema_of::<CommonFields>())
}

/// A package resource's `source`, decoded: the chosen source's own fields, the shared ones.
#[derive(Debug)]
pub struct PackageSource {
    pub(crate) own: Box<dyn OwnFields>,
    pub(crate) common: CommonFields,
}

impl PackageSource {
    /// The shared fields (`debug`, `request_timeout`, …).
    pub fn common(&self) -> &CommonFields {
        &self.common
    }

    /// The package as `source` names it.
    pub(crate) fn name(&self) -> &str {
        self.own.name()
    }

    /// Its backend.
    pub(crate) fn open(&self) -> Result<Box<dyn Backend>, PackageError> {
        self.own.open(&self.common)
    }
}

/// Whether a raw `source` is a package source (a registered key present).
pub fn is_package_source(source: &Value) -> bool {
    source
        .as_object()
        .is_some_and(|o| super::SOURCES.iter().any(|r| o.contains_key(r.key)))
}

/// Decodes `source` strictly: every field known to some source (else the closest known one is
/// named), exactly one source key, no field of another source, then the shared fields and the
/// source's own typed fields.
pub fn decode(raw: Value) -> Result<PackageSource, PackageError> {
    let Value::Object(object) = raw else {
        return Err(invalid_source("must be an object".into()));
    };
    let common_names = common_fields();
    refuse_unknown(&object, &common_names)?;
    let registration = chosen(&object)?;
    let own_names = registration.own_fields();
    refuse_foreign(&object, registration, &own_names, &common_names)?;
    // What is left of other sources' fields is unset (`null`, `""`): absent, as before.
    let (own, common): (Map<String, Value>, Map<String, Value>) = object
        .into_iter()
        .filter(|(k, _)| own_names.contains(k) || common_names.contains(k))
        .partition(|(k, _)| own_names.contains(k));
    let common: CommonFields = protocol::decode_part(Value::Object(common), "source")?;
    let own = (registration.decode)(Value::Object(own))?;
    Ok(PackageSource { own, common })
}

fn invalid_source(detail: String) -> PackageError {
    PackageError::Invalid {
        field: "source",
        detail,
    }
}

/// A field no source has is an unknown field (as serde says it), with the closest known one.
fn refuse_unknown(object: &Map<String, Value>, common: &[String]) -> Result<(), PackageError> {
    let mut known: Vec<String> = common.to_vec();
    for r in super::SOURCES {
        known.extend(r.own_fields());
    }
    known.sort();
    known.dedup();
    if let Some(name) = object.keys().find(|k| !known.contains(k)) {
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        return Err(protocol::unknown_field("source", name, &known).into());
    }
    Ok(())
}

/// Whether a field is set: absent, `null` and `""` are not (as `empty_is_none` decodes them).
fn is_set(value: &Value) -> bool {
    !matches!(value, Value::Null) && value.as_str() != Some("")
}

/// The one source whose key is set.
fn chosen(object: &Map<String, Value>) -> Result<&'static Registration, PackageError> {
    let set: Vec<&'static Registration> = super::SOURCES
        .iter()
        .filter(|r| object.get(r.key).is_some_and(is_set))
        .collect();
    let keys = || {
        super::SOURCES
            .iter()
            .map(|r| r.key)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match set.as_slice() {
        [one] => Ok(one),
        [] => Err(invalid_source(format!("set one of {}", keys()))),
        many => Err(invalid_source(format!(
            "set exactly one of {} (found {})",
            keys(),
            many.iter().map(|r| r.key).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// A field of other sources means nothing to this one: say so, naming the sources that have it,
/// rather than ignore it (a stray index root must not become where credentials go).
fn refuse_foreign(
    object: &Map<String, Value>,
    registration: &Registration,
    own: &[String],
    common: &[String],
) -> Result<(), PackageError> {
    let foreign = object
        .iter()
        .find(|(k, v)| is_set(v) && !own.contains(k) && !common.contains(k));
    let Some((field, _)) = foreign else {
        return Ok(());
    };
    let owners: Vec<&str> = super::SOURCES
        .iter()
        .filter(|r| r.own_fields().contains(field))
        .map(|r| r.key)
        .collect();
    Err(PackageError::Foreign {
        field: format!("source.{field}"),
        detail: format!(
            "not a field of {} sources (only {} sources have it)",
            registration.key,
            and_list(&owners)
        ),
    })
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn unset_fields_of_other_sources_are_absent_and_set_ones_refused() {
        let source =
            decode(json!({"pypi": "a", "suite": "", "npm": null, "index_url": ""})).unwrap();
        assert_eq!(source.name(), "a");
        let err = decode(json!({"pypi": "a", "suite": "bookworm"})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "source.suite: not a field of pypi sources (only apt sources have it)"
        );
        let err = decode(json!({"pypi": "a", "colour": 1}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("source.colour: unknown field `colour`"),
            "{err}"
        );
        let err = decode(json!({"pypi": "", "npm": ""}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("source: set one of pypi, npm, crate"),
            "{err}"
        );
    }
}
