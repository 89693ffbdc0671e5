//! stdin made into a typed plan before any network call: image or package decided once, every
//! part decoded strictly, the repository parsed once, regexes compiled once, and the cloud
//! login chosen as a credential provider (the source itself is never rewritten).

use crate::image::ImageError;
use crate::packages::{self, PackageSource};
use crate::protocol::{
    self, CheckEnvelope, ImageGetParams, ImagePutParams, ImageSource, ImageVersion, InEnvelope,
    OutEnvelope, PackageGetParams, PackageVersion, ProtocolError,
};
use crate::registry::{RegistryError, Repository};
use crate::{log, net};
use regex::Regex;
use std::io::Read;

/// What a request is about: an image, or an upstream package, with what the command needs.
pub(crate) enum Request<I, P> {
    /// An image resource.
    Image(I),
    /// A package resource.
    Package(P),
}

pub(crate) use crate::image::ImagePlan;

/// A package source, checked.
pub(crate) struct PackagePlan {
    /// The source as decoded.
    pub source: PackageSource,
}

/// `check`: the plan and the cursor.
pub(crate) type Check =
    Request<(ImagePlan, Option<ImageVersion>), (PackagePlan, Option<PackageVersion>)>;
/// `in`: the plan, the version and the params.
pub(crate) type Get = Request<
    (ImagePlan, ImageVersion, ImageGetParams),
    (PackagePlan, PackageVersion, PackageGetParams),
>;

/// Decodes and checks a `check` request.
pub(crate) fn check(stdin: &mut dyn Read) -> anyhow::Result<Check> {
    let request: CheckEnvelope = protocol::read_envelope(stdin)?;
    let cursor = request.version.filter(|v| !v.is_null());
    if packages::is_package_source(&request.source) {
        let plan = package_plan(request.source)?;
        let cursor = cursor
            .map(|v| protocol::decode_part(v, "version"))
            .transpose()?;
        return Ok(Request::Package((plan, cursor)));
    }
    let plan = image_plan(request.source)?;
    let cursor = cursor
        .map(|v| protocol::decode_part(v, "version"))
        .transpose()?;
    Ok(Request::Image((plan, cursor)))
}

/// Decodes and checks an `in` request.
pub(crate) fn get(stdin: &mut dyn Read) -> anyhow::Result<Get> {
    let request: InEnvelope = protocol::read_envelope(stdin)?;
    let params = request.params.filter(|p| !p.is_null());
    if packages::is_package_source(&request.source) {
        let plan = package_plan(request.source)?;
        let version = protocol::decode_part(request.version, "version")?;
        let params = decode_params(params)?;
        return Ok(Request::Package((plan, version, params)));
    }
    let plan = image_plan(request.source)?;
    let version = protocol::decode_part(request.version, "version")?;
    let params = decode_params(params)?;
    Ok(Request::Image((plan, version, params)))
}

/// Decodes and checks an `out` request (images only).
pub(crate) fn put(stdin: &mut dyn Read) -> anyhow::Result<(ImagePlan, ImagePutParams)> {
    let request: OutEnvelope = protocol::read_envelope(stdin)?;
    let plan = image_plan(request.source)?;
    let params = decode_params(request.params.filter(|p| !p.is_null()))?;
    Ok((plan, params))
}

fn decode_params<T: serde::de::DeserializeOwned + Default>(
    params: Option<serde_json::Value>,
) -> Result<T, ProtocolError> {
    params
        .map(|p| protocol::decode_part(p, "params"))
        .transpose()
        .map(Option::unwrap_or_default)
}

fn package_plan(raw: serde_json::Value) -> anyhow::Result<PackagePlan> {
    let source = packages::decode(raw)?;
    log::set_debug(source.common().debug);
    net::set_budget(source.common().request_timeout)?;
    Ok(PackagePlan { source })
}

fn image_plan(raw: serde_json::Value) -> anyhow::Result<ImagePlan> {
    let source: ImageSource = protocol::decode_part(raw, "source")?;
    log::set_debug(source.debug);
    net::set_budget(source.request_timeout)?;
    let login = crate::login::provider(&source).map_err(|e| ImageError::Invalid {
        field: e.field,
        detail: e.detail,
    })?;
    let named = login.as_ref().and_then(|l| l.repository());
    let repository = Repository::parse(named.as_deref().unwrap_or(&source.repository))
        .map_err(RegistryError::from)
        .map_err(ImageError::from)?;
    let compile = |pattern: &Option<String>, field: &'static str| {
        pattern
            .as_deref()
            .map(|p| {
                Regex::new(p).map_err(|e| ImageError::Invalid {
                    field,
                    detail: format!("invalid regex: {e}"),
                })
            })
            .transpose()
    };
    let name = named.unwrap_or_else(|| source.repository.clone());
    let verify = source
        .verify
        .as_ref()
        .map(crate::image::verify::Policy::of)
        .transpose()?;
    let updates = source
        .updates
        .as_ref()
        .map(crate::image::updates::Plan::new)
        .transpose()?;
    Ok(ImagePlan {
        verify,
        updates,
        discovery: crate::image::DiscoveryRules::of(&source)?,
        name,
        label_regex: compile(&source.label_regex, "source.label_regex")?,
        annotation_regex: compile(&source.annotation_regex, "source.annotation_regex")?,
        repository,
        login,
        source,
    })
}
