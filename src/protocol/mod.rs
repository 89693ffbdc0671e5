//! Concourse wire types, strict request decoding and the one stdout writer.

mod duplicates;
mod envelope;
mod error;
mod fields;
mod hints;
mod image;
mod package;
mod request;
mod schema;
mod stdout;
mod strict;
mod updates;

pub use crate::log::Secret;
pub use envelope::{CheckEnvelope, InEnvelope, MetadataField, OutEnvelope, VersionResponse};
pub use error::ProtocolError;
pub(crate) use fields::empty_is_none;
pub(crate) use hints::unknown_field;
pub use image::{
    BaseField, BaseObject, ContentTrust, IdentityField, ImageFormat, ImageGetParams,
    ImagePutParams, ImageSource, ImageVersion, PlatformField, RegistryMirror, SignField,
    VerifyField,
};
pub use package::{PackageGetParams, PackageVersion};
pub use request::{decode_part, read_envelope};
pub use schema::{json_schemas, TagText};
pub use stdout::write_json;
pub use updates::{UpdatesApk, UpdatesApt, UpdatesField};
