//! stdin made into a typed plan before any network call: image or package decided once, every
//! part decoded strictly, the repository parsed once, regexes compiled once, and the cloud
//! login chosen as a credential provider (the source itself is never rewritten).

use crate::image::ImageError;
use crate::login::sigv4::AwsCredentials;
use crate::protocol::{
    self, CheckEnvelope, ImageGetParams, ImagePutParams, ImageSource, ImageVersion, InEnvelope,
    OutEnvelope, PackageGetParams, PackageSource, PackageVersion, ProtocolError,
};
use crate::registry::{RegistryError, Repository};
use crate::{log, net};
use regex::Regex;
use std::io::Read;

/// What a request is about: an image, or an upstream package, with what the command needs.
pub enum Request<I, P> {
    /// An image resource.
    Image(I),
    /// A package resource.
    Package(P),
}

/// An image source, checked and compiled.
pub struct ImagePlan {
    /// The source as decoded (never rewritten).
    pub source: ImageSource,
    /// `source.repository`, parsed once (on ECR's account registry when `aws_account_id` says).
    pub repository: Repository,
    /// The repository as reported (metadata, the `repository` file).
    pub name: String,
    /// The credential provider a cloud login needs, run before the first registry request.
    pub login: CloudLogin,
    /// `source.label_regex`, compiled.
    pub label_regex: Option<Regex>,
    /// `source.annotation_regex`, compiled.
    pub annotation_regex: Option<Regex>,
    /// `semver_constraint` and `tag_regex`, compiled.
    pub discovery: crate::image::DiscoveryRules,
    /// `source.verify`, its keys parsed.
    pub verify: Option<crate::image::verify::Policy>,
}

/// A package source, checked.
pub struct PackagePlan {
    /// The source as decoded.
    pub source: PackageSource,
}

/// The cloud login a source asks for: a credential provider for the origin registry.
pub enum CloudLogin {
    /// No cloud login: `username`/`password`, a docker config, or anonymous.
    None,
    /// ECR (`aws_region`): SigV4-signed `GetAuthorizationToken`.
    Ecr {
        /// `aws_region`.
        region: String,
        /// Static keys, else the worker's AWS chain.
        static_keys: Option<AwsCredentials>,
        /// Roles assumed in order.
        role_arns: Vec<String>,
        /// Whether the repository already names its registry (`aws_account_id`, or a host in
        /// `repository`); else the login's proxy endpoint names it.
        named: bool,
    },
    /// Azure ACR (`azure_acr`): a managed-identity token exchanged for an ACR refresh token.
    Azure,
}

/// `check`: the plan and the cursor.
pub type Check = Request<(ImagePlan, Option<ImageVersion>), (PackagePlan, Option<PackageVersion>)>;
/// `in`: the plan, the version and the params.
pub type Get = Request<
    (ImagePlan, ImageVersion, ImageGetParams),
    (PackagePlan, PackageVersion, PackageGetParams),
>;

/// Decodes and checks a `check` request.
pub fn check(stdin: &mut dyn Read) -> anyhow::Result<Check> {
    let request: CheckEnvelope = protocol::read_envelope(stdin)?;
    let cursor = request.version.filter(|v| !v.is_null());
    if protocol::is_package_source(&request.source) {
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
pub fn get(stdin: &mut dyn Read) -> anyhow::Result<Get> {
    let request: InEnvelope = protocol::read_envelope(stdin)?;
    let params = request.params.filter(|p| !p.is_null());
    if protocol::is_package_source(&request.source) {
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
pub fn put(stdin: &mut dyn Read) -> anyhow::Result<(ImagePlan, ImagePutParams)> {
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
    let source: PackageSource = protocol::decode_part(raw, "source")?;
    log::set_debug(source.debug);
    net::set_budget(source.request_timeout)?;
    Ok(PackagePlan { source })
}

fn image_plan(raw: serde_json::Value) -> anyhow::Result<ImagePlan> {
    let source: ImageSource = protocol::decode_part(raw, "source")?;
    log::set_debug(source.debug);
    net::set_budget(source.request_timeout)?;
    let login = cloud_login(&source)?;
    let named = match &login {
        CloudLogin::Ecr { region, .. } => source
            .aws_account_id
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(|account| {
                crate::login::aws::ecr_repository(&source.repository, Some(account), region, "")
            }),
        _ => None,
    };
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
    Ok(ImagePlan {
        verify,
        discovery: crate::image::DiscoveryRules::of(&source)?,
        name,
        label_regex: compile(&source.label_regex, "source.label_regex")?,
        annotation_regex: compile(&source.annotation_regex, "source.annotation_regex")?,
        repository,
        login,
        source,
    })
}

/// The cloud login `source` asks for, its fields checked (as upstream: `aws_region` turns ECR
/// on; `azure_acr` the ACR exchange).
fn cloud_login(source: &ImageSource) -> Result<CloudLogin, ImageError> {
    let has_aws_fields = source.aws_access_key_id.is_some()
        || source.aws_secret_access_key.is_some()
        || source.aws_role_arn.is_some()
        || !source.aws_role_arns.is_empty()
        || source.aws_account_id.is_some();
    let Some(region) = source.aws_region.clone().filter(|r| !r.is_empty()) else {
        if has_aws_fields {
            log::info(format_args!(
                "source has aws_* fields but no aws_region: no ECR login (set aws_region to log in)"
            ));
        }
        return Ok(if source.azure_acr {
            CloudLogin::Azure
        } else {
            CloudLogin::None
        });
    };
    if source.aws_role_arn.is_some() && !source.aws_role_arns.is_empty() {
        return Err(ImageError::Invalid {
            field: "source.aws_role_arn",
            detail: "cannot be set together with aws_role_arns".into(),
        });
    }
    if source.aws_ecr_registry_id.is_some() {
        log::info(format_args!(
            "source.aws_ecr_registry_id is no longer needed and is ignored"
        ));
    }
    let role_arns = match &source.aws_role_arn {
        Some(r) => vec![r.clone()],
        None => source.aws_role_arns.clone(),
    };
    let static_keys = match (&source.aws_access_key_id, &source.aws_secret_access_key) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.expose().is_empty() => {
            Some(AwsCredentials {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: source
                    .aws_session_token
                    .clone()
                    .filter(|t| !t.expose().is_empty()),
            })
        }
        _ => None,
    };
    let first = source.repository.split('/').next().unwrap_or("");
    let names_host = source.repository.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    let named = names_host
        || source
            .aws_account_id
            .as_deref()
            .is_some_and(|a| !a.is_empty());
    Ok(CloudLogin::Ecr {
        region,
        static_keys,
        role_arns,
        named,
    })
}
