//! JSON Schema generation: the schemas of hand-decoded fields and the files of `schema/`.

use super::{
    BaseField, BaseObject, ImageGetParams, ImagePutParams, ImageSource, ImageVersion,
    PackageGetParams, PackageVersion, Secret,
};

impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "description": "never logged"})
    }
    fn inline_schema() -> bool {
        true
    }
}

/// `source.tag` as written: a string, or an integer (`tag: 3`); a fractional number is refused.
pub struct TagText;

impl schemars::JsonSchema for TagText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TagText".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": ["string", "integer"]})
    }
    fn inline_schema() -> bool {
        true
    }
}

impl schemars::JsonSchema for BaseField {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BaseField".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let object = generator.subschema_for::<BaseObject>();
        schemars::json_schema!({
            "description": "the base image: a reference, or {ref, username, password}",
            "anyOf": [{"type": "string"}, object]
        })
    }
}

/// The JSON Schemas (draft 2020-12) of the wire types, by file name in `schema/`: the image
/// `source`, get and put params, versions; package get params and version (the package `source`
/// comes from its registered sources: `crate::schema`).
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn one<T: schemars::JsonSchema>(title: &str) -> serde_json::Value {
        let mut v = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        v["title"] = title.into();
        v
    }
    vec![
        ("image-source", one::<ImageSource>("uptick image source")),
        (
            "image-get-params",
            one::<ImageGetParams>("uptick image get params"),
        ),
        (
            "image-put-params",
            one::<ImagePutParams>("uptick image put params"),
        ),
        ("image-version", one::<ImageVersion>("uptick image version")),
        (
            "package-get-params",
            one::<PackageGetParams>("uptick package get params"),
        ),
        (
            "package-version",
            one::<PackageVersion>("uptick package version"),
        ),
    ]
}
